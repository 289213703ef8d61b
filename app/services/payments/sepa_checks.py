"""Checks and clean-ups of SEPA fields (IBAN, BIC, creditor ID, names, texts, amounts) before they reach a pain file."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidAccountCode,
    InvalidBankCode,
    InvalidBBANChecksum,
    InvalidBranchCode,
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from app.services.errors import KontorError
from app.services.formatting import CENT, grouped_iban
from app.services.formatting import parse_amount as parse_typed_amount
from app.services.i18n import _

# Countries whose bank code schwifty maps reliably to a BIC; elsewhere the user gives it.
BIC_DERIVED_COUNTRIES = ("DE", "AT")
REMITTANCE_LENGTH = 140
NAME_LENGTH = 70
END_TO_END_LENGTH = 35
MANDATE_REFERENCE_LENGTH = 35
# The SEPA (EPC "Latin") character set: letters, digits and / - ? : ( ) . , ' + and space.
_SEPA_CHARS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_GERMAN_LETTERS = re.compile(r"([äöüÄÖÜß])")
_REFERENCE = re.compile(r"^[A-Za-z0-9/\-?:().,'+]{1,35}$")
_TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ẞ": "SS",
        "&": "+",
        "€": "EUR",
        "@": "(at)",
        "_": "-",
        '"': "'",
        "`": "'",
        "´": "'",
        "‘": "'",
        "’": "'",
        "„": "'",
        "“": "'",
        "”": "'",
        "–": "-",
        "—": "-",
        "#": "Nr.",
        "%": "Proz.",
        ";": ",",
        "!": ".",
        "*": ".",
        "=": "-",
        "\t": " ",
        "\n": " ",
        "\r": " ",
    }
)


class PaymentError(KontorError, ValueError):
    """A payment the ledger refuses; `field` names the input at fault (for the form to highlight)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalize_iban(iban: str) -> str:
    return re.sub(r"\s+", "", iban).upper()


def _iban_reason(error: SchwiftyException) -> str:
    """schwifty's finding in the user's language (its own message is English and names internals)."""
    if isinstance(error, InvalidChecksumDigits | InvalidBBANChecksum):
        return _("the check digits do not fit: a digit is probably mistyped")
    if isinstance(error, InvalidLength):
        return _("it has too many or too few characters for its country")
    if isinstance(error, InvalidCountryCode):
        return _("it does not start with a known country code")
    if isinstance(error, InvalidBankCode | InvalidBranchCode):
        return _("the bank code in it does not exist")
    if isinstance(error, InvalidAccountCode):
        return _("the account number in it has the wrong form")
    return _("letters or digits stand where its country's IBANs have none")


def validate_iban(iban: str, *, field: str = "iban") -> str:
    """The IBAN in electronic form, or a PaymentError saying what is wrong with it."""
    try:
        return str(IBAN(normalize_iban(iban)).compact)
    except SchwiftyException as error:
        raise PaymentError(
            field, _("{iban} is not a valid IBAN: {reason}.").format(iban=iban.strip(), reason=_iban_reason(error))
        ) from error


def resolve_bic(iban: str, bic: str = "", *, field: str = "bic") -> str:
    """The given BIC (checked), else the one derived from a German or Austrian IBAN; other countries must give it."""
    if bic.strip():
        try:
            return str(BIC(re.sub(r"\s+", "", bic).upper()).compact)
        except SchwiftyException as error:
            raise PaymentError(field, _("{bic} is not a valid BIC ({reason})").format(bic=bic, reason=error)) from error
    compact = validate_iban(iban)
    if compact[:2] in BIC_DERIVED_COUNTRIES:
        derived = IBAN(compact).bic
        if derived is not None:
            return str(derived.compact)
        raise PaymentError(
            field, _("No BIC is known for the bank of {iban}; please enter it.").format(iban=grouped_iban(compact))
        )
    raise PaymentError(
        field,
        _("Please enter the BIC for the {country} IBAN {iban}.").format(
            country=compact[:2], iban=grouped_iban(compact)
        ),
    )


@dataclass(frozen=True, slots=True)
class IbanBank:
    """What a form shows while an IBAN is typed; `bic` is '' where the user must enter it."""

    iban: str
    bank_name: str
    bic: str


def iban_bank(iban: str) -> IbanBank:
    """Bank name and derivable BIC of a valid IBAN, for live feedback in the payment forms; PaymentError if invalid."""
    compact = validate_iban(iban)
    try:
        bic = resolve_bic(compact)
    except PaymentError:
        bic = ""
    return IbanBank(compact, IBAN(compact).bank_name or "", bic)


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


