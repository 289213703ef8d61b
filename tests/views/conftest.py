"""GUI tests run offscreen in a throw-away KONTOR_HOME, with English strings and nothing that can block."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from ledger_templates import new_ledger
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.services.demo.data import create_demo_ledger
from app.services.i18n import set_language
from app.services.ledger.database import Ledger
from app.services.preferences import Preferences
from app.views.jobs import JobRunner

DEMO_PASSPHRASE = "demo"


@dataclass
class ShownMessage:
    icon: QMessageBox.Icon
    text: str
    informative: str


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("KONTOR_HOME", str(home))
    monkeypatch.setenv("KONTOR_LANG", "en")
    monkeypatch.delenv("KONTOR_PASSPHRASE", raising=False)
    set_language("en")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield home
    set_language("en")


@pytest.fixture(autouse=True)
def shown_messages(monkeypatch: pytest.MonkeyPatch) -> list[ShownMessage]:
    """Message boxes are recorded instead of blocking the test in a nested event loop."""
    shown: list[ShownMessage] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(ShownMessage(box.icon(), box.text(), box.informativeText()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown


@pytest.fixture(autouse=True)
def no_file_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that reaches a real file dialog would hang; it must patch the chooser it needs."""

    def refuse(*args: object, **kwargs: object) -> tuple[str, str]:
        raise AssertionError("a test opened a blocking file dialog")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", refuse)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", refuse)


@pytest.fixture
def runner(qapp: object) -> Iterator[JobRunner]:
    job_runner = JobRunner()
    yield job_runner
    job_runner.cancel_and_wait(10_000)


@pytest.fixture
def preferences() -> Preferences:
    return Preferences(language="en")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (about a second); each test gets its own copy."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.kontor"
    ledger = new_ledger(path, DEMO_PASSPHRASE, company_name="Demo")
    create_demo_ledger(ledger, actor="test")
    ledger.close()
    return path


@pytest.fixture
def demo_ledger_path(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ledgers" / "brenner.kontor"
    target.parent.mkdir(parents=True)
    for suffix in ("", "-wal"):
        source = demo_template.with_name(demo_template.name + suffix)
        if source.exists():
            shutil.copy(source, target.with_name(target.name + suffix))
    return target


@pytest.fixture
def demo_ledger(demo_ledger_path: Path) -> Iterator[Ledger]:
    """An open copy of the demo ledger, closed after the test."""
    ledger = Ledger.open(demo_ledger_path, DEMO_PASSPHRASE)
    yield ledger
    ledger.close()
