"""The reconciliation engine: indexes open invoices once, then proposes and scores bookings for each payment.

Candidates come only from indexes (number keys, payer IBAN, payer name, amount), never from all pairs,
so a run over 100k payments stays linear. Precision comes first: a payment is booked automatically only
when the best proposal clears the threshold and no other proposal comes close.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice

from rapidfuzz import fuzz, process

from app.services.formatting import format_amount, from_cents, to_cents
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
from app.services.matching.names import normalize_iban, normalize_name
from app.services.matching.numbers import (
    compile_patterns,
    neighbours,
    number_keys,
    tokens,
)

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
W_UNIQUE = 0.3
W_OTHER_NUMBERS = -0.2
NAME_STRONG = 90.0
NAME_WEAK = 80.0
_CAP_UNCORROBORATED = 0.5
_CAP_BELOW_AUTO = 0.05
_MIN_TYPO_KEY = 6
_HEAD = 3  # a typo that leaves these first characters alone keeps a beginning some invoice number has
_NAME_TOKEN_MAX_CUSTOMERS = 200
_MAX_CUSTOMERS_PER_PAYMENT = 3
_MAX_AMOUNT_ONLY = 10
_MAX_SAME_AMOUNT = 50
_ISSUED_AFTER_BOOKING = timedelta(days=7)
_STRONG_FITS = frozenset({"exact", "skonto", "shortfall", "collective"})
_NOBODY: frozenset[int] = frozenset()


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
class _Payer:
    """What one payment tells about who paid and how much."""

    payment: Payment
    cents: int
    side: _Side
    iban_customers: AbstractSet[int]
    name: str
    learned: int | None
    issued_by: date  # invoices issued later cannot be meant
    unrelated_word: str | None  # e.g. 'Erstattung': without an invoice number, never booked automatically


class _Side:
    """The indexes of one kind of invoice (receivables for credits, payables for debits)."""

    __slots__ = ("by_key", "heads", "by_customer", "amounts_by_customer", "by_amount")

    def __init__(self) -> None:
        self.by_key: dict[str, list[int]] = {}
        self.heads: set[tuple[int, str]] = set()  # (length, first characters) of every compact key
        self.by_customer: dict[int, dict[int, None]] = {}  # open invoices only, oldest first
        self.amounts_by_customer: dict[int, list[tuple[int, int]]] = {}  # sorted (open cents, invoice id)
        self.by_amount: dict[int, dict[int, None]] = {}  # open cents -> invoice ids, O(1) removal


class Matcher:
    """Built once per run from plain values; `match_all` books the certain cases and ranks the rest."""

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
        self._sides = {RECEIVABLE: _Side(), PAYABLE: _Side()}
        self._open: dict[int, _Open] = {}
        # Oldest first, so that a customer's open invoices iterate in date order (collective search).
        for rank, invoice in enumerate(sorted(invoice_list, key=lambda inv: (inv.issued_on, inv.id))):
            self._add_invoice(invoice, rank)
        for side in self._sides.values():
            for amounts in side.amounts_by_customer.values():
                amounts.sort()
        self._names = {cid: normalize_name(customer.name) for cid, customer in self._customers.items()}
        self._by_name: dict[str, list[int]] = {}
        self._by_name_token: dict[str, list[int]] = {}
        for cid, name in self._names.items():
            self._by_name.setdefault(name, []).append(cid)
            for word in set(name.split()):
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
        return self._decide(payment.id, self._proposals(payment, interactive=False), limit=10)

    def suggest(self, payment: Payment, limit: int = 10) -> tuple[Proposal, ...]:
        """Ranked proposals for the Map dialog, searching payer names more widely than a batch run does."""
        return self._decide(payment.id, self._proposals(payment, interactive=True), limit=limit).suggestions

    def match_all(self, payments: Sequence[Payment]) -> list[MatchResult]:
        """Match in booking order and book each automatic result at once, so installments see what is left.

        A second pass retries the suggestions whose invoices were booked meanwhile, as a rival candidate
        may have gone.
        """
        results: dict[int, MatchResult] = {}
        touched: set[int] = set()
        todo = sorted(payments, key=lambda p: (p.booked_on, p.id))
        for _round in range(2):
            for payment in todo:
                result = self.match(payment)
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

    def open_cents(self) -> dict[int, int]:
        """What is open on every invoice as this matcher stands, by invoice id."""
        return {invoice_id: item.open_cents for invoice_id, item in self._open.items()}

    def set_open_cents(self, invoice_id: int, cents: int) -> None:
        """Bring one invoice in line with the books (allocated or undone elsewhere) without a rebuild."""
        item = self._open[invoice_id]
        if cents != item.open_cents:
            self._move(item, max(0, cents))

    def _move(self, item: _Open, cents: int) -> None:
        """Re-index an invoice under its new open amount; the indexes stay as a fresh build would order them."""
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
            self._insert_ranked(side.by_amount.setdefault(cents, {}), item)
            insort(side.amounts_by_customer.setdefault(customer_id, []), (cents, invoice_id))
            if not was_open:
                self._insert_ranked(side.by_customer.setdefault(customer_id, {}), item)

    def _insert_ranked(self, index: dict[int, None], item: _Open) -> None:
        """Add an invoice to an oldest-first index; appending is right unless an older invoice comes back."""
        if index and self._open[next(reversed(index))].rank > item.rank:
            ordered = sorted([*index, item.invoice.id], key=lambda invoice_id: self._open[invoice_id].rank)
            index.clear()
            index.update(dict.fromkeys(ordered))
        else:
            index[item.invoice.id] = None

    # -- indexes -------------------------------------------------------------------------------------------

    def _add_invoice(self, invoice: Invoice, rank: int) -> None:
        """Index one invoice under its number keys and, while open, under customer and amount."""
        side = self._sides[invoice.kind]
        keys = number_keys(invoice.number)
        if keys:
            side.heads.add((len(keys[0]), keys[0][:_HEAD]))
        item = _Open(invoice, to_cents(invoice.open_amount), to_cents(invoice.amount), rank)
        self._open[invoice.id] = item
        for key in keys:
            side.by_key.setdefault(key, []).append(invoice.id)
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
            blocks = sorted(
                (self._by_name_token[word] for word in set(name.split()) if word in self._by_name_token),
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
            word = self._unrelated_word(payment.counterparty_name.lower())
            known = self._payers[payment.counterparty_name] = (name, learned, word)
        name, learned, word_in_name = known
        iban = normalize_iban(payment.counterparty_iban)
        iban_customers = self._iban_customers.get(iban, _NOBODY) if iban else _NOBODY
        return _Payer(
            payment=payment,
            cents=abs(cents),
            side=self._sides[RECEIVABLE if cents > 0 else PAYABLE],
            iban_customers=iban_customers,
            name=name,
            learned=learned,
            issued_by=payment.booked_on + _ISSUED_AFTER_BOOKING,
            unrelated_word=self._unrelated_word(payment.purpose.lower()) or word_in_name,
        )

    def _unrelated_word(self, lowered: str) -> str | None:
        """The first configured word in a lower-cased text that marks a booking without invoice."""
        for word, folded in self._unrelated_words:
            if folded in lowered:
                return word
        return None

    def _usable(self, invoice_id: int, payer: _Payer) -> _Open | None:
        """An invoice a payment may settle: still open, same currency, not issued long after the booking."""
        item = self._open[invoice_id]
        invoice = item.invoice
        if item.open_cents <= 0 or invoice.issued_on > payer.issued_by or invoice.currency != payer.payment.currency:
            return None
        return item

    def _proposals(self, payment: Payment, *, interactive: bool) -> list[Proposal]:
        """Numbers first; typos, the payer's invoices and bare amounts only where the numbers gave no answer."""
        payer = self._payer(payment)
        if payer is None:
            return []
        proposals: dict[tuple[int, ...], Proposal] = {}
        hits: dict[int, tuple[str, bool]] = {}  # invoice id -> field, found only without leading zeros
        closed_hit = False
        typo_keys: set[str] = set()
        for field in self.config.search_fields:
            for token in tokens(self._number_re, getattr(payment, field)):
                keys = number_keys(token)
                for loose, key in enumerate(keys):
                    found = payer.side.by_key.get(key, ())
                    for invoice_id in found:
                        if self._usable(invoice_id, payer) is None:
                            closed_hit = True
                        elif invoice_id not in hits or hits[invoice_id][1]:
                            hits[invoice_id] = (field, bool(loose))
                    if found:
                        break
                if keys and len(keys[0]) >= _MIN_TYPO_KEY:
                    typo_keys.add(keys[0])
        self._number_proposals(payer, hits, proposals)
        # A typo often yields another existing number (numbering is dense): look for the intended one.
        threshold = self.config.auto_threshold
        if typo_keys and not any(p.kind in _STRONG_FITS or p.score >= threshold for p in proposals.values()):
            self._typo_proposals(payer, typo_keys, proposals, interactive=interactive)
        # A number of a paid invoice means a duplicate or a mistake: the payer's other invoices are no answer.
        if not hits and not closed_hit:
            self._customer_proposals(payer, proposals, interactive=interactive)
            if interactive or not proposals:
                self._amount_proposals(payer, proposals)
        if len(proposals) < 2:
            return list(proposals.values())
        return sorted(proposals.values(), key=lambda p: (-p.score, [a.invoice_id for a in p.allocations]))

    def _number_proposals(
        self, payer: _Payer, hits: dict[int, tuple[str, bool]], out: dict[tuple[int, ...], Proposal]
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
        for customer_id, items in by_customer.items():
            support = self._corroboration(payer, customer_id)
            found = [
                (
                    W_NUMBER_LOOSE if hits[i.invoice.id][1] else W_NUMBER,
                    _("{number} found in {field}").format(number=i.invoice.number, field=_field(hits[i.invoice.id][0])),
                )
                for i in items
            ]
            for item, number_reason in zip(items, found, strict=True):
                extra = [(W_OTHER_NUMBERS, _("the payment names further invoices"))] if len(items) > 1 else []
                fit = self._fit(payer, [item])
                self._add(out, payer, fit, support=support, number=number_reason, extra=extra, named=True)
            if len(items) > 1:
                items.sort(key=lambda i: (i.invoice.issued_on, i.invoice.id))
                numbers = ", ".join(i.invoice.number for i in items)
                weight = min(weight for weight, _reason in found)
                number = (weight, _("{numbers} found in the payment").format(numbers=numbers))
                self._add(out, payer, self._fit(payer, items), support=support, number=number, named=True)

    def _typo_proposals(
        self, payer: _Payer, keys: set[str], out: dict[tuple[int, ...], Proposal], *, interactive: bool
    ) -> None:
        """Numbers one digit off: a hint only, booked automatically only with amount and payer agreeing.

        Dense numbering gives dozens of neighbours per number; a batch scores only those whose amount fits
        or whose customer the payer is known to be, as no other one could rise above a weak hint.
        """
        by_key = payer.side.by_key
        known = set(payer.iban_customers) | ({payer.learned} if payer.learned is not None else set())
        seen: set[int] = set()
        for key in keys:
            within = None if (len(key), key[:_HEAD]) in payer.side.heads else _HEAD
            # In the order neighbours() gives: a set intersection would order by string hash, which differs
            # from run to run, and so would ties between equally scored proposals.
            for neighbour in [n for n in neighbours(key, within=within) if n in by_key]:
                for invoice_id in by_key[neighbour]:
                    if invoice_id in seen:
                        continue
                    seen.add(invoice_id)
                    item = self._usable(invoice_id, payer)
                    if item is None:
                        continue
                    near = 0 <= item.open_cents - payer.cents <= self._slack(item.open_cents)
                    if not (interactive or near or item.invoice.customer_id in known):
                        continue
                    fit = self._fit(payer, [item])
                    support = self._corroboration(payer, item.invoice.customer_id)
                    typo = (
                        W_TYPO,
                        _("{number} nearly found in the payment (one digit differs)").format(
                            number=item.invoice.number
                        ),
                    )
                    certain = support[0] >= W_NAME and fit.kind in _STRONG_FITS
                    cap = None if certain else self.config.auto_threshold - _CAP_BELOW_AUTO
                    self._add(out, payer, fit, support=support, number=typo, named=False, cap=cap)

    def _customer_proposals(self, payer: _Payer, out: dict[tuple[int, ...], Proposal], *, interactive: bool) -> None:
        """No number: the payer's open invoices whose amount fits, alone or as unlisted collective payment."""
        customers = set(payer.iban_customers)
        if payer.learned is not None:
            customers.add(payer.learned)
        if (not customers or interactive) and payer.name:
            customers.update(cid for cid, _score in self._name_candidates(payer.name, interactive=interactive))
        side = payer.side
        for customer_id in sorted(customers)[: _MAX_CUSTOMERS_PER_PAYMENT * (2 if interactive else 1)]:
            open_ids = side.by_customer.get(customer_id)
            if not open_ids:
                continue
            support = self._corroboration(payer, customer_id)
            if support[0] <= 0:
                continue
            amounts = side.amounts_by_customer[customer_id]
            low, high = bisect_left(amounts, (payer.cents, 0)), bisect_right(amounts, (self._upper(payer.cents) + 1,))
            strong = []
            for cents, invoice_id in amounts[low:high]:
                item = self._usable(invoice_id, payer)
                if item is not None and cents - payer.cents <= self._slack(cents):
                    fit = self._fit(payer, [item])
                    if fit.kind in _STRONG_FITS:
                        strong.append(fit)
            name = self._customers[customer_id].name if customer_id in self._customers else str(customer_id)
            if len(strong) == 1:
                unique = (
                    W_UNIQUE,
                    _("the only open invoice of {customer} with this amount").format(customer=name),
                )
                self._add(out, payer, strong[0], support=support, extra=[unique], named=False)
            for fit in strong if len(strong) > 1 else ():
                self._add(out, payer, fit, support=support, named=False)
            if strong:
                continue
            oldest = self._oldest(open_ids, payer)
            if len(oldest) == 1:
                self._add(out, payer, self._fit(payer, oldest), support=support, named=False)
            elif oldest:
                self._collective_search(payer, oldest, support=support, customer=name, out=out)

    def _oldest(self, open_ids: dict[int, None], payer: _Payer) -> list[_Open]:
        """The customer's oldest usable open invoices, one more than the collective search may use."""
        items = []
        for invoice_id in open_ids:
            item = self._usable(invoice_id, payer)
            if item is not None:
                items.append(item)
                if len(items) > self.config.collective_max_candidates:
                    break
        return items

    def _upper(self, cents: int) -> int:
        """The largest open amount a payment of `cents` can settle with discount or fees (see `_slack`)."""
        by_percent = int((cents + 2) / (1 - self._slack_percent)) + 1 if self._slack_percent < 1 else 10**15
        return max(cents + self._tolerance_cents + 2, by_percent)

    def _collective_search(
        self,
        payer: _Payer,
        items: list[_Open],
        *,
        support: tuple[float, str | None],
        customer: str,
        out: dict[tuple[int, ...], Proposal],
    ) -> None:
        """Bounded subset sum over a customer's open invoices; booked only if exactly one combination fits."""
        solutions, complete = self._subsets(payer.cents, items)
        unique = complete and len(solutions) == 1
        for solution in solutions:
            extra = []
            if unique:
                extra.append(
                    (
                        W_UNIQUE,
                        _(
                            "the only combination of {count} open invoices of {customer} that adds up to the amount"
                        ).format(count=len(solution), customer=customer),
                    )
                )
            self._add(out, payer, self._fit(payer, solution), support=support, extra=extra, named=False)

    def _subsets(self, target: int, items: list[_Open]) -> tuple[list[list[_Open]], bool]:
        """Up to two combinations of 2..N of the oldest invoices adding up to the target; False if cut short."""
        config = self.config
        complete = len(items) <= config.collective_max_candidates
        pool = sorted(
            (i for i in items[: config.collective_max_candidates] if i.open_cents < target),
            key=lambda i: -i.open_cents,
        )
        prefix = [0]
        for item in pool:
            prefix.append(prefix[-1] + item.open_cents)
        prefix += [prefix[-1]] * config.collective_max_invoices  # so that a bound may look past the end
        solutions: list[list[_Open]] = []
        chosen: list[_Open] = []
        steps = 0

        def walk(start: int, need: int) -> bool:
            """Depth-first search; True stops everything (two solutions found, or out of steps)."""
            nonlocal steps, complete
            for index in range(start, len(pool)):
                steps += 1
                if steps > config.collective_max_steps:
                    complete = False
                    return True
                # Sorted largest first: if the next free slots filled with the largest left fall short, stop.
                if prefix[index + config.collective_max_invoices - len(chosen)] - prefix[index] < need:
                    return False
                cents = pool[index].open_cents
                if cents > need:
                    continue
                chosen.append(pool[index])
                if cents == need:
                    if len(chosen) >= 2:
                        solutions.append(list(chosen))
                    stop = len(solutions) >= 2
                elif len(chosen) < config.collective_max_invoices:
                    stop = walk(index + 1, need - cents)
                else:
                    stop = False
                chosen.pop()
                if stop:
                    return True
            return False

        walk(0, target)
        return solutions, complete

    def _amount_proposals(self, payer: _Payer, out: dict[tuple[int, ...], Proposal]) -> None:
        """Last resort for suggestions: any open invoice with exactly this amount; never booked alone."""
        same = payer.side.by_amount.get(payer.cents, {})
        if len(same) > _MAX_SAME_AMOUNT:
            return
        for invoice_id in islice(same, _MAX_AMOUNT_ONLY):
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
    ) -> None:
        """Score a fit with its evidence and keep the best proposal per set of invoices.

        Without an exact invoice number, only a payer who clearly is the customer can lift a proposal
        above a modest score, and never a booking whose text says it is no invoice payment ('Erstattung');
        a partial payment with multiple hits switched off is never booked alone.
        """
        lead = ([number] if number else []) + [support]
        score = sum(weight for weight, _reason in (*lead, *extra)) + fit.weight
        notes = [reason for _weight, reason in extra]
        if not named and support[0] < W_NAME:
            score = min(score, _CAP_UNCORROBORATED)
        if not named and payer.unrelated_word:
            score = min(score, self.config.auto_threshold - _CAP_BELOW_AUTO)
            notes.append(_("'{word}' hints at a payment without invoice").format(word=payer.unrelated_word))
        if fit.kind == "partial" and not self.config.multiple_hits:
            score = min(score, self.config.auto_threshold - _CAP_BELOW_AUTO)
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
            )

    def _decide(self, payment_id: int, proposals: list[Proposal], *, limit: int) -> MatchResult:
        """Auto only above the threshold and with a clear margin over the runner-up."""
        config = self.config
        suggestions = tuple(p for p in proposals if p.score >= config.min_suggestion_score)[:limit]
        if not suggestions:
            return MatchResult(payment_id, "open", None, ())
        best = suggestions[0]
        runner_up = proposals[1].score if len(proposals) > 1 else 0.0
        certain = best.score >= config.auto_threshold and best.score - runner_up >= config.margin
        return MatchResult(payment_id, "auto" if certain else "suggested", best, suggestions)


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
