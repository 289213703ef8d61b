"""Which column of an unknown bank CSV holds what: header synonyms in German and English, then the cells' content.

Banks rename, reorder and add columns, put account data above the table and balances below it, or leave the
header out. The detector reads the table the way a bookkeeper would: the rows with a date and an amount are the
bookings, the line above them that names columns is the header, and where no line names them the cells say what
they are (dates, amounts, IBANs, currency codes, text).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from app.services.i18n import _

_SCAN_ROWS = 400  # rows read to decide the layout; the rest of the file is parsed with the result
_DELIMITERS = (";", ",", "\t", "|")
_DATE_RE = re.compile(r"^(\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{4}\.\d{2}\.\d{2})$")
_AMOUNT_RE = re.compile(r"^[+-]?\s*[+-]?\d{1,3}(?:[.,' ]?\d{3})*(?:[.,]\d{1,4})?\s*-?$")
_MONEY_SUFFIX_RE = re.compile(r"\s*(€|EUR|CHF|USD|GBP)$", re.IGNORECASE)
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_PENDING_RE = re.compile(r"vorgemerkt|pending|ausstehend|nicht gebucht|in bearbeitung", re.IGNORECASE)
DEBIT_MARKS = frozenset({"S", "SOLL", "D", "DR", "DBIT", "DEBIT", "-", "BELASTUNG", "AUSGANG"})
_CREDIT_MARKS = frozenset({"H", "HABEN", "C", "CR", "CRDT", "CREDIT", "+", "GUTSCHRIFT", "EINGANG"})
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%Y.%m.%d", "%d/%m/%y")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

# Header names per role, normalised (lower case, umlauts spelled out, punctuation as spaces): exact names first,
# then prefixes ("betrag eur" starts with "betrag"), then words the name contains. A column takes the first role
# whose list names it; where several columns claim a role, the one named earlier in the list wins.
_EXACT: dict[str, tuple[str, ...]] = {
    "own": (
        "bezeichnung auftragskonto",
        "bic auftragskonto",
        "bankname auftragskonto",
        "kontoname",
        "wallet name",
        "account type",
    ),
    "account": (
        "iban auftragskonto",
        "auftragskonto",
        "iban kontoinhaber",
        "wallet iban",
        "eigene iban",
        "account iban",
    ),
    "end_to_end_id": (
        "kundenreferenz end to end",
        "end to end referenz",
        "end to end id",
        "eref",
        "end to end reference",
    ),
    "direction": ("s h", "soll haben", "sh", "kennzeichen", "debit credit", "cr dr", "auswirkung auf guthaben", "d c"),
    "value_date": (
        "valuta",
        "valutadatum",
        "wertstellung",
        "wert",
        "wertstellungsdatum",
        "wertstellungstag",
        "wertstellung valuta",
        "value date",
        "interest date",
        "valuta datum",
    ),
    "date": (
        "buchungstag",
        "buchungsdatum",
        "buchung",
        "booking date",
        "datum",
        "date",
        "transaktionsdatum",
        "umsatztag",
        "completed date",
        "date completed",
        "transaction date",
        "posting date",
        "belegdatum",
        "started date",
    ),
    "amount": (
        "betrag",
        "umsatz",
        "amount",
        "betrag eur",
        "betrag euro",
        "betrag in eur",
        "umsatz in eur",
        "amount eur",
        "netto",
        "net",
        "zahlungsbetrag",
        "payment amount",
        "betrag waehrung",
    ),
    "debit": ("soll", "debit", "belastung", "ausgang", "lastschrift", "soll eur", "debit eur", "money out", "paid out"),
    "credit": ("haben", "credit", "gutschrift", "eingang", "haben eur", "credit eur", "money in", "paid in"),
    "currency": ("waehrung", "currency", "curr", "whrg", "zahlungswaehrung", "payment currency", "wahrung"),
    "name": (
        "name zahlungsbeteiligter",
        "beguenstigter zahlungspflichtiger",
        "zahlungspflichtiger beguenstigter",
        "auftraggeber empfaenger",
        "empfaenger auftraggeber",
        "auftraggeber beguenstigter",
        "beguenstigter auftraggeber",
        "sender empfaenger",
        "empfaenger sender",
        "zahlungsbeteiligter",
        "gegenpartei",
        "partner name",
        "partnername",
        "counterparty name",
        "counterparty",
        "sender or recipient",
        "name",
        "beneficiary",
    ),
    "payer": (
        "zahlungspflichtige r",
        "zahlungspflichtiger",
        "auftraggeber",
        "auftraggebername",
        "sender",
        "payer",
        "payer name",
    ),
    "payee": (
        "zahlungsempfaenger in",
        "zahlungsempfaenger",
        "empfaenger",
        "empfaengername",
        "empfaenger 1",
        "beguenstigter",
        "recipient",
        "payee",
        "payee name",
        "merchant",
    ),
    "iban": (
        "iban zahlungsbeteiligter",
        "kontonummer iban",
        "iban kontonummer",
        "iban",
        "partner iban",
        "counterparty iban",
        "iban konto nr",
        "gegenkonto",
        "empfaenger iban",
    ),
    "bic": ("bic", "bic swift code", "bic swift code zahlungsbeteiligter", "counterparty bic", "bic blz", "blz bic"),
    "creditor_id": ("glaeubiger id", "glaeubigerid", "glaeubiger identifikation", "creditor id"),
    "mandate_id": ("mandatsreferenz", "mandat", "mandate reference", "mandate id"),
    "customer_reference": (
        "kundenreferenz",
        "transaktionscode",
        "transaction id",
        "transaktions id",
        "referenznummer",
        "reference number",
        "transferwise id",
        "transaktionsnummer",
    ),
    "purpose": (
        "verwendungszweck",
        "payment reference",
        "zahlungsreferenz",
        "reference",
        "description",
        "beschreibung",
        "umsatztext",
        "payment purpose",
        "purpose",
        "betreff",
        "text",
        "details",
    ),
    "posting_text": (
        "buchungstext",
        "umsatzart",
        "vorgang",
        "umsatztyp",
        "transaktionsart",
        "buchungsart",
        "textschluessel",
        "booking text",
        "transaction type",
        "transaktionstyp",
        "booking type",
        "type",
        "typ",
        "art",
    ),
    "status": ("status", "state", "info", "umsatzstatus", "buchungsstatus"),
    "fee": ("fee", "fees", "gebuehr", "gebuehren", "entgelt"),
    "balance": ("saldo", "saldo nach buchung", "balance", "kontostand", "guthaben"),
}
_PREFIX: dict[str, tuple[str, ...]] = {
    "value_date": ("wertstellung", "valuta"),
    "date": ("buchungstag", "buchungsdatum", "booking date"),
    "amount": ("betrag", "umsatz in", "amount"),
    "debit": ("soll ", "debit ", "belastung "),
    "credit": ("haben ", "credit ", "gutschrift "),
    "currency": ("waehrung", "currency"),
    "iban": ("iban",),
    "bic": ("bic",),
    "purpose": ("verwendungszweck",),
    "balance": ("saldo", "balance", "kontostand"),
}
_CONTAINS: dict[str, tuple[str, ...]] = {
    "end_to_end_id": ("end to end",),
    "creditor_id": ("glaeubiger", "creditor"),
    "mandate_id": ("mandat",),
    "purpose": ("verwendungszweck",),
    "iban": ("iban",),
    "bic": ("bic",),
    "balance": ("saldo",),
}
# Columns that look like amounts or dates by name but are not the booking's (original currency, balances).
_NOT_AMOUNT = (
    "ursprung",
    "original",
    "fremdwaehrung",
    "brutto",
    "gross",
    "gebuehr",
    "fee",
    "entgelt",
    "saldo",
    "details",
)


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Which column holds what, and how dates and amounts are written; empty names mean "not in this file"."""

    delimiter: str = ";"
    encoding: str = "utf-8"
    decimal_comma: bool = True
    date_format: str = "%d.%m.%Y"  # "%d/%m/%Y" also accepts M/D/Y when the file's values say so
    has_header: bool = True  # False: columns are named by their number, "1" for the first
    date: str = "Buchungstag"
    value_date: str = ""
    amount: str = "Betrag"
    debit: str = ""  # separate Soll column (unsigned) when there is no signed amount
    credit: str = ""  # separate Haben column
    direction: str = ""  # S/H (Soll/Haben, D/C) marks giving the sign of unsigned amounts
    fee: str = ""  # subtracted from the amount (Revolut)
    currency: str = ""
    name: str = ""
    name_for_debits: str = ""  # DKB: the payee column applies to debits, `name` to credits
    iban: str = ""
    bic: str = ""
    purpose: tuple[str, ...] = ()
    posting_text: str = ""
    end_to_end_id: str = ""
    mandate_id: str = ""
    creditor_id: str = ""
    customer_reference: str = ""
    status: str = ""
    pending_values: frozenset[str] = frozenset()
    account: str = ""  # a column naming the statement's own account (Sparkasse "Auftragskonto")
    name_pattern: str = ""  # regex with a group "name" taken from the purpose (comdirect)


