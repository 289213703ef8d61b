"""One FinTS round trip: authenticate, open or continue the dialog, run the orders, handle the TAN steps."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from fints.segments.auth import HITAN7
from fints.segments.base import FinTS3Segment
from fints.segments.dialog import HISYN4

from app.demobank import orders, payee_check
from app.demobank.challenges import METHODS, make_challenge
from app.demobank.messages import Reply, Request, parse_request
from app.demobank.parameters import BPD_VERSION, TAN_ORDERS, bpd, generic, upd
from app.demobank.state import Dialog, PhoneMessage, TanTask, User

if TYPE_CHECKING:
    from app.demobank.server import DemoBank

ANONYMOUS = "9999999999"


def handle(bank: DemoBank, raw: bytes) -> bytes:
    """Answer one decoded customer message (the caller holds the bank lock)."""
    try:
        request = parse_request(raw)
    except Exception:  # any garbage gets the bank's syntax error, never a crash
        reply = Reply()
        reply.message("9110", "Nachricht konnte nicht verarbeitet werden (Syntaxfehler).")
        return reply.render("0", 1, bank.blz, "", "0")
    bank.post_due()
    if request.header.dialog_id == "0":
        reply, dialog = _open(bank, request)
    else:
        reply, dialog = _continue(bank, request)
    if any(s.header.type in bank.policy.garbage_for for s in request.orders):
        return b"<html><body>502 Bad Gateway</body></html>"  # the dialog went on; its answer got lost
    reply.long_texts = bank.policy.long_response_texts
    system_id = dialog.system_id if dialog else "0"
    return reply.render(
        dialog.dialog_id if dialog else "0",
        request.header.message_number,
        bank.blz,
        request.login or ANONYMOUS,
        system_id,
    )


def _authenticate(bank: DemoBank, request: Request, reply: Reply, reference: int) -> User | None:
    """Check login and PIN; count failures and lock after policy.max_pin_attempts, as banks do."""
    user = bank.users.get(request.login or "")
    if user is not None and bank.policy.temporary_lock:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(reference, "3931", "Vorläufige Sperre liegt vor. Entsperren mit GV 'PIN-Sperre aufheben' möglich.")
        return None
    if user is not None and user.locked:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(reference, "3938", "Zugang gesperrt - bitte wenden Sie sich an Ihre Bank.")
        return None
    if user is None or request.pin != user.pin:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(reference, "9910", "Anmeldename oder PIN falsch.")
        if user is not None:
            user.failed_pins += 1
            if user.failed_pins >= bank.policy.max_pin_attempts:
                user.locked = True
                reply.answer(reference, "9931", "Zugang nach zu vielen Fehlversuchen gesperrt.")
        return None
    user.failed_pins = 0
    return user


def _open(bank: DemoBank, request: Request) -> tuple[Reply, Dialog | None]:
    """Dialog initialisation: HKIDN + HKVVB, optionally HKSYN (new system ID) and HKTAN (SCA at login)."""
    reply = Reply()
    hkidn, hkvvb = request.find("HKIDN"), request.find("HKVVB")
    if hkidn is None or hkvvb is None or request.header.message_number != 1:
        reply.message("9120", "Dialoginitialisierung unvollständig.")
        return reply, None
    if hkidn.bank_identifier.bank_code != bank.blz:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(hkidn.header.number, "9010", "Kreditinstitut unbekannt.")
        return reply, None
    if hkidn.customer_id == ANONYMOUS:
        dialog = bank.new_dialog(None, "0", "999")
        _parameters(bank, None, hkvvb, reply)
        reply.answer(hkidn.header.number, "0020", "Anonymer Dialog eröffnet.")
        return reply, dialog
    user = _authenticate(bank, request, reply, hkidn.header.number)
    if user is None:
        return reply, None
    if hkidn.customer_id not in (user.customer_id, user.login):
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(hkidn.header.number, "9910", "Kunden-ID passt nicht zum Anmeldenamen.")
        return reply, None
    hksyn = request.find("HKSYN")
    system_id = str(hkidn.system_id)
    if hksyn is not None:
        system_id = bank.new_system_id(user)
        reply.add(HISYN4(system_id=system_id), hksyn.header.number)
        reply.answer(hksyn.header.number, "0020", "Kundensystem-ID vergeben.")
    elif system_id not in user.system_ids:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(hkidn.header.number, "9391", "Kundensystem-ID ungültig.")
        return reply, None
    method = request.security_function
    if method != "999" and method not in user.tan_methods:
        reply.message("9800", "Dialog abgebrochen.")
        reply.answer(hkidn.header.number, "9955", "TAN-Verfahren für den Benutzer nicht zugelassen.")
        return reply, None
    dialog = bank.new_dialog(user.login, system_id, method)
    reply.answer(hkidn.header.number, "0020", "Auftrag ausgeführt.")
    _parameters(bank, user, hkvvb, reply)
    hktan = request.find("HKTAN")
    if hktan is not None and hksyn is None:
        _login_sca(bank, user, dialog, hkidn, hktan, reply)
    return reply, dialog


def _parameters(bank: DemoBank, user: User | None, hkvvb: FinTS3Segment, reply: Reply) -> None:
    """Send BPD/UPD only when the client's versions are older, and list the user's TAN methods (3920)."""
    if int(hkvvb.bpd_version or 0) < BPD_VERSION:
        for segment in bpd(bank.blz, bank.policy):
            reply.add(segment)
    if user is not None:
        if int(hkvvb.upd_version or 0) < user.upd_version:
            accounts = [bank.accounts[i] for i in user.accounts]
            for segment in upd(user, accounts, bank.blz, camt=bank.policy.upd_allows_camt):
                if bank.policy.upd_version_5 and segment.header.type == "HIUPD":
                    segment = generic("HIUPD", 5, [segment.account_information.account_number, "", "280", bank.blz],
                                      segment.iban, user.customer_id, "1", "EUR")  # fmt: skip
                reply.add(segment)
            reply.answer(hkvvb.header.number, "3050", "UPD nicht mehr aktuell, aktuelle Version enthalten.")
        reply.answer(
            hkvvb.header.number,
            "3920",
            "Zugelassene Zwei-Schritt-Verfahren für den Benutzer.",
            *user.tan_methods,
        )
    reply.answer(hkvvb.header.number, "0020", "Informationen fehlerfrei entgegengenommen.")


def _no_sca(hktan: FinTS3Segment, reply: Reply) -> None:
    """HKTAN answer when the bank waives SCA (3076)."""
    reply.add(HITAN7(tan_process="4", task_reference="noref", challenge="nochallenge"), hktan.header.number)
    reply.answer(hktan.header.number, "3076", "Starke Kundenauthentifizierung nicht notwendig.")


def _login_sca(
    bank: DemoBank, user: User, dialog: Dialog, hkidn: FinTS3Segment, hktan: FinTS3Segment, reply: Reply
) -> None:
    """SCA at login per policy: always, for unknown devices only, or never."""
    policy = bank.policy.init_sca
    if (
        dialog.security_function == "999"
        or policy == "never"
        or (policy == "new_system" and dialog.system_id in user.sca_system_ids)
    ):
        _no_sca(hktan, reply)
        return
    task = _issue(bank, user, dialog, None, hkidn.header.number, "Anmeldung am Online-Banking", "", "")
    dialog.init_sca_pending = task.reference
    _challenge(bank, task, hktan, reply)


def _issue(
    bank: DemoBank,
    user: User,
    dialog: Dialog,
    order: FinTS3Segment | None,
    number: int,
    text: str,
    digits: str,
    amount: str,
) -> TanTask:
    """Create a TAN task and its demo-phone message."""
    method = METHODS[dialog.security_function]
    reference = f"KDB{bank.next_reference()}"
    challenge = make_challenge(method, text, digits or "0", amount or "0", bank.rng, reference)
    task = TanTask(
        reference,
        user.login,
        method.kind,
        method.security_function,
        order,
        number,
        challenge.text,
        challenge.tan,
        method.medium.name,
        bank.policy.max_tan_attempts,
        challenge.hhduc,
    )
    bank.tasks[reference] = task
    bank.inbox[reference] = PhoneMessage(reference, method.kind, challenge.phone_text, challenge.tan)
    return task


def _challenge(bank: DemoBank, task: TanTask, hktan: FinTS3Segment, reply: Reply) -> None:
    """HITAN with the challenge; 3955 (or what the policy says) for decoupled methods, 0030 otherwise."""
    reply.add(
        HITAN7(
            tan_process="4",
            task_reference=task.reference,
            challenge=task.challenge,
            challenge_hhduc=task.hhduc,
            tan_medium_name=task.medium,
        ),
        hktan.header.number,
    )
    if task.kind == "decoupled" and bank.policy.decoupled_code == "3955":
        reply.answer(hktan.header.number, "3955", "Sicherheitsfreigabe erfolgt über anderen Kanal.")
    else:
        reply.answer(hktan.header.number, "0030", "Auftrag empfangen - Sicherheitsfreigabe erforderlich.")


def _continue(bank: DemoBank, request: Request) -> tuple[Reply, Dialog | None]:
    """A message inside an open dialog: check sequence and PIN, then run HKTAN answers and orders."""
    reply = Reply()
    dialog = bank.dialogs.get(str(request.header.dialog_id))
    if dialog is None or request.header.message_number != dialog.next_message:
        bank.dialogs.pop(str(request.header.dialog_id), None)
        reply.message("9800", "Dialog abgebrochen - Dialog-ID oder Nachrichtennummer ungültig.")
        return reply, None
    dialog.next_message += 1
    first = request.orders[0].header.number if request.orders else 1
    user = None
    if dialog.login is not None:
        user = _authenticate(bank, request, reply, first)
        if user is None:
            bank.dialogs.pop(dialog.dialog_id, None)
            return reply, dialog
    hktan = request.find("HKTAN")
    if hktan is not None and hktan.tan_process in ("2", "S") and user is not None:
        _tan_answer(bank, user, dialog, request, hktan, reply)
    for segment in request.orders:
        kind = segment.header.type
        if kind == "HKVPP" and segment.polling_id and user is not None:
            _payee_poll(bank, segment, reply)
            continue
        if kind in ("HKTAN", "HKVPP", "HKVPA"):  # the payee check travels with its order
            continue
        if kind == "HKEND":
            bank.dialogs.pop(dialog.dialog_id, None)
            reply.message("0100", "Dialog beendet.")
        elif user is None:
            reply.answer(segment.header.number, "9210", "Im anonymen Dialog nicht zulässig.")
        elif dialog.init_sca_pending:
            reply.answer(segment.header.number, "9075", "Starke Kundenauthentifizierung notwendig.")
        elif kind in TAN_ORDERS:
            _tan_order(bank, user, dialog, request, segment, hktan, reply)
        else:
            orders.execute(bank, user, dialog, segment, segment.header.number, reply)
    return reply, dialog


def _tan_order(
    bank: DemoBank,
    user: User,
    dialog: Dialog,
    request: Request,
    segment: FinTS3Segment,
    hktan: FinTS3Segment | None,
    reply: Reply,
) -> None:
    """An order HIPINS marks as TAN-relevant: it comes with HKTAN process 4; the bank decides on SCA."""
    if hktan is None or hktan.tan_process != "4" or dialog.security_function == "999":
        reply.answer(segment.header.number, "9075", "Starke Kundenauthentifizierung notwendig.")
        return
    try:
        prepared = orders.prepare(bank, user, dialog, segment)
        if not _payee_checked(bank, user, request, segment, hktan, reply):
            return
    except orders.OrderError as exc:
        reply.answer(segment.header.number, exc.code, exc.text)
        return
    if not prepared.needs_tan:
        _no_sca(hktan, reply)
        orders.execute(bank, user, dialog, segment, segment.header.number, reply)
        return
    task = _issue(
        bank,
        user,
        dialog,
        segment,
        segment.header.number,
        prepared.text,
        prepared.account_digits,
        prepared.amount,
    )
    _challenge(bank, task, hktan, reply)


def _payee_checked(
    bank: DemoBank, user: User, request: Request, segment: FinTS3Segment, hktan: FinTS3Segment, reply: Reply
) -> bool:
    """Whether a transfer may go on to its TAN: checked with a full match, or confirmed (HKVPA) after the check."""
    if not bank.policy.vop or segment.header.type not in payee_check.VOP_ORDERS:
        return True
    hkvpa = request.find("HKVPA")
    if hkvpa is not None:
        vop_id = bytes(hkvpa.vop_id or b"").decode("ascii", "replace")
        record = bank.payee_checks.get(vop_id)
        if record is None or record.confirmed:
            raise orders.OrderError("9210", "VOP-ID unbekannt oder bereits verwendet.")
        bank.payee_checks[vop_id] = replace(record, confirmed=True)
        return True
    hkvpp = request.find("HKVPP")
    if hkvpp is None:
        raise orders.OrderError("9210", "Namensabgleich (HKVPP) für diesen Auftrag erforderlich.")
    record, hivpp = payee_check.check(orders.payees(bank, user, segment), dict(bank.policy.vop_register))
    bank.payee_checks[record.vop_id] = record
    if bank.policy.vop_pending_polls:  # the result comes later: the client has to ask again (Atruvia)
        polling_id = str(uuid.uuid4())
        bank.pending_payee_checks[polling_id] = (hivpp, bank.policy.vop_pending_polls)
        _still_checking(polling_id, hkvpp.header.number, reply)
        reply.answer(hktan.header.number, "3905", "Es wurde keine Challenge erzeugt.")
        reply.answer(hktan.header.number, "3945", "Freigabe ohne VOP-Bestätigung nicht möglich.")
        return False
    reply.add(hivpp, hkvpp.header.number)
    if record.result == "RCVC" and not bank.policy.vop_confirm_always:
        reply.answer(hkvpp.header.number, "0025", "Keine Namensabweichung.")
        return True
    reply.answer(hkvpp.header.number, "3090", "Ergebnis des Namensabgleichs prüfen.")
    reply.answer(hktan.header.number, "3945", "Freigabe ohne VOP-Bestätigung nicht möglich.")
    return False


def _still_checking(polling_id: str, number: int, reply: Reply) -> None:
    reply.add(payee_check.pending(polling_id), number)
    reply.answer(number, "3040", "Es liegen weitere Informationen vor.", "staticscrollref")


def _payee_poll(bank: DemoBank, hkvpp: FinTS3Segment, reply: Reply) -> None:
    """HKVPP with a polling ID alone: the result once the check is done, else "still checking" again.

    Its result always needs HKVPA with the order, even a full match: the order itself was not accepted yet."""
    polling_id = bytes(hkvpp.polling_id or b"").decode("ascii", "replace")
    entry = bank.pending_payee_checks.get(polling_id)
    number = hkvpp.header.number
    if entry is None or str(hkvpp.aufsetzpunkt or "") != "staticscrollref":
        reply.answer(number, "9210", "Polling-ID oder Aufsetzpunkt unbekannt.")
        return
    hivpp, polls_left = entry
    if polls_left > 1:
        bank.pending_payee_checks[polling_id] = (hivpp, polls_left - 1)
        _still_checking(polling_id, number, reply)
        return
    del bank.pending_payee_checks[polling_id]
    reply.add(hivpp, number)
    reply.answer(number, "3090", "Ergebnis des Namensabgleichs prüfen.")


def _tan_answer(
    bank: DemoBank, user: User, dialog: Dialog, request: Request, hktan: FinTS3Segment, reply: Reply
) -> None:
    """HKTAN process 2 (TAN in HNSHA) or S (decoupled status poll) for a pending task."""
    number = hktan.header.number
    task = bank.tasks.get(str(hktan.task_reference))
    status = HITAN7(tan_process=hktan.tan_process, task_reference=hktan.task_reference)
    if task is None or task.login != user.login or task.done:
        reply.answer(number, "9210", "Auftragsreferenz unbekannt oder bereits erledigt.")
        return
    reply.add(status, number)
    if hktan.tan_process == "2":
        if task.kind == "decoupled" or request.tan != task.expected_tan:
            task.attempts_left -= 1
            reply.answer(number, "9941", "TAN ungültig.")
            if task.attempts_left <= 0:
                _finish(bank, task, "expired")
                reply.answer(number, "9951", "Auftrag nach zu vielen falschen TANs abgebrochen.")
            return
    else:
        if task.decision is None:
            task.polls += 1
            limit = bank.policy.decoupled_polls
            if limit is not None and task.polls > limit:
                task.decision = True
        if task.decision is None:
            reply.answer(number, "3956", "Starke Kundenauthentifizierung noch ausstehend.")
            return
        if not task.decision:
            _finish(bank, task, "denied")
            reply.answer(number, "9951", "Auftrag in der App abgelehnt.")
            return
    _finish(bank, task, "done")
    reply.answer(number, "0020", "Der Auftrag wurde ausgeführt.")
    if task.order is None:
        dialog.init_sca_pending = None
        user.sca_system_ids.add(dialog.system_id)
        return
    if task.order.header.type in ("HKKAZ", "HKCAZ"):
        dialog.statements_authorised = True
    orders.execute(bank, user, dialog, task.order, task.order_number, reply)


def _finish(bank: DemoBank, task: TanTask, status: str) -> None:
    """Close a task and update what the demo phone shows."""
    task.done = True
    message = bank.inbox.get(task.reference)
    if message is not None:
        message.status = status
