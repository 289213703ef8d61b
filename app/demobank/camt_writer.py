"""camt.052.001.08 account reports, the format German banks deliver through HKCAZ since MT940 was retired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from app.demobank.state import Account, Booking

CAMT_052_08 = "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"
# What GLS (Atruvia) sent as the first document of a HICAZ page: a camt document without a report.
EMPTY_DOCUMENT = f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT_052_08}"></Document>'.encode()

# GVC -> ISO bank transaction code (domain, family, sub-family), as the DK mapping table assigns them.
_BANK_TX_CODES = {
    "166": ("PMNT", "RCDT", "ESCT"),
    "116": ("PMNT", "ICDT", "ESCT"),
    "117": ("PMNT", "ICDT", "STDO"),
    "153": ("PMNT", "ICDT", "SALA"),
    "105": ("PMNT", "IDDT", "ESDD"),
    "171": ("PMNT", "RDDT", "ESDD"),
    "191": ("PMNT", "ICDT", "BOOK"),
    "192": ("PMNT", "RDDT", "BBDD"),
    "109": ("PMNT", "RDDT", "UPDD"),
    "106": ("PMNT", "CCRD", "POSD"),
    "805": ("ACMT", "MDOP", "CHRG"),
    "814": ("ACMT", "MDOP", "INTR"),
}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append a child in the camt namespace."""
    element = etree.SubElement(parent, f"{{{CAMT_052_08}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, path: str, text: str) -> None:
    """Append a chain of children like 'Id/IBAN' ending in a text node."""
    for tag in path.split("/"):
        parent = _sub(parent, tag)
    parent.text = text


def _balance(report: etree._Element, code: str, value: Decimal, day: date, currency: str) -> None:
    """A Bal element (PRCD opening, CLBD closing)."""
    bal = _sub(report, "Bal")
    _path(_sub(bal, "Tp"), "CdOrPrtry/Cd", code)
    _sub(bal, "Amt", f"{abs(value):.2f}", Ccy=currency)
    _sub(bal, "CdtDbtInd", "DBIT" if value < 0 else "CRDT")
    _path(bal, "Dt/Dt", day.isoformat())


def _party(parent: etree._Element, role: str, name: str, iban: str, scheme_id: str = "") -> None:
    """Dbtr/DbtrAcct or Cdtr/CdtrAcct inside RltdPties; a creditor carries its SEPA creditor ID."""
    pty = _sub(_sub(parent, role), "Pty")
    _sub(pty, "Nm", name)
    if scheme_id:
        other = _sub(_sub(_sub(pty, "Id"), "PrvtId"), "Othr")
        _sub(other, "Id", scheme_id)
        _path(other, "SchmeNm/Prtry", "SEPA")
    if iban:
        _path(_sub(parent, f"{role}Acct"), "Id/IBAN", iban)


def _entry(report: etree._Element, account: Account, booking: Booking) -> None:
    """One Ntry with one TxDtls carrying references, parties, remittance and return information."""
    credit = booking.amount > 0
    entry = _sub(report, "Ntry")
    _sub(entry, "Amt", f"{abs(booking.amount):.2f}", Ccy=account.currency)
    _sub(entry, "CdtDbtInd", "CRDT" if credit else "DBIT")
    _path(entry, "Sts/Cd", "BOOK")
    _path(entry, "BookgDt/Dt", booking.booking_date.isoformat())
    _path(entry, "ValDt/Dt", booking.value_date.isoformat())
    _sub(entry, "AcctSvcrRef", booking.bank_reference)
    code = _sub(entry, "BkTxCd")
    domain, family, sub_family = _BANK_TX_CODES.get(booking.gvc, ("PMNT", "MCOP", "OTHR"))
    domn = _sub(code, "Domn")
    _sub(domn, "Cd", domain)
    fmly = _sub(domn, "Fmly")
    _sub(fmly, "Cd", family)
    _sub(fmly, "SubFmlyCd", sub_family)
    prtry = _sub(code, "Prtry")
    _sub(prtry, "Cd", f"NTRF+{booking.gvc}+{'9310' if credit else '9970'}")
    _sub(prtry, "Issr", "DK")
    tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    refs = _sub(tx, "Refs")
    _sub(refs, "EndToEndId", booking.end_to_end_id)
    if booking.mandate_id:
        _sub(refs, "MndtId", booking.mandate_id)
    parties = _sub(tx, "RltdPties")
    if credit or booking.return_reason:  # a returned collection keeps the customer as debtor
        _party(parties, "Dbtr", booking.counterparty_name, booking.counterparty_iban)
        _party(parties, "Cdtr", account.owner, account.iban, booking.creditor_id)
    else:
        _party(parties, "Dbtr", account.owner, account.iban)
        _party(parties, "Cdtr", booking.counterparty_name, booking.counterparty_iban, booking.creditor_id)
    if booking.counterparty_bic:
        _path(
            _sub(tx, "RltdAgts"),
            f"{'Dbtr' if credit else 'Cdtr'}Agt/FinInstnId/BICFI",
            booking.counterparty_bic,
        )
    _path(tx, "RmtInf/Ustrd", booking.purpose[:140])
    if booking.return_reason:
        ret = _sub(tx, "RtrInf")
        _path(ret, "Rsn/Cd", booking.return_reason)
        _sub(ret, "AddtlInf", booking.purpose[:105])
    _sub(entry, "AddtlNtryInf", booking.posting_text)


def report(
    account: Account,
    bic_name: str,
    bookings: Sequence[Booking],
    opening: Decimal,
    page: int,
    last_page: bool,
    period: tuple[date, date],
    created: datetime,
) -> bytes:
    """A camt.052.001.08 document for one page of bookings."""
    root = etree.Element(f"{{{CAMT_052_08}}}Document", nsmap={None: CAMT_052_08})
    message = _sub(root, "BkToCstmrAcctRpt")
    header = _sub(message, "GrpHdr")
    message_id = f"KDB{created:%Y%m%d%H%M%S}{account.number}{page:03d}"
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", created.isoformat(timespec="seconds"))
    pages = _sub(header, "MsgPgntn")
    _sub(pages, "PgNb", str(page))
    _sub(pages, "LastPgInd", "true" if last_page else "false")
    rpt = _sub(message, "Rpt")
    _sub(rpt, "Id", f"{message_id}R")
    _sub(rpt, "ElctrncSeqNb", str(page))
    _sub(rpt, "CreDtTm", created.isoformat(timespec="seconds"))
    span = _sub(rpt, "FrToDt")
    _sub(span, "FrDtTm", f"{period[0].isoformat()}T00:00:00")
    _sub(span, "ToDtTm", f"{period[1].isoformat()}T23:59:59")
    acct = _sub(rpt, "Acct")
    _path(acct, "Id/IBAN", account.iban)
    _sub(acct, "Ccy", account.currency)
    _path(acct, "Ownr/Nm", account.owner)
    agent = _sub(_sub(acct, "Svcr"), "FinInstnId")
    _sub(agent, "BICFI", account.bic)
    _sub(agent, "Nm", bic_name)
    closing = opening + sum((b.amount for b in bookings), Decimal("0"))
    _balance(rpt, "PRCD", opening, bookings[0].booking_date if bookings else period[0], account.currency)
    _balance(rpt, "CLBD", closing, bookings[-1].booking_date if bookings else period[1], account.currency)
    for booking in bookings:
        _entry(rpt, account, booking)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
