"""Ledgers written by every earlier Kontor open in this one, upgraded with their data; a newer one is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy import func, select

from app.models.schema import Allocation, Invoice, PaymentOrder, PaymentRun, Transaction, User
from app.services.ledger import audit
from app.services.ledger.database import Ledger, LedgerError, head_revision, known_revisions

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "ledgers"
PASS = "fixture"
# revision -> (transactions, invoices, allocations, payment orders) as the older Kontor left them
WRITTEN = {
    "0001": (5, 0, 0, 0),
    "0002": (3, 0, 0, 0),
    "0003": (3, 3, 2, 0),
    "0004": (3, 3, 2, 1),
    "0005": (3, 3, 2, 1),
    "0006": (3, 3, 2, 1),
    "0007": (3, 3, 2, 1),
    "0008": (3, 3, 2, 1),
    "0009": (3, 3, 2, 1),
}
USERS = {"0004": ["bob"], **{revision: ["anna", "dora"] for revision in ("0005", "0006", "0007", "0008", "0009")}}


def test_every_earlier_schema_has_a_ledger_to_test() -> None:
    assert sorted(WRITTEN) == known_revisions()[:-1]


@pytest.mark.parametrize("revision", sorted(WRITTEN))
def test_an_older_ledger_is_upgraded_with_its_data_after_a_backup(revision: str, tmp_path: Path) -> None:
    path = tmp_path / "alt.kontor"
    shutil.copy(FIXTURES / f"schema-{revision}.kontor", path)
    with Ledger.open(path, PASS) as ledger:
        assert ledger.schema_revision() == head_revision()
        with ledger.session() as session:
            counts = tuple(
                session.scalar(select(func.count()).select_from(table))
                for table in (Transaction, Invoice, Allocation, PaymentOrder)
            )
            assert counts == WRITTEN[revision]
            if revision != "0001":  # the 0001 file was filled by hand, the others by that version's Kontor
                assert audit.verify(session).ok
            if revision in USERS:
                order = session.scalars(select(PaymentOrder)).one()
                # as it was stored: SEPA characters, until the Kontor that wrote 0009 kept a German payee's umlauts
                name = "Stadtwerke Nürnberg" if revision >= "0009" else "Stadtwerke Nuernberg"
                assert (order.amount_cents, order.name) == (25000, name)
                assert session.scalars(select(PaymentRun.status)).one() == "draft"
                assert sorted(user.name for user in session.scalars(select(User))) == USERS[revision]
    backups = list(tmp_path.glob(f"alt.before-{revision}-*.kontor"))
    assert len(backups) == 1
    with Ledger.open(backups[0], PASS, migrate=False) as copy:
        assert copy.schema_revision() == revision


def test_a_ledger_of_a_newer_kontor_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "neu.kontor"
    shutil.copy(FIXTURES / "schema-0004.kontor", path)
    with Ledger.open(path, PASS):
        pass
    connection = sqlcipher3.connect(str(path))
    connection.execute(f"PRAGMA key = '{PASS}'")
    connection.execute("UPDATE alembic_version SET version_num = '9001'")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match=r"newer version of Kontor \(ledger schema 9001; .* up to " + head_revision()):
        Ledger.open(path, PASS)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("neu.before-9001-*"))  # no backup either: nothing was changed


def test_upgraded_allocations_take_accepted_suggestions_and_keep_their_indexes(tmp_path: Path) -> None:
    path = tmp_path / "alt.kontor"
    shutil.copy(FIXTURES / "schema-0007.kontor", path)
    with Ledger.open(path, PASS) as ledger, ledger.engine.connect() as conn:
        table = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'allocations'").scalar_one()
        indexes = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'allocations' AND type = 'index'"
        )
        assert "'suggested'" in table
        assert {"ix_allocations_invoice", "ix_allocations_transaction"} <= set(indexes.scalars())
