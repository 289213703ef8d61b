"""The ledger on a real PostgreSQL server: addresses and TLS, passwords, creating and opening, the CLI, folded search,
and `migrate-to-server` of the demo ledger with the audit log verified on both sides."""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ledger_templates import new_ledger, server_url
from pg_cluster import Cluster
from sqlalchemy import func, select
from statement_files import Booking, camt053

from app.cli import main
from app.models.schema import AuditEvent, Transaction
from app.services.demo.data import add_demo_users, create_demo_ledger
from app.services.ledger import audit, secrets
from app.services.ledger.database import LedgerBusyError
from app.services.ledger.server import (
    ServerAddress,
    ServerLedgerError,
    ServerPasswordError,
    create_server,
    open_server,
)
from app.services.ledger.server_copy import copy_to_server
from app.services.statements.importing import import_statement_files
from app.services.statements.query import TransactionFilter, TransactionOrder, transaction_ids

pytestmark = pytest.mark.server
IBAN = "DE89370400440532013000"


# -- addresses ---------------------------------------------------------------------------------------------------
def test_tls_is_verify_full_unless_lowered_for_this_computer() -> None:
    remote = ServerAddress.parse("postgresql://anna@db.firma.example/kontor")
    assert remote.sslmode == "verify-full" and remote.port == 5432
    assert remote.connect_arguments(None)["sslmode"] == "verify-full" and "password" not in remote.connect_arguments(
        None
    )
    local = ServerAddress.parse("postgresql://anna@localhost:5433/kontor?sslmode=disable")
    assert local.sslmode == "disable" and local.url == "postgresql://anna@localhost:5433/kontor?sslmode=disable"
    with pytest.raises(ServerLedgerError, match="verify-full"):
        ServerAddress.parse("postgresql://anna@db.firma.example/kontor?sslmode=require")
    with pytest.raises(ServerLedgerError, match="sslmode"):
        ServerAddress.parse("postgresql://anna@localhost/kontor?sslmode=maybe")


def test_a_password_in_the_url_is_refused_and_not_repeated() -> None:
    with pytest.raises(ServerLedgerError) as caught:
        ServerAddress.parse("postgresql://anna:Geheim123@db.firma.example/kontor")
    assert "Geheim123" not in str(caught.value) and "***" in str(caught.value)
    with pytest.raises(ServerLedgerError, match="name the user"):
        ServerAddress.parse("postgresql://db.firma.example/kontor")


# -- creating, opening, passwords --------------------------------------------------------------------------------
def test_create_then_open_with_the_password_from_pgpass(pg_cluster: Cluster) -> None:
    url = server_url(pg_cluster)
    create_server(url, company_name="Server GmbH").close()
    with open_server(url) as ledger:  # libpq reads the password from PGPASSFILE (set by the cluster fixture)
        assert ledger.company_name() == "Server GmbH"
        assert ledger.engine.dialect.name == "postgresql"
        with ledger.session() as session:
            assert audit.verify(session).ok
    with pytest.raises(ServerLedgerError, match="not empty"):
        create_server(url, company_name="Twice")


def test_a_writer_can_decline_to_wait_for_another_program(pg_cluster: Cluster) -> None:
    url = server_url(pg_cluster)
    create_server(url, company_name="Server GmbH").close()
    with open_server(url) as ledger, open_server(url) as other:
        with other.writer():
            with pytest.raises(LedgerBusyError, match="another program is writing"), ledger.writer(wait=False):
                pass
        with ledger.writer(wait=False):  # free again, and now this one holds the lock
            with pytest.raises(LedgerBusyError), other.writer(wait=False):
                pass
        assert ledger.company_name() == "Server GmbH"


def test_an_empty_database_is_not_a_ledger(pg_cluster: Cluster) -> None:
    with pytest.raises(ServerLedgerError, match="holds no Kontor ledger"):
        open_server(server_url(pg_cluster))


