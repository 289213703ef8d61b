"""`kontor bank add` and `kontor sync` against real banks' recorded FinTS answers, replayed on 127.0.0.1."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from replay_cli import EXIT_BANK, EXIT_WRONG_PIN, Cli, ibans
from replay_server import DATA, Bank, ReplayServer, split_segments

from app.services.banking.fints_client import BankLogin, FinTSService
from app.services.banking.prompts import TanChallenge, TanMechanismOption, UserPrompts
from app.services.statements.reader import read_statement_stream


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Iterator[ReplayServer]:
    with ReplayServer(Bank.load(request.param)) as server:
        yield server


# --- the recordings themselves --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(DATA.glob("*/*.fints")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recording_is_whole(path: Path) -> None:
    """Each file is one bank answer exactly as published: its declared length and binary lengths add up."""
    wire = path.read_bytes()
    segments = split_segments(wire)
    assert segments and all(re.fullmatch(rb"[A-Z]{5,6}:\d+:\d+(:\d*)?", s.split(b"+", 1)[0]) for s in segments)
    if wire.startswith(b"HNHBK"):
        assert int(wire[10:22]) == len(wire)
    assert b"".join(s + b"'" for s in segments) == wire


def test_every_bank_names_its_source() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for directory in sorted(p for p in DATA.iterdir() if p.is_dir()):
        assert f"`{directory.name}/`" in readme
        assert json.loads((directory / "bank.json").read_text(encoding="utf-8"))["blz"]


# --- banks that let the user in ---------------------------------------------------------------------------
def add_bank(cli: Cli, replay: ReplayServer) -> Bank:
    """`kontor bank add` against the recording: its bank name, its accounts, its TAN method, its login TAN."""
    bank = replay.bank.bank
    added = cli.add(bank, replay.url)
    assert added.code == 0, added.err
    summary = added.json()
    assert summary["bank_name"] == bank.info["bank_name"]
    assert summary["accounts"] == ibans(bank)
    assert summary["tan_mechanism"] == bank.info.get("tan_method", summary["tan_mechanism"])
    assert ([b"HKTAN"] in replay.bank.requests) == ("login_tan" in bank.info)  # the login's TAN, if it wants one
    return bank


@pytest.mark.parametrize("replay", ["consors"], indirect=True)
def test_bank_add_lists_the_recorded_accounts(cli: Cli, replay: ReplayServer) -> None:
    """The other banks' `bank add` is checked on the way to their sync."""
    add_bank(cli, replay)


@pytest.mark.parametrize(
    "replay",
    [
        pytest.param("atruvia", id="atruvia"),
        pytest.param("consors", id="consors"),  # its MT940 names another account: a warning naming the statement
        pytest.param("dkb", id="dkb"),
        pytest.param("ing", id="ing"),
        pytest.param("postbank", id="postbank"),
    ],
    indirect=True,
)
def test_bank_add_and_sync_complete(cli: Cli, replay: ReplayServer) -> None:
    bank = add_bank(cli, replay)
    synced = cli.sync(bank)
    assert synced.completed, synced.err
    [result] = synced.json()
    assert sorted(a["iban"].upper() for a in result["accounts"]) == ibans(bank)
    balances = {a["iban"]: [a["balance"], a["balance_on"]] for a in result["accounts"] if a["balance"] is not None}
    assert balances == bank.info.get("balances", {})
    if "HKSAL" not in bank.answers and result["accounts"]:  # no balance recorded: each account says so
        assert all(a["warnings"] for a in result["accounts"]) and synced.code != 0


@pytest.mark.parametrize("replay", ["dkb"], indirect=True)
def test_dkb_tan_request_on_statements_is_not_dropped(cli: Cli, replay: ReplayServer) -> None:
    bank = replay.bank.bank
    assert cli.add(bank, replay.url).code == 0
    synced = cli.sync(bank, tan="777666\n")
    answered = [b"HKTAN"] in replay.bank.requests  # a message with the TAN alone (process 2)
    [result] = synced.json() if synced.completed else [{"accounts": []}]
    warned = any(a["warnings"] for a in result["accounts"])
    assert answered or warned or not synced.completed


@pytest.mark.parametrize("replay", ["gls"], indirect=True)
def test_gls_sync_pages_through_camt_with_one_tan(cli: Cli, replay: ReplayServer) -> None:
    bank = add_bank(cli, replay)
    synced = cli.sync(bank, tan="123456\n")
    assert synced.completed, synced.err
    assert replay.bank.requests.count([b"HKTAN"]) == 1
    assert sum(b"HKCAZ" in kinds for kinds in replay.bank.requests) == 3
    [result] = synced.json()
    [account] = result["accounts"]
    assert account["new"] == 0 and account["warnings"]


