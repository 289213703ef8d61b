"""Which account a statement is for and which bank keeps it, from what the file names and schwifty's registry.

Without the database stack, so that a statement worker can look the bank up ahead of the ledger writer; the
registry loads only when asked (30 ms).
"""

from __future__ import annotations

import re

from app.services.statements.rows import StatementRows

_IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{10,30}?)(?:[A-Z]{3})?\b")
_BLZ_ACCOUNT = re.compile(r"^(\d{8})/0*(\d{1,10})(?:\D.*)?$")


def clean_iban(value: str) -> str:
    return value.replace(" ", "").upper()


def statement_iban(statement: StatementRows) -> str:
    """The account's IBAN: named in the file, or derived from an IBAN-like or German BLZ/account `:25:`."""
    if statement.account_iban:
        return clean_iban(statement.account_iban)
    from schwifty import IBAN  # the bank registry loads only for a file that names no IBAN (40 ms)
    from schwifty.exceptions import SchwiftyException

    number = statement.account_number.replace(" ", "").upper()
    for candidate in _IBAN_IN_TEXT.findall(number):
        try:
            return str(IBAN(candidate))
        except SchwiftyException:
            continue
    german = _BLZ_ACCOUNT.match(number)
    if german:
        try:
            return str(IBAN.generate("DE", bank_code=german[1], account_code=german[2]))
        except SchwiftyException:
            return ""
    return ""


def bank_of(iban: str) -> tuple[str, str]:
    """BIC and bank name from schwifty's registry ("" for what it does not know)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        parsed = IBAN(iban)
        bic = parsed.bic
        return (str(bic) if bic else ""), (parsed.bank_name or "")
    except SchwiftyException:
        return "", ""
