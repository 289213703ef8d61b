"""The statement worker as a fork of the calling process, in a module that loads nothing of Kontor's reader: so
`kontor import statement` can fork it first thing (`fork_early`, from app.launch), and the copy loads the reader's
code and parses while the command loads its own. A fork parses at once, without a new interpreter's start."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import BinaryIO

from app.services.helper_core import cores, keep_to_helper_core

_early: list[ForkedWorker] = []  # started by fork_early, not yet taken


class ForkedWorker:
    """The worker reading `path` as a fork of this process, with what WorkerReader uses of the Popen it replaces."""

    def __init__(self, path: Path) -> None:
        self.path = path
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: never returns into the caller's code, never runs its clean-up
            code = 1
            try:
                os.close(read_end)
                keep_to_helper_core(os.getpid())  # it starts its sender thread at once
                from app.services.statements.worker import serve

                code = serve(path, open(write_end, "wb"))
            finally:
                os._exit(code)
        os.close(write_end)
        self.stdout: BinaryIO = open(read_end, "rb")  # closed by end() or WorkerReader.close
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:  # ended and collected already
            pass

    def wait(self) -> int:
        if self.returncode is None:
            _pid, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def end(self) -> None:
        """End a worker nobody will read from, and collect it."""
        if self.poll() is None:
            self.kill()
        self.wait()
        self.stdout.close()


def fork_early(path: Path) -> None:
    """Begin reading `path` in a fork now, for `take_early` to hand over once the command gets to it. Called before
    the process has threads or Qt (a fork copies only the calling thread), and only where a fork helps: on Linux
    (macOS's system libraries are not fork-safe) with two cores or more."""
    if sys.platform.startswith("linux") and cores() >= 2 and path.is_file():
        _early.append(ForkedWorker(path))


def take_early(path: Path) -> ForkedWorker | None:
    """The worker fork_early started for `path`, handed over once. Any other it started is ended: a guess at the
    command line that its parser read differently."""
    taken = None
    while _early:
        forked = _early.pop()
        if taken is None and forked.path == path:
            taken = forked
        else:
            forked.end()
    return taken