@dataclass(frozen=True, slots=True)
class Layout:
    """What the detector found: the mapping, where the header is (None: no header) and how sure it is."""

    mapping: CsvMapping
    header_at: int | None
    sure: bool
    reasons: tuple[str, ...] = ()


def normalise(name: str) -> str:
    """Header text compared without case, umlaut spelling, punctuation or a trailing currency sign."""
    text = name.strip().lower().translate(_UMLAUTS).replace("€", " eur ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def read_rows(text: str, delimiter: str) -> list[list[str]]:
    """The first rows of text split by the csv module (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) >= _SCAN_ROWS:
            break
    return rows


def clean_cell(cell: str) -> str:
    """A cell as compared: outer spaces and Excel's protecting apostrophes ('DE12…') removed."""
    return cell.strip().strip("'").strip()


def is_date(cell: str) -> bool:
    value = clean_cell(cell).split(" ")[0].split("T")[0]
    return bool(_DATE_RE.match(value))


def is_amount(cell: str) -> bool:
    value = _MONEY_SUFFIX_RE.sub("", clean_cell(cell))
    return bool(value) and bool(_AMOUNT_RE.match(value)) and any(ch.isdigit() for ch in value)


def has_decimals(cell: str) -> bool:
    value = _MONEY_SUFFIX_RE.sub("", clean_cell(cell)).rstrip("-").strip()
    return bool(re.search(r"[.,]\d{1,2}$", value))


def is_iban(cell: str) -> bool:
    return bool(_IBAN_RE.match(clean_cell(cell).replace(" ", "").upper()))


def choose_delimiter(text: str) -> str:
    """The delimiter under which most rows share one width and hold a date: the bookings table's."""
    best, best_score = "", 0
    for delimiter in _DELIMITERS:
        rows = read_rows(text, delimiter)
        widths = Counter(len(row) for row in rows if len(row) >= 3 and any(is_date(cell) for cell in row))
        score = widths.most_common(1)[0][1] if widths else 0
        if score > best_score:
            best, best_score = delimiter, score
    if best:
        return best
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        return ";"


def _is_data_row(row: Sequence[str]) -> bool:
    return (
        len(row) >= 3
        and any(is_date(cell) for cell in row)
        and any(is_amount(cell) and not is_date(cell) for cell in row)
    )


def _role_of(name: str) -> tuple[str, tuple[int, int]]:
    """The role a header name claims and how well (exact name, then prefix, then contained word); "" for none."""
    if not name:
        return "", (9, 0)
    tests = (lambda hint: name == hint, lambda hint: name.startswith(hint), lambda hint: hint in name)
    for level, (table, test) in enumerate(zip((_EXACT, _PREFIX, _CONTAINS), tests, strict=True)):
        for role, hints in table.items():
            if role in ("amount", "debit", "credit") and any(word in name for word in _NOT_AMOUNT):
                continue
            for rank, hint in enumerate(hints):
                if test(hint):
                    return role, (level, rank)
    return "", (9, 0)


def _header_roles(header: Sequence[str]) -> dict[str, list[int]]:
    """Role → the columns claiming it, best claim first (Revolut: "Completed Date" before "Started Date")."""
    claims: dict[str, list[tuple[tuple[int, int], int]]] = {}
    for index, cell in enumerate(header):
        role, rank = _role_of(normalise(cell))
        if role:
            claims.setdefault(role, []).append((rank, index))
    return {role: [index for _rank, index in sorted(found)] for role, found in claims.items()}


def _header_score(row: Sequence[str]) -> int:
    """How much a row looks like the bookings' header: named roles, date and amount weighing most."""
    if any(is_date(cell) or (is_amount(cell) and has_decimals(cell)) for cell in row):
        return 0
    roles = _header_roles(row)
    score = len(roles)
    score += 3 * ("date" in roles) + 3 * bool({"amount", "debit", "credit"} & set(roles))
    return score


def _column(rows: Sequence[Sequence[str]], index: int) -> list[str]:
    return [clean_cell(row[index]) for row in rows if index < len(row) and clean_cell(row[index])]


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(bool(test(value)) for value in values) / len(values) if values else 0.0


def guess_date_format(values: Sequence[str]) -> str:
    """The first format that reads every value (times after the date ignored); D/M before M/D."""
    dates = [value.split(" ")[0].split("T")[0] for value in values if value]
    for fmt in _DATE_FORMATS:
        if dates and all(_strict_date(value, fmt) for value in dates):
            return fmt
    return "%d.%m.%Y"


def _strict_date(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def guess_decimal_comma(values: Sequence[str], *, delimiter: str) -> bool:
    """Decimal comma when the last separator of the amounts is a comma ("1.234,56"), point for "1,234.56"."""
    comma = point = 0
    for value in values:
        digits = _MONEY_SUFFIX_RE.sub("", value).rstrip("-").strip()
        match = re.search(r"([.,])(\d+)$", digits)
        if not match:
            continue
        if match.group(1) == ",":
            comma += 1
        elif len(match.group(2)) != 3 or digits.count(".") > 1:
            point += 1
    if comma == point:
        return delimiter != ","
    return comma > point


def detect_layout(text: str) -> Layout:
    """The layout of an unknown bank CSV; `sure` only when date and amount columns were found and their cells agree."""
    delimiter = choose_delimiter(text)
    rows = read_rows(text, delimiter)
    data_at = [index for index, row in enumerate(rows) if _is_data_row(row)]
    if not data_at:
        guess = CsvMapping(delimiter=delimiter, date="", amount="")
        return Layout(guess, None, False, (_("no line with a date and an amount"),))
    # the bookings are the most common row width; a summary line above them (period, balance) is not one
    modal, _count = Counter(len(rows[index]) for index in data_at).most_common(1)[0]
    first = next(index for index in data_at if len(rows[index]) == modal)
    data_at = [index for index in data_at if index >= first]
    candidates = [(index, _header_score(rows[index])) for index in range(first)]
    header_at, score = max(reversed(candidates), key=lambda item: item[1], default=(None, 0))
    data = [rows[index] for index in data_at]
    if header_at is not None and score >= 4:
        width = len(rows[header_at])
        table = [row for row in data if len(row) >= 0.8 * width] or data  # balance footers are shorter
        return _from_header(rows[header_at], header_at, table, delimiter)
    previous = next(
        (rows[index] for index in range(first - 1, -1, -1) if any(cell.strip() for cell in rows[index])), []
    )
    if len(previous) == len(rows[first]) and all(cell.strip() for cell in previous):
        # a header whose names mean nothing to the detector: read by content, named by the header, not sure
        return _from_content(
            data, delimiter, header=[cell.strip() for cell in previous], header_at=rows.index(previous)
        )
    return _from_content(data, delimiter)


def _from_header(header: list[str], header_at: int, data: list[list[str]], delimiter: str) -> Layout:
    names = [cell.strip() for cell in header]
    roles = _header_roles(names)
    reasons: list[str] = []
    chosen: dict[str, int] = {}
    for role, indexes in roles.items():
        chosen[role] = indexes[0]
    # a second date-like column is the value date (DKB credit card: Wertstellung, Belegdatum)
    if "date" not in chosen and "value_date" in chosen:
        chosen["date"] = chosen.pop("value_date")
    # "Buchungstext" is the purpose when nothing else is (comdirect, Commerzbank); the posting text is then Umsatzart
    if "purpose" not in chosen and "posting_text" in roles:
        for index in roles["posting_text"]:
            if normalise(names[index]) in ("buchungstext", "text", "beschreibung"):
                chosen["purpose"] = index
                others = [other for other in roles["posting_text"] if other != index]
                if others:
                    chosen["posting_text"] = others[0]
                else:
                    chosen.pop("posting_text")
                break
    purposes = roles.get("purpose", [])
    for role in ("name", "payer", "payee"):
        claims = [index for index in roles.get(role, []) if _share(_column(data, index), is_iban) < 0.8]
        if role in chosen and claims != roles[role]:
            # a "Counterparty" column holding IBANs is the counterparty's account (bunq), not its name
            chosen.setdefault("iban", next(index for index in roles[role] if index not in claims))
            if claims:
                chosen[role] = claims[0]
            else:
                del chosen[role]
    if "payer" in chosen and "payee" in chosen:
        name, name_for_debits = names[chosen["payer"]], names[chosen["payee"]]
    else:
        single = chosen.get("name", chosen.get("payer", chosen.get("payee")))
        name, name_for_debits = (names[single] if single is not None else ""), ""
    account = names[chosen["account"]] if "account" in chosen else ""
    iban = names[chosen["iban"]] if "iban" in chosen else ""
    has_party = bool({"name", "payer", "payee"} & set(chosen))
    for index, cell in enumerate(names):
        if normalise(cell) not in ("kontonummer", "konto", "konto nr", "account", "account number"):
            continue
        if (index == 0 or iban) and not account:
            # first, or beside another column with the counterparty's account: the statement's own (HVB, bunq)
            account = cell
        elif has_party and not iban:
            iban = cell  # beside the counterparty's name it is the counterparty's account (N26, old DKB)
        elif not has_party and not account and _constant(data, index):
            account = cell  # the only account named on every row is the statement's own (ING Austria, Livebank)
        break
    if "amount" in chosen and {"debit", "credit"} <= set(chosen):
        if len(_column(data, chosen["amount"])) < 0.5 * len(data):
            del chosen["amount"]  # a mostly empty amount column beside debit and credit (ZKB's "Amount details")
    dates = _column(data, chosen["date"]) if "date" in chosen else []
    amount_column = chosen.get("amount", chosen.get("debit", chosen.get("credit")))
    amounts = [
        value for role in ("amount", "debit", "credit") if role in chosen for value in _column(data, chosen[role])
    ]
    mapping = CsvMapping(
        delimiter=delimiter,
        decimal_comma=guess_decimal_comma(amounts, delimiter=delimiter),
        date_format=guess_date_format([value for value in dates if is_date(value)]),
        date=names[chosen["date"]] if "date" in chosen else "",
        value_date=names[chosen["value_date"]] if "value_date" in chosen else "",
        amount=names[chosen["amount"]] if "amount" in chosen else "",
        debit=names[chosen["debit"]] if "debit" in chosen and "amount" not in chosen else "",
        credit=names[chosen["credit"]] if "credit" in chosen and "amount" not in chosen else "",
        direction=names[chosen["direction"]] if "direction" in chosen else "",
        currency=names[chosen["currency"]] if "currency" in chosen else "",
        name=name,
        name_for_debits=name_for_debits,
        iban=iban,
        bic=names[chosen["bic"]] if "bic" in chosen else "",
        purpose=tuple(names[index] for index in purposes)
        or ((names[chosen["purpose"]],) if "purpose" in chosen else ()),
        posting_text=names[chosen["posting_text"]] if "posting_text" in chosen else "",
        end_to_end_id=names[chosen["end_to_end_id"]] if "end_to_end_id" in chosen else "",
        mandate_id=names[chosen["mandate_id"]] if "mandate_id" in chosen else "",
        creditor_id=names[chosen["creditor_id"]] if "creditor_id" in chosen else "",
        customer_reference=names[chosen["customer_reference"]] if "customer_reference" in chosen else "",
        status=names[chosen["status"]] if "status" in chosen else "",
        fee=names[chosen["fee"]] if "fee" in chosen and _gross(names, chosen) else "",
        pending_values=_pending_values(data, chosen.get("status")),
        account=account,
    )
    if mapping.direction == "" and amount_column is not None:
        mapping = replace(mapping, direction=_direction_by_content(names, data, exclude=set(chosen.values())))
    if "date" not in chosen:
        reasons.append(_("no column named like a booking date"))
    elif _share(dates, is_date) < 0.9:
        reasons.append(_("the column {column} does not hold dates").format(column=repr(mapping.date)))
    if amount_column is None:
        reasons.append(_("no column named like an amount"))
    elif _share(amounts, is_amount) < 0.9:
        reasons.append(_("the column {column} does not hold amounts").format(column=repr(names[amount_column])))
    if not (mapping.purpose or mapping.name or mapping.iban or mapping.posting_text or mapping.value_date):
        # a date and an amount alone are any list (invoices, a cash book): a bank's export names who or why
        reasons.append(_("no column with a counterparty, purpose or value date"))
    return Layout(mapping, header_at, not reasons, tuple(reasons))


def _gross(names: list[str], chosen: dict[str, int]) -> bool:
    """A fee column is taken off the amount unless the amount is already net (PayPal's "Netto")."""
    return "amount" in chosen and normalise(names[chosen["amount"]]) not in ("net", "netto", "net amount")


def _constant(data: list[list[str]], index: int) -> bool:
    """One value on (nearly) every row: the statement's own account, not a counterparty."""
    values = _column(data, index)
    if len(values) < 2:
        return False
    _value, count = Counter(values).most_common(1)[0]
    return count >= 0.8 * len(data)


def _pending_values(data: list[list[str]], index: int | None) -> frozenset[str]:
    if index is None:
        return frozenset()
    return frozenset(value for value in _column(data, index) if _PENDING_RE.search(value))


def _direction_by_content(names: list[str], data: list[list[str]], *, exclude: set[int]) -> str:
    """An unnamed or oddly named column holding only S/H (Soll/Haben, D/C) marks: the sign of unsigned amounts."""
    for index, name in enumerate(names):
        values = _column(data, index)
        if index in exclude or not name or not values:
            continue
        marks = {value.upper() for value in values}
        if marks <= (DEBIT_MARKS | _CREDIT_MARKS) and marks & DEBIT_MARKS and len(marks) <= 2:
            return name
    return ""


def _from_content(
    data: list[list[str]], delimiter: str, *, header: list[str] | None = None, header_at: int | None = None
) -> Layout:
    """A file without a header: dates, amounts, IBANs and currency codes recognised column by column."""
    width = max(len(row) for row in data)
    names = header if header is not None else [str(index + 1) for index in range(width)]
    width = min(width, len(names))
    kinds: dict[str, list[int]] = {"date": [], "amount": [], "iban": [], "currency": [], "text": []}
    lengths: dict[int, float] = {}
    for index in range(width):
        values = _column(data, index)
        if not values:
            continue
        if _share(values, is_date) >= 0.95:
            kinds["date"].append(index)
        elif _share(values, is_amount) >= 0.95 and _share(values, has_decimals) >= 0.5:
            kinds["amount"].append(index)
        elif _share(values, is_iban) >= 0.8:
            kinds["iban"].append(index)
        elif _share(values, lambda value: bool(_CURRENCY_RE.match(value))) >= 0.95:
            kinds["currency"].append(index)
        elif not _share(values, lambda value: value.replace(" ", "").isdigit()) >= 0.95:
            kinds["text"].append(index)
            lengths[index] = sum(len(value) for value in values) / len(values)
    reasons = []
    signed = [
        index
        for index in kinds["amount"]
        if any(value.startswith("-") or value.endswith("-") for value in _column(data, index))
    ]
    amounts = signed or kinds["amount"]
    debit = credit = ""
    if len(kinds["amount"]) == 2 and _exclusive(data, *kinds["amount"]):
        # a debit and a credit column, one of them filled per row (Targobank)
        first, second = kinds["amount"]
        if second in signed and first not in signed:
            first, second = second, first
        debit, credit, amounts = names[first], names[second], []
    if not kinds["date"]:
        reasons.append(_("no column of dates"))
    if len(amounts) != 1 and not debit:
        reasons.append(_("no single column of amounts") if not amounts else _("more than one column of amounts"))
    account = iban = ""
    for index in kinds["iban"]:
        if _constant(data, index) and not account:
            account = names[index]
        elif not iban:
            iban = names[index]
    if not account:
        for index in range(width):
            values = _column(data, index)
            if values and all(value.isdigit() for value in values) and _constant(data, index):
                account = names[index]
                break
    texts = sorted(kinds["text"], key=lambda index: -lengths[index])
    amount_values = [value for index in (amounts or kinds["amount"])[:2] for value in _column(data, index)]
    date_values = _column(data, kinds["date"][0]) if kinds["date"] else []
    mapping = CsvMapping(
        delimiter=delimiter,
        has_header=header is not None,
        decimal_comma=guess_decimal_comma(amount_values, delimiter=delimiter),
        date_format=guess_date_format(date_values),
        date=names[kinds["date"][0]] if kinds["date"] else "",
        value_date=names[kinds["date"][1]] if len(kinds["date"]) > 1 else "",
        amount=names[amounts[0]] if amounts else "",
        debit=debit,
        credit=credit,
        currency=names[kinds["currency"][0]] if kinds["currency"] else "",
        iban=iban,
        purpose=(names[texts[0]],) if texts else (),
        account=account,
    )
    if header is not None:
        reasons.append(
            _("no column named like a booking date or an amount ({columns})").format(columns=", ".join(header))
        )
    return Layout(mapping, header_at, not reasons, tuple(reasons))


def _exclusive(data: list[list[str]], first: int, second: int) -> bool:
    """Two columns never filled on the same row."""
    return not any(
        first < len(row) and second < len(row) and clean_cell(row[first]) and clean_cell(row[second]) for row in data
    )


def columns_used(mapping: CsvMapping, *, present: set[str] | None = None, raw: bool = False) -> dict[str, str]:
    """Role → column as the report shows it (only those in `present` when given); header-less columns by number."""
    roles = (
        "date",
        "value_date",
        "amount",
        "debit",
        "credit",
        "direction",
        "fee",
        "currency",
        "name",
        "name_for_debits",
        "iban",
        "bic",
        "purpose",
        "posting_text",
        "end_to_end_id",
        "mandate_id",
        "creditor_id",
        "customer_reference",
        "status",
        "account",
    )
    used: dict[str, str] = {}
    for role in roles:
        value = getattr(mapping, role)
        if present is not None:
            value = tuple(name for name in value if name in present) if isinstance(value, tuple) else value
            value = value if isinstance(value, tuple) or value in present else ""
        text = "+".join(value) if isinstance(value, tuple) else value
        if text:
            used[role] = text if mapping.has_header or raw else f"column {text}"
    return used
