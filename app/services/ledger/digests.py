"""Digests of a row's audited values, in a module without the database: a statement worker prepares the text of
each booking it reads (`following_text`), and the ledger writer digests it with the account it goes to."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SEPARATOR = "\x1f"


def fields_digest(values: Iterable[object]) -> str:
    """The digest of values in their audited order: their text (nothing for None) joined by SEPARATOR."""
    text = SEPARATOR.join(["" if value is None else str(value) for value in values])
    return hashlib.sha256(text.encode()).hexdigest()


def following_text(values: Iterable[object]) -> bytes:
    """What fields_digest hashes after a first value: each of `values` behind a SEPARATOR."""
    return "".join([SEPARATOR + ("" if value is None else str(value)) for value in values]).encode()


def digests_after(first: object, texts: Iterable[bytes]) -> list[str]:
    """fields_digest((first, *values)) for the following_text of each row's values; `first` is hashed once."""
    start = hashlib.sha256(str(first).encode())
    digests = []
    for text in texts:
        digest = start.copy()
        digest.update(text)
        digests.append(digest.hexdigest())
    return digests
