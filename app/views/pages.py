"""The eight pages of the main window, declared once: sidebar, View menu, shortcuts and the stack follow this list.

A later issue replaces a page's `factory` (for example the Accounts placeholder with an `AccountsPage`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from app.services.i18n import N_
from app.services.preferences import Preferences
from app.views.jobs import JobRunner
from app.views.sign_in_dialog import Identity
from app.views.unlock_dialog import UnlockedLedger


class Page(IntEnum):
    DASHBOARD = 0
    ACCOUNTS = 1
    TRANSACTIONS = 2
    INVOICES = 3
    DUNNING = 4
    FORECAST = 5
    PAYMENTS = 6
    SETTINGS = 7


@dataclass(frozen=True)
class PageContext:
    """What a page may use; pages never reach into the main window."""

    unlocked: UnlockedLedger
    runner: JobRunner
    preferences: Preferences
    identity: Identity  # who changes payments in this window


@runtime_checkable
class StatefulPage(Protocol):
    """A page with UI state worth keeping across starts (header widths, splitters)."""

    def save_ui_state(self, settings: QSettings) -> None: ...

    def restore_ui_state(self, settings: QSettings) -> None: ...


@dataclass(frozen=True)
class PageSpec:
    page: Page
    title: str  # msgid, translated where shown
    icon: str
    factory: Callable[[PageContext], QWidget]


def _dashboard(context: PageContext) -> QWidget:
    from app.views.dashboard_page import DashboardPage

    return DashboardPage(context)


def _accounts(context: PageContext) -> QWidget:
    from app.views.accounts_page import AccountsPage

    return AccountsPage(context.unlocked.ledger, runner=context.runner)


def _transactions(context: PageContext) -> QWidget:
    from app.views.transactions_page import TransactionsPage

    return TransactionsPage(context.unlocked.ledger, runner=context.runner)


def _invoices(context: PageContext) -> QWidget:
    from app.views.invoices_page import InvoicesPage

    return InvoicesPage(context.unlocked.ledger, runner=context.runner, identity=context.identity)


def _dunning(context: PageContext) -> QWidget:
    from app.views.dunning_page import DunningPage

    return DunningPage(context)


def _forecast(context: PageContext) -> QWidget:
    from app.views.forecast_page import ForecastPage

    return ForecastPage(context)


def _payments(context: PageContext) -> QWidget:
    from app.views.payments_page import PaymentsPage

    return PaymentsPage(context)


def _settings(context: PageContext) -> QWidget:
    from app.views.settings_page import SettingsPage

    return SettingsPage(context)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(Page.DASHBOARD, N_("Dashboard"), "dashboard", _dashboard),
    PageSpec(Page.ACCOUNTS, N_("Accounts"), "bank", _accounts),
    PageSpec(Page.TRANSACTIONS, N_("Transactions"), "list", _transactions),
    PageSpec(Page.INVOICES, N_("Invoices"), "invoice", _invoices),
    PageSpec(Page.DUNNING, N_("Dunning"), "dunning", _dunning),
    PageSpec(Page.FORECAST, N_("Forecast"), "forecast", _forecast),
    PageSpec(Page.PAYMENTS, N_("Payments"), "payment", _payments),
    PageSpec(Page.SETTINGS, N_("Settings"), "settings", _settings),
)
