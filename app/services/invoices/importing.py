"""Invoices from the CSV exports of billing and accounting systems, sniffed so that no user has to configure them."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.schema import Allocation, Customer, Invoice, Notification
from app.services.errors import KontorError
from app.services.formatting import MAX_AMOUNT, format_amount, is_plausible_amount, to_cents
from app.services.i18n import N_, _
from app.services.invoices.customers import link_iban
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import read_section, write_section
from app.services.os_errors import file_error

RECEIVABLE = "receivable"
PAYABLE = "payable"
MAPPINGS_KEY = "invoice_mappings"
PREVIEW_ROWS = 20
_SNIFF_BYTES = 64 * 1024
MAX_FILE_BYTES = 64 << 20  # read as a whole: 100,000 invoices are about 15 MiB; more is not an invoice list

# Field -> header names (folded: lower case, umlauts spelt out, no punctuation), best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": (
        "rechnungsnummer", "rechnungsnr", "renr", "rgnr", "belegnummer", "belegnr", "invoicenumber", "invoiceno",
        "invoicenr", "invoiceid", "invoice", "rechnung", "nummer", "number", "documentnumber",
    ),
    "customer": (
        "kunde", "kundenname", "lieferant", "lieferantenname", "debitor", "debitorname", "kreditor", "kreditorname",
        "customer", "customername", "supplier", "suppliername", "vendor", "vendorname", "firma", "name",
    ),
    "customer_number": (
        "kundennummer", "kundennr", "debitornummer", "debitorennummer", "debitornr", "kreditornummer",
        "kreditorennummer", "lieferantennummer", "lieferantennr", "customernumber", "customerno", "customerid",
        "suppliernumber", "supplierno", "vendornumber", "vendorid",
    ),
    "iban": ("iban", "kundeniban", "lieferanteniban", "customeriban", "supplieriban"),
    "issued_on": (
        "rechnungsdatum", "belegdatum", "invoicedate", "issuedate", "issuedon", "issued", "datum", "date",
    ),
    "due_on": (
        "faelligam", "faelligkeit", "faelligkeitsdatum", "faellig", "zahlungsziel", "duedate", "dueon", "due",
    ),
    "amount": (
        "betragbrutto", "bruttobetrag", "brutto", "rechnungsbetragbrutto", "gesamtbetragbrutto", "rechnungsbetrag",
        "gesamtbetrag", "betrag", "grossamount", "amountgross", "gross", "totalamount", "total", "amount",
    ),
    "currency": ("waehrung", "currency", "wae", "ccy"),
    "open_amount": (
        "offenerbetrag", "offen", "restbetrag", "offenerposten", "openamount", "outstanding", "amountdue",
        "balancedue", "open",
    ),
    "status": ("status", "zahlstatus", "zahlungsstatus", "paymentstatus", "state"),
}  # fmt: skip
FIELDS = tuple(SYNONYMS)
FIELD_LABELS = {
    "number": N_("invoice number"),
    "customer": N_("customer"),
    "customer_number": N_("customer number"),
    "iban": N_("IBAN"),
    "issued_on": N_("invoice date"),
    "due_on": N_("due date"),
    "amount": N_("amount"),
    "currency": N_("currency"),
    "open_amount": N_("open amount"),
    "status": N_("status"),
}
# A source status that cancels an invoice, or says it is paid (when no open amount column is given).
CANCELLED_WORDS = frozenset({"storniert", "storno", "cancelled", "canceled", "void", "gutschrift", "annulliert"})
PAID_WORDS = frozenset({"bezahlt", "paid", "ausgeglichen", "erledigt", "settled", "closed"})

DATE_FORMATS = {
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD.MM.YY": "%d.%m.%y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
}
_AMBIGUOUS_SLASHES = ("MM/DD/YYYY", "DD/MM/YYYY")
# Changes that may make an allocation wrong; a new due date or open amount does not.
_REVIEWED = frozenset({"amount_cents", "currency", "customer_id", "cancelled", "issued_on"})
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]")
_MONEY = re.compile(r"^[+-]?[0-9][0-9.,' ]*$")
_CURRENCY_NOISE = re.compile(r"(?i)\s*(€|eur|usd|chf|\$)\s*")
# Control characters other than tab and line ends: dropped from every cell, as the statement readers do.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SHARE = 10  # more than a tenth control characters at the start: not a text file


class InvoiceImportError(KontorError, ValueError):
    """An invoice file that cannot be imported; names the file and, with `errors`, each bad row and column."""

    def __init__(self, message: str, errors: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class ParsedInvoice:
    """One good row of the file, in the units of the ledger."""

    row: int
    number: str
    customer: str
    customer_number: str
    iban: str
    issued_on: date
    due_on: date | None
    amount: Decimal
    currency: str
    open_amount: Decimal | None
    cancelled: bool


@dataclass(frozen=True, slots=True)
class FileFormat:
    """What was sniffed, shown in the wizard so the user can correct it."""

    encoding: str
    delimiter: str
    decimal: str
    date_format: str


@dataclass(slots=True)
class InvoicePreview:
    """The detected layout, the first rows as they would be imported and every row error of the file."""

    path: Path
    format: FileFormat
    headers: list[str]
    mapping: dict[str, str]
    missing: list[str]
    rows: list[ParsedInvoice]
    errors: list[tuple[int, str]]
    total_rows: int
    raw_lines: tuple[str, ...] = ()  # the first lines of the file as they are, shown while mapping


@dataclass(slots=True)
class InvoiceImportResult:
    source: str
    kind: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged_for_review: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    customers_created: int = 0
    mapping: dict[str, str] = field(default_factory=dict)


# -- reading ---------------------------------------------------------------------------------------------


def fold_header(text: str) -> str:
    """Comparable header: 'Fällig am', 'FAELLIG_AM' and 'fällig am (Datum)' all give 'faelligam'."""
    text = _BRACKETS.sub("", text.strip().lower().translate(_FOLD))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", text)


def _decode(path: Path) -> tuple[str, str]:
    with path.open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)  # counted while reading: a huge file is refused, not loaded
    if len(data) > MAX_FILE_BYTES:
        raise InvoiceImportError(
            _("{file}: larger than {size} MiB; export fewer invoices per file").format(
                file=path.name, size=MAX_FILE_BYTES >> 20
            )
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" as spreadsheets save it
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    sample = text[:_SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(";,\t|", key=header.count)


def _read_table(path: Path) -> tuple[list[str], list[list[str]], str, str]:
    try:
        text, encoding = _decode(path)
    except OSError as error:
        raise InvoiceImportError(file_error(error, path.name)) from error
    if _CONTROL.search(text):
        head = text[:1024]
        if len(_CONTROL.findall(head)) * _BINARY_SHARE > len(head):
            raise InvoiceImportError(
                _("{file}: not a text file (binary data); export the invoices as CSV").format(file=path.name)
            )
        text = _CONTROL.sub("", text)
    if not text.strip():
        raise InvoiceImportError(_("{file}: the file is empty").format(file=path.name))
    delimiter = _delimiter(text)
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    header, body = [cell.strip() for cell in rows[0]], rows[1:]
    return header, body, encoding, delimiter


def detect_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Field -> header, by German and English synonyms; each header serves one field, the best synonym wins."""
    folded = {fold_header(header): header for header in reversed(headers) if header}
    candidates = sorted(
        (rank, field_name, folded[synonym])
        for field_name, synonyms in SYNONYMS.items()
        for rank, synonym in enumerate(synonyms)
        if synonym in folded
    )
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for _rank, field_name, header in candidates:
        if field_name not in mapping and header not in used:
            mapping[field_name] = header
            used.add(header)
    return mapping


