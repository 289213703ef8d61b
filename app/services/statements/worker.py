"""Large statement files are read in a worker process that streams ledger rows back while the ledger writes them.

Parsing is Python work and writing the encrypted ledger largely C work; in one process the two take turns under
the GIL, in two they run on two cores. Small files (the daily case) are read in-process: starting a worker costs
more than it saves, unless it starts before the ledger is even open (`start_reader`, what `kontor import` does:
the file is read while the command loads the ledger's code and derives its key). The worker is a plain `python -m`
child talking pickle over its stdout, not multiprocessing, so that it never re-imports the caller's main module;
it reads at most `AHEAD_BYTES` of rows ahead of the ledger. A caller that is one thread without Qt (a command
starting, on Linux) forks instead (`forked_worker`): the copy parses at once, without a new interpreter and its
imports (50 ms of CPU on the core it shares with the key derivation, `helper_core`); `kontor import statement`
forks it before even this module loads (app.launch).

Run as `python -m app.services.statements.worker FILE` it is that worker.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from app.services.gc_pause import collector_paused
from app.services.helper_core import cores, forget, keep_to_helper_core, release
from app.services.i18n import _, current_language
from app.services.statements.forked_worker import ForkedWorker, take_early
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import detect_format, is_zip, iter_statement_file
from app.services.statements.rows import StatementRows, rows_of, statement_rows

if TYPE_CHECKING:
    import subprocess

    from app.services.statements.bank_csv import CsvMapping

WORKER_MIN_BYTES = 4 << 20
AHEAD_BYTES = 16 << 20
_PIECE = 1 << 20
WORKER_FORMATS = ("camt", "mt940")  # a CSV needs the caller's mapping; a ZIP is read member by member in-process
_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_SNIFF_BYTES = 4096


class WorkerReader:
    """A worker process reading one CAMT or MT940 file, started when this is made; `rows()` receives its statements.

    `close()` ends a worker whose rows nobody wants (an error, an abandoned import) and reaps it.
    """

    def __init__(self, path: Path, fmt: str, started: ForkedWorker | None = None) -> None:
        self.path = path
        self.format = fmt
        self._process: subprocess.Popen[bytes] | ForkedWorker = started or (
            ForkedWorker(path) if _fork_is_safe() else _spawned(path)
        )
        keep_to_helper_core(self._process.pid)  # before it starts its sender thread, which inherits the place

    def rows(self) -> Iterator[StatementRows]:
        """The statements as the worker sends them; StatementFormatError as the readers raise it."""
        assert self._process.stdout is not None
        release(self._process.pid)  # the caller waits for it from now on: the worker may use either core
        try:
            yield from _receive(self.path, self._process.stdout)
        finally:
            self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        forget(self._process.pid)
        if self._process.stdout is not None:
            self._process.stdout.close()


def _spawned(path: Path) -> subprocess.Popen[bytes]:
    import subprocess  # not for a fork, which starts before a command's modules and loads only what it needs

    environment = dict(os.environ)
    environment["KONTOR_LANG"] = current_language()  # its errors are in the user's language
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_PROJECT_ROOT), environment.get("PYTHONPATH"))))
    command = [sys.executable, "-m", "app.services.statements.worker", str(path)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=environment)


def _fork_is_safe() -> bool:
    """A fork copies only the calling thread: safe in a process of one thread that has not loaded Qt (whose
    own threads and display connection would be copied half), on Linux (macOS's system libraries are not)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1 and "PySide6.QtCore" not in sys.modules


def start_reader(path: Path) -> WorkerReader | None:
    """A worker already reading `path` whatever its size, for a caller that has other work before it can write
    (opening the ledger); None for a file the in-process reader takes (CSV, ZIP, unreadable: it reports those), and
    on a single core, where the worker would only take turns with the caller. A worker `kontor` forked for the
    file before this module loaded (forked_worker.fork_early) is the one used."""
    early = take_early(path)
    fmt = _worker_format(path) if _workers_possible() and cores() >= 2 else None
    if fmt is None:
        if early is not None:
            early.end()
        return None
    try:
        return WorkerReader(path, fmt, early)
    except OSError:  # no process to be had: the import reads in-process
        return None


def _worker_format(path: Path) -> str | None:
    try:
        if is_zip(path):
            return None
        with path.open("rb") as stream:
            fmt = detect_format(path.name, stream.read(_SNIFF_BYTES))
    except (OSError, StatementFormatError):
        return None
    return fmt if fmt in WORKER_FORMATS else None


def read_rows(
    path: Path, fmt: str, *, profile: str | None = None, mapping: CsvMapping | None = None
) -> Iterator[StatementRows]:
    """The statements of path as ledger rows, one statement at a time; StatementFormatError as the readers raise it.

    `fmt` is what `statement_import.file_format` found ("camt", "mt940", "csv" or "zip").
    """
    if _worth_a_worker(path, fmt):
        yield from WorkerReader(path, fmt).rows()
    else:
        yield from rows_of(iter_statement_file(path, profile=profile, mapping=mapping))


def _receive(path: Path, channel: IO[bytes]) -> Iterator[StatementRows]:
    while True:
        try:
            kind, payload = pickle.load(channel)
        except (EOFError, pickle.UnpicklingError):
            raise StatementFormatError(path.name, "", _("the statement reader stopped unexpectedly")) from None
        if kind == "rows":
            yield payload
        elif kind == "error":
            raise StatementFormatError(*payload)
        else:
            return


def _workers_possible() -> bool:
    """A worker is forked, or started as `python -m`, which a bundled app has not: its commands fork one."""
    return _fork_is_safe() or not getattr(sys, "frozen", False)


def _worth_a_worker(path: Path, fmt: str) -> bool:
    if fmt not in WORKER_FORMATS or not _workers_possible():
        return False
    try:
        return path.stat().st_size >= WORKER_MIN_BYTES
    except OSError:
        return False  # the in-process reader reports it with the usual message


def _produce(path: Path, channel: BinaryIO) -> None:
    """Parse and send each statement's rows; the last message says how it ended.

    A thread sends while parsing goes on: the parent reads nothing while it loads the ledger's code and derives
    its key (0.3 s), and a pipe holds 64 KiB, so without it the worker would wait there too. Up to `AHEAD_BYTES`
    of pickled statements wait in this process (a year's statements of a busy account; a bigger file streams).
    """
    sender = _Sender(channel)
    try:
        with collector_paused():
            for statement in iter_statement_file(path):
                # The rows' dedupe keys are the writer's work: done here while the writer is behind (loading its
                # code, or writing slower than this reads), left to it when this is the slower side.
                sender.send(("rows", statement_rows(statement, keyed=sender.behind())))
    except StatementFormatError as error:
        sender.send(("error", (error.source, error.where, error.reason)))
    else:
        sender.send(("done", None))
    sender.finish()


class _Sender:
    """Pickled messages written to a channel by a thread, at most `AHEAD_BYTES` behind the producer."""

    def __init__(self, channel: BinaryIO) -> None:
        self._channel = channel
        self._pending: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._room = threading.Semaphore(AHEAD_BYTES // _PIECE)
        self._failure: BaseException | None = None
        self._queued = self._written = 0  # bytes; each counted by one thread only
        self._thread = threading.Thread(target=self._write, name="statement-sender", daemon=True)
        self._thread.start()

    def send(self, message: object) -> None:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        # No memo: messages hold no object twice that matters and none that refers to itself, and keeping a memo
        # of every string is half the pickling (a CAMT statement of 1,000 bookings: 2.4 ms of 1.1 ms without).
        pickler.fast = True
        pickler.dump(message)
        data = buffer.getbuffer()
        for start in range(0, len(data), _PIECE):
            while not self._room.acquire(timeout=0.1):
                self._raise_failure()
            piece = bytes(data[start : start + _PIECE])
            self._queued += len(piece)
            self._pending.put(piece)

    def behind(self) -> bool:
        """Whether the reader has not taken everything sent so far: it is the slower side."""
        return self._written < self._queued

    def finish(self) -> None:
        """Wait until everything is written; a failed write (the reader went away) is raised here."""
        self._pending.put(None)
        self._thread.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _write(self) -> None:
        try:
            while (piece := self._pending.get()) is not None:
                self._channel.write(piece)
                self._written += len(piece)
                self._room.release()
            self._channel.flush()
        except BaseException as error:  # handed to the producer, which ends the worker with it
            self._failure = error


def serve(path: Path, channel: BinaryIO) -> int:
    """The worker's work on `channel`; a reader that went away (the parent ended or was killed) ends it quietly."""
    try:
        _produce(path, channel)
    except (BrokenPipeError, KeyboardInterrupt):
        # Nobody reads any more: point the channel at nothing, so that a final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), channel.fileno())
        return 1
    return 0


def _main(path: Path) -> int:
    """Run as `python -m app.services.statements.worker FILE`: the rows go to stdout."""
    return serve(path, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1])))
