"""The start of a bank CSV no profile knows, for the column-mapping dialog: the raw lines as they are, the columns
as Kontor splits them, the detector's guess per column, what is still missing, and a trial read of the head.

The result of the dialog is a CsvMapping, given to the import as the spec the CLI's `--map` takes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from app.services.i18n import N_, _
from app.services.statements.bank_csv import decode_csv, read_bank_csv, utf16_as_utf8
from app.services.statements.csv_detect import CsvMapping, detect_layout
from app.services.statements.model import StatementFormatError

RAW_LINES = 20
TABLE_ROWS = 15
HEAD_BYTES = 256 * 1024  # enough for the preview and a trial read; a statement's head says how it is written
TRIAL_LINES = 500  # a trial read while the user picks columns stays well under a tenth of a second
IGNORE = ""
# What a column can be, in the order the dialog offers them; the keys are CsvMapping's fields and --map's names.
ROLE_LABELS: dict[str, str] = {
    IGNORE: N_("ignore"),
    "date": N_("booking date"),
    "value_date": N_("value date"),
    "amount": N_("amount (with sign)"),
    "debit": N_("debit amount (Soll)"),
    "credit": N_("credit amount (Haben)"),
    "direction": N_("debit/credit mark (S/H)"),
    "name": N_("counterparty name"),
    "name_for_debits": N_("payee name (debits only)"),
    "iban": N_("counterparty IBAN"),
    "bic": N_("counterparty BIC"),
    "purpose": N_("purpose"),
    "posting_text": N_("booking text"),
    "currency": N_("currency"),
    "fee": N_("fee"),
    "end_to_end_id": N_("end-to-end reference"),
    "mandate_id": N_("mandate reference"),
    "creditor_id": N_("creditor ID"),
    "customer_reference": N_("customer reference"),
    "status": N_("status (booked/pending)"),
    "account": N_("own account"),
}
MULTIPLE = frozenset({"purpose"})  # several purpose columns are joined
_ROLE_FIELDS = tuple(role for role in ROLE_LABELS if role)
assert {f.name for f in fields(CsvMapping)} >= set(_ROLE_FIELDS)


@dataclass(frozen=True, slots=True)
class CsvPreview:
    """What the dialog shows of one file; `columns` are the header's names, or "1", "2", … without a header."""

    path: Path
    encoding: str
    raw_lines: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    header_line: int | None  # 1-based line of the header, None without one
    guess: CsvMapping
    head: str  # the decoded start of the file, for trial reads


def preview_csv(path: Path, *, delimiter: str | None = None, has_header: bool | None = None) -> CsvPreview:
    """Read the start of `path` (a few hundred KB at most) and lay it out; the delimiter and whether the file has a
    header line may be overridden by the user. Blocks on the file."""
    with path.open("rb") as file:
        data = file.read(HEAD_BYTES)
        complete = not file.read(1)
    data = utf16_as_utf8(data)
    if not complete and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]  # never a character or a line cut in half
    text, encoding = decode_csv(data)
    layout = detect_layout(text)
    guess = replace(layout.mapping, encoding=encoding)
    if delimiter is not None:
        guess = replace(guess, delimiter=delimiter)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=guess.delimiter))
    header_at = layout.header_at if delimiter in (None, layout.mapping.delimiter) else _widest_first(rows)
    if has_header is False:
        header_at = None
    elif has_header and header_at is None:
        header_at = _widest_first(rows)
    guess = replace(guess, has_header=header_at is not None)
    if header_at is None:
        data_rows = [row for row in rows if any(cell.strip() for cell in row)]
        width = max((len(row) for row in data_rows[:TABLE_ROWS]), default=0)
        columns = tuple(str(index + 1) for index in range(width))
    else:
        columns = tuple(cell.strip() for cell in rows[header_at])
        data_rows = [row for row in rows[header_at + 1 :] if any(cell.strip() for cell in row)]
    if guess.has_header != layout.mapping.has_header or guess.delimiter != layout.mapping.delimiter:
        guess = _without_roles(guess)  # the detector's names no longer fit these columns
    return CsvPreview(
        path=path,
        encoding=encoding,
        raw_lines=tuple(text.splitlines()[:RAW_LINES]),
        columns=columns,
        rows=tuple(tuple(row) for row in data_rows[:TABLE_ROWS]),
        header_line=None if header_at is None else _line_of(text, guess.delimiter, header_at),
        guess=guess,
        head=text,
    )


