"""Importing statements into a real encrypted ledger: duplicates, pending, balances, returns, all-or-nothing."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_templates import new_ledger
from sqlalchemy import event, func, inspect, select
from statement_files import Booking, camt053, mt940

from app.models.schema import BalanceSnapshot, BankAccount, Notification, Transaction
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.dialects import on_server
from app.services.statements.importing import (
    StatementImportError,
    export_transactions,
    import_statement_files,
    import_statements,
)
from app.services.statements.query import TransactionFilter, TransactionOrder, transaction_ids
from app.services.statements.worker import read_rows

pytestmark = pytest.mark.both_ledgers

IBAN = "DE89370400440532013000"
CUSTOMER = "DE02120300000000202051"
TELEKOM = "DE02100100100006820101"


def bookings() -> list[Booking]:
    return [
        Booking(
            date(2026, 3, 2),
            Decimal("1190.00"),
            "Müller Metallbau GmbH",
            CUSTOMER,
            "Rechnung RE-2026-0042 vielen Dank für die gute Zusammenarbeit",
            "E2E-42",
        ),
        Booking(date(2026, 3, 3), Decimal("-49.90"), "Telekom Deutschland GmbH", TELEKOM, "Kundennr 4711 März"),
        Booking(date(2026, 3, 3), Decimal("-49.90"), "Telekom Deutschland GmbH", TELEKOM, "Kundennr 4711 März"),
        Booking(date(2026, 3, 4), Decimal("-1850.00"), "Grundstücks KG", CUSTOMER, "Miete Halle 3", "MIETE-03"),
    ]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "import.kontor", "pw", company_name="Import GmbH")
    yield ledger
    ledger.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(ledger: Ledger, *conditions: object) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count(Transaction.id)).where(*conditions)) or 0


def test_mt940_import_normalizes_and_keeps_identical_bookings(ledger: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "march.sta", mt940(IBAN, bookings(), opening=Decimal("5000")))
    [result] = import_statement_files(ledger, [path], actor="anna")
    assert result.ok and result.format == "mt940"
    assert (result.new, result.duplicates, result.warnings) == (4, 0, [])
    with ledger.session() as session:
        account = session.scalar(select(BankAccount))
        assert account is not None and account.iban == IBAN
        assert account.bic == "COBADEFFXXX" and "Commerzbank" in account.bank_name  # from schwifty's registry
        rows = session.scalars(select(Transaction).order_by(Transaction.id)).all()
        assert [r.amount_cents for r in rows] == [119000, -4990, -4990, -185000]  # both telephone bills kept
        first = rows[0]
        assert first.counterparty_iban == CUSTOMER and first.end_to_end_id == "E2E-42"
        assert "RE-2026-0042" in first.purpose and "EREF+" not in first.purpose and "SVWZ+" not in first.purpose
        assert ":61:" in first.raw and first.transaction_code.startswith("166")
        snapshot = session.scalar(select(BalanceSnapshot))
        assert snapshot is not None and snapshot.amount_cents == 500000 + 119000 - 2 * 4990 - 185000
        assert audit.verify(session).ok


def test_reimport_and_other_format_of_the_same_period_add_nothing(ledger: Ledger, tmp_path: Path) -> None:
    mt = write(tmp_path, "march.sta", mt940(IBAN, bookings(), opening=Decimal("5000")))
    camt = write(tmp_path, "march.xml", camt053(IBAN, bookings(), opening=Decimal("5000")))
    results = import_statement_files(ledger, [mt, mt, camt], actor="anna")
    assert [(r.new, r.duplicates) for r in results] == [(4, 0), (0, 4), (0, 4)]
    assert count(ledger) == 4


def test_overlapping_periods_add_only_the_new_days(ledger: Ledger, tmp_path: Path) -> None:
    early = write(tmp_path, "a.xml", camt053(IBAN, bookings()[:3], opening=Decimal("5000")))
    late = write(tmp_path, "b.sta", mt940(IBAN, bookings()[1:], opening=Decimal("6190")))
    results = import_statement_files(ledger, [early, late], actor="anna")
    assert [(r.new, r.duplicates) for r in results] == [(3, 0), (1, 2)]
    assert count(ledger) == 4


def test_copies_beyond_the_ledgers_are_kept_across_the_statements_of_a_file(ledger: Ledger, tmp_path: Path) -> None:
    """Two identical bills of one day: the ledger has one, the next file brings both in two statements."""
    bill = bookings()[1]
    first = write(tmp_path, "one.sta", mt940(IBAN, [bill], opening=Decimal("0")))
    text = mt940(IBAN, [bill], opening=Decimal("0"), statement="1/1")
    text += mt940(IBAN, [bill, bookings()[3]], opening=bill.amount, statement="2/1")
    both = write(tmp_path, "both.sta", text)
    results = import_statement_files(ledger, [first, both, both], actor="anna")
    assert [(r.new, r.duplicates) for r in results] == [(1, 0), (2, 1), (0, 3)]
    assert count(ledger, Transaction.amount_cents == -4990) == 2


def test_pending_entries_are_replaced_by_their_booked_version(ledger: Ledger, tmp_path: Path) -> None:
    pending = write(
        tmp_path,
        "intraday.sta",
        mt940(IBAN, bookings()[:1], opening=Decimal("0"), mt942=True).replace(":20:STARTUMS", ":20:STARTDISPE"),
    )
    [first] = import_statement_files(ledger, [pending], actor="anna")
    assert first.new == 1
    assert count(ledger, Transaction.status == "pending") == 1
    booked = write(tmp_path, "day.xml", camt053(IBAN, bookings(), opening=Decimal("5000")))
    [second] = import_statement_files(ledger, [booked], actor="anna")
    assert (second.new, second.replaced_pending) == (4, 1)
    assert count(ledger, Transaction.status == "pending") == 0
    assert count(ledger, Transaction.status == "booked") == 4


def test_balance_mismatch_is_a_warning_naming_statement_and_date(ledger: Ledger, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.xml", camt053(IBAN, bookings(), opening=Decimal("5000"), closing=Decimal("1")))
    [result] = import_statement_files(ledger, [path], actor="anna")
    assert result.new == 4
    assert len(result.warnings) == 1
    assert "bad.xml" in result.warnings[0] and "STMT1" in result.warnings[0] and "2026-03-04" in result.warnings[0]


def test_gap_between_statements_of_one_file_is_a_warning(ledger: Ledger, tmp_path: Path) -> None:
    first, second = bookings()[:2], bookings()[2:]
    closing = Decimal("100.00") + sum((b.amount for b in first), Decimal(0))
    text = mt940(IBAN, first, opening=Decimal("100.00"), statement="1/1")
    text += mt940(IBAN, second, opening=closing + Decimal("5.00"), statement="2/1")  # 5.00 went missing
    [result] = import_statement_files(ledger, [write(tmp_path, "two.sta", text)], actor="anna")
    assert result.new == 4
    gap, snapshot = result.warnings  # the first statement's closing snapshot disagrees with the second's opening
    assert gap.startswith("two.sta: gap before statement STARTUMS/2/1") and "2026-03-03" in gap
    assert "the opening balance" in snapshot and "2026-03-03" in snapshot


def test_returned_debit_is_flagged_and_linked(ledger: Ledger, tmp_path: Path) -> None:
    debit = Booking(date(2026, 3, 5), Decimal("250.00"), "Schmidt KG", CUSTOMER, "Lastschrift RE-7", "E2E-7", "171")
    returned = Booking(
        date(2026, 3, 9),
        Decimal("-250.00"),
        "Schmidt KG",
        CUSTOMER,
        "Rueckbelastung RE-7",
        "E2E-7",
        "109",
        reason="MD06",
    )
    path = write(tmp_path, "r.sta", mt940(IBAN, [debit, returned], opening=Decimal("0")))
    [result] = import_statement_files(ledger, [path], actor="anna")
    assert result.ok and result.returns == 1
    with ledger.session() as session:
        original = session.scalar(select(Transaction).where(Transaction.amount_cents == 25000))
        back = session.scalar(select(Transaction).where(Transaction.amount_cents == -25000))
        assert original is not None and back is not None
        assert back.return_reason == "MD06" and back.return_of_id == original.id
        note = session.scalar(select(Notification))
        assert note is not None and "MD06" in note.message and "refund requested by the debtor" in note.message


def test_broken_file_writes_nothing_and_names_the_file(ledger: Ledger, tmp_path: Path) -> None:
    good = camt053(IBAN, bookings(), opening=Decimal("5000"))
    truncated = write(tmp_path, "kaputt.xml", good[: len(good) // 2])
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("1-good.xml", good)
        bundle.writestr("2-broken.xml", good[:300])
    garbage = tmp_path / "garbage.sta"
    garbage.write_bytes(b"\x00\x01\x02 not a statement \xff" * 20)
    results = import_statement_files(ledger, [truncated, archive, garbage], actor="anna")
    assert [r.ok for r in results] == [False, False, False]
    assert "kaputt.xml" in results[0].error and "line" in results[0].error
    assert "2-broken.xml" in results[1].error
    assert "garbage.sta" in results[2].error
    assert count(ledger) == 0
    with ledger.session() as session:
        assert session.scalar(select(func.count(BankAccount.id))) == 0


def test_file_without_iban_needs_an_account(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("0")).replace(f":25:{IBAN}", ":25:ACME/77")
    path = write(tmp_path, "noiban.sta", text)
    [refused] = import_statement_files(ledger, [path], actor="anna")
    assert not refused.ok and "noiban.sta" in refused.error and "no IBAN" in refused.error
    assert refused.needs_account
    [accepted] = import_statement_files(ledger, [path], actor="anna", account_iban=IBAN)
    assert accepted.new == 4


def test_german_blz_account_becomes_iban(ledger: Ledger, tmp_path: Path) -> None:
    text = mt940(IBAN, bookings(), opening=Decimal("0")).replace(f":25:{IBAN}", ":25:37040044/0532013000")
    [result] = import_statement_files(ledger, [write(tmp_path, "blz.sta", text)], actor="anna")
    assert result.accounts == [IBAN]


def test_export_transactions(ledger: Ledger, tmp_path: Path) -> None:
    import_statement_files(
        ledger, [write(tmp_path, "m.sta", mt940(IBAN, bookings(), opening=Decimal("0")))], actor="anna"
    )
    out = tmp_path / "out.csv"
    assert export_transactions(ledger, out, account_iban=IBAN, date_from=date(2026, 3, 3)) == 3
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("booked_on,value_on,account_iban,amount")
    assert lines[1].startswith("2026-03-03,2026-03-03,DE89370400440532013000,-49.90")


_names = st.sampled_from(["Müller GmbH", "Schmidt KG", "Weber & Söhne", "Bäckerei Groß"])
_bookings = st.lists(
    st.builds(
        Booking,
        on=st.dates(date(2026, 1, 1), date(2026, 1, 20)),
        amount=st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2).filter(bool),
        name=_names,
        iban=st.just(CUSTOMER),
        purpose=st.sampled_from(["Rechnung 1", "Rechnung 2", "Miete", "Gehalt Januar"]),
        e2e=st.sampled_from(["", "E2E-1", "E2E-2"]),
    ),
    min_size=1,
    max_size=25,
).map(lambda items: sorted(items, key=lambda b: b.on))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=_bookings, split=st.integers(0, 25))
def test_reimport_is_idempotent_and_chunks_add_up(
    tmp_path_factory: pytest.TempPathFactory, items: list[Booking], split: int
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    ledger = new_ledger(folder / "p.kontor", "pw", company_name="P")
    try:
        cut = items[min(split, len(items))].on if split < len(items) else items[-1].on + timedelta(days=1)
        head = [b for b in items if b.on < cut]
        tail = [b for b in items if b.on >= cut]
        files = [write(folder, "all.sta", mt940(IBAN, items, opening=Decimal("0")))]
        if head:
            files.append(write(folder, "head.xml", camt053(IBAN, head, opening=Decimal("0"))))
        if tail:
            files.append(write(folder, "tail.sta", mt940(IBAN, tail, opening=Decimal("0"))))
        results = import_statement_files(ledger, files, actor="p")
        assert results[0].new == len(items)
        assert all(r.new == 0 for r in results[1:])
        assert count(ledger) == len(items)
    finally:
        ledger.close()


def test_imported_transactions_are_found_by_full_text_search(ledger: Ledger, tmp_path: Path) -> None:
    """The file's FTS5 index and the server's folded search find the same: umlauts and case folded."""
    import_statement_files(
        ledger, [write(tmp_path, "m.xml", camt053(IBAN, bookings(), opening=Decimal("0")))], actor="anna"
    )
    with ledger.session() as session:

        def hits(text: str) -> int:
            return len(transaction_ids(session, TransactionFilter(text=text), TransactionOrder()))

        assert hits("muller") == hits("MÜLLER") == hits("Müller") == 1  # umlauts and case folded: "Müller"
        assert hits("grundstucks") == 1 and hits("marz") == 2  # "Grundstücks KG", "Kundennr 4711 März"
        assert hits("telekom") == 2
        assert hits("E2E-42") == 1 and hits("miete-03") == 1  # references are searchable
        assert hits("muller telekom") == 0  # every word must match in the same booking
        assert hits("nirgendwo") == 0


def test_a_large_import_into_a_small_ledger_builds_three_indexes_once(ledger: Ledger, tmp_path: Path) -> None:
    """The indexes nothing reads during an import are dropped and built again before the commit (in a file
    ledger); a failing import rolls the drop back with everything else."""
    path = write(tmp_path, "march.sta", mt940(IBAN, bookings(), opening=Decimal("5000")))
    [statement] = read_rows(path, "mt940")
    dropped: list[str] = []

    @event.listens_for(ledger.engine, "before_cursor_execute")
    def note(conn: object, cursor: object, sql: str, *args: object) -> None:
        if sql.strip().startswith("DROP INDEX"):
            dropped.append(sql.split()[-1])

    def indexes() -> set[str]:
        with ledger.session() as session:
            return {index["name"] for index in inspect(session.connection()).get_indexes("transactions")}

    before = indexes()
    assert {"ix_transactions_booked", "ix_transactions_import_id"} <= before
    assert "ix_transactions_dedupe" not in before  # read by no query (migration 0010)
    in_usd = dataclasses.replace(statement, currency="USD")
    with pytest.raises(StatementImportError), ledger.writer() as session:
        import_statements(session, [statement, in_usd], source="x", fmt="mt940", actor="anna", expected_rows=5000)
    assert indexes() == before and count(ledger) == 0
    with ledger.writer() as session:
        server = on_server(session)
        result = import_statements(session, [statement], source="x", fmt="mt940", actor="anna", expected_rows=5000)
    assert result.new == 4 and indexes() == before
    expected = [] if server else ["ix_transactions_booked", "ix_transactions_import_id"]
    assert sorted(set(dropped)) == expected
    dropped.clear()
    with ledger.writer() as session:  # a small import maintains them
        import_statements(session, [statement], source="y", fmt="mt940", actor="anna", expected_rows=999)
    assert dropped == [] and count(ledger) == 4  # all duplicates
