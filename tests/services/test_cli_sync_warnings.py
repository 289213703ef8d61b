"""`kontor sync` exit codes and per-account lines when a bank gives less than asked (a real subprocess each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from test_cli_bank import PASSPHRASE, kontor

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBank, DemoBankServer, Policy

pytest_plugins = ["test_cli_bank"]  # fixtures: ledger_path (kontor_home from tests/conftest.py)


def test_sync_with_warnings_exits_5_and_says_which_account(ledger_path: Path, kontor_home: Path) -> None:
    with DemoBankServer(DemoBank(seed=9)) as server:
        ledger = ("--ledger", str(ledger_path))
        added = kontor(*ledger, "bank", "add", "--blz", DEMO_BLZ, "--url", server.url, "--login", DEMO_LOGIN,
                       "--tan-method", "942", home=kontor_home)  # fmt: skip
        assert added.returncode == 0, added.stderr
        business, savings = list(server.bank.accounts)
        server.bank.policy = replace(server.bank.policy, no_balance_for=(business,))
        synced = kontor(*ledger, "sync", "--json", home=kontor_home)
        assert synced.returncode == 5, synced.stderr
        [result] = json.loads(synced.stdout)
        accounts = {a["iban"]: a for a in result["accounts"]}
        assert accounts[business]["balance"] is None and accounts[business]["new"] > 0
        assert "No balance from the bank" in accounts[business]["warnings"][0]
        assert accounts[savings]["balance"] is not None and accounts[savings]["warnings"] == []

        text = kontor(*ledger, "sync", home=kontor_home)
        assert text.returncode == 5, text.stderr
        lines = text.stdout.splitlines()
        [line] = [n for n in lines if n.strip().startswith(business)]
        assert "balance none" in line and "1 warnings" in line
        assert any(n.strip().startswith("warning: No balance from the bank") for n in lines)

        server.bank.policy = replace(server.bank.policy, no_balance_for=(), temporary_lock=True)
        locked = kontor(*ledger, "sync", home=kontor_home)
        assert locked.returncode == 4
        assert "is locked for the time being" in locked.stderr and "Traceback" not in locked.stderr

        server.bank.policy = replace(server.bank.policy, temporary_lock=False)
        clean = kontor(*ledger, "sync", home=kontor_home)
        assert clean.returncode == 0, clean.stderr


def test_app_approval_without_automatic_polling_waits_for_enter(ledger_path: Path, kontor_home: Path) -> None:
    """HITANS 7 forbids automatic status polling: `kontor sync` asks the user to press Enter once confirmed."""
    policy = Policy(decoupled_automatic_polling=False, decoupled_polls=0)  # confirmed in the app at once
    with DemoBankServer(DemoBank(seed=9, policy=policy)) as server:
        ledger = ("--ledger", str(ledger_path))
        added = kontor(*ledger, "bank", "add", "--blz", DEMO_BLZ, "--url", server.url, "--login", DEMO_LOGIN,
                       "--tan-method", "946", home=kontor_home)  # fmt: skip
        assert added.returncode == 0, added.stderr
        since = (date.today() - timedelta(days=120)).isoformat()
        without_enter = _typed(*ledger, "sync", "--since", since, home=kontor_home, typed="")  # no confirmation
        assert without_enter.returncode == 1 and "Cancelled." in without_enter.stderr
        confirmed = _typed(*ledger, "sync", "--since", since, home=kontor_home, typed="\n")
        assert confirmed.returncode == 0, confirmed.stderr
        assert "then press Enter" in confirmed.stderr and "Confirmed in the app." in confirmed.stderr
        assert "then press Enter" not in confirmed.stdout  # stdout is the output, also for --json


def _typed(*args: str, home: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """`kontor …` with what the user types on standard input."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")} | {
        "KONTOR_HOME": str(home),
        "KONTOR_LANG": "en",
        "KONTOR_PASSPHRASE": PASSPHRASE,
        "KONTOR_PIN": DEMO_PIN,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=environment, timeout=120, input=typed
    )
