"""Large statement files are read in a worker process that streams ledger rows back while the ledger writes them.

Parsing is Python work and writing the encrypted ledger largely C work; in one process the two take turns under
the GIL, in two they run on two cores. Small files (the daily case) are read in-process: starting a worker costs
more than it saves. The worker is a plain `python -m` child talking pickle over its stdout, not multiprocessing,
so that it never re-imports the caller's main module; the pipe's buffer keeps it at most a few statements ahead.

Run as `python -m app.services.statements.worker FILE` it is that worker.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from app.services.gc_pause import collector_paused
from app.services.statements.bank_csv import CsvMapping
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import iter_statement_file
from app.services.statements.rows import StatementRows, rows_of

WORKER_MIN_BYTES = 4 << 20
_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def read_rows(
    path: Path, fmt: str, *, profile: str | None = None, mapping: CsvMapping | None = None
) -> Iterator[StatementRows]:
    """The statements of path as ledger rows, one statement at a time; StatementFormatError as the readers raise it.

    `fmt` is what `statement_import.file_format` found ("camt", "mt940", "csv" or "zip").
    """
    if not _worth_a_worker(path, fmt):
        yield from rows_of(iter_statement_file(path, profile=profile, mapping=mapping))
        return
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_PROJECT_ROOT), environment.get("PYTHONPATH"))))
    command = [sys.executable, "-m", "app.services.statements.worker", str(path)]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=environment) as worker:
        assert worker.stdout is not None
        try:
            yield from _receive(path, worker.stdout)
        finally:
            if worker.poll() is None:
                worker.kill()  # the consumer gave up (an error, or the import was abandoned)


def _receive(path: Path, channel: IO[bytes]) -> Iterator[StatementRows]:
    while True:
        try:
            kind, payload = pickle.load(channel)
        except (EOFError, pickle.UnpicklingError):
            raise StatementFormatError(path.name, "", "the statement reader stopped unexpectedly") from None
        if kind == "rows":
            yield payload
        elif kind == "error":
            raise StatementFormatError(*payload)
        else:
            return


def _worth_a_worker(path: Path, fmt: str) -> bool:
    if fmt not in ("camt", "mt940") or getattr(sys, "frozen", False):  # a bundled app has no `python -m`
        return False
    try:
        return path.stat().st_size >= WORKER_MIN_BYTES
    except OSError:
        return False  # the in-process reader reports it with the usual message


def _produce(path: Path, channel: BinaryIO) -> None:
    """Parse and send each statement's rows; the last message says how it ended."""
    try:
        with collector_paused():
            for rows in rows_of(iter_statement_file(path)):
                pickle.dump(("rows", rows), channel, protocol=pickle.HIGHEST_PROTOCOL)
    except StatementFormatError as error:
        pickle.dump(("error", (error.source, error.where, error.reason)), channel)
    else:
        pickle.dump(("done", None), channel)
    channel.flush()


def _main(path: Path) -> int:
    """Run as the worker; a reader that went away (the parent ended or was killed) ends it quietly."""
    try:
        _produce(path, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        # Nobody reads any more: point stdout at nothing, so that the interpreter's final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1])))
