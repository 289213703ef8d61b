"""Writers of small MT940 and camt.053 files for import tests (the same bookings in both formats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Booking:
    on: date
    amount: Decimal
    name: str
    iban: str
    purpose: str
    e2e: str = ""
    gvc: str = "166"
    reason: str = ""


def _mt_amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def _mt_balance(tag: str, on: date, value: Decimal) -> str:
    return f":{tag}:{'C' if value >= 0 else 'D'}{on:%y%m%d}EUR{_mt_amount(value)}"


def _ascii(text: str) -> str:
    return text.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}))


def mt940(iban: str, bookings: list[Booking], *, opening: Decimal, statement: str = "1/1", mt942: bool = False) -> str:
    """A German MT940 (or MT942) with structured :86: fields, as banks deliver it over FinTS."""
    first = bookings[0].on if bookings else date(2026, 1, 1)
    last = bookings[-1].on if bookings else first
    lines = [":20:STARTUMS", f":25:{iban}", f":28C:{statement}"]
    lines.append(_mt_balance("60F", first, opening) if not mt942 else ":34F:EURD0,00")
    balance = opening
    for booking in bookings:
        mark = "C" if booking.amount >= 0 else "D"
        if booking.reason:  # a reversal of a credit is a debit entry (RC), of a debit a credit entry (RD)
            mark = "RC" if booking.amount < 0 else "RD"
        lines.append(f":61:{booking.on:%y%m%d}{booking.on:%m%d}{mark}{_mt_amount(booking.amount)}NMSCNONREF")
        purpose = f"EREF+{booking.e2e}" if booking.e2e else ""
        purpose += f"SVWZ+{_ascii(booking.purpose)}"
        if booking.reason:
            purpose += f" RET {booking.reason}"
        chunks = [purpose[i : i + 27] for i in range(0, len(purpose), 27)]
        fields = [f"{booking.gvc}?00GUTSCHRIFT"] + [f"?2{n}{chunk}" for n, chunk in enumerate(chunks[:10])]
        fields += [f"?31{booking.iban}", f"?32{_ascii(booking.name)[:27]}"]
        lines.append(":86:" + "".join(fields))
        balance += booking.amount
    if not mt942:
        lines.append(_mt_balance("62F", last, balance))
    lines.append("-")
    return "\r\n".join(lines) + "\r\n"


def camt053(iban: str, bookings: list[Booking], *, opening: Decimal, closing: Decimal | None = None) -> str:
    """A camt.053.001.08 statement of the same bookings."""
    first = bookings[0].on if bookings else date(2026, 1, 1)
    last = bookings[-1].on if bookings else first
    close = closing if closing is not None else opening + sum((b.amount for b in bookings), Decimal(0))
    entries = []
    for number, b in enumerate(bookings, start=1):
        credit = b.amount >= 0
        party = "Dbtr" if credit else "Cdtr"
        entries.append(f"""
      <Ntry>
        <NtryRef>{number}</NtryRef>
        <Amt Ccy="EUR">{abs(b.amount):.2f}</Amt>
        <CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{b.on.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{b.on.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>REF{number:06d}</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>NTRF+{b.gvc}</Cd><Issr>DK</Issr></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{escape(b.e2e or "NOTPROVIDED")}</EndToEndId></Refs>
          <RltdPties><{party}><Pty><Nm>{escape(b.name)}</Nm></Pty></{party}>
            <{party}Acct><Id><IBAN>{b.iban}</IBAN></Id></{party}Acct></RltdPties>
          <RmtInf><Ustrd>{escape(b.purpose)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG1</MsgId><CreDtTm>{last.isoformat()}T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT1</Id>
      <CreDtTm>{last.isoformat()}T18:00:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{abs(opening):.2f}</Amt>
        <CdtDbtInd>{"CRDT" if opening >= 0 else "DBIT"}</CdtDbtInd><Dt><Dt>{first.isoformat()}</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{abs(close):.2f}</Amt>
        <CdtDbtInd>{"CRDT" if close >= 0 else "DBIT"}</CdtDbtInd><Dt><Dt>{last.isoformat()}</Dt></Dt></Bal>{
        "".join(entries)
    }
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""
