"""Seeded synthetic books of a German SME with the truth, so matching quality can be measured, not guessed.

Customers with GmbH/KG/e.K./UG names, invoices from three billing systems with their own number styles,
supplier invoices (payables), and a bank account whose bookings pay them the many ways real payers do:
exact and reformatted references, typos, no reference at all, installments, collective transfers, Skonto,
bank fees, third-party payers and mangled names, plus bookings that have nothing to do with any invoice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.services.matching import PAYABLE, RECEIVABLE, Customer, Invoice, PayerKnowledge, Payment

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
_FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "KG", "e.K.", "UG (haftungsbeschränkt)", "AG", "OHG")
_PRICES = tuple(Decimal(p) for p in ("49.00 99.00 119.00 238.00 595.00 1190.00 59.50 29.75 357.00 476.00".split()))
_UNRELATED_CREDITS = (
    ("Finanzamt München", "Erstattung Umsatzsteuer {month}/2026 StNr 143/{n3}/{n5}"),
    ("Finanzamt Nürnberg-Süd", "Steuererstattung ESt 2025 {n3}/{n3}/{n5}"),
    ("Allianz Versicherungs-AG", "Schadenregulierung VSNR {n5}-{n3} Schaden {n5}"),
    ("AOK Bayern", "Erstattung U1 Umlage {month}/2026 BNR {n5}{n3}"),
    ("Sparkasse Nürnberg", "Habenzinsen {month}/2026"),
    ("Mitarbeiter Lohnrückbuchung", "Rückbuchung Gehalt {month}/2026 PersNr {n5}"),
    ("PAYONE GmbH", "Kartenumsätze {day}.{month}.2026 Terminal {n5}{n3}"),
    ("Deutsche Rentenversicherung", "Erstattung Beiträge {month}/2026 {n3}-{n5}"),
)
_UNRELATED_DEBITS = (
    ("Finanzamt München", "UStVA {month}/2026 StNr 143/{n3}/{n5}"),
    ("Techniker Krankenkasse", "Beitragsnachweis {month}/2026 BNR {n5}{n3}"),
    ("Vermietung Lindenhof GbR", "Miete {month}/2026 Objekt {n3}"),
    ("Gehalt", "Lohn/Gehalt {month}/2026 PersNr {n5}"),
)

# Share of related payments per scenario; the rest of the requested payments are unrelated bookings.
_SCENARIOS = {
    "exact_reference": 34,
    "reformatted_reference": 16,
    "typo_reference": 4,
    "no_reference_known_iban": 8,
    "no_reference_unknown_iban": 3,
    "installments": 4,
    "collective_listed": 4,
    "collective_unlisted": 2,
    "skonto": 8,
    "short_payment_fees": 4,
    "overpayment": 2,
    "third_party_payer": 3,
    "payable": 8,
}


@dataclass(slots=True)
class Truth:
    """What a payment really pays: invoice ids (empty for unrelated bookings) and the scenario that made it."""

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

    def company_names(self, count: int) -> list[str]:
        rng = self.rng
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < count:
            style = rng.random()
            if style < 0.45:
                name = f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
            elif style < 0.6:
                name = f"{rng.choice(_SURNAMES)} & {rng.choice(_SURNAMES)} {rng.choice(_FORMS)}"
            elif style < 0.75:
                name = f"{rng.choice(_SHOPS)} {rng.choice(_SURNAMES)} e.K."
            elif style < 0.9:
                name = f"{rng.choice(_FANTASY)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
            else:
                name = f"{rng.choice(_FIRST)} {rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"
            if name not in seen:
                seen.add(name)
                names.append(name)
        return names

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
        groups = [g for g in number.replace("/", "-").split("-") if g]
        letters = "".join(c for c in groups[0] if c.isalpha()) if groups else ""
        choice = rng.randrange(5)
        if choice == 0 and letters and len(groups) > 1:
            return "-".join(groups[1:])
        if choice == 1:
            return rng.choice((" ", "/", ".", " / ")).join(groups)
        if choice == 2:
            return "".join(groups)
        if choice == 3:
            return "-".join(g.lstrip("0") or "0" for g in groups)
        return number.lower()

    def typo(self, number: str) -> str:
        """One digit changed, or two neighbouring digits swapped."""
        rng = self.rng
        digits = [i for i, c in enumerate(number) if c.isdigit()]
        chars = list(number)
        swaps = [i for i in digits[:-1] if i + 1 in digits and chars[i] != chars[i + 1]]
        if swaps and rng.random() < 0.5:
            i = rng.choice(swaps)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            i = rng.choice(digits[len(digits) // 2 :])
            chars[i] = rng.choice([d for d in "0123456789" if d != chars[i]])
        return "".join(chars)

    def purpose(self, text: str) -> str:
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
            )
        )
        return template.format(
            n=text, d=f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026", k=rng.randint(10000, 99999)
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
    customer_count = max(10, invoices // 10)
    supplier_count = max(5, customer_count // 10)
    names = gen.company_names(customer_count + supplier_count)
    customers: list[Customer] = []
    payer_ibans: dict[int, str] = {}
    knowledge = PayerKnowledge()
    for index, name in enumerate(names, start=1):
        iban = gen.iban()
        payer_ibans[index] = iban
        supplier = index > customer_count
        where = rng.random()
        master = (iban,) if supplier or where < 0.7 else ()
        if not master and where < 0.85:
            knowledge.customer_by_iban[iban] = index
        customers.append(Customer(index, f"{10000 + index}", name, master))
    weights = [1 / (rank**0.7) for rank in range(1, customer_count + 1)]
    rng.shuffle(weights)

    invoice_list: list[Invoice] = []
    counters = [0, 0, 0]
    supplier_styles = ("INV-{n:06d}", "{y}{n:07d}", "R{yy}-{n:05d}", "{n:08d}")
    for invoice_id in range(1, invoices + 1):
        payable = rng.random() < 0.1
        issued = date(2026, 1, 5) + timedelta(days=rng.randrange(290))
        if rng.random() < 0.25:
            amount = rng.choice(_PRICES)
        else:
            amount = Decimal(str(round(min(rng.lognormvariate(6.0, 1.0), 60000) + 5, 2))).quantize(Decimal("0.01"))
        if payable:
            supplier = rng.randint(customer_count + 1, customer_count + supplier_count)
            style = supplier_styles[supplier % len(supplier_styles)]
            number = style.format(n=rng.randrange(10**5, 10**6) * 10 + supplier % 10, y=2026, yy=26)
            customer_id = supplier
        else:
            customer_id = rng.choices(range(1, customer_count + 1), weights)[0]
            system = rng.choices((0, 1, 2), (60, 25, 15))[0]
            counters[system] += 1
            n = counters[system]
            number = (f"RE-2026-{n:05d}", f"2026/{n:04d}", f"{300000 + n}")[system]
        invoice_list.append(
            Invoice(
                invoice_id,
                number,
                customer_id,
                names[customer_id - 1],
                PAYABLE if payable else RECEIVABLE,
                issued,
                issued + timedelta(days=14),
                amount,
                amount,
            )
        )
    _pay(gen, invoice_list, names=names, payer_ibans=payer_ibans, count=payments)
    return Books(customers, invoice_list, gen.payments, gen.truth, knowledge)


def _pay(
    gen: _Generator, invoices: list[Invoice], *, names: list[str], payer_ibans: dict[int, str], count: int
) -> None:
    """Pay about nine in ten invoices by the scenario mix, then fill up with unrelated bookings."""
    rng = gen.rng
    receivables = [inv for inv in invoices if inv.kind == RECEIVABLE]
    payables = [inv for inv in invoices if inv.kind == PAYABLE]
    rng.shuffle(receivables)
    rng.shuffle(payables)
    open_by_customer: dict[int, list[Invoice]] = {}
    for inv in receivables:
        open_by_customer.setdefault(inv.customer_id, []).append(inv)
    paid: set[int] = set()
    kinds = list(_SCENARIOS)
    budget = int(len(invoices) * 0.9)
    while len(gen.payments) < count and len(paid) < budget and (receivables or payables):
        kind = rng.choices(kinds, [_SCENARIOS[k] for k in kinds])[0]
        if kind == "payable":
            if payables:
                invoice = payables.pop()
                _pay_payable(gen, invoice, names=names, payer_ibans=payer_ibans)
                paid.add(invoice.id)
            continue
        while receivables and receivables[-1].id in paid:
            receivables.pop()
        if not receivables:
            continue
        invoice = receivables.pop()
        group = [invoice]
        if kind.startswith("collective"):
            siblings = [i for i in open_by_customer[invoice.customer_id] if i.id not in paid and i is not invoice]
            group += siblings[: rng.randint(1, 4)]
            if len(group) == 1:
                kind = "exact_reference"
        paid.update(i.id for i in group)
        _pay_receivable(gen, kind, group=group, names=names, payer_ibans=payer_ibans)
    while len(gen.payments) < count:
        _unrelated(gen, payer_ibans=payer_ibans, invoices=invoices)


def _pay_receivable(
    gen: _Generator, kind: str, *, group: list[Invoice], names: list[str], payer_ibans: dict[int, str]
) -> None:
    """One scenario's payments for a group of invoices (one invoice unless the scenario is collective)."""
    rng = gen.rng
    invoice = group[0]
    customer = invoice.customer_id
    iban = payer_ibans[customer]
    payer = gen.payer_name(names[customer - 1])
    booked = max(i.issued_on for i in group) + timedelta(days=rng.randint(3, 45))
    amount = sum((i.open_amount for i in group), Decimal("0"))
    reference = invoice.number
    end_to_end = "NOTPROVIDED"
    if kind == "reformatted_reference":
        reference = gen.reformat(invoice.number)
    elif kind == "typo_reference":
        reference = gen.typo(invoice.number)
    elif kind == "no_reference_known_iban":
        reference = ""
    elif kind == "no_reference_unknown_iban":
        reference = ""
        iban = gen.iban()
    elif kind == "skonto":
        booked = invoice.issued_on + timedelta(days=rng.randint(2, 14))
        amount = amount - (amount * 2 / 100).quantize(Decimal("0.01"))
    elif kind == "short_payment_fees":
        amount -= Decimal(rng.choice(("0.35", "1.50", "2.50", "3.00", "4.90")))
    elif kind == "overpayment":
        amount += Decimal(rng.choice(("0.50", "1.00", "5.00", "10.00")))
    elif kind == "third_party_payer":
        payer = rng.choice(("Steuerbüro Hartmann", "Mutter Holding GmbH", "Hans Meier", "Factoring Bank AG"))
        iban = gen.iban()
    elif kind == "collective_listed":
        reference = ", ".join(i.number for i in group)
    elif kind == "collective_unlisted":
        reference = ""
    if kind == "installments":
        parts = rng.randint(2, 4)
        share = (amount / parts).quantize(Decimal("0.01"))
        for part in range(parts):
            value = share if part < parts - 1 else amount - share * (parts - 1)
            gen.add_payment(
                kind,
                [invoice.id],
                Payment(
                    gen.new_id(),
                    booked + timedelta(days=30 * part),
                    value,
                    payer,
                    iban,
                    f"Rate {part + 1}/{parts} {reference}",
                ),
            )
        return
    if reference and rng.random() < 0.25:
        end_to_end = reference.replace("-", "").replace("/", "").replace(", ", "-")[:35]
    purpose = gen.purpose(reference) if reference else rng.choice(("Danke", "Zahlung", "Überweisung", ""))
    if kind == "collective_unlisted":
        purpose = rng.choice(("Sammelüberweisung", "Ausgleich offene Posten", "Zahlung lt. Aufstellung"))
    gen.add_payment(
        kind, [i.id for i in group], Payment(gen.new_id(), booked, amount, payer, iban, purpose, end_to_end)
    )


def _pay_payable(gen: _Generator, invoice: Invoice, *, names: list[str], payer_ibans: dict[int, str]) -> None:
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
            names[invoice.customer_id - 1],
            payer_ibans[invoice.customer_id],
            f"Rechnung {invoice.number}",
            f"PAY-{invoice.id}",
        ),
    )


def _unrelated(gen: _Generator, *, payer_ibans: dict[int, str], invoices: list[Invoice]) -> None:
    """Tax refunds, insurance, interest, salaries, card settlements: nothing of it may touch an invoice."""
    rng = gen.rng
    debit = rng.random() < 0.4
    name, template = rng.choice(_UNRELATED_DEBITS if debit else _UNRELATED_CREDITS)
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
    if not debit and rng.random() < 0.05:
        customer = rng.choice(list(payer_ibans))
        name, iban, text = "Kunde", payer_ibans[customer], f"Anzahlung Auftrag {rng.randint(1000, 9999)}"
    booked = date(2026, 1, 10) + timedelta(days=rng.randrange(320))
    gen.add_payment("unrelated", [], Payment(gen.new_id(), booked, -amount if debit else amount, name, iban, text))