def test_password_is_asked_remembered_only_on_request_and_never_shown(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = server_url(pg_cluster)
    create_server(url, company_name="Server GmbH").close()
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))  # libpq finds nothing: Kontor has to ask
    shown = ServerAddress.parse(url).url
    caplog.set_level(logging.DEBUG)
    asked: list[str] = []

    def ask(prompt_url: str) -> str:
        asked.append(prompt_url)
        return pg_cluster.password

    open_server(url, ask=ask).close()
    assert asked == [shown] and secrets.remembered_server_password(shown) is None
    open_server(url, ask=ask, remember=True).close()
    assert secrets.remembered_server_password(shown) == pg_cluster.password
    open_server(url, ask=lambda _url: pytest.fail("the keyring has it")).close()

    secrets.remember_server_password(shown, "Falsch-0815")
    with pytest.raises(ServerPasswordError) as caught:
        open_server(url, ask=lambda _url: "Falsch-4711")
    assert "refused the password" in str(caught.value)
    assert secrets.remembered_server_password(shown) is None  # the server no longer takes it: not kept
    with pytest.raises(ServerLedgerError):
        open_server(url)  # no prompt (a script): the error, not a hang
    everything = caplog.text + str(caught.value)
    for password in (pg_cluster.password, "Falsch-0815", "Falsch-4711"):
        assert password not in everything


