"""Invoice numbers and references reduced to keys that survive how payers retype them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

_GROUPS = re.compile(r"[A-Z]+|[0-9]+")
SEPARATORS = r"[\s./_:#-]{0,3}"


def number_keys(text: str) -> tuple[str, ...]:
    """Lookup keys: alphanumerics without letter prefix, once compact and once with zero-stripped groups."""
    parts = _GROUPS.findall(text.upper())
    while len(parts) > 1 and parts[0].isalpha():
        parts.pop(0)
    if not parts:
        return ()
    compact = "".join(parts)
    stripped = ".".join(part.lstrip("0") or "0" for part in parts)
    return (compact,) if stripped == compact else (compact, stripped)


def compile_patterns(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regex finding every candidate token, overlapping, so a number glued to another is still seen."""
    if not patterns:
        return None
    alternatives = "|".join(f"(?:{pattern})" for pattern in patterns)
    return re.compile(rf"(?<![0-9A-Za-z])(?=({alternatives})(?![0-9]))", re.IGNORECASE)


def tokens(pattern: re.Pattern[str] | None, text: str) -> Iterator[str]:
    """Candidate number tokens of a free text."""
    if pattern is None or not text:
        return
    for match in pattern.finditer(text):
        yield match.group(1)


def deletions(key: str) -> Iterable[str]:
    """The deletion neighbourhood: two keys one substitution or transposition apart share a member."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def one_edit_apart(a: str, b: str) -> bool:
    """True for one changed character or two swapped neighbours, the typos payers make in numbers."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diffs) == 1:
        return True
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