def validate_creditor_id(creditor_id: str, *, field: str = "creditor_id") -> str:
    """A SEPA creditor identifier whose check digits are right (EPC262: mod 97 without the business code)."""
    compact = re.sub(r"\s+", "", creditor_id).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", compact):
        raise PaymentError(field, _("{value} is not a SEPA creditor identifier").format(value=creditor_id or "''"))
    if compact.startswith("DE") and len(compact) != 18:
        raise PaymentError(field, _("A German creditor identifier has 18 characters: {value}").format(value=compact))
    if _mod97(compact[7:] + compact[:4]) != 1:
        raise PaymentError(field, _("The check digits of creditor identifier {value} are wrong").format(value=compact))
    return compact


def transliterate(text: str, *, umlauts: bool = False) -> str:
    """Text in the SEPA character set: umlauts spelt out (ä → ae), accents dropped, other signs replaced.

    With `umlauts`, ä ö ü Ä Ö Ü ß stay: German banks take them from their customers (the DK's character set for
    customer files), and a payee's name as the bank knows it makes the payee check a match, not a close one."""
    if not umlauts:
        return _transliterated(text)
    kept = _GERMAN_LETTERS.split(text)
    return re.sub(r" {2,}", " ", "".join(
        part if _GERMAN_LETTERS.fullmatch(part) else _transliterated(part, strip=False) for part in kept
    )).strip()  # fmt: skip


def _transliterated(text: str, *, strip: bool = True) -> str:
    spelt = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    plain = "".join(char for char in spelt if not unicodedata.combining(char))
    sepa = _SEPA_CHARS.sub(".", plain)
    return re.sub(r" {2,}", " ", sepa).strip() if strip else sepa


def keeps_umlauts(account_iban: str) -> bool:
    """Whether orders from this own account may keep umlauts: a German bank's customer files allow them."""
    return normalize_iban(account_iban).startswith("DE")


def sepa_text(text: str, *, field: str, limit: int, required: bool = True, umlauts: bool = False) -> str:
    """Transliterated text within the field's length; too long is an error, never silently cut."""
    clean = transliterate(text, umlauts=umlauts)
    if required and not clean:
        raise PaymentError(field, _("must not be empty"))
    if len(clean) > limit:
        raise PaymentError(
            field,
            _("{length} characters after transliteration, at most {limit} allowed").format(
                length=len(clean), limit=limit
            ),
        )
    return clean


def validate_reference(value: str, *, field: str) -> str:
    """An end-to-end ID or mandate reference: SEPA characters without spaces, 1 to 35 of them."""
    if not _REFERENCE.fullmatch(value):
        raise PaymentError(
            field, _("{value!r}: use 1 to 35 letters, digits or / - ? : ( ) . , ' +").format(value=value)
        )
    return value


_AMBIGUOUS = re.compile(r"[+-]?\d{1,3}[.,]\d{3}")


def parse_amount(value: str | Decimal, *, field: str = "amount") -> Decimal:
    """A positive EUR amount from '123,45', '1.234,56', '1,234.56', '123.45' or a Decimal; at most two decimals.

    Text is read as the amount fields of the GUI read it (`formatting.parse_amount`): with both separators the last
    is the decimal mark, so '1,250.00' is 1250 and never 1.25. One separator before exactly three digits ('1,234',
    '1.234') is refused: it is 1234 in one notation and 1.234 in the other, and money is not guessed."""
    if isinstance(value, Decimal):
        amount = value
    else:
        if _AMBIGUOUS.fullmatch(value.strip().replace("€", "").strip()):
            raise PaymentError(field, _("{value} is ambiguous: write 1234 or 1234,00").format(value=value))
        try:
            amount = parse_typed_amount(value)
        except (ValueError, InvalidOperation) as error:
            raise PaymentError(field, _("{value!r} is not an amount").format(value=value)) from error
    if not amount.is_finite() or amount <= 0:
        raise PaymentError(field, _("The amount must be more than zero."))
    if amount != amount.quantize(CENT):
        raise PaymentError(field, _("{value} has more than two decimals").format(value=value))
    if amount > Decimal("999999999.99"):
        raise PaymentError(field, _("{value} is more than SEPA allows").format(value=value))
    return amount.quantize(CENT)
