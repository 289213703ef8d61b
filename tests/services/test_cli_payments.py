"""`kontor pay`, `mandate`, `run` and `user` as a user runs them: subprocesses on a real encrypted ledger."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree
from statement_files import Booking, mt940
from test_cli import kontor
from test_reconciliation import INVOICES, MUELLER

from app.services.payments.business_days import next_business_day

SECRET = "Zahlungslauf-4711"
OWN = "DE89370400440532013000"
WEBER = "DE44500105175407324931"
REFEREE_XSD = Path(__file__).resolve().parents[1] / "data" / "xsd"


def run(home: Path, ledger: Path, *args: str, user: str = "anna", password: str = "", **extra: str):  # noqa: ANN201
    """As `user` signs in: with the password `USER-geheim` unless another is given."""
    env = {"KONTOR_PASSPHRASE": SECRET, "KONTOR_USER": user, "KONTOR_USER_PASSWORD": password or f"{user}-geheim"}
    return kontor("--ledger", str(ledger), *args, home=home, env=env | extra)


def test_transfer_and_debit_from_creation_to_approved_pain_file(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    assert run(kontor_home, ledger, "init", "--company", "Müller Feinmechanik GmbH").returncode == 0
    statement = tmp_path / "konto.sta"
    opening = [Booking(date(2026, 1, 5), Decimal("10.00"), "Start", MUELLER, "Einlage")]
    statement.write_text(mt940(OWN, opening, opening=Decimal("0")), encoding="utf-8")
    assert run(kontor_home, ledger, "import", "statement", str(statement)).returncode == 0
    (tmp_path / "rechnungen.csv").write_text(INVOICES, encoding="cp1252")
    assert run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv")).returncode == 0

    assert run(kontor_home, ledger, "user", "add", "dora", user="dora").returncode == 0  # the first user: admin
    for name, role in (("anna", "bookkeeper"), ("bob", "approver")):
        added = run(kontor_home, ledger, "user", "add", name, "--role", role, user="dora",
                    KONTOR_NEW_USER_PASSWORD=f"{name}-geheim")  # fmt: skip
        assert added.returncode == 0, added.stderr
    users = run(kontor_home, ledger, "user", "list", "--json")
    assert [(u["name"], u["role"]) for u in json.loads(users.stdout)["users"]] == [
        ("anna", "bookkeeper"),
        ("bob", "approver"),
        ("dora", "admin"),
    ]
    no_password = run(kontor_home, ledger, "user", "add", "eve", "--role", "approver", user="dora")
    assert no_password.returncode == 1 and "KONTOR_NEW_USER_PASSWORD" in no_password.stderr

    day = next_business_day(date.today() + timedelta(days=3))
    transfer = run(kontor_home, ledger, "pay", "transfer", "--to", "Bäckerei Weber", "--iban", WEBER, "--amount",
                   "123,45", "--text", "Rechnung 7 für März", "--date", day.isoformat(), "--json")  # fmt: skip
    assert transfer.returncode == 0, transfer.stderr
    order = json.loads(transfer.stdout)
    assert order["amount"] == "123.45" and [w["kind"] for w in order["warnings"]] == ["first_time"]
    bad = run(kontor_home, ledger, "pay", "transfer", "--to", "X", "--iban", "FR1420041010050500013M02606",
              "--amount", "1", "--text", "x")  # fmt: skip
    assert bad.returncode == 1 and "bic:" in bad.stderr

    assert run(kontor_home, ledger, "pay", "creditor-id", "DE97ZZZ09999999999").returncode == 1
    assert run(kontor_home, ledger, "pay", "creditor-id", "DE98ZZZ09999999999").returncode == 0
    mandate = run(kontor_home, ledger, "mandate", "add", "--customer", "K10001", "--reference", "M-K10001",
                  "--signed", (date.today() - timedelta(days=30)).isoformat(), "--iban", MUELLER)  # fmt: skip
    assert mandate.returncode == 0, mandate.stderr
    assert "B2B mandate" not in mandate.stdout  # a CORE mandate needs nothing at the debtor's bank
    b2b = run(kontor_home, ledger, "mandate", "add", "--customer", "K10001", "--reference", "B2B-K10001", "--b2b",
              "--signed", (date.today() - timedelta(days=30)).isoformat(), "--iban", MUELLER)  # fmt: skip
    assert b2b.returncode == 0, b2b.stderr
    assert "confirmed it to their own bank" in b2b.stdout and "B2B-K10001" in b2b.stdout
    listed = json.loads(run(kontor_home, ledger, "mandate", "list", "--json").stdout)["mandates"]
    assert [(m["reference"], m["scheme"], m["sequence"], m["debtor_bic"]) for m in listed] == [
        ("B2B-K10001", "B2B", "FRST", "BYLADEM1001"),
        ("M-K10001", "CORE", "FRST", "BYLADEM1001"),
    ]
    debit = run(kontor_home, ledger, "pay", "debit", "--customer", "K10001", "--invoice", "RE-2026-0042", "--json")
    assert debit.returncode == 0, debit.stderr
    assert json.loads(debit.stdout)["amount"] == "1190.00"

    runs = json.loads(run(kontor_home, ledger, "run", "list", "--json").stdout)["runs"]
    ids = {r["kind"]: r["id"] for r in runs}
    assert {r["status"] for r in runs} == {"draft"}
    for kind in ("transfer", "debit"):
        assert run(kontor_home, ledger, "run", "submit", str(ids[kind])).returncode == 0
    refused = run(kontor_home, ledger, "run", "approve", str(ids["transfer"]), "--user", "anna")
    assert refused.returncode == 1 and "bookkeeper" in refused.stderr
    wrong = run(kontor_home, ledger, "run", "approve", str(ids["transfer"]), "--user", "bob", password="falsch")
    assert wrong.returncode == 3 and "Wrong password" in wrong.stderr and "falsch" not in wrong.stderr
    shown = run(kontor_home, ledger, "run", "show", str(ids["transfer"]))
    assert "Bäckerei Weber" in shown.stdout and "first payment ever" in shown.stdout

    for kind, schema in (("transfer", "pain.001.001.09"), ("debit", "pain.008.001.08")):
        approved = run(kontor_home, ledger, "run", "approve", str(ids[kind]), "--user", "bob", password="bob-geheim")
        assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
        out = tmp_path / f"{kind}.xml"
        exported = run(kontor_home, ledger, "run", "export", str(ids[kind]), "--out", str(out), user="bob")
        assert exported.returncode == 0, exported.stderr
        etree.XMLSchema(etree.parse(str(REFEREE_XSD / f"{schema}.xsd"))).assertValid(etree.parse(str(out)))
    pain = (tmp_path / "transfer.xml").read_text(encoding="utf-8")
    assert "Rechnung 7 fuer Maerz" in pain and "<Nm>Bäckerei Weber" in pain  # the name as the payee's bank has it

    send = run(kontor_home, ledger, "run", "send", str(ids["transfer"]))
    assert send.returncode == 1 and "has no bank connection" in send.stderr
    sequences = {
        m["reference"]: m["sequence"]
        for m in json.loads(run(kontor_home, ledger, "mandate", "list", "--json").stdout)["mandates"]
    }
    assert sequences == {"M-K10001": "RCUR", "B2B-K10001": "FRST"}  # only the CORE mandate was collected
    assert run(kontor_home, ledger, "audit", "verify").returncode == 0


def test_kontor_pay_move_splits_a_run_off_to_another_date_and_back(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    assert run(kontor_home, ledger, "init", "--company", "Müller Feinmechanik GmbH").returncode == 0
    statement = tmp_path / "konto.sta"  # the own account to pay from
    opening = [Booking(date(2026, 1, 5), Decimal("10.00"), "Start", MUELLER, "Einlage")]
    statement.write_text(mt940(OWN, opening, opening=Decimal("0")), encoding="utf-8")
    imported = run(kontor_home, ledger, "import", "statement", str(statement))
    assert imported.returncode == 0
    assert "Bookings: 0 assigned automatically, 0 without invoice, 1 needs attention" in imported.stdout
    assert run(kontor_home, ledger, "user", "add", "anna").returncode == 0  # the first user: admin
    day = next_business_day(date.today() + timedelta(days=3))
    later = next_business_day(day + timedelta(days=7))
    ids = []
    for name, amount in (("Weber", "10"), ("Huber", "20")):
        made = run(kontor_home, ledger, "pay", "transfer", "--to", name, "--iban", WEBER, "--amount", amount,
                   "--text", "Test", "--date", day.isoformat(), "--from-account", OWN, "--json")  # fmt: skip
        assert made.returncode == 0, made.stderr
        ids.append(json.loads(made.stdout)["order_id"])
    moved = run(kontor_home, ledger, "pay", "move", str(ids[1]), "--date", later.isoformat(), "--json")
    assert moved.returncode == 0, moved.stderr
    new_run = json.loads(moved.stdout)["run_id"]
    runs = {r["id"]: r for r in json.loads(run(kontor_home, ledger, "run", "list", "--json").stdout)["runs"]}
    assert runs[new_run]["execution_on"] == later.isoformat() and runs[new_run]["count"] == 1
    back = run(kontor_home, ledger, "pay", "move", str(ids[1]), "--to-run", "1")
    assert back.returncode == 0 and "1 order is now in run 1." in back.stdout, back.stderr
    nothing = run(kontor_home, ledger, "pay", "move", str(ids[0]))
    assert nothing.returncode == 1 and "--to-run" in nothing.stderr
