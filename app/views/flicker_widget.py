"""The animated chipTAN flicker graphic: five bars a TAN generator reads optically, with size and speed controls."""

from __future__ import annotations

from fints.hhd.flicker import code_to_bitstream
from PySide6.QtCore import QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from app.services.i18n import _

BARS = 5
DEFAULT_BAR_WIDTH = 40  # px; generators want the graphic roughly as wide as their sensor row (about 5-8 cm)
MIN_BAR_WIDTH, MAX_BAR_WIDTH, BAR_STEP = 20, 90, 5
DEFAULT_SPEED = 20  # half-frames per second; most generators read 10-40
MIN_SPEED, MAX_SPEED = 5, 40
MARKER_HEIGHT = 14


class FlickerWidget(QWidget):
    """Paints one frame of `code_to_bitstream(code)` at a time; bit 0 of a frame is the clock bar."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flickerCode")
        self.frames: list[str] = code_to_bitstream(code)
        self.frame = 0
        self.bar_width = DEFAULT_BAR_WIDTH
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.set_speed(DEFAULT_SPEED)
        self._apply_size()
        self.timer.start()

    @property
    def gap(self) -> int:
        return max(4, self.bar_width // 4)

    def sizeHint(self) -> QSize:
        width = BARS * self.bar_width + (BARS + 1) * self.gap
        return QSize(width, MARKER_HEIGHT + self.gap + 3 * self.bar_width)

    def _apply_size(self) -> None:
        self.setFixedSize(self.sizeHint())
        self.update()

    def set_bar_width(self, width: int) -> None:
        """Bigger or smaller, so the generator's sensors sit over the bars on any screen."""
        self.bar_width = max(MIN_BAR_WIDTH, min(MAX_BAR_WIDTH, width))
        self._apply_size()

    def set_speed(self, frames_per_second: int) -> None:
        """Slower for generators that miss frames, faster for those that time out."""
        self.speed = max(MIN_SPEED, min(MAX_SPEED, frames_per_second))
        self.timer.setInterval(round(1000 / self.speed))

    def _on_timer_timeout(self) -> None:
        self.frame = (self.frame + 1) % len(self.frames)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("black"))
        gap, width = self.gap, self.bar_width
        top = MARKER_HEIGHT + gap // 2
        bits = self.frames[self.frame]
        for index, bit in enumerate(bits):
            x = gap + index * (width + gap)
            painter.fillRect(x, top, width, self.height() - top - gap, QColor("white" if bit == "1" else "black"))
        painter.setBrush(QColor("#d0d0d0"))
        painter.setPen(Qt.PenStyle.NoPen)
        for index in (0, BARS - 1):  # the generator's two position marks go over the outer bars
            centre = gap + index * (width + gap) + width / 2
            half = MARKER_HEIGHT * 0.6
            painter.drawPolygon(
                QPolygonF([QPointF(centre - half, 2), QPointF(centre + half, 2), QPointF(centre, MARKER_HEIGHT)])
            )
        painter.end()


class FlickerPanel(QWidget):
    """The flicker graphic with the controls a user needs to line up a TAN generator."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flicker = FlickerWidget(code)
        self.smaller_button = QToolButton()
        self.smaller_button.setText("−")
        self.smaller_button.setToolTip(_("Smaller"))
        self.smaller_button.clicked.connect(lambda: self._resize(-BAR_STEP))
        self.larger_button = QToolButton()
        self.larger_button.setText("+")
        self.larger_button.setToolTip(_("Larger"))
        self.larger_button.clicked.connect(lambda: self._resize(BAR_STEP))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_slider.setValue(self.flicker.speed)
        self.speed_slider.valueChanged.connect(self.flicker.set_speed)

        controls = QHBoxLayout()
        controls.addWidget(QLabel(_("Size")))
        controls.addWidget(self.smaller_button)
        controls.addWidget(self.larger_button)
        controls.addSpacing(16)
        controls.addWidget(QLabel(_("Speed")))
        controls.addWidget(self.speed_slider, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.flicker, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(
            QLabel(_("Hold the TAN generator against the graphic, its marks over the two triangles.")),
            0,
            Qt.AlignmentFlag.AlignHCenter,
        )
        layout.addLayout(controls)

    def _resize(self, step: int) -> None:
        self.flicker.set_bar_width(self.flicker.bar_width + step)
        self.smaller_button.setEnabled(self.flicker.bar_width > MIN_BAR_WIDTH)
        self.larger_button.setEnabled(self.flicker.bar_width < MAX_BAR_WIDTH)
