"""Which bank a BLZ is and where its FinTS PIN/TAN server lives, plus Kontor's FinTS product registration."""

from __future__ import annotations

import os
from dataclasses import dataclass

from schwifty import registry
from sqlalchemy.orm import Session

from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger.settings import read_section

DEMO_BANK_BLZ = "10000000"
DEMO_BANK_NAME = "Kontor Demobank"
PRODUCT_ID_SETTING = "fints_product_id"
PRODUCT_ID_ENV = "KONTOR_FINTS_PRODUCT_ID"
UNREGISTERED_PRODUCT_ID = "KONTOR-UNREGISTERED"
REGISTRATION_URL = "https://www.hbci-zka.de/register/prod_register.htm"

# Well-known PIN/TAN endpoints, by BIC prefix and (where a prefix is shared) a word of the bank's name.
# Only URLs that are stable and documented by the banks or long-standing clients; Sparkassen are per
# region (banking-<region>.s-fints-pt-<region>.de) and must be entered by the user.
_ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("BYLADEM1001", "", "https://fints.dkb.de/fints"),
    ("INGDDE", "", "https://fints.ing.de/fints"),
    ("COBADEHD", "comdirect", "https://fints.comdirect.de/fints"),
    ("COBADE", "", "https://fints.commerzbank.de/PinTanCgi"),
    ("PBNKDE", "", "https://hbci.postbank.de/banking/hbci.do"),
    ("DEUTDE", "", "https://fints.deutsche-bank.de/"),
    ("CSDBDE71", "", "https://brokerage-hbci.consorsbank.de/hbci"),
    ("GENODE", "volksbank", "https://fints2.atruvia.de/cgi-bin/hbciservlet"),
    ("GENODE", "raiffeisen", "https://fints2.atruvia.de/cgi-bin/hbciservlet"),
    ("GENODE", "vr ", "https://fints2.atruvia.de/cgi-bin/hbciservlet"),
    ("GENODE", "vr-", "https://fints2.atruvia.de/cgi-bin/hbciservlet"),
    ("VOBADE", "", "https://fints2.atruvia.de/cgi-bin/hbciservlet"),
)


@dataclass(frozen=True, slots=True)
class BankInfo:
    """What the setup wizard can prefill from a BLZ."""

    blz: str
    name: str
    bic: str
    fints_url: str | None


class UnknownBankError(KontorError, ValueError):
    """A BLZ that is not in the Bundesbank's bank code list."""


def bank_info(blz: str, *, demo_url: str | None = None) -> BankInfo:
    """Name and BIC from schwifty's Bundesbank registry, the FinTS URL from the curated table (or None)."""
    code = blz.replace(" ", "")
    if code == DEMO_BANK_BLZ:
        return BankInfo(code, DEMO_BANK_NAME, "MARKDEF1100", demo_url)
    if len(code) != 8 or not code.isdigit():
        raise UnknownBankError(_("A BLZ has 8 digits: {blz}").format(blz=blz))
    banks = registry.get_banks_by_code("DE", code)
    if not banks:
        raise UnknownBankError(_("Unknown BLZ {blz}").format(blz=code))
    bank = next((b for b in banks if b.primary), banks[0])
    return BankInfo(code, bank.name, bank.bic, _endpoint(bank.bic, bank.name))


def _endpoint(bic: str, name: str) -> str | None:
    """First curated endpoint whose BIC prefix and name word match."""
    lowered = f"{name.lower()} "
    for prefix, word, url in _ENDPOINTS:
        if bic.upper().startswith(prefix) and word in lowered:
            return url
    return None


def product_id(session: Session | None = None) -> str:
    """The DK registration number sent in HKVVB: environment, then company settings, then a placeholder."""
    from_env = os.environ.get(PRODUCT_ID_ENV, "").strip()
    if from_env:
        return from_env
    if session is not None:
        configured = str(read_section(session, PRODUCT_ID_SETTING, "") or "").strip()
        if configured:
            return configured
    return UNREGISTERED_PRODUCT_ID
