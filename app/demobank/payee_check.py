"""Verification of Payee at the demo bank: the payee's name against the account holder's, as a real bank does.

A transfer (HKCCS) arrives with HKVPP; the bank answers HIVPP with the result. A full match (RCVC) goes on to the
TAN; a close match (RVMC, with the holder's name), no match (RVNM) or a check that is not possible (RVNA) stop with
3945 until the customer confirms with HKVPA, and so does a full match when the bank always wants confirmation
(`Policy.vop_confirm_always`, as Atruvia's banks). The register says who holds which IBAN; an IBAN it does not
know cannot be checked (RVNA), like a payee bank that does not take part.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import uuid
from dataclasses import dataclass

from fints.segments.auth import EVPE, HIVPP1

VOP_ORDERS = ("HKCCS",)
REPORT_FORMAT = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
NOTICE = (
    "Die Autorisierung der Zahlung kann dazu führen, dass das Geld auf ein Konto überwiesen wird, dessen Inhaber "
    "nicht der von Ihnen angegebene Empfänger ist. In diesem Fall haften die Zahlungsdienstleister nicht für die "
    "Folgen der fehlenden Übereinstimmung, insbesondere besteht kein Anspruch auf Rückerstattung."
)
NOT_TAKING_PART = "Die Empfängerbank nimmt am Namensabgleich nicht teil."
_LEGAL_FORMS = re.compile(
    r"\b(gmbh(\s*&\s*co\.?\s*kg)?|g\.?\s*m\.?\s*b\.?\s*h\.?|ag|kg|ohg|gbr|e\.?\s*k\.?|e\.?\s*v\.?|ug|mbh|ltd|inc)\b\.?"
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
CLOSE_ENOUGH = 0.8  # difflib ratio of the folded names from which a name counts as a close match


@dataclass(frozen=True, slots=True)
class PayeeCheckRecord:
    """One check the bank made, for tests and the demo: what was asked, what it answered, whether confirmed."""

    vop_id: str
    iban: str
    name: str
    result: str
    holder: str
    confirmed: bool = False


def fold(name: str) -> str:
    """The name as banks compare it: case, umlauts, accents, legal form, punctuation and word order ignored."""
    text = name.casefold().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _LEGAL_FORMS.sub(" ", text)
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(sorted(words))


def result_for(name: str, holder: str | None) -> str:
    """RCVC, RVMC, RVNM or RVNA for the payee name an order gives and the holder the register knows."""
    if holder is None:
        return "RVNA"
    if name.strip() == holder.strip():
        return "RCVC"
    ours, theirs = fold(name), fold(holder)
    if ours == theirs or difflib.SequenceMatcher(None, ours, theirs).ratio() >= CLOSE_ENOUGH:
        return "RVMC"
    return "RVNM"


def check(iban: str, name: str, register: dict[str, str]) -> tuple[PayeeCheckRecord, HIVPP1]:
    """The bank's check of one transfer and the HIVPP that reports it."""
    holder = register.get(iban.replace(" ", "").upper())
    result = result_for(name, holder)
    record = PayeeCheckRecord(str(uuid.uuid4()), iban, name, result, holder or "")
    single = EVPE(recipient_IBAN=iban, result=result)
    if result == "RVMC":
        single.close_match_name = holder
    if result == "RVNA":
        single.na_reason = NOT_TAKING_PART
    segment = HIVPP1(
        vop_id=record.vop_id.encode(),
        payment_status_report_descriptor=REPORT_FORMAT,
        vop_single_result=single,
        manual_authorization_notice=None if result == "RCVC" else NOTICE,
    )
    return record, segment


# `kontor demo-bank` on its own: holders of the IBANs Kontor's examples and tests pay to.
SAMPLE_REGISTER = (
    ("DE44500105175407324931", "Bäckerei Weber GmbH"),
    ("DE89370400440532013000", "Praxis Dr. Sommer"),
    ("DE12500105170648489890", "Hotel Zur Linde GmbH"),
)


def describe(register: tuple[tuple[str, str], ...]) -> list[str]:
    """The holders the payee check knows, one line each, for `kontor demo-bank`."""
    return [f"{iban}  {holder}" for iban, holder in register]
