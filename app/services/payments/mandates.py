"""SEPA direct debit mandates: recorded, amended, revoked, expired after 36 months unused, sequence advanced."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.payments import MandateStatus
from app.models.schema import Customer, Mandate
from app.services.i18n import N_, _
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.users import check_actor
from app.services.payments.sepa_checks import (
    NAME_LENGTH,
    PaymentError,
    resolve_bic,
    sepa_text,
    validate_iban,
    validate_reference,
)

MANDATE_STATUS_LABELS: dict[str, str] = {
    MandateStatus.ACTIVE: N_("active"),
    MandateStatus.REVOKED: N_("revoked"),
    MandateStatus.EXPIRED: N_("expired"),
}
EXPIRY_MONTHS = 36  # EPC rulebook: a mandate without a collection for 36 months lapses


@dataclass(frozen=True, slots=True)
class MandateRow:
    id: int
    reference: str
    customer_id: int
    customer_number: str
    customer_name: str
    signed_on: date
    scheme: str
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    sequence: str
    status: str
    last_used_on: date | None
    original_reference: str
    original_debtor_iban: str


def b2b_confirmation_hint(row: MandateRow) -> str:
    """What a B2B mandate still needs, which a CORE one does not: the debtor's bank must know it."""
    return _(
        "A B2B mandate works only once the debtor has confirmed it to their own bank: ask {name} to lodge mandate "
        "{reference} with their bank before the first collection, or the debit is returned."
    ).format(name=row.debtor_name or row.customer_name, reference=row.reference)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (29 Feb → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expires_on(mandate: Mandate) -> date:
    """The day an unused mandate lapses: 36 months after its last collection, or its signature if never used."""
    return add_months(mandate.last_used_on or mandate.signed_on, EXPIRY_MONTHS)


def expire_unused(session: Session, *, today: date, actor: str) -> list[str]:
    """Mark active mandates unused for 36 months as expired; returns their references."""
    expired = []
    for mandate in session.scalars(select(Mandate).where(Mandate.status == MandateStatus.ACTIVE)):
        if expires_on(mandate) <= today:
            mandate.status = MandateStatus.EXPIRED
            audit.record_row(
                session, actor=actor, action="update", row=mandate, summary=f"mandate {mandate.reference} expired"
            )
            expired.append(mandate.reference)
    return expired


def _customer(session: Session, number: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.number == number))
    if customer is None:
        raise PaymentError("customer", _("No customer with number {number}.").format(number=number))
    return customer


def _mandate(session: Session, reference: str) -> Mandate:
    mandate = session.scalar(select(Mandate).where(Mandate.reference == reference))
    if mandate is None:
        raise PaymentError("mandate", _("No mandate with reference {reference}.").format(reference=reference))
    return mandate


def _row(session: Session, mandate: Mandate) -> MandateRow:
    customer = session.get(Customer, mandate.customer_id)
    assert customer is not None
    return MandateRow(
        id=mandate.id,
        reference=mandate.reference,
        customer_id=customer.id,
        customer_number=customer.number,
        customer_name=customer.name,
        signed_on=mandate.signed_on,
        scheme=mandate.scheme,
        debtor_name=mandate.debtor_name,
        debtor_iban=mandate.debtor_iban,
        debtor_bic=mandate.debtor_bic,
        sequence=mandate.sequence,
        status=mandate.status,
        last_used_on=mandate.last_used_on,
        original_reference=mandate.original_reference,
        original_debtor_iban=mandate.original_debtor_iban,
    )


def add_mandate(
    ledger: Ledger,
    *,
    customer_number: str,
    reference: str,
    signed_on: date,
    iban: str,
    bic: str = "",
    name: str = "",
    scheme: str = "CORE",
    recurring: bool = True,
    actor: str,
    today: date | None = None,
) -> MandateRow:
    """Record a signed mandate; the debtor name defaults to the customer's, the BIC is derived where possible."""
    today = today or date.today()
    reference = validate_reference(reference.strip(), field="reference")
    if scheme not in ("CORE", "B2B"):
        raise PaymentError("scheme", _("Use CORE or B2B."))
    if signed_on > today:
        raise PaymentError("signed", _("The mandate cannot be signed in the future ({date}).").format(date=signed_on))
    compact = validate_iban(iban)
    with ledger.writer() as session:
        check_actor(session, actor)
        customer = _customer(session, customer_number)
        if session.scalar(select(Mandate.id).where(Mandate.reference == reference)):
            raise PaymentError("reference", _("A mandate {reference} exists already.").format(reference=reference))
        mandate = Mandate(
            customer_id=customer.id,
            reference=reference,
            signed_on=signed_on,
            scheme=scheme,
            debtor_name=sepa_text(name or customer.name, field="name", limit=NAME_LENGTH),
            debtor_iban=compact,
            debtor_bic=resolve_bic(compact, bic),
            sequence="FRST" if recurring else "OOFF",
        )
        session.add(mandate)
        audit.record_row(session, actor=actor, action="create", row=mandate, summary=f"mandate {reference}")
        return _row(session, mandate)