# -- the command line --------------------------------------------------------------------------------------------
def test_cli_init_server_and_audit_verify(pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    url = server_url(pg_cluster)
    assert main(["--json", "init", "--server", url, "--company", "Kommandozeile KG"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["ledger"] == ServerAddress.parse(url).url
    assert main(["--ledger", url, "--json", "audit", "verify"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["ok"] and verified["events"] == 1
    assert main(["--ledger", url, "backup", "copy.kontor"]) != 0
    assert "server ledger" in capsys.readouterr().err


# -- domain code on the server -----------------------------------------------------------------------------------
def test_search_finds_words_in_name_purpose_and_references(pg_cluster: Cluster, tmp_path: Path) -> None:
    statement = tmp_path / "march.xml"
    bookings = [
        Booking(date(2026, 3, 2), Decimal("1190.00"), "Müller Metallbau GmbH", IBAN, "Rechnung RE-42", "E2E-42"),
        Booking(date(2026, 3, 3), Decimal("-49.90"), "Telekom Deutschland GmbH", IBAN, "Kundennr 4711 100%"),
        Booking(date(2026, 3, 4), Decimal("-850.00"), "ÉCOLE Hauptstraße", IBAN, "Miete"),
    ]
    statement.write_text(camt053(IBAN, bookings, opening=Decimal("0")), encoding="utf-8")
    with open_server(_ledger_url(pg_cluster)) as ledger:
        import_statement_files(ledger, [statement], actor="anna")
        with ledger.session() as session:

            def found(text: str) -> int:
                return len(transaction_ids(session, TransactionFilter(text=text), TransactionOrder()))

            assert found("müller") == 1 and found("TELEKOM") == 1 and found("e2e-42") == 1
            assert found("metallbau rechnung") == 1 and found("metallbau telekom") == 0
            assert found("100%") == 1 and found("%") == 0  # LIKE's wildcards are plain characters
            # Folded as the file's index folds (case, accents), and ß as ss: without the unaccent extension.
            assert found("muller") == 1 and found("MÜLLER") == 1 and found("ecole") == 1 and found("École") == 1
            assert found("strasse") == 1 and found("STRAẞE") == 1 and found("hauptstraße") == 1
            assert found("mueller") == 0 and found("100_") == 0


def _ledger_url(cluster: Cluster) -> str:
    url = server_url(cluster)
    create_server(url, company_name="Suche GmbH").close()
    return url


def test_migrate_to_server_copies_the_demo_ledger_with_its_audit_log(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.kontor"
    with new_ledger(path, "demo", company_name="Demo") as ledger:
        create_demo_ledger(ledger, actor="test")
        add_demo_users(ledger)
        with ledger.session() as session:
            bookings = session.scalar(select(func.count(Transaction.id)))
            events = session.scalar(select(func.count(AuditEvent.id)))
            head = audit.verify(session).head
    url = server_url(pg_cluster)
    monkeypatch.setenv("KONTOR_PASSPHRASE", "demo")
    assert main(["--ledger", str(path), "--json", "migrate-to-server", url]) == 0
    copied = json.loads(capsys.readouterr().out)
    assert copied["ok"] and copied["rows"]["transactions"] == bookings and copied["rows"]["audit_events"] == events
    assert main(["--ledger", url, "--json", "audit", "verify"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["ok"] and verified["head"]["hash"] == head.hash and verified["events"] == events
    assert main(["--ledger", str(path), "--json", "audit", "verify"]) == 0  # the file is left as it was
    with open_server(url) as server:
        with pytest.raises(ServerLedgerError, match="not empty"):
            with new_ledger(tmp_path / "again.kontor", "demo", company_name="Demo") as again:
                copy_to_server(again, url)
        # New rows continue after the copied ids: the server's sequences were moved past them.
        statement = tmp_path / "later.xml"
        later = [Booking(date(2026, 12, 1), Decimal("5.00"), "Nachzügler", IBAN, "später")]
        statement.write_text(camt053(IBAN, later, opening=Decimal("0")), encoding="utf-8")
        import_statement_files(server, [statement], actor="anna")
        with server.session() as session:
            assert audit.verify(session).ok
            assert session.scalar(select(func.count(Transaction.id))) == bookings + 1


# The README's "Roles and least privileges", as the server's administrator runs it (README, More than one workstation).
ROLES = """
CREATE ROLE kontor_owner LOGIN PASSWORD 'owner-pw';
CREATE ROLE kontor_app NOLOGIN;
CREATE ROLE anna LOGIN PASSWORD 'anna-pw' IN ROLE kontor_app;
CREATE DATABASE {database} OWNER kontor_owner;
"""
IN_DATABASE = """
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO kontor_owner, kontor_app;
GRANT USAGE ON SCHEMA public TO kontor_app;
ALTER DEFAULT PRIVILEGES FOR ROLE kontor_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kontor_app;
ALTER DEFAULT PRIVILEGES FOR ROLE kontor_owner IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO kontor_app;
"""
AFTER_INIT = """
REVOKE UPDATE, DELETE ON audit_events FROM kontor_app;
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM kontor_app;
"""


def _as_superuser(cluster: Cluster, database: str, statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, user="kontor_test", dbname=database, password=cluster.password,
        autocommit=True, sslmode="disable",
    ) as conn:  # fmt: skip
        for statement in statements.split(";"):
            if statement.strip():
                conn.execute(statement)  # type: ignore[call-overload]


def test_the_documented_least_privileges_suffice_and_keep_the_audit_log_append_only(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    database = "kontor_roles"
    for statement in ROLES.format(database=database).split(";"):
        if statement.strip():
            pg_cluster.admin(statement)
    _as_superuser(pg_cluster, database, IN_DATABASE.format(database=database))
    owner_url = f"postgresql://kontor_owner@127.0.0.1:{pg_cluster.port}/{database}?sslmode=disable"
    anna_url = owner_url.replace("kontor_owner@", "anna@")
    create_server(owner_url, company_name="Rollen GmbH", ask=lambda _url: "owner-pw").close()
    _as_superuser(pg_cluster, database, AFTER_INIT)

    statement = tmp_path / "march.xml"
    payment = [Booking(date(2026, 3, 2), Decimal("10.00"), "Kunde", IBAN, "Rechnung 1", "E2E-1")]
    statement.write_text(camt053(IBAN, payment, opening=Decimal("0")), encoding="utf-8")
    with open_server(anna_url, ask=lambda _url: "anna-pw") as ledger:
        [result] = import_statement_files(ledger, [statement], actor="anna")
        assert result.ok and result.new == 1
        with ledger.session() as session:
            assert audit.verify(session).ok
        with pytest.raises(Exception, match="permission denied"), ledger.writer() as session:
            session.execute(AuditEvent.__table__.delete())
        with pytest.raises(Exception, match="permission denied"), ledger.writer() as session:
            session.execute(AuditEvent.__table__.update().values(summary="rewritten"))
