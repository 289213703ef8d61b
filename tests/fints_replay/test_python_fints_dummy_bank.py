"""python-fints' own dummy test bank (the `fints_server` fixture of its tests/conftest.py) as one more foreign bank.

Its code is not part of Kontor: it is loaded from python-fints' sources when they are at hand, else these tests
skip. PYTHON_FINTS_SOURCE may name a python-fints checkout, its bare git directory or its sdist
(`pip download fints==5.0.1 --no-binary :all: --no-deps`; the sdist ships tests/conftest.py); a checkout beside
this repository (../python-fints) is found without it.
"""

from __future__ import annotations

import http.server
import os
import socketserver
import subprocess
import sys
import tarfile
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fints.parser
import pytest
from replay_cli import EXIT_BANK, EXIT_WRONG_PIN, Cli

REPO = Path(__file__).resolve().parents[2]
SOURCE_VARIABLE = "PYTHON_FINTS_SOURCE"
# as its conftest.py expects; the PIN 3938 makes it answer with the return code 3938 (access locked)
DUMMY_BLZ, DUMMY_LOGIN, DUMMY_PIN, LOCKED_PIN = "12345678", "test1", "1234", "3938"
DUMMY_IBANS = ["DE111234567800000001"]


def conftest_source() -> str | None:
    """python-fints' tests/conftest.py from PYTHON_FINTS_SOURCE or ../python-fints, if either has it."""
    named = os.environ.get(SOURCE_VARIABLE)
    for place in [Path(named)] if named else [REPO.parent / "python-fints"]:
        if place.is_file() and place.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(place) as archive:
                member = next((m for m in archive.getmembers() if m.name.endswith("/tests/conftest.py")), None)
                handle = archive.extractfile(member) if member else None
                if handle is not None:
                    return handle.read().decode("utf-8")
        elif (place / "tests" / "conftest.py").is_file():
            return (place / "tests" / "conftest.py").read_text(encoding="utf-8")
        elif (place / "HEAD").is_file() and (place / "objects").is_dir():
            shown = subprocess.run(
                ["git", "--git-dir", str(place), "show", "HEAD:tests/conftest.py"], capture_output=True, text=True
            )
            if shown.returncode == 0:
                return shown.stdout
    return None


SOURCE = conftest_source()
pytestmark = pytest.mark.skipif(
    SOURCE is None,
    reason=f"python-fints' tests/conftest.py is not at hand (set {SOURCE_VARIABLE} to a python-fints checkout or "
    "sdist, or clone it beside this repository); the installed fints package does not ship its tests",
)


def dummy_bank_fixture(source: str, home: Path) -> Callable[[], Iterator[str]]:
    """The conftest's `fints_server` generator, loaded without its side effects on this process."""
    module = types.ModuleType("python_fints_conftest")
    module.__file__ = str(home / "conftest.py")  # its TEST_MESSAGES glob then finds nothing
    robust = fints.parser.robust_mode
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # its regular expressions have invalid escapes
            code = compile(source, "python-fints/tests/conftest.py", "exec")
        exec(code, module.__dict__)  # noqa: S102
    finally:
        fints.parser.robust_mode = robust  # the conftest switches python-fints' robust parsing off for everyone
    module.__dict__["print"] = lambda *args, **kwargs: None  # its handler prints every message, PIN included
    fixture: Any = module.__dict__["fints_server"]
    return getattr(fixture, "__wrapped__", fixture)


class DummyBank(str):
    """The dummy bank's URL, with the requests its handler failed on (kept apart from Kontor's own output)."""

    failures: list[BaseException]


@pytest.fixture
def dummy_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DummyBank]:
    assert SOURCE is not None
    failures: list[BaseException] = []
    monkeypatch.setattr(http.server.BaseHTTPRequestHandler, "log_message", lambda *args: None)  # its access log
    monkeypatch.setattr(socketserver.BaseServer, "handle_error", lambda *args: failures.append(sys.exc_info()[1]))
    server = dummy_bank_fixture(SOURCE, tmp_path)()
    bank = DummyBank(next(server))
    bank.failures = failures
    yield bank
    next(server, None)


def add(cli: Cli, url: str, pin: str) -> Any:
    return cli("--json", "bank", "add", "--blz", DUMMY_BLZ, "--url", url, "--login", DUMMY_LOGIN,
               "--tan-method", "942", pin=pin, pin_is_a_code=pin == LOCKED_PIN)  # fmt: skip


def test_bank_add_finds_the_dummy_account(cli: Cli, dummy_bank: DummyBank) -> None:
    added = add(cli, dummy_bank, DUMMY_PIN)
    assert added.code == 0, added.err
    assert dummy_bank.failures == []
    assert '"bank_name": "Test Bank"' in added.out and '"accounts": ["DE111234567800000001"]' in added.out


def test_sync_completes_with_a_warning_for_what_the_dummy_bank_cannot_answer(cli: Cli, dummy_bank: DummyBank) -> None:
    """The dummy bank answers HKKAZ only without dates (its request pattern) and never HKSAL: both are warnings."""
    assert add(cli, dummy_bank, DUMMY_PIN).code == 0
    synced = cli("sync", "--json", "--since", "2015-01-01", pin=DUMMY_PIN)
    assert synced.completed and dummy_bank.failures == [], synced.err
    [account] = synced.json()[0]["accounts"]
    assert account["balance"] is None and account["warnings"]


def test_wrong_pin_exits_3(cli: Cli, dummy_bank: DummyBank) -> None:
    refused = add(cli, dummy_bank, "9999")
    assert refused.code == EXIT_WRONG_PIN
    assert refused.err.startswith("kontor: The bank did not accept the PIN")


def test_locked_access_exits_4(cli: Cli, dummy_bank: DummyBank) -> None:
    refused = add(cli, dummy_bank, LOCKED_PIN)
    assert refused.code == EXIT_BANK
    assert "is locked" in refused.err
