"""The transactions view's queries: every filter, safe full-text search, every sort order, pages in id order."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.schema import BankAccount, StatementImport, Transaction
from app.services.ledger.database import Ledger
from app.services.statements.query import (
    SortColumn,
    TransactionFilter,
    TransactionOrder,
    count_transactions,
    export_csv,
    first_transaction_ids,
    fts_query,
    transaction_detail,
    transaction_ids,
    transaction_rows,
    write_rows,
)
from app.services.statements.search_index import index_transactions

PASS = "Korrekt Pferd Batterie Heftklammer"

# (account, day, cents, counterparty, purpose, end_to_end_id, reconciliation, status)
BOOKINGS = [
    (0, date(2026, 1, 2), 119_000, "Müller Metallbau GmbH", "Rechnung RE-2026-0001", "E2E-A1", "matched", "booked"),
    (0, date(2026, 1, 5), -4_850_00, "Grundstücksgesellschaft Südring KG", "Miete Halle 3", "", "open", "booked"),
    (0, date(2026, 1, 9), -2_345, "TANKSTELLE ARAL", "Kartenzahlung girocard", "", "ignored", "booked"),
    (1, date(2026, 1, 15), 3_000, "Brenner GmbH", "Umbuchung Rücklage", "", "open", "booked"),
    (0, date(2026, 2, 1), 59_500, "Schäfer Werkzeugbau", "Teilzahlung Rechnung RE-2026-0002", "E2E-B2", "partial",
     "booked"),
    (0, date(2026, 2, 3), -12_00, "Stadtwerke", "Abschlag Februar", "", "open", "pending"),
    (0, date(2026, 2, 2), -12_00, "Stadtwerke", "Abschlag Februar", "", "open", "replaced"),
    (1, date(2026, 2, 10), -500_00, "Müller Anna", "Erstattung NEAR(x) OR y", "E2EXYZ77", "open", "booked"),
]  # fmt: skip


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path_factory.mktemp("q") / "q.kontor", PASS, company_name="Test GmbH")
    with ledger.session() as session, session.begin():
        accounts = [
            BankAccount(iban="DE02120300000000202051", bank_name="Sparkasse", name="Geschäftskonto"),
            BankAccount(iban="DE89370400440532013000", bank_name="Commerzbank", name="Anlagekonto"),
        ]
        batch = StatementImport(source="statement-01.sta", format="mt940", imported_by="test")
        session.add_all([*accounts, batch])
        session.flush()
        session.execute(
            insert(Transaction),
            [
                {
                    "account_id": accounts[a].id,
                    "booked_on": day,
                    "value_on": day,
                    "amount_cents": cents,
                    "counterparty_name": name,
                    "purpose": purpose,
                    "end_to_end_id": e2e,
                    "reconciliation": state,
                    "status": status,
                    "import_id": batch.id,
                    "raw": f":61:{day:%y%m%d}{cents}",
                }
                for a, day, cents, name, purpose, e2e, state, status in BOOKINGS
            ],
        )
        ids = session.scalars(select(Transaction.id)).all()
        index_transactions(session, min(ids), max(ids))
    yield ledger
    ledger.close()


@pytest.fixture
def session(ledger: Ledger) -> Iterator[Session]:
    with ledger.session() as session:
        yield session


def _ids(session: Session, **kwargs: object) -> list[int]:
    return list(transaction_ids(session, TransactionFilter(**kwargs), TransactionOrder()))  # type: ignore[arg-type]


def _names(session: Session, ids: list[int]) -> list[str]:
    return [row.counterparty_name for row in transaction_rows(session, ids)]


def _account_id(session: Session, name: str) -> int:
    return session.scalar(select(BankAccount.id).where(BankAccount.name == name)) or 0


def test_default_shows_everything_but_replaced_rows_newest_first(session: Session) -> None:
    ids = _ids(session)
    rows = transaction_rows(session, ids)
    assert len(ids) == 7 == count_transactions(session)
    assert [r.booked_on for r in rows] == sorted((r.booked_on for r in rows), reverse=True)
    assert all(row.status != "replaced" for row in rows)
    assert isinstance(rows[0].amount, Decimal)


def test_default_order_uses_the_booking_date_index(session: Session) -> None:
    from app.services.statements.query import _id_select

    statement = _id_select(session, TransactionFilter(), TransactionOrder(), whole_list=True)
    sql = str(statement.compile(compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(row) for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_transactions_booked" in plan and "TEMP B-TREE" not in plan


def test_each_filter_and_combinations(session: Session) -> None:
    main = _account_id(session, "Geschäftskonto")
    assert len(_ids(session, account_ids=(main,))) == 5
    assert len(_ids(session, date_from=date(2026, 1, 9), date_to=date(2026, 2, 1))) == 3
    assert len(_ids(session, direction="in")) == 3
    assert len(_ids(session, direction="out")) == 4
    assert _names(session, _ids(session, amount_min=Decimal("500"))) == [
        "Müller Anna",
        "Schäfer Werkzeugbau",
        "Grundstücksgesellschaft Südring KG",
        "Müller Metallbau GmbH",
    ]
    assert len(_ids(session, amount_max=Decimal("30.00"))) == 3  # 12,00 / 23,45 / 30,00 (absolute amounts)
    assert len(_ids(session, statuses=("matched", "partial"))) == 2
    combined = _ids(session, account_ids=(main,), direction="in", amount_min=Decimal("1000"), statuses=("matched",))
    assert _names(session, combined) == ["Müller Metallbau GmbH"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("muller", {"Müller Metallbau GmbH", "Müller Anna"}),
        ("Müller", {"Müller Metallbau GmbH", "Müller Anna"}),
        ("müller metall", {"Müller Metallbau GmbH"}),
        ("rechn", {"Müller Metallbau GmbH", "Schäfer Werkzeugbau"}),
        ("RE-2026-0002", {"Schäfer Werkzeugbau"}),
        ("E2EXYZ77", {"Müller Anna"}),
        ("e2exyz", {"Müller Anna"}),
        ("suedring", set()),
    ],
)
def test_full_text_search(session: Session, text: str, expected: set[str]) -> None:
    assert set(_names(session, _ids(session, text=text))) == expected


@pytest.mark.parametrize(
    "text", ['"', '""', "*", "Müller*", "OR", "a OR b", "NEAR(", "NEAR(x y)", "-x", "^x", "col:x", "(", "'", "\\"]
)
def test_malicious_search_input_does_not_raise(session: Session, text: str) -> None:
    _ids(session, text=text)
    first_transaction_ids(session, TransactionFilter(text=text), TransactionOrder(), limit=10)


def test_operators_are_plain_words() -> None:
    assert fts_query('OR NEAR( "x') == '"OR"* AND "NEAR("* AND """x"*'
    assert fts_query(" * ( ") == ""


