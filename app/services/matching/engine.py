"""The reconciliation engine: indexes open invoices once, then proposes and scores bookings for each payment.

Candidates come only from indexes (number keys, payer IBAN, payer name, amount), never from all pairs,
so a run over 100k payments stays linear. Precision comes first: a payment is booked automatically only
when the best proposal clears the threshold and no other proposal comes close. The rules that lift a proposal
that far (exact number and amount whoever pays, a corroborated typo, a known payer's only fitting invoice or
combination) check themselves that no other reading fits; every other result says why in `why_not`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from re import compile as compile_regex

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from app.services.formatting import format_amount, from_cents, to_cents
from app.services.gc_pause import collector_paused
from app.services.i18n import _
from app.services.matching.config import MatchConfig, detect_patterns
from app.services.matching.model import (
    PAYABLE,
    RECEIVABLE,
    Allocation,
    Customer,
    Invoice,
    MatchResult,
    PayerKnowledge,
    Payment,
    Proposal,
)
from app.services.matching.names import fold_name, normalize_iban, normalize_name
from app.services.matching.numbers import (
    compile_patterns,
    neighbours,
    number_keys,
    token_groups,
)
from app.services.matching.speculation import COMMON, HEAD, OPEN, Places, Reads, matched_in_order

# Evidence weights; a score is their sum, clipped to 0..1.
W_NUMBER = 0.6
W_NUMBER_LOOSE = 0.5
W_TYPO = 0.3
W_EXACT = 0.3
W_SKONTO = 0.27
W_SHORTFALL = 0.25
W_OVERPAYMENT = 0.15
W_PARTIAL = 0.12
W_IBAN = 0.25
W_LEARNED = 0.25
W_NAME = 0.15
W_NAME_WEAK = 0.07
W_CONFLICT = -0.1
W_UNIQUE = 0.35
W_OTHER_NUMBERS = -0.2
W_OTHER_PAYER = -0.25  # Map only: a suggestion for another customer's invoice than the payer's
NAME_STRONG = 90.0
NAME_WEAK = 80.0
_CAP_UNCORROBORATED = 0.5
_CAP_BELOW_AUTO = 0.05
_MIN_TYPO_KEY = 5
_MIN_DISTINCTIVE_DIGITS = 6
_HEAD = 3  # a typo that leaves these first characters alone keeps a beginning some invoice number has
_NAME_TOKEN_MAX_CUSTOMERS = 200
_MAX_CUSTOMERS_PER_PAYMENT = 3
_MAX_KNOWN_CUSTOMERS = 8
_MAX_ALIKE = 20  # customers named alike whose invoices a name-identified payer's amount is checked against
_MAX_AMOUNT_ONLY = 10
_MAX_SAME_AMOUNT = 50
_RIVAL_STEPS = 500  # how long an exact single invoice's rival combination is looked for
_FEW_SAME_AMOUNT = 3  # a short number and an amount this rare agree on one invoice by chance hardly ever
_ISSUED_AFTER_BOOKING = timedelta(days=7)
_MIN_CUT_NAME = 20  # a bank cutting the name field leaves at least this much (27 characters in old formats)
_MIN_SWAPPED_NAME = 10  # two swapped letters in a shorter name may make another name
_STRONG_FITS = frozenset({"exact", "skonto", "shortfall", "collective"})
_NOBODY: frozenset[int] = frozenset()
_GROUPS = compile_regex(r"[A-Z]+|[0-9]+")
_INVOICE_WORD = compile_regex(
    r"(?i)\b(?:rechnung|rechn|rg|re|rng|invoice|inv|faktura|beleg)\b[\s.:#-]*(?:nr\b[\s.:#-]*)?$"
)


@dataclass(slots=True)
class _Open:
    """An invoice with the open amount this run has left on it."""

    invoice: Invoice
    open_cents: int
    amount_cents: int
    rank: int  # position oldest first, so that an index can keep that order when the invoice comes back


@dataclass(slots=True)
class _Fit:
    """How a payment amount relates to the open amount of one or several invoices."""

    kind: str
    weight: float
    allocations: tuple[tuple[int, int, int], ...]  # invoice id, cents, discount cents
    reason: str


@dataclass(slots=True)
class _Pool:
    """The candidates of a combination; `complete` if none was left out, `everything` if they are all that is open."""

    items: list[_Open]
    complete: bool
    everything: bool


@dataclass(slots=True)
class _Payer:
    """What one payment tells about who paid and how much."""

    payment: Payment
    cents: int
    side: _Side
    iban_customers: AbstractSet[int]
    name: str
    learned: int | None
    named: AbstractSet[int]  # customers the payer name unmistakably is, when the account is not known (`_identify`)
    alike: AbstractSet[int]  # customers named like them, whose invoices count as rival readings
    rival: str  # a customer named like them that stopped `named`, there being too many
    issued_by: date  # invoices issued later cannot be meant
    unrelated_word: str | None  # e.g. 'Erstattung': without an invoice number, never booked automatically


class _Side:
    """The indexes of one kind of invoice (receivables for credits, payables for debits)."""

    __slots__ = (
        "kind", "by_key", "by_stripped", "heads", "lengths", "by_customer", "amounts_by_customer", "by_amount",
    )  # fmt: skip

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_key: dict[str, list[int]] = {}  # compact key ('RE-2026-0042' -> '20260042')
        self.by_stripped: dict[str, list[int]] = {}  # groups without leading zeros ('2026.42'), a weaker match
        self.heads: set[tuple[int, str]] = set()  # (length, first characters) of every compact key
        self.lengths: set[int] = set()  # of every compact key: a typo keeps the length
        self.by_customer: dict[int, dict[int, None]] = {}  # open invoices only, oldest first
        self.amounts_by_customer: dict[int, list[tuple[int, int]]] = {}  # sorted (open cents, invoice id)
        self.by_amount: dict[int, dict[int, None]] = {}  # open cents -> invoice ids in no order, O(1) removal


class Matcher:
    """Built once per run from plain values; `match_all` books the certain cases and ranks the rest."""

    @collector_paused()  # the indexes are a few hundred thousand objects that live as long as the matcher
    def __init__(
        self,
        invoices: Iterable[Invoice],
        customers: Iterable[Customer],
        *,
        knowledge: PayerKnowledge | None = None,
        config: MatchConfig | None = None,
    ) -> None:
        self.config = config or MatchConfig()
        self._tolerance_cents = to_cents(self.config.tolerance_amount)
        percents = [self.config.tolerance_percent, *(rule.percent for rule in self.config.skonto)]
        self._slack_percent = float(max(percents)) / 100
        invoice_list = list(invoices)
        patterns = self.config.number_patterns or detect_patterns(inv.number for inv in invoice_list)
        self._number_re = compile_patterns(patterns)
        self._unrelated_words = [(word, word.lower()) for word in self.config.unrelated_words if word]
        self._customers = {customer.id: customer for customer in customers}
        self._sides = {RECEIVABLE: _Side(RECEIVABLE), PAYABLE: _Side(PAYABLE)}
        self._open: dict[int, _Open] = {}
        self._reads: Reads | None = None  # set while matching ahead in a forked process (`speculation`)
        # Oldest first, so that a customer's open invoices iterate in date order (collective search).
        for rank, invoice in enumerate(sorted(invoice_list, key=lambda inv: (inv.issued_on, inv.id))):
            self._add_invoice(invoice, rank)
        for side in self._sides.values():
            for amounts in side.amounts_by_customer.values():
                amounts.sort()
        self._names = {cid: normalize_name(customer.name) for cid, customer in self._customers.items()}
        self._alike: dict[int, frozenset[int]] = {}  # customer -> other customers with similar names
        self._identities: dict[str, tuple[frozenset[int], frozenset[int], str]] = {}  # payer name -> `_identify`
        self._by_name: dict[str, list[int]] = {}
        self._by_name_token: dict[str, list[int]] = {}
        self._words: dict[int, frozenset[str]] = {}  # the words of each normalized customer name
        for cid, name in self._names.items():
            self._by_name.setdefault(name, []).append(cid)
            self._words[cid] = words = frozenset(name.split())
            for word in words:
                if len(word) > 2:
                    self._by_name_token.setdefault(word, []).append(cid)
        self.set_knowledge(knowledge or PayerKnowledge())

    def set_knowledge(self, knowledge: PayerKnowledge) -> None:
        """Use newly learned payers from now on (after a manual mapping)."""
        self.knowledge = knowledge
        self._iban_customers: dict[str, set[int]] = {}
        for cid, customer in self._customers.items():
            for iban in customer.ibans:
                self._iban_customers.setdefault(normalize_iban(iban), set()).add(cid)
        for iban, cid in knowledge.customer_by_iban.items():
            self._iban_customers.setdefault(normalize_iban(iban), set()).add(cid)
        self._name_cache: dict[str, list[tuple[int, float]]] = {}
        # payer name as booked -> normalized name, learned customer, unrelated word in it
        self._payers: dict[str, tuple[str, int | None, str | None]] = {}

    def open_amount(self, invoice_id: int) -> Decimal:
        """What this run still considers unpaid on an invoice."""
        return from_cents(self._open[invoice_id].open_cents)

    def match(self, payment: Payment) -> MatchResult:
        """Score the candidates of one payment; does not change open amounts."""
        doubts: list[str] = []
        proposals = self._proposals(payment, interactive=False, doubts=doubts)
        return self._decide(payment.id, proposals, doubts=doubts, limit=10)

    def suggest(self, payment: Payment, limit: int = 10) -> tuple[Proposal, ...]:
        """Ranked proposals for the Map dialog, searching payer names more widely than a batch run does."""
        doubts: list[str] = []
        proposals = self._proposals(payment, interactive=True, doubts=doubts)
        suggestions = self._decide(payment.id, proposals, doubts=doubts, limit=limit).suggestions
        payer = self._payer(payment)
        if payer is None:
            return suggestions
        flagged = [self._other_payer(payer, proposal) for proposal in suggestions]
        return tuple(sorted(flagged, key=lambda proposal: -proposal.score))  # stable: equal scores keep their order

    def _other_payer(self, payer: _Payer, proposal: Proposal) -> Proposal:
        """A suggestion for invoices of a customer the payer is not (by IBAN, learned or similar name) says so
        first and ranks below the payer's own: "one digit off, but someone else's invoice" is how money goes to
        the wrong customer. Only for the Map dialog: a batch decides with `_corroboration` as before."""
        customers = {self._open[a.invoice_id].invoice.customer_id for a in proposal.allocations}
        if not payer.name or not customers or any(self._could_be_payer(payer, c) for c in customers):
            return proposal
        names = ", ".join(sorted(self._customers[c].name for c in customers if c in self._customers))
        warning = _("paid by {payer}, who is not {customer}").format(
            payer=payer.payment.counterparty_name, customer=names
        )
        return replace(proposal, score=max(0.0, proposal.score + W_OTHER_PAYER), reasons=(warning, *proposal.reasons))

    def _could_be_payer(self, payer: _Payer, customer_id: int) -> bool:
        if customer_id in payer.iban_customers or customer_id in payer.named or customer_id in payer.alike:
            return True
        if payer.learned == customer_id:
            return True
        name = self._names.get(customer_id)
        return name is not None and fuzz.token_sort_ratio(payer.name, name) >= NAME_WEAK

    @collector_paused()  # a run's results live to its end: walking them again and again took a seventh of it
    def match_all(self, payments: Sequence[Payment]) -> list[MatchResult]:
        """Match in booking order and book each automatic result at once, so installments see what is left.

        A big run matches its later half ahead on a second core, with the same results (`speculation`).
        A second pass retries the suggestions whose invoices were booked meanwhile, as a rival candidate
        may have gone.
        """
        results: dict[int, MatchResult] = {}
        touched: set[int] = set()
        todo = sorted(payments, key=lambda p: (p.booked_on, p.id))
        for round_ in range(2):
            ordered = matched_in_order(self, todo) if round_ == 0 else ((p, self.match(p)) for p in todo)
            for payment, result in ordered:
                if result.status == "auto" and result.best is not None:
                    self.apply(result.best)
                    touched.update(allocation.invoice_id for allocation in result.best.allocations)
                results[payment.id] = result
            todo = [
                payment
                for payment in todo
                if results[payment.id].status == "suggested"
                and any(a.invoice_id in touched for p in results[payment.id].suggestions for a in p.allocations)
            ]
        return [results[payment.id] for payment in payments]

    def apply(self, proposal: Proposal) -> None:
        """Reduce open amounts by an accepted proposal; refuses to book more than is open."""
        changes = []
        for allocation in proposal.allocations:
            item = self._open[allocation.invoice_id]
            cents = to_cents(allocation.amount + allocation.discount)
            if cents > item.open_cents:
                raise ValueError(f"allocation exceeds open amount of invoice {item.invoice.number}")
            changes.append((item, cents))
        for item, cents in changes:
            self._move(item, item.open_cents - cents)

    def invoice(self, invoice_id: int) -> Invoice:
        """The invoice as it was loaded; its `open_amount` is that of the load, `open_amount()` is today's."""
        return self._open[invoice_id].invoice

    def open_cents_of(self, invoice_id: int) -> int:
        """What this run still considers unpaid on an invoice, in cents."""
        return self._open[invoice_id].open_cents

    def open_cents(self) -> dict[int, int]:
        """What is open on every invoice as this matcher stands, by invoice id."""
        return {invoice_id: item.open_cents for invoice_id, item in self._open.items()}

    def set_open_cents(self, invoice_id: int, cents: int) -> None:
        """Bring one invoice in line with the books (allocated or undone elsewhere) without a rebuild."""
        item = self._open[invoice_id]
        if cents != item.open_cents:
            self._move(item, max(0, cents))

    def _move(self, item: _Open, cents: int) -> None:
        """Re-index an invoice under its new open amount; a customer's indexes stay as a fresh build would order
        them (the amounts' index keeps no order)."""
        side = self._sides[item.invoice.kind]
        invoice_id, customer_id = item.invoice.id, item.invoice.customer_id
        was_open = item.open_cents > 0
        if was_open:
            amounts = side.amounts_by_customer[customer_id]
            del amounts[bisect_left(amounts, (item.open_cents, invoice_id))]
            same = side.by_amount[item.open_cents]
            del same[invoice_id]
            if not same:
                del side.by_amount[item.open_cents]
            if cents <= 0:
                del side.by_customer[customer_id][invoice_id]
        item.open_cents = cents
        if cents > 0:
            side.by_amount.setdefault(cents, {})[invoice_id] = None  # unordered: readers sort the few they take
            insort(side.amounts_by_customer.setdefault(customer_id, []), (cents, invoice_id))
            if not was_open:
                self._insert_ranked(side.by_customer.setdefault(customer_id, {}), item)

    def _rank(self, invoice_id: int) -> int:
        return self._open[invoice_id].rank

    def _insert_ranked(self, index: dict[int, None], item: _Open) -> None:
        """Add an invoice to an oldest-first index; appending is right unless an older invoice comes back."""
        if index and self._open[next(reversed(index))].rank > item.rank:
            ids = list(index)
            at = bisect_left([self._open[invoice_id].rank for invoice_id in ids], item.rank)
            ids.insert(at, item.invoice.id)
            index.clear()
            index.update(dict.fromkeys(ids))
        else:
            index[item.invoice.id] = None

    # -- indexes -------------------------------------------------------------------------------------------

    def _add_invoice(self, invoice: Invoice, rank: int) -> None:
        """Index one invoice under its number keys and, while open, under customer and amount."""
        side = self._sides[invoice.kind]
        keys = number_keys(invoice.number)
        if keys:
            side.heads.add((len(keys[0]), keys[0][:_HEAD]))
            side.lengths.add(len(keys[0]))
        item = _Open(invoice, to_cents(invoice.open_amount), to_cents(invoice.amount), rank)
        self._open[invoice.id] = item
        if keys:
            side.by_key.setdefault(keys[0], []).append(invoice.id)
            side.by_stripped.setdefault(keys[-1], []).append(invoice.id)
        if item.open_cents > 0:
            side.by_customer.setdefault(invoice.customer_id, {})[invoice.id] = None
            side.amounts_by_customer.setdefault(invoice.customer_id, []).append((item.open_cents, invoice.id))
            side.by_amount.setdefault(item.open_cents, {})[invoice.id] = None

    def _name_candidates(self, name: str, *, interactive: bool) -> list[tuple[int, float]]:
        """Customers whose name resembles a payer name; blocked by rare name words and cached per name."""
        if interactive:
            found = process.extract(name, self._names, scorer=fuzz.token_sort_ratio, limit=5)
            return [(cid, score) for _name, score, cid in found if score >= NAME_WEAK]
        cached = self._name_cache.get(name)
        if cached is not None:
            return cached
        if name in self._by_name:
            result = [(cid, 100.0) for cid in self._by_name[name]]
        else:
            blocks = sorted(  # words in a fixed order: two as common take turns the same way in every process
                (self._by_name_token[word] for word in sorted(set(name.split())) if word in self._by_name_token),
                key=len,
            )
            pool = {cid for ids in blocks[:2] if len(ids) <= _NAME_TOKEN_MAX_CUSTOMERS for cid in ids}
            scored = []
            for cid in pool:
                score = fuzz.token_sort_ratio(name, self._names[cid], score_cutoff=NAME_WEAK)
                if score:
                    scored.append((cid, score))
            result = sorted(scored, key=lambda pair: -pair[1])[:_MAX_CUSTOMERS_PER_PAYMENT]
        self._name_cache[name] = result
        return result

    # -- candidates ----------------------------------------------------------------------------------------

    def _payer(self, payment: Payment) -> _Payer | None:
        """Everything about a payment that all candidates share, computed once; None for a zero amount."""
        cents = to_cents(payment.amount)
        if cents == 0:
            return None
        known = self._payers.get(payment.counterparty_name)
        if known is None:
            name = normalize_name(payment.counterparty_name)
            learned = self.knowledge.customer_by_name.get(name) if name else None
            if learned is not None and any(cid != learned for cid in self._by_name.get(name, ())):
                learned = None  # 'Lindenhof Holzbau GmbH' and '… UG' are one learned name but two customers
            word = self._unrelated_word(payment.counterparty_name.lower())
            known = self._payers[payment.counterparty_name] = (name, learned, word)
        name, learned, word_in_name = known
        iban = normalize_iban(payment.counterparty_iban)
        iban_customers = self._iban_customers.get(iban, _NOBODY) if iban else _NOBODY
        named, alike, rival = _NOBODY, _NOBODY, ""
        # An account known for another customer is a third party's, whatever name it carries.
        if learned is None and not iban_customers and name:
            identity = self._identities.get(payment.counterparty_name)
            if identity is None:
                identity = self._identities[payment.counterparty_name] = self._identify(name, payment.counterparty_name)
            named, alike, rival = identity
        return _Payer(
            payment=payment,
            cents=abs(cents),
            side=self._sides[RECEIVABLE if cents > 0 else PAYABLE],
            iban_customers=iban_customers,
            name=name,
            learned=learned,
            named=named,
            alike=alike,
            rival=rival,
            issued_by=payment.booked_on + _ISSUED_AFTER_BOOKING,
            unrelated_word=self._unrelated_word(payment.purpose.lower()) or word_in_name,
        )

    def _identify(self, name: str, raw: str) -> tuple[frozenset[int], frozenset[int], str]:
        """The customers a payer name unmistakably is, the customers named alike, and a similar name that stopped it.

        Unmistakable: a customer's name as banks show it (case, umlauts, legal form: equal once normalized, so
        'Müller Bau GmbH' and 'Müller Bau KG' are both meant), cut by the bank's name field, or with two
        neighbouring letters swapped. Customers named alike ('Müller Bau Süd', a branch, the private customer
        of the same name) do not stop it, but their open invoices count when the amount must be unique; more
        than a few customers named alike do.
        """
        named: Sequence[int] = self._by_name.get(name, ())
        if not named:
            folded = fold_name(raw)
            meant = {
                self._names[cid]
                for cid, _score in self._name_candidates(name, interactive=False)
                if _swapped(name, self._names[cid])
                or (len(folded) >= _MIN_CUT_NAME and fold_name(self._customers[cid].name).startswith(folded))
            }
            if len(meant) != 1:
                return _NOBODY, _NOBODY, ""
            named = self._by_name[meant.pop()]
        alike = frozenset(other for cid in named for other in self._alike_names(cid)) - set(named)
        if len(named) > _MAX_KNOWN_CUSTOMERS or len(named) + len(alike) > _MAX_ALIKE:
            return _NOBODY, _NOBODY, self._customer_name(min(alike or named))
        return frozenset(named), alike, ""

    def _alike_names(self, customer_id: int) -> frozenset[int]:
        """Other customers whose names resemble this one's or contain it or are part of it ('Mia Albrecht',
        'Mia Albrecht Reinigung'), found once per customer among those sharing a name word; at most one more
        than a payer name may have before it identifies nobody."""
        alike = self._alike.get(customer_id)
        if alike is not None:
            return alike
        name = self._names[customer_id]
        words = self._words[customer_id]
        pool = {  # in an order that is the same in every process: which alike names a long list holds depends on it
            cid: self._names[cid]
            for word in sorted(words)
            if len(word) > 2
            for cid in self._by_name_token.get(word, ())
            if cid != customer_id
        }
        found = {
            cid
            for _name, _score, cid in process.extract(
                name, pool, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_WEAK, limit=_MAX_ALIKE + 1
            )
        }
        for cid in pool:
            if len(found) > _MAX_ALIKE:
                break
            other_words = self._words[cid]
            if other_words <= words or words <= other_words:
                found.add(cid)
        alike = self._alike[customer_id] = frozenset(found)
        return alike

    def _unrelated_word(self, lowered: str) -> str | None:
        """The first configured word in a lower-cased text that marks a booking without invoice."""
        for word, folded in self._unrelated_words:
            if folded in lowered:
                return word
        return None

    def _read_customer(self, side: _Side, customer_id: int) -> None:
        """Note, when matching ahead, that a result depends on which invoices of a customer are open and how much."""
        if self._reads is not None:
            self._reads.customers.add((side.kind, customer_id))

    def _amount_is_open(self, side: _Side, cents: int) -> bool:
        if self._reads is not None:
            self._reads.buckets.add((side.kind, OPEN, cents))
        return cents in side.by_amount

    def _amount_is_common(self, side: _Side, cents: int) -> bool:
        """More open invoices of this amount than a short number and the amount agree on by chance."""
        if self._reads is not None:
            self._reads.buckets.add((side.kind, COMMON, cents))
        return len(side.by_amount.get(cents, ())) > _FEW_SAME_AMOUNT

    def trace(self, reads: Reads | None) -> None:
        """Note from now on where `match` reads what booking changes (see `speculation`); None stops it."""
        self._reads = reads

    def observe(self, places: Places) -> tuple[object, ...]:
        """What the books as this run left them show at `places`; equal observations at two moments mean that
        `match` of the payment that read there gives the same result at both (see `speculation`)."""
        invoices, customers, buckets = places
        values: list[object] = [self._open[invoice_id].open_cents for invoice_id in invoices]
        sides = self._sides
        for kind, customer_id in customers:
            values.append(tuple(sides[kind].amounts_by_customer.get(customer_id, ())))
        for kind, test, cents in buckets:
            same = sides[kind].by_amount.get(cents)
            if test == OPEN:
                values.append(same is not None)
            elif test == COMMON:
                values.append(same is not None and len(same) > _FEW_SAME_AMOUNT)
            else:  # HEAD: `_amount_proposals` reads the invoices unless there are too many
                values.append(None if same is not None and len(same) > _MAX_SAME_AMOUNT else frozenset(same or ()))
        return tuple(values)

    def _usable(self, invoice_id: int, payer: _Payer) -> _Open | None:
        """An invoice a payment may settle: still open, same currency, not issued long after the booking."""
        item = self._open[invoice_id]
        if self._reads is not None:
            self._reads.invoices.add(invoice_id)
        invoice = item.invoice
        if item.open_cents <= 0 or invoice.issued_on > payer.issued_by or invoice.currency != payer.payment.currency:
            return None
        return item

    def _proposals(self, payment: Payment, *, interactive: bool, doubts: list[str]) -> list[Proposal]:
        """Numbers first; typos, the payer's invoices and bare amounts only where the numbers gave no answer.

        `doubts` collects why the evidence allows more than one reading (two fitting invoices, two combinations),
        for the 'why not automatic' of the result.
        """
        payer = self._payer(payment)
        if payer is None:
            return []
        proposals: dict[tuple[int, ...], Proposal] = {}
        hits: dict[int, tuple[str, bool, str]] = {}  # invoice id -> field, found only without zeros, token
        closed_hit = False
        typo_keys: set[str] = set()
        side = payer.side
        for field in self.config.search_fields:
            for group in token_groups(self._number_re, getattr(payment, field)):
                first = number_keys(group[0])
                if first and len(first[0]) >= _MIN_TYPO_KEY:
                    typo_keys.add(first[0])
                for token in group:
                    keys = first if token is group[0] else number_keys(token)
                    if not keys:
                        continue
                    found = self._lookup(side, token, keys)
                    for invoice_id, loose in found:
                        if self._usable(invoice_id, payer) is None:
                            closed_hit = True
                        elif invoice_id not in hits or hits[invoice_id][1]:
                            hits[invoice_id] = (field, loose, token)
                    if found:
                        break
        self._number_proposals(payer, hits, proposals, doubts=doubts)
        # A typo often yields another existing number (numbering is dense): look for the intended one.
        # Also behind a named invoice the amount does not settle: a partial payment, or a typo of another one?
        # A batch skips it where no invoice could fit: an unknown payer and no open invoice of this amount.
        if (
            typo_keys
            and not any(p.kind in _STRONG_FITS for p in proposals.values())
            and (interactive or self._known_customers(payer) or self._amount_is_open(payer.side, payer.cents))
        ):
            self._typo_proposals(payer, typo_keys, proposals, interactive=interactive, doubts=doubts)
        # A number of a paid invoice means a duplicate or a mistake: the payer's other invoices are no answer.
        if not hits and not closed_hit:
            self._customer_proposals(payer, proposals, interactive=interactive, doubts=doubts)
            if interactive or not proposals:
                self._amount_proposals(payer, proposals)
        elif closed_hit and not hits:
            doubts.append(_("the payment names an invoice that is already paid"))
        if len(proposals) < 2:
            return list(proposals.values())
        return sorted(proposals.values(), key=lambda p: (-p.score, [a.invoice_id for a in p.allocations]))

    def _lookup(self, side: _Side, token: str, keys: tuple[str, ...]) -> list[tuple[int, bool]]:
        """Invoices a token names, each with whether only loosely: exact when the compact forms agree, loose
        when they agree only once leading zeros are dropped from every group.

        'R 2026 0073' and '2026/0073' share a compact form; a token written with letters names only the
        invoice written with the same letters, and one written as '2026/0073' names 'R 2026 0073' only loosely.
        """
        found: Sequence[int] = side.by_key.get(keys[0], ())
        if not found:
            return [(i, True) for i in side.by_stripped.get(keys[-1], ())]
        lettered = any(char.isalpha() for char in token)
        if len(found) > 1 or lettered:
            written = _literal(token)
            same = [i for i in found if _literal(self._open[i].invoice.number) == written]
            if same and lettered:
                return [(i, False) for i in same]
            if same:
                return [(i, i not in same) for i in found]
            if lettered:
                # 'RE-2026-1387' is compactly 'R 2026 1387', but by its letters 'RE-2026-01387' without zeros.
                letters = _letters(token)
                stripped = side.by_stripped.get(keys[-1], ())
                loose = [i for i in stripped if _letters(self._open[i].invoice.number) == letters]
                if loose:
                    return [(i, True) for i in loose]
        return [(i, False) for i in found]

    def _number_proposals(
        self,
        payer: _Payer,
        hits: dict[int, tuple[str, bool, str]],
        out: dict[tuple[int, ...], Proposal],
        *,
        doubts: list[str],
    ) -> None:
        """Invoices named in the payment: each alone, and together per customer as a collective payment.

        A number found only with its leading zeros dropped ('2026-692') counts less, since short digit
        runs in unrelated texts (dates, tax numbers) produce such keys by chance.
        """
        if not hits:
            return
        by_customer: dict[int, list[_Open]] = {}
        for invoice_id in hits:
            item = self._open[invoice_id]
            by_customer.setdefault(item.invoice.customer_id, []).append(item)
        below = self.config.auto_threshold - _CAP_BELOW_AUTO
        for customer_id, items in by_customer.items():
            support = self._corroboration(payer, customer_id)
            customer = self._customer_name(customer_id)
            found = [
                (
                    W_NUMBER_LOOSE if hits[i.invoice.id][1] else W_NUMBER,
                    _("{number} found in {field}").format(number=i.invoice.number, field=_field(hits[i.invoice.id][0])),
                )
                for i in items
            ]
            for item, number_reason in zip(items, found, strict=True):
                field, _loose, token = hits[item.invoice.id]
                extra = [(W_OTHER_NUMBERS, _("the payment names further invoices"))] if len(items) > 1 else []
                fit = self._fit(payer, [item])
                own, cap, doubt = support, None, ""
                if support[0] < W_NAME:
                    number = item.invoice.number
                    if hits[item.invoice.id][1]:
                        cap = below
                        doubt = _(
                            "{number} is found only without its leading zeros, and the payer is not known for "
                            "{customer}"
                        ).format(number=number, customer=customer)
                    elif word := self._unrelated_word(payer.payment.purpose.lower()):  # 'Erstattung', not the name
                        cap = below
                        doubt = _(
                            "'{word}' hints at a payment without invoice, and the payer is not known for {customer}"
                        ).format(word=word, customer=customer)
                    elif (
                        not _distinctive(number)
                        and self._amount_is_common(payer.side, item.open_cents)
                        and not _called_invoice(getattr(payer.payment, field), token)
                    ):
                        cap = below
                        doubt = _(
                            "{number} may as well be a postcode, customer or tax number, other open invoices have this "
                            "amount too, and the payer is not known for {customer}"
                        ).format(number=number, customer=customer)
                    elif fit.kind == "exact" and len(hits) == 1:
                        # Whoever pays: the exact number and the exact open amount leave no other reading,
                        # unless another number differs only in prefix or zeros ('RE-2026-01553', 'R 2026 1553'),
                        # or the payer is (or is named like) a customer with an open invoice of this amount.
                        twins = payer.side.by_stripped.get(number_keys(number)[-1], ())
                        literal = _literal(hits[item.invoice.id][2]) == _literal(number)
                        own_reading = self._own_fits(payer, number)
                        if len(twins) > 1 and not literal:
                            cap = below
                            doubt = _("{number} differs from {other} only in prefix or leading zeros").format(
                                number=number,
                                other=", ".join(self._open[i].invoice.number for i in twins if i != item.invoice.id),
                            )
                        elif own_reading:
                            cap = below
                            doubt = _("{number} is named, but the payer's own {own} has this amount too").format(
                                number=number, own=_numbers(own_reading)
                            )
                        else:
                            third = _("paid by a third party (the payer is not known for {customer})")
                            own = (0.0, third.format(customer=customer))
                self._add(
                    out, payer, fit, support=own, number=number_reason, extra=extra, named=True, cap=cap, doubt=doubt
                )
                if len(hits) == 1 and support[0] >= W_IBAN and fit.kind == "overpayment" and not fit.weight:
                    self._named_combinations(payer, item, number_reason, support, out, doubts=doubts)
            if len(items) > 1:
                items.sort(key=lambda i: (i.invoice.issued_on, i.invoice.id))
                numbers = ", ".join(i.invoice.number for i in items)
                weight = min(weight for weight, _reason in found)
                together = (weight, _("{numbers} found in the payment").format(numbers=numbers))
                fit = self._fit(payer, items)
                # Named together but not settled together: which of them the payment leaves open is a guess.
                cap = None if fit.kind in _STRONG_FITS else below
                self._add(out, payer, fit, support=support, number=together, named=True, cap=cap)

    def _named_combinations(
        self,
        payer: _Payer,
        item: _Open,
        number: tuple[float, str],
        support: tuple[float, str | None],
        out: dict[tuple[int, ...], Proposal],
        *,
        doubts: list[str],
    ) -> None:
        """One invoice named, several paid: the known payer's other open invoices that make up the rest of the
        amount; booked only when exactly one invoice or one combination of them does."""
        rest = payer.cents - item.open_cents
        customer_id = item.invoice.customer_id
        self._read_customer(payer.side, customer_id)
        amounts = payer.side.amounts_by_customer.get(customer_id, [])
        low, high = bisect_left(amounts, (rest, 0)), bisect_left(amounts, (rest + 1,))
        readings = [
            [other]
            for _cents, invoice_id in amounts[low:high]
            if invoice_id != item.invoice.id and (other := self._usable(invoice_id, payer)) is not None
        ]
        solutions, complete = self._subsets(rest, self._pool(customer_id, payer), without=item)
        readings += solutions
        if not readings:
            return
        unique = complete and len(readings) == 1
        below = self.config.auto_threshold - _CAP_BELOW_AUTO
        customer = self._customer_name(customer_id)
        for reading in readings[:2]:
            combination = sorted([item, *reading], key=lambda i: i.rank)
            extra = []
            if unique:
                text = _(
                    "{number} and the only combination of further open invoices of {customer} that makes up the amount"
                )
                extra.append((W_UNIQUE, text.format(number=item.invoice.number, customer=customer)))
            fit = self._fit(payer, combination)
            self._add(
                out, payer, fit, support=support, number=number, extra=extra, named=True, cap=None if unique else below
            )
        if len(readings) > 1:
            doubts.append(
                _("{number} is named, and with it {first} or {second} add up to {amount}").format(
                    number=item.invoice.number,
                    first=_numbers(readings[0], joiner=" + "),
                    second=_numbers(readings[1], joiner=" + "),
                    amount=_amount_text(payer),
                )
            )
        elif not complete:
            doubts.append(
                _("too many open invoices of {customer} to rule out a combination adding up to {amount}").format(
                    customer=customer, amount=_amount_text(payer)
                )
            )

    def _typo_proposals(
        self,
        payer: _Payer,
        keys: set[str],
        out: dict[tuple[int, ...], Proposal],
        *,
        interactive: bool,
        doubts: list[str],
    ) -> None:
        """Numbers one digit off: booked automatically only when exactly one of them fits the amount and it
        belongs to a payer known by IBAN or learned name; otherwise a hint.

        Dense numbering gives dozens of neighbours per number; a batch scores only those whose amount fits
        or whose customer the payer is known to be, as no other one could rise above a weak hint.
        """
        by_key = payer.side.by_key
        known = self._known_customers(payer)
        seen: set[int] = set()
        candidates: list[tuple[_Open, _Fit]] = []
        for key in sorted(keys):  # not in hash order, which differs between processes: it orders the candidates
            if len(key) not in payer.side.lengths:  # a date or a customer number, not one digit off an invoice's
                continue
            within = None if (len(key), key[:_HEAD]) in payer.side.heads else _HEAD
            # In the order neighbours() gives: a set intersection would order by string hash, which differs
            # from run to run, and so would ties between equally scored proposals.
            for neighbour in filter(by_key.__contains__, neighbours(key, within=within)):
                for invoice_id in by_key[neighbour]:
                    if invoice_id in seen:
                        continue
                    seen.add(invoice_id)
                    item = self._usable(invoice_id, payer)
                    if item is None:
                        continue
                    near = 0 <= item.open_cents - payer.cents <= self._slack(item.open_cents)
                    if interactive or near or item.invoice.customer_id in known:
                        candidates.append((item, self._fit(payer, [item])))
        # Rivals: any invoice one digit away with exactly this amount, and any of the payer's own that fits.
        fitting = [
            item
            for item, fit in candidates
            if fit.kind == "exact" or (fit.kind in _STRONG_FITS and item.invoice.customer_id in known)
        ]
        ambiguous = ""
        if len(fitting) > 1:
            ambiguous = _("{numbers} are each one digit away from the number in the payment and fit the amount").format(
                numbers=_numbers(fitting)
            )
            doubts.append(ambiguous)
        below = self.config.auto_threshold - _CAP_BELOW_AUTO
        for item, fit in candidates:
            support = self._corroboration(payer, item.invoice.customer_id)
            typo = (
                W_TYPO,
                _("{number} nearly found in the payment (one digit differs)").format(number=item.invoice.number),
            )
            extra: list[tuple[float, str]] = []
            unique = fitting == [item] and fit.kind == "exact" and item.invoice.customer_id in known
            if unique:
                extra.append((W_UNIQUE, _("the only open invoice one digit away whose amount fits")))
            certain = support[0] >= W_NAME and fit.kind in _STRONG_FITS and not ambiguous
            doubt = ambiguous if item in fitting else ""
            self._add(
                out,
                payer,
                fit,
                support=support,
                number=typo,
                extra=extra,
                named=False,
                cap=None if certain else below,
                doubt=doubt,
            )

    def _own_fits(self, payer: _Payer, number: str) -> list[_Open]:
        """Open invoices one digit away from `number` that the amount settles (exactly or nearly), of the
        customers the payer is known for or clearly named like: the payer's own invoice, mistyped."""
        near = set(neighbours(number_keys(number)[0]))
        customers = self._known_customers(payer)
        if payer.name:
            customers.update(
                cid for cid, score in self._name_candidates(payer.name, interactive=False) if score >= NAME_STRONG
            )
        found = []
        for customer_id in sorted(customers):
            self._read_customer(payer.side, customer_id)
            amounts = payer.side.amounts_by_customer.get(customer_id, [])
            low, high = bisect_left(amounts, (payer.cents, 0)), bisect_right(amounts, (self._upper(payer.cents) + 1,))
            for cents, invoice_id in amounts[low:high]:
                item = self._usable(invoice_id, payer)
                if item is not None and cents - payer.cents <= self._slack(cents):
                    keys = number_keys(item.invoice.number)
                    if keys and keys[0] in near and self._fit(payer, [item]).kind in _STRONG_FITS:
                        found.append(item)
        return found

    def _known_customers(self, payer: _Payer) -> set[int]:
        """The customers the payer is known to be: by IBAN (master data or learned), learned name or their name."""
        known = set(payer.iban_customers)
        if payer.learned is not None:
            known.add(payer.learned)
        return known | payer.named

    def _customer_proposals(
        self, payer: _Payer, out: dict[tuple[int, ...], Proposal], *, interactive: bool, doubts: list[str]
    ) -> None:
        """No number: the payer's open invoices whose amount fits, alone or as unlisted collective payment.

        Booked automatically only when the payer is known (IBAN or learned name) and exactly one reading fits
        over all customers the payer is known for: one invoice with this open amount (or that amount less
        Skonto or fees) and no combination of others adding up to it, or exactly one combination.
        """
        known = self._known_customers(payer)
        alike = payer.alike - known  # a payer known by name only: customers named alike are rival readings
        customers = set(known)
        if (not customers or interactive) and payer.name:
            customers.update(cid for cid, _score in self._name_candidates(payer.name, interactive=interactive))
        if not customers and not alike:  # most unrelated bookings: nobody to look at
            return
        side = payer.side
        singles: list[tuple[int, tuple[float, str | None], _Fit, _Open]] = []
        pools: list[tuple[int, tuple[float, str | None]]] = []  # customers with open invoices, and support
        # Every customer of a known account (branches, private and business), at most a few found by name.
        ordered = sorted(known)[:_MAX_KNOWN_CUSTOMERS] + sorted(alike) + sorted(customers - known - alike)
        wanted = max(len(known) + len(alike), _MAX_CUSTOMERS_PER_PAYMENT * (2 if interactive else 1))
        for customer_id in ordered[:wanted]:
            self._read_customer(side, customer_id)
            open_ids = side.by_customer.get(customer_id)
            if not open_ids:
                continue
            support = self._corroboration(payer, customer_id)
            if support[0] <= 0 and customer_id not in alike:
                continue
            amounts = side.amounts_by_customer[customer_id]
            low, high = bisect_left(amounts, (payer.cents, 0)), bisect_right(amounts, (self._upper(payer.cents) + 1,))
            for cents, invoice_id in amounts[low:high]:
                item = self._usable(invoice_id, payer)
                if item is not None and cents - payer.cents <= self._slack(cents):
                    fit = self._fit(payer, [item])
                    if fit.kind in _STRONG_FITS:
                        singles.append((customer_id, support, fit, item))
            pools.append((customer_id, support))
        # Uniqueness is judged over the customers the payer is known for (branches paying from one account).
        judged = {cid for cid, _s in pools if cid in known or cid in alike} or {cid for cid, _s in pools}
        rivals = [single for single in singles if single[0] in judged]
        if singles:
            search = interactive or bool(known)
            self._single_proposals(payer, singles, rivals, out, judged=judged, doubts=doubts, search=search)
            return
        found: list[tuple[tuple[float, str | None], list[_Open]]] = []
        incomplete: int | None = None  # a customer the search could not cover
        for customer_id, support in pools:
            if len(side.by_customer[customer_id]) == 1:
                only = self._usable(next(iter(side.by_customer[customer_id])), payer)
                if only is not None:
                    self._add(out, payer, self._fit(payer, [only]), support=support, named=False)
            elif (pool := self._pool(customer_id, payer)).items:
                # A name alone never books a combination: a batch looks for one only briefly, for a suggestion.
                budget = 0 if interactive or customer_id in known else _RIVAL_STEPS
                solutions, done = self._subsets(payer.cents, pool, steps=budget)
                if not done and customer_id in judged:
                    incomplete = customer_id
                found += [(support, solution) for solution in solutions]
        judged_found = [solution for solution in found if solution[1][0].invoice.customer_id in judged]
        unique = incomplete is None and len(judged_found) == 1
        for support, solution in found:
            extra = []
            if unique and solution is judged_found[0][1]:
                text = _("the only combination of {count} open invoices of {customer} that adds up to the amount")
                customer = self._customer_name(solution[0].invoice.customer_id)
                extra.append((W_UNIQUE, text.format(count=len(solution), customer=customer)))
            self._add(out, payer, self._fit(payer, solution), support=support, extra=extra, named=False)
        if len(judged_found) > 1:
            doubts.append(
                _("several combinations of open invoices add up to {amount}: {first} or {second}").format(
                    amount=_amount_text(payer),
                    first=_numbers(judged_found[0][1], joiner=" + "),
                    second=_numbers(judged_found[1][1], joiner=" + "),
                )
            )
        elif incomplete is not None:
            doubts.append(
                _("too many open invoices of {customer} to rule out a combination adding up to {amount}").format(
                    customer=self._customer_name(incomplete), amount=_amount_text(payer)
                )
            )

    def _single_proposals(
        self,
        payer: _Payer,
        singles: list[tuple[int, tuple[float, str | None], _Fit, _Open]],
        rivals: list[tuple[int, tuple[float, str | None], _Fit, _Open]],
        out: dict[tuple[int, ...], Proposal],
        *,
        judged: AbstractSet[int],
        doubts: list[str],
        search: bool,
    ) -> None:
        """Invoices the amount settles alone; one is unique when it is the only one with exactly this open
        amount, or, with none exact, the only one it settles with Skonto or fees and no combination of others
        adds up to the amount either (an exact sum is the better reading of an inexact single).

        Others are the open invoices of every customer in `judged` (the branches paying from one account): two
        of them adding up to the amount are always looked for, longer combinations within a bounded search.
        """
        exact = [rival for rival in rivals if rival[2].kind == "exact"]
        chosen = exact if exact else rivals
        unique: _Open | None = None
        combination: list[_Open] | None = None
        complete = False
        if len(chosen) == 1 and search:
            customer_id, _support, fit, item = chosen[0]
            pool = self._pool(customer_id, payer)
            # An exact single stands unless a combination is found; fees or Skonto need the search completed.
            budget = _RIVAL_STEPS if fit.kind == "exact" else 0
            solutions, complete = self._subsets(payer.cents, pool, limit=1, without=item, steps=budget)
            combination = solutions[0] if solutions else None
            others = sorted(judged - {customer_id})
            for other in others if complete else [customer_id, *others]:
                if combination is None:
                    combination = self._pair(payer, other)
            for other in others if fit.kind != "exact" else ():
                if combination is None and complete:
                    solutions, complete = self._subsets(payer.cents, self._pool(other, payer), limit=1)
                    combination = solutions[0] if solutions else None
            if combination is None and (complete or fit.kind == "exact"):
                unique = item
        for customer_id, support, fit, item in singles:
            extra = []
            if item is unique:
                text = _("the only open invoice of {customer} with this amount")
                extra.append((W_UNIQUE, text.format(customer=self._customer_name(customer_id))))
            self._add(out, payer, fit, support=support, extra=extra, named=False)
        if len(chosen) > 1:
            doubts.append(
                _("{count} open invoices of {customer} fit {amount}: {numbers}").format(
                    count=len(chosen),
                    customer=_join(self._customer_name(cid) for cid, _s, _f, _i in chosen),
                    amount=_amount_text(payer),
                    numbers=_numbers([item for _c, _s, _f, item in chosen]),
                )
            )
        elif combination is not None:
            item = chosen[0][3]
            doubts.append(
                _("{number} fits {amount}, and {numbers} add up to it as well").format(
                    number=item.invoice.number, amount=_amount_text(payer), numbers=_numbers(combination, joiner=" + ")
                )
            )
            support = self._corroboration(payer, combination[0].invoice.customer_id)
            self._add(out, payer, self._fit(payer, combination), support=support, named=False)
        elif chosen and unique is None and search:
            doubts.append(
                _("too many open invoices of {customer} to rule out a combination adding up to {amount}").format(
                    customer=self._customer_name(chosen[0][0]), amount=_amount_text(payer)
                )
            )

    def _pair(self, payer: _Payer, customer_id: int) -> list[_Open] | None:
        """Two open invoices of a customer adding up to the amount, whatever their number: the most common rival
        of a single invoice, found in one pass over the amounts however many are open."""
        self._read_customer(payer.side, customer_id)
        amounts = payer.side.amounts_by_customer.get(customer_id, [])
        low, high = 0, bisect_left(amounts, (payer.cents, 0)) - 1
        while low < high:
            total = amounts[low][0] + amounts[high][0]
            if total == payer.cents:
                first, second = self._usable(amounts[low][1], payer), self._usable(amounts[high][1], payer)
                if first is not None and second is not None:
                    return sorted([first, second], key=lambda i: i.rank)
                low += 1
            elif total < payer.cents:
                low += 1
            else:
                high -= 1
        return None

    def _pool(self, customer_id: int, payer: _Payer) -> _Pool:
        """A customer's usable open invoices below the amount, the candidates of a combination.

        When there are more than the search may take, the oldest are searched for suggestions, and the pool is
        marked incomplete: a combination found among them proves nothing about the others.
        """
        self._read_customer(payer.side, customer_id)
        amounts = payer.side.amounts_by_customer.get(customer_id, [])
        below = bisect_left(amounts, (payer.cents, 0))
        limit = self.config.collective_max_candidates
        if below > limit:  # walk oldest first and stop early, rather than check every invoice of a big customer
            items: list[_Open] = []
            for invoice_id in payer.side.by_customer[customer_id]:
                item = self._open[invoice_id]
                if item.open_cents < payer.cents and self._usable(invoice_id, payer) is not None:
                    items.append(item)
                    if len(items) > limit:
                        return _Pool(items[:limit], complete=False, everything=False)
            return _Pool(items, complete=True, everything=False)
        usable = [found for _cents, invoice_id in amounts[:below] if (found := self._usable(invoice_id, payer))]
        return _Pool(usable, complete=True, everything=len(usable) == len(amounts))

    def _upper(self, cents: int) -> int:
        """The largest open amount a payment of `cents` can settle with discount or fees (see `_slack`)."""
        by_percent = int((cents + 2) / (1 - self._slack_percent)) + 1 if self._slack_percent < 1 else 10**15
        return max(cents + self._tolerance_cents + 2, by_percent)

    def _subsets(
        self, target: int, candidates: _Pool, *, limit: int = 2, without: _Open | None = None, steps: int = 0
    ) -> tuple[list[list[_Open]], bool]:
        """Up to `limit` combinations of 2..N invoices adding up to the target; False if the search was cut short
        (after `steps`, by default the configured bound).

        Every candidate is searched, not the oldest first: which invoices are meant must not depend on order.
        """
        config = self.config
        complete = candidates.complete
        pool = sorted((i for i in candidates.items if i is not without), key=lambda i: (-i.open_cents, i.rank))
        everything = candidates.everything and 2 <= len(pool) <= config.collective_max_invoices
        if everything and sum(i.open_cents for i in pool) == target:
            # Everything that is open: any other combination would leave out a positive amount.
            return [sorted(pool, key=lambda i: i.rank)], True
        prefix = [0]
        for item in pool:
            prefix.append(prefix[-1] + item.open_cents)
        prefix += [prefix[-1]] * config.collective_max_invoices  # so that a bound may look past the end
        descending = [-item.open_cents for item in pool]  # ascending, for bisect: where amounts <= need begin
        solutions: list[list[_Open]] = []
        chosen: list[_Open] = []
        budget = steps or config.collective_max_steps
        steps = 0

        amounts = [item.open_cents for item in pool]
        slots, size = config.collective_max_invoices, len(pool)
        smallest = amounts[-1] if amounts else 0

        def walk(start: int, need: int, depth: int) -> bool:
            """Depth-first search; True stops everything (enough solutions found, or out of steps)."""
            nonlocal steps, complete
            first = bisect_left(descending, -need, start)  # skip the invoices larger than what is needed
            if depth == slots - 1:  # one slot left: only an invoice of exactly what is needed completes it
                for index in range(first, size):
                    steps += 1
                    if amounts[index] != need:
                        break
                    if depth:
                        solutions.append(sorted([*chosen, pool[index]], key=lambda i: i.rank))
                        if len(solutions) >= limit:
                            return True
                if steps > budget:
                    complete = False
                    return True
                return False
            for index in range(first, size):
                steps += 1
                if steps > budget:
                    complete = False
                    return True
                # Sorted largest first: if the free slots filled with the largest left fall short, stop.
                if prefix[index + slots - depth] - prefix[index] < need:
                    return False
                cents = amounts[index]
                chosen.append(pool[index])
                if cents == need:
                    if depth:
                        solutions.append(sorted(chosen, key=lambda i: i.rank))
                    stop = len(solutions) >= limit
                elif need - cents < smallest:  # nothing left is small enough: the search below takes no step
                    stop = False
                else:
                    stop = walk(index + 1, need - cents, depth + 1)
                chosen.pop()
                if stop:
                    return True
            return False

        walk(0, target, 0)
        return solutions, complete

    def _amount_proposals(self, payer: _Payer, out: dict[tuple[int, ...], Proposal]) -> None:
        """Last resort for suggestions: any open invoice with exactly this amount; never booked alone."""
        same = payer.side.by_amount.get(payer.cents, {})
        if self._reads is not None:
            self._reads.buckets.add((payer.side.kind, HEAD, payer.cents))
        if not same or len(same) > _MAX_SAME_AMOUNT:
            return
        oldest = sorted(same, key=self._rank)[:_MAX_AMOUNT_ONLY]  # an amount's index keeps no order
        for invoice_id in oldest:
            item = self._usable(invoice_id, payer)
            if item is not None:
                support = self._corroboration(payer, item.invoice.customer_id)
                self._add(out, payer, self._fit(payer, [item]), support=support, named=False)

    # -- evidence ------------------------------------------------------------------------------------------

    def _corroboration(self, payer: _Payer, customer_id: int) -> tuple[float, str | None]:
        """How strongly the payer (IBAN, learned name, fuzzy name) points to this customer, or away from it."""
        customer = self._customers.get(customer_id)
        name = customer.name if customer else str(customer_id)
        if customer_id in payer.iban_customers:
            return W_IBAN, _("payer IBAN known for {customer}").format(customer=name)
        if customer_id in payer.named:
            return W_LEARNED, _("payer name is that of {customer}").format(customer=name)
        if payer.learned == customer_id:
            return W_LEARNED, _("payer name known for {customer}").format(customer=name)
        if payer.name and customer_id in self._names:
            score = fuzz.token_sort_ratio(payer.name, self._names[customer_id])
            if score >= NAME_STRONG:
                return W_NAME, _("payer name matches {customer}").format(customer=name)
            if score >= NAME_WEAK:
                return W_NAME_WEAK, _("payer name resembles {customer}").format(customer=name)
        if payer.iban_customers:
            return W_CONFLICT, _("payer IBAN belongs to another customer")
        if payer.name and (
            payer.learned is not None
            or payer.named
            or any(score >= NAME_STRONG for _cid, score in self._name_candidates(payer.name, interactive=False))
        ):
            return W_CONFLICT, _("payer name belongs to another customer")
        return 0.0, None

    def _slack(self, open_cents: int) -> int:
        """How far below the open amount a payment may be and still fit exactly, with discount or with fees."""
        return max(self._tolerance_cents, int(open_cents * self._slack_percent)) + 2

    def _fit(self, payer: _Payer, items: list[_Open]) -> _Fit:
        """Exact, cash discount, small shortfall, partial or overpayment, for one or several invoices."""
        config = self.config
        cents = payer.cents
        total = sum(item.open_cents for item in items)
        collective = len(items) > 1
        if cents == total:
            reason = _("amount equals the sum of the invoices") if collective else _("amount equal")
            return _Fit("collective" if collective else "exact", W_EXACT, _full(items), reason)
        if cents < total:
            skonto = self._skonto(payer.payment.booked_on, items, cents)
            if skonto is not None:
                return skonto
            shortfall = total - cents
            tolerance = max(to_cents(config.tolerance_amount), int(total * config.tolerance_percent / 100))
            if shortfall <= tolerance:
                allocations = _full(items)
                last_id, last_cents, _discount = allocations[-1]
                allocations = (*allocations[:-1], (last_id, last_cents - shortfall, shortfall))
                reason = _("short by {amount} (bank fees?)").format(amount=format_amount(from_cents(shortfall)))
                return _Fit("shortfall", W_SHORTFALL, allocations, reason)
            weight = W_PARTIAL if config.multiple_hits else 0.0
            reason = _("partial payment of {amount} on {open} open").format(
                amount=format_amount(from_cents(cents)), open=format_amount(from_cents(total))
            )
            return _Fit("partial", weight, _partial(items, cents), reason)
        surplus = cents - total
        plausible = surplus * 100 <= total * config.overpayment_percent
        reason = _("overpaid by {amount}").format(amount=format_amount(from_cents(surplus)))
        return _Fit("overpayment", W_OVERPAYMENT if plausible else 0.0, _full(items), reason)

    def _skonto(self, booked_on: date, items: list[_Open], cents: int) -> _Fit | None:
        """Cash discount, when every invoice is still untouched and was paid in time."""
        if any(item.open_cents != item.amount_cents for item in items):
            return None
        for rule in self.config.skonto:
            deadline = timedelta(days=rule.days + self.config.skonto_grace_days)
            if any(booked_on > item.invoice.issued_on + deadline for item in items):
                continue
            discounts = [to_cents(from_cents(item.open_cents) * rule.percent / 100) for item in items]
            expected = sum(item.open_cents for item in items) - sum(discounts)
            if abs(expected - cents) <= 2 * len(items):
                allocations = tuple(
                    (item.invoice.id, item.open_cents - discount, discount)
                    for item, discount in zip(items, discounts, strict=True)
                )
                first_id, first_cents, first_discount = allocations[0]
                drift = expected - cents
                allocations = ((first_id, first_cents - drift, first_discount + drift), *allocations[1:])
                reason = _("cash discount {percent} % within {days} days").format(percent=rule.percent, days=rule.days)
                return _Fit("skonto", W_SKONTO, allocations, reason)
        return None

    def _add(
        self,
        out: dict[tuple[int, ...], Proposal],
        payer: _Payer,
        fit: _Fit,
        *,
        support: tuple[float, str | None],
        number: tuple[float, str] | None = None,
        extra: Sequence[tuple[float, str]] = (),
        named: bool,
        cap: float | None = None,
        doubt: str = "",
    ) -> None:
        """Score a fit with its evidence and keep the best proposal per set of invoices.

        Without an exact invoice number, only a payer who clearly is the customer can lift a proposal
        above a modest score, and never a booking whose text says it is no invoice payment ('Erstattung');
        a partial payment with multiple hits switched off is never booked alone.
        """
        lead = ([number] if number else []) + [support]
        score = sum(weight for weight, _reason in (*lead, *extra)) + fit.weight
        notes = [reason for _weight, reason in extra]
        customer = self._customer_name(self._open[fit.allocations[0][0]].invoice.customer_id)
        doubts = [doubt] if doubt else []
        if not named and support[0] < W_NAME:
            score = min(score, _CAP_UNCORROBORATED)
            doubts.append(_("the payer is not known for {customer}").format(customer=customer))
        elif not named and support[0] < W_IBAN and payer.iban_customers:
            text = _("the payer's account is known for {other}, so the name alone does not make it {customer}")
            doubts.append(
                text.format(other=_join(map(self._customer_name, sorted(payer.iban_customers))), customer=customer)
            )
        elif not named and support[0] < W_IBAN and payer.rival:
            text = _("the payer resembles {customer} by name only, and {rival} has a similar name")
            doubts.append(text.format(customer=customer, rival=payer.rival))
        elif not named and support[0] < W_IBAN:
            doubts.append(
                _("the payer resembles {customer} by name only, and is not known by IBAN or a learned name").format(
                    customer=customer
                )
            )
        if support[0] < 0 and support[1]:
            doubts.append(support[1])
        if not named and payer.unrelated_word:
            score = min(score, self.config.auto_threshold - _CAP_BELOW_AUTO)
            note = _("'{word}' hints at a payment without invoice").format(word=payer.unrelated_word)
            notes.append(note)
            doubts.insert(0, note)
        if fit.kind == "partial":
            doubts.append(fit.reason)
            if not self.config.multiple_hits:
                score = min(score, self.config.auto_threshold - _CAP_BELOW_AUTO)
        elif fit.kind == "overpayment" and not fit.weight:
            score = min(score, self.config.auto_threshold - _CAP_BELOW_AUTO)
            doubts.append(fit.reason)
        if cap is not None:
            score = min(score, cap)
        score = round(max(0.0, min(1.0, score)), 3)
        reasons = [reason for _weight, reason in lead if reason] + [fit.reason] + notes
        key = tuple(sorted(invoice_id for invoice_id, _cents, _discount in fit.allocations))
        current = out.get(key)
        if current is None or current.score < score:
            out[key] = Proposal(
                payment_id=payer.payment.id,
                allocations=tuple(
                    Allocation(invoice_id, _money(cents), _money(discount))
                    for invoice_id, cents, discount in fit.allocations
                ),
                score=score,
                reasons=tuple(reasons),
                kind=fit.kind,
                doubt=doubts[0] if doubts else "",
            )

    def _decide(self, payment_id: int, proposals: list[Proposal], *, doubts: list[str], limit: int) -> MatchResult:
        """Auto only above the threshold and with a clear margin over the runner-up; else say why not."""
        config = self.config
        suggestions = tuple(p for p in proposals if p.score >= config.min_suggestion_score)[:limit]
        if not suggestions:
            why = doubts[0] if doubts else _("no invoice number found, and no open invoice of a known payer fits")
            return MatchResult(payment_id, "open", None, (), why)
        best = suggestions[0]
        runner_up = proposals[1].score if len(proposals) > 1 else 0.0
        if best.score >= config.auto_threshold and best.score - runner_up >= config.margin:
            return MatchResult(payment_id, "auto", best, suggestions)
        return MatchResult(payment_id, "suggested", best, suggestions, self._why_not(best, proposals, doubts))

    def _why_not(self, best: Proposal, proposals: list[Proposal], doubts: list[str]) -> str:
        """The one sentence a bookkeeper needs: the rival reading, or what the best proposal lacks."""
        if doubts:
            return doubts[0]
        if best.score >= self.config.auto_threshold and len(proposals) > 1:
            return _("{first} and {second} fit almost equally well").format(
                first=self._proposal_numbers(best), second=self._proposal_numbers(proposals[1])
            )
        if best.doubt:
            return best.doubt
        return _("the evidence for {numbers} is too weak ({score} of {needed} needed)").format(
            numbers=self._proposal_numbers(best),
            score=f"{round(best.score * 100)} %",
            needed=f"{round(self.config.auto_threshold * 100)} %",
        )

    def _proposal_numbers(self, proposal: Proposal) -> str:
        return " + ".join(self._open[a.invoice_id].invoice.number for a in proposal.allocations)

    def _customer_name(self, customer_id: int) -> str:
        customer = self._customers.get(customer_id)
        return customer.name if customer else str(customer_id)


