"""Verification of Payee at the demo bank: the payee's name against the account holder's, as a real bank does.

A transfer (HKCCS) arrives with HKVPP; the bank answers HIVPP with the result. A full match (RCVC) goes on to the
TAN; a close match (RVMC, with the holder's name), no match (RVNM) or a check that is not possible (RVNA) stop with
3945 until the customer confirms with HKVPA, and so does a full match when the bank always wants confirmation
(`Policy.vop_confirm_always`, as Atruvia's banks). The register says who holds which IBAN; an IBAN it does not
know cannot be checked (RVNA), like a payee bank that does not take part.

A collective transfer (HKCCM) gets the result of each transfer in a pain.002 payment status report. With
`Policy.vop_pending_polls` the result is not there at once (Atruvia): HIVPP carries only a polling ID, and the
client asks again (HKVPP with the polling ID) until it is.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from fints.segments.auth import EVPE, HIVPP1
from lxml import etree

VOP_ORDERS = ("HKCCS", "HKCCM", "HKIPZ", "HKIPM")
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


@dataclass(frozen=True, slots=True)
class Transfer:
    iban: str
    name: str
    end_to_end_id: str = ""


def check(transfers: list[Transfer], register: dict[str, str]) -> tuple[PayeeCheckRecord, HIVPP1]:
    """The bank's check of an order's transfers and the HIVPP that reports it: inline for one transfer, as a
    pain.002 report for several."""
    holders = [register.get(t.iban.replace(" ", "").upper()) for t in transfers]
    results = [result_for(t.name, holder) for t, holder in zip(transfers, holders, strict=True)]
    group = results[0] if len(set(results)) == 1 else "RVCM"  # RVCM: the results differ among the transfers
    first = transfers[0] if len(transfers) == 1 else Transfer("", "")
    record = PayeeCheckRecord(str(uuid.uuid4()), first.iban, first.name, group, holders[0] or "")
    notice = None if group == "RCVC" else NOTICE
    vop_id = record.vop_id.encode()
    if len(transfers) > 1:
        report = _report(transfers, holders, results, group)
        return record, HIVPP1(vop_id=vop_id, payment_status_report_descriptor=REPORT_FORMAT,
                              payment_status_report=report, manual_authorization_notice=notice)  # fmt: skip
    single = EVPE(recipient_IBAN=first.iban, result=group)
    if group == "RVMC":
        single.close_match_name = holders[0]
    if group == "RVNA":
        single.na_reason = NOT_TAKING_PART
    segment = HIVPP1(
        vop_id=vop_id,
        payment_status_report_descriptor=REPORT_FORMAT,
        vop_single_result=single,
        manual_authorization_notice=notice,
    )
    return record, segment


def _report(transfers: list[Transfer], holders: list[str | None], results: list[str], group: str) -> bytes:
    """pain.002.001.10 with one TxInfAndSts per transfer: its status, and the holder's name on a close match."""
    e = _Builder(REPORT_FORMAT)
    transactions = []
    for transfer, holder, result in zip(transfers, holders, results, strict=True):
        reason = [e("StsRsnInf", e("AddtlInf", NOT_TAKING_PART))] if result == "RVNA" else []
        creditor = [e("Cdtr", e("Pty", e("Nm", holder)))] if result == "RVMC" and holder else []
        reference = e("OrgnlTxRef", *creditor, e("CdtrAcct", e("Id", e("IBAN", transfer.iban))))
        transactions.append(
            e("TxInfAndSts", e("OrgnlEndToEndId", transfer.end_to_end_id), e("TxSts", result), *reason, reference)
        )
    document = e(
        "Document",
        e(
            "CstmrPmtStsRpt",
            e("GrpHdr", e("MsgId", uuid.uuid4().hex[:35]), e("CreDtTm", datetime.now().isoformat(timespec="seconds"))),
            e("OrgnlGrpInfAndSts", e("OrgnlMsgId", "NOTPROVIDED"), e("OrgnlMsgNmId", "pain.001"), e("GrpSts", group)),
            e("OrgnlPmtInfAndSts", e("OrgnlPmtInfId", "NOTPROVIDED"), *transactions),
        ),
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


class _Builder:
    """Elements in one namespace: e("Name", child, …) or e("Name", "text")."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __call__(self, tag: str, *content: etree._Element | str) -> etree._Element:
        element = etree.Element(f"{{{self.namespace}}}{tag}", nsmap={None: self.namespace})
        for item in content:
            if isinstance(item, str):
                element.text = item
            else:
                element.append(item)
        return element


def pending(polling_id: str) -> HIVPP1:
    """The answer while the check is still running: only a polling ID and the wait before asking again."""
    return HIVPP1(polling_id=polling_id.encode(), wait_for_seconds=1)


# `kontor demo-bank` on its own: holders of the IBANs Kontor's examples and tests pay to.
SAMPLE_REGISTER = (
    ("DE44500105175407324931", "Bäckerei Weber GmbH"),
    ("DE89370400440532013000", "Praxis Dr. Sommer"),
    ("DE12500105170648489890", "Hotel Zur Linde GmbH"),
)


def describe(register: tuple[tuple[str, str], ...]) -> list[str]:
    """The holders the payee check knows, one line each, for `kontor demo-bank`."""
    return [f"{iban}  {holder}" for iban, holder in register]
