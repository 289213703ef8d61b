"""`kontor dunning …` end to end on an encrypted ledger: propose, run with PDFs, mark sent, holds, settings."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from statement_files import Booking, mt940
from test_cli import SECRET, kontor

OWN = "DE89370400440532013000"
INVOICES = """Rechnungsnummer;Kunde;Kundennummer;IBAN;Rechnungsdatum;Fällig am;Betrag brutto
RE-2026-0001;Müller Feinmechanik GmbH;K10001;DE02120300000000202051;01.02.2026;15.02.2026;1.190,00
RE-2026-0003;Bäckerei Weber;K10002;DE44500105175407324931;01.02.2026;20.02.2026;595,00
"""


def run(home: Path, ledger: Path, *args: str) -> dict:
    done = kontor("--ledger", str(ledger), "--json", *args, home=home, env={"KONTOR_PASSPHRASE": SECRET})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_dunning_from_the_command_line(kontor_home: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "firma.kontor"
    assert kontor("--ledger", str(ledger), "init", "--company", "Brenner GmbH", home=kontor_home,
                  env={"KONTOR_PASSPHRASE": SECRET}).returncode == 0  # fmt: skip
    (tmp_path / "rechnungen.csv").write_text(INVOICES, encoding="utf-8")
    opening = [Booking(date(2026, 1, 2), Decimal("10.00"), "Einlage", OWN, "Start")]
    (tmp_path / "konto.sta").write_text(mt940(OWN, opening, opening=Decimal("0")), encoding="utf-8")
    run(kontor_home, ledger, "import", "statement", str(tmp_path / "konto.sta"))
    run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv"))
    run(kontor_home, ledger, "dunning", "customer", "K10001", "--address", "Werkstraße 4\\n90402 Nürnberg")
    run(kontor_home, ledger, "dunning", "settings", "--address", "Gewerbepark 1\\n90411 Nürnberg", "--lump-sum", "yes")

    proposed = run(kontor_home, ledger, "dunning", "propose", "--date", "2026-03-02")["letters"]
    assert [(p["customer"], p["level"], p["invoices"]) for p in proposed] == [
        ("K10002", 1, ["RE-2026-0003"]),
        ("K10001", 1, ["RE-2026-0001"]),
    ]
    held = run(kontor_home, ledger, "dunning", "hold", "--customer", "K10002", "--reason", "Ratenzahlung")
    assert held["held"] == "K10002"
    made = run(kontor_home, ledger, "dunning", "run", "--date", "2026-03-02", "--out", str(tmp_path / "briefe"))
    assert [letter["customer"] for letter in made["letters"]] == ["K10001"] and made["status"] == "draft"
    [pdf] = made["files"]
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Zahlungserinnerung" in text and "Werkstraße 4" in text and "1.190,00 €" in text
    run(kontor_home, ledger, "dunning", "mark-sent", str(made["run"]))
    run(kontor_home, ledger, "dunning", "release", "--customer", "K10002")

    # two weeks later the first notice, with interest and the flat €40 (a business), and Weber's reminder
    later = run(kontor_home, ledger, "dunning", "propose", "--date", "2026-03-16")["letters"]
    mueller = next(p for p in later if p["customer"] == "K10001")
    assert mueller["level"] == 2 and mueller["fees"] == "45.00"  # €5 fee + €40 lump sum
    assert mueller["interest"] == "9.71"  # 119000 ct × (1.27 + 9) % × 29 days / 365 = 971.0 ct
    assert [
        row["level"] for row in run(kontor_home, ledger, "dunning", "list", "--invoice", "RE-2026-0001")["letters"]
    ] == [1]

    changed = run(kontor_home, ledger, "dunning", "level", "2", "--days", "10", "--fee", "7,50", "--text-de",
                  "Bitte zahlen Sie {total} bis {deadline}.")  # fmt: skip
    assert (changed["days"], changed["fee"]) == (10, "7.50")
    bad = kontor("--ledger", str(ledger), "dunning", "level", "2", "--text-en", "Pay {amount}", home=kontor_home,
                 env={"KONTOR_PASSPHRASE": SECRET})  # fmt: skip
    assert bad.returncode == 1 and "unknown placeholder: 'amount'" in bad.stderr
    refused = kontor("--ledger", str(ledger), "dunning", "base-rate", "2026-03-01", "2,0", home=kontor_home,
                     env={"KONTOR_PASSPHRASE": SECRET})  # fmt: skip
    assert refused.returncode == 1 and "1 January and 1 July" in refused.stderr
    rate = run(kontor_home, ledger, "dunning", "base-rate", "2026-07-01", "1,77")
    assert rate["rate"] == "1.77"