def _distinctive(number: str) -> bool:
    """A number no text contains by chance: with letters or several groups, or six digits and more.

    A bare five-digit number is also a postcode, a customer number or part of a tax number.
    """
    return len(_GROUPS.findall(number.upper())) > 1 or len(number_keys(number)[0]) >= _MIN_DISTINCTIVE_DIGITS


def _swapped(first: str, second: str) -> bool:
    """Whether two names differ only by two neighbouring letters swapped ('Mülelr'), not by a changed letter."""
    return (
        len(first) >= _MIN_SWAPPED_NAME
        and OSA.distance(first, second, score_cutoff=1) == 1
        and Levenshtein.distance(first, second, score_cutoff=2) == 2
    )


def _literal(text: str) -> str:
    """A number as written, prefix included, without separators: 'RE-2026-0042' -> 'RE20260042'."""
    return "".join(_GROUPS.findall(text.upper()))


def _called_invoice(text: str, token: str) -> bool:
    """Whether the text calls the token an invoice number ('Rechnung 01836', 'Rg.Nr. 01836'), not a postcode."""
    at = text.find(token)
    return at > 0 and _INVOICE_WORD.search(text[max(0, at - 20) : at]) is not None


def _letters(text: str) -> str:
    """The letter groups of a number, its prefix: 'RE-2026-0042' -> 'RE'."""
    return "".join(group for group in _GROUPS.findall(text.upper()) if group.isalpha())