@pytest.mark.parametrize("replay", ["gls"], indirect=True)
def test_gls_camt_pages_come_through_the_fints_service(replay: ReplayServer) -> None:
    """Below the sync: one TAN (0030), then the touchdown points (3040) of two pages, three documents as sent."""
    bank = replay.bank.bank
    prompts = TanPrompts("123456")
    service = FinTSService(BankLogin(bank.blz, replay.url, bank.login), pin=bank.pin, product_id="X", prompts=prompts)
    service.bootstrap()
    with service.session():
        [account] = service.accounts()
        documents = service.camt_statements(account, date(2020, 2, 5), None)
    assert [len(d) for d in documents] == [262, 262, 262]
    assert all(d.endswith(b"</Document>") for d in documents)
    assert prompts.asked == ["Ihre TAN wurde als SMS an Ihr Mobiltelefon '012345678910' gesendet."]
    assert [k for k in replay.bank.requests if b"HKCAZ" in k or k == [b"HKTAN"]] == [
        [b"HKCAZ", b"HKTAN"], [b"HKTAN"], [b"HKCAZ", b"HKTAN"], [b"HKCAZ", b"HKTAN"]
    ]  # fmt: skip


@pytest.mark.parametrize("replay", ["consors"], indirect=True)
def test_consors_mt940_comes_through_the_fints_service_after_the_login_tan(replay: ReplayServer) -> None:
    """Consorsbank puts the login's 0030 on HKIDN; then HKKAZ brings the recorded MT940 for its one account."""
    bank = replay.bank.bank
    prompts = TanPrompts(str(bank.info["login_tan"]))
    service = FinTSService(BankLogin(bank.blz, replay.url, bank.login), pin=bank.pin, product_id="X", prompts=prompts)
    service.bootstrap()
    with service.session():
        documents = {a.iban: service.mt940_statements(a, date(2019, 6, 1), None) for a in service.accounts()}
    assert prompts.asked == ["Bitte TAN eingeben."]
    recorded = documents.pop("DExxABCDEFGH0123456789")
    assert set(documents.values()) == {b""}
    statements = read_statement_stream("Consors", lambda: io.BytesIO(recorded))
    assert [len(s.transactions) for s in statements] == [1, 2]


class TanPrompts(UserPrompts):
    """Answers every TAN request with one TAN and records the challenges."""

    def __init__(self, tan: str) -> None:
        self.tan = tan
        self.asked: list[str] = []

    def ask_pin(self, label: str) -> str | None:
        return None

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        return options[0].code

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        return options[0]

    def ask_tan(self, challenge: TanChallenge) -> str | None:
        self.asked.append(challenge.text)
        return self.tan

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        return False

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None:
        """Never decoupled here."""


# --- banks that refuse the login ----------------------------------------------------------------------
@pytest.mark.parametrize("replay", ["ing_wrong_pin"], indirect=True)
def test_wrong_pin_ends_bank_add_with_exit_3_after_one_attempt(cli: Cli, replay: ReplayServer) -> None:
    refused = cli.add(replay.bank.bank, replay.url)
    assert refused.code == EXIT_WRONG_PIN
    [line] = refused.err.strip().splitlines()
    assert line.startswith("kontor: The bank did not accept the PIN")
    assert [kinds for kinds in replay.bank.requests if b"HKIDN" in kinds] == [[b"HKIDN", b"HKVVB", b"HKSYN"]]


@pytest.mark.parametrize("replay", ["ing"], indirect=True)
def test_wrong_pin_at_sync_exits_3_and_keeps_the_connection(cli: Cli, replay: ReplayServer) -> None:
    bank = replay.bank.bank
    assert cli.add(bank, replay.url).code == 0
    replay.bank.bank = Bank.load("ing_wrong_pin")
    refused = cli.sync(bank)
    assert refused.code == EXIT_WRONG_PIN
    assert "did not accept the PIN" in refused.err
    listed = cli("bank", "list", "--json", pin=bank.pin)
    assert len(listed.json()) == 1


@pytest.mark.parametrize(
    "replay",
    [
        pytest.param("ksk_locked", id="ksk-3938"),
        pytest.param("postbank_locked", id="postbank-3931"),
    ],
    indirect=True,
)
def test_locked_access_ends_bank_add_with_a_plain_message(cli: Cli, replay: ReplayServer) -> None:
    refused = cli.add(replay.bank.bank, replay.url)
    assert refused.code == EXIT_BANK
    [line] = refused.err.strip().splitlines()
    assert "is locked" in line
