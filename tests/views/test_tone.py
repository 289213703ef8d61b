"""Label colours come from the style sheet's tone rules and follow a change of tone at once."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QWidget

from app.views.passphrase_widgets import NewPassphraseFields
from app.views.resources import stylesheet
from app.views.tone import set_tone

RED = QColor("#b3261e")
GREEN = QColor("#1e6b34")


def text_colour(label: QLabel) -> QColor:
    return label.palette().color(QPalette.ColorRole.WindowText)


def test_a_tone_colours_the_label_and_the_empty_tone_restores_the_default(qtbot: object) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.styleSheet()
    app.setStyleSheet(stylesheet())
    try:
        label = QLabel("text")
        default = text_colour(label)
        set_tone(label, "error")
        assert text_colour(label) == RED
        set_tone(label, "ok")
        assert text_colour(label) == GREEN
        set_tone(label, "")
        assert text_colour(label) == default
    finally:
        app.setStyleSheet(previous)


def test_the_passphrase_hint_turns_green_only_for_a_strong_passphrase(qtbot: object) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.styleSheet()
    app.setStyleSheet(stylesheet())
    try:
        host = QWidget()
        fields = NewPassphraseFields(QFormLayout(host))
        fields.passphrase_edit.setText("abc")
        assert text_colour(fields.strength_label) == RED
        fields.passphrase_edit.setText("correct horse battery staple mandel")
        assert text_colour(fields.strength_label) == GREEN
    finally:
        app.setStyleSheet(previous)
