"""The name a person gives an account ("Geschäftskonto Sparkasse"), shown instead of its IBAN everywhere."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models.schema import BankAccount
from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger import audit
from app.services.ledger.database import Ledger

NAME_LENGTH = 60  # what fits a picker and a dashboard card


def rename_account(ledger: Ledger, account_id: int, name: str, *, actor: str) -> str:
    """Give the account a name (spaces tidied); returns it. Audited like every change of an account."""
    with ledger.writer() as session:
        account = session.get(BankAccount, account_id)
        if account is None:
            raise KontorError(_("No account {id}.").format(id=account_id))
        return set_account_name(session, account, name, actor=actor)


def set_account_name(session: Session, account: BankAccount, name: str, *, actor: str) -> str:
    """The same in the caller's transaction (the bank wizard names several accounts at once)."""
    name = " ".join(name.split())
    if not name:
        raise KontorError(_("An account needs a name."))
    if len(name) > NAME_LENGTH:
        raise KontorError(_("At most {n} characters.").format(n=NAME_LENGTH))
    if name != account.name:
        account.name = name
        audit.record_row(session, actor=actor, action="update", row=account, summary=f"renamed {account.iban}")
    return name
