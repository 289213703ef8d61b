"""One error type: every user-facing error is a KontorError, and `kontor` maps it to one line and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from ledger_templates import new_ledger

from app import __version__
from app.cli import EXIT_BROKEN_PIPE, main
from app.services.banking.connections import BankConnectionError
from app.services.banking.fints_client import BankError, BankRejectedError, Cancelled, WrongPinError
from app.services.errors import KontorError
from app.services.invoices.importing import InvoiceImportError
from app.services.ledger.database import LedgerError, WrongPassphraseError, head_revision
from app.services.ledger.users import AuthenticationError, SignInLockedError, UserError
from app.services.payments.pain import PainError
from app.services.payments.sepa_checks import PaymentError
from app.services.statements.importing import StatementImportError

PASSPHRASE = "Kontor-Test-Passphrase-1"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (WrongPassphraseError(Path("/tmp/x.kontor")), 2),
        (LedgerError("no ledger"), 1),
        (WrongPinError("PIN"), 3),
        (AuthenticationError("wrong password"), 3),
        (SignInLockedError("locked", until=None), 3),  # type: ignore[arg-type]
        (BankError("bank down"), 4),
        (BankRejectedError("refused"), 4),
        (PaymentError("iban", "not an IBAN"), 1),
        (UserError("no such user"), 1),
        (PainError("bad XML"), 1),
        (InvoiceImportError("bad file"), 1),
        (StatementImportError("bad file"), 1),
        (BankConnectionError("no connection"), 1),
        (Cancelled(), 1),
    ],
)
def test_user_facing_errors_are_kontor_errors_with_the_cli_exit_code(error: KontorError, code: int) -> None:
    assert isinstance(error, KontorError)
    assert error.exit_code == code
    assert str(error)


def test_value_errors_stay_value_errors() -> None:
    """Callers that catch ValueError (form validation) keep working."""
    assert isinstance(PaymentError("iban", "x"), ValueError) and isinstance(UserError("x"), ValueError)


def test_a_service_error_is_one_line_on_stderr_with_exit_1(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "firma.kontor"
    new_ledger(path, PASSPHRASE, company_name="Firma").close()
    monkeypatch.setenv("KONTOR_PASSPHRASE", PASSPHRASE)
    assert main(["--ledger", str(path), "run", "show", "999"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "kontor: run: No payment run 999.\n"


def test_a_wrong_passphrase_exits_2_in_process(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "firma.kontor"
    new_ledger(path, PASSPHRASE, company_name="Firma").close()
    monkeypatch.setenv("KONTOR_PASSPHRASE", "wrong")
    assert main(["--ledger", str(path), "run", "list"]) == 2
    assert "wrong passphrase" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tmp_path: Path, kontor_home: Path) -> None:
    """`kontor … | head`: the reader is gone before kontor writes; no traceback, no 'unexpected error'."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KONTOR_")} | {
        "KONTOR_HOME": str(kontor_home),
        "KONTOR_LANG": "en",
        "KONTOR_PASSPHRASE": PASSPHRASE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    read, write = os.pipe()
    os.close(read)  # the reader went away
    try:
        process = subprocess.run(
            [sys.executable, "-m", "app", "--ledger", str(tmp_path / "new.kontor"), "init"],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
            timeout=120,
        )
    finally:
        os.close(write)
    assert process.returncode == EXIT_BROKEN_PIPE
    assert process.stderr == ""
    assert (tmp_path / "new.kontor").exists()  # the work was done; only its report had no reader


def test_version_names_the_schema_and_the_parts_a_support_request_needs(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"kontor {__version__}"
    assert lines[1] == f"ledger schema {head_revision()}"
    assert lines[2].startswith("SQLCipher 4.") and "(SQLite 3." in lines[2]
    assert lines[3].startswith("Qt 6.") and "(PySide6 6." in lines[3]
    assert lines[4] == f"python-fints {version('fints')}"