def parse_mapping_spec(spec: str) -> dict[str, str]:
    """'number=Rechnungsnummer,customer=Kunde' -> {'number': 'Rechnungsnummer', ...}; options dates= and decimal=."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, header = part.partition("=")
        name, header = name.strip().lower(), header.strip()
        if not sep or not header:
            raise InvoiceImportError(_("--map: '{part}' is not FIELD=COLUMN").format(part=part.strip()))
        if name not in FIELDS and name not in ("dates", "decimal"):
            raise InvoiceImportError(
                _("--map: unknown field '{name}'; known fields: {fields}, dates, decimal").format(
                    name=name, fields=", ".join(FIELDS)
                )
            )
        if name == "dates" and header.upper() not in DATE_FORMATS:
            raise InvoiceImportError(
                _("--map: dates={value}; use one of {formats}").format(value=header, formats=", ".join(DATE_FORMATS))
            )
        if name == "decimal" and header not in (",", "."):
            raise InvoiceImportError(_("--map: decimal must be ',' or '.', not '{value}'").format(value=header))
        mapping[name] = header.upper() if name == "dates" else header
    return mapping


def _resolve(path: Path, headers: list[str], explicit: Mapping[str, str] | None) -> dict[str, str]:
    """Explicit columns first (checked against the file), detection for the rest."""
    explicit = dict(explicit or {})
    by_fold = {fold_header(header): header for header in headers}
    chosen: dict[str, str] = {}
    for name, header in explicit.items():
        if name in ("dates", "decimal"):
            continue
        found = header if header in headers else by_fold.get(fold_header(header))
        if found is None:
            raise InvoiceImportError(
                _("{file}: column '{column}' (for {field}) is not in the file; its columns are: {columns}").format(
                    file=path.name, column=header, field=name, columns=", ".join(headers)
                )
            )
        chosen[name] = found
    rest = [header for header in headers if header not in chosen.values()]
    for name, header in detect_mapping(rest).items():
        chosen.setdefault(name, header)
    return {name: chosen[name] for name in FIELDS if name in chosen}


def _missing(mapping: Mapping[str, str]) -> list[str]:
    missing = [name for name in ("number", "amount", "issued_on") if name not in mapping]
    if "customer" not in mapping and "customer_number" not in mapping:
        missing.append("customer")
    return missing


def _money_text(text: str) -> str:
    return _CURRENCY_NOISE.sub("", text.strip()).replace("\u00a0", "").replace(" ", "")


def _sniff_decimal(values: Iterable[str], delimiter: str) -> str:
    """',' or '.': the separator followed by one or two final digits; German (',') when nothing tells."""
    comma = point = 0
    for value in values:
        text = _money_text(value).rstrip("-")
        if re.search(r",\d{1,2}$", text):
            comma += 1
        elif re.search(r"\.\d{1,2}$", text):
            point += 1
    if comma or point:
        return "," if comma >= point else "."
    return "," if delimiter == ";" else "."


def _parse_money(text: str, decimal: str) -> Decimal:
    cleaned = _money_text(text)
    negative = cleaned.endswith("-") or cleaned.startswith("-")
    cleaned = cleaned.strip("+-").replace("'", "")
    if not cleaned or not _MONEY.match(cleaned):
        raise ValueError(text)
    thousands = "." if decimal == "," else ","
    if decimal == "," and re.fullmatch(r"\d{1,3}(\.\d{3})*", cleaned) is None and "." in cleaned and "," not in cleaned:
        raise ValueError(text)  # '12.50' in a decimal-comma file is a typo, not 1250
    cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(text)
    return -amount if negative else amount


def _sniff_dates(values: Sequence[str]) -> str:
    """The format that reads the most values; day and month must not be interchangeable in slashed dates."""
    values = [value.strip() for value in values if value.strip()]
    if not values:
        return "DD.MM.YYYY"
    counts = {
        name: sum(_date_or_none(value, fmt) is not None for value in values) for name, fmt in DATE_FORMATS.items()
    }
    best = max(counts.values())
    winners = [name for name, count in counts.items() if count == best]
    if set(_AMBIGUOUS_SLASHES) <= set(winners) and best:
        example = next(value for value in values if "/" in value)
        raise InvoiceImportError(
            _(
                "dates like {example} may be MM/DD/YYYY or DD/MM/YYYY; add dates=MM/DD/YYYY (or DD/MM/YYYY) to --map"
            ).format(example=example)
        )
    return winners[0]


def _date_or_none(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


def _sniff(path: Path, headers: list[str], body: list[list[str]], delimiter: str, encoding: str,
           mapping: Mapping[str, str], explicit: Mapping[str, str]) -> FileFormat:  # fmt: skip
    index = {header: position for position, header in enumerate(headers)}

    def column(name: str) -> list[str]:
        if name not in mapping:
            return []
        position = index[mapping[name]]
        return [row[position] for row in body if position < len(row)]

    decimal = explicit.get("decimal") or _sniff_decimal(column("amount") + column("open_amount"), delimiter)
    try:
        dates = explicit.get("dates") or _sniff_dates(column("issued_on") + column("due_on"))
    except InvoiceImportError as error:
        raise InvoiceImportError(f"{path.name}: {error}") from error
    return FileFormat(encoding=encoding, delimiter=delimiter, decimal=decimal, date_format=dates)


def _parse_rows(
    headers: list[str], body: list[list[str]], mapping: Mapping[str, str], fmt: FileFormat, *, kind: str
) -> tuple[list[ParsedInvoice], list[tuple[int, str]], int]:
    """Good rows, and (row, reason) for each bad one; row numbers count the header as row 1, like a spreadsheet."""
    index = {header: position for position, header in enumerate(headers)}
    date_format = DATE_FORMATS[fmt.date_format]
    parsed: list[ParsedInvoice] = []
    errors: list[tuple[int, str]] = []
    first_row: dict[str, int] = {}
    total = 0
    absurd = _("'{value}' is more than any invoice can be ({limit})")
    for offset, cells in enumerate(body):
        row = offset + 2
        if not any(cell.strip() for cell in cells):
            continue
        total += 1

        def cell(name: str, cells: list[str] = cells) -> str:
            position = index.get(mapping.get(name, ""), -1)
            return cells[position].strip() if 0 <= position < len(cells) else ""

        def column_error(name: str, reason: str, row: int = row) -> None:
            errors.append(
                (row, _("column {column} ({field}): {reason}").format(
                    column=mapping.get(name, "?"), field=_(FIELD_LABELS[name]), reason=reason))
            )  # fmt: skip

        count = len(errors)
        number = cell("number")
        if not number:
            column_error("number", _("the invoice number is missing"))
        elif number in first_row:
            column_error(
                "number", _("{number} appears already in row {row}").format(number=number, row=first_row[number])
            )
        else:
            first_row[number] = row
        customer, customer_number = cell("customer"), cell("customer_number")
        if not customer and not customer_number:
            column_error("customer" if "customer" in mapping else "customer_number", _("no customer given"))
        amount = open_amount = None
        try:
            amount = _parse_money(cell("amount"), fmt.decimal)
        except ValueError:
            column_error("amount", _("'{value}' is not an amount").format(value=cell("amount")))
        if amount is not None and not is_plausible_amount(amount):
            column_error("amount", absurd.format(value=cell("amount"), limit=format_amount(MAX_AMOUNT)))
            amount = None
        if cell("open_amount"):
            try:
                open_amount = _parse_money(cell("open_amount"), fmt.decimal)
            except ValueError:
                column_error("open_amount", _("'{value}' is not an amount").format(value=cell("open_amount")))
            if open_amount is not None and not is_plausible_amount(open_amount):
                column_error("open_amount", absurd.format(value=cell("open_amount"), limit=format_amount(MAX_AMOUNT)))
                open_amount = None
        issued = _date_or_none(cell("issued_on"), date_format)
        if issued is None:
            column_error("issued_on", _("'{value}' is not a date ({format})").format(
                value=cell("issued_on"), format=fmt.date_format))  # fmt: skip
        due = _date_or_none(cell("due_on"), date_format) if cell("due_on") else None
        if cell("due_on") and due is None:
            column_error("due_on", _("'{value}' is not a date ({format})").format(
                value=cell("due_on"), format=fmt.date_format))  # fmt: skip
        if amount is not None and amount < 0 and kind == RECEIVABLE:
            column_error(
                "amount", _("credit notes ({value}) are not imported as invoices").format(value=cell("amount"))
            )
        status = fold_header(cell("status"))
        if status in PAID_WORDS and open_amount is None:
            open_amount = Decimal("0.00")
        if len(errors) > count:
            continue
        assert amount is not None and issued is not None
        parsed.append(
            ParsedInvoice(
                row=row,
                number=number,
                customer=customer or customer_number,
                customer_number=customer_number,
                iban=cell("iban").replace(" ", "").upper(),
                issued_on=issued,
                due_on=due,
                amount=abs(amount),
                currency=(cell("currency") or "EUR").upper()[:3],
                open_amount=None if open_amount is None else max(Decimal("0.00"), min(abs(open_amount), abs(amount))),
                cancelled=status in CANCELLED_WORDS,
            )
        )
    return parsed, errors, total


def _load(path: Path, explicit: Mapping[str, str] | None, *, kind: str) -> InvoicePreview:
    headers, body, encoding, delimiter = _read_table(path)
    explicit = dict(explicit or {})
    mapping = _resolve(path, headers, explicit)
    missing = _missing(mapping)
    fmt = _sniff(path, headers, body, delimiter, encoding, mapping, explicit)
    if missing:
        return InvoicePreview(path, fmt, headers, mapping, missing, [], [], len(body))
    rows, errors, total = _parse_rows(headers, body, mapping, fmt, kind=kind)
    return InvoicePreview(path, fmt, headers, mapping, missing, rows, errors, total)


RAW_LINES = 20


def preview_invoices(path: Path, mapping: Mapping[str, str] | None = None, *, kind: str = RECEIVABLE) -> InvoicePreview:
    """What an import would do, for the wizard: detected layout, first rows, every error. Reads the file only."""
    preview = _load(Path(path), mapping, kind=kind)
    preview.rows = preview.rows[:PREVIEW_ROWS]
    preview.raw_lines = tuple(_decode(Path(path))[0].splitlines()[:RAW_LINES])
    return preview


# -- named mappings --------------------------------------------------------------------------------------


def saved_mappings(ledger: Ledger) -> dict[str, dict[str, str]]:
    with ledger.session() as session:
        mappings = read_section(session, MAPPINGS_KEY, {})
    return {str(name): dict(value) for name, value in mappings.items()}


def saved_mapping(ledger: Ledger, name: str) -> dict[str, str]:
    mappings = saved_mappings(ledger)
    if name not in mappings:
        known = ", ".join(sorted(mappings)) or _("none")
        raise InvoiceImportError(_("No saved column mapping '{name}' (saved: {known})").format(name=name, known=known))
    return mappings[name]


def save_mapping(ledger: Ledger, name: str, mapping: Mapping[str, str], *, actor: str) -> None:
    """Keep a column mapping under a name in the company settings, so the next export imports in one step."""
    if not name.strip():
        raise InvoiceImportError(_("A saved mapping needs a name."))
    with ledger.writer() as session:
        mappings = read_section(session, MAPPINGS_KEY, {}) | {name.strip(): dict(mapping)}
        write_section(session, MAPPINGS_KEY, mappings, actor=actor, summary=f"invoice mapping {name}")


# -- import ----------------------------------------------------------------------------------------------


def import_invoices(
    ledger: Ledger,
    path: Path,
    *,
    kind: str = RECEIVABLE,
    mapping: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    actor: str,
) -> InvoiceImportResult:
    """Create or update invoices by number in one transaction. Blocks; call from a worker.

    Matching the payments against them is the caller's next step (`reconciliation.import_and_match`).

    All-or-nothing: a bad row stops the import unless `skip_bad_rows`; the error lists every bad row.
    """
    path = Path(path)
    if kind not in (RECEIVABLE, PAYABLE):
        raise ValueError(kind)
    from app.services.invoices.einvoice_import import import_einvoices, is_einvoice_file

    if is_einvoice_file(path):  # the file itself says whose invoice it is: `kind` does not apply
        results = import_einvoices(ledger, [path], actor=actor)
        return combined_result(results)
    preview = _load(path, mapping, kind=kind)
    if preview.missing:
        raise InvoiceImportError(
            _("{file}: no column for {fields}; its columns are: {columns} (name them with --map)").format(
                file=path.name,
                fields=", ".join(_(FIELD_LABELS[name]) for name in preview.missing),
                columns=", ".join(preview.headers),
            )
        )
    if preview.errors and not skip_bad_rows:
        lines = [_("row {row}: {reason}").format(row=row, reason=reason) for row, reason in preview.errors]
        raise InvoiceImportError(
            _("{file}: {n} bad rows, nothing imported (or skip them with --skip-bad-rows):").format(
                file=path.name, n=len(preview.errors)
            )
            + "\n"
            + "\n".join(lines),
            preview.errors,
        )
    result = InvoiceImportResult(source=path.name, kind=kind, errors=preview.errors, mapping=preview.mapping)
    with ledger.writer() as session:
        _store(session, preview.rows, result, actor=actor)
    return result


def store_parsed(
    session: Session, by_kind: Mapping[str, Sequence[ParsedInvoice]], *, source: str, actor: str
) -> list[InvoiceImportResult]:
    """Parsed invoices of other sources (e-invoices) stored as the CSV import stores rows, in the caller's
    transaction."""
    results = []
    for kind, rows in by_kind.items():
        if not rows:
            continue
        result = InvoiceImportResult(source=source, kind=kind)
        _store(session, rows, result, actor=actor)
        results.append(result)
    return results


def combined_result(results: Sequence[InvoiceImportResult]) -> InvoiceImportResult:
    """One result for files that held receivables and payables (e-invoices of both sides)."""
    if len(results) == 1:
        return results[0]
    combined = InvoiceImportResult(source=results[0].source, kind="mixed")
    for result in results:
        combined.new += result.new
        combined.updated += result.updated
        combined.unchanged += result.unchanged
        combined.flagged_for_review += result.flagged_for_review
        combined.customers_created += result.customers_created
    return combined


def _store(session: Session, rows: Sequence[ParsedInvoice], result: InvoiceImportResult, *, actor: str) -> None:
    """Create or update the invoices by number, then one audit event for the whole import."""
    kind = result.kind
    customers = _CustomerBook(session, actor=actor)
    existing = {invoice.number: invoice for invoice in session.scalars(select(Invoice).where(Invoice.kind == kind))}
    allocated = set(session.scalars(select(Allocation.invoice_id).join(Invoice).where(Invoice.kind == kind).distinct()))
    for row in rows:
        customer = customers.find_or_create(row)
        values: dict[str, Any] = {
            "customer_id": customer.id,
            "issued_on": row.issued_on,
            "due_on": row.due_on,
            "amount_cents": to_cents(row.amount),
            "currency": row.currency,
            "reported_open_cents": None if row.open_amount is None else to_cents(row.open_amount),
            "cancelled": row.cancelled,
        }
        invoice = existing.get(row.number)
        if invoice is None:
            invoice = Invoice(number=row.number, kind=kind, **values)
            session.add(invoice)
            session.flush()
            audit.record_row(session, actor=actor, action="create", row=invoice, summary=row.number)
            existing[row.number] = invoice
            result.new += 1
            continue
        changed = [name for name, value in values.items() if getattr(invoice, name) != value]
        if not changed:
            result.unchanged += 1
            continue
        before = {name: getattr(invoice, name) for name in changed}
        for name in changed:
            setattr(invoice, name, values[name])
        invoice.updated_at = utcnow()
        audit.record_row(
            session, actor=actor, action="update", row=invoice, summary=f"{row.number}: {', '.join(changed)}"
        )
        result.updated += 1
        if invoice.id in allocated and set(changed) & _REVIEWED:
            _flag(session, invoice, before, customer.name)
            result.flagged_for_review.append(invoice.number)
    result.customers_created = customers.created
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="invoice_import",
        entity_id=None,
        data=[[row.number, str(row.amount), row.customer_number or row.customer] for row in rows],
        summary=f"{result.source} ({kind}): {result.new} new, {result.updated} updated, "
        f"{len(result.flagged_for_review)} flagged, {len(result.errors)} bad rows skipped",
    )


def _flag(session: Session, invoice: Invoice, before: Mapping[str, Any], customer: str) -> None:
    """Payments were allocated on the old figures: the bookkeeper decides whether they still fit."""
    parts = []
    if "amount_cents" in before:
        parts.append(
            _("amount {old} → {new}").format(
                old=format_amount(Decimal(before["amount_cents"]).scaleb(-2), invoice.currency),
                new=format_amount(Decimal(invoice.amount_cents).scaleb(-2), invoice.currency),
            )
        )
    if before.get("cancelled") is False and invoice.cancelled:
        parts.append(_("cancelled"))
    if "customer_id" in before:
        parts.append(_("customer now {name}").format(name=customer))
    if "currency" in before:
        parts.append(_("currency {old} → {new}").format(old=before["currency"], new=invoice.currency))
    if "issued_on" in before:
        parts.append(_("invoice date changed"))
    note = "; ".join(parts)
    invoice.needs_review = True
    invoice.review_note = note
    session.add(
        Notification(
            kind="review",
            message=_("Invoice {number} changed after payments were allocated to it: {changes}").format(
                number=invoice.number, changes=note
            ),
        )
    )


class _CustomerBook:
    """Customers of this import: by customer number, else by name; new ones are created and audited."""

    def __init__(self, session: Session, *, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.created = 0
        self.by_number: dict[str, Customer] = {}
        self.by_name: dict[str, Customer] = {}
        for customer in session.scalars(select(Customer).order_by(Customer.id)):
            if customer.number:
                self.by_number.setdefault(customer.number, customer)
            self.by_name.setdefault(_name_key(customer.name), customer)

    def find_or_create(self, row: ParsedInvoice) -> Customer:
        customer = self.by_number.get(row.customer_number) if row.customer_number else None
        if customer is None:
            named = self.by_name.get(_name_key(row.customer))
            if named is not None and (not row.customer_number or not named.number):
                customer = named
        if customer is None:
            customer = Customer(number=row.customer_number, name=row.customer[:200], iban=row.iban)
            self.session.add(customer)
            self.session.flush()
            audit.record_row(self.session, actor=self.actor, action="create", row=customer, summary=customer.name)
            self.created += 1
        elif row.customer_number and not customer.number:
            customer.number = row.customer_number
            audit.record_row(self.session, actor=self.actor, action="update", row=customer, summary=customer.name)
        if customer.number:
            self.by_number[customer.number] = customer
        self.by_name.setdefault(_name_key(customer.name), customer)
        if row.iban and row.iban != customer.iban:
            link_iban(self.session, customer, row.iban, actor=self.actor)
        return customer


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())
