"""Payer and customer names reduced to what still identifies a company after banks and payers mangle it."""

from __future__ import annotations

import re

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "á": "a", "à": "a"})
_LEGAL = re.compile(r"\b(?:gmbh|mbh|ug|kg|ag|ohg|gbr|se|co|ek|e\s?k|e\s?kfm|kfm|ev|e\s?v|inh|haftungsbeschraenkt)\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize_name(name: str) -> str:
    """Compare companies, not spellings: 'Müller GmbH & Co. KG' and 'MUELLER GMBH' both become 'mueller'."""
    text = _NOT_WORD.sub(" ", name.lower().translate(_TRANSLIT))
    text = _LEGAL.sub(" ", text)
    return " ".join(word for word in text.split() if len(word) > 1)


def fold_name(name: str) -> str:
    """A name as written, legal form kept, without case, umlauts and punctuation: to see where a bank cut it."""
    return " ".join(_NOT_WORD.sub(" ", name.lower().translate(_TRANSLIT)).split())


def normalize_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()
