"""Issue 15's rules: what the evidence allows to book automatically, and the 'why not' for everything else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select
from statement_files import Booking, mt940

from app.models.schema import Allocation, LearnedPayer, Transaction
from app.services.invoices.importing import import_invoices
from app.services.matching import Customer, Invoice, Matcher, MatchResult, PayerKnowledge, Payment
from app.services.matching.model import RECEIVABLE
from app.services.reconciliation.allocations import why_not_automatic
from app.services.reconciliation.automatic import after_statement_import
from app.services.statements.importing import import_statement_files

MUELLER = Customer(1, "10001", "Müller Bau GmbH", ("DE11111111111111111111",))
SCHMIDT = Customer(2, "10002", "Schmidt & Söhne KG", ("DE22222222222222222222",))
HOLDING = Customer(3, "10003", "Nordlicht Holding AG", ("DE33333333333333333333",))
WEBER = Customer(4, "10004", "Bäckerei Weber e.K.", ())
NORD = Customer(5, "10005", "Müller Bau GmbH Niederlassung Kiel", ("DE11111111111111111111",))
CUSTOMERS = [MUELLER, SCHMIDT, HOLDING, WEBER, NORD]
ISSUED = date(2026, 3, 2)


def invoice(invoice_id: int, number: str, customer: Customer, amount: str, *, issued_on: date = ISSUED) -> Invoice:
    value = Decimal(amount)
    return Invoice(invoice_id, number, customer.id, customer.name, RECEIVABLE, issued_on, None, value, value)


def payment(
    amount: str, purpose: str = "", *, name: str = "Unbekannt", iban: str = "DE00000000000000000000", pid: int = 1
) -> Payment:
    return Payment(pid, date(2026, 3, 20), Decimal(amount), name, iban, purpose)


def booked(result: MatchResult) -> set[int]:
    assert result.status == "auto", (result.status, result.why_not)
    assert result.best is not None
    return {allocation.invoice_id for allocation in result.best.allocations}


def suggested(result: MatchResult) -> list[set[int]]:
    assert result.status == "suggested", (result.status, result.best)
    assert result.why_not
    return [{allocation.invoice_id for allocation in proposal.allocations} for proposal in result.suggestions]


# -- exact number and exact amount, whoever pays ------------------------------------------------------------


def test_exact_number_and_amount_from_another_customers_account_is_booked_as_third_party() -> None:
    invoices = [invoice(1, "RE-2026-00042", MUELLER, "1190.00"), invoice(2, "RE-2026-00077", HOLDING, "500.00")]
    result = Matcher(invoices, CUSTOMERS).match(
        payment("1190.00", "Rechnung RE-2026-00042", name="Nordlicht Holding AG", iban=HOLDING.ibans[0])
    )
    assert booked(result) == {1}
    assert any("paid by a third party" in reason for reason in result.best.reasons)


def test_third_party_payment_is_not_learned_as_the_customers_payer(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "third.kontor", "pw", company_name="Abgleich GmbH")
    (tmp_path / "invoices.csv").write_text(
        "Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto\n"
        "RE-2026-0042;Müller Metallbau GmbH;K10001;DE02120300000000202051;02.03.2026;16.03.2026;1.190,00\n"
        "RE-2026-0043;Müller Metallbau GmbH;K10001;;03.03.2026;17.03.2026;480,00\n",
        encoding="utf-8",
    )
    import_invoices(ledger, tmp_path / "invoices.csv", actor="test")
    factoring = "DE27100777770209299700"
    bookings = [
        Booking(date(2026, 3, 10), Decimal("1190.00"), "Factoring Bank AG", factoring, "RE-2026-0042 Mueller"),
        Booking(date(2026, 3, 12), Decimal("480.00"), "Factoring Bank AG", factoring, "Zahlung"),
    ]
    statement = tmp_path / "march.sta"
    statement.write_text(mt940("DE89370400440532013000", bookings, opening=Decimal("0")), encoding="utf-8")
    [imported] = import_statement_files(ledger, [statement], actor="test", after_import=after_statement_import("t"))
    assert imported.ok, imported.error
    with ledger.session() as session:
        first, second = session.scalars(select(Transaction).order_by(Transaction.id)).all()
        assert first.reconciliation == "matched"
        assert session.scalar(select(func.count()).select_from(LearnedPayer)) == 0
        # The factoring bank's next payment without a number is no payment of Müller's.
        assert second.reconciliation == "open"
        allocated = select(func.count()).select_from(Allocation).where(Allocation.transaction_id == second.id)
        assert session.scalar(allocated) == 0
    assert "payer is not known" in why_not_automatic(ledger, second.id)
    ledger.close()


def test_a_bare_short_number_with_a_common_amount_is_no_third_party_evidence() -> None:
    invoices = [invoice(i, f"{i:05d}", MUELLER if i % 2 else SCHMIDT, "119.00") for i in range(1, 7)]
    matcher = Matcher(invoices, CUSTOMERS)
    result = matcher.match(payment("119.00", "Schaden 00003 Allianz", name="Allianz"))
    assert result.status != "auto"
    assert "postcode" in result.why_not
    called = matcher.match(payment("119.00", "Rechnung 00003", name="Hans Meier", pid=2))
    assert booked(called) == {3}


def test_a_refund_naming_an_invoice_number_from_a_stranger_is_not_booked() -> None:
    invoices = [invoice(1, "02188", MUELLER, "237.92")]
    result = Matcher(invoices, CUSTOMERS).match(
        payment("237.92", "Erstattung Beiträge 02/2026 566-02188", name="Deutsche Rentenversicherung")
    )
    assert result.status == "suggested"
    assert result.why_not.startswith("'Erstattung' hints at a payment without invoice")


def test_a_paid_invoice_named_literally_does_not_book_its_open_twin() -> None:
    # '2026/0598' is paid; 'R 2026 0598' shares its digits; the payer meant '2026/0589' (digits swapped).
    paid = Invoice(9, "2026/0598", MUELLER.id, MUELLER.name, RECEIVABLE, ISSUED, None, Decimal("80.00"), Decimal(0))
    invoices = [paid, invoice(1, "R 2026 0598", MUELLER, "1190.00"), invoice(2, "2026/0589", MUELLER, "59.50")]
    result = Matcher(invoices, CUSTOMERS).match(payment("59.50", "Rechnung 2026/0598", iban=MUELLER.ibans[0]))
    assert suggested(result)[:2] == [{2}, {1}]  # the typo reading first, the partial payment of the twin second


def test_third_party_number_next_to_the_payers_own_invoice_one_digit_away_is_a_suggestion() -> None:
    # Schmidt pays 119.00 citing Müller's RE-2026-01921; Schmidt's own RE-2026-01291 has 119.00 too.
    invoices = [invoice(1, "RE-2026-01921", MUELLER, "119.00"), invoice(2, "RE-2026-01291", SCHMIDT, "119.00")]
    result = Matcher(invoices, CUSTOMERS).match(
        payment("119.00", "RE-2026-01921", name="Schmidt & Söhne KG", iban=SCHMIDT.ibans[0])
    )
    assert result.status == "suggested"
    assert "RE-2026-01291" in result.why_not


# -- a corroborated typo ---------------------------------------------------------------------------------------


def test_swapped_digits_exact_amount_known_payer_are_booked() -> None:
    invoices = [invoice(1, "RE-2026-00142", MUELLER, "250.00"), invoice(2, "RE-2026-00124", SCHMIDT, "980.00")]
    # The typo '00124' is an existing invoice of another customer with another amount.
    result = Matcher(invoices, CUSTOMERS).match(payment("250.00", "RE-2026-00124", iban=MUELLER.ibans[0]))
    assert booked(result) == {1}
    assert "the only open invoice one digit away whose amount fits" in result.best.reasons


def test_two_invoices_one_digit_away_with_the_amount_stay_a_suggestion() -> None:
    invoices = [invoice(1, "RE-2026-00412", MUELLER, "250.00"), invoice(2, "RE-2026-00421", MUELLER, "250.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("250.00", "RE-2026-00422", iban=MUELLER.ibans[0]))
    assert {1, 2} <= set().union(*suggested(result))
    assert "RE-2026-00412" in result.why_not and "RE-2026-00421" in result.why_not


def test_a_typo_from_a_payer_known_only_by_a_similar_name_is_a_suggestion() -> None:
    invoices = [invoice(1, "RE-2026-00142", MUELLER, "250.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("250.00", "RE-2026-00124", name="MUELLER BAUTEN"))
    assert suggested(result)[0] == {1}
    assert result.why_not == "the payer is not known for Müller Bau GmbH"


def test_a_typo_from_a_payer_named_exactly_like_the_customer_is_booked() -> None:
    invoices = [invoice(1, "RE-2026-00142", MUELLER, "250.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("250.00", "RE-2026-00124", name="MUELLER BAU"))
    assert booked(result) == {1}


# -- payer and amount alone ------------------------------------------------------------------------------------


def test_known_payer_and_the_only_invoice_with_the_amount_are_booked() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00042", MUELLER, "238.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", iban=MUELLER.ibans[0]))
    assert booked(result) == {1}


def test_a_learned_payer_name_counts_as_known_and_skonto_as_the_amount() -> None:
    within_skonto = date(2026, 3, 10)
    invoices = [
        invoice(1, "RE-2026-00041", WEBER, "1000.00", issued_on=within_skonto),
        invoice(2, "RE-2026-00042", WEBER, "59.50"),
    ]
    knowledge = PayerKnowledge(customer_by_name={"weber backwaren": WEBER.id})
    result = Matcher(invoices, CUSTOMERS, knowledge=knowledge).match(payment("980.00", "März", name="Weber Backwaren"))
    assert booked(result) == {1}
    assert result.best.allocations[0].discount == Decimal("20.00")


def test_two_open_invoices_with_the_amount_stay_a_suggestion_saying_so() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00042", MUELLER, "1190.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Zahlung", iban=MUELLER.ibans[0]))
    assert [proposal for proposal in suggested(result)] == [{1}, {2}]
    assert result.why_not.startswith("2 open invoices of Müller Bau GmbH fit")
    assert "RE-2026-00041, RE-2026-00042" in result.why_not


def test_branches_paying_from_one_account_share_the_uniqueness() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "595.00"), invoice(2, "RE-2026-00042", NORD, "595.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("595.00", "Danke", iban=MUELLER.ibans[0]))
    assert sorted(map(sorted, suggested(result))) == [[1], [2]]
    assert "Niederlassung Kiel" in result.why_not


def test_an_exact_single_with_a_combination_adding_up_as_well_is_a_suggestion() -> None:
    invoices = [
        invoice(1, "RE-2026-00041", MUELLER, "1190.00"),
        invoice(2, "RE-2026-00042", MUELLER, "595.00"),
        invoice(3, "RE-2026-00043", MUELLER, "595.00"),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", iban=MUELLER.ibans[0]))
    assert {1} in suggested(result) and {2, 3} in suggested(result)
    assert "add up to it as well" in result.why_not


def test_two_invoices_adding_up_among_many_open_ones_keep_an_exact_single_a_suggestion() -> None:
    many = [invoice(i, f"RE-2026-{i:05d}", MUELLER, f"{10 + i}.17", issued_on=date(2026, 1, 2)) for i in range(10, 70)]
    invoices = [
        *many,
        invoice(1, "RE-2026-00001", MUELLER, "2975.00"),
        invoice(2, "RE-2026-00002", MUELLER, "1785.00"),
        invoice(3, "RE-2026-00003", MUELLER, "1190.00"),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("2975.00", "Zahlung lt. Aufstellung", iban=MUELLER.ibans[0]))
    assert {1} in suggested(result) and {2, 3} in suggested(result)
    assert "RE-2026-00002 + RE-2026-00003 add up to it as well" in result.why_not


def test_fees_on_a_branchs_invoice_against_an_exact_pair_of_the_parents_is_a_suggestion() -> None:
    invoices = [
        invoice(1, "RE-2026-00001", NORD, "2515.13"),
        invoice(2, "RE-2026-00002", MUELLER, "2000.00"),
        invoice(3, "RE-2026-00003", MUELLER, "515.11"),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("2515.11", "Zahlung", iban=MUELLER.ibans[0]))
    assert {2, 3} in suggested(result)
    assert "add up to it as well" in result.why_not
    alone = Matcher(invoices[:2], CUSTOMERS).match(payment("2515.11", "Zahlung", iban=MUELLER.ibans[0]))
    assert booked(alone) == {1}


def test_a_payer_known_only_by_a_similar_name_is_not_enough() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", name="Müller Bauten GmbH"))
    assert suggested(result) == [{1}]
    assert result.why_not == "the payer is not known for Müller Bau GmbH"


@pytest.mark.parametrize(
    "name",
    [
        "Müller Bau GmbH",  # as in master data
        "MUELLER BAU",  # upper case, transliterated, legal form dropped
        "Müller Bau GmbH & Co. KG",  # another legal form is still the name
        "Mülelr Bau GmbH",  # two neighbouring letters swapped
    ],
)
def test_a_payer_named_as_the_customer_counts_as_known(name: str) -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00042", MUELLER, "238.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", name=name))
    assert booked(result) == {1}
    assert "payer name is that of Müller Bau GmbH" in result.best.reasons


def test_a_payer_name_cut_by_the_bank_counts_as_known() -> None:
    alpen = Customer(6, "10006", "Alpenblick Personalservice GmbH & Co. KG")
    invoices = [invoice(1, "RE-2026-00041", alpen, "637.61")]
    result = Matcher(invoices, [*CUSTOMERS, alpen]).match(
        payment("637.61", "Zahlung", name="ALPENBLICK PERSONALSERVICE G")
    )
    assert booked(result) == {1}


@pytest.mark.parametrize(
    "name",
    [
        "Müller Bad GmbH",  # one letter changed: another name
        "Müller GmbH",  # a part of the name
        "Müller",  # cut too short to say whose
    ],
)
def test_a_name_that_is_not_quite_the_customers_is_a_suggestion(name: str) -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", name=name))
    assert suggested(result) == [{1}]


def test_a_customer_named_alike_with_an_invoice_of_the_amount_keeps_it_a_suggestion() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00042", NORD, "1190.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "Danke", name="Müller Bau GmbH"))
    assert sorted(map(sorted, suggested(result))) == [[1], [2]]
    assert "Niederlassung Kiel" in result.why_not and "RE-2026-00041, RE-2026-00042" in result.why_not


def test_two_customers_of_one_name_are_both_meant_and_the_amount_must_be_unique_over_both() -> None:
    twin = Customer(6, "10006", "Müller Bau KG")
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00042", twin, "238.00")]
    matcher = Matcher(invoices, [*CUSTOMERS, twin])
    assert booked(matcher.match(payment("238.00", "Danke", name="MÜLLER BAU"))) == {2}
    invoices.append(invoice(3, "RE-2026-00043", twin, "1190.00"))
    result = Matcher(invoices, [*CUSTOMERS, twin]).match(payment("1190.00", "Danke", name="MÜLLER BAU"))
    assert sorted(map(sorted, suggested(result))) == [[1], [3]]
    assert "Müller Bau GmbH, Müller Bau KG fit" in result.why_not


def test_a_name_many_customers_resemble_identifies_nobody() -> None:
    family = [Customer(10 + i, f"1002{i:02d}", f"Müller Bau Filiale {i}") for i in range(1, 22)]
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00")]
    result = Matcher(invoices, [*CUSTOMERS, *family]).match(payment("1190.00", "Danke", name="Müller Bau GmbH"))
    assert suggested(result) == [{1}]
    assert "has a similar name" in result.why_not
    assert booked(Matcher(invoices, [*CUSTOMERS, *family[:5]]).match(payment("1190.00", name="Müller Bau GmbH"))) == {1}


def test_a_customers_name_on_another_customers_account_is_a_third_party() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00")]
    result = Matcher(invoices, CUSTOMERS).match(
        payment("1190.00", "Danke", name="Müller Bau GmbH", iban=SCHMIDT.ibans[0])
    )
    assert result.status != "auto"
    assert result.why_not == (
        "the payer's account is known for Schmidt & Söhne KG, so the name alone does not make it Müller Bau GmbH"
    )


def test_a_number_of_another_customer_in_the_text_stops_payer_and_amount() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "1190.00"), invoice(2, "RE-2026-00077", SCHMIDT, "300.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("1190.00", "RE-2026-00077", iban=MUELLER.ibans[0]))
    assert result.status != "auto"


# -- a unique combination --------------------------------------------------------------------------------------


def test_the_only_combination_adding_up_is_booked() -> None:
    amounts = ["100.00", "250.00", "410.00", "77.70"]
    invoices = [invoice(i, f"RE-2026-0004{i}", MUELLER, a) for i, a in enumerate(amounts, start=1)]
    result = Matcher(invoices, CUSTOMERS).match(payment("660.00", "Sammelzahlung", iban=MUELLER.ibans[0]))
    assert booked(result) == {2, 3}


def test_two_combinations_are_both_suggested_whichever_is_older() -> None:
    invoices = [
        invoice(1, "RE-2026-00041", MUELLER, "200.00", issued_on=date(2026, 1, 5)),
        invoice(2, "RE-2026-00042", MUELLER, "300.00", issued_on=date(2026, 1, 6)),
        invoice(3, "RE-2026-00043", MUELLER, "100.00", issued_on=date(2026, 2, 5)),
        invoice(4, "RE-2026-00044", MUELLER, "400.00", issued_on=date(2026, 2, 6)),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("500.00", "Sammelzahlung", iban=MUELLER.ibans[0]))
    assert {1, 2} in suggested(result) and {3, 4} in suggested(result)
    assert "several combinations" in result.why_not


def test_paying_everything_that_is_open_is_one_combination_however_many() -> None:
    amounts = ["119.00", "119.00", "238.00", "238.00", "59.50", "59.50", "476.00", "1190.00"]
    invoices = [invoice(i, f"RE-2026-0010{i}", MUELLER, a) for i, a in enumerate(amounts, start=1)]
    total = sum((Decimal(a) for a in amounts), Decimal(0))
    result = Matcher(invoices, CUSTOMERS).match(payment(str(total), "Ausgleich", iban=MUELLER.ibans[0]))
    assert booked(result) == set(range(1, 9))


def test_one_invoice_named_and_the_only_rest_making_up_the_amount_are_booked() -> None:
    invoices = [
        invoice(1, "RE-2026-00041", MUELLER, "322.83"),
        invoice(2, "RE-2026-00042", MUELLER, "5950.00"),
        invoice(3, "RE-2026-00043", MUELLER, "119.00"),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("6272.83", "Rechnung RE-2026-00041", iban=MUELLER.ibans[0]))
    assert booked(result) == {1, 2}
    assert any("the only combination of further open invoices" in reason for reason in result.best.reasons)


def test_one_invoice_named_and_two_ways_to_make_up_the_rest_is_a_suggestion() -> None:
    invoices = [
        invoice(1, "RE-2026-00041", MUELLER, "322.83"),
        invoice(2, "RE-2026-00042", MUELLER, "595.00"),
        invoice(3, "RE-2026-00043", MUELLER, "595.00"),
    ]
    result = Matcher(invoices, CUSTOMERS).match(payment("917.83", "Rechnung RE-2026-00041", iban=MUELLER.ibans[0]))
    assert {1, 2} in suggested(result) and {1, 3} in suggested(result)
    assert result.why_not.startswith("RE-2026-00041 is named, and with it RE-2026-00042 or RE-2026-00043 add up")


def test_one_invoice_named_by_an_unknown_payer_paying_more_is_a_suggestion() -> None:
    invoices = [invoice(1, "RE-2026-00041", MUELLER, "322.83"), invoice(2, "RE-2026-00042", MUELLER, "5950.00")]
    result = Matcher(invoices, CUSTOMERS).match(payment("6272.83", "Rechnung RE-2026-00041"))
    assert result.status == "suggested"
    assert result.why_not


# -- every payment that is not booked says why ---------------------------------------------------------------


def test_every_result_that_is_not_automatic_says_why() -> None:
    from bench.matching_data import generate

    books = generate(invoices=1_500, payments=3_000, seed=11)
    results = Matcher(books.invoices, books.customers, knowledge=books.knowledge).match_all(books.payments)
    assert all(result.why_not for result in results if result.status != "auto")
    assert all(not result.why_not for result in results if result.status == "auto")
