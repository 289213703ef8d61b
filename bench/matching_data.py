"""Seeded synthetic books of a German SME with the truth, so matching quality can be measured, not guessed.

The books are built to be hard in the ways real ones are: many customers with similar names, branches of one
company paying from one account, the same person as a private and a business customer, amounts clustered on
round prices, several invoice number schemes per company (prefixes, years, none, numbers that look like dates)
next to postcodes, customer numbers and dates in the same text, payers settling many invoices in one go,
third parties paying someone else's invoice, and bookings that have nothing to do with any invoice. The share
of each kind of payment varies with the seed, so no weight in the engine can be tuned to one mix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.services.matching import PAYABLE, RECEIVABLE, Customer, Invoice, PayerKnowledge, Payment
from app.services.matching.names import normalize_name

_SURNAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause "
    "Meier Lehmann Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung "
    "Hahn Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Ludwig"
).split()
_FIRST = "Anna Jonas Lena Lukas Marie Felix Sophie Paul Mia Elias Hannah Noah Klaus Petra Jürgen Sabine".split()
_TRADES = (
    "Bau Elektrotechnik Haustechnik Metallbau Logistik Transporte Immobilien Gartenbau Software Consulting "
    "Druckerei Maschinenbau Sanitär Dachdeckerei Fliesen Autohaus Medientechnik Steuerberatung Kanzlei Optik "
    "Holzbau Malerbetrieb Feinmechanik Kältetechnik Reinigung Personalservice Verpackung Stahlhandel"
).split()
_SHOPS = "Bäckerei Metzgerei Apotheke Blumenhaus Buchhandlung Getränkemarkt Friseursalon Weinhandel".split()
_FANTASY = "Nordlicht Alpenblick Rheintal Hanse Spree Isar Elbtal Sonnenhof Lindenhof Weserland Taunus".split()
_CITIES = "Nürnberg München Hamburg Bremen Leipzig Köln Dresden Augsburg Erlangen Fürth Kiel Ulm".split()
_FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "KG", "e.K.", "UG (haftungsbeschränkt)", "AG", "OHG")
# A small catalogue: most invoices are one or a few of these, so equal amounts are common, as in real books.
_PRICES = tuple(
    Decimal(p) for p in "49.00 59.50 99.00 119.00 149.00 238.00 297.50 357.00 476.00 595.00 1190.00 2380.00".split()
)
# Invoice number schemes a billing system may use; a data set picks a few of them.
_SCHEMES = (
    "RE-{y}-{n:05d}",  # prefix and year
    "{y}/{n:04d}",  # year, no prefix
    "{big}",  # six digits, no prefix
    "AR{yy}{n:05d}",  # prefix glued to the year
    "{n:05d}",  # five digits: looks like a postcode or a customer number
    "{yy}{mm}{dd}-{n3:03d}",  # looks like a date
    "R {y} {n:04d}",  # spaces
)
_SUPPLIER_SCHEMES = ("INV-{n:06d}", "{y}{n:07d}", "R{yy}-{n:05d}", "{n:08d}")
_UNRELATED_CREDITS = (
    ("Finanzamt München", "Erstattung Umsatzsteuer {month}/2026 StNr 143/{n3}/{n5}"),
    ("Finanzamt Nürnberg-Süd", "Steuererstattung ESt 2025 {n3}/{n3}/{n5}"),
    ("Allianz Versicherungs-AG", "Schadenregulierung VSNR {n5}-{n3} Schaden {n5}"),
    ("AOK Bayern", "Erstattung U1 Umlage {month}/2026 BNR {n5}{n3}"),
    ("Sparkasse Nürnberg", "Habenzinsen {month}/2026"),
    ("Mitarbeiter Lohnrückbuchung", "Rückbuchung Gehalt {month}/2026 PersNr {n5}"),
    ("PAYONE GmbH", "Kartenumsätze {day}.{month}.2026 Terminal {n5}{n3}"),
    ("Deutsche Rentenversicherung", "Erstattung Beiträge {month}/2026 {n3}-{n5}"),
    ("Stadtwerke {city}", "Guthaben Abrechnung {month}/2026 Vertrag {n5}"),
)
_UNRELATED_DEBITS = (
    ("Finanzamt München", "UStVA {month}/2026 StNr 143/{n3}/{n5}"),
    ("Techniker Krankenkasse", "Beitragsnachweis {month}/2026 BNR {n5}{n3}"),
    ("Vermietung Lindenhof GbR", "Miete {month}/2026 Objekt {n3}"),
    ("Gehalt", "Lohn/Gehalt {month}/2026 PersNr {n5}"),
)
_THIRD_PARTIES = ("Steuerbüro Hartmann", "Factoring Bank AG", "Abrechnungszentrum Süd GmbH", "Versicherung Vorsorge AG")

# Base share of related payments per kind; each data set multiplies every share by a seeded factor (0.4-2.5).
_KINDS = {
    "exact_reference": 35,
    "reformatted_reference": 12,
    "typo_reference": 3,
    "typo_reference_unknown_payer": 0.5,
    "no_reference_known_payer": 8,
    "no_reference_unknown_payer": 2,
    "installments": 3,
    "collective_listed": 3,
    "collective_unlisted": 2,
    "skonto": 7,
    "short_payment_fees": 3,
    "overpayment": 1.5,
    "third_party_payer": 3,
    "payable": 8,
}


@dataclass(slots=True)
class Truth:
    """What a payment really pays: invoice ids (empty for unrelated bookings) and the kind that made it."""

    kind: str
    invoice_ids: frozenset[int]


@dataclass(slots=True)
class Books:
    """Everything the engine is given, plus the truth it must not see."""

    customers: list[Customer]
    invoices: list[Invoice]
    payments: list[Payment]
    truth: dict[int, Truth]
    knowledge: PayerKnowledge = field(default_factory=PayerKnowledge)
    shares: dict[str, float] = field(default_factory=dict)  # the kind mix this seed drew


@dataclass(slots=True)
class _Account:
    """Who a customer pays as: the account holder name the bank shows, the IBAN, and what Kontor knows of it."""

    holder: str
    iban: str
    known: bool  # the IBAN is in master data or learned
    name_learned: bool  # the holder name is learned (IBAN may be new)


class _Generator:
    """Keeps the random state and the running counters of one generated data set."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_payment = 1
        self.payments: list[Payment] = []
        self.truth: dict[int, Truth] = {}
        self.iban_counter = 0

    def iban(self) -> str:
        self.iban_counter += 1
        return f"DE{self.rng.randint(10, 99)}{self.rng.randint(10**7, 10**8 - 1)}{self.iban_counter:010d}"

    def company_name(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.4:
            return f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
        if style < 0.55:
            return f"{rng.choice(_SURNAMES)} & {rng.choice(_SURNAMES)} {rng.choice(_FORMS)}"
        if style < 0.7:
            return f"{rng.choice(_SHOPS)} {rng.choice(_SURNAMES)} e.K."
        if style < 0.85:
            return f"{rng.choice(_FANTASY)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
        return f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"

    def payer_name(self, name: str) -> str:
        """The way a bank shows a company name: exact, upper case, transliterated, without legal form, cut."""
        rng = self.rng
        variant = rng.random()
        if variant < 0.35:
            return name
        if variant < 0.55:
            return name.upper()
        if variant < 0.7:
            return name.upper().replace("Ä", "AE").replace("Ö", "OE").replace("Ü", "UE").replace("ß", "SS")
        if variant < 0.8:
            for form in sorted(_FORMS, key=len, reverse=True):
                if name.endswith(" " + form):
                    return name[: -len(form) - 1]
            return name
        if variant < 0.9:
            return name[:27]
        words = name.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        if len(word) > 4:
            i = rng.randrange(1, len(word) - 2)
            words[longest] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return " ".join(words)

    def reformat(self, number: str) -> str:
        """A payer retyping a number: prefix dropped, other separators, none, zeros dropped, lower case."""
        rng = self.rng
        groups = [g for g in number.replace("/", "-").replace(" ", "-").split("-") if g]
        letters = "".join(c for c in groups[0] if c.isalpha()) if groups else ""
        choice = rng.randrange(5)
        if choice == 0 and letters and len(groups) > 1 and groups[0].isalpha():
            return "-".join(groups[1:])
        if choice == 1:
            return rng.choice((" ", "/", ".", " / ")).join(groups)
        if choice == 2:
            return "".join(groups)
        if choice == 3:
            return "-".join(g.lstrip("0") or "0" for g in groups)
        return number.lower()

    def typo(self, number: str) -> str:
        """Two neighbouring digits swapped (most common), or one digit changed."""
        rng = self.rng
        digits = [i for i, c in enumerate(number) if c.isdigit()]
        chars = list(number)
        swaps = [i for i in digits[:-1] if i + 1 in digits and chars[i] != chars[i + 1]]
        if swaps and rng.random() < 0.7:
            i = rng.choice(swaps)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            i = rng.choice(digits[len(digits) // 2 :])
            chars[i] = rng.choice([d for d in "0123456789" if d != chars[i]])
        return "".join(chars)

    def purpose(self, text: str, customer: Customer) -> str:
        """A purpose naming `text`, often next to dates, customer numbers and postcodes."""
        rng = self.rng
        template = rng.choice(
            (
                "{n}",
                "Rechnung {n}",
                "Rg.Nr. {n} vom {d}",
                "RECHNUNG NR. {n} KD-NR. {k}",
                "SVWZ+{n} Danke",
                "Ihre Rechnung {n} / Kunde {k}",
                "Zahlung {n}",
                "{n} {plz} {city}",
                "RG {n} Lieferung {d}",
            )
        )
        return template.format(
            n=text,
            d=f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026",
            k=customer.number,
            plz=f"{rng.randint(1000, 99999):05d}",
            city=rng.choice(_CITIES),
        )

    def no_reference(self, customer: Customer) -> str:
        rng = self.rng
        return rng.choice(
            (
                "Danke",
                "Zahlung",
                "Überweisung",
                "",
                f"Kd-Nr. {customer.number}",
                f"Zahlung {rng.choice(('Januar', 'März', 'Juni', 'Oktober'))}",
                f"{rng.randint(1000, 99999):05d} {rng.choice(_CITIES)}",
                f"Lieferung vom {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026",
            )
        )

    def add_payment(self, kind: str, invoice_ids: list[int], payment: Payment) -> None:
        self.payments.append(payment)
        self.truth[payment.id] = Truth(kind, frozenset(invoice_ids))

    def new_id(self) -> int:
        self.next_payment += 1
        return self.next_payment - 1


def generate(*, invoices: int, payments: int, seed: int = 1) -> Books:
    """Books with `invoices` open items and `payments` bank bookings; deterministic for a seed."""
    gen = _Generator(seed)
    rng = gen.rng
    shares = {kind: weight * rng.uniform(0.4, 2.5) for kind, weight in _KINDS.items()}
    customers, accounts, knowledge, customer_count = _customers(gen, max(10, invoices // 10))
    invoice_list = _invoices(gen, customers, customer_count=customer_count, count=invoices)
    _pay(gen, invoice_list, customers=customers, accounts=accounts, shares=shares, count=payments)
    return Books(customers, invoice_list, gen.payments, gen.truth, knowledge, shares)


def _customers(gen: _Generator, count: int) -> tuple[list[Customer], dict[int, _Account], PayerKnowledge, int]:
    """Customers in families (similar names, branches on one account, private and business), then suppliers."""
    rng = gen.rng
    names: list[str] = []
    shared: dict[int, int] = {}  # customer index -> index whose account it pays from
    seen: set[str] = set()
    while len(names) < count:
        base = gen.company_name()
        if base in seen:
            continue
        family = [base]
        roll = rng.random()
        if roll < 0.12:  # branches of one company, paid centrally
            family += [f"{base} Niederlassung {city}" for city in rng.sample(_CITIES, rng.randint(1, 3))]
        elif roll < 0.2:  # the same person as private and business customer
            person = f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)}"
            family = [person, f"{person} {rng.choice(_TRADES)}"]
        elif roll < 0.35:  # similar names: same surname and trade, another legal form or a suffix
            words = base.split()
            family.append(" ".join(words[:2]) + rng.choice((" Süd", " Nord", " Service GmbH", " Handel KG")))
        first: int | None = None
        for name in family:
            if name in seen:
                continue
            seen.add(name)
            if first is None:
                first = len(names)
            elif roll < 0.12 or (roll < 0.2 and rng.random() < 0.5):  # one account; see _customers' loop below
                shared[len(names)] = first
            names.append(name)
    customer_count = len(names)
    names += [gen.company_name() + " Lieferant" for _ in range(max(5, customer_count // 10))]
    customers: list[Customer] = []
    accounts: dict[int, _Account] = {}
    knowledge = PayerKnowledge()
    for index, name in enumerate(names):
        customer_id = index + 1
        if index in shared and accounts[shared[index] + 1].known:  # a learned name maps to one customer only
            parent = accounts[shared[index] + 1]
            accounts[customer_id] = parent
            master = (parent.iban,) if parent.known else ()
            customers.append(Customer(customer_id, f"{10000 + customer_id}", name, master))
            continue
        iban = gen.iban()
        holder = name if rng.random() < 0.8 else gen.payer_name(name)
        supplier = index >= customer_count
        where = 0.0 if supplier else rng.random()
        known = where < 0.75
        name_learned = 0.75 <= where < 0.87
        if 0.6 <= where < 0.75:
            knowledge.customer_by_iban[iban] = customer_id
        elif name_learned:
            knowledge.customer_by_name[normalize_name(holder)] = customer_id
        master = (iban,) if where < 0.6 else ()
        accounts[customer_id] = _Account(holder, iban, known, name_learned)
        customers.append(Customer(customer_id, f"{10000 + customer_id}", name, master))
    return customers, accounts, knowledge, customer_count


def _invoices(gen: _Generator, customers: list[Customer], *, customer_count: int, count: int) -> list[Invoice]:
    """Receivables from two or three billing systems with their own number schemes, and supplier invoices."""
    rng = gen.rng
    schemes = rng.sample(_SCHEMES, rng.randint(2, 3))
    weights = [1 / (rank**0.8) for rank in range(1, customer_count + 1)]
    rng.shuffle(weights)
    counters = [0] * len(schemes)
    numbers: set[str] = set()
    result: list[Invoice] = []
    for invoice_id in range(1, count + 1):
        payable = rng.random() < 0.1
        issued = date(2026, 1, 5) + timedelta(days=rng.randrange(290))
        if rng.random() < 0.45:
            amount = rng.choice(_PRICES) * rng.choice((1, 1, 1, 2, 3, 5, 10))
        else:
            amount = Decimal(str(round(min(rng.lognormvariate(6.0, 1.0), 60000) + 5, 2))).quantize(Decimal("0.01"))
        if payable:
            customer_id = rng.randint(customer_count + 1, len(customers))
            style = _SUPPLIER_SCHEMES[customer_id % len(_SUPPLIER_SCHEMES)]
            number = style.format(n=rng.randrange(10**5, 10**6) * 10 + customer_id % 10, y=2026, yy=26)
            while number in numbers:
                number += "1"
        else:
            customer_id = rng.choices(range(1, customer_count + 1), weights)[0]
            system = rng.randrange(len(schemes))
            counters[system] += 1
            n = counters[system]
            number = schemes[system].format(
                y=2026,
                yy=26,
                mm=f"{issued.month:02d}",
                dd=f"{issued.day:02d}",
                n=n,
                n3=n % 1000,
                big=300000 + n,
            )
            while number in numbers:  # date-like numbers repeat their counter every thousand invoices
                number += "1"
        numbers.add(number)
        customer = customers[customer_id - 1]
        result.append(
            Invoice(
                invoice_id,
                number,
                customer_id,
                customer.name,
                PAYABLE if payable else RECEIVABLE,
                issued,
                issued + timedelta(days=14),
                amount,
                amount,
            )
        )
    return result


def _pay(
    gen: _Generator,
    invoices: list[Invoice],
    *,
    customers: list[Customer],
    accounts: dict[int, _Account],
    shares: dict[str, float],
    count: int,
) -> None:
    """Pay about nine in ten invoices by the kind mix, then fill up with unrelated bookings."""
    rng = gen.rng
    receivables = [inv for inv in invoices if inv.kind == RECEIVABLE]
    payables = [inv for inv in invoices if inv.kind == PAYABLE]
    rng.shuffle(receivables)
    rng.shuffle(payables)
    open_by_customer: dict[int, list[Invoice]] = {}
    for inv in sorted(receivables, key=lambda i: i.id):
        open_by_customer.setdefault(inv.customer_id, []).append(inv)
    same_amount: dict[tuple[int, Decimal], list[Invoice]] = {}  # (account, amount) -> invoices
    for inv in receivables:
        same_amount.setdefault((id(accounts[inv.customer_id]), inv.amount), []).append(inv)
    paid: set[int] = set()
    kinds = list(shares)
    budget = int(len(invoices) * 0.9)
    while len(gen.payments) < count and len(paid) < budget and (receivables or payables):
        kind = rng.choices(kinds, [shares[k] for k in kinds])[0]
        if kind == "payable":
            if payables:
                invoice = payables.pop()
                _pay_payable(gen, invoice, customers=customers, accounts=accounts)
                paid.add(invoice.id)
            continue
        while receivables and receivables[-1].id in paid:
            receivables.pop()
        if not receivables:
            continue
        invoice = receivables.pop()
        account = accounts[invoice.customer_id]
        known = account.known or account.name_learned
        if kind in ("no_reference_known_payer", "typo_reference", "collective_unlisted") and not known:
            kind = "no_reference_unknown_payer" if kind == "no_reference_known_payer" else "exact_reference"
        group = [invoice]
        if kind.startswith("collective"):
            siblings = [i for i in open_by_customer[invoice.customer_id] if i.id not in paid and i is not invoice]
            if 0 < len(siblings) <= 12 and rng.random() < 0.3:
                group += siblings  # everything that is open
            else:
                most = 7 if kind == "collective_listed" else 5
                group += rng.sample(siblings, min(len(siblings), rng.randint(1, most)))
            if len(group) == 1:
                kind = "exact_reference"
            elif kind == "collective_unlisted" and any(
                len(same_amount[(id(account), i.amount)]) > 1 for i in group
            ):  # another invoice of the same amount could take the place of one paid: no amount can tell them apart
                kind = "collective_unlisted_same_amounts"
        paid.update(i.id for i in group)
        if kind == "no_reference_known_payer":
            twins = same_amount[(id(account), invoice.amount)]
            kind = "no_reference_known_payer" if len(twins) == 1 else "no_reference_same_amount_twice"
        _pay_receivable(gen, kind, group=group, customers=customers, accounts=accounts)
    while len(gen.payments) < count:
        _unrelated(gen, accounts=accounts, invoices=invoices)


def _pay_receivable(
    gen: _Generator, kind: str, *, group: list[Invoice], customers: list[Customer], accounts: dict[int, _Account]
) -> None:
    """One kind's payments for a group of invoices (one invoice unless the kind is collective)."""
    rng = gen.rng
    invoice = group[0]
    customer = customers[invoice.customer_id - 1]
    account = accounts[customer.id]
    iban = account.iban if account.known else gen.iban()
    payer = account.holder if account.name_learned or rng.random() < 0.7 else gen.payer_name(customer.name)
    booked = max(i.issued_on for i in group) + timedelta(days=rng.randint(3, 45))
    amount = sum((i.open_amount for i in group), Decimal("0"))
    reference = invoice.number
    if kind == "reformatted_reference":
        reference = gen.reformat(invoice.number)
        payer = gen.payer_name(customer.name)
    elif kind in ("typo_reference", "typo_reference_unknown_payer"):
        reference = gen.typo(invoice.number)
        if kind == "typo_reference_unknown_payer":
            payer, iban = gen.payer_name(customer.name), gen.iban()
    elif kind.startswith(("no_reference", "collective_unlisted")):  # the same amounts kind too: its name says so
        reference = ""
        if kind == "no_reference_unknown_payer":
            payer, iban = gen.payer_name(customer.name), gen.iban()
    if kind == "no_reference_known_payer" and rng.random() < 0.15:  # Skonto or fees without a reference
        if rng.random() < 0.5:
            booked = invoice.issued_on + timedelta(days=rng.randint(2, 14))
            amount = amount - (amount * 2 / 100).quantize(Decimal("0.01"))
        else:
            amount -= Decimal(rng.choice(("0.35", "1.50", "2.50")))
    if kind == "skonto":
        booked = invoice.issued_on + timedelta(days=rng.randint(2, 14))
        amount = amount - (amount * 2 / 100).quantize(Decimal("0.01"))
    elif kind == "short_payment_fees":
        amount -= Decimal(rng.choice(("0.35", "1.50", "2.50", "3.00", "4.90")))
    elif kind == "overpayment":
        amount += Decimal(rng.choice(("0.50", "1.00", "5.00", "10.00")))
    elif kind == "third_party_payer":
        payer, iban = _third_party(gen, customer, customers=customers, accounts=accounts)
    elif kind == "collective_listed":
        reference = rng.choice((", ", " ", "; ")).join(i.number for i in group)
    if kind == "installments":
        parts = rng.randint(2, 4)
        share = (amount / parts).quantize(Decimal("0.01"))
        for part in range(parts):
            value = share if part < parts - 1 else amount - share * (parts - 1)
            text = f"Rate {part + 1}/{parts} {reference}"
            gen.add_payment(
                kind, [invoice.id], Payment(gen.new_id(), booked + timedelta(days=30 * part), value, payer, iban, text)
            )
        return
    end_to_end = "NOTPROVIDED"
    if reference and rng.random() < 0.25:
        end_to_end = reference.replace("-", "").replace("/", "").replace(", ", "-").replace(" ", "")[:35]
    purpose = gen.purpose(reference, customer) if reference else gen.no_reference(customer)
    if kind.startswith("collective_unlisted"):
        purpose = rng.choice(("Sammelüberweisung", "Ausgleich offene Posten", "Zahlung lt. Aufstellung", "Danke"))
    gen.add_payment(
        kind, [i.id for i in group], Payment(gen.new_id(), booked, amount, payer, iban, purpose, end_to_end)
    )


def _third_party(
    gen: _Generator, customer: Customer, *, customers: list[Customer], accounts: dict[int, _Account]
) -> tuple[str, str]:
    """A parent company that is a customer itself, a relative, or a service company; never the customer."""
    rng = gen.rng
    roll = rng.random()
    if roll < 0.4:
        other = rng.choice(customers)
        while other.id == customer.id or accounts[other.id] is accounts[customer.id]:
            other = rng.choice(customers)
        account = accounts[other.id]
        return account.holder, account.iban
    if roll < 0.6:
        surname = next((word for word in customer.name.split() if word in _SURNAMES), rng.choice(_SURNAMES))
        return f"{rng.choice(_FIRST)} {surname}", gen.iban()
    return rng.choice(_THIRD_PARTIES), gen.iban()


def _pay_payable(
    gen: _Generator, invoice: Invoice, *, customers: list[Customer], accounts: dict[int, _Account]
) -> None:
    """We pay a supplier: a debit with the supplier's own invoice number, sometimes minus Skonto."""
    rng = gen.rng
    amount = invoice.open_amount
    booked = invoice.issued_on + timedelta(days=rng.randint(5, 30))
    if booked <= invoice.issued_on + timedelta(days=14) and rng.random() < 0.3:
        amount -= (amount * 2 / 100).quantize(Decimal("0.01"))
    gen.add_payment(
        "payable",
        [invoice.id],
        Payment(
            gen.new_id(),
            booked,
            -amount,
            customers[invoice.customer_id - 1].name,
            accounts[invoice.customer_id].iban,
            f"Rechnung {invoice.number}",
            f"PAY-{invoice.id}",
        ),
    )


def _unrelated(gen: _Generator, *, accounts: dict[int, _Account], invoices: list[Invoice]) -> None:
    """Tax refunds, insurance, interest, salaries, card settlements: nothing of it may touch an invoice."""
    rng = gen.rng
    debit = rng.random() < 0.4
    name, template = rng.choice(_UNRELATED_DEBITS if debit else _UNRELATED_CREDITS)
    name = name.format(city=rng.choice(_CITIES))
    text = template.format(
        month=f"{rng.randint(1, 12):02d}",
        day=f"{rng.randint(1, 28):02d}",
        n3=f"{rng.randint(0, 999):03d}",
        n5=f"{rng.randint(0, 99999):05d}",
    )
    iban = gen.iban()
    if rng.random() < 0.3:
        amount = rng.choice(invoices).amount
    else:
        amount = Decimal(str(round(rng.lognormvariate(6.0, 1.2), 2))).quantize(Decimal("0.01"))
    if not debit and rng.random() < 0.08:  # a customer's advance or refund: known payer, no invoice
        account = accounts[rng.choice(list(accounts))]
        word = rng.choice(("Anzahlung Auftrag", "Kaution Objekt", "Erstattung Gutschrift"))
        name, iban, text = account.holder, account.iban, f"{word} {rng.randint(1000, 9999)}"
    booked = date(2026, 1, 10) + timedelta(days=rng.randrange(320))
    gen.add_payment("unrelated", [], Payment(gen.new_id(), booked, -amount if debit else amount, name, iban, text))
