"""The Kontor Demobank: bank state behind a lock, served as FinTS 3.0 PIN/TAN over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from fints.segments.auth import HIVPP1
from schwifty import IBAN

from app.demobank import protocol
from app.demobank.challenges import METHODS
from app.demobank.history import HistoryBuilder, InvoicePayment, default_invoices
from app.demobank.pain_reader import PainTransaction
from app.demobank.payee_check import SAMPLE_REGISTER, PayeeCheckRecord
from app.demobank.state import (
    Account,
    Booking,
    Clock,
    Dialog,
    PhoneMessage,
    Policy,
    ScheduledBooking,
    TanTask,
    User,
    money,
)

# Bundesbank Berlin's BLZ: schwifty knows it (valid IBANs, BIC MARKDEF1100), and no Kontor customer keeps a
# business account there, so the demo can never be mistaken for a customer's real bank. The BPD call it
# "Kontor Demobank".
DEMO_BLZ = "10000000"
DEMO_LOGIN = "demo"
DEMO_PIN = "12345"
DEMO_CUSTOMER = "Kontor Demo GmbH"


class DemoBank:
    """All state of the demo bank; every public method and every FinTS message runs under one lock."""

    def __init__(
        self,
        *,
        seed: int = 1,
        today: Clock = date.today,
        policy: Policy | None = None,
        invoices: Sequence[InvoicePayment] | None = None,
        issued: Mapping[str, date] | None = None,
        owner: str = DEMO_CUSTOMER,
    ) -> None:
        self.blz = DEMO_BLZ
        self.policy = policy or Policy()
        self.today = today
        self.rng = random.Random(seed ^ 0x5EED)
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.users: dict[str, User] = {}
        self.dialogs: dict[str, Dialog] = {}
        self.tasks: dict[str, TanTask] = {}
        self.inbox: dict[str, PhoneMessage] = {}
        self.scheduled: list[ScheduledBooking] = []
        self.collections: dict[str, tuple[str, PainTransaction]] = {}
        self.payee_checks: dict[str, PayeeCheckRecord] = {}  # VOP-ID -> the check and whether it was confirmed
        self.pending_payee_checks: dict[str, tuple[HIVPP1, int]] = {}  # polling ID -> the result, polls to go
        self._counter = 0
        business = self._open_account("4711000000", owner, "Geschäftskonto", 1, Decimal("48000.00"))
        savings = self._open_account("4711000100", owner, "Tagesgeld", 10, Decimal("30000.00"))
        history = HistoryBuilder(seed, today(), self.next_reference)
        history.business(business, default_invoices(today(), seed) if invoices is None else invoices, issued)
        history.savings(savings, business)
        self.users[DEMO_LOGIN] = User(
            DEMO_LOGIN,
            DEMO_LOGIN,
            DEMO_PIN,
            owner,
            list(METHODS),
            [m.medium for m in METHODS.values()],
            [business.iban, savings.iban],
        )

    def _open_account(self, number: str, owner: str, product: str, kind: int, opening: Decimal) -> Account:
        """Create an account with a valid IBAN of the demo BLZ."""
        iban = IBAN.generate("DE", bank_code=self.blz, account_code=number)
        account = Account(str(iban), str(iban.bic), number, owner, product, kind, opening)
        self.accounts[account.iban] = account
        return account

    # --- helpers used by protocol/orders (caller holds the lock) ---

    def next_reference(self) -> str:
        """A unique bank reference for bookings, TAN tasks and debit orders."""
        self._counter += 1
        return f"{self.rng.randrange(10**4):04d}{self._counter:06d}"

    def new_dialog(self, login: str | None, system_id: str, security_function: str) -> Dialog:
        """Open a dialog with a fresh ID."""
        dialog = Dialog(f"KDBDLG{self.next_reference()}", login, system_id, security_function)
        self.dialogs[dialog.dialog_id] = dialog
        return dialog

    def new_system_id(self, user: User) -> str:
        """Register a new customer system (device) for a user (HKSYN)."""
        system_id = f"KDBSYS{self.next_reference()}"
        user.system_ids.append(system_id)
        return system_id

    def book(self, iban: str, booking: Booking) -> None:
        """Add a booking, keeping the list sorted; future-dated ones wait in the schedule for their day."""
        if booking.booking_date > self.today():
            self.scheduled.append(ScheduledBooking(booking.booking_date, iban, booking))
            return
        bookings = self.accounts[iban].bookings
        bookings.append(booking)
        bookings.sort(key=lambda b: b.booking_date)

    def post_due(self) -> None:
        """Post scheduled bookings whose due date has come (the injected clock decides)."""
        today = self.today()
        due = [s for s in self.scheduled if s.due <= today]
        self.scheduled = [s for s in self.scheduled if s.due > today]
        for item in due:
            self.book(item.iban, item.booking)

    def handle(self, raw: bytes) -> bytes:
        """Answer one decoded FinTS message."""
        with self.lock:
            return protocol.handle(self, raw)

    # --- side channel for the demo phone, tests and the CLI ---

    def pending_tans(self) -> list[PhoneMessage]:
        """What the demo phone shows: SMS/generator/photo TANs and app confirmations still open."""
        with self.lock:
            return [m for m in self.inbox.values() if m.status == "pending"]

    def _decide(self, reference: str, approved: bool) -> None:
        """Record the app decision for a decoupled task; the client's next status poll sees it."""
        with self.lock:
            task = self.tasks.get(reference)
            if task is None or task.kind != "decoupled" or task.done:
                raise KeyError(reference)
            task.decision = approved
            self.inbox[reference].status = "approved" if approved else "denied"

    def approve(self, reference: str) -> None:
        """Confirm a decoupled TAN task as the demo app would."""
        self._decide(reference, True)

    def deny(self, reference: str) -> None:
        """Reject a decoupled TAN task as the demo app would."""
        self._decide(reference, False)

    def balance(self, iban: str) -> Decimal:
        """Booked balance of an account, for tests and the demo UI."""
        with self.lock:
            self.post_due()
            return self.accounts[iban].balance()

    def bookings(self, iban: str, start: date | None = None, end: date | None = None) -> list[Booking]:
        """Bookings of an account in [start, end], for tests and the demo UI."""
        with self.lock:
            self.post_due()
            return [
                b
                for b in self.accounts[iban].bookings
                if (start is None or b.booking_date >= start) and (end is None or b.booking_date <= end)
            ]

    def return_debit(self, end_to_end_id: str, reason: str = "MD06", after_days: int = 2) -> Booking:
        """Return a collected direct debit (R-transaction, GVC 109) `after_days` after collection or today."""
        with self.lock:
            iban, tx = self.collections.pop(end_to_end_id)
            due = max(tx.due or self.today(), self.today()) + timedelta(days=after_days)
            booking = Booking(
                due,
                due,
                -money(tx.amount),
                tx.name,
                tx.iban,
                tx.bic,
                f"Rücklastschrift {tx.purpose} Grund {reason}",
                "109",
                "RUECKLASTSCHRIFT",
                self.next_reference(),
                tx.end_to_end_id,
                tx.mandate_id,
                tx.creditor_id,
                reason,
            )
            self.scheduled.append(ScheduledBooking(due, iban, booking))
            return booking


