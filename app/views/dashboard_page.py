"""The start page: balances, totals and the latest bookings of the open ledger, loaded in a worker."""

from __future__ import annotations

import threading
from datetime import date

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.formatting import format_amount, format_count, format_date, from_cents, grouped_iban
from app.services.i18n import _, ngettext
from app.services.reports.dashboard import DashboardSummary, Outlook, dashboard_outlook, dashboard_summary
from app.views.jobs import Progress
from app.views.pages import PageContext
from app.views.recent_transactions_model import Column, RecentTransactionsModel

ACCOUNT_COLUMNS = 3
ROW_HEIGHT = 26
HEADER_KEY = "dashboard/recentHeader"


class Card(QFrame):
    """A titled figure; `negative` turns the value red."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.title_label = QLabel(title)
        self.title_label.setObjectName("cardTitle")
        self.value_label = QLabel("–")
        self.value_label.setObjectName("cardValue")
        self.detail_label = QLabel()
        self.detail_label.setObjectName("cardDetail")
        for label in (self.title_label, self.detail_label):  # five cards share a laptop's width: words wrap
            label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label)
        layout.addWidget(self.detail_label)

    def set_value(self, value: str, detail: str = "", *, negative: bool = False) -> None:
        self.value_label.setText(value)
        self.value_label.setProperty("negative", negative)
        self.value_label.style().unpolish(self.value_label)
        self.value_label.style().polish(self.value_label)
        self.detail_label.setText(detail)


class DashboardPage(QScrollArea):
    """Reloads whenever it is shown, so it reflects changes made on other pages; stale results are dropped."""

    connect_bank_requested = Signal()  # the empty state's first steps, carried out by the main window
    import_statements_requested = Signal()
    import_invoices_requested = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._generation = 0
        self.summary: DashboardSummary | None = None
        self.outlook: Outlook | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("dashboardBody")
        self.setWidget(body)

        self.company_label = QLabel(context.unlocked.ledger.path.stem)
        self.company_label.setObjectName("pageHeading")
        self.as_of_label = QLabel(_("Loading…"))
        self.as_of_label.setObjectName("hintLabel")

        self.total_card = Card(_("Total balance"))
        self.resolve_card = Card(_("To resolve"))
        self.resolve_card.setToolTip(_("Payments that need you (Transactions, status 'Needs attention'), and runs "
                                       "waiting for approval."))  # fmt: skip
        self.open_card = Card(_("Open invoices"))
        self.overdue_card = Card(_("Overdue invoices"))
        self.forecast_card = Card(_("Lowest balance ahead"))
        figures = QHBoxLayout()
        figures.setSpacing(12)
        for card in (self.total_card, self.resolve_card, self.open_card, self.overdue_card, self.forecast_card):
            figures.addWidget(card, 1)

        self.accounts_grid = QGridLayout()
        self.accounts_grid.setSpacing(12)
        self.no_accounts_label = QLabel(
            _("No bank accounts yet. Connect your bank, or import a statement your bank's online banking gave you.")
        )
        self.no_accounts_label.setObjectName("hintLabel")
        self.no_accounts_label.hide()
        # The first steps of a new ledger, where the bookkeeper looks first.
        self.connect_button = QPushButton(_("Connect your bank…"))
        self.connect_button.clicked.connect(self.connect_bank_requested)
        self.statement_button = QPushButton(_("Import a statement…"))
        self.statement_button.clicked.connect(self.import_statements_requested)
        self.invoices_button = QPushButton(_("Import invoices…"))
        self.invoices_button.clicked.connect(self.import_invoices_requested)
        self.first_steps = QWidget()
        steps = QHBoxLayout(self.first_steps)
        steps.setContentsMargins(0, 4, 0, 0)
        for button in (self.connect_button, self.statement_button, self.invoices_button):
            steps.addWidget(button)
        steps.addStretch(1)
        self.first_steps.hide()

        self.recent_model = RecentTransactionsModel()
        self.recent_view = QTableView()
        self.recent_view.setObjectName("recentTable")
        self.recent_view.setModel(self.recent_model)
        self.recent_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.recent_view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.recent_view.setAlternatingRowColors(True)
        self.recent_view.setShowGrid(False)
        self.recent_view.setWordWrap(False)
        self.recent_view.verticalHeader().hide()
        self.recent_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.recent_view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.recent_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.recent_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in (
            (Column.BOOKED_ON, 100),
            (Column.ACCOUNT, 150),
            (Column.COUNTERPARTY, 240),
            (Column.AMOUNT, 130),
        ):
            self.recent_view.setColumnWidth(column, width)
        header.setSectionResizeMode(Column.PURPOSE, QHeaderView.ResizeMode.Stretch)
        self.no_transactions_label = QLabel(_("No transactions yet."))
        self.no_transactions_label.setObjectName("hintLabel")
        self.no_transactions_label.hide()

        layout = QVBoxLayout(body)
        layout.setContentsMargins(28, 20, 28, 20)
        layout.setSpacing(8)
        layout.addWidget(self.company_label)
        layout.addWidget(self.as_of_label)
        layout.addSpacing(8)
        layout.addLayout(figures)
        layout.addSpacing(12)
        layout.addWidget(self._section(_("Accounts")))
        layout.addLayout(self.accounts_grid)
        layout.addWidget(self.no_accounts_label)
        layout.addWidget(self.first_steps)
        layout.addSpacing(12)
        layout.addWidget(self._section(_("Latest transactions")))
        layout.addWidget(self.recent_view)
        layout.addWidget(self.no_transactions_label)
        layout.addStretch(1)

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("sectionLabel")
        return label

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        """Query in a worker; a newer reload makes older results stale."""
        self._generation += 1
        generation = self._generation
        ledger = self._context.unlocked.ledger

        def load(cancel: threading.Event, progress: Progress) -> tuple[int, DashboardSummary]:
            return generation, dashboard_summary(ledger)

        self._context.runner.run(load, on_success=self._on_load_succeeded, parent=self)

    def _on_load_succeeded(self, result: tuple[int, DashboardSummary]) -> None:
        """The figures first; then the forecast for the last card, which takes longer on a big ledger."""
        generation, summary = result
        if generation != self._generation:
            return
        self.show_summary(summary)
        ledger = self._context.unlocked.ledger

        def outlook(cancel: threading.Event, progress: Progress) -> tuple[int, Outlook]:
            return generation, dashboard_outlook(ledger)

        self._context.runner.run(outlook, on_success=self._on_outlook_succeeded, parent=self)

    def _on_outlook_succeeded(self, result: tuple[int, Outlook]) -> None:
        generation, outlook = result
        if generation == self._generation:
            self.show_outlook(outlook)

    def show_outlook(self, outlook: Outlook) -> None:
        self.outlook = outlook
        if outlook.lowest_cents is None or outlook.lowest_from is None:
            self.forecast_card.set_value("–", _("no accounts yet"))
        else:
            detail = _("week from {day}").format(day=format_date(outlook.lowest_from))
            currency = self.summary.currency if self.summary is not None else "EUR"
            value = format_amount(from_cents(outlook.lowest_cents), currency)
            self.forecast_card.set_value(value, detail, negative=bool(outlook.warning))
        self.forecast_card.setToolTip(outlook.warning or _("The 13-week forecast (Forecast page)."))

    def show_summary(self, summary: DashboardSummary) -> None:
        self.summary = summary

        def money(cents: int) -> str:
            return format_amount(from_cents(cents), summary.currency)

        self.company_label.setText(summary.company_name)
        self.as_of_label.setText(_("As of {date}").format(date=format_date(date.today())))
        self.total_card.set_value(
            money(summary.total_cents),
            ngettext("{n} account", "{n} accounts", len(summary.accounts)).format(n=len(summary.accounts)),
            negative=summary.total_cents < 0,
        )
        runs = ngettext("{n} run to approve", "{n} runs to approve", summary.runs_to_approve).format(
            n=summary.runs_to_approve
        )
        attention = (
            ngettext("payment needs you", "payments need you", summary.attention_count)
            if summary.attention_count
            else _("every payment is done")
        )
        waiting = summary.attention_count + summary.runs_to_approve  # what someone has to do: the main number
        self.resolve_card.set_value(
            format_count(waiting), f"{attention} · {runs}", negative=summary.attention_count > 0
        )
        self.open_card.set_value(
            format_count(summary.open_invoice_count),
            _("{amount} outstanding").format(amount=money(summary.open_invoice_cents)),
        )
        self.overdue_card.set_value(
            format_count(summary.overdue_invoice_count),
            _("past their due date"),
            negative=summary.overdue_invoice_count > 0,
        )
        if self.outlook is None:
            self.forecast_card.set_value("…", _("Loading…"))
        self._show_accounts(summary)
        self.recent_model.set_rows(list(summary.recent))
        has_recent = bool(summary.recent)
        self.recent_view.setVisible(has_recent)
        self.no_transactions_label.setVisible(not has_recent)
        header_height = self.recent_view.horizontalHeader().sizeHint().height()
        self.recent_view.setFixedHeight(header_height + ROW_HEIGHT * len(summary.recent) + 2)

    def _show_accounts(self, summary: DashboardSummary) -> None:
        while self.accounts_grid.count():
            item = self.accounts_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for number, account in enumerate(summary.accounts):
            card = Card(account.name)
            card.set_value(
                format_amount(from_cents(account.balance_cents), account.currency),
                f"{grouped_iban(account.iban)}\n{account.bank_name}".strip(),
                negative=account.balance_cents < 0,
            )
            self.accounts_grid.addWidget(card, number // ACCOUNT_COLUMNS, number % ACCOUNT_COLUMNS)
        for column in range(ACCOUNT_COLUMNS):
            self.accounts_grid.setColumnStretch(column, 1)
        self.no_accounts_label.setVisible(not summary.accounts)
        self.first_steps.setVisible(not summary.accounts)

    def save_ui_state(self, settings: QSettings) -> None:
        settings.setValue(HEADER_KEY, self.recent_view.horizontalHeader().saveState())

    def restore_ui_state(self, settings: QSettings) -> None:
        state = settings.value(HEADER_KEY)
        if state is not None:
            self.recent_view.horizontalHeader().restoreState(state)
