"""One gettext translation for the core, the CLI and the GUI (msgids are English, German is the default)."""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Callable

from app.services.paths import resource_path

DOMAIN = "kontor"
LOCALE_DIR = resource_path("translations")
SUPPORTED = ("de", "en")

_language = "en"


class _UntilAsked(gettext.NullTranslations):
    """The language's catalogue, loaded when the first text is translated (6 ms): a statement worker forked at a
    command's start translates nothing unless a file is broken."""

    def gettext(self, message: str) -> str:
        return _loaded().gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return _loaded().ngettext(msgid1, msgid2, n)


def _loaded() -> gettext.NullTranslations:
    global _translation
    if isinstance(_translation, _UntilAsked):
        _translation = catalogue(_language)
    return _translation


_translation: gettext.NullTranslations = _UntilAsked()


def default_language() -> str:
    """German unless the user or the environment asks for English."""
    wanted = os.environ.get("KONTOR_LANG", "")
    return wanted if wanted in SUPPORTED else "de"


def set_language(language: str) -> None:
    """Switch every later `_()` call (its catalogue loads with the first of them); English needs none."""
    global _translation, _language
    _language = language if language in SUPPORTED else "de"
    _translation = _UntilAsked()


def install_translation(translation: gettext.NullTranslations, language: str) -> None:
    """Use a catalogue made elsewhere: the language test's pseudo-locale, which marks every translated string."""
    global _translation, _language
    _translation, _language = translation, language


_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\{\{|\}\}")


class PseudoTranslation(gettext.NullTranslations):
    """A pseudo-locale over a real catalogue: `literal` rewrites each literal part of every translated string,
    while the {placeholders} stay as they are. The language test marks the parts to find text that bypassed
    gettext; `make screenshot --stretch` lengthens them to find layouts that cut text off."""

    def __init__(self, base: gettext.NullTranslations, literal: Callable[[str], str]) -> None:
        super().__init__()
        self._base = base
        self._literal = literal

    def rewrite(self, text: str) -> str:
        parts, position = [], 0
        for match in _PLACEHOLDER.finditer(text):
            if match.start() > position:
                parts.append(self._literal(text[position : match.start()]))
            parts.append(match.group())
            position = match.end()
        if position < len(text):
            parts.append(self._literal(text[position:]))
        return "".join(parts)

    def gettext(self, message: str) -> str:
        return self.rewrite(self._base.gettext(message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.rewrite(self._base.ngettext(msgid1, msgid2, n))


def catalogue(language: str) -> gettext.NullTranslations:
    """The catalogue `set_language` would use, for building a pseudo-locale on top of it."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, where it is shown."""
    return message


set_language(default_language())
