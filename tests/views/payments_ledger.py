"""A real encrypted payments ledger for the GUI tests, built by the services' own test setup (users, invoices)."""

from __future__ import annotations

from test_payments_support import (
    HUBER_AT,
    KUNDE,
    OWN,
    PASS,
    PASSWORDS,
    WEBER,
    make_ledger,
    signed_in,
)

from app.services.ledger.database import Ledger
from app.services.payments.orders import create_transfer
from app.services.payments.runs import submit_run
from app.services.preferences import Preferences
from app.views.jobs import JobRunner
from app.views.pages import PageContext
from app.views.sign_in_dialog import Identity
from app.views.unlock_dialog import UnlockedLedger

__all__ = [
    "HUBER_AT", "KUNDE", "OWN", "PASS", "PASSWORDS", "WEBER",
    "context_for", "identity_for", "make_ledger", "submitted_run",
]  # fmt: skip


def identity_for(ledger: Ledger, name: str | None) -> Identity:
    """The window's signed-in user after a real sign-in (None: nobody, review only)."""
    identity = Identity()
    if name is not None:
        identity.set_user(signed_in(ledger, name))
    return identity


def context_for(ledger: Ledger, runner: JobRunner, *, user: str | None = "anna") -> PageContext:
    """What the main window hands a page, around a ledger the test built, with `user` signed in."""
    unlocked = UnlockedLedger(ledger, PASS, "Müller Feinmechanik GmbH")
    return PageContext(unlocked, runner, Preferences(language="en"), identity_for(ledger, user))


def submitted_run(ledger: Ledger, *, actor: str = "anna") -> int:
    """Two transfers to recipients never paid before, submitted for approval."""
    first = create_transfer(ledger, name="Bäckerei Weber e.K.", iban=WEBER, amount="1190", text="ER-2026-001",
                            actor=actor)  # fmt: skip
    create_transfer(ledger, name="Huber GmbH", iban=HUBER_AT, amount="100", text="Porto", actor=actor)
    submit_run(ledger, first.run_id, actor=actor)
    return first.run_id