def test_search_hits_in_date_order_come_in_id_order(session: Session) -> None:
    ids = _ids(session, text="rechnung")
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("column", list(SortColumn))
@pytest.mark.parametrize("descending", [False, True])
def test_order_by_each_column(session: Session, column: SortColumn, descending: bool) -> None:
    ids = transaction_ids(session, TransactionFilter(), TransactionOrder(column, descending))
    rows = transaction_rows(session, list(ids))
    key = {
        SortColumn.BOOKED_ON: lambda r: (r.booked_on, r.id),
        SortColumn.COUNTERPARTY: lambda r: r.counterparty_name.casefold(),
        SortColumn.PURPOSE: lambda r: r.purpose.casefold(),
        SortColumn.AMOUNT: lambda r: r.amount,
        SortColumn.ACCOUNT: lambda r: r.account_label.casefold(),
        SortColumn.STATUS: lambda r: r.reconciliation,
    }[column]
    assert [key(r) for r in rows] == sorted((key(r) for r in rows), reverse=descending)
    first = first_transaction_ids(session, TransactionFilter(), TransactionOrder(column, descending), limit=3)
    assert list(first) == list(ids[:3])


def test_rows_come_back_in_the_order_of_the_ids(session: Session) -> None:
    ids = _ids(session)
    shuffled = [ids[3], ids[0], ids[6], ids[1], 999_999]
    assert [row.id for row in transaction_rows(session, shuffled)] == shuffled[:4]
    assert transaction_rows(session, []) == []


def test_detail_has_every_field_and_the_linked_return(ledger: Ledger) -> None:
    with ledger.session() as session, session.begin():
        original = session.scalar(select(Transaction).where(Transaction.counterparty_name == "Müller Metallbau GmbH"))
        assert original is not None
        returned = Transaction(
            account_id=original.account_id,
            booked_on=date(2026, 1, 20),
            amount_cents=-original.amount_cents,
            counterparty_name=original.counterparty_name,
            purpose="RUECKLASTSCHRIFT MD06",
            return_reason="MD06",
            return_of_id=original.id,
            raw=":61:2601200120DR1190,00",
        )
        session.add(returned)
        session.flush()
        original_id, returned_id = original.id, returned.id
    with ledger.session() as session:
        detail = transaction_detail(session, returned_id)
        assert detail is not None
        assert detail.return_of is not None and detail.return_of.id == original_id
        assert detail.return_reason_text == "refund requested by the debtor"
        assert detail.raw == ":61:2601200120DR1190,00"
        assert detail.account_iban == "DE02120300000000202051"
        back = transaction_detail(session, original_id)
        assert back is not None and [r.id for r in back.returned_by] == [returned_id]
        assert back.imported_from == "statement-01.sta"
        assert transaction_detail(session, 999_999) is None
    with ledger.session() as session, session.begin():
        session.delete(session.get(Transaction, returned_id))


def test_copy_and_export_text(session: Session, tmp_path: Path) -> None:
    rows = transaction_rows(session, _ids(session, text="Müller Metallbau"))
    stream = io.StringIO()
    assert write_rows(rows, stream, delimiter="\t", header=False) == 1
    assert stream.getvalue().split("\t")[:4] == ["2026-01-02", "2026-01-02", "Geschäftskonto", "Müller Metallbau GmbH"]
    assert "\t1190.00\tEUR\tE2E-A1\tDone: assigned\r\n" in stream.getvalue()
    out = io.StringIO()
    assert export_csv(session, _ids(session), out) == 7
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Date,Value date,Account") and len(lines) == 8
