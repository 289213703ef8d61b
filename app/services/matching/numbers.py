"""Invoice numbers and references reduced to keys that survive how payers retype them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

_GROUPS = re.compile(r"[A-Z]+|[0-9]+")
SEPARATORS = r"[\s./_:#-]{0,3}"
_DIGITS = "0123456789"
_LISTING = " ,;"
_ANY_DIGIT = re.compile(r"[0-9]")
_NUMBER_START = r"(?=[0-9]|[A-Za-z]{1,12}[^0-9A-Za-z]{0,3}[0-9])"


def number_keys(text: str) -> tuple[str, ...]:
    """Lookup keys: alphanumerics without letter prefix, once compact and once with zero-stripped groups."""
    parts = _GROUPS.findall(text.upper())
    while len(parts) > 1 and parts[0].isalpha():
        parts.pop(0)
    if not parts:
        return ()
    compact = "".join(parts)
    stripped = ".".join([part.lstrip("0") or "0" for part in parts])
    return (compact,) if stripped == compact else (compact, stripped)


def compile_patterns(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regex trying every pattern at every word start, overlapping, so a number glued to another is seen.

    Each pattern sits in its own optional lookahead, as an alternation would stop at the first pattern that
    matches ('260719' of '260719-559'), not at the longest; `token_groups` takes the longest. Only places
    where a digit or a short prefix before a digit begins are tried, not every word of a purpose, and a place
    where no pattern matched fails inside the regex (a conditional on each group) instead of coming back as
    an empty match: about three of four such places hold no number.
    """
    if not patterns:
        return None
    lookaheads = "".join(f"(?:(?=(?P<t{i}>{pattern})(?![0-9])))?" for i, pattern in enumerate(patterns))
    some_matched = "(?!)"
    for i in reversed(range(len(patterns))):
        some_matched = f"(?(t{i})|{some_matched})"
    return re.compile(rf"(?<![0-9A-Za-z]){_NUMBER_START}{lookaheads}{some_matched}", re.IGNORECASE)


def tokens(pattern: re.Pattern[str] | None, text: str) -> Iterator[str]:
    """Candidate number tokens of a free text; of several ending at the same place only the longest.

    The overlapping search finds 'RE-2026-00042' and then its tails '2026-00042', '00042'; the tails add
    nothing but lookups, while a number that merely follows another one ends elsewhere and is kept.
    """
    for group in token_groups(pattern, text):
        yield group[0]


def token_groups(pattern: re.Pattern[str] | None, text: str) -> Iterator[list[str]]:
    """The tokens ending at one place, longest first, with only the tails that start after a space or comma.

    In '2026/1769 300506' a shape with a space separator reads '1769 300506' as one number; the tail
    '300506' is a number of its own. Tails after '-' or '/' ('00042' of 'RE-2026-00042') are parts of one.
    """
    if pattern is None or not _ANY_DIGIT.search(text):  # every token has a digit near its start
        return
    group: list[str] = []
    last_end = -1
    for match in pattern.finditer(text):
        token = max(filter(None, match.groups()), key=len)  # the first of the longest
        start = match.start()
        end = start + len(token)
        if end != last_end:
            if group:
                yield group
            group, last_end = [token], end
        elif start and text[start - 1] in _LISTING:
            group.append(token)
    if group:
        yield group


def neighbours(key: str, *, within: int | None = None) -> list[str]:
    """Every key one changed digit or one swap of neighbouring characters away, the typos payers make.

    About ten lookups per digit in the index of exact keys replace a deletion-neighbourhood index: no
    extra memory, no build time, and nothing to verify afterwards. `within` limits the edits to the
    first characters, for keys whose beginning no invoice number has.
    """
    end = len(key) if within is None else min(within, len(key))
    found: list[str] = []
    for i in range(min(end + 1, len(key))):
        char = key[i]
        if i < end and char.isdigit():
            head, tail = key[:i], key[i + 1 :]
            found += [head + digit + tail for digit in _DIGITS if digit != char]
        if i and char != key[i - 1]:
            found.append(key[: i - 1] + char + key[i - 1] + key[i + 1 :])
    return found
