"""The Forecast page: the balance so far and the forecast ahead in one chart with the credit line and the minimum,
the weeks (or months) in a table, the items behind the selected one, what-ifs, and the recurring bookings found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.forecast.projection import Forecast, Item, Period, Scenario, accuracy_text, forecast_in
from app.services.forecast.recurring import Series
from app.services.forecast.settings import PlannedItem, decide, plan, set_credit_line
from app.services.formatting import format_cents, format_date, from_cents
from app.services.i18n import N_, _
from app.services.ledger.database import Ledger
from app.services.statements.balances import daily_balances
from app.views.balance_chart import AmountAxis, DateAxis, chart_x
from app.views.forecast_dialogs import CreditLineDialog, PlannedItemDialog
from app.views.jobs import run_change
from app.views.list_table_model import ListTableModel
from app.views.pages import PageContext
from app.views.tables import new_table

HISTORY_DAYS = 120
ACTUAL_COLOR, FORECAST_COLOR, LIMIT_COLOR, MINIMUM_COLOR = "#1f5fa8", "#c46a00", "#b3261e", "#8a6100"
KIND_LABELS = {
    "receivable": N_("expected receipt"),
    "payable": N_("supplier invoice due"),
    "run": N_("payment run"),
    "recurring": N_("recurring"),
    "planned": N_("planned"),
}
PERIOD_NAMES = {"weekly": N_("weekly"), "monthly": N_("monthly"), "quarterly": N_("quarterly"), "yearly": N_("yearly")}
STATUS_NAMES = {"detected": N_("found, not confirmed"), "confirmed": N_("confirmed"), "dismissed": N_("dismissed")}
_Loaded = tuple[Forecast, list[tuple[date, Decimal]]]


class PeriodColumn(IntEnum):
    PERIOD = 0
    RECEIPTS = 1
    PAYMENTS = 2
    CLOSING = 3


class PeriodTableModel(ListTableModel[Period]):
    columns = PeriodColumn
    headers = {PeriodColumn.PERIOD: N_("From"), PeriodColumn.RECEIPTS: N_("Receipts"),
               PeriodColumn.PAYMENTS: N_("Payments"), PeriodColumn.CLOSING: N_("Balance at the end")}  # fmt: skip
    right_aligned = frozenset({PeriodColumn.RECEIPTS, PeriodColumn.PAYMENTS, PeriodColumn.CLOSING})
    warned: frozenset[date] = frozenset()
    account_id: int | None = None  # None: all accounts

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        period, column = cell
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role == Qt.ItemDataRole.ForegroundRole and column == PeriodColumn.CLOSING and period.start in self.warned:
            return pg.mkColor(LIMIT_COLOR)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == PeriodColumn.PERIOD:
            return format_date(period.start)
        items = period.items_of(self.account_id)
        if column == PeriodColumn.RECEIPTS:
            return format_cents(sum(i.amount_cents for i in items if i.amount_cents > 0))
        if column == PeriodColumn.PAYMENTS:
            return format_cents(sum(i.amount_cents for i in items if i.amount_cents < 0))
        return format_cents(period.closing_of(self.account_id))


class ItemColumn(IntEnum):
    DATE = 0
    KIND = 1
    TEXT = 2
    AMOUNT = 3


class ItemTableModel(ListTableModel[Item]):
    columns = ItemColumn
    headers = {ItemColumn.DATE: N_("Date"), ItemColumn.KIND: N_("What"), ItemColumn.TEXT: N_("Text"),
               ItemColumn.AMOUNT: N_("Amount")}  # fmt: skip
    right_aligned = frozenset({ItemColumn.AMOUNT})

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        item, column = cell
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            ItemColumn.DATE: format_date(item.on),
            ItemColumn.KIND: _(KIND_LABELS.get(item.kind, item.kind)),
            ItemColumn.TEXT: item.text,
            ItemColumn.AMOUNT: format_cents(item.amount_cents),
        }
        return texts[ItemColumn(column)]


class SeriesColumn(IntEnum):
    NAME = 0
    RHYTHM = 1
    AMOUNT = 2
    LAST = 3
    STATUS = 4


class SeriesTableModel(ListTableModel[Series]):
    columns = SeriesColumn
    headers = {SeriesColumn.NAME: N_("Counterparty"), SeriesColumn.RHYTHM: N_("Rhythm"), SeriesColumn.AMOUNT:
               N_("Amount"), SeriesColumn.LAST: N_("Last booking"), SeriesColumn.STATUS: N_("Status")}  # fmt: skip
    right_aligned = frozenset({SeriesColumn.AMOUNT})

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None:
            return None
        series, column = cell
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(column)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        texts = {
            SeriesColumn.NAME: series.name,
            SeriesColumn.RHYTHM: _(PERIOD_NAMES.get(series.period, series.period)),
            SeriesColumn.AMOUNT: format_cents(series.amount_cents),
            SeriesColumn.LAST: format_date(series.last_on),
            SeriesColumn.STATUS: _(STATUS_NAMES.get(series.status, series.status)),
        }
        return texts[SeriesColumn(column)]


class ForecastPage(QWidget):
    """Forecast and what-ifs; `refresh()` after anything changed the ledger."""

    loaded = Signal()
    ledger_changed = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ledger: Ledger = context.unlocked.ledger
        self._runner = context.runner
        self._identity = context.identity
        self._generation = 0
        self.result: Forecast | None = None
        self.period_model = PeriodTableModel(self)
        self.item_model = ItemTableModel(self)
        self.series_model = SeriesTableModel(self)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.account_combo = QComboBox()
        self.account_combo.addItem(_("All accounts"), None)
        self.account_combo.currentIndexChanged.connect(self.refresh)
        self.span_combo = QComboBox()
        self.span_combo.addItem(_("13 weeks"), (13, 0))
        self.span_combo.addItem(_("12 months"), (0, 12))
        self.late_spin = QSpinBox()
        self.late_spin.setRange(0, 120)
        self.late_spin.setSuffix(" " + _("days"))
        self.late_spin.setToolTip(_("What if every customer pays this many days later than usual?"))
        self.delay_spin = QSpinBox()
        self.delay_spin.setRange(0, 60)
        self.delay_spin.setSuffix(" " + _("days"))
        self.delay_spin.setToolTip(_("What if the submitted and approved payment runs go out this much later?"))
        for widget in (self.span_combo, self.late_spin, self.delay_spin):
            signal = widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged
            signal.connect(self.refresh)
        # Two short rows rather than one long one: the page must fit the narrowest main window.
        bar, what_if = QHBoxLayout(), QHBoxLayout()
        bar.addWidget(self.account_combo)
        bar.addWidget(self.span_combo)
        what_if.addWidget(QLabel(_("Customers pay later by")))
        what_if.addWidget(self.late_spin)
        bar.addStretch(1)
        self.plan_button = QPushButton(_("Plan item…"))
        self.plan_button.setToolTip(_("A receipt or payment the books do not show yet (a loan, a large order)."))
        self.plan_button.clicked.connect(self._on_plan_button_clicked)
        self.credit_button = QPushButton(_("Credit line…"))
        self.credit_button.clicked.connect(self._on_credit_button_clicked)
        bar.addWidget(self.plan_button)
        bar.addWidget(self.credit_button)
        what_if.addWidget(QLabel(_("Payment runs later by")))
        what_if.addWidget(self.delay_spin)
        what_if.addStretch(1)

        self.accuracy_label = QLabel()
        self.accuracy_label.setObjectName("hintLabel")
        self.accuracy_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setObjectName("warningBox")
        self.warning_label.hide()

        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": DateAxis(orientation="bottom"),
                                                             "left": AmountAxis("left")})  # fmt: skip
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("left").setWidth(100)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        # one row on an opaque ground: the curves pass behind the legend instead of through its words
        self.plot.addLegend(offset=(10, 10), colCount=4, brush=pg.mkBrush(255, 255, 255, 230),
                            pen=pg.mkPen("#d0d5dc"), labelTextColor="#3b4350")  # fmt: skip
        self.actual_curve = self.plot.plot(pen=pg.mkPen(ACTUAL_COLOR, width=2), stepMode="left", name=_("Balance"))
        self.forecast_curve = self.plot.plot(
            pen=pg.mkPen(FORECAST_COLOR, width=2, style=Qt.PenStyle.DashLine), name=_("Forecast balance")
        )
        # How far earlier forecasts missed, either way, once there are some to judge (see Accuracy)
        self.band_low = pg.PlotDataItem(pen=pg.mkPen(None))
        self.band_high = pg.PlotDataItem(pen=pg.mkPen(None))
        self.band = pg.FillBetweenItem(self.band_low, self.band_high, brush=pg.mkBrush(196, 106, 0, 40))
        self.plot.addItem(self.band)
        self.limit_curve = self.plot.plot(pen=pg.mkPen(LIMIT_COLOR, width=1.5), name=_("Credit line"))
        self.minimum_curve = self.plot.plot(
            pen=pg.mkPen(MINIMUM_COLOR, width=1.5, style=Qt.PenStyle.DotLine), name=_("Minimum balance")
        )

        self.period_table = new_table(
            self.period_model,
            widths={
                PeriodColumn.PERIOD: 100,
                PeriodColumn.RECEIPTS: 120,
                PeriodColumn.PAYMENTS: 120,
                PeriodColumn.CLOSING: 140,
            },
            stretch=PeriodColumn.CLOSING,
        )
        self.period_table.selectionModel().selectionChanged.connect(self._on_period_selection_changed)
        self.item_table = new_table(self.item_model, widths={ItemColumn.DATE: 90, ItemColumn.KIND: 150},
                                    stretch=ItemColumn.TEXT)  # fmt: skip
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(self.period_table)
        tables.addWidget(self.item_table)
        tables.setSizes([520, 540])

        self.series_table = new_table(self.series_model, widths={SeriesColumn.NAME: 280}, stretch=SeriesColumn.STATUS)
        self.series_table.selectionModel().selectionChanged.connect(self._on_series_selection_changed)
        self.confirm_button = QPushButton(_("Confirm"))
        self.confirm_button.clicked.connect(lambda: self._decide("confirmed"))
        self.dismiss_button = QPushButton(_("Dismiss"))
        self.dismiss_button.clicked.connect(lambda: self._decide("dismissed"))
        series_buttons = QHBoxLayout()
        hint = QLabel(_("Found in the last months' bookings; dismissed ones stay out of the forecast."))
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        series_buttons.addWidget(hint, 1)
        series_buttons.addWidget(self.confirm_button)
        series_buttons.addWidget(self.dismiss_button)
        series_tab = QWidget()
        series_layout = QVBoxLayout(series_tab)
        series_layout.addLayout(series_buttons)
        series_layout.addWidget(self.series_table)

        self.tabs = QTabWidget()
        self.tabs.addTab(tables, _("Weeks and items"))
        self.tabs.addTab(series_tab, _("Recurring bookings"))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.tabs)
        splitter.setSizes([330, 360])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(what_if)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(splitter, 1)
        self._on_series_selection_changed()

    def scenario(self) -> Scenario:
        return Scenario(everyone=self.late_spin.value(), every_run=self.delay_spin.value())

    def refresh(self) -> None:
        self._generation += 1
        generation, ledger, scenario = self._generation, self._ledger, self.scenario()
        account_id = self.account_combo.currentData()
        weeks, months = self.span_combo.currentData()

        def load(cancel: threading.Event, progress: Callable[[int, int], None]) -> _Loaded:
            today = date.today()
            with ledger.session() as session:
                result = forecast_in(session, today=today, weeks=weeks, months=months, scenario=scenario)
                since = today - timedelta(days=HISTORY_DAYS)
                history = [p for p in daily_balances(session, account_id) if p[0] >= since]
            return result, history

        self._runner.run(load, on_success=lambda loaded: self._on_loaded(generation, loaded), parent=self)

    def _on_loaded(self, generation: int, loaded: _Loaded) -> None:
        if generation != self._generation:
            return
        result, history = loaded
        self.result = result
        self._offer_accounts(result)
        self.period_model.account_id = self.account_combo.currentData()
        self.period_model.warned = frozenset(w.period_start for w in result.warnings)
        self.period_model.set_rows(list(result.periods))
        self.item_model.set_rows([])
        self.series_model.set_rows(list(result.series))
        self.warning_label.setText("\n".join(w.text for w in result.warnings))
        self.warning_label.setVisible(bool(result.warnings))
        self.accuracy_label.setText(accuracy_text(result.accuracy) if result.accuracy else "")
        self.accuracy_label.setVisible(result.accuracy is not None)
        self._draw(result, history)
        if result.warnings:
            first = next(n for n, p in enumerate(result.periods) if p.start == result.warnings[0].period_start)
            self.period_table.selectRow(first)
        self._on_series_selection_changed()
        self.loaded.emit()

    def _draw(self, result: Forecast, history: list[tuple[date, Decimal]]) -> None:
        actual_x = [chart_x(day) for day, _amount in history]
        actual_y = [float(amount) for _day, amount in history]
        if actual_x:
            self.actual_curve.setData(actual_x + [chart_x(result.today)], actual_y + actual_y[-1:])
        else:
            self.actual_curve.setData([], [])
        xs = [chart_x(result.today)] + [chart_x(p.end) for p in result.periods]
        account_id = self.period_model.account_id
        opening = next((a.balance_cents for a in result.accounts if a.id == account_id), result.opening_cents)
        ys = [float(from_cents(opening))] + [float(from_cents(p.closing_of(account_id))) for p in result.periods]
        self.forecast_curve.setData(xs, ys)
        miss = float(from_cents(result.accuracy.mean_abs_cents)) if result.accuracy else 0.0
        self.band_low.setData(xs, [y - miss for y in ys] if miss else [])
        self.band_high.setData(xs, [y + miss for y in ys] if miss else [])
        self.band.setVisible(bool(miss))
        left, right = (actual_x[0] if actual_x else xs[0]), xs[-1]
        limit = -sum(a.credit_line_cents for a in result.accounts if account_id in (None, a.id))
        self.limit_curve.setData([left, right], [float(from_cents(limit))] * 2 if limit else [])
        if not limit:
            self.limit_curve.setData([], [])
        if result.minimum_cents and account_id is None:  # the minimum is for the total
            self.minimum_curve.setData([left, right], [float(from_cents(result.minimum_cents))] * 2)
        else:
            self.minimum_curve.setData([], [])
        self.plot.enableAutoRange()

    def _offer_accounts(self, result: Forecast) -> None:
        """The account choice follows the ledger's accounts (the first load fills it; new accounts join)."""
        known = {self.account_combo.itemData(n) for n in range(self.account_combo.count())}
        self.account_combo.blockSignals(True)
        for account in result.accounts:
            if account.id not in known:
                self.account_combo.addItem(account.label, account.id)
        self.account_combo.blockSignals(False)

    def _on_period_selection_changed(self, *_args: object) -> None:
        rows = self.period_table.selectionModel().selectedRows()
        account_id = self.period_model.account_id
        self.item_model.set_rows(list(self.period_model.row_at(rows[0].row()).items_of(account_id)) if rows else [])

    def selected_series(self) -> Series | None:
        rows = self.series_table.selectionModel().selectedRows()
        return self.series_model.row_at(rows[0].row()) if rows else None

    def _on_series_selection_changed(self, *_args: object) -> None:
        series = self.selected_series()
        self.confirm_button.setEnabled(series is not None and series.status != "confirmed")
        self.dismiss_button.setEnabled(series is not None and series.status != "dismissed")

    def _on_plan_button_clicked(self) -> None:
        dialog = PlannedItemDialog(self)
        if dialog.exec() != PlannedItemDialog.DialogCode.Accepted:
            return
        item = PlannedItem(dialog.day(), dialog.cents, dialog.text_edit.text().strip() or _("planned"))
        self._write(lambda ledger, actor: plan(ledger, item, actor=actor))

    def _on_credit_button_clicked(self) -> None:
        accounts = [(a.id, a.label, a.credit_line_cents) for a in (self.result.accounts if self.result else ())]
        if not accounts:
            return
        dialog = CreditLineDialog(accounts, self)
        if dialog.exec() != CreditLineDialog.DialogCode.Accepted:
            return
        account_id, cents = dialog.account_id(), dialog.cents
        self._write(lambda ledger, actor: set_credit_line(ledger, account_id, cents, actor=actor))

    def _write(self, action: Callable[[Ledger, str], None]) -> None:
        ledger, actor = self._ledger, self._identity.acting_name()
        run_change(self._runner, lambda: action(ledger, actor), done=self._changed, parent=self)

    def _changed(self) -> None:
        self.ledger_changed.emit()
        self.refresh()

    def _decide(self, decision: str) -> None:
        series = self.selected_series()
        if series is None:
            return
        key = series.key
        self._write(lambda ledger, actor: decide(ledger, key, decision, actor=actor))
