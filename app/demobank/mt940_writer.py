"""MT940 statements as German banks deliver them in HIKAZ, with the structured DK :86: field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from app.demobank.state import Account, Booking

_SWIFT_UNSAFE = re.compile(r"[^A-Za-z0-9/\-().,'+ ]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"})
_TX_TYPE = {
    "166": "NTRF",
    "116": "NTRF",
    "117": "NSTO",
    "153": "NTRF",
    "105": "NDDT",
    "171": "NDDT",
    "191": "NTRF",
    "192": "NDDT",
    "109": "NRTI",
    "106": "NMSC",
    "805": "NCHG",
    "814": "NINT",
}


def swift_text(text: str) -> str:
    """Transliterate to the SWIFT character set, which has no umlauts and uses '?' as a field separator."""
    plain = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    return _SWIFT_UNSAFE.sub(" ", plain)


def _amount(value: Decimal) -> str:
    """MT940 amount: no sign, comma as decimal separator."""
    return f"{abs(value):.2f}".replace(".", ",")


def _balance(tag: str, value: Decimal, day: date, currency: str) -> str:
    """A :60F:/:62F: balance line."""
    return f":{tag}:{'D' if value < 0 else 'C'}{day:%y%m%d}{currency}{_amount(value)}"


def _chunks(text: str, size: int) -> list[str]:
    """Split a value over the 27-character ?2x subfields."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def details_86(booking: Booking) -> str:
    """The structured :86: field: ?00 posting text, ?20-?29 SEPA keywords, ?30-?33 counterparty."""
    words = []
    if booking.end_to_end_id and booking.end_to_end_id != "NOTPROVIDED":
        words.append(f"EREF+{booking.end_to_end_id}")
    if booking.mandate_id:
        words.append(f"MREF+{booking.mandate_id}")
    if booking.creditor_id:
        words.append(f"CRED+{booking.creditor_id}")
    purpose = booking.purpose
    if booking.return_reason:
        words.append(f"RREF+{booking.bank_reference}")
    words.append(f"SVWZ+{purpose}")
    fields = [chunk for word in words for chunk in _chunks(swift_text(word), 27)][:10]
    name = swift_text(booking.counterparty_name)
    parts = [
        booking.gvc,
        f"?00{swift_text(booking.posting_text)[:27]}",
        f"?10{931 if booking.amount > 0 else 997}",
    ]
    parts += [f"?2{i}{chunk}" for i, chunk in enumerate(fields)]
    parts += [f"?30{booking.counterparty_bic}", f"?31{booking.counterparty_iban}", f"?32{name[:27]}"]
    if len(name) > 27:
        parts.append(f"?33{name[27:54]}")
    if booking.return_reason:
        parts.append(f"?34{booking.return_reason}")
    return "".join(parts)


def _wrapped(tag: str, text: str) -> list[str]:
    """SWIFT lines are at most 65 characters; longer fields continue on the next line."""
    first = f":{tag}:"
    lines, rest = [first + text[: 65 - len(first)]], text[65 - len(first) :]
    lines += [rest[i : i + 65] for i in range(0, len(rest), 65)]
    return lines


def statement(
    account: Account, blz: str, bookings: Sequence[Booking], opening: Decimal, number: int, first_day: date
) -> str:
    """One MT940 statement (:20: to :62F:) for the given bookings, opening at `opening`."""
    lines = [
        ":20:STARTUMS",
        f":25:{blz}/{account.number}",
        f":28C:{number:05d}/001",
        _balance("60F", opening, first_day, account.currency),
    ]
    balance = opening
    for booking in bookings:
        balance += booking.amount
        mark = ("R" if booking.return_reason else "") + ("C" if booking.amount > 0 else "D")
        reference = swift_text(booking.end_to_end_id)[:16] if booking.end_to_end_id != "NOTPROVIDED" else "NONREF"
        lines.append(
            f":61:{booking.value_date:%y%m%d}{booking.booking_date:%m%d}{mark}{_amount(booking.amount)}"
            f"{_TX_TYPE.get(booking.gvc, 'NMSC')}{reference}//{booking.bank_reference}"
        )
        lines += _wrapped("86", details_86(booking))
    last_day = bookings[-1].booking_date if bookings else first_day
    lines += [_balance("62F", balance, last_day, account.currency), "-"]
    return "\r\n".join(lines) + "\r\n"
