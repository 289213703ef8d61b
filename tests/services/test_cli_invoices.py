"""`kontor import invoices`, `kontor match` and `kontor export allocations` as a user runs them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from statement_files import mt940
from test_cli import kontor, kontor_process
from test_import_then_match import invoices_and_their_payments
from test_reconciliation import INVOICES, MARCH, OWN

from app.cli.invoices import SHOWN_ALLOCATIONS
from app.services.statements.importing import import_statement_files

SECRET = "Abgleich-4711"
ENV = {"KONTOR_PASSPHRASE": SECRET, "KONTOR_USER": "anna"}


def run(home: Path, ledger: Path, *args: str):  # noqa: ANN201
    return kontor("--ledger", str(ledger), *args, home=home, env=ENV)


def test_import_match_export_and_audit(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    assert run(kontor_home, ledger, "init", "--company", "Firma GmbH").returncode == 0
    renamed = INVOICES.replace("Rechnungsnummer", "Beleg").replace("Betrag brutto", "Summe")
    (tmp_path / "rechnungen.csv").write_text(renamed, encoding="cp1252")
    spec = "number=Beleg,amount=Summe"
    done = run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv"), "--map", spec,
               "--save-map", "Faktura", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["new"], result["customers_created"], result["matching"]["payments"]) == (7, 5, 0)

    (tmp_path / "march.sta").write_text(mt940(OWN, MARCH, opening=Decimal("0")), encoding="utf-8")
    imported = run(kontor_home, ledger, "import", "statement", str(tmp_path / "march.sta"))
    assert imported.returncode == 0, imported.stderr  # the statement import matched the clear payments already

    dry = run(kontor_home, ledger, "match", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert {key: json.loads(dry.stdout)[key] for key in ("auto", "suggested", "open")} == {
        "auto": 0,
        "suggested": 2,
        "open": 2,
    }
    text = run(kontor_home, ledger, "match")
    assert text.stdout.strip() == "0 assigned automatically, 2 with suggestions, 2 left open"

    again = run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv"), "--mapping", "Faktura")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("rechnungen.csv: 0 new, 0 updated, 7 unchanged, 0 flagged for review")

    out = tmp_path / "allocations.csv"
    exported = run(kontor_home, ledger, "export", "allocations", "--out", str(out))
    assert exported.returncode == 0 and "3 allocations written" in exported.stdout
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sorted(row["invoice_number"] for row in rows) == ["RE-2026-0042", "RE-2026-0043", "RE-2026-0070"]
    assert {row["method"] for row in rows} == {"auto"}
    verified = run(kontor_home, ledger, "audit", "verify")
    assert verified.returncode == 0 and "Audit log intact" in verified.stdout


def test_bad_rows_are_listed_and_nothing_is_imported_unless_skipped(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    assert run(kontor_home, ledger, "init").returncode == 0
    path = tmp_path / "export.csv"
    path.write_text(
        "Invoice number,Customer,Invoice date,Amount\nA-1,X Ltd,2026-03-01,10.00\nA-2,Y Ltd,2026-03-01,ten\n",
        encoding="utf-8",
    )
    refused = run(kontor_home, ledger, "import", "invoices", str(path), "--payables")
    assert refused.returncode == 1
    assert "export.csv: 1 bad rows, nothing imported" in refused.stderr
    assert "row 3: column Amount (amount): 'ten' is not an amount" in refused.stderr
    skipped = run(kontor_home, ledger, "import", "invoices", str(path), "--payables", "--skip-bad-rows")
    assert skipped.returncode == 0, skipped.stderr
    assert "1 new" in skipped.stdout and "skipped row 3" in skipped.stdout
    unknown = run(kontor_home, ledger, "import", "invoices", str(path), "--map", "nummer=Invoice number")
    assert unknown.returncode == 1 and "unknown field 'nummer'" in unknown.stderr


def test_export_open_items_as_csv_and_pdf(kontor_home: Path, tmp_path: Path) -> None:
    ledger = kontor_home / "firma.kontor"
    assert run(kontor_home, ledger, "init", "--company", "Firma GmbH").returncode == 0
    (tmp_path / "rechnungen.csv").write_text(INVOICES, encoding="utf-8")
    assert run(kontor_home, ledger, "import", "invoices", str(tmp_path / "rechnungen.csv")).returncode == 0
    (tmp_path / "march.sta").write_text(mt940(OWN, MARCH, opening=Decimal("0")), encoding="utf-8")
    assert run(kontor_home, ledger, "import", "statement", str(tmp_path / "march.sta")).returncode == 0

    out = tmp_path / "op-liste.csv"
    done = run(kontor_home, ledger, "export", "open-items", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"4 open invoices (€1,970.00) written to {out}"  # 7 less the 3 paid ones
    with out.open(encoding="utf-8", newline="") as stream:
        numbers = [row["Invoice"] for row in csv.DictReader(stream)]
    assert sorted(numbers) == ["RE-2026-0050", "RE-2026-0051", "RE-2026-0060", "RE-2026-0061"]

    pdf = tmp_path / "op-liste.pdf"
    done = run(kontor_home, ledger, "export", "open-items", "--pdf", str(pdf), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"out": str(pdf), "invoices": 4, "open": {"EUR": "1970.00"}}
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("language", "first", "more"),
    [
        ("en", "  RE-2026-0000  €100.00  Kunde 0 GmbH  (", "  … and 5 more allocations (kontor export"),
        ("de", "  RE-2026-0000  100,00\u00a0€  Kunde 0 GmbH  (", "  … und 5 weitere Zuordnungen (kontor export"),
    ],
)
def test_a_big_run_lists_its_first_allocations_and_counts_the_rest(
    kontor_home: Path, tmp_path: Path, language: str, first: str, more: str
) -> None:
    """A first run over years of bookings makes thousands of allocations: the terminal shows the first few, in the
    user's format, and says how many more and where to get them all."""
    count = SHOWN_ALLOCATIONS + 5
    path = kontor_home / "firma.kontor"
    ledger = new_ledger(path, SECRET, company_name="Firma GmbH")
    statement = invoices_and_their_payments(ledger, tmp_path, count)
    import_statement_files(ledger, [statement], actor="anna")  # no matching hook: `kontor match` finds them all
    ledger.close()

    environment = ENV | {"KONTOR_LANG": language}  # read once, as a process starts
    done = kontor_process("--ledger", str(path), "match", home=kontor_home, env=environment)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(first)
    assert len([line for line in lines if line.startswith("  RE-2026-")]) == SHOWN_ALLOCATIONS
    assert lines[-2].startswith(more)
    assert lines[-1].startswith("25")
    listed = kontor("--ledger", str(path), "--json", "match", "--dry-run", home=kontor_home, env=ENV)
    assert json.loads(listed.stdout)["allocations"] == []  # booked by the run before: nothing left to list
