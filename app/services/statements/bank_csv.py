"""CSV exports of German banks: bank profiles as data, detected from the header, or a generic mapping."""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from app.services.formatting import is_plausible_amount
from app.services.i18n import N_, _
from app.services.statements.csv_detect import DEBIT_MARKS, CsvMapping, clean_cell, columns_used, detect_layout
from app.services.statements.model import (
    ParsedBalance,
    ParsedStatement,
    ParsedTransaction,
    StatementFormatError,
    at_line,
)
from app.services.statements.mt940 import is_valid_iban
from app.services.statements.sepa_purpose import find_return_reason, split_sepa_purpose

_RETURN_RE = re.compile(r"r(ue|ü)cklastschrift|retoure|r(ue|ü)ck(ue|ü)berweisung|r(ue|ü)ckgabe", re.IGNORECASE)
_IBAN_CELL_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")
_AMOUNT_JUNK_RE = re.compile(r"[^0-9,.+\-]")
_HEADER_SCAN_LINES = 40
_ACCOUNT_LABEL_RE = re.compile(r"^(kontonummer|konto|konto-nr\.?|account|account number)\s*:?$", re.IGNORECASE)
_ACCOUNT_NUMBER_RE = re.compile(r"^\d[\d /-]{4,}\d$")
_EMPTY_MARKS = frozenset({"N/A", "n/a", "NULL", "null", "None", "NONE"})
NEEDS_MAPPING = N_("give a column mapping")
_OPENING_LABELS = frozenset({"anfangssaldo", "alter kontostand", "alter saldo", "startsaldo", "opening balance"})
_CLOSING_LABELS = frozenset(
    {"endsaldo", "neuer kontostand", "neuer saldo", "schlusssaldo", "kontostand", "closing balance"}
)
DELIMITER_NAMES = {";": "semicolon", ",": "comma", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """A bank's CSV layout: recognised when the header contains all signature columns."""

    name: str
    signature: frozenset[str]
    mapping: CsvMapping = field(default_factory=CsvMapping)


_DE = CsvMapping()
_SPARKASSE = replace(
    _DE,
    date_format="%d.%m.%y",
    value_date="Valutadatum",
    currency="Waehrung",
    name="Beguenstigter/Zahlungspflichtiger",
    purpose=("Verwendungszweck",),
    posting_text="Buchungstext",
    status="Info",
    pending_values=frozenset({"Umsatz vorgemerkt"}),
    account="Auftragskonto",
)
_DEUTSCHE_BANK = replace(
    _DE,
    value_date="Wert",
    name="Begünstigter / Auftraggeber",
    iban="IBAN",
    bic="BIC",
    purpose=("Verwendungszweck",),
    posting_text="Umsatzart",
    customer_reference="Kundenreferenz",
    mandate_id="Mandatsreferenz",
    creditor_id="Gläubiger ID",
    currency="Währung",
    debit="Soll",
    credit="Haben",
)
_PAYPAL_EN = CsvMapping(
    delimiter=",",
    decimal_comma=False,
    date_format="%d/%m/%Y",
    date="Date",
    amount="Net",
    currency="Currency",
    name="Name",
    customer_reference="Transaction ID",
    status="Status",
    pending_values=frozenset({"Pending"}),
)

PROFILES: tuple[CsvProfile, ...] = (
    CsvProfile(
        "sparkasse-camt",
        frozenset({"Auftragskonto", "Valutadatum", "Kundenreferenz (End-to-End)"}),
        replace(
            _SPARKASSE,
            iban="Kontonummer/IBAN",
            bic="BIC (SWIFT-Code)",
            end_to_end_id="Kundenreferenz (End-to-End)",
            mandate_id="Mandatsreferenz",
            creditor_id="Glaeubiger ID",
        ),
    ),
    CsvProfile(
        "sparkasse-mt940",
        frozenset({"Auftragskonto", "Valutadatum", "Kontonummer", "BLZ"}),
        replace(_SPARKASSE, iban="Kontonummer", bic="BLZ"),
    ),
    CsvProfile(
        "atruvia",  # Volksbanken Raiffeisenbanken, Sparda, GLS, PSD and the other banks on Atruvia's platform
        frozenset({"IBAN Auftragskonto", "Buchungstag", "IBAN Zahlungsbeteiligter", "Betrag"}),
        replace(
            _DE,
            value_date="Valutadatum",
            name="Name Zahlungsbeteiligter",
            iban="IBAN Zahlungsbeteiligter",
            bic="BIC (SWIFT-Code) Zahlungsbeteiligter",
            purpose=("Verwendungszweck",),
            posting_text="Buchungstext",
            currency="Waehrung",
            creditor_id="Glaeubiger ID",
            mandate_id="Mandatsreferenz",
            customer_reference="Kundenreferenz",
            account="IBAN Auftragskonto",
        ),
    ),
    CsvProfile(
        "dkb",
        frozenset({"Buchungsdatum", "Zahlungspflichtige*r", "Zahlungsempfänger*in"}),
        replace(
            _DE,
            date_format="%d.%m.%y",
            date="Buchungsdatum",
            value_date="Wertstellung",
            amount="Betrag (€)",
            name="Zahlungspflichtige*r",
            name_for_debits="Zahlungsempfänger*in",
            iban="IBAN",
            purpose=("Verwendungszweck",),
            posting_text="Umsatztyp",
            creditor_id="Gläubiger-ID",
            mandate_id="Mandatsreferenz",
            customer_reference="Kundenreferenz",
            status="Status",
            pending_values=frozenset({"Vorgemerkt"}),
        ),
    ),
    CsvProfile(
        "dkb-old",
        frozenset({"Buchungstag", "Auftraggeber / Begünstigter", "Betrag (EUR)"}),
        replace(
            _DE,
            value_date="Wertstellung",
            amount="Betrag (EUR)",
            name="Auftraggeber / Begünstigter",
            iban="Kontonummer",
            bic="BLZ",
            purpose=("Verwendungszweck",),
            posting_text="Buchungstext",
            creditor_id="Gläubiger-ID",
            mandate_id="Mandatsreferenz",
            customer_reference="Kundenreferenz",
        ),
    ),
    CsvProfile(
        "ing",
        frozenset({"Buchung", "Wertstellungsdatum", "Auftraggeber/Empfänger"}),
        replace(
            _DE,
            date="Buchung",
            value_date="Wertstellungsdatum",
            currency="Währung",
            name="Auftraggeber/Empfänger",
            purpose=("Verwendungszweck",),
            posting_text="Buchungstext",
        ),
    ),
    CsvProfile(
        "comdirect",
        frozenset({"Buchungstag", "Wertstellung (Valuta)", "Vorgang", "Umsatz in EUR"}),
        replace(
            _DE,
            value_date="Wertstellung (Valuta)",
            amount="Umsatz in EUR",
            purpose=("Buchungstext",),
            posting_text="Vorgang",
            name_pattern=r"(?:Auftraggeber|Empfänger): (?P<name>.*?) Buchungstext:",
        ),
    ),
    CsvProfile(
        "commerzbank",
        frozenset({"Buchungstag", "Wertstellung", "Umsatzart", "IBAN Kontoinhaber"}),
        replace(
            _DE,
            value_date="Wertstellung",
            currency="Währung",
            purpose=("Buchungstext",),
            posting_text="Umsatzart",
            account="IBAN Kontoinhaber",
        ),
    ),
    CsvProfile(
        "postbank",
        frozenset({"Buchungstag", "Wert", "Umsatzart", "IBAN / Kontonummer"}),
        replace(_DEUTSCHE_BANK, iban="IBAN / Kontonummer"),
    ),
    CsvProfile(
        "deutsche-bank",
        frozenset({"Buchungstag", "Wert", "Umsatzart", "Begünstigter / Auftraggeber", "IBAN"}),
        _DEUTSCHE_BANK,
    ),
    CsvProfile(
        "n26",
        frozenset({"Booking Date", "Partner Name", "Amount (EUR)"}),
        CsvMapping(
            delimiter=",",
            decimal_comma=False,
            date_format="%Y-%m-%d",
            date="Booking Date",
            value_date="Value Date",
            amount="Amount (EUR)",
            name="Partner Name",
            iban="Partner Iban",
            purpose=("Payment Reference",),
            posting_text="Type",
        ),
    ),
    CsvProfile(
        "paypal-de",
        frozenset({"Datum", "Uhrzeit", "Brutto", "Netto", "Transaktionscode"}),
        CsvMapping(
            delimiter=",",
            date="Datum",
            amount="Netto",
            currency="Währung",
            name="Name",
            purpose=("Artikelbezeichnung", "Rechnungsnummer"),
            posting_text="Typ",
            customer_reference="Transaktionscode",
            status="Status",
            pending_values=frozenset({"Ausstehend"}),
        ),
    ),
    CsvProfile(
        "paypal-activity-en",
        frozenset({"Date", "TimeZone", "Gross", "Net", "Transaction ID", "Status"}),
        replace(_PAYPAL_EN, posting_text="Type", purpose=("Subject", "Note", "Invoice Number")),
    ),
    CsvProfile(
        "paypal-statement-en",
        frozenset({"Date", "Time Zone", "Description", "Net", "Balance", "Transaction ID"}),
        replace(_PAYPAL_EN, posting_text="Description", purpose=("Invoice ID",), status=""),
    ),
    CsvProfile(
        "revolut",
        frozenset({"Started Date", "Completed Date", "Product", "State"}),
        CsvMapping(
            delimiter=",",
            decimal_comma=False,
            date_format="%Y-%m-%d %H:%M:%S",
            date="Completed Date",
            amount="Amount",
            fee="Fee",
            currency="Currency",
            purpose=("Description",),
            posting_text="Type",
            status="State",
            pending_values=frozenset({"PENDING"}),
        ),
    ),
    CsvProfile(
        "zkb",
        frozenset({"ZKB reference", "Debit CHF", "Credit CHF"}),
        CsvMapping(
            decimal_comma=False,
            date="Date",
            value_date="Value date",
            amount="",
            debit="Debit CHF",
            credit="Credit CHF",
            purpose=("Payment purpose", "Details"),
            posting_text="Booking text",
            customer_reference="ZKB reference",
        ),
    ),
)


def profile_names() -> list[str]:
    return [profile.name for profile in PROFILES]


def is_utf16(head: bytes) -> bool:
    """A UTF-16 text (Erste Bank's George exports): its byte order mark, or a zero byte beside every character."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:200]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return len(sample) >= 20 and min(even, odd) == 0 and max(even, odd) >= 0.9 * (len(sample) // 2)


def utf16_as_utf8(data: bytes) -> bytes:
    """A UTF-16 export re-encoded as UTF-8, so that byte-wise checks and cleaning see text; others unchanged."""
    if not is_utf16(data):
        return data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be"
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        return data


def decode_csv(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, else cp1252, the encoding of older German bank exports."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def read_bank_csv(
    data: bytes, *, source: str, profile: str | None = None, mapping: CsvMapping | None = None
) -> list[ParsedStatement]:
    """Parse a bank CSV export by an explicit mapping, a named profile, a profile its header matches, or the layout
    the detector reads from the file; a StatementFormatError asking for a mapping when it cannot tell."""
    data = utf16_as_utf8(data)
    text, encoding = decode_csv(data) if mapping is None else (_decode_as(data, mapping.encoding, source), "")
    if mapping is not None:
        if not mapping.has_header:
            return [_parse(text, None, mapping, source, layout=_("your mapping"))]
        header_at = _find_header(text, mapping.delimiter, {mapping.date})
        if header_at is None:
            raise StatementFormatError(
                source, "", _("no header line with the date column {column}").format(column=repr(mapping.date))
            )
        return [_parse(text, header_at, mapping, source, layout=_("your mapping"))]
    candidates = [p for p in PROFILES if profile is None or p.name == profile]
    if profile is not None and not candidates:
        raise StatementFormatError(
            source,
            "",
            _("unknown CSV profile {profile}; known: {names}").format(
                profile=repr(profile), names=", ".join(profile_names())
            ),
        )
    for candidate in candidates:
        header_at = _find_header(text, candidate.mapping.delimiter, candidate.signature)
        if header_at is not None:
            return [_parse(text, header_at, candidate.mapping, source, layout=candidate.name)]
    if profile is not None:
        raise StatementFormatError(
            source, at_line(1), _("the CSV header does not match the profile {profile}").format(profile=repr(profile))
        )
    layout = detect_layout(text)
    if not layout.sure:
        raise StatementFormatError(
            source,
            "",
            _(
                "{reasons} — not a known statement format: the CSV header matches no bank profile ({names}); {hint}"
            ).format(
                reasons="; ".join(layout.reasons),
                names=", ".join(profile_names()),
                hint=_(NEEDS_MAPPING),
            ),
        )
    return [_parse(text, layout.header_at, replace(layout.mapping, encoding=encoding), source, layout=_("detected"))]


def suggested_mapping(path: Path, error: StatementFormatError) -> CsvMapping | None:
    """The detector's best guess for a CSV it refused as unclear, to prefill the mapping; None for other errors."""
    if _(NEEDS_MAPPING) not in error.reason or error.source != path.name:
        return None
    try:
        return sniff_csv(path)
    except OSError:
        return None


def mapping_spec(mapping: CsvMapping) -> str:
    """The mapping as a `--map` spec ("date=Buchungstag,amount=Betrag,…"), to show or to edit."""
    parts = [f"{role}={column}" for role, column in columns_used(mapping, raw=True).items()]
    parts.append(f"delimiter={DELIMITER_NAMES.get(mapping.delimiter, mapping.delimiter)}")
    parts.append(f"decimal={'comma' if mapping.decimal_comma else 'point'}")
    parts.append(f"dateformat={mapping.date_format}")
    if not mapping.has_header:
        parts.append("header=no")
    return ",".join(parts)


def _decode_as(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode("utf-8-sig" if encoding.lower().replace("-", "") == "utf8" else encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise StatementFormatError(
            source, "", _("cannot decode as {encoding}: {error}").format(encoding=encoding, error=error)
        ) from error


def _numbered_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every row of the file with the line it starts on; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered, line = [], 1
    for row in reader:
        numbered.append((line, row))
        line = reader.line_num + 1
    return numbered


def _find_header(text: str, delimiter: str, signature: frozenset[str] | set[str]) -> int | None:
    """The row among the first ones that holds every signature column."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for index, row in enumerate(itertools.islice(reader, _HEADER_SCAN_LINES)):
        if signature <= {cell.strip() for cell in row}:
            return index
    return None


def _parse(text: str, header_at: int | None, mapping: CsvMapping, source: str, *, layout: str) -> ParsedStatement:
    """The bookings below the header (row header_at; None: no header, every row may be one)."""
    statement = ParsedStatement(account_iban="", source=source)
    numbered = _numbered_rows(text, mapping.delimiter)
    if header_at is None:
        rows = numbered
        header = [str(index + 1) for index in range(max((len(row) for _, row in rows), default=0))]
    else:
        _account_from_preamble([row for _line, row in numbered[:header_at]], statement)
        header = [cell.strip() for cell in numbered[header_at][1]]
        rows = numbered[header_at + 1 :]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name, index)
    date_format = _settle_date_format(mapping, columns, rows)
    amount_at = columns.get(mapping.amount or mapping.debit, len(header))
    for line_no, row in rows:
        missing = len(header) - len(row)
        if header_at is not None and 0 < missing < len(row) and missing <= amount_at < len(header):
            # a row that lost a text cell: keep the amount columns aligned from the right
            row = row[: amount_at - missing] + [""] * missing + row[amount_at - missing :]
        if _balance_line(row, columns, mapping, date_format, statement, source=source, line_no=line_no):
            continue
        transaction = _transaction(row, columns, mapping, date_format, source=source, line_no=line_no)
        if transaction is None:
            continue
        transaction.raw = mapping.delimiter.join(row)
        statement.transactions.append(transaction)
        if mapping.account and not (statement.account_iban or statement.account_number):
            _set_account(statement, clean_cell(_cell(row, columns, mapping.account)))
    if statement.transactions:
        statement.currency = statement.transactions[0].currency
    _account_from_file_name(source, statement)
    present = columns_used(mapping, present=set(columns) | {str(index + 1) for index in range(len(header))})
    used = ", ".join(f"{role}={column}" for role, column in present.items())
    statement.layout = f"{layout} ({used})"
    return statement


def _balance_line(
    row: list[str],
    columns: dict[str, int],
    mapping: CsvMapping,
    date_format: str,
    statement: ParsedStatement,
    *,
    source: str,
    line_no: int,
) -> bool:
    """A dated balance line inside the table (old Volksbank "Anfangssaldo"/"Endsaldo") is the statement's opening
    or closing balance, not a booking."""
    joined = "\x1f".join(row).lower()
    if "saldo" not in joined and "kontostand" not in joined and "balance" not in joined:
        return False
    labels = {cell.strip().lower() for cell in row}
    kind = "opening" if labels & _OPENING_LABELS else "closing" if labels & _CLOSING_LABELS else ""
    if not kind:
        return False
    on = _date(_cell(row, columns, mapping.date), date_format)
    if on is not None and (mapping.amount or mapping.debit or mapping.credit):
        amount = _signed_amount(row, columns, mapping, source=source, line_no=line_no)
        balance = ParsedBalance(on=on, amount=amount, currency=_cell(row, columns, mapping.currency) or "EUR")
        setattr(statement, kind, balance)
    return True


def _account_from_preamble(rows: list[list[str]], statement: ParsedStatement) -> None:
    """An IBAN above the table, else the number under or beside a "Kontonummer"/"Konto" label."""
    for row in rows:
        for match in _IBAN_CELL_RE.finditer(" ; ".join(row)):
            candidate = match.group(1).replace(" ", "")
            if is_valid_iban(candidate):
                statement.account_iban = candidate
                return
    for at, row in enumerate(rows):
        for index, cell in enumerate(row):
            if not _ACCOUNT_LABEL_RE.match(cell.strip()):
                continue
            beside = row[index + 1].strip() if index + 1 < len(row) else ""
            below = rows[at + 1][index].strip() if at + 1 < len(rows) and index < len(rows[at + 1]) else ""
            for value in (beside, below):
                if _ACCOUNT_NUMBER_RE.match(value):
                    statement.account_number = value
                    return


def _account_from_file_name(source: str, statement: ParsedStatement) -> None:
    """Exports named after their account ("DE12….csv", "umsaetze_DE12…_2024.csv") name it when the content does not."""
    if statement.account_iban:
        return
    name = source.rsplit(":", 1)[-1].upper()
    for match in re.finditer(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", name.replace(" ", "")):
        if is_valid_iban(match.group(0)):
            statement.account_iban = match.group(0)
            return


def _set_account(statement: ParsedStatement, value: str) -> None:
    compact = value.replace(" ", "")
    if len(compact) > 14 and compact[:2].isalpha() and is_valid_iban(compact):
        statement.account_iban = compact
    else:
        statement.account_number = value


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name) if name else None
    value = row[index].strip() if index is not None and index < len(row) else ""
    return "" if value in _EMPTY_MARKS else value


def _transaction(
    row: list[str],
    columns: dict[str, int],
    mapping: CsvMapping,
    date_format: str,
    *,
    source: str,
    line_no: int,
) -> ParsedTransaction | None:
    """One data row; blank lines and balance footers (no date in the date column) give None."""
    booked_on = _date(_cell(row, columns, mapping.date), date_format)
    if booked_on is None:
        if not any(cell.strip() for cell in row) or not _looks_like_date(_cell(row, columns, mapping.date)):
            return None
        raise StatementFormatError(
            source, at_line(line_no), _("unreadable date {text}").format(text=repr(_cell(row, columns, mapping.date)))
        )
    amount = _signed_amount(row, columns, mapping, source=source, line_no=line_no)
    currency = _cell(row, columns, mapping.currency) or "EUR"
    name = _cell(row, columns, mapping.name)
    if mapping.name_for_debits and amount < 0:
        name = _cell(row, columns, mapping.name_for_debits)
    purpose_text = " ".join(filter(None, (_cell(row, columns, column) for column in mapping.purpose)))
    sepa = split_sepa_purpose(purpose_text)
    if mapping.name_pattern and not name:
        match = re.search(mapping.name_pattern, purpose_text)
        name = match.group("name").strip() if match else ""
    posting_text = _cell(row, columns, mapping.posting_text)
    transaction = ParsedTransaction(
        booked_on=booked_on,
        value_on=_date(_cell(row, columns, mapping.value_date), date_format),
        amount=amount,
        currency=currency,
        counterparty_name=" ".join(name.split()),
        counterparty_iban=clean_cell(_cell(row, columns, mapping.iban)).replace(" ", ""),
        counterparty_bic=_cell(row, columns, mapping.bic),
        purpose=sepa.purpose,
        end_to_end_id=_cell(row, columns, mapping.end_to_end_id) or sepa.keys.get("EREF", ""),
        mandate_id=_cell(row, columns, mapping.mandate_id) or sepa.keys.get("MREF", ""),
        creditor_id=_cell(row, columns, mapping.creditor_id) or sepa.keys.get("CRED", ""),
        customer_reference=_cell(row, columns, mapping.customer_reference),
        posting_text=posting_text,
        pending=_cell(row, columns, mapping.status) in mapping.pending_values,
        is_return=bool(_RETURN_RE.search(posting_text)),
    )
    if transaction.end_to_end_id.upper() == "NOTPROVIDED":
        transaction.end_to_end_id = ""
    if transaction.is_return:
        transaction.return_reason = find_return_reason(purpose_text)
    return transaction


def _signed_amount(
    row: list[str], columns: dict[str, int], mapping: CsvMapping, *, source: str, line_no: int
) -> Decimal:
    def parse(column: str) -> Decimal | None:
        text = _cell(row, columns, column)
        if not text:
            return None
        value = parse_amount(text, decimal_comma=mapping.decimal_comma)
        if value is None:
            raise StatementFormatError(
                source,
                at_line(line_no),
                _("unreadable amount {text} in {column}").format(text=repr(text), column=repr(column)),
            )
        if not is_plausible_amount(value):
            raise StatementFormatError(
                source,
                at_line(line_no),
                _("absurd amount {text} in {column}").format(text=repr(text), column=repr(column)),
            )
        return value

    amount = parse(mapping.amount) if mapping.amount else None
    if amount is None:
        debit, credit = parse(mapping.debit), parse(mapping.credit)
        if debit is None and credit is None:
            raise StatementFormatError(source, at_line(line_no), _("row without an amount"))
        amount = (credit or Decimal(0)) - abs(debit or Decimal(0))
    if amount > 0 and _cell(row, columns, mapping.direction).upper() in DEBIT_MARKS:
        amount = -amount
    fee = parse(mapping.fee) if mapping.fee else None
    return amount - fee if fee else amount


def parse_amount(text: str, *, decimal_comma: bool) -> Decimal | None:
    """German "1.234,56-" or English "1,234.56"; a trailing minus is the old German way of writing debits."""
    cleaned = _AMOUNT_JUNK_RE.sub("", text)
    negative = cleaned.endswith("-") or cleaned.startswith("-")
    cleaned = cleaned.strip("+-")
    cleaned = cleaned.replace(".", "").replace(",", ".") if decimal_comma else cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return -value if negative else value


def _date(text: str, date_format: str) -> date | None:
    if not text:
        return None
    formats = [date_format]
    if date_format.endswith("%Y"):
        formats.append(date_format[:-2] + "%y")
    elif date_format.endswith("%y"):
        formats.append(date_format[:-2] + "%Y")
    if " " in date_format:
        formats.append(date_format.split(" ")[0])
    day = text.split(" ")[0].split("T")[0]
    for fmt in formats:
        for value in (text, day):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
    return None


def _looks_like_date(text: str) -> bool:
    return bool(re.match(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", text))


def _settle_date_format(mapping: CsvMapping, columns: dict[str, int], rows: list[tuple[int, list[str]]]) -> str:
    """Slash dates are D/M/Y or M/D/Y: a first part above 12 means D/M, a second part above 12 M/D."""
    if "/" not in mapping.date_format:
        return mapping.date_format
    for _line, row in rows:
        parts = _cell(row, columns, mapping.date).split("/")
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            if int(parts[0]) > 12:
                return "%d/%m/%Y"
            if int(parts[1]) > 12:
                return "%m/%d/%Y"
    return mapping.date_format


def sniff_csv(path: Path) -> CsvMapping:
    """The detector's best reading of an unknown export (sure or not), as the start of a mapping to review."""
    text, encoding = decode_csv(utf16_as_utf8(path.read_bytes()))
    return replace(detect_layout(text).mapping, encoding=encoding)
