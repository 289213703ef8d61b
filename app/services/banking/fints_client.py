"""Talking FinTS to a bank with python-fints: one standing dialog per operation, TANs via UserPrompts, plain errors.

Blocks; run it on the one FinTS worker thread (python-fints' PIN masking is process-global).
"""

from __future__ import annotations

import binascii
import functools
import logging
import re
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from fints.client import FinTS3PinTanClient, NeedTANResponse, NeedVOPResponse, ResponseStatus, TransactionResponse
from fints.connection import FinTSConnectionError
from fints.exceptions import (
    FinTSClientError,
    FinTSClientPINError,
    FinTSClientTemporaryAuthError,
    FinTSError,
    FinTSNoResponseError,
    FinTSSCARequiredError,
    FinTSUnsupportedOperation,
)
from fints.formals import Response, TANMedia4, TANMedia5
from fints.models import SEPAAccount
from fints.parser import FinTSParserError, FinTSParserWarning
from fints.segments.dialog import HIRMG2, HIRMS2
from fints.segments.statement import HKKAZ5, HKKAZ6, HKKAZ7
from fints.types import SegmentSequence

from app.services.banking.banks import REGISTRATION_URL
from app.services.banking.payee_verification import PayeeCheckFlow, PayeeCheckPendingError, payee_checks
from app.services.banking.prompts import (
    DecoupledPolling,
    PayeeCheck,
    TanChallenge,
    TanKind,
    TanMechanismOption,
    UserPrompts,
)
from app.services.errors import EXIT_BANK, EXIT_WRONG_PIN, KontorError
from app.services.fints_segments import HKBME1, HKBME2, HKBSE1, HKBSE2
from app.services.formatting import grouped_iban
from app.services.i18n import N_, _

if TYPE_CHECKING:
    from app.services.payments.runs import SendResult

log = logging.getLogger(__name__)

HTTP_TIMEOUT = (10, 90)  # connect, read: python-fints 5.0.1 sets none, so a stalled bank would hang forever
UNREGISTERED_CODES = frozenset({"9078", "3078", "3079"})
PIN_CODES = frozenset({"9340", "9910", "9930", "9931", "9942"})
LOCK_CODES = frozenset({"3938", "3931"})
# An order is carried out only when the bank says so (0010 received, 0020 executed) and asks for nothing more:
# a TAN (0030, 3955, 3956), a payee confirmation (3945), or a poll for a result that is not there yet (3040).
EXECUTED_CODES = frozenset({"0010", "0020"})
PENDING_CODES = frozenset({"0030", "3040", "3945", "3955", "3956"})
DEFAULT_POLLING = DecoupledPolling(first_wait=5, next_wait=5, max_polls=60)
CENT = Decimal("0.01")
SINGLE_BOOKING_PARAMETERS = {"transfer": "HICCMS", "instant": "HIIPMS", "debit": "HIDMES", "b2b": "HIBMES"}
T = TypeVar("T")
DECOUPLED_FIELDS = (
    "decoupled_max_poll_number",
    "wait_before_first_poll",
    "wait_before_next_poll",
    "manual_confirmation_allowed",
    "automated_polling_allowed",
)
# Plain words for the return codes users meet (FinTS 3.0 Formals, Rückmeldungscodes); the bank's text follows.
CODE_TEXTS = {
    "3075": N_("The bank will ask for strong customer authentication."),
    "3076": N_("The bank needs no strong customer authentication for this."),
    "3040": N_("The bank has more to say about this order than it sent (a result still being prepared)."),
    "3931": N_("The online banking access is locked for the time being."),
    "3938": N_("The online banking access is locked."),
    "3945": N_("The bank wants the payee check (verification of payee) confirmed before it carries out the order."),
    "3955": N_("Please confirm in your banking app."),
    "3956": N_("The confirmation in the banking app is still outstanding."),
    "9010": N_("The bank does not accept the request; check the bank code and the FinTS address."),
    "9075": N_("The bank requires strong customer authentication (a TAN) for this."),
    "9340": N_("The bank refused the PIN."),
    "9391": N_(
        "The bank no longer recognises this device (customer system ID); remove the bank connection and add it again."
    ),
    "9800": N_("The bank ended the dialog."),
    "9910": N_("The bank refused the PIN."),
    "9930": N_("The bank refused the PIN."),
    "9931": N_("The bank refused the PIN and locked the access after too many attempts."),
    "9941": N_("The bank did not accept the TAN."),
    "9942": N_("The bank refused the PIN."),
    "9951": N_("The order was denied in the banking app or has expired."),
}

_send_lock = threading.Lock()  # Password.protect() is global: no two messages render or pretty-print at once
_login_locks: dict[tuple[str, str], threading.Lock] = {}
_login_locks_guard = threading.Lock()


