"""Large files are parsed in a worker process and streamed into the ledger: same rows, same errors, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import func, select

from app.models.schema import AuditEvent, Transaction
from app.services.ledger import audit
from app.services.statements import worker
from app.services.statements.importing import file_format, import_statement_files
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import iter_statement_file
from app.services.statements.rows import rows_of
from bench.statement_data import write_camt053, write_mt940


@pytest.fixture
def always_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)


@pytest.mark.usefixtures("always_worker")
@pytest.mark.parametrize("write", [write_camt053, write_mt940])
def test_worker_streams_the_same_rows_as_the_in_process_reader(tmp_path: Path, write) -> None:  # noqa: ANN001
    path = write(tmp_path / "big", 2500, per_statement=400)
    fmt = file_format(path)
    assert worker._worth_a_worker(path, fmt)
    streamed = list(worker.read_rows(path, fmt))
    in_process = list(rows_of(iter_statement_file(path)))
    assert [len(statement.rows) for statement in streamed] == [400] * 6 + [100]
    assert streamed == in_process


@pytest.mark.usefixtures("always_worker")
def test_broken_file_in_the_worker_names_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    good = write_camt053(tmp_path / "good.xml", 300, per_statement=100)
    broken = tmp_path / "broken.xml"
    text = good.read_text(encoding="utf-8")
    broken.write_text(text[: text.rindex("<Ntry>") + 30], encoding="utf-8")  # two statements, then cut off

    with pytest.raises(StatementFormatError) as caught:
        list(worker.read_rows(broken, "camt"))
    assert str(caught.value).startswith("broken.xml: line ")

    ledger = new_ledger(tmp_path / "w.kontor", "pw", company_name="Worker GmbH")
    try:
        [result] = import_statement_files(ledger, [broken], actor="test")
        assert result.error.startswith("broken.xml: line ")
        with ledger.session() as session:
            assert session.scalar(select(func.count(Transaction.id))) == 0
            assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "import")) == 0
        [result] = import_statement_files(ledger, [good], actor="test")
        assert (result.new, result.duplicates, result.warnings) == (300, 0, [])
        [again] = import_statement_files(ledger, [good], actor="test")
        assert (again.new, again.duplicates) == (0, 300)
        with ledger.session() as session:
            assert audit.verify(session).ok
    finally:
        ledger.close()


@pytest.mark.usefixtures("always_worker")
def test_worker_that_dies_is_an_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_camt053(tmp_path / "s.xml", 50)
    monkeypatch.setattr(worker.sys, "executable", "/bin/false")  # a child that exits without a word
    with pytest.raises(StatementFormatError, match="stopped unexpectedly"):
        list(worker.read_rows(path, "camt"))


def test_small_zipped_and_csv_files_stay_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = write_camt053(tmp_path / "small.xml", 10)
    assert not worker._worth_a_worker(small, "camt")
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)
    assert worker._worth_a_worker(small, "camt")
    assert not worker._worth_a_worker(small, "zip") and not worker._worth_a_worker(small, "csv")
