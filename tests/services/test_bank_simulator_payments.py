"""Payments against the demo bank with the real python-fints client: batches, debits, returns, TAN kinds."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fints.client import FinTS3PinTanClient, NeedTANResponse, ResponseStatus, TransactionResponse
from fints.hhd.flicker import code_to_bitstream, parse
from fints.models import SEPAAccount
from fints.utils import decode_phototan_image
from sepaxml import SepaDD, SepaTransfer
from test_bank_simulator_support import TODAY, Clock, client_for, collect_codes

from app.demobank import DemoBank, DemoBankServer, Policy, generator_tan

PAIN_001_09 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN_008_08 = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"
CREDITOR_ID = "DE98ZZZ09999999999"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bank(clock: Clock) -> DemoBank:
    return DemoBank(seed=11, today=clock, policy=Policy(page_size=200))


@pytest.fixture
def server(bank: DemoBank) -> Iterator[DemoBankServer]:
    with DemoBankServer(bank) as running:
        yield running


def _transfers(account: SEPAAccount, payments: list[tuple[str, str, Decimal, str]]) -> str:
    """A pain.001.001.09 batch built and validated by sepaxml."""
    sepa = SepaTransfer(
        {"name": "Kontor Demo GmbH", "IBAN": account.iban, "BIC": account.bic, "batch": True, "currency": "EUR"},
        "pain.001.001.09",
    )
    for number, (name, iban, amount, purpose) in enumerate(payments, start=1):
        sepa.add_payment(
            {
                "name": name,
                "IBAN": iban,
                "amount": int(amount * 100),
                "execution_date": TODAY,
                "description": purpose,
                "endtoend_id": f"KONTOR-{number:04d}",
            }
        )
    return sepa.export(validate=True).decode()


def _debits(account: SEPAAccount, due: date, debits: list[tuple[str, str, Decimal, str]]) -> str:
    """A pain.008.001.08 batch built and validated by sepaxml."""
    sepa = SepaDD(
        {
            "name": "Kontor Demo GmbH",
            "IBAN": account.iban,
            "BIC": account.bic,
            "batch": True,
            "creditor_id": CREDITOR_ID,
            "currency": "EUR",
            "instrument": "CORE",
        },
        "pain.008.001.08",
    )
    for name, iban, amount, e2e in debits:
        sepa.add_payment(
            {
                "name": name,
                "IBAN": iban,
                "amount": int(amount * 100),
                "type": "RCUR",
                "collection_date": due,
                "mandate_id": f"M-{e2e}",
                "mandate_date": date(2025, 1, 2),
                "description": f"Rechnung {e2e}",
                "endtoend_id": e2e,
            }
        )
    return sepa.export(validate=True).decode()


def _session(server: DemoBankServer, method: str = "942") -> FinTS3PinTanClient:
    """A bootstrapped client using the given TAN method."""
    client = client_for(server)
    client.fetch_tan_mechanisms()
    client.set_tan_mechanism(method)
    return client


PAYEES = [
    ("Bäckerei Schmidt OHG", "DE02120300000000202051", Decimal("120.00"), "Lieferung 11/2026"),
    ("Autohaus Becker GmbH", "DE02500105170137075030", Decimal("100.00"), "Werkstatt RE 2211"),
]


def test_collective_transfer_with_tan_is_booked(server: DemoBankServer, bank: DemoBank) -> None:
    client = _session(server)
    with client:
        account, savings = client.get_sepa_accounts()
        payees = [*PAYEES, ("Kontor Demo GmbH", savings.iban, Decimal("80.00"), "Umbuchung Tagesgeld")]
        pain = _transfers(account, payees)
        before, savings_before = bank.balance(account.iban), bank.balance(savings.iban)
        rejected = client.sepa_transfer(
            account, pain, multiple=True, control_sum=Decimal("300"), pain_descriptor=PAIN_001_09
        )
        assert isinstance(rejected, TransactionResponse) and rejected.status == ResponseStatus.ERROR
        challenge = client.sepa_transfer(
            account,
            pain,
            multiple=True,
            control_sum=Decimal("300").quantize(Decimal("0.01")),
            pain_descriptor=PAIN_001_09,
        )
        assert isinstance(challenge, NeedTANResponse)
        [sms] = bank.pending_tans()
        assert "Sammelüberweisung, 3 Posten, Summe 300,00 EUR" in sms.text
        result = client.send_tan(challenge, sms.tan)
        assert result.status == ResponseStatus.SUCCESS
        statement = client.get_transactions(account, TODAY, TODAY)
    assert bank.balance(account.iban) == before - Decimal("300.00")
    assert bank.balance(savings.iban) == savings_before + Decimal("80.00")
    [collective] = [t for t in statement if t.data["transaction_code"] == "191"]
    assert collective.data["amount"].amount == Decimal("-300.00")


def test_single_booking_and_wrong_tan_retry(server: DemoBankServer, bank: DemoBank) -> None:
    client = _session(server)
    codes = collect_codes(client)
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.sepa_transfer(
            account,
            _transfers(account, PAYEES),
            multiple=True,
            control_sum=Decimal("220.00"),
            book_as_single=True,
            pain_descriptor=PAIN_001_09,
        )
        [sms] = bank.pending_tans()
        wrong = client.send_tan(challenge, "000000" if sms.tan != "000000" else "111111")
        assert wrong.status == ResponseStatus.ERROR and "9941" in codes
        assert client.send_tan(challenge, sms.tan).status == ResponseStatus.SUCCESS
        statement = client.get_transactions(account, TODAY, TODAY)
    ours = [t for t in statement if (t.data["end_to_end_reference"] or "").startswith("KONTOR-")]
    assert sorted(t.data["amount"].amount for t in ours) == [Decimal("-120.00"), Decimal("-100.00")]


def test_collective_debit_books_on_due_date_and_returns_md06(
    server: DemoBankServer, bank: DemoBank, clock: Clock
) -> None:
    client = _session(server)
    due = TODAY + timedelta(days=3)
    debits = [
        ("Gärtnerei Wagner", "DE02120300000000202051", Decimal("59.50"), "RE-2026-0101"),
        ("Hotel Zur Post GmbH", "DE02500105170137075030", Decimal("440.50"), "RE-2026-0102"),
    ]
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.sepa_debit(
            account,
            _debits(account, due, debits),
            multiple=True,
            control_sum=Decimal("500.00"),
            book_as_single=True,
            pain_descriptor=PAIN_008_08,
        )
        result = client.send_tan(challenge, bank.pending_tans()[0].tan)
        assert result.status == ResponseStatus.SUCCESS and result.data["task_id"].startswith("LS")
    assert [b for b in bank.bookings(account.iban, TODAY, due) if b.gvc == "171"] == []
    clock.advance(3)
    credits = [b for b in bank.bookings(account.iban, due, due) if b.gvc == "171"]
    assert sorted(b.amount for b in credits) == [Decimal("59.50"), Decimal("440.50")]
    assert {b.gvc for b in credits} == {"171"} and {b.creditor_id for b in credits} == {CREDITOR_ID}
    bank.return_debit("RE-2026-0102", reason="MD06", after_days=2)
    clock.advance(2)
    client = client_for(server, from_data=client.deconstruct(including_private=True))
    with client:
        booked, _ = client.get_transactions_xml(account, clock.day, clock.day)
        mt940 = client.get_transactions(account, clock.day, clock.day)
    [returned] = [b for b in bank.bookings(account.iban, clock.day, clock.day) if b.gvc == "109"]
    assert returned.amount == Decimal("-440.50") and returned.return_reason == "MD06"
    assert b"<Rsn><Cd>MD06</Cd></Rsn>" in booked[0]
    [line] = [t for t in mt940 if t.data["transaction_code"] == "109"]
    assert "MD06" in line.data["purpose"] and line.data["end_to_end_reference"] == "RE-2026-0102"


def test_decoupled_app_polling_then_approval_over_http(server: DemoBankServer, bank: DemoBank) -> None:
    client = _session(server, "946")
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.simple_sepa_transfer(
            account, PAYEES[0][1], None, PAYEES[0][0], Decimal("12.34"), "Kontor Demo GmbH", "Rechnung 4711"
        )
        assert isinstance(challenge, NeedTANResponse) and challenge.decoupled
        for _ in range(2):
            challenge = client.send_tan(challenge, "")
            assert isinstance(challenge, NeedTANResponse)
        with urllib.request.urlopen(server.url.replace("/fints", "/demo/inbox")) as response:
            [message] = json.load(response)
        assert message["kind"] == "decoupled" and message["tan"] is None
        request = urllib.request.Request(
            server.url.replace("/fints", f"/demo/approve/{message['reference']}"), method="POST", data=b""
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 204
        result = client.send_tan(challenge, "")
    assert isinstance(result, TransactionResponse) and result.status == ResponseStatus.SUCCESS
    assert bank.bookings(account.iban, TODAY, TODAY)[-1].amount == Decimal("-12.34")


def test_decoupled_denial_and_automatic_approval(clock: Clock) -> None:
    bank = DemoBank(seed=11, today=clock, policy=Policy(decoupled_polls=1))
    with DemoBankServer(bank) as server:
        client = _session(server, "946")
        with client:
            account = client.get_sepa_accounts()[0]
            first = client.simple_sepa_transfer(
                account, PAYEES[0][1], None, PAYEES[0][0], Decimal("1.00"), "Kontor Demo GmbH", "erster"
            )
            bank.deny(first.tan_request.task_reference)
            assert client.send_tan(first, "").status == ResponseStatus.ERROR
            second = client.simple_sepa_transfer(
                account, PAYEES[0][1], None, PAYEES[0][0], Decimal("2.00"), "Kontor Demo GmbH", "zweiter"
            )
            pending = client.send_tan(second, "")
            assert isinstance(pending, NeedTANResponse)
            assert client.send_tan(pending, "").status == ResponseStatus.SUCCESS


def test_phototan_challenge_decodes_with_python_fints(server: DemoBankServer, bank: DemoBank) -> None:
    client = _session(server, "902")
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.get_transactions(account, TODAY - timedelta(days=150), TODAY)
        assert isinstance(challenge, NeedTANResponse)
        mime, image = challenge.challenge_matrix
        assert mime == "image/png" and image.startswith(b"\x89PNG\r\n\x1a\n")
        assert decode_phototan_image(challenge.tan_request.challenge_hhduc)["image"] == image
        transactions = client.send_tan(challenge, bank.pending_tans()[0].tan)
    assert len(transactions) == len(bank.bookings(account.iban, TODAY - timedelta(days=150), TODAY))


def test_chiptan_flicker_code_and_generator_tan(server: DemoBankServer, bank: DemoBank) -> None:
    client = _session(server, "972")
    with client:
        account = client.get_sepa_accounts()[0]
        challenge = client.simple_sepa_transfer(
            account, PAYEES[1][1], None, PAYEES[1][0], Decimal("77.00"), "Kontor Demo GmbH", "Werkstatt"
        )
        code = parse(challenge.challenge_hhduc)
        assert code.version == 14 and code.de2.data == "77,00"
        assert len(code_to_bitstream(challenge.challenge_hhduc)) > 50
        result = client.send_tan(challenge, generator_tan(code.startcode.data))
    assert result.status == ResponseStatus.SUCCESS
