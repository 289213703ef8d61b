"""Column mappings for bank CSV exports no built-in profile knows: given as a spec, sniffed, saved by name."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger.settings import read_section, write_section
from app.services.statements.bank_csv import DELIMITER_NAMES, CsvMapping, profile_names, sniff_csv

SECTION = "statement_csv_mappings"
_COLUMNS = {f.name for f in fields(CsvMapping)} - {
    "delimiter",
    "encoding",
    "decimal_comma",
    "date_format",
    "purpose",
    "pending_values",
    "has_header",
}
_OPTIONS = {"delimiter", "encoding", "decimal", "dateformat", "header"}


class MappingSpecError(KontorError, ValueError):
    """A --map spec that names an unknown field or misses the date or amount column."""


def parse_spec(spec: str, base: CsvMapping) -> CsvMapping:
    """`date=Buchungstag,amount=Betrag,purpose=Verwendungszweck+Buchungstext,delimiter=;,decimal=comma` on top of
    what was sniffed from the file."""
    changes: dict[str, Any] = {}
    for part in filter(None, (item.strip() for item in spec.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            raise MappingSpecError(_("'{part}' is not FIELD=COLUMN").format(part=part))
        if key == "purpose":
            changes["purpose"] = tuple(column.strip() for column in value.split("+") if column.strip())
        elif key == "decimal":
            changes["decimal_comma"] = value.strip().lower() in ("comma", ",", "komma")
        elif key == "dateformat":
            changes["date_format"] = value.strip()
        elif key == "delimiter":
            names = {name: delimiter for delimiter, name in DELIMITER_NAMES.items()}
            changes[key] = "\t" if value == "\\t" else names.get(value.strip().lower(), value)
        elif key == "encoding":
            changes[key] = value
        elif key == "header":
            changes["has_header"] = value.strip().lower() not in ("no", "none", "0", "false", "nein")
        elif key in _COLUMNS:
            changes[key] = value.strip()
        else:
            known = ", ".join(sorted(_COLUMNS | _OPTIONS | {"purpose"}))
            raise MappingSpecError(_("unknown field '{key}' (known: {known})").format(key=key, known=known))
    mapping = replace(base, **changes)
    if not mapping.date or not (mapping.amount or mapping.debit or mapping.credit):
        raise MappingSpecError(_("a mapping needs the date column and the amount (or debit/credit) columns"))
    return mapping


def mapping_for(path: Path, spec: str) -> CsvMapping:
    return parse_spec(spec, sniff_csv(path))


def _to_dict(mapping: CsvMapping) -> dict[str, Any]:
    data = asdict(mapping)
    data["purpose"] = list(mapping.purpose)
    data["pending_values"] = sorted(mapping.pending_values)
    return data


def _from_dict(data: dict[str, Any]) -> CsvMapping:
    known = {f.name for f in fields(CsvMapping)}
    values = {key: value for key, value in data.items() if key in known}
    values["purpose"] = tuple(values.get("purpose", ()))
    values["pending_values"] = frozenset(values.get("pending_values", ()))
    return CsvMapping(**values)


def save_mapping(session: Session, name: str, mapping: CsvMapping, *, actor: str) -> None:
    """Keep a mapping under a name, so the next export of that bank imports with `--profile NAME`."""
    name = name.strip()
    if not name:
        raise MappingSpecError(_("A saved mapping needs a name."))
    if name in profile_names():
        raise MappingSpecError(_("'{name}' is a built-in bank profile; choose another name").format(name=name))
    saved = dict(read_section(session, SECTION, {})) | {name: _to_dict(mapping)}
    write_section(session, SECTION, saved, actor=actor, summary=f"statement CSV mapping {name}")


def saved_mapping(session: Session, name: str) -> CsvMapping | None:
    data = read_section(session, SECTION, {}).get(name)
    return _from_dict(data) if data else None
