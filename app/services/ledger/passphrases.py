"""How strong a new passphrase looks: a nudge in the passphrase fields, without the ledger's database stack."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from enum import IntEnum

from app.services.i18n import _

MIN_PASSPHRASE = 8


class Strength(IntEnum):
    TOO_SHORT = 0
    WEAK = 1
    FAIR = 2
    STRONG = 3


@dataclass(frozen=True, slots=True)
class PassphraseRating:
    strength: Strength
    hint: str


def rate_passphrase(passphrase: str) -> PassphraseRating:
    """A rough strength estimate to nudge people towards long passphrases; not a security proof."""
    if len(passphrase) < MIN_PASSPHRASE:
        return PassphraseRating(
            Strength.TOO_SHORT, _("Too short: use at least {n} characters.").format(n=MIN_PASSPHRASE)
        )
    pools = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    alphabet = sum(len(pool) for pool in pools if any(c in pool for c in passphrase))
    if any(not any(c in pool for pool in pools) for c in passphrase):
        alphabet += 33
    distinct = len(set(passphrase))
    bits = min(len(passphrase), distinct * 2) * math.log2(max(alphabet, 2))
    if bits < 50:
        return PassphraseRating(Strength.WEAK, _("Weak: add more words or characters."))
    if bits < 75:
        return PassphraseRating(Strength.FAIR, _("Fair: a few more words make it strong."))
    return PassphraseRating(Strength.STRONG, _("Strong."))
