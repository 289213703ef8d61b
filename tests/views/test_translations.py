"""The German catalogue: complete for every extracted msgid, and actually used by the GUI."""

from __future__ import annotations

import ast
import gettext
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.services.i18n import DOMAIN, LOCALE_DIR, _, ngettext, set_language
from app.views.application import install_qt_translations
from app.views.main_window import MainWindow

POT = LOCALE_DIR / "kontor.pot"
MO = LOCALE_DIR / "de" / "LC_MESSAGES" / "kontor.mo"


def pot_messages(path: Path) -> list[tuple[str, str | None]]:
    """(msgid, msgid_plural) of every entry, continuation lines joined; the header is skipped."""
    entries: list[tuple[str, str | None]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgid_plural ", "msgstr")):
            key, _space, literal = line.partition(" ")
            if key == "msgid" and "msgid" in current:
                entries.append((current["msgid"], current.get("msgid_plural")))
                current = {}
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    if "msgid" in current:
        entries.append((current["msgid"], current.get("msgid_plural")))
    return [entry for entry in entries if entry[0]]


@pytest.fixture
def german() -> Iterator[None]:
    set_language("de")
    yield
    set_language("en")


def test_key_strings_are_german(german: None) -> None:
    assert _("Dashboard") == "Übersicht"
    assert _("Accounts") == "Konten"
    assert _("Transactions") == "Umsätze"
    assert _("Invoices") == "Rechnungen"
    assert _("Payments") == "Zahlungen"
    assert _("Settings") == "Einstellungen"
    assert _("Wrong passphrase or not a Kontor ledger.") == "Falsche Passphrase oder keine Kontor-Datei."
    assert ngettext("{n} account", "{n} accounts", 2).format(n=2) == "2 Konten"


def test_every_extracted_msgid_has_a_german_translation() -> None:
    messages = pot_messages(POT)
    assert len(messages) > 150
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    untranslated = []
    for msgid, plural in messages:
        if plural is None:
            translated = catalogue.gettext(msgid)
            if not translated or translated == msgid and msgid != "Kontor" and not msgid.startswith("Kontor —"):
                untranslated.append(msgid)
        elif catalogue.ngettext(msgid, plural, 1) == msgid or catalogue.ngettext(msgid, plural, 5) == plural:
            untranslated.append(msgid)
    identical_on_purpose = {
        "Passphrase: ",
        "Passphrase:",
        "Status",
        "Bank",
        "IBAN",
        "BIC",
        "--map: {error}",
        "Status: {status}",
        "{file}: {error}",
        "{date}: {amount}",
        "{number}: {amount}{discount} ({how})",
        "{bank} · BIC {bic}",
        "Bank:",
        "BLZ",
        "Server: {head}",
        "kontor: {bank}: {error}",
        "{title} — {name}",
    }
    assert [m for m in untranslated if m not in identical_on_purpose] == []


def test_ellipses_are_one_character_without_a_space_before_it() -> None:
    """'Export…' and 'Exportieren…', as Qt's own menus write them: never '...' nor 'Exportieren …'."""
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    wrong = []
    for msgid, plural in pot_messages(POT):
        texts = [msgid, catalogue.gettext(msgid)] if plural is None else [msgid, plural]
        wrong += [text for text in texts if "..." in text or " …" in text]
    assert not wrong, "\n".join(wrong)


def test_the_catalogue_is_found_where_i18n_looks(german: None) -> None:
    assert gettext.find(DOMAIN, localedir=LOCALE_DIR, languages=["de"]) == str(MO)


def test_main_window_speaks_german(qtbot, german: None, demo_ledger_path, runner, preferences) -> None:
    from app.views.unlock_dialog import open_ledger

    unlocked = open_ledger(demo_ledger_path, "demo")
    window = MainWindow(unlocked, runner=runner, preferences=preferences)
    qtbot.addWidget(window)
    texts = [window.sidebar.item(row).text() for row in range(window.sidebar.count())]
    assert texts == [
        "Übersicht",
        "Konten",
        "Umsätze",
        "Rechnungen",
        "Mahnwesen",
        "Liquidität",
        "Zahlungen",
        "Einstellungen",
    ]
    assert [menu.title() for menu in (window.file_menu, window.view_menu, window.help_menu)] == [
        "&Datei",
        "&Ansicht",
        "&Hilfe",
    ]
    window.close_quietly()


def test_qt_standard_buttons_are_german(qapp: QApplication) -> None:
    translator = install_qt_translations(qapp, "de")
    assert translator is not None
    try:
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "Abbrechen"
    finally:
        qapp.removeTranslator(translator)
    assert install_qt_translations(qapp, "en") is None
