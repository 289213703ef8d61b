"""One gettext translation for the core, the CLI and the GUI (msgids are English, German is the default)."""

from __future__ import annotations

import gettext
import os

from app.services.paths import resource_path

DOMAIN = "kontor"
LOCALE_DIR = resource_path("translations")
SUPPORTED = ("de", "en")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def default_language() -> str:
    """German unless the user or the environment asks for English."""
    wanted = os.environ.get("KONTOR_LANG", "")
    return wanted if wanted in SUPPORTED else "de"


def set_language(language: str) -> None:
    """Switch every later `_()` call; English needs no catalogue."""
    global _translation, _language
    _language = language if language in SUPPORTED else "de"
    _translation = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[_language], fallback=True)


def install_translation(translation: gettext.NullTranslations, language: str) -> None:
    """Use a catalogue made elsewhere: the language test's pseudo-locale, which marks every translated string."""
    global _translation, _language
    _translation, _language = translation, language


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
