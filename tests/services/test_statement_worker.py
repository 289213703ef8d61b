"""Large files are parsed in a worker process and streamed into the ledger: same rows, same errors, all-or-nothing."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import zipfile
from dataclasses import replace
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
from app.services.statements.rows import rows_of, statement_rows, with_keys
from bench.statement_data import write_camt053, write_mt940


@pytest.fixture(params=["forked", "spawned"])
def always_worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file goes to a worker: a fork of this process, and a `python -m` child, each in turn."""
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(worker, "_fork_is_safe", lambda: request.param == "forked")


@pytest.mark.usefixtures("always_worker")
@pytest.mark.parametrize("write", [write_camt053, write_mt940])
def test_worker_streams_the_same_rows_as_the_in_process_reader(tmp_path: Path, write) -> None:  # noqa: ANN001
    path = write(tmp_path / "big", 2500, per_statement=400)
    fmt = file_format(path)
    assert worker._worth_a_worker(path, fmt)
    streamed = list(worker.read_rows(path, fmt))
    in_process = list(rows_of(iter_statement_file(path)))
    assert [len(statement.rows) for statement in streamed] == [400] * 6 + [100]
    assert [replace(statement, rows=with_keys(statement.rows)) for statement in streamed] == in_process


def test_the_worker_computes_the_writers_keys_only_while_the_writer_is_behind(tmp_path: Path) -> None:
    """Dedupe keys are the writer's work: a worker whose rows wait unread computes them (the writer is the slower
    side), one whose rows are taken at once leaves them to the writer (`with_keys` gives the same keys)."""
    path = write_camt053(tmp_path / "s.xml", 800, per_statement=400)  # a statement is more than a pipe holds
    statements = list(iter_statement_file(path))
    read_end, write_end = os.pipe()
    sender = worker._Sender(open(write_end, "wb"))
    assert not sender.behind()  # nothing sent
    first = statement_rows(statements[0], keyed=sender.behind())
    sender.send(("rows", first))  # nobody reads: most of it waits in this process
    assert sender.behind()
    keyed = statement_rows(statements[1], keyed=sender.behind())
    with open(read_end, "rb") as channel:
        pickle.load(channel)  # the writer catches up
        sender.finish()
    assert not sender.behind()
    assert {row[-1] for row in first.rows} == {None}
    assert all(row[-1] for row in keyed.rows)
    assert with_keys(first.rows) == statement_rows(statements[0]).rows


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
    monkeypatch.setattr(worker.sys, "executable", "/bin/false")  # a child that exits without a word …
    monkeypatch.setattr(worker, "_produce", lambda _path, _channel: os._exit(3))  # … whichever way it started
    with pytest.raises(StatementFormatError, match="stopped unexpectedly"):
        list(worker.read_rows(path, "camt"))


@pytest.mark.usefixtures("always_worker")
def test_an_abandoned_worker_is_ended_and_collected(tmp_path: Path) -> None:
    reader = worker.WorkerReader(write_mt940(tmp_path / "s.sta", 20_000), "mt940")
    pid = reader._process.pid
    reader.close()  # nobody reads its rows: an error before the import began
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # collected: no zombie left