def roles_of(mapping: CsvMapping, columns: Sequence[str]) -> list[str]:
    """The role of each column as `mapping` assigns it ("" = ignored); a column is given its first role."""
    return [next((role for role in _ROLE_FIELDS if column and _assigns(mapping, role, column)), IGNORE)
            for column in columns]  # fmt: skip


def _assigns(mapping: CsvMapping, role: str, column: str) -> bool:
    value = getattr(mapping, role)
    return column in value if role in MULTIPLE else value == column


def mapping_with_roles(base: CsvMapping, columns: Sequence[str], roles: Sequence[str]) -> CsvMapping:
    """`base`'s formats (delimiter, decimals, dates, header) with the columns assigned as `roles` says."""
    changes: dict[str, object] = {name: () if name in MULTIPLE else "" for name in _ROLE_FIELDS}
    for column, role in zip(columns, roles, strict=True):
        if role in MULTIPLE:
            changes[role] = (*changes[role], column)  # type: ignore[misc]
        elif role:
            changes[role] = column
    return replace(base, **changes)  # type: ignore[arg-type]


def missing_in(roles: Sequence[str]) -> list[str]:
    """What keeps a mapping from being importable, in words; empty when it is complete."""
    chosen = [role for role in roles if role]
    problems = []
    if "date" not in chosen:
        problems.append(_("Choose the column with the booking date."))
    has_amount, has_split = "amount" in chosen, bool({"debit", "credit"} & set(chosen))
    if not has_amount and not has_split:
        problems.append(_("Choose the amount column, or the debit and credit columns."))
    if has_amount and has_split:
        problems.append(_("Choose either one amount column or debit and credit columns, not both."))
    if "direction" in chosen and not has_amount:
        problems.append(_("A debit/credit mark needs the amount column it signs."))
    twice = sorted({role for role in chosen if role not in MULTIPLE and chosen.count(role) > 1})
    for role in twice:
        problems.append(_("“{role}” is chosen for more than one column.").format(role=_(ROLE_LABELS[role])))
    return problems


def trial_read(preview: CsvPreview, mapping: CsvMapping) -> int:
    """How many bookings the start of the file yields with `mapping`; a StatementFormatError names the line that
    does not fit (a date that is no date, an amount that is no amount)."""
    head = "".join(preview.head.splitlines(keepends=True)[:TRIAL_LINES])
    statements = read_bank_csv(head.encode("utf-8"), source=preview.path.name,
                               mapping=replace(mapping, encoding="utf-8"))  # fmt: skip
    count = sum(len(statement.transactions) for statement in statements)
    if not count:
        reason = _("no booking could be read with these columns")
        if preview.rows and mapping.date in preview.columns:
            value = _cell(preview.rows[0], preview.columns.index(mapping.date))
            reason += " " + _("(the booking date column “{column}” holds “{value}”)").format(
                column=mapping.date, value=value
            )
        raise StatementFormatError(preview.path.name, "", reason)
    return count


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _widest_first(rows: list[list[str]]) -> int | None:
    """The first row as wide as the widest of the first ones: the header of a file the detector could not read."""
    head = rows[:40]
    width = max((len(row) for row in head), default=0)
    return next((index for index, row in enumerate(head) if len(row) == width and width > 1), None)


def _line_of(text: str, delimiter: str, row_index: int) -> int:
    """1-based line of the row_index-th CSV row (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for index, _row in enumerate(reader):
        if index == row_index:
            return line
        line = reader.line_num + 1
    return line


def _without_roles(mapping: CsvMapping) -> CsvMapping:
    return replace(mapping, **{name: () if name in MULTIPLE else "" for name in _ROLE_FIELDS})  # type: ignore[arg-type]
