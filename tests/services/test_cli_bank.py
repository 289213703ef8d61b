"""`kontor bank …`, `kontor sync` and `kontor demo-bank` as a user runs them, against a demo bank in this process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_cli import kontor as run_kontor

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBank, DemoBankServer

PASSPHRASE = "Bank-Passphrase-0815"


def kontor(*args: str, home: Path, pin: str = DEMO_PIN) -> subprocess.CompletedProcess[str]:
    return run_kontor(*args, home=home, env={"KONTOR_PASSPHRASE": PASSPHRASE, "KONTOR_PIN": pin})


@pytest.fixture
def bank_server() -> Iterator[DemoBankServer]:
    with DemoBankServer(DemoBank(seed=9)) as running:  # today's date: the CLI's sync uses the real clock
        yield running


@pytest.fixture
def ledger_path(kontor_home: Path) -> Path:
    path = kontor_home / "cli-bank.kontor"
    result = kontor("--ledger", str(path), "init", "--company", "Bank GmbH", home=kontor_home)
    assert result.returncode == 0, result.stderr
    return path


def test_add_list_sync_and_remove(ledger_path: Path, kontor_home: Path, bank_server: DemoBankServer) -> None:
    ledger = ("--ledger", str(ledger_path))
    added = kontor(*ledger, "--json", "bank", "add", "--blz", DEMO_BLZ, "--url", bank_server.url, "--login",
                   DEMO_LOGIN, "--tan-method", "942", home=kontor_home)  # fmt: skip
    assert added.returncode == 0, added.stderr
    summary = json.loads(added.stdout)
    assert summary["tan_mechanism"] == "942" and len(summary["accounts"]) == 2

    listed = kontor(*ledger, "bank", "list", "--json", home=kontor_home)
    assert listed.returncode == 0, listed.stderr
    [connection] = json.loads(listed.stdout)
    assert connection["id"] == summary["id"] and connection["bank_name"] == "Kontor Demobank"

    synced = kontor(*ledger, "sync", "--connection", str(summary["id"]), "--json", home=kontor_home)
    assert synced.returncode == 0, synced.stderr
    [result] = json.loads(synced.stdout)
    start = date.today() - timedelta(days=90)
    bank = bank_server.bank
    assert {a["iban"]: a["new"] for a in result["accounts"]} == {
        iban: len(bank.bookings(iban, start)) for iban in bank.accounts
    }
    assert bank.pending_tans() == []

    removed = kontor(*ledger, "bank", "remove", str(summary["id"]), home=kontor_home)
    assert removed.returncode == 0, removed.stderr
    assert "keep their history" in removed.stdout


def test_wrong_pin_exits_3_with_one_line_and_one_attempt(
    ledger_path: Path, kontor_home: Path, bank_server: DemoBankServer
) -> None:
    ledger = ("--ledger", str(ledger_path))
    unknown = kontor(*ledger, "bank", "add", "--blz", DEMO_BLZ, "--url", bank_server.url, "--login", DEMO_LOGIN,
                     "--tan-method", "999", home=kontor_home)  # fmt: skip
    assert unknown.returncode == 1
    assert "offers no TAN method 999" in unknown.stderr and "942 (mobileTAN)" in unknown.stderr
    added = kontor(*ledger, "bank", "add", "--blz", DEMO_BLZ, "--url", bank_server.url, "--login", DEMO_LOGIN,
                   "--tan-method", "946", home=kontor_home)  # fmt: skip
    assert added.returncode == 0, added.stderr
    result = kontor(*ledger, "sync", home=kontor_home, pin="99999")
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("kontor: The bank did not accept the PIN") and "99999" not in line
    assert bank_server.bank.users[DEMO_LOGIN].failed_pins == 1


def test_demo_bank_runs_until_interrupted(kontor_home: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--json", "demo-bank", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment | {"KONTOR_HOME": str(kontor_home), "KONTOR_LANG": "en"},
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["blz"] == DEMO_BLZ
        assert (info["login"], info["pin"]) == (DEMO_LOGIN, DEMO_PIN)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
