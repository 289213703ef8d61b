"""The DATEV Buchungsstapel of the demo ledger's last month, read back as DATEV reads it and checked field by field."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select

from app.models.banking import BookingStatus
from app.models.schema import Transaction
from app.services.demo.data import create_demo_ledger
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.reports.datev import COLUMNS, DatevError, export_datev, update_settings

END = date.today().replace(day=1) - timedelta(days=1)
START = END.replace(day=1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    ledger = new_ledger(tmp_path_factory.mktemp("datev") / "demo.kontor", "demo", company_name="Demo")
    create_demo_ledger(ledger, actor="test")
    update_settings(ledger, actor="test", consultant=29098, client=55003)
    yield ledger
    ledger.close()


def read_back(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    with path.open(encoding="cp1252", newline="") as stream:
        lines = list(csv.reader(stream, delimiter=";"))
    return lines[0], lines[1], lines[2:]


def test_the_header_follows_the_format_description(demo: Ledger, tmp_path: Path) -> None:
    export_datev(demo, tmp_path / "EXTF_Buchungsstapel.csv", start=START, end=END, actor="test")
    raw = (tmp_path / "EXTF_Buchungsstapel.csv").read_bytes()
    assert raw.startswith(b'"EXTF";700;21;"Buchungsstapel";13;') and b"\r\n" in raw
    header, columns, _rows = read_back(tmp_path / "EXTF_Buchungsstapel.csv")
    assert len(header) == 31
    assert (header[10], header[11], header[13]) == ("29098", "55003", "4")  # consultant, client, account length
    assert header[12] == f"{START.year}0101" and header[14:16] == [f"{START:%Y%m%d}", f"{END:%Y%m%d}"]
    assert header[21] == "EUR" and header[26] == "03" and re.fullmatch(r"\d{17}", header[5])
    assert tuple(columns) == COLUMNS


def test_every_booking_of_the_month_exactly_once_with_the_right_accounts(demo: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    export_datev(demo, path, start=START, end=END, actor="test")
    _header, _columns, rows = read_back(path)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        amount, side, currency, konto, gegenkonto, day, voucher, text = (row[0], row[1], row[2], row[6], row[7],
                                                                        row[9], row[10], row[13])  # fmt: skip
        assert re.fullmatch(r"\d+,\d\d", amount) and side in ("S", "H") and currency == "EUR"
        assert konto in ("1200", "1201")  # the two bank accounts of the demo
        assert gegenkonto == "1360" or 10000 <= int(gegenkonto) <= 99999  # transit or a personal account
        assert (gegenkonto == "1360") == (voucher == "")  # an invoice number exactly where an invoice was paid
        assert re.fullmatch(r"\d{4}", day) and len(text) <= 60
        cents = int(amount.replace(",", ""))
        sums[(konto, day)] += cents if side == "S" else -cents
    with demo.session() as session:
        expected: dict[tuple[str, str], int] = defaultdict(int)
        query = select(Transaction).where(Transaction.booked_on.between(START, END),
                                          Transaction.status == BookingStatus.BOOKED)  # fmt: skip
        for tx in session.scalars(query):
            expected[(str(1200 + tx.account_id - 1), tx.booked_on.strftime("%d%m"))] += tx.amount_cents
    assert dict(sums) == dict(expected)  # every booking once: the lines add up to the bank, day by day
    assert any(row[7] != "1360" for row in rows)  # payments of invoices reach the personal accounts


def test_a_second_export_of_the_period_warns_and_the_audit_log_records_it(demo: Ledger, tmp_path: Path) -> None:
    first = export_datev(demo, tmp_path / "a.csv", start=START, end=END, actor="test")
    again = export_datev(demo, tmp_path / "b.csv", start=START + timedelta(days=3), end=END, actor="test")
    assert (START.isoformat(), END.isoformat()) in again.earlier and first.lines >= again.lines
    with demo.session() as session:
        assert audit.verify(session).ok


def test_without_consultant_and_client_there_is_no_export(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "leer.kontor", "pw", company_name="Leer")
    try:
        with pytest.raises(DatevError, match="consultant and client numbers"):
            export_datev(ledger, tmp_path / "x.csv", start=START, end=END, actor="test")
        assert not (tmp_path / "x.csv").exists()
    finally:
        ledger.close()
