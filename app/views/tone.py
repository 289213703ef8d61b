"""Colour a label by what it says (error, success, hint, …) through the style sheet, not inline colours.

The colours live in `resources/style/kontor.qss` as `QLabel[tone="…"]` rules; Qt only re-reads a dynamic
property's rules after the widget is re-polished, which is why setting the property alone is not enough.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtWidgets import QWidget

Tone = Literal["", "error", "ok", "hint", "caution"]


def set_tone(widget: QWidget, tone: Tone) -> None:
    """Give the widget the style sheet's colour for `tone`; the empty tone is the default text colour."""
    if widget.property("tone") == tone:
        return
    widget.setProperty("tone", tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
