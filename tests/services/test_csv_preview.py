"""The column-mapping preview of an unknown bank CSV: raw lines, columns, roles, what is missing, a trial read."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.statements.bank_csv import mapping_spec
from app.services.statements.csv_mappings import mapping_for
from app.services.statements.csv_preview import (
    RAW_LINES,
    mapping_with_roles,
    missing_in,
    preview_csv,
    roles_of,
    trial_read,
)
from app.services.statements.model import StatementFormatError

UNCLEAR = "Kontoauszug Firma GmbH;;;\nTag;Gegenüber;Zweck;Wert\n" + "".join(
    f"{day:02d}.03.2026;Müller GmbH;RE-{day};1.190,{day:02d}\n" for day in range(1, 28)
)


@pytest.fixture
def unclear(tmp_path: Path) -> Path:
    path = tmp_path / "umsaetze.csv"
    path.write_text(UNCLEAR, encoding="cp1252")
    return path


def test_preview_shows_the_raw_lines_and_the_columns_under_the_header(unclear: Path) -> None:
    preview = preview_csv(unclear)
    assert preview.raw_lines[:2] == ("Kontoauszug Firma GmbH;;;", "Tag;Gegenüber;Zweck;Wert")
    assert len(preview.raw_lines) == RAW_LINES and preview.encoding == "cp1252"
    assert preview.columns == ("Tag", "Gegenüber", "Zweck", "Wert") and preview.header_line == 2
    assert preview.rows[0] == ("01.03.2026", "Müller GmbH", "RE-1", "1.190,01")
    assert roles_of(preview.guess, preview.columns)[3] == "amount"  # the detector's guess, shown in the combos


def test_missing_roles_are_said_in_words_until_the_mapping_is_complete() -> None:
    assert missing_in(["", "name", "purpose", ""]) == [
        "Choose the column with the booking date.",
        "Choose the amount column, or the debit and credit columns.",
    ]
    assert missing_in(["date", "amount", "debit", ""]) == [
        "Choose either one amount column or debit and credit columns, not both."
    ]
    assert missing_in(["date", "date", "amount"]) == ["“booking date” is chosen for more than one column."]
    assert missing_in(["date", "name", "purpose", "purpose", "amount"]) == []


def test_the_chosen_roles_give_the_cli_spec_that_imports_the_file(unclear: Path) -> None:
    preview = preview_csv(unclear)
    roles = ["date", "name", "purpose", "amount"]
    mapping = mapping_with_roles(preview.guess, preview.columns, roles)
    assert roles_of(mapping, preview.columns) == roles
    assert trial_read(preview, mapping) == 27
    spec = mapping_spec(mapping)
    assert "date=Tag" in spec and "amount=Wert" in spec and "purpose=Zweck" in spec and "decimal=comma" in spec
    assert mapping_for(unclear, spec) == mapping  # what the import gets back from the spec


def test_a_wrong_column_is_refused_by_the_trial_read(unclear: Path) -> None:
    preview = preview_csv(unclear)
    mapping = mapping_with_roles(preview.guess, preview.columns, ["purpose", "name", "date", "amount"])
    with pytest.raises(StatementFormatError, match="umsaetze.csv"):
        trial_read(preview, mapping)


def test_without_header_the_columns_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "ohne.csv"
    path.write_text("02.03.2026;Müller;RE-1;10,00\n03.03.2026;Maier;RE-2;-5,00\n", encoding="utf-8")
    preview = preview_csv(path, has_header=False)
    assert preview.columns == ("1", "2", "3", "4") and preview.header_line is None
    mapping = mapping_with_roles(preview.guess, preview.columns, ["date", "name", "purpose", "amount"])
    assert trial_read(preview, mapping) == 2
    assert "header=no" in mapping_spec(mapping) and mapping_for(path, mapping_spec(mapping)).date == "1"
