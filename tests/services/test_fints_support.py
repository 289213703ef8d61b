"""Shared pieces for the FinTS service tests: a UserPrompts double that reads the demo phone, a ledger, a bank."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select
from test_bank_simulator_support import Clock

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBank, DemoBankServer, Policy
from app.models.schema import BankAccount, Transaction
from app.services.banking.connections import ConnectionSummary, add_connection
from app.services.banking.prompts import PayeeCheck, TanChallenge, TanMechanismOption
from app.services.ledger.database import Ledger

ACTOR = "test"


@dataclass
class PhonePrompts:
    """Answers like a user holding the demo phone: TANs come from `bank.pending_tans()`, app approvals too."""

    bank: DemoBank
    mechanism: str | None = "942"
    medium: str | None = None
    wrong_tan: bool = False
    approve: bool = True
    pin: str | None = DEMO_PIN
    mechanisms_offered: list[TanMechanismOption] = field(default_factory=list)
    media_offered: list[str] = field(default_factory=list)
    challenges: list[TanChallenge] = field(default_factory=list)
    polls: list[int] = field(default_factory=list)
    finished: list[bool] = field(default_factory=list)
    tans_given: list[str] = field(default_factory=list)
    send_anyway: bool = False  # the answer to the bank's payee check
    payee_checks: list[PayeeCheck] = field(default_factory=list)

    def ask_pin(self, label: str) -> str | None:
        return self.pin

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        self.mechanisms_offered = list(options)
        return self.mechanism

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        self.media_offered = list(options)
        return self.medium if self.medium is not None else options[0]

    def ask_tan(self, challenge: TanChallenge) -> str | None:
        self.challenges.append(challenge)
        [message] = [m for m in self.bank.pending_tans() if m.reference == challenge.reference]
        assert message.tan is not None
        tan = message.tan if not self.wrong_tan else f"{(int(message.tan) + 1) % 10**6:06d}"
        self.tans_given.append(tan)
        return tan

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        self.challenges.append(challenge)
        self.polls.append(polls)
        if polls == 0:
            (self.bank.approve if self.approve else self.bank.deny)(challenge.reference)
        return True

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None:
        self.finished.append(approved)

    def confirm_payee(self, check: PayeeCheck) -> bool:
        self.payee_checks.append(check)
        return self.send_anyway


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    ledger = new_ledger(tmp_path / "bank.kontor", "pw", company_name="Kontor Demo GmbH")
    yield ledger
    ledger.close()


def serve(policy: Policy | None = None, *, clock: Clock | None = None, seed: int = 5) -> DemoBankServer:
    """A started demo bank on a free loopback port; the clock is the tests' fixed day unless given."""
    return DemoBankServer(DemoBank(seed=seed, today=clock or Clock(), policy=policy)).start()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[DemoBankServer]:
    running = serve(clock=clock)
    yield running
    running.stop()


def connect(ledger: Ledger, server: DemoBankServer, prompts: PhonePrompts) -> ConnectionSummary:
    return add_connection(
        ledger, blz=DEMO_BLZ, url=server.url, login=DEMO_LOGIN, pin=DEMO_PIN, prompts=prompts, actor=ACTOR
    )


def booking_counts(ledger: Ledger) -> dict[str, int]:
    """Bookings per account IBAN, as the ledger holds them."""
    with ledger.session() as session:
        rows = session.execute(
            select(BankAccount.iban, func.count(Transaction.id)).join(Transaction).group_by(BankAccount.iban)
        ).all()
    return dict(rows)  # type: ignore[arg-type]
