"""The bank directory of the connection wizard: every German bank, found by name, BLZ, BIC or a pasted IBAN.

Built from schwifty's copy of the Bundesbank bank code list (about 3,500 banks with their own BLZ) and Kontor's
curated PIN/TAN addresses (banks.py); resources/banks/SOURCES.md says why no institute list is shipped. The list is
built once per process and searched by a linear scan over prepared lower-case keys, well under a millisecond per
keystroke."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from schwifty import registry

from app.services.banking.banks import DEMO_BANK_BLZ, BankInfo, bank_info

RESULT_LIMIT = 100
_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_IBAN = re.compile(r"DE\d{2}(\d{8})\d{0,10}")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One bank as the directory lists it; `place` is the Bundesbank's short name, which usually names the town."""

    info: BankInfo
    place: str
    key: str  # folded name, short name, BLZ and BIC, what a search compares against


def fold(text: str, umlauts: dict[int, str] = _PLAIN) -> str:
    """Search text without case, umlauts, hyphens or extra spaces."""
    return " ".join(text.casefold().translate(umlauts).replace("-", " ").split())


def _key(text: str) -> str:
    """Both spellings, so that "nurnberg", "nuernberg" and "Nürnberg" all find Nürnberg."""
    return f"{fold(text)} {fold(text, _SPELLED)}"


@functools.cache
def german_banks() -> tuple[DirectoryEntry, ...]:
    """Every German bank with its own BLZ (the Bundesbank's primary entries), by name."""
    entries = []
    for bank in registry.get_banks_by_country("DE"):
        if not bank.primary:
            continue
        info = bank_info(bank.bank_code)
        place = "" if bank.short_name in (None, info.name) else str(bank.short_name)
        entries.append(DirectoryEntry(info, place, _key(f"{info.name} {place} {info.blz} {info.bic}")))
    return tuple(sorted(entries, key=lambda entry: (fold(entry.info.name), entry.info.blz)))


def blz_in(query: str) -> str | None:
    """The BLZ a query names: eight digits (spaces allowed) or a German IBAN, pasted with or without spaces."""
    compact = query.replace(" ", "").upper()
    if len(compact) == 8 and compact.isdigit():
        return compact
    match = _IBAN.fullmatch(compact)
    return match.group(1) if match else None


def search_banks(query: str, *, demo_url: str | None = None, limit: int = RESULT_LIMIT) -> list[DirectoryEntry]:
    """The banks a query names: by BLZ or IBAN exactly, else every bank whose name, town, BLZ or BIC holds all its
    words, those whose name starts with the query first and merged ones last. The demo bank gets `demo_url`."""
    blz = blz_in(query)
    if blz is not None:
        found = [entry for entry in german_banks() if entry.info.blz == blz]
    else:
        compact = query.replace(" ", "")
        words = [compact] if compact.isdigit() else fold(query).split()  # "760 501" is the start of a BLZ
        if not words:
            return []
        start = " ".join(words)
        matches = [entry for entry in german_banks() if all(word in entry.key for word in words)]
        # stable: by name within; banks merged into others ("-alt-") last
        matches.sort(key=lambda entry: ("alt" in entry.key.split(), not fold(entry.info.name).startswith(start)))
        found = matches[:limit]
    return [_with_demo_url(entry, demo_url) if entry.info.blz == DEMO_BANK_BLZ else entry for entry in found]


def _with_demo_url(entry: DirectoryEntry, demo_url: str | None) -> DirectoryEntry:
    return DirectoryEntry(bank_info(DEMO_BANK_BLZ, demo_url=demo_url), "", entry.key)
