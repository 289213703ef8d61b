"""Every page and dialog in German under a pseudo-locale: a visible text that did not pass through gettext is found.

The pseudo-translation wraps the literal parts of every German string in ⟦…⟧ and leaves its {placeholders}
outside, so that what was filled in shows up unmarked. Unmarked words must then be data: names, purposes and
numbers the ledger holds, IBANs, amounts, dates. "Zahlungslauf 1 (draft)" fails on "draft"; a label set from an
English literal fails on all of its words.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
    QWizard,
)
from sqlalchemy import String, Text, inspect, select

from app.models.base import Base
from app.services import i18n
from app.services.ledger.database import Ledger
from app.services.statements.bank_csv import profile_names
from app.views import screen_tour
from app.views.screen_tour import Scene, ScreenTour

OPEN, CLOSE = "⟦", "⟧"


def mark(literal: str) -> str:
    return f"{OPEN}{literal}{CLOSE}"


MARKING = i18n.PseudoTranslation(gettext.NullTranslations(), mark)
MARKED = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}")
# Data inside a text, taken out before the words are checked: IBANs (grouped or not), paths, addresses.
DATA_SPANS = re.compile(
    r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
    r"|(?:/[\w.\-]+)+/?"
    r"|[\w.\-]+@[\w.\-]+"
    r"|https?://\S+"
    r"|[\w\-]*\.(?:kontor|csv|txt|xml|sta|mt940|zip|png|pdf)\b"
    r"|\S*\\[dswDSW]\S*"  # a pattern the user can edit, such as the invoice number's
)
WORD = re.compile(r"[^\W\d_][\w.\-@&'/]*")
TRIM = ".-&'/"
# Data that is not a word of the ledger: IBANs, BICs, invoice and file names, codes, units and the demo's samples.
DATA_PATTERNS = [
    re.compile(p)
    for p in (
        r"[A-Z][A-Z0-9]+(-[A-Z0-9]+)*",  # codes and abbreviations: SKR03, KONTOR-M-001, RE-2026-0036, IBAN, TAN
        r"[a-z]+-?\d+",  # utf-8, n26
        r"[DMYJT]{1,4}([./-][DMYJT]{1,4})+",  # date formats the user picks: DD.MM.YYYY
        r"Kontor|Deutsch|English",  # the product, and each language named in its own
    )
]
# What a user's bank or file says, or what the user types: never Kontor's own words.
SAMPLE_TEXTS = (
    screen_tour.INVOICE_CSV,
    screen_tour.NOT_A_STATEMENT,
    screen_tour.UNKNOWN_BANK_CSV,
    *(option.name for option in screen_tour.TAN_METHODS),
    screen_tour.SMS_CHALLENGE.text,
    screen_tour.FLICKER_CHALLENGE.text,
    screen_tour.APP_CHALLENGE.text,
    screen_tour.PHOTO_TEXT,
    " ".join(profile_names()),  # the bank CSV layouts Kontor knows, by their names
    screen_tour.PAYEE_CHECK.close_match_name,
    screen_tour.PAYEE_CHECK.notice,
    "Handy Anna Handy Chef Muster GmbH mobileTAN chipTAN photoTAN SecureGo plus",
    "Stahlhandel Franken Werkzeugbau Kaiser Stadtwerke Nürnberg Nuernberg Druckerei Meier Rundstahl Fräser Fraeser "
    "Kundennr Strom Visitenkarten Wartungsvertrag Sammelüberweisung Aufträge archiv",
    "demo",  # where the demo's bookings were imported from
)
# Tables whose text is Kontor's own record of what happened, not the user's data.
NOT_DATA = {"audit_events", "notifications", "alembic_version"}


def pseudo(text: str) -> str:
    """Mark the literal parts of a translated string; placeholders stay outside so their values show unmarked."""
    return MARKING.rewrite(text)


def data_words(ledger: Ledger) -> set[str]:
    """Every word the ledger stores in its text columns, except codes (such as a run's 'draft') and Kontor's own
    records: those are what the GUI must translate."""
    words: set[str] = set()
    with ledger.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_DATA or table.name not in inspect(session.get_bind()).get_table_names():
                continue
            columns = [column for column in table.columns if isinstance(column.type, String | Text)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                for value in row:
                    if value and not re.fullmatch(r"[a-z_]+", value):
                        words.update(word.strip(TRIM).casefold() for word in WORD.findall(value))
    for text in SAMPLE_TEXTS:
        words.update(word.strip(TRIM).casefold() for word in WORD.findall(text))
    return words


def plain(text: str) -> str:
    if QtGui.Qt.mightBeRichText(text):
        document = QTextDocument()
        document.setHtml(text)
        return document.toPlainText()
    return text


def model_texts(model: QAbstractItemModel | None, *, rows: int = 25) -> Iterator[tuple[str, str]]:
    if model is None:
        return
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()
    for column in range(columns):
        header = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if isinstance(header, str):
            yield "table header", header
        for row in range(min(rows, model.rowCount(QModelIndex()))):
            index = model.index(row, column)
            for role, kind in ((Qt.ItemDataRole.DisplayRole, "cell"), (Qt.ItemDataRole.ToolTipRole, "cell tool tip")):
                value = model.data(index, role)
                if isinstance(value, str):
                    yield kind, value


def action_texts(actions: list[QAction]) -> Iterator[tuple[str, str]]:
    for action in actions:
        if action.isSeparator():
            continue
        yield "action", action.text()
        if action.toolTip() and action.toolTip() != action.text().replace("&", ""):
            yield "action tool tip", action.toolTip()
        menu = action.menu()
        if isinstance(menu, QMenu):
            yield from action_texts(menu.actions())


def standard_buttons(root: QWidget) -> set[QAbstractButton]:
    """Buttons Qt labels itself (OK, Cancel, Next >): its own catalogue translates them, not gettext."""
    buttons: set[QAbstractButton] = set()
    for box in root.findChildren(QDialogButtonBox):
        buttons.update(b for b in box.buttons() if box.standardButton(b) != QDialogButtonBox.StandardButton.NoButton)
    wizards = [root] if isinstance(root, QWizard) else []
    for wizard in [*wizards, *root.findChildren(QWizard)]:
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                      QWizard.WizardButton.CommitButton, QWizard.WizardButton.FinishButton,
                      QWizard.WizardButton.CancelButton, QWizard.WizardButton.HelpButton):  # fmt: skip
            button = wizard.button(which)
            if button is not None and button.text() == wizard.buttonText(which):
                buttons.add(button)
    return buttons


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(kind, text) of what a user can read in the window: labels, buttons, headers, items, titles, tips."""
    yield "window title", root.windowTitle()
    if isinstance(root, QMainWindow):
        yield from action_texts(root.menuBar().actions())
    skip = standard_buttons(root)
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if widget.toolTip():
            yield "tool tip", plain(widget.toolTip())
        if isinstance(widget, QLabel):
            yield "label", plain(widget.text())
        elif isinstance(widget, QAbstractButton) and widget not in skip:
            yield "button", widget.text()
        elif isinstance(widget, QGroupBox):
            yield "group title", widget.title()
        elif isinstance(widget, QComboBox):
            yield from (("combo item", widget.itemText(i)) for i in range(widget.count()))
        elif isinstance(widget, QLineEdit):
            yield "placeholder", widget.placeholderText()
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            yield "placeholder", widget.placeholderText()
            if widget.isReadOnly():
                yield "text", widget.toPlainText()
        elif isinstance(widget, QTabBar):
            yield from (("tab", widget.tabText(i)) for i in range(widget.count()))
        elif isinstance(widget, QAbstractItemView):
            yield from model_texts(widget.model())
        if isinstance(widget, QWizard):
            page = widget.currentPage()
            if page is not None:
                yield "wizard title", page.title()
                yield "wizard subtitle", page.subTitle()
        for action in widget.actions():
            if not isinstance(widget, QMenu):
                yield from action_texts([action])


def untranslated(text: str, data: set[str]) -> list[str]:
    """The words of `text` that are neither marked (translated) nor data."""
    rest = DATA_SPANS.sub(" ", MARKED.sub(" ", text))
    found = []
    for word in WORD.findall(rest):
        bare = word.strip(TRIM)
        if not bare or bare.casefold() in data or any(pattern.fullmatch(bare) for pattern in DATA_PATTERNS):
            continue
        found.append(word)
    return found


@pytest.fixture
def pseudo_german() -> Iterator[None]:
    i18n.install_translation(i18n.PseudoTranslation(i18n.catalogue("de"), mark), "de")
    yield
    i18n.set_language("en")


def test_the_pseudo_translation_leaves_placeholders_outside_the_marks() -> None:
    assert pseudo("Run {id} ({status})") == "⟦Run ⟧{id}⟦ (⟧{status}⟦)⟧"
    filled = pseudo("Run {id} ({status})").format(id=1, status="draft")
    assert untranslated(filled, set()) == ["draft"]
    assert untranslated(filled.replace("draft", pseudo("Entwurf")), set()) == []
    assert untranslated("Saldo DE02 1203 0000 0000 2020 51 Schmidt", {"schmidt"}) == ["Saldo"]


def test_every_visible_text_of_every_page_and_dialog_passed_through_gettext(
    qapp: QApplication, tmp_path: Path, pseudo_german: None
) -> None:
    tour = ScreenTour(qapp, tmp_path / "ledgers", settle_ms=50)
    data = data_words(tour.ledger)
    problems: dict[str, set[str]] = {}
    failed_scenes = []
    try:
        for scene, shown in tour.visit():
            if isinstance(shown, BaseException):
                failed_scenes.append(f"{scene.name}: {shown!r}")
                continue
            for kind, text in visible_texts(shown):
                words = untranslated(text, data)
                if words:
                    problems.setdefault(f"{kind}: {text!r} ({' '.join(words)})", set()).add(scene.name)
    finally:
        tour.close()
    assert not failed_scenes, "scenes that did not open:\n" + "\n".join(failed_scenes)
    report = [f"{problem}  [{', '.join(sorted(scenes))}]" for problem, scenes in sorted(problems.items())]
    assert not report, f"{len(report)} texts did not pass through gettext:\n" + "\n".join(report)


def test_a_scene_that_cannot_open_is_reported_and_the_tour_goes_on(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tour = ScreenTour(qapp, tmp_path / "ledgers", settle_ms=0)

    def broken() -> QWidget:
        raise LookupError("no such dialog")

    scenes = [Scene("dialog-broken", broken), *[s for s in tour.scenes() if s.name == "dialog-new-user"]]
    monkeypatch.setattr(tour, "scenes", lambda: scenes)
    try:
        visited = [(scene.name, shown) for scene, shown in tour.visit()]
    finally:
        tour.close()
    assert [name for name, _shown in visited] == ["dialog-broken", "dialog-new-user"]
    assert isinstance(visited[0][1], LookupError)
    assert isinstance(visited[1][1], QWidget) and not visited[1][1].isVisible()  # closed after its picture
