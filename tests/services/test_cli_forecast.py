"""`kontor forecast …` on an encrypted ledger: the weeks, recurring bookings, credit line, warning, planned item."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from statement_files import Booking, mt940
from test_cli import SECRET, kontor

OWN = "DE89370400440532013000"


def run(home: Path, ledger: Path, *args: str) -> dict:
    done = kontor("--ledger", str(ledger), "--json", *args, home=home, env={"KONTOR_PASSPHRASE": SECRET})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_forecast_from_the_command_line(kontor_home: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    assert kontor("--ledger", str(ledger), "init", home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET}).returncode == 0
    bookings = [Booking(date(2026, 1, 2), Decimal("5000.00"), "Einlage", OWN, "Start")]
    bookings += [Booking(date(2026, m, 3), Decimal("-1500.00"), "Leasing AG", "DE44500105175407324931", f"Rate {m}")
                 for m in range(1, 8)]  # fmt: skip
    (tmp_path / "konto.sta").write_text(mt940(OWN, bookings, opening=Decimal("0")), encoding="utf-8")
    run(kontor_home, ledger, "import", "statement", str(tmp_path / "konto.sta"))

    [series] = run(kontor_home, ledger, "forecast", "--date", "2026-07-10", "recurring")["recurring"]
    assert (series["name"], series["period"], series["amount"]) == ("Leasing AG", "monthly", "-1500.00")
    assert series["status"] == "detected"
    run(kontor_home, ledger, "forecast", "credit-line", OWN, "1.000,00")
    alone = run(kontor_home, ledger, "forecast", "--date", "2026-07-10", "--account", OWN)
    assert alone["opening"] == "-5500.00"  # the only account: the same as the total
    weeks = run(kontor_home, ledger, "forecast", "--date", "2026-07-10")
    assert weeks["opening"] == "-5500.00" and len(weeks["periods"]) == 13
    assert weeks["warnings"][0].startswith("Commerzbank falls below its credit line of €1,000.00")
    run(kontor_home, ledger, "forecast", "plan", "2026-07-20", "20000", "Darlehen")
    after = run(kontor_home, ledger, "forecast", "--date", "2026-07-10", "--months", "3")
    assert after["warnings"] == [] and len(after["periods"]) == 3
    items = [item["text"] for period in after["periods"] for item in period["items"]]
    assert items == ["Darlehen", "Leasing AG", "Leasing AG"]  # 3 August and 3 September
    run(kontor_home, ledger, "forecast", "--date", "2026-07-10", "dismiss", series["key"])
    [dismissed] = run(kontor_home, ledger, "forecast", "--date", "2026-07-10", "recurring")["recurring"]
    assert dismissed["status"] == "dismissed"


def test_a_planned_amount_that_is_none_is_named(kontor_home: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    env = {"KONTOR_PASSPHRASE": SECRET}
    assert kontor("--ledger", str(ledger), "init", home=kontor_home, env=env).returncode == 0
    done = kontor(
        "--ledger", str(ledger), "forecast", "plan", "2026-07-20", "zwanzig", "Darlehen", home=kontor_home, env=env
    )
    assert done.returncode == 1 and "'zwanzig' is not an amount" in done.stderr
