"""The matcher an open ledger keeps between runs: reused while the books stand, brought in line when they change.

Every test compares with what a freshly opened ledger (its own engine, so its own matcher) proposes, on a real
encrypted ledger file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger, reopen
from sqlalchemy import select, update
from statement_files import Booking, mt940
from test_reconciliation import INVOICES, MARCH, OWN, Scenario

from app.models.schema import Customer, Transaction
from app.services.invoices.importing import import_invoices
from app.services.invoices.open_items import invoice_rows
from app.services.ledger.database import Ledger
from app.services.matching import MatchConfig
from app.services.reconciliation.allocations import allocate_manually, suggestions, undo_allocation
from app.services.reconciliation.automatic import match_new_transactions, match_payments
from app.services.reconciliation.engine_input import save_config
from app.services.reconciliation.import_and_match import import_invoices_and_match
from app.services.reconciliation.matcher_cache import _caches
from app.services.statements.importing import import_statement_files

pytestmark = pytest.mark.both_ledgers

UPDATED = """Rechnungsnummer;Kunde;Kundennummer;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0051;Bäckerei Weber e.K.;K10003;05.03.2026;19.03.2026;350,00
RE-2026-0080;Weber Backwaren;K10009;07.03.2026;21.03.2026;800,00
"""


@pytest.fixture
def books(tmp_path: Path) -> Iterator[Scenario]:
    """The reconciliation scenario: invoices imported, March statement matched."""
    ledger = new_ledger(tmp_path / "rec.kontor", "pw", company_name="Abgleich GmbH")
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    import_invoices_and_match(ledger, tmp_path / "invoices.csv", actor="anna")
    found = Scenario(ledger, tmp_path, {}, {row.number: row.id for row in invoice_rows(ledger)})
    found.statement("march.sta", MARCH)
    yield found
    ledger.close()


def _matcher_of(ledger: Ledger):  # noqa: ANN202
    entry = _caches[ledger.engine].entry
    assert entry is not None
    return entry.matcher


def _fresh(ledger: Ledger, transaction_id: int) -> list:  # noqa: ANN202
    """The suggestions of the same ledger file opened again, which builds its matcher from scratch."""
    other = reopen(ledger, "pw")
    try:
        return suggestions(other, transaction_id)
    finally:
        other.close()


def _amounts(found: list) -> list[list[tuple[str, Decimal, Decimal]]]:  # noqa: ANN001
    return [[(a.invoice_number, a.amount, a.open_amount) for a in s.allocations] for s in found]


def test_manual_allocation_and_undo_move_open_amounts_without_a_rebuild(books: Scenario) -> None:
    s = books
    weber = s.tx["Weber Backwaren"]
    assert _amounts(suggestions(s.ledger, weber))[0] == [
        ("RE-2026-0050", Decimal("500.00"), Decimal("500.00")),
        ("RE-2026-0051", Decimal("300.00"), Decimal("300.00")),
    ]
    matcher = _matcher_of(s.ledger)
    allocate_manually(s.ledger, weber, [(s.inv["RE-2026-0050"], Decimal("450.00"))], actor="bob")
    after = suggestions(s.ledger, weber)
    assert _matcher_of(s.ledger) is matcher
    assert sorted(_amounts(after)[0]) == [
        ("RE-2026-0050", Decimal("50.00"), Decimal("50.00")),
        ("RE-2026-0051", Decimal("300.00"), Decimal("300.00")),
    ]
    assert after == _fresh(s.ledger, weber)
    undo_allocation(s.ledger, transaction_id=weber, actor="bob")
    back = suggestions(s.ledger, weber)
    assert _matcher_of(s.ledger) is matcher
    assert _amounts(back)[0][0] == ("RE-2026-0050", Decimal("500.00"), Decimal("500.00"))
    assert back == _fresh(s.ledger, weber)


def test_invoice_import_rebuilds_the_matcher(books: Scenario) -> None:
    s = books
    weber = s.tx["Weber Backwaren"]
    suggestions(s.ledger, weber)
    matcher = _matcher_of(s.ledger)
    (s.tmp / "updated.csv").write_text(UPDATED, encoding="utf-8")
    import_invoices(s.ledger, s.tmp / "updated.csv", actor="anna")
    found = suggestions(s.ledger, weber)
    assert _matcher_of(s.ledger) is not matcher
    numbers = [[a.invoice_number for a in suggestion.allocations] for suggestion in found]
    assert ["RE-2026-0080"] in numbers  # new invoice of a new customer, same amount
    assert ["RE-2026-0050", "RE-2026-0051"] not in numbers  # 500 + 350 no longer add up to 800
    assert found == _fresh(s.ledger, weber)


def test_changes_by_another_process_are_seen(books: Scenario) -> None:
    s = books
    weber = s.tx["Weber Backwaren"]
    neumann = s.tx["P. Neumann privat"]
    suggestions(s.ledger, weber)
    other = reopen(s.ledger, "pw")  # its own engine: its writes pass by this ledger's listeners
    try:
        allocate_manually(other, neumann, [(s.inv["RE-2026-0060"], Decimal("750.00"))], actor="bob")
        (s.tmp / "updated.csv").write_text(UPDATED, encoding="utf-8")
        import_invoices(other, s.tmp / "updated.csv", actor="anna")
    finally:
        other.close()
    found = suggestions(s.ledger, weber)
    assert ["RE-2026-0080"] in [[a.invoice_number for a in suggestion.allocations] for suggestion in found]
    assert found == _fresh(s.ledger, weber)


def test_a_rename_by_another_process_is_seen_even_at_the_same_length(books: Scenario) -> None:
    s = books
    weber = s.tx["Weber Backwaren"]
    before = suggestions(s.ledger, weber)
    assert any("Weber" in reason for suggestion in before for reason in suggestion.reasons)
    other = reopen(s.ledger, "pw")
    try:
        with other.writer() as session:
            renamed = update(Customer).where(Customer.number == "K10003").values(name="Bäckerei Huber e.K.")
            assert len("Bäckerei Huber e.K.") == len("Bäckerei Weber e.K.")
            session.execute(renamed)
    finally:
        other.close()
    after = suggestions(s.ledger, weber)
    assert not any("Weber e.K." in reason for suggestion in after for reason in suggestion.reasons)
    assert after == _fresh(s.ledger, weber)


def test_learned_payer_and_settings_reach_the_cached_matcher(books: Scenario) -> None:
    s = books
    neumann = s.tx["P. Neumann privat"]
    suggestions(s.ledger, neumann)
    allocate_manually(s.ledger, neumann, [(s.inv["RE-2026-0060"], Decimal("750.00"))], actor="bob")
    s.statement("april.sta", [Booking(date(2026, 3, 21), Decimal("420.00"), "P. Neumann privat", "", "Danke")])
    assert s.row("RE-2026-0061").status == "paid"  # the learned name, through the cached matcher
    save_config(s.ledger, MatchConfig(tolerance_amount=Decimal("0")), actor="anna")
    weber = s.tx["Weber Backwaren"]
    assert suggestions(s.ledger, weber) == _fresh(s.ledger, weber)
    assert _matcher_of(s.ledger).config.tolerance_amount == Decimal("0")


def test_a_rolled_back_run_leaves_no_trace_in_the_matcher(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "rec.kontor", "pw", company_name="Abgleich GmbH")
    try:
        (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
        import_invoices_and_match(ledger, tmp_path / "invoices.csv", actor="anna")
        (tmp_path / "march.sta").write_text(mt940(OWN, MARCH, opening=Decimal("0")), encoding="utf-8")
        [result] = import_statement_files(ledger, [tmp_path / "march.sta"], actor="anna")
        assert result.ok
        with ledger.session() as session:
            ids = list(session.scalars(select(Transaction.id).order_by(Transaction.id)))
        with ledger.session() as session:
            session.begin()
            assert match_new_transactions(session, ids, actor="anna").auto == 3
            session.rollback()
        mueller = ids[0]
        [best, *_rest] = suggestions(ledger, mueller)
        assert _amounts([best]) == [[("RE-2026-0042", Decimal("1190.00"), Decimal("1190.00"))]]
        assert suggestions(ledger, mueller) == _fresh(ledger, mueller)
        assert match_payments(ledger, actor="anna").auto == 3
    finally:
        ledger.close()


def test_a_dry_run_does_not_change_what_the_next_run_books(books: Scenario) -> None:
    s = books
    undo_allocation(s.ledger, transaction_id=s.tx["Lehmann KG"], actor="bob")
    with s.ledger.session() as session:
        session.get(Transaction, s.tx["Lehmann KG"]).manual_only = False  # type: ignore[union-attr]
        session.commit()
    assert match_payments(s.ledger, actor="anna", dry_run=True).auto == 1
    assert match_payments(s.ledger, actor="anna").auto == 1
    assert s.row("RE-2026-0070").status == "paid"


def test_a_committed_run_leaves_the_matcher_in_line_without_reading_every_allocation(books: Scenario) -> None:
    from app.services.reconciliation.matcher_cache import _allocations_state

    s = books
    entry = _caches[s.ledger.engine].entry
    assert entry is not None and entry.allocations is not None  # taken from the run's own session
    with s.ledger.session() as session:
        assert entry.allocations == _allocations_state(session)
    weber = s.tx["Weber Backwaren"]
    assert suggestions(s.ledger, weber) == _fresh(s.ledger, weber)


def test_installments_in_one_run_say_what_each_leaves_open(tmp_path: Path) -> None:
    from app.services.reconciliation.notifications import notifications

    ledger = new_ledger(tmp_path / "rec.kontor", "pw", company_name="Abgleich GmbH")
    try:
        (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
        import_invoices_and_match(ledger, tmp_path / "invoices.csv", actor="anna")
        mueller = "DE02120300000000202051"
        bookings = [
            Booking(date(2026, 3, 10), Decimal("400.00"), "Müller Metallbau GmbH", mueller, "RE-2026-0042 1. Rate"),
            Booking(date(2026, 3, 11), Decimal("500.00"), "Müller Metallbau GmbH", mueller, "RE-2026-0042 2. Rate"),
            Booking(date(2026, 3, 12), Decimal("290.00"), "Müller Metallbau GmbH", mueller, "RE-2026-0042 Rest"),
        ]
        (tmp_path / "rates.sta").write_text(mt940(OWN, bookings, opening=Decimal("0")), encoding="utf-8")
        save_config(ledger, MatchConfig(multiple_hits=True), actor="anna")
        [result] = import_statement_files(ledger, [tmp_path / "rates.sta"], actor="anna")
        assert result.ok
        with ledger.session() as session:
            ids = list(session.scalars(select(Transaction.id).order_by(Transaction.id)))
        assert match_payments(ledger, actor="anna", transaction_ids=ids).auto == 3
        assert [n.message for n in notifications(ledger)][-3:] == [
            "Invoice RE-2026-0042 paid by Mueller Metallbau GmbH, €290.00",  # MT940 has no umlauts
            "Invoice RE-2026-0042 partly paid by Mueller Metallbau GmbH, €500.00 (€290.00 still open)",
            "Invoice RE-2026-0042 partly paid by Mueller Metallbau GmbH, €400.00 (€790.00 still open)",
        ]
    finally:
        ledger.close()
