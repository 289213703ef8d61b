"""The `kontor` command line, run as a user would, with its exit code and output (in this process unless a test needs
a process of its own)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import keyring
import pytest
from keyring.backends.null import Keyring as NullKeyring

from app import cli
from app.services.i18n import set_language

SECRET = "Geheim-Passphrase-4711"


def _environment(home: Path, env: dict[str, str] | None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")} | {
        "KONTOR_HOME": str(home),
        "KONTOR_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return environment | (env or {})


def kontor_process(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m app …` in a process of its own: for what only a real process shows (umask, exit, start-up)."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=_environment(home, env),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def kontor(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`kontor …` through `app.cli.main` in this process, as a process would see it: its own environment, an empty
    stdin that is no terminal, no keyring, its output captured; the interpreter start-up (0.7 s a call) is saved."""
    saved_environment = dict(os.environ)
    saved_keyring = keyring.get_keyring()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stdout, stderr = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(_environment(home, env))
    keyring.set_keyring(NullKeyring())
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr), _stdin(io.StringIO("")):
            try:
                code = cli.main(list(args))
            except SystemExit as exit:  # argparse: usage errors and --help
                code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
            except Exception:  # what the interpreter prints for an exception that escapes main (--debug)
                traceback.print_exc()
                code = 1
    finally:
        for handler in [h for h in root.handlers if h not in saved_handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(saved_level)
        keyring.set_keyring(saved_keyring)
        os.environ.clear()
        os.environ.update(saved_environment)
        set_language("en")
    return subprocess.CompletedProcess(["kontor", *args], code, stdout.getvalue(), stderr.getvalue())


@contextmanager
def _stdin(stream: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture
def demo_ledger(kontor_home: Path) -> Path:
    path = kontor_home / "demo.kontor"
    result = kontor("--ledger", str(path), "--json", "demo", home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["accounts"] == 2
    assert 1800 <= summary["transactions"] <= 2200
    assert 280 <= summary["invoices"] <= 320
    assert 0 < summary["paid_invoices"] < summary["invoices"]
    return path


def test_demo_ledger_has_the_boss_and_the_bookkeeper(demo_ledger: Path, kontor_home: Path) -> None:
    listed = kontor("--ledger", str(demo_ledger), "--json", "user", "list", home=kontor_home,
                    env={"KONTOR_PASSPHRASE": SECRET})  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert {(u["name"], u["role"]) for u in json.loads(listed.stdout)["users"]} == {
        ("chef", "admin"),
        ("anna", "bookkeeper"),
    }


def test_init_creates_an_encrypted_ledger(kontor_home: Path) -> None:
    path = kontor_home / "neu.kontor"
    result = kontor(
        "--ledger", str(path), "init", "--company", "Neu GmbH", home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET}
    )
    assert result.returncode == 0, result.stderr
    assert path.exists() and not path.read_bytes().startswith(b"SQLite format 3")


def test_wrong_passphrase_exits_2_with_one_clear_line(demo_ledger: Path, kontor_home: Path) -> None:
    before = demo_ledger.read_bytes()
    result = kontor(
        "--ledger", str(demo_ledger), "audit", "verify", home=kontor_home, env={"KONTOR_PASSPHRASE": "falsch"}
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"kontor: {demo_ledger}: wrong passphrase or not a Kontor ledger"]
    assert "Traceback" not in result.stderr
    assert demo_ledger.read_bytes() == before


def test_missing_passphrase_without_terminal_is_a_clear_error(demo_ledger: Path, kontor_home: Path) -> None:
    result = kontor("--ledger", str(demo_ledger), "audit", "verify", home=kontor_home)
    assert result.returncode == 1
    assert "set KONTOR_PASSPHRASE" in result.stderr


def test_audit_verify_json(demo_ledger: Path, kontor_home: Path) -> None:
    result = kontor(
        "--ledger", str(demo_ledger), "--json", "audit", "verify", home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET}
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["events"] > 300


def test_passwd_backup_restore(demo_ledger: Path, kontor_home: Path) -> None:
    result = kontor(
        "--ledger",
        str(demo_ledger),
        "passwd",
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": SECRET, "KONTOR_NEW_PASSPHRASE": "neu-neu"},
    )
    assert result.returncode == 0, result.stderr
    old = kontor("--ledger", str(demo_ledger), "audit", "verify", home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET})
    assert old.returncode == 2

    backup = kontor_home / "sicherung.kontor"
    result = kontor(
        "--ledger",
        str(demo_ledger),
        "--json",
        "backup",
        str(backup),
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": "neu-neu"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["backup"] == str(backup)

    result = kontor(
        "--ledger",
        str(kontor_home / "restored.kontor"),
        "restore",
        str(backup),
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": "neu-neu"},
    )
    assert result.returncode == 0, result.stderr
    check = kontor(
        "--ledger",
        str(kontor_home / "restored.kontor"),
        "--json",
        "audit",
        "verify",
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": "neu-neu"},
    )
    assert json.loads(check.stdout)["ok"] is True


def test_no_secret_in_output_or_log(demo_ledger: Path, kontor_home: Path) -> None:
    """A whole session with a known passphrase, then every output and log file is searched for it."""
    outputs = []
    for args in (["audit", "verify"], ["backup", str(kontor_home / "b.kontor")], ["--debug", "audit", "verify"]):
        result = kontor("--ledger", str(demo_ledger), *args, home=kontor_home, env={"KONTOR_PASSPHRASE": SECRET})
        outputs += [result.stdout, result.stderr]
    wrong = kontor(
        "--ledger",
        str(demo_ledger),
        "--debug",
        "audit",
        "verify",
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": SECRET + "x"},
    )
    outputs += [wrong.stdout, wrong.stderr]
    logs = list((kontor_home / "logs").glob("kontor.log*"))
    assert logs
    for text in outputs + [log.read_text() for log in logs]:
        assert SECRET not in text


def test_unknown_ledger_is_a_clear_error(kontor_home: Path) -> None:
    result = kontor(
        "--ledger",
        str(kontor_home / "nope.kontor"),
        "audit",
        "verify",
        home=kontor_home,
        env={"KONTOR_PASSPHRASE": SECRET},
    )
    assert result.returncode == 1
    assert "no such ledger file" in result.stderr and "Traceback" not in result.stderr


def test_make_demo_command_line_is_valid() -> None:
    """`make demo` must stay a command the parser accepts (a global option after the command is not)."""
    import re
    import shlex

    from app.cli import build_parser

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = re.search(r"^demo:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe is not None
    words = shlex.split(recipe.group(1).replace("$(DEMO_LEDGER)", "/tmp/demo.kontor"))
    assert words[0].endswith("kontor")
    args = build_parser().parse_args(words[1:])
    assert args.command == "demo-run" and str(args.ledger) == "/tmp/demo.kontor"
