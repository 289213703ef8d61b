"""What the bank's verification of payee found, in one sentence of the user's language.

Its own module without the ledger's models, because the bank prompts (loaded before the first window) use it.
"""

from __future__ import annotations

from app.services.i18n import _


def result_text(result: str, *, bank_name: str = "", reason: str = "") -> str:
    """One sentence on what the bank found (RCVC, RVMC, RVNM, RVNA, or nothing)."""
    if result == "RCVC":
        return _("The payee's name matches the account holder; the bank still wants your confirmation.")
    if result == "RVMC":
        return _("The payee's name almost matches: the bank knows the account holder as “{name}”.").format(
            name=bank_name
        )
    if result == "RVNM":
        return _("The payee's name does not match the account holder's name at the payee's bank.")
    if result == "RVNA":
        return _("The payee's name could not be checked: {reason}").format(reason=reason or _("no reason given"))
    return _("The bank gave no result of the payee check.")
