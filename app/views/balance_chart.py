"""A step chart of an account's daily balance with a hover read-out; pyqtgraph is imported only here.

Importing pyqtgraph costs ~0.5 s (PERFORMANCE.md §5), so nothing imports this module before the Accounts
page builds its first chart."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.formatting import format_amount, format_date
from app.services.i18n import N_, _, current_language

LINE_COLOR = "#1f5fa8"
RANGES = ((N_("Month"), 31), (N_("Quarter"), 92), (N_("Year"), 366), (N_("All"), 0))  # translated when shown
DAY = 86_400.0


def chart_x(day: date) -> float:
    """Where a day sits on the chart's time axis (noon, so a step never lands on the neighbouring day)."""
    return datetime.combine(day, time(12)).timestamp()


class DateAxis(pg.DateAxisItem):
    """Date ticks in the user's notation (dd.mm. in German) instead of pyqtgraph's English month names."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if current_language() != "de":
            return super().tickStrings(values, scale, spacing)
        pattern = "%Y" if spacing >= 300 * DAY else "%m.%Y" if spacing >= 25 * DAY else "%d.%m."
        return [datetime.fromtimestamp(value).strftime(pattern) for value in values]


class AmountAxis(pg.AxisItem):
    """Whole amounts with thousands separators in the user's notation."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        texts = [format_amount(Decimal(round(value)), "EUR") for value in values]
        if current_language() == "de":
            return [text.replace(",00\u00a0", "\u00a0") for text in texts]
        return [text.removesuffix(".00") for text in texts]


class BalanceChart(QWidget):
    """Daily balance of one account (or all): range buttons, mouse zoom, crosshair with date and amount."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[date, Decimal]] = []
        self._xs: list[float] = []
        self.plot = pg.PlotWidget(
            background="w", axisItems={"bottom": DateAxis(orientation="bottom"), "left": AmountAxis("left")}
        )
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # the axis shows euros, never "k" or "M" scaling
        self.plot.getAxis("left").setWidth(100)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setTextPen("#333")
            self.plot.getAxis(axis).setPen("#999")
        self.curve = pg.PlotDataItem(pen=pg.mkPen(LINE_COLOR, width=2), stepMode="left")
        self.plot.addItem(self.curve)
        self.zero_line = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#bbb", style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.zero_line)
        self.v_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.h_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#888", width=1))
        self.marker = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(LINE_COLOR), pen=pg.mkPen("w"))
        for item in (self.v_line, self.h_line, self.marker):
            item.setVisible(False)
            self.plot.addItem(item, ignoreBounds=True)
        self.readout = QLabel()
        self.readout.setObjectName("chartReadout")
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved)

        buttons = QHBoxLayout()
        buttons.addWidget(self.readout, 1)
        self.range_buttons: dict[str, QPushButton] = {}
        for name, days in RANGES:
            button = QPushButton(_(name))
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setFlat(True)
            button.clicked.connect(lambda _checked=False, d=days: self.show_last_days(d))
            buttons.addWidget(button)
            self.range_buttons[name] = button
        self.range_buttons["Year"].setChecked(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.plot, 1)

    def set_points(self, points: list[tuple[date, Decimal]]) -> None:
        """Show balance points (each holds until the next); the checked range button stays in force."""
        self._points = points
        self._xs = [chart_x(day) for day, _amount in points]
        ys = [float(amount) for _day, amount in points]
        if points:
            # Each x is the left edge of its step; the last balance is drawn for one more day.
            self.curve.setData(self._xs + [self._xs[-1] + DAY], ys + ys[-1:])
        else:
            self.curve.setData([], [])
        self.readout.setText("" if points else _("No balances yet."))
        checked = next((days for name, days in RANGES if self.range_buttons[name].isChecked()), 0)
        self.show_last_days(checked)

    @property
    def points(self) -> tuple[tuple[date, Decimal], ...]:
        """The balance points shown, oldest first."""
        return tuple(self._points)

    def show_last_days(self, days: int) -> None:
        """Zoom to the last `days` days of data (0 = everything), with the y range fitted to what is shown."""
        if not self._points:
            return
        end = self._xs[-1] + DAY
        start = self._xs[0] if days == 0 else max(self._xs[0], end - days * DAY)
        shown = [float(a) for x, (_d, a) in zip(self._xs, self._points, strict=True) if x >= start]
        before = [float(a) for x, (_d, a) in zip(self._xs, self._points, strict=True) if x < start][-1:]
        values = shown + before or [0.0]
        low, high = min(values), max(values)
        pad = (high - low) * 0.08 or max(abs(high) * 0.05, 1.0)
        self.plot.setXRange(start, end, padding=0.01)
        self.plot.setYRange(low - pad, high + pad, padding=0)

    def point_at(self, x: float) -> tuple[date, Decimal] | None:
        """The balance in force at chart position x (the last point on or before it)."""
        if not self._points or x < self._xs[0] - DAY:
            return None
        return self._points[max(bisect_right(self._xs, x) - 1, 0)]

    def _on_mouse_moved(self, event: tuple[Any, ...]) -> None:
        position: QPointF = event[0]
        if not self.plot.sceneBoundingRect().contains(position):
            return
        self.show_readout_at(self.plot.getPlotItem().vb.mapSceneToView(position).x())

    def show_readout_at(self, x: float) -> None:
        """Move the crosshair to chart position x and name that day's balance."""
        point = self.point_at(x)
        for item in (self.v_line, self.h_line, self.marker):
            item.setVisible(point is not None)
        if point is None:
            self.readout.setText("")
            return
        day, amount = point
        self.v_line.setPos(x)
        self.h_line.setPos(float(amount))
        self.marker.setData([x], [float(amount)])
        self.readout.setText(_("{date}: {amount}").format(date=format_date(day), amount=format_amount(amount, "EUR")))