class _Handler(BaseHTTPRequestHandler):
    """FinTS POST endpoint plus the demo-phone side channel."""

    server: _Server

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        """Write a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """GET /demo/inbox: pending TAN messages as JSON."""
        if self.path.rstrip("/") != "/demo/inbox":
            self._send(404, b"not found")
            return
        inbox = [m.as_dict() for m in self.server.bank.pending_tans()]
        self._send(200, json.dumps(inbox, ensure_ascii=False).encode(), "application/json")

    def do_POST(self) -> None:
        """POST /demo/approve|deny/<ref> for the phone; any other path is the FinTS endpoint."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "demo" and parts[1] in ("approve", "deny"):
            try:
                (self.server.bank.approve if parts[1] == "approve" else self.server.bank.deny)(parts[2])
            except KeyError:
                self._send(404, b"unknown reference")
                return
            self._send(204, b"")
            return
        try:
            raw = base64.b64decode(body, validate=False)
        except binascii.Error:
            self._send(400, b"body is not base64")
            return
        self._send(200, base64.b64encode(self.server.bank.handle(raw)))

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: requests carry IBANs and TANs that must not reach a log."""


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its bank."""

    daemon_threads = True

    def __init__(self, port: int, bank: DemoBank) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.bank = bank


class DemoBankServer:
    """Serve a DemoBank on 127.0.0.1 in a background thread; port 0 picks a free port."""

    def __init__(self, bank: DemoBank | None = None, port: int = 0) -> None:
        self.bank = bank or DemoBank()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The PIN/TAN URL to give the FinTS client."""
        if self._server is None:
            raise RuntimeError("demo bank not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/fints"

    def start(self) -> DemoBankServer:
        """Bind and serve in a daemon thread."""
        self._server = _Server(self._port, self.bank)
        self._thread = threading.Thread(target=self._server.serve_forever, name="kontor-demo-bank", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoBankServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def run_demo_bank(port: int = 0, seed: int = 1) -> DemoBankServer:
    """Start the demo bank for `kontor demo-bank`, with the payee check over SAMPLE_REGISTER; the caller stops it."""
    policy = Policy(vop=True, vop_register=SAMPLE_REGISTER)
    return DemoBankServer(DemoBank(seed=seed, policy=policy), port).start()