def test_a_command_forks_its_worker_and_a_window_spawns_it_or_in_a_bundle_reads_in_process(tmp_path: Path) -> None:
    """A fork copies only the calling thread: a starting command is one thread without Qt, a GUI is not."""
    if worker.cores() < 2:
        pytest.skip("one core: no early worker")
    path = write_mt940(tmp_path / "s.sta", 20)
    code = (
        "import sys, threading\n"
        "from pathlib import Path\n"
        "from app.services.statements import worker\n"
        "def kind():\n"
        "    reader = worker.start_reader(Path(sys.argv[1]))\n"
        "    reader.close()\n"
        "    return type(reader._process).__name__\n"
        "print(kind())\n"
        "sys.frozen = True\n"  # the bundle: no `python -m`, so a command forks and a window reads in-process
        "print(kind())\n"
        "import PySide6.QtCore\n"
        "print(worker.start_reader(Path(sys.argv[1])))\n"
        "del sys.frozen\n"
        "print(kind())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["ForkedWorker", "ForkedWorker", "None", "Popen"]


def test_small_zipped_and_csv_files_stay_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = write_camt053(tmp_path / "small.xml", 10)
    assert not worker._worth_a_worker(small, "camt")
    monkeypatch.setattr(worker, "WORKER_MIN_BYTES", 0)
    assert worker._worth_a_worker(small, "camt")
    assert not worker._worth_a_worker(small, "zip") and not worker._worth_a_worker(small, "csv")


def test_a_reader_started_before_the_ledger_opens_gives_the_same_import(tmp_path: Path) -> None:
    """What `kontor import statement` does: the first file is read while the ledger's code loads and its key is
    derived; the import is the same, and every started worker is reaped, used or not."""
    small = write_mt940(tmp_path / "small.sta", 120, per_statement=50)
    other = write_camt053(tmp_path / "other.xml", 30)
    early, unused = worker.start_reader(small), worker.start_reader(other)
    assert early is not None and early.format == "mt940"
    assert unused is not None and unused.format == "camt"
    ledger = new_ledger(tmp_path / "w.kontor", "pw", company_name="Worker GmbH")
    try:
        [result] = import_statement_files(ledger, [small], actor="test", started=[early, unused])
        assert (result.error, result.new, result.duplicates) == ("", 120, 0)
        assert early._process.returncode is not None and unused._process.returncode is not None
        [again] = import_statement_files(ledger, [small], actor="test")  # in-process this time: same keys
        assert (again.new, again.duplicates) == (0, 120)
    finally:
        ledger.close()


def test_only_camt_and_mt940_files_are_started_early(tmp_path: Path) -> None:
    csv = tmp_path / "konto.csv"
    csv.write_text("Buchungstag;Betrag;Verwendungszweck\n01.02.2026;12,50;Miete\n", encoding="utf-8")
    zipped = tmp_path / "s.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(write_mt940(tmp_path / "z.sta", 5), "z.sta")
    assert worker.start_reader(csv) is None
    assert worker.start_reader(zipped) is None
    assert worker.start_reader(tmp_path / "missing.sta") is None  # the import reports it with its usual message


def test_a_started_reader_of_a_broken_file_reports_file_and_line(tmp_path: Path) -> None:
    good = write_camt053(tmp_path / "good.xml", 200, per_statement=100)
    broken = tmp_path / "broken.xml"
    text = good.read_text(encoding="utf-8")
    broken.write_text(text[: text.rindex("<Ntry>") + 30], encoding="utf-8")
    reader = worker.start_reader(broken)
    assert reader is not None
    ledger = new_ledger(tmp_path / "w.kontor", "pw", company_name="Worker GmbH")
    try:
        [result] = import_statement_files(ledger, [broken], actor="test", started=[reader])
        assert result.error.startswith("broken.xml: line ")
        with ledger.session() as session:
            assert session.scalar(select(func.count(Transaction.id))) == 0
    finally:
        ledger.close()


def test_no_early_reader_on_a_single_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On one core the worker would only take turns with the command: the file is read in-process as before."""
    monkeypatch.setattr(worker, "cores", lambda: 1)
    assert worker.start_reader(write_mt940(tmp_path / "s.sta", 20)) is None


def test_the_worker_parses_ahead_of_a_parent_that_reads_nothing_yet() -> None:
    """The parent loads the ledger's code before it reads: statements far beyond a pipe's 64 KiB are parsed and
    queued meanwhile, and arrive whole and in order once it reads; a parent gone is an error for the worker."""
    read_end, write_end = os.pipe()
    with open(write_end, "wb") as channel, open(read_end, "rb") as source:
        sender = worker._Sender(channel)
        statements = [("rows", [f"row {n}-{i}" * 40 for i in range(5000)]) for n in range(3)]  # 3 x 1.3 MB
        producer = threading.Thread(target=lambda: [sender.send(message) for message in statements])
        producer.start()
        producer.join(timeout=10)
        assert not producer.is_alive(), "the producer waited for the reader"
        sender.send(("done", None))
        finishing = threading.Thread(target=sender.finish)
        finishing.start()
        assert [pickle.load(source) for _message in range(4)] == [*statements, ("done", None)]
        finishing.join(timeout=10)
        assert not finishing.is_alive()

    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "wb", buffering=0) as channel:
        sender = worker._Sender(channel)
        sender.send(("rows", ["x" * 100]))
        with pytest.raises(BrokenPipeError):
            sender.finish()


def test_a_forked_worker_loads_only_what_reading_its_file_needs() -> None:
    """A command forks the worker first thing (app.launch), and its imports before the first booking are on the
    path the user waits for: no database stack, no folders, no process spawning, no reader of another format, no
    translation catalogue until a text is translated."""
    script = (
        "import sys\n"
        "import app.services.statements.worker, app.services.statements.camt\n"
        "unneeded = ('sqlalchemy', 'platformdirs', 'subprocess', 'zipfile', 'app.services.statements.mt940')\n"
        "print(sorted(name for name in unneeded if name in sys.modules))\n"
        "from app.services import i18n\n"
        "print(type(i18n._translation).__name__)\n"  # the catalogue: not read until a text is translated
        "print(i18n._('Cancel'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60, env=_german()
    )
    assert done.stdout.split() == ["[]", "_UntilAsked", "Abbrechen"]


def _german() -> dict[str, str]:
    return {**os.environ, "KONTOR_LANG": "de"}