class BankError(KontorError):
    exit_code = EXIT_BANK
    """A bank problem the user can act on; the message is meant to be shown as it is."""

    def __init__(self, message: str, codes: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.codes = list(codes)


class WrongPinError(BankError):
    exit_code = EXIT_WRONG_PIN
    """The bank refused the PIN; never retried, because the bank counts wrong attempts."""


class AccessLockedError(BankError):
    """The online access is locked (3938), usually after too many wrong PINs."""


class WrongTanError(BankError):
    """The bank refused the TAN (9941); the order was not carried out."""


class BankUnavailableError(BankError):
    """The bank's server could not be reached or did not answer in time."""


class UnregisteredProductError(BankError):
    """The bank does not accept Kontor's FinTS product registration ID."""


class BankRejectedError(BankError):
    """Any other refusal; the message carries the bank's own text."""


class TanNotConfirmedError(BankRejectedError):
    """The order was denied in the banking app or not confirmed in time; the user decided, so the job stops."""


class OrderNotConfirmedError(BankError):
    """The bank answered a payment order without confirming that it carried it out; it asks for more."""


class BankAnswerUnreadableError(BankError):
    """The bank's answer could not be decoded or parsed; nothing in it was refused, it was garbled."""


class _UnreadableAnswer(FinTSClientError):
    """Raised inside python-fints' send; a FinTSClientError passes its dialog init unchanged."""


class Cancelled(KontorError):
    """The user cancelled a prompt or the job's cancel event was set."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _("Cancelled."))


class PayeeNotConfirmed(Cancelled):
    """The user did not confirm a transfer the bank's payee check questioned; nothing was authorised."""


@dataclass(frozen=True, slots=True)
class BankLogin:
    """What is needed to reach one login at one bank; the PIN is passed separately and never stored."""

    blz: str
    url: str
    login: str
    customer_id: str = ""
    tan_mechanism: str = ""
    tan_medium: str = ""
    client_state: bytes | None = None

    @property
    def label(self) -> str:
        return f"{self.login} @ {self.blz}"


@dataclass(frozen=True, slots=True)
class Balance:
    on: date
    amount: Decimal
    currency: str


class BankClient(Protocol):
    """What the connection and sync services need from a bank; `FinTSService` is the real one."""

    @property
    def tan_mechanism(self) -> str: ...

    @property
    def tan_medium(self) -> str: ...

    def bootstrap(self) -> None: ...

    def session(self) -> AbstractContextManager[Any]: ...

    def bank_name(self) -> str: ...

    def account_details(self) -> dict[str, dict[str, Any]]: ...

    def accounts(self) -> list[SEPAAccount]: ...

    def balance(self, account: SEPAAccount) -> Balance: ...

    def offers_camt(self, account: SEPAAccount) -> bool: ...

    def camt_statements(self, account: SEPAAccount, start: date, end: date | None) -> list[bytes]: ...

    def mt940_statements(self, account: SEPAAccount, start: date, end: date | None) -> bytes: ...

    def state(self) -> bytes: ...


def _raw_responses(segment: Any) -> list[list[Any]]:
    """[code, reference element, text, parameters…] per response of a generic HIRMG/HIRMS (robust mode keeps them)."""
    found = []
    for element in getattr(segment, "_additional_data", None) or []:
        parts = element if isinstance(element, list) else [element]
        if re.fullmatch(r"\d{4}", str(parts[0] or "")):
            found.append([*parts, None, None][: max(3, len(parts))])
    return found


def response_codes(segment: Any) -> list[tuple[str, str]]:
    """(code, text) of a HIRMG/HIRMS, also when python-fints' robust mode left it a generic segment."""
    if isinstance(segment, HIRMG2 | HIRMS2):
        return [(str(r.code), str(r.text or "")) for r in segment.responses]
    return [(str(parts[0]), str(parts[2] or "")) for parts in _raw_responses(segment)]


def repair_responses(sequence: SegmentSequence) -> None:
    """Rebuild HIRMG/HIRMS that robust mode left generic (e.g. a text over the 80 characters allowed).

    python-fints looks only for parsed HIRMG2/HIRMS2, so it would miss a PIN refusal, a 3040 touchdown or a
    0030 in them; texts and parameters are cut to their allowed length (the full text is recorded before).
    """
    for index, segment in enumerate(sequence.segments):
        inner = getattr(segment, "data", None)
        if isinstance(inner, SegmentSequence):
            repair_responses(inner)
        kind = segment.header.type
        if kind not in ("HIRMG", "HIRMS") or isinstance(segment, HIRMG2 | HIRMS2):
            continue
        try:
            responses = [
                Response(
                    code=str(parts[0]),
                    reference_element=str(parts[1])[:7] if parts[1] else None,
                    text=str(parts[2] or "")[:80],
                    parameters=[str(p)[:35] for p in parts[3:] if isinstance(p, str) and p] or None,
                )
                for parts in _raw_responses(segment)
            ]
            sequence.segments[index] = (HIRMG2 if kind == "HIRMG" else HIRMS2)(
                header=segment.header, responses=responses
            )
        except (ValueError, TypeError):
            log.warning("Kept an unreadable %s segment as it was", kind)


def describe_codes(codes: Sequence[tuple[str, str]], fallback: str) -> str:
    """Plain words for the known codes among `codes`, then the bank's own error texts; else the fallback."""
    errors = [(code, text) for code, text in codes if code[:1] == "9" or code in LOCK_CODES]
    plain = [_(CODE_TEXTS[code]) for code, _text in errors if code in CODE_TEXTS]
    bank = [f"{code} {text}".strip() for code, text in errors]
    parts = list(dict.fromkeys(plain)) or [fallback]
    if bank:
        parts.append(_("The bank says: {text}").format(text="; ".join(dict.fromkeys(bank))))
    return " ".join(parts)


def _raised_in_fints(error: BaseException) -> bool:
    """An AttributeError from python-fints' own code means a segment it could not parse (a generic one)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and "/fints/" in frames[-1].filename.replace("\\", "/")


def _raised_in(error: BaseException, module: str) -> bool:
    """Whether any frame of the error's traceback is in `module` (a path ending such as 'fints/parser.py')."""
    return any(f.filename.replace("\\", "/").endswith(module) for f in traceback.extract_tb(error.__traceback__))


def _login_lock(blz: str, login: str) -> threading.Lock:
    with _login_locks_guard:
        return _login_locks.setdefault((blz, login), threading.Lock())


class KontorFinTSClient(PayeeCheckFlow, FinTS3PinTanClient):
    """python-fints with every bank code recorded (dialog init included), raw MT940 access, and the payee check's
    asynchronous and collective results (`PayeeCheckFlow`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.bank_codes: list[tuple[str, str]] = []
        self.last_hitan: Any = None
        super().__init__(*args, **kwargs)

    def process_response_message(self, dialog: Any, message: Any, internal_send: bool = True) -> None:
        """Response callbacks skip internal sends (dialog init), where 9078 or 9075 show up; record all."""
        for kind in ("HIRMG", "HIRMS"):
            for segment in message.find_segments(kind):
                self.bank_codes += response_codes(segment)
        repair_responses(message)
        self.last_hitan = message.find_segment_first("HITAN")
        super().process_response_message(dialog, message, internal_send=internal_send)

    def missed_login_tan(self, mark: int) -> NeedTANResponse | None:
        """The login's TAN request when the bank put its 0030 on HKIDN, not on HKTAN (Consorsbank).

        python-fints only looks for 0030 among the answers to its HKTAN and would carry on without the TAN.
        """
        asked = any(code == "0030" for code, _text in self.bank_codes[mark:])
        hitan = self.last_hitan
        if self.init_tan_response is not None or not asked or not getattr(hitan, "task_reference", None):
            return None
        return NeedTANResponse(None, hitan, "_continue_dialog_initialization", self.is_challenge_structured(), False)

    def sepa_b2b_debit(
        self,
        account: SEPAAccount,
        pain_message: str,
        *,
        multiple: bool,
        control_sum: Decimal,
        book_as_single: bool,
        pain_descriptor: str,
    ) -> Any:
        """SEPA B2B direct debits (HKBSE/HKBME), built like python-fints' `sepa_debit` builds the CORE ones."""
        with self._get_dialog() as dialog:
            command = self._find_highest_supported_command(*((HKBME1, HKBME2) if multiple else (HKBSE1, HKBSE2)))
            segment = command(
                account=command._fields["account"].type.from_sepa_account(account),
                sepa_descriptor=pain_descriptor,
                sepa_pain_message=pain_message.encode(),
            )
            if multiple:
                segment.sum_amount.amount = control_sum
                segment.sum_amount.currency = "EUR"
                segment.request_single_booking = book_as_single or None
            return self._send_with_possible_retry(dialog, segment, self._continue_sepa_debit)

    def get_transactions_mt940_raw(self, account: SEPAAccount, start: date, end: date | None) -> Any:
        """HKKAZ with touchdowns, returning the booked MT940 bytes for Kontor's own parser (or a TAN request)."""
        with self._get_dialog() as dialog:
            hkkaz = self._find_highest_supported_command(HKKAZ5, HKKAZ6, HKKAZ7)
            return self._fetch_with_touchdowns(
                dialog,
                lambda touchdown: hkkaz(
                    account=hkkaz._fields["account"].type.from_sepa_account(account),
                    all_accounts=False,
                    date_start=start,
                    date_end=end,
                    touchdown_point=touchdown,
                ),
                lambda responses: b"".join(seg.statement_booked or b"" for seg in responses),
                "HIKAZ",
            )


def is_decoupled(parameter: Any) -> bool:
    """HITANS version 7 fills the decoupled fields (poll count, waits, manual/automatic) only for app methods."""
    return any(getattr(parameter, name, None) not in (None, "") for name in DECOUPLED_FIELDS)


def _mechanism_kind(parameter: Any) -> TanKind:
    """Guess how a method presents its challenge from its HITANS entry (the GUI picks a widget by it)."""
    if is_decoupled(parameter):
        return "decoupled"
    if (parameter.zka_id or "").upper().startswith("HHD"):
        return "flicker"
    if "photo" in (parameter.name or "").lower() or "qr" in (parameter.name or "").lower():
        return "photo"
    return "text"


class FinTSService:
    """One login at one bank for the length of one job; every public call blocks on the network."""

    def __init__(
        self,
        login: BankLogin,
        *,
        pin: str,
        product_id: str,
        prompts: UserPrompts,
        cancel: threading.Event | None = None,
        timeout: tuple[float, float] = HTTP_TIMEOUT,
    ) -> None:
        _keep_fints_logger_quiet()
        self.login = login
        self.prompts = prompts
        self.cancel = cancel or threading.Event()
        self._client = KontorFinTSClient(
            login.blz,
            login.login,
            pin,
            login.url,
            customer_id=login.customer_id or None,
            tan_medium=login.tan_medium or None,
            from_data=login.client_state,
            product_id=product_id,
        )
        if login.client_state:
            # A restored client starts in bootstrap mode, where 9075 silently yields [] instead of an error.
            self._client._bootstrap_mode = False
        if login.tan_mechanism and login.tan_mechanism in (self._client.allowed_security_functions or ()):
            self._client.set_tan_mechanism(login.tan_mechanism)
        session = self._client.connection.session
        session.request = functools.partial(session.request, timeout=timeout)
        send = self._client.connection.send

        def send_serialized(message: Any) -> Any:
            with _send_lock, _parser_warnings_to_log():
                try:
                    return send(message)
                except (binascii.Error, FinTSParserError, UnicodeDecodeError) as error:
                    raise _UnreadableAnswer(type(error).__name__) from error
                except ValueError as error:  # the parser's lexer raises a bare ValueError on garbage
                    if not _raised_in(error, "fints/parser.py"):
                        raise
                    raise _UnreadableAnswer(type(error).__name__) from error

        self._client.connection.send = send_serialized
        self._tan_steps = 0  # TAN requests answered so far, to tell a 0030 python-fints let pass
        self.payee_decisions: list[tuple[PayeeCheck, bool]] = []  # each payee check the user answered, for the audit
        self.payee_results: list[PayeeCheck] = []  # the bank's check of each transfer of the last order
        self.order_summary = ""  # what the next TAN authorises, in Kontor's words (set by whoever sends an order)
        self._client.wait_for_payee_check = self._wait_for_payee_check

    # --- setup ---------------------------------------------------------------------------------------------
    @property
    def system_id(self) -> str:
        return str(self._client.system_id)

    @property
    def tan_mechanism(self) -> str:
        return str(self._client.get_current_tan_mechanism() or "")

    @property
    def tan_medium(self) -> str:
        return str(self._client.selected_tan_medium or "")

    def bootstrap(self) -> None:
        """First contact: system ID, TAN method (asked when several) and TAN medium (asked when several)."""
        with _login_lock(self.login.blz, self.login.login), self._translated():
            self._check_cancel()
            mark = len(self._client.bank_codes)
            self._client.fetch_tan_mechanisms()
            self._raise_for_codes(mark)  # a lock (3931) or refusal python-fints does not know as one
            mechanisms = self._client.get_tan_mechanisms()
            options = [TanMechanismOption(code, p.name, _mechanism_kind(p)) for code, p in mechanisms.items()]
            if len(options) > 1:
                chosen = self.prompts.choose_tan_mechanism(options)
                if chosen is None:
                    raise Cancelled
                self._client.set_tan_mechanism(chosen)
            elif options:
                self._client.set_tan_mechanism(options[0].code)
            if options:
                self._choose_medium()
            self._client._bootstrap_mode = False

    def _choose_medium(self) -> None:
        """Media matching the chosen method; get_tan_media also ends python-fints' bootstrap mode."""
        self._check_cancel()
        required = self._client.is_tan_media_required()
        try:
            listed = self._client.get_tan_media()
        except (FinTSUnsupportedOperation, FinTSSCARequiredError):
            if required:
                raise
            return
        except AttributeError as error:  # a HITAB python-fints could not parse: no media to offer
            if required or not _raised_in_fints(error):
                raise
            log.warning("The bank's TAN media list could not be read")
            return
        # None when the answer has no HITAB at all (Postbank answers "3010 no entries"): no media to choose from
        media = listed[1] if listed else []
        names = [
            m.tan_medium_name
            for m in media
            if isinstance(m, TANMedia4 | TANMedia5)
            and m.tan_medium_name
            and str(getattr(m, "security_function", None) or "") in ("", self.tan_mechanism)
        ]
        if len(names) > 1:
            chosen = self.prompts.choose_tan_medium(names)
            if chosen is None:
                raise Cancelled
            self._client.selected_tan_medium = chosen
        elif names:
            self._client.selected_tan_medium = names[0]

    # --- one operation -------------------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[FinTSService]:
        """One standing dialog, login SCA included; only one per login at a time in this process."""
        with _login_lock(self.login.blz, self.login.login), self._translated():
            self._check_cancel()
            mark = len(self._client.bank_codes)
            with self._client:
                self._raise_for_codes(mark)  # a HIRMS python-fints could not parse may carry the refusal
                self._client.init_tan_response = self._client.missed_login_tan(mark) or self._client.init_tan_response
                if isinstance(self._client.init_tan_response, NeedTANResponse):
                    self._complete(self._client.init_tan_response, len(self._client.bank_codes))
                    self._client.init_tan_response = None
                yield self

    def bank_name(self) -> str:
        return str(self._information().get("bank", {}).get("name") or "")

    def account_details(self) -> dict[str, dict[str, Any]]:
        """UPD per IBAN (owner, product name, currency), for naming new ledger accounts."""
        return {a["iban"]: a for a in self._information().get("accounts", []) if a.get("iban")}

    def _information(self) -> dict[str, Any]:
        """BPD/UPD as python-fints summarises them; nothing when a segment it reads could not be parsed."""
        try:
            return dict(self._client.get_information())
        except AttributeError as error:
            if not _raised_in_fints(error):
                raise
            log.warning("The bank's parameter data could not be read in full")
            return {}

    def accounts(self) -> list[SEPAAccount]:
        """The login's SEPA accounts; none when the bank answers "3010 no entries" instead of an HISPA (Postbank)."""
        mark = len(self._client.bank_codes)
        try:
            return list(self._call(self._client.get_sepa_accounts))
        except BankRejectedError as error:
            codes = {code for code, _text in self._client.bank_codes[mark:]}
            if isinstance(error.__cause__, FinTSNoResponseError) and "3010" in codes:
                return []
            raise

    def balance(self, account: SEPAAccount) -> Balance:
        result = self._call(self._client.get_balance, account)
        if result is None:
            raise BankRejectedError(_("The bank sent no balance for {iban}.").format(iban=grouped_iban(account.iban)))
        try:
            return Balance(result.date, Decimal(result.amount.amount), str(result.amount.currency))
        except (AttributeError, TypeError, ArithmeticError) as error:
            raise self._unreadable() from error

    def offers_camt(self, account: SEPAAccount) -> bool:
        """CAMT when the BPD offer HKCAZ and the account's UPD allow it; else MT940 (which ended Nov 2025).

        A bank without HKKAZ gets CAMT anyway: there is nothing else to ask for.
        """
        if self._client.bpd.find_segment_first("HICAZS") is None:
            return False
        if self._client.bpd.find_segment_first("HIKAZS") is None:
            return True
        allowed = self._allowed_transactions(account)
        return allowed is None or "HKCAZ" in allowed

    def _allowed_transactions(self, account: SEPAAccount) -> set[str] | None:
        """The account's allowed business transactions from its HIUPD; None when the UPD do not say."""
        for upd in self._client.upd.find_segments("HIUPD"):
            iban = str(getattr(upd, "iban", "") or "").replace(" ", "").upper()
            number = str(getattr(getattr(upd, "account_information", None), "account_number", "") or "")
            if iban != account.iban.upper() and not (number and number == account.accountnumber):
                continue
            listed = getattr(upd, "allowed_transactions", None) or []
            names = {str(getattr(t, "transaction", "") or "") for t in listed} - {""}
            return names or None
        return None

    def camt_statements(self, account: SEPAAccount, start: date, end: date | None) -> list[bytes]:
        """camt.052 documents, booked first, then the bank's pending (intraday) ones."""
        steps, mark = self._tan_steps, len(self._client.bank_codes)
        booked, pending = self._call(self._client.get_transactions_xml, account, start, end)
        documents = [*booked, *(doc for doc in pending if doc)]
        if not documents:
            self._check_tan_dropped(account, steps, mark)
        return documents

    def mt940_statements(self, account: SEPAAccount, start: date, end: date | None) -> bytes:
        steps, mark = self._tan_steps, len(self._client.bank_codes)
        text = bytes(self._call(self._client.get_transactions_mt940_raw, account, start, end))
        if not text.strip():
            self._check_tan_dropped(account, steps, mark)
        return text

    def _check_tan_dropped(self, account: SEPAAccount, steps: int, mark: int) -> None:
        """A 0030 on an order python-fints thought needs no TAN (HIPINS says so, DKB asks anyway) yields nothing."""
        asked = any(code == "0030" for code, _text in self._client.bank_codes[mark:])
        if asked and steps == self._tan_steps:
            raise BankRejectedError(
                _(
                    "The bank asked for a TAN for the statements of {iban} although its parameters say none is "
                    "needed; Kontor cannot answer that request yet, so nothing was fetched."
                ).format(iban=grouped_iban(account.iban)),
                self._client.bank_codes[mark:],
            )

    def state(self) -> bytes:
        """System ID, BPD, UPD and chosen method for the ledger (never the PIN, never a dialog pickle)."""
        return bytes(self._client.deconstruct(including_private=True))

    # --- payment orders ------------------------------------------------------------------------------------
    def send_sepa_transfer(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        instant: bool,
        pain_descriptor: str,
    ) -> SendResult:
        """HKCCS/HKCCM (HKIPZ/HKIPM if instant) with its TAN; batches booked line by line where the bank allows."""
        if instant:
            self._require("HIIPMS" if multiple else "HIIPZS", _("SEPA Instant transfers"), "pain.001")
        return self._order(
            self._client.sepa_transfer,
            account_iban,
            pain_xml,
            multiple=multiple,
            control_sum=control_sum.quantize(CENT),  # an integral Decimal renders 100x too small
            book_as_single=multiple and self._single_booking_allowed("instant" if instant else "transfer"),
            pain_descriptor=pain_descriptor,
            instant_payment=instant,
        )

    def send_sepa_debit(
        self,
        account_iban: str,
        pain_xml: bytes,
        *,
        multiple: bool,
        control_sum: Decimal,
        scheme: str,
        pain_descriptor: str,
    ) -> SendResult:
        """HKDSE/HKDME (CORE) or HKBSE/HKBME (B2B, Kontor's own segments) with its TAN."""
        b2b = scheme == "B2B"
        if b2b:
            self._require("HIBMES" if multiple else "HIBSES", _("SEPA B2B direct debits"), "pain.008")
        return self._order(
            self._client.sepa_b2b_debit if b2b else self._client.sepa_debit,
            account_iban,
            pain_xml,
            multiple=multiple,
            control_sum=control_sum.quantize(CENT),
            book_as_single=multiple and self._single_booking_allowed("b2b" if b2b else "debit"),
            pain_descriptor=pain_descriptor,
        )

    def _require(self, parameters: str, what: str, file_format: str) -> None:
        """Refuse before anything is sent when the bank's parameters do not offer the order type."""
        if self._client.bpd.find_segment_first(parameters) is None:
            raise BankRejectedError(
                _(
                    "The bank does not offer {what} over FinTS. Export the run as a {format} file "
                    "(kontor run export) and upload it in the bank's online banking."
                ).format(what=what, format=file_format)
            )

    def _single_booking_allowed(self, kind: str) -> bool:
        """One statement line per order lets Kontor match each booking to its order by end-to-end ID."""
        segment = self._client.bpd.find_segment_first(SINGLE_BOOKING_PARAMETERS[kind])
        parameter = getattr(segment, "parameter", None)  # a layout the parser did not know is a generic segment
        return bool(getattr(parameter, "single_booking_allowed", False))

    def _sepa_account(self, iban: str) -> SEPAAccount:
        """The login's SEPA account for an own IBAN, as the order segment needs it."""
        wanted = iban.replace(" ", "").upper()
        for account in self.accounts():
            if account.iban == wanted:
                return account
        raise BankRejectedError(
            _("The online banking access {login} has no account {iban}.").format(
                login=self.login.label, iban=grouped_iban(iban)
            )
        )

    def _order(self, method: Callable[..., Any], account_iban: str, pain_xml: bytes, **kwargs: Any) -> SendResult:
        """One payment order: a wrong, denied or cancelled TAN raises (nothing was done); a refusal is an outcome."""
        from app.services.payments.runs import SendResult  # here: the payments package is heavy for `kontor sync`

        account = self._sepa_account(account_iban)
        self._check_cancel()
        mark = len(self._client.bank_codes)
        with self._translated():
            first = method(account, pain_xml.decode("utf-8"), **kwargs)
            hivpp = getattr(first, "vop_result", None)  # a full match comes along with the TAN request
            self.payee_results = payee_checks(hivpp) if hivpp is not None else []
            response = self._complete(first, mark)
            while isinstance(response, NeedVOPResponse):
                self._confirm_payee(response)
                response = self._complete(self._client.approve_vop_response(response), mark)
        if not isinstance(response, TransactionResponse):
            raise BankAnswerUnreadableError(
                _("The bank's answer to the order is not one Kontor knows; nothing is recorded as sent."),
                self._client.bank_codes[mark:],
            )
        found = {code for code, _text in self._client.bank_codes[mark:]}
        if "9075" in found or found & UNREGISTERED_CODES:
            self._raise_for_codes(mark)
        if response.status == ResponseStatus.ERROR or any(code[:1] == "9" for code in found):
            return SendResult(False, message=self._bank_text(_("The bank refused the order."), mark))
        self._check_executed(response)
        task = str(getattr(getattr(first, "tan_request", None), "task_reference", "") or "")
        texts = "; ".join(dict.fromkeys(f"{r.code} {r.text or ''}".strip() for r in response.responses))
        return SendResult(True, str(response.data.get("task_id") or task), texts)

    def _confirm_payee(self, response: NeedVOPResponse) -> None:
        """Ask the user about each transfer the bank's payee check questioned (or, when it questioned none but
        still wants a confirmation, about the match); one refusal stops before anything is authorised."""
        checks = payee_checks(response.vop_result) or [PayeeCheck(result="")]
        self.payee_results = checks
        questioned = [check for check in checks if check.result != "RCVC"] or checks[:1]
        for check in questioned:
            self._check_cancel()
            confirmed = bool(self.prompts.confirm_payee(check))
            self.payee_decisions.append((check, confirmed))
            if not confirmed:
                raise PayeeNotConfirmed(
                    _("Not sent: {summary} The run stays approved.").format(summary=check.summary())
                )

    def _wait_for_payee_check(self, seconds: float) -> None:
        """The bank's wait before asking again for its payee check; a cancel ends it (nothing was sent)."""
        if self.cancel.wait(min(seconds, 10.0)):
            raise Cancelled

    def _check_executed(self, response: TransactionResponse) -> None:
        """Raise unless the order's last answer confirms execution and asks for nothing more.

        python-fints hands back any answer without an error code as a TransactionResponse, also one that waits for
        a payee check (Atruvia: 3040 with a polling ID, 3945): such an order was not carried out.
        """
        codes = [(r.code, r.text or "") for r in response.responses]
        found = {code for code, _text in codes}
        if found & EXECUTED_CODES and not found & PENDING_CODES:
            return
        plain = [_(CODE_TEXTS[code]) for code, _text in codes if code in PENDING_CODES and code in CODE_TEXTS]
        said = [f"{code} {text}".strip() for code, text in codes if code[:1] != "0" or code in PENDING_CODES]
        parts = [
            _(
                "The bank did not confirm that it carried out the order, so Kontor does not record it as sent; "
                "the run stays approved. Look in your online banking before you send it again."
            ),
            *dict.fromkeys(plain),
        ]
        if said:
            parts.append(_("The bank says: {text}").format(text="; ".join(dict.fromkeys(said))))
        raise OrderNotConfirmedError(" ".join(parts), codes)

    # --- TANs ----------------------------------------------------------------------------------------------
    def _call(self, method: Callable[..., T], *args: Any) -> T:
        """One protocol step: any TAN it needs is asked for, and a silent error code becomes a BankError."""
        self._check_cancel()
        mark = len(self._client.bank_codes)
        with self._translated():
            result = method(*args)
            result = self._complete(result, mark)
        self._raise_for_codes(mark)
        return result

    def _complete(self, response: Any, mark: int) -> Any:
        """Answer TAN requests until the bank returns a result; a wrong TAN is reported, never retried."""
        while isinstance(response, NeedTANResponse):
            self._check_cancel()
            if not response.decoupled and (
                self._mechanism_decoupled() or "3955" in {code for code, _text in self._client.bank_codes[mark:]}
            ):
                response.decoupled = True  # python-fints only looks for 3955 and misses it after 0030 (#179)
            challenge = self._challenge(response)
            self._tan_steps += 1
            if response.decoupled:
                response = self._poll_decoupled(response, challenge)
                continue
            tan = self.prompts.ask_tan(challenge)
            if not tan:
                raise Cancelled
            sent_at = len(self._client.bank_codes)
            response = self._client.send_tan(response, tan)
            self._raise_for_codes(sent_at)
        return response

    def _poll_decoupled(self, response: NeedTANResponse, challenge: TanChallenge) -> Any:
        """Ask the bank for the app decision at the pace HITANS prescribes, until approved, denied or cancelled."""
        polling = challenge.polling or DEFAULT_POLLING
        wait = polling.first_wait
        for polls in range(polling.max_polls):
            if not self.prompts.await_decoupled(challenge, polls):
                raise Cancelled
            # Without automatic polling the prompt returned once the user said they confirmed: ask right away.
            if self.cancel.wait(wait if polling.automatic else 0):
                raise Cancelled
            wait = polling.next_wait
            sent_at = len(self._client.bank_codes)
            try:
                response = self._client.send_tan(response, "")
            except BaseException:
                self.prompts.decoupled_finished(challenge, False)
                raise
            if not isinstance(response, NeedTANResponse):
                codes = self._client.bank_codes[sent_at:]
                approved = not any(code.startswith("9") for code, _text in codes)
                self.prompts.decoupled_finished(challenge, approved)
                if not approved and not {code for code, _text in codes} & (PIN_CODES | UNREGISTERED_CODES):
                    raise TanNotConfirmedError(
                        describe_codes(codes, _("The order was denied in the banking app.")), codes
                    )
                self._raise_for_codes(sent_at)
                return response
        self.prompts.decoupled_finished(challenge, False)
        raise TanNotConfirmedError(_("The order was not confirmed in the banking app in time."))

    def _challenge(self, response: NeedTANResponse) -> TanChallenge:
        """The python-fints challenge as Kontor's TanChallenge."""
        mechanism = self.tan_mechanism
        parameter = self._client.get_tan_mechanisms().get(mechanism)
        kind: TanKind = "text"
        polling = None
        if response.decoupled:
            kind = "decoupled"
            polling = DecoupledPolling(
                float(getattr(parameter, "wait_before_first_poll", None) or DEFAULT_POLLING.first_wait),
                float(getattr(parameter, "wait_before_next_poll", None) or DEFAULT_POLLING.next_wait),
                int(getattr(parameter, "decoupled_max_poll_number", None) or DEFAULT_POLLING.max_polls),
                automatic=getattr(parameter, "automated_polling_allowed", None) is not False,
            )
        elif response.challenge_matrix:
            kind = "photo"
        elif response.challenge_hhduc:
            kind = "flicker"
        return TanChallenge(
            kind=kind,
            text=response.challenge or (_(CODE_TEXTS["3955"]) if kind == "decoupled" else ""),
            html=response.challenge_html or "",
            image=response.challenge_matrix if kind == "photo" else None,
            flicker_code=response.challenge_hhduc if kind == "flicker" else None,
            reference=str(getattr(response.tan_request, "task_reference", "") or ""),
            mechanism=mechanism,
            medium=self.tan_medium,
            polling=polling,
            signs=self.order_summary,
        )

    # --- errors --------------------------------------------------------------------------------------------
    def _mechanism_decoupled(self) -> bool:
        """The chosen method is an app approval by its HITANS 7 fields, whatever code the bank answered with."""
        return is_decoupled(self._client.get_tan_mechanisms().get(self.tan_mechanism))

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled

    def _bank_text(self, fallback: str, mark: int = 0) -> str:
        """Plain words for the bank's error codes since `mark` and the bank's own texts, else the fallback."""
        return describe_codes(self._client.bank_codes[mark:], fallback)

    def _bank_says(self, mark: int) -> str:
        """The bank's own error texts since `mark`, to follow Kontor's plain sentence."""
        texts = [f"{c} {t}".strip() for c, t in self._client.bank_codes[mark:] if c[:1] == "9" or c in LOCK_CODES]
        return _("The bank says: {text}").format(text="; ".join(dict.fromkeys(texts))) if texts else ""

    def _raise_for_codes(self, mark: int) -> None:
        """python-fints returns [] on a wrong TAN or a refused order (and skips HIRMS it could not parse)."""
        error = self._error_for_codes(mark)
        if error is not None:
            raise error

    def _error_for_codes(self, mark: int) -> BankError | None:
        """The BankError the codes since `mark` stand for, most specific first; None without an error code."""
        codes = self._client.bank_codes[mark:]
        found = {code for code, _text in codes}
        if "9941" in found:
            return WrongTanError(_("The bank did not accept the TAN; nothing was carried out."), codes)
        if found & UNREGISTERED_CODES:
            return self._unregistered()
        if "9075" in found:  # Atruvia sends 9340 "order refused" next to it: not a PIN problem
            return BankRejectedError(self._sca_message(mark), codes)
        if found & LOCK_CODES:
            return self._locked(mark)
        if found & PIN_CODES:
            if self._client.pin:
                self._client.pin.block()
            return WrongPinError(
                _(
                    "The bank did not accept the PIN for {login}. Kontor does not try again: the bank counts "
                    "wrong attempts and locks the access after a few."
                ).format(login=self.login.label),
                codes,
            )
        if any(code[:1] == "9" for code in found):
            return BankRejectedError(self._bank_text(_("The bank refused the order."), mark), codes)
        return None

    def _locked(self, mark: int) -> AccessLockedError:
        codes = self._client.bank_codes[mark:]
        if "3931" in {code for code, _text in codes} and "3938" not in {code for code, _text in codes}:
            text = _(
                "The online banking access {login} is locked for the time being; try again later or ask your bank."
            )
        else:
            text = _("The online banking access {login} is locked; ask your bank to unlock it.")
        return AccessLockedError(" ".join([text.format(login=self.login.label), self._bank_says(mark)]).strip(), codes)

    def _unregistered(self) -> UnregisteredProductError:
        return UnregisteredProductError(
            _(
                "The bank does not accept Kontor's FinTS product ID. Register Kontor with the Deutsche "
                "Kreditwirtschaft ({url}) and enter the ID in Settings."
            ).format(url=REGISTRATION_URL),
            self._client.bank_codes,
        )

    def _unreadable(self) -> BankAnswerUnreadableError:
        return BankAnswerUnreadableError(
            _(
                "The answer of the bank's server {url} could not be read; the bank did not refuse anything. "
                "Try again later; if it keeps happening, tell your bank."
            ).format(url=self.login.url),
            self._client.bank_codes,
        )

    def _sca_message(self, mark: int = 0) -> str:
        return self._bank_text(_("The bank requires strong customer authentication for this."), mark)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """python-fints' exceptions (and its bare Exception) as BankError subclasses with plain messages."""
        mark = len(self._client.bank_codes)
        try:
            yield
        except (BankError, Cancelled):
            raise
        except _UnreadableAnswer as error:
            raise self._unreadable() from error
        except PayeeCheckPendingError as error:
            codes = self._client.bank_codes[mark:]
            parts = [str(error), _("Nothing was sent; the run stays approved.")]
            said = dict.fromkeys(f"{code} {text}".strip() for code, text in codes if code[:1] != "0")
            if said:
                parts.append(_("The bank says: {text}").format(text="; ".join(said)))
            raise OrderNotConfirmedError(" ".join(parts), codes) from error
        except FinTSClientPINError as error:
            coded = self._error_for_codes(mark)
            if isinstance(coded, WrongPinError | AccessLockedError | UnregisteredProductError):
                raise coded from error
            if coded is not None and "9075" in {code for code, _text in coded.codes}:
                raise coded from error
            # python-fints calls any 9xxx while the dialog opens a PIN problem; never retry the PIN then
            raise WrongPinError(
                " ".join(
                    [
                        _(
                            "The bank refused the login {login}; Kontor does not try the PIN again: the bank counts "
                            "wrong attempts and locks the access after a few."
                        ).format(login=self.login.label),
                        self._bank_says(mark),
                    ]
                ).strip(),
                self._client.bank_codes[mark:],
            ) from error
        except FinTSClientTemporaryAuthError as error:
            raise self._locked(mark) from error
        except FinTSConnectionError as error:
            raise BankUnavailableError(
                _("The bank's server {url} cannot be reached or did not answer in time.").format(url=self.login.url),
                self._client.bank_codes,
            ) from error
        except (binascii.Error, FinTSParserError) as error:
            raise self._unreadable() from error
        except ValueError as error:
            if "system_id" not in str(error):
                raise
            # no system ID: an unregistered product, unless the codes say why the bank refused (a lock, the PIN)
            raise self._error_for_codes(mark) or self._unregistered() from error
        except FinTSSCARequiredError as error:
            raise BankRejectedError(self._sca_message(mark), self._client.bank_codes) from error
        except FinTSUnsupportedOperation as error:
            raise BankRejectedError(
                _("The bank does not offer this over FinTS ({detail}).").format(detail=error), self._client.bank_codes
            ) from error
        except (FinTSError, UnicodeDecodeError) as error:
            raise self._error_for_codes(mark) or BankRejectedError(
                self._bank_text(_("The bank refused the order."), mark), self._client.bank_codes
            ) from error
        except AttributeError as error:
            if not _raised_in_fints(error):
                raise
            raise self._unreadable() from error
        except Exception as error:
            if not str(error).startswith("Error response"):
                raise
            raise self._error_for_codes(mark) or BankRejectedError(
                self._bank_text(_("The bank refused the order."), mark), self._client.bank_codes
            ) from error


@contextmanager
def _parser_warnings_to_log() -> Iterator[None]:
    """Robust mode warns on stderr about each segment it could not parse; say it once in the log, no bank data."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FinTSParserWarning)
        yield
    parser = [w for w in caught if issubclass(w.category, FinTSParserWarning)]
    if parser:
        log.warning("python-fints could not parse %d segment(s) of the bank's answer; read as unknown", len(parser))
    for other in caught:
        if not issubclass(other.category, FinTSParserWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)


def _keep_fints_logger_quiet() -> None:
    """At DEBUG python-fints logs whole messages, TANs included; the PIN is masked, the TAN is not."""
    fints_logger = logging.getLogger("fints")
    if fints_logger.getEffectiveLevel() < logging.INFO:
        fints_logger.setLevel(logging.INFO)
