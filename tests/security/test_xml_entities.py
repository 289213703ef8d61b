"""Hostile XML in a CAMT file: external entities (XXE) are never fetched or read, and entity bombs are refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import select
from statement_files import Booking, camt053

from app.models.schema import Transaction
from app.services.ledger.database import Ledger
from app.services.statements.importing import import_statement_files

IBAN = "DE89370400440532013000"
PAYER = "DE02120300000000202051"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = new_ledger(tmp_path / "xml.kontor", "pw", company_name="XML GmbH")
    yield ledger
    ledger.close()


def _with_doctype(doctype: str, purpose: str) -> str:
    """A valid camt.053 whose purpose text is an entity reference declared in `doctype`."""
    booking = Booking(date(2026, 3, 2), Decimal("10.00"), "Angreifer GmbH", PAYER, "PLACEHOLDER")
    document = camt053(IBAN, [booking], opening=Decimal("0"))
    return document.replace("?>\n", f"?>\n{doctype}\n", 1).replace("PLACEHOLDER", purpose)


def _purposes(ledger: Ledger) -> list[str]:
    with ledger.session() as session:
        return list(session.scalars(select(Transaction.purpose)))


def test_an_external_entity_is_not_read(ledger: Ledger, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    path = tmp_path / "xxe.xml"
    path.write_text(_with_doctype(f'<!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>', "&x;"))
    [result] = import_statement_files(ledger, [path], actor="test", account_iban=IBAN)
    assert "TOP-SECRET-CONTENT" not in repr(result)
    assert all("TOP-SECRET-CONTENT" not in purpose for purpose in _purposes(ledger))


def test_a_billion_laughs_document_is_refused_quickly(ledger: Ledger, tmp_path: Path) -> None:
    levels = ['<!ENTITY l0 "hahahahahahahahahaha">'] + [f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)]
    path = tmp_path / "laughs.xml"
    path.write_text(_with_doctype(f"<!DOCTYPE Document [{''.join(levels)}]>", "&l9;"))
    [result] = import_statement_files(ledger, [path], actor="test", account_iban=IBAN)
    assert result.error and "laughs.xml" in result.error
    assert _purposes(ledger) == []
