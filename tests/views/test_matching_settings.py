"""Reconciliation settings edited on the Settings page and stored in the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger

from app.services.ledger.database import Ledger
from app.services.matching.config import SkontoRule
from app.services.reconciliation.engine_input import load_config
from app.services.reconciliation.settings import SettingsInputError, parse_skonto
from app.views.jobs import JobRunner
from app.views.matching_settings_box import MatchingSettingsBox


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path / "s.kontor", "pw", company_name="S")
    yield ledger
    ledger.close()


@pytest.fixture
def box(qtbot, ledger: Ledger, runner: JobRunner) -> MatchingSettingsBox:
    widget = MatchingSettingsBox(ledger, runner=runner)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(widget.isEnabled, timeout=10000)
    return widget


def test_defaults_are_shown(box: MatchingSettingsBox) -> None:
    assert box.threshold_spin.value() == 85 and box.margin_spin.value() == 15
    assert box.skonto_edit.text() == "2/14"
    assert box.field_boxes["purpose"].isChecked() and not box.field_boxes["counterparty_name"].isChecked()


def test_saved_settings_reach_the_ledger(qtbot, box: MatchingSettingsBox, ledger: Ledger) -> None:
    box.threshold_spin.setValue(92)
    box.skonto_edit.setText("2/14; 3 %/7")
    box.tolerance_edit.setText("2.50")
    box.patterns_edit.setPlainText(r"RE-\d{4}-\d{4}")
    box.field_boxes["counterparty_name"].setChecked(True)
    with qtbot.waitSignal(box.saved, timeout=10000):
        box.save_button.click()
    config = load_config(ledger)
    assert config.auto_threshold == pytest.approx(0.92)
    assert config.skonto == [SkontoRule(Decimal("2"), 14), SkontoRule(Decimal("3"), 7)]
    assert config.tolerance_amount == Decimal("2.50")
    assert config.number_patterns == [r"RE-\d{4}-\d{4}"]
    assert "counterparty_name" in config.search_fields


def test_bad_input_is_shown_and_nothing_saved(qtbot, box: MatchingSettingsBox, ledger: Ledger) -> None:
    box.patterns_edit.setPlainText("RE-(\\d+")
    box.save_button.click()
    assert "line 1: not a valid pattern" in box.error_label.text()
    box.patterns_edit.setPlainText("")
    box.skonto_edit.setText("zwei Prozent")
    box.save_button.click()
    assert "PERCENT/DAYS" in box.error_label.text()
    assert load_config(ledger).number_patterns == []


def test_skonto_text_rules() -> None:
    assert parse_skonto("") == []
    with pytest.raises(SettingsInputError):
        parse_skonto("150/14")
