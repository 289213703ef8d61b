"""Split the SEPA keywords (EREF+, SVWZ+, ...) out of a purpose text: MT940 and CSV exports fold them in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT", "PURP")
# Identifiers end at a deliberate (short-line) break; free-text keys run on until the next key.
_ID_KEYS = frozenset({"EREF", "KREF", "MREF", "CRED", "DEBT", "COAM", "OAMT", "PURP"})
_ID_MAX = 35  # SEPA references and creditor ids are at most 35 characters
_KEY_RE = re.compile(r"(" + "|".join(SEPA_KEYS) + r")[ \n]?\+")
_LINE_WIDTH = 27  # DTAUS/MT940 ?2x subfields are wrapped at 27 characters

RETURN_REASON_CODES = frozenset(
    {
        "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE05", "CNOR", "CURR", "CUST",
        "DNOR", "DUPL", "ED05", "ERIN", "FF01", "FOCR", "FRAD", "MD01", "MD02", "MD06", "MD07", "MS02",
        "MS03", "NARR", "RC01", "RR01", "RR02", "RR03", "RR04", "RUTA", "SL01", "TECH", "TM01", "UPAY",
    }
)  # fmt: skip
_REASON_RE = re.compile(r"(?<![A-Z0-9])(" + "|".join(sorted(RETURN_REASON_CODES)) + r")(?![A-Z0-9])")


@dataclass(slots=True)
class SepaPurpose:
    """A purpose text with its SEPA keywords taken out."""

    purpose: str
    keys: dict[str, str] = field(default_factory=dict)


def join_purpose_lines(lines: Sequence[str], *, width: int = _LINE_WIDTH) -> str:
    """Join fixed-width lines: a full line was wrapped mid-word, a short one ended deliberately ("\\n")."""
    if len(lines) < 2:
        return "".join(lines)
    parts: list[str] = []
    for line in lines:
        parts.append(line)
        parts.append("\n" if len(line) < width else "")
    parts.pop()  # nothing follows the last line
    return "".join(parts)


def split_sepa_purpose(text: str) -> SepaPurpose:
    """Take EREF+/MREF+/SVWZ+... values out of text; "\\n" marks deliberate ends (see join_purpose_lines)."""
    if "+" not in text:  # most purposes have no SEPA keys; this test is far cheaper than the search
        return SepaPurpose(" ".join(text.split()))
    matches = list(_KEY_RE.finditer(text))
    if not matches:
        return SepaPurpose(" ".join(text.split()))
    keys: dict[str, str] = {}
    free: list[str] = [text[: matches[0].start()]]
    ends = [match.start() for match in matches]
    ends.append(len(text))
    for match, end in zip(matches, ends[1:], strict=True):
        value = text[match.end() : end]
        key = match[1]
        if key in _ID_KEYS:
            value, rest = _cut_identifier(value)  # already squashed
            free.append(rest)
        else:
            value = " ".join(value.split())
        if key in keys and value:
            keys[key] = f"{keys[key]} {value}"
        elif value or key not in keys:
            keys[key] = value
    rest_text = " ".join(" ".join(free).split())
    remittance = keys.get("SVWZ", "")
    purpose = f"{remittance} {rest_text}" if remittance and rest_text else remittance or rest_text
    return SepaPurpose(purpose, keys)


def find_return_reason(text: str) -> str:
    """The first ISO 20022 return reason code (AC04, MD06, ...) named in a purpose text, or ""."""
    match = _REASON_RE.search(text.upper())
    return match.group(1) if match else ""


def _cut_identifier(value: str) -> tuple[str, str]:
    """An identifier ends at a deliberate line end, or at a blank before it would exceed 35 characters."""
    value, _, rest = value.partition("\n")
    value = _squash(value)
    if len(value) > _ID_MAX:
        cut = value.rfind(" ", 0, _ID_MAX + 1)
        cut = cut if cut > 0 else _ID_MAX
        value, rest = value[:cut], f"{value[cut:]} {rest}"
    return value, rest


def _squash(text: str) -> str:
    return " ".join(text.split())
