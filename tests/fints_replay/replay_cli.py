"""The Kontor CLI in this process against a FinTS server on 127.0.0.1, for the replay tests."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from replay_server import Bank

from app.cli import bank as cli_bank
from app.cli import main

PASSPHRASE = "Replay-Passphrase-0815"
COMPLETED_WITH_WARNINGS = {code for name, code in vars(cli_bank).items() if name.startswith("EXIT_") and "WARN" in name}
FAILURE_WORDS = ("unexpected error", "unerwarteter Fehler", "Traceback")
EXIT_WRONG_PIN, EXIT_BANK = 3, 4


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def completed(self) -> bool:
        """Exit 0, or the exit code `kontor sync` gives for "completed with warnings" once it has one."""
        return self.code == 0 or self.code in COMPLETED_WITH_WARNINGS

    def json(self) -> Any:
        """The --json result: the last line, after any TAN prompt that input() wrote to stdout before it."""
        last = self.out.strip().splitlines()[-1]
        return json.loads(last[min(i for i in (last.find("{"), last.find("["), len(last)) if i >= 0) :])


GROUPED_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: [0-9A-Z]{4})+(?: [0-9A-Z]{1,3})?\b")


class Cli:
    """`kontor …` in this process, as a script runs it: PIN from KONTOR_PIN, TANs from standard input."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ledger: Path) -> None:
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.ledger = ledger

    def __call__(self, *args: str, pin: str, stdin: str = "", pin_is_a_code: bool = False) -> Run:
        """Run one command; its output must not show the PIN (unless the PIN is also the bank's return code)."""
        self.monkeypatch.setenv("KONTOR_PASSPHRASE", PASSPHRASE)
        self.monkeypatch.setenv("KONTOR_PIN", pin)
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = main(["--ledger", str(self.ledger), *args])
        out, err = self.capsys.readouterr()
        assert not any(word in out + err for word in FAILURE_WORDS), err
        # A grouped IBAN ("DE11 1234 5678 …") may hold the digits of a short test PIN; it is no leak of it.
        shown = GROUPED_IBAN.sub("", out + err)
        assert pin_is_a_code or not re.search(rf"(?<![\w]){re.escape(pin)}(?![\w])", shown)
        return Run(code, out, err)

    def add(self, bank: Bank, url: str) -> Run:
        options = [f"--{option.replace('_', '-')}={bank.info[option]}" for option in ("tan_method", "tan_medium")
                   if option in bank.info]  # fmt: skip
        return self("--json", "bank", "add", "--blz", bank.blz, "--url", url, "--login", bank.login, *options,
                    pin=bank.pin, stdin=login_tan(bank))  # fmt: skip

    def sync(self, bank: Bank, *, tan: str = "") -> Run:
        return self("sync", "--json", "--since", "2020-02-05", pin=bank.pin, stdin=login_tan(bank) + tan)


def login_tan(bank: Bank) -> str:
    """The TAN a bank that wants strong authentication at login gets typed in (Consorsbank's recording)."""
    return f"{bank.info['login_tan']}\n" if "login_tan" in bank.info else ""


def ibans(bank: Bank) -> list[str]:
    """The recorded accounts as Kontor keeps them (upper case; the recordings' IBANs are anonymised)."""
    return sorted(str(iban).upper() for iban in bank.info["accounts"])
