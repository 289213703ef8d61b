"""A seeded generator of large MT940 and camt.053 files with the same bookings, for import benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

_ASCII: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "&": "+"}

IBAN = "DE89370400440532013000"
_NAMES = [
    "Müller Metallbau GmbH",
    "Schmidt & Söhne KG",
    "Bäckerei Groß e.K.",
    "Weber Elektro GmbH",
    "Stadtwerke Nürnberg",
    "Telekom Deutschland GmbH",
    "Hoffmann Group",
    "Finanzamt Fürth",
]


@dataclass(frozen=True, slots=True)
class Entry:
    on: date
    amount: Decimal
    name: str
    iban: str
    purpose: str
    e2e: str


def entries(count: int, *, seed: int = 7, per_day: int = 40) -> Iterator[Entry]:
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    for number in range(count):
        cents = rng.randrange(100, 2_000_000) * (1 if rng.random() < 0.45 else -1)
        yield Entry(
            on=start + timedelta(days=number // per_day),
            amount=Decimal(cents).scaleb(-2),
            name=rng.choice(_NAMES),
            iban=f"DE{rng.randrange(10, 99)}{rng.randrange(10**17, 10**18)}",
            purpose=f"Rechnung RE-{2020 + number // 100000}-{number:06d} Kundennr {rng.randrange(10000, 99999)}",
            e2e=f"E2E{number:09d}" if rng.random() < 0.7 else "",
        )


def _ascii(text: str) -> str:
    return text.translate(str.maketrans(_ASCII))


def write_mt940(path: Path, count: int, *, seed: int = 7, per_statement: int = 1000) -> Path:
    """Daily-style statements of `per_statement` entries each, with structured :86: fields."""
    balance = Decimal("10000.00")
    with path.open("w", encoding="latin-1", newline="") as out:
        batch: list[Entry] = []
        number = 0

        def flush() -> None:
            nonlocal balance, number
            number += 1
            out.write(f":20:STARTUMS\r\n:25:{IBAN}\r\n:28C:{number}/1\r\n")
            out.write(
                f":60F:{'C' if balance >= 0 else 'D'}{batch[0].on:%y%m%d}EUR{abs(balance):.2f}\r\n".replace(".", ",")
            )
            for e in batch:
                mark = "C" if e.amount >= 0 else "D"
                out.write(
                    f":61:{e.on:%y%m%d}{e.on:%m%d}{mark}{abs(e.amount):.2f}NMSCNONREF//B{number:08d}\r\n".replace(
                        ".", ","
                    )
                )
                text = (f"EREF+{e.e2e}" if e.e2e else "") + "SVWZ+" + _ascii(e.purpose)
                parts = [text[i : i + 27] for i in range(0, len(text), 27)]
                fields = "".join(f"?2{n}{p}" for n, p in enumerate(parts[:10]))
                out.write(
                    f":86:166?00GUTSCHRIFT?10931{fields}\r\n?30COBADEFFXXX?31{e.iban}?32{_ascii(e.name)[:27]}\r\n"
                )
                balance += e.amount
            out.write(
                f":62F:{'C' if balance >= 0 else 'D'}{batch[-1].on:%y%m%d}EUR{abs(balance):.2f}\r\n-\r\n".replace(
                    ".", ","
                )
            )
            batch.clear()

        for entry in entries(count, seed=seed):
            batch.append(entry)
            if len(batch) == per_statement:
                flush()
        if batch:
            flush()
    return path


def write_camt053(path: Path, count: int, *, seed: int = 7, per_statement: int = 1000) -> Path:
    """The same entries as camt.053.001.08, one <Stmt> per `per_statement` entries."""
    balance = Decimal("10000.00")
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
            'camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId>'
            "<CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>\n"
        )
        batch: list[Entry] = []
        number = 0

        def bal(code: str, amount: Decimal, on: date) -> str:
            return (
                f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{abs(amount):.2f}</Amt>'
                f"<CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{on}</Dt></Dt></Bal>"
            )

        def flush() -> None:
            nonlocal balance, number
            number += 1
            closing = balance + sum((e.amount for e in batch), Decimal(0))
            out.write(
                f"<Stmt><Id>S{number}</Id><CreDtTm>2026-01-01T00:00:00</CreDtTm>"
                f"<Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>{bal('PRCD', balance, batch[0].on)}"
                f"{bal('CLBD', closing, batch[-1].on)}\n"
            )
            for e in batch:
                party = "Dbtr" if e.amount >= 0 else "Cdtr"
                out.write(
                    f'<Ntry><Amt Ccy="EUR">{abs(e.amount):.2f}</Amt><CdtDbtInd>{"CRDT" if e.amount >= 0 else "DBIT"}'
                    f"</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{e.on}</Dt></BookgDt><ValDt><Dt>{e.on}</Dt>"
                    f"</ValDt><AcctSvcrRef>B{number:08d}</AcctSvcrRef><BkTxCd><Prtry><Cd>NTRF+166</Cd></Prtry>"
                    f"</BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>{e.e2e or 'NOTPROVIDED'}</EndToEndId></Refs>"
                    f"<RltdPties><{party}><Pty><Nm>{escape(e.name)}</Nm></Pty></{party}><{party}Acct><Id><IBAN>"
                    f"{e.iban}</IBAN></Id></{party}Acct></RltdPties><RmtInf><Ustrd>{escape(e.purpose)}</Ustrd>"
                    "</RmtInf></TxDtls></NtryDtls></Ntry>\n"
                )
            out.write("</Stmt>\n")
            balance = closing
            batch.clear()

        for entry in entries(count, seed=seed):
            batch.append(entry)
            if len(batch) == per_statement:
                flush()
        if batch:
            flush()
        out.write("</BkToCstmrStmt></Document>\n")
    return path