def _amount_text(payer: _Payer) -> str:
    """The payment's amount as the reasons show it; formatted only for a reason that is given."""
    return format_amount(from_cents(payer.cents))


def _numbers(items: Sequence[_Open], *, joiner: str = ", ") -> str:
    return joiner.join(item.invoice.number for item in items)


def _join(names: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(names))


def _money(cents: int) -> Decimal:
    """Cents as a two-place Decimal; `from_cents` without its division, which shows in profiles."""
    return Decimal(cents).scaleb(-2)


def _full(items: list[_Open]) -> tuple[tuple[int, int, int], ...]:
    """Allocations that settle every invoice completely."""
    return tuple((item.invoice.id, item.open_cents, 0) for item in items)


def _partial(items: list[_Open], cents: int) -> tuple[tuple[int, int, int], ...]:
    """Oldest invoice first, as German practice (and § 366 BGB without a payer's choice) settles debts."""
    allocations = []
    for item in items:
        if cents <= 0:
            break
        share = min(cents, item.open_cents)
        allocations.append((item.invoice.id, share, 0))
        cents -= share
    return tuple(allocations)


def _field(name: str) -> str:
    """The translated name of a searched payment field, for reasons."""
    return {
        "purpose": _("purpose"),
        "end_to_end_id": _("end-to-end ID"),
        "counterparty_name": _("payer name"),
    }.get(name, name)
