"""The demo bank's state: customers, accounts, bookings, dialogs, TAN tasks and policy flags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

CENT = Decimal("0.01")

InitSca = Literal["never", "new_system", "always"]
TanKind = Literal["text", "decoupled", "photo", "flicker"]


def money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents, because every amount the bank books or reports is in whole cents."""
    return Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class Policy:
    """Bank behaviour that tests and the demo switch, so bank drift becomes a flag instead of new code."""

    offer_mt940: bool = True
    offer_camt: bool = True
    page_size: int = 50
    free_history_days: int = 90
    init_sca: InitSca = "never"
    decoupled_polls: int | None = None  # None: pending until approve()/deny(); n: approved after n polls
    max_pin_attempts: int = 3
    max_tan_attempts: int = 3
    # Misbehaviour seen at real banks, for the sync's defences:
    no_balance_for: tuple[str, ...] = ()  # IBANs whose HKSAL gets "0020" but no HISAL
    empty_camt_document: bool = False  # each HICAZ page starts with an empty <Document/> (GLS)
    long_response_texts: bool = False  # HIRMS texts over the 80 characters allowed (robust mode leaves them generic)
    temporary_lock: bool = False  # every login gets 9800 + 3931 "vorläufige Sperre"
    decoupled_automatic_polling: bool = True  # HITANS 7: may the client poll the app decision by itself?
    decoupled_code: str = "3955"  # "0030": an app approval announced like a TAN (the decoupled flag is then unset)
    upd_allows_camt: bool = True  # False: the UPD list no HKCAZ for the accounts although the BPD offer it
    refuse_statements_for: tuple[str, ...] = ()  # IBANs whose HKKAZ/HKCAZ get 9210
    upd_version_5: bool = False  # HIUPD version 5, for which python-fints has no class (a generic segment)
    garbled_tan_media: bool = False  # HITAB with a usage option no parser knows (robust mode leaves it generic)
    garbage_for: tuple[str, ...] = ()  # order types (e.g. "HKSAL") whose answer is not FinTS at all
    # Verification of Payee (payee_check.py): on, with the register of account holders (IBAN -> name) it checks
    # names against; an IBAN not in it cannot be checked (RVNA). `vop_confirm_always`: 3945 even on a full match.
    vop: bool = False
    vop_register: tuple[tuple[str, str], ...] = ()
    vop_confirm_always: bool = False
    vop_pending_polls: int = 0  # n > 0: the result only after n polls (Atruvia's asynchronous check)
    offer_instant: bool = True  # HKIPZ/HKIPM in the BPD
    offer_b2b: bool = True  # HKBSE/HKBME (SEPA B2B direct debits) in the BPD


@dataclass
class Booking:
    """One booked line of an account statement, signed amount (negative = debit)."""

    booking_date: date
    value_date: date
    amount: Decimal
    counterparty_name: str
    counterparty_iban: str
    counterparty_bic: str
    purpose: str
    gvc: str
    posting_text: str
    bank_reference: str
    end_to_end_id: str = "NOTPROVIDED"
    mandate_id: str = ""
    creditor_id: str = ""
    return_reason: str = ""


@dataclass
class ScheduledBooking:
    """A booking that becomes visible on its due date (direct debit collections, returns)."""

    due: date
    iban: str
    booking: Booking


@dataclass
class Account:
    """A customer account; the balance is derived from the opening balance and the bookings."""

    iban: str
    bic: str
    number: str
    owner: str
    product: str
    account_type: int
    opening_balance: Decimal
    currency: str = "EUR"
    bookings: list[Booking] = field(default_factory=list)

    def balance_before(self, index: int) -> Decimal:
        """Balance before the booking at `index` of the date-sorted list, for statement opening balances."""
        return self.opening_balance + sum((b.amount for b in self.bookings[:index]), Decimal("0"))

    def balance(self) -> Decimal:
        """Current booked balance."""
        return self.balance_before(len(self.bookings))


@dataclass(frozen=True)
class TanMedium:
    """A TAN medium as listed by HKTAB (phone, chip card, app)."""

    name: str
    media_class: str  # TANMediaClass4 code: M mobile, G generator, B bilateral (app)
    security_function: str
    phone_masked: str = ""


@dataclass
class User:
    """An online banking login with its PIN state and the devices (system IDs) it registered."""

    login: str
    customer_id: str
    pin: str
    name: str
    tan_methods: list[str]
    media: list[TanMedium]
    accounts: list[str]
    failed_pins: int = 0
    locked: bool = False
    system_ids: list[str] = field(default_factory=list)
    sca_system_ids: set[str] = field(default_factory=set)
    upd_version: int = 3


@dataclass
class Dialog:
    """An open FinTS dialog: who, which device, which message comes next and what SCA it has."""

    dialog_id: str
    login: str | None
    system_id: str
    security_function: str
    next_message: int = 2
    init_sca_pending: str | None = None
    statements_authorised: bool = False


@dataclass
class TanTask:
    """An order waiting for its TAN (process 4 answered, process 2 or S still to come)."""

    reference: str
    login: str
    kind: TanKind
    security_function: str
    order: Any  # the parsed order segment, None for dialog-init SCA
    order_number: int
    challenge: str
    expected_tan: str | None
    medium: str
    attempts_left: int
    hhduc: bytes | None = None  # binary challenge: HHD 1.4 flicker code or photoTAN image
    polls: int = 0
    decision: bool | None = None  # decoupled: True approved, False denied
    done: bool = False


@dataclass
class PhoneMessage:
    """What the demo smartphone shows for one TAN task: an SMS, a generator TAN, or an app confirmation."""

    reference: str
    kind: TanKind
    text: str
    tan: str | None
    status: str = "pending"

    def as_dict(self) -> dict[str, str | None]:
        """JSON shape for the HTTP side channel."""
        return {
            "reference": self.reference,
            "kind": self.kind,
            "text": self.text,
            "tan": self.tan,
            "status": self.status,
        }


Clock = Callable[[], date]
