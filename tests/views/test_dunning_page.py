"""The Dunning page on the demo ledger: proposal with ticks, a rendered preview, a run made, sent and saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.services.dunning.proposal import propose
from app.services.ledger.database import Ledger
from app.services.preferences import Preferences
from app.views.dunning_page import DunningPage
from app.views.dunning_table_models import ProposalColumn
from app.views.jobs import JobRunner
from app.views.pages import PageContext
from app.views.sign_in_dialog import Identity
from app.views.unlock_dialog import UnlockedLedger

DEMO_PASSPHRASE = "demo"


@pytest.fixture
def page(qtbot, demo_ledger: Ledger, runner: JobRunner) -> DunningPage:
    context = PageContext(
        UnlockedLedger(demo_ledger, DEMO_PASSPHRASE, "Demo"), runner, Preferences(language="en"), Identity()
    )
    page = DunningPage(context)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    qtbot.waitUntil(lambda: page.proposal_model.rowCount() > 0, timeout=15_000)
    return page


def test_the_proposal_shows_the_demo_letters_with_first_and_second_levels(
    page: DunningPage, demo_ledger: Ledger
) -> None:
    due = propose(demo_ledger, today=page.day())
    assert [letter.customer_number for letter in page.proposal_model.rows()] == [
        letter.customer_number for letter in due
    ]
    levels = {page.proposal_model.index(row, ProposalColumn.LEVEL).data() for row in range(len(due))}
    assert {"Payment reminder", "First dunning notice"} <= levels  # the demo sent reminders three weeks ago
    assert page.run_model.rowCount() == 1 and page.run_model.row_at(0).status == "sent"
    assert page.choice_label.text().startswith(f"{len(due)} letters ticked")


def test_a_selected_letter_is_previewed_as_a_picture(qtbot, page: DunningPage, tmp_path: Path) -> None:
    with qtbot.waitSignal(page.previewed, timeout=15_000):
        page.proposal_table.selectRow(0)
    picture = page.preview_pixmap()
    assert picture.width() >= 300 and picture.height() > picture.width()  # an A4 page, portrait
    page.grab().save(str(tmp_path / "dunning-page.png"))


def test_unticked_customers_are_left_out_and_a_sent_run_advances_the_levels(
    qtbot, page: DunningPage, demo_ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = page.proposal_model.rowCount()
    skipped = page.proposal_model.row_at(0)
    first = page.proposal_model.index(0, ProposalColumn.CUSTOMER)
    assert page.proposal_model.setData(first, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert page.choice_label.text().startswith(f"{total - 1} letters ticked")
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.run_model.rowCount() == 2, timeout=15_000)
    run = page.run_model.row_at(0)
    assert run.status == "draft" and len(run.letters) == total - 1
    assert skipped.customer_number not in {letter.customer_number for letter in run.letters}

    page.run_table.selectRow(0)
    assert page.sent_button.isEnabled() and page.discard_button.isEnabled()
    page.save_letters(run, tmp_path / "briefe")
    qtbot.waitUntil(lambda: len(list((tmp_path / "briefe").glob("*.pdf"))) == len(run.letters), timeout=15_000)
    text = PdfReader(next((tmp_path / "briefe").glob("*.pdf"))).pages[0].extract_text()
    assert "Brenner Feinmechanik GmbH" in text and "Gewerbepark Süd 14" in text

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        qtbot.mouseClick(page.sent_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.run_model.row_at(0).status == "sent", timeout=15_000)
    # only the customer left out is still due today
    assert [letter.customer_number for letter in page.proposal_model.rows()] == [skipped.customer_number]
