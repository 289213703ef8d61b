"""`kontor run send` against a real bank's recorded answer to a transfer with the payee check (Atruvia, 2025).

The bank answers the transfer with 3040 (the payee check's result is still being prepared, poll with this ID) and
3945 ("Freigabe ohne VOP-Bestätigung nicht möglich"): nothing was carried out, so nothing may read as sent.
Kontor polls for the result (HKVPP with the polling ID and the touchdown point); the recording ends there, so
the replayed bank answers the poll without a result, and the run stays approved with the bank's words shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from replay_cli import EXIT_BANK, Cli
from replay_server import Bank, ReplayServer
from test_replay_banks import add_bank

from app.services.payments.business_days import next_business_day

SUPPLIER = "DE44500105175407324931"


@pytest.fixture
def atruvia() -> Iterator[ReplayServer]:
    with ReplayServer(Bank.load("atruvia")) as server:
        yield server


def as_user(cli: Cli, monkeypatch: pytest.MonkeyPatch, name: str, *args: str, pin: str, **env: str):  # noqa: ANN201
    """One command signed in as `name` (password NAME-geheim)."""
    monkeypatch.setenv("KONTOR_USER", name)
    monkeypatch.setenv("KONTOR_USER_PASSWORD", f"{name}-geheim")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cli(*args, pin=pin)


def test_a_transfer_waiting_for_the_payee_check_is_not_recorded_as_sent(
    cli: Cli, atruvia: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = add_bank(cli, atruvia)
    [own] = bank.info["accounts"]
    pin = bank.pin
    assert as_user(cli, monkeypatch, "chef", "user", "add", "chef", pin=pin).code == 0
    added = as_user(cli, monkeypatch, "chef", "user", "add", "anna", "--role", "bookkeeper", pin=pin,
                    KONTOR_NEW_USER_PASSWORD="anna-geheim")  # fmt: skip
    assert added.code == 0, added.err
    day = next_business_day(date.today() + timedelta(days=3))
    ordered = as_user(cli, monkeypatch, "anna", "pay", "transfer", "--to", "Bäckerei Weber", "--iban", SUPPLIER,
                      "--amount", "10,00", "--text", "Testüberweisung", "--date", day.isoformat(),
                      "--from-account", own, pin=pin)  # fmt: skip
    assert ordered.code == 0, ordered.err
    assert as_user(cli, monkeypatch, "anna", "run", "submit", "1", pin=pin).code == 0
    approved = as_user(cli, monkeypatch, "chef", "run", "approve", "1", pin=pin)
    assert approved.code == 0, approved.err

    sent = as_user(cli, monkeypatch, "chef", "run", "send", "1", pin=pin)

    assert sent.code == EXIT_BANK, sent.out + sent.err
    assert "sent to the bank" not in sent.out
    assert "without the result of its payee check" in sent.err and "Nothing was sent" in sent.err
    assert "3945" in sent.err and "Freigabe ohne VOP-Best" in sent.err  # the bank's own words
    assert any(b"HKCCS" in r and b"HKVPP" in r for r in atruvia.bank.requests)  # sent with the payee check
    assert [b"HKVPP"] in atruvia.bank.requests  # then asked again for the result, with the payee check alone
    shown = json.loads(as_user(cli, monkeypatch, "chef", "--json", "run", "list", pin=pin).out)
    assert [(r["id"], r["status"], r["sent_at"]) for r in shown["runs"]] == [(1, "approved", None)]
