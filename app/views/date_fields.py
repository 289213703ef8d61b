"""Date fields that start from the services' clock (`date.today()`), in the notation of `format_date`."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit

from app.services.i18n import current_language


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def date_edit(day: date) -> QDateEdit:
    """A calendar date field showing `day`."""
    edit = QDateEdit(to_qdate(day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd.MM.yyyy" if current_language() == "de" else "yyyy-MM-dd")
    return edit