def amend_mandate(
    ledger: Ledger,
    reference: str,
    *,
    new_reference: str | None = None,
    iban: str | None = None,
    bic: str = "",
    name: str | None = None,
    actor: str,
) -> MandateRow:
    """Change reference, debtor account or name; the next collection tells the bank the originals (amendment)."""
    with ledger.writer() as session:
        check_actor(session, actor)
        mandate = _mandate(session, reference)
        if mandate.status != MandateStatus.ACTIVE:
            raise PaymentError(
                "mandate",
                _("Mandate {reference} is {status}.").format(
                    reference=reference, status=_(MANDATE_STATUS_LABELS.get(mandate.status, mandate.status))
                ),
            )
        if new_reference and new_reference != mandate.reference:
            new_reference = validate_reference(new_reference, field="reference")
            if session.scalar(select(Mandate.id).where(Mandate.reference == new_reference)):
                raise PaymentError(
                    "reference", _("A mandate {reference} exists already.").format(reference=new_reference)
                )
            mandate.original_reference = mandate.original_reference or mandate.reference
            mandate.reference = new_reference
        if iban:
            compact = validate_iban(iban)
            if compact != mandate.debtor_iban:
                mandate.original_debtor_iban = mandate.original_debtor_iban or mandate.debtor_iban
                mandate.debtor_iban = compact
                mandate.debtor_bic = resolve_bic(compact, bic)
        if name:
            mandate.debtor_name = sepa_text(name, field="name", limit=NAME_LENGTH)
        audit.record_row(session, actor=actor, action="update", row=mandate, summary=f"mandate {reference} amended")
        return _row(session, mandate)


def revoke_mandate(ledger: Ledger, reference: str, *, actor: str) -> MandateRow:
    """The debtor withdrew the mandate: no further collections."""
    with ledger.writer() as session:
        check_actor(session, actor)
        mandate = _mandate(session, reference)
        mandate.status = MandateStatus.REVOKED
        audit.record_row(session, actor=actor, action="update", row=mandate, summary=f"mandate {reference} revoked")
        return _row(session, mandate)


def mark_final(ledger: Ledger, reference: str, *, actor: str) -> MandateRow:
    """The next collection is the last one (FNAL); after it the mandate ends."""
    with ledger.writer() as session:
        check_actor(session, actor)
        mandate = _mandate(session, reference)
        if mandate.status != MandateStatus.ACTIVE or mandate.sequence != "RCUR":
            raise PaymentError("mandate", _("Only an active mandate collected before can get a final collection."))
        mandate.sequence = "FNAL"
        audit.record_row(session, actor=actor, action="update", row=mandate, summary=f"mandate {reference} final")
        return _row(session, mandate)


def list_mandates(ledger: Ledger, *, customer_number: str | None = None, today: date | None = None) -> list[MandateRow]:
    """All mandates by customer and reference, a lapsed one shown as expired; reading changes nothing (the
    expiry is written, and audited, when a debit would use the mandate)."""
    day = today or date.today()
    with ledger.session() as session:
        query = select(Mandate).join(Customer, Customer.id == Mandate.customer_id)
        if customer_number is not None:
            query = query.where(Customer.number == customer_number)
        rows = [_row(session, m) for m in session.scalars(query.order_by(Customer.number, Mandate.reference))]
    return [
        replace(row, status=MandateStatus.EXPIRED)
        if row.status == MandateStatus.ACTIVE and add_months(row.last_used_on or row.signed_on, EXPIRY_MONTHS) <= day
        else row
        for row in rows
    ]


def usable_mandate(session: Session, customer: Customer, *, scheme: str, today: date, actor: str) -> Mandate:
    """The customer's active mandate of the scheme, newest first; a PaymentError naming why there is none."""
    expire_unused(session, today=today, actor=actor)
    mandates = list(
        session.scalars(
            select(Mandate)
            .where(Mandate.customer_id == customer.id, Mandate.scheme == scheme)
            .order_by(Mandate.signed_on.desc(), Mandate.id.desc())
        )
    )
    for mandate in mandates:
        if mandate.status == MandateStatus.ACTIVE:
            return mandate
    if mandates:
        raise PaymentError(
            "mandate",
            _("The {scheme} mandate {reference} of {name} is {status}.").format(
                scheme=scheme,
                reference=mandates[0].reference,
                name=customer.name,
                status=_(MANDATE_STATUS_LABELS.get(mandates[0].status, mandates[0].status)),
            ),
        )
    raise PaymentError(
        "mandate", _("{name} has no {scheme} direct debit mandate.").format(name=customer.name, scheme=scheme)
    )


def record_collection(session: Session, mandate: Mandate, *, sequence: str, collected_on: date, actor: str) -> None:
    """After a collection went to the bank: FRST becomes RCUR, OOFF and FNAL end it, amendments were told."""
    if sequence == "FRST" and mandate.sequence == "FRST":
        mandate.sequence = "RCUR"
    elif sequence in ("OOFF", "FNAL"):
        mandate.status = MandateStatus.EXPIRED
    mandate.original_reference = ""
    mandate.original_debtor_iban = ""
    mandate.last_used_on = max(collected_on, mandate.last_used_on or collected_on)
    audit.record_row(
        session,
        actor=actor,
        action="update",
        row=mandate,
        summary=f"mandate {mandate.reference} collected ({sequence}) for {collected_on}",
    )
