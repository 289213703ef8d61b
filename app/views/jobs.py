"""Background work for the GUI, in the spirit of Anki's QueryOp: services block in a worker, results come back
as signals on the GUI thread, and worker-side prompts are answered by the GUI through futures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, InvalidStateError
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QMetaMethod, QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.services.i18n import _
from app.views.errors import present_error

if TYPE_CHECKING:  # the first window paints before the banking stack is imported
    from app.services.banking.prompts import PayeeCheck, TanChallenge, TanMechanismOption

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
JobFunction = Callable[[threading.Event, Progress], Any]
PROGRESS_INTERVAL = 0.05  # seconds between two progress signals, so a fast loop cannot flood the GUI
PROGRESS_DELAY_MS = 500  # a progress dialog for jobs that are still running after this


def _unless_gone(parent: QWidget | None, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A result that arrives after its page was closed (the ledger locked meanwhile) is dropped."""
    if parent is None:
        return callback

    def deliver(value: Any) -> None:
        if shiboken6.isValid(parent):
            callback(value)

    return deliver


class SharedExclusiveLock:
    """Many jobs at once, or one exclusive job alone (re-encrypting needs the ledger file to itself)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._exclusive and not self._exclusive_waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                self._shared -= 1
                self._condition.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._exclusive_waiting += 1
            self._condition.wait_for(lambda: not self._exclusive and not self._shared)
            self._exclusive_waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._condition:
                self._exclusive = False
                self._condition.notify_all()


class JobSignals(QObject):
    """Created on the GUI thread, so slots connected here run there."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()


class Job(QRunnable):
    """Runs `fn(cancel, progress)` on a pool thread; cancel is cooperative (the function checks the event)."""

    def __init__(
        self,
        fn: JobFunction,
        *,
        writer_lock: threading.Lock | None = None,
        access: SharedExclusiveLock | None = None,
        exclusive: bool = False,
        name: str = "",
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps the Python object alive until `finished`
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "job")
        self.cancel = threading.Event()
        self.signals = JobSignals()
        self._writer_lock = writer_lock
        self._access = access
        self._exclusive = exclusive
        self._last_progress = 0.0

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.signals.progressed.emit(done, total)

    def run(self) -> None:
        try:
            with ExitStack() as stack:
                if self._access is not None:
                    stack.enter_context(self._access.exclusive() if self._exclusive else self._access.shared())
                if self._writer_lock is not None:
                    stack.enter_context(self._writer_lock)
                result = self.fn(self.cancel, self._progress)
        except Exception as error:  # every failure goes to the GUI's error presenter
            log.debug("job %s failed: %s", self.name, error)
            self.signals.failed.emit(error)
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


class QtPrompts(QObject):
    """Lets a worker ask the user (PIN, TAN method, TAN, app approval) and wait; the GUI answers through a future.

    Implements `app.services.banking.prompts.UserPrompts`. Created in, and owned by, the GUI thread. Every future is
    resolved: with the answer, with None on cancel, and with None for all pending prompts on shutdown."""

    pin_requested = Signal(str, object)  # login label, Future[str | None]
    tan_mechanism_requested = Signal(object, object)  # list[TanMechanismOption], Future[str | None]
    tan_medium_requested = Signal(object, object)  # list[str], Future[str | None]
    tan_requested = Signal(object, object)  # challenge, Future[str | None]
    decoupled_waiting = Signal(object, int, object)  # challenge, polls so far, Future[bool | None]
    decoupled_done = Signal(object, bool, object)  # challenge, approved, Future[None]
    password_requested = Signal(str, object)  # prompt text, Future[str | None]
    payee_check_requested = Signal(object, object)  # PayeeCheck, Future[bool | None]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()
        self._answered: set[str] = set()  # signals the GUI connected a handler to, by name

    def connectNotify(self, signal: QMetaMethod) -> None:  # noqa: N802 (Qt's name)
        """Noted on the GUI thread, so a worker learns whether anyone answers without asking Qt: Qt's
        isSignalConnected from a worker holds the GIL while it waits for a Qt lock that the GUI thread, waiting
        for the GIL, may hold (a deadlock seen in the test suite)."""
        with self._lock:
            self._answered.add(signal.name().toStdString())
        super().connectNotify(signal)

    def ask_pin(self, label: str) -> str | None:
        """Blocks the calling worker until the GUI answers; None means the user cancelled."""
        return self._ask("pin_requested", label)

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        """Blocks the calling worker until the user picked a method code; None means cancelled."""
        return self._ask("tan_mechanism_requested", list(options))

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        """Blocks the calling worker until the user picked a medium name; None means cancelled."""
        return self._ask("tan_medium_requested", list(options))

    def ask_tan(self, challenge: object) -> str | None:
        """Blocks the calling worker until the GUI answers; None means the user cancelled."""
        return self._ask("tan_requested", challenge)

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        """Before each status poll: the GUI shows "confirm in your app" and answers False once the user cancelled."""
        return bool(self._ask("decoupled_waiting", challenge, polls))

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None:
        """Lets the GUI close its waiting dialog before the worker goes on."""
        self._ask("decoupled_done", challenge, approved)

    def confirm_payee(self, check: PayeeCheck) -> bool:
        """Blocks the calling worker until the approver decided; anything but "send anyway" stops the transfer."""
        return bool(self._ask("payee_check_requested", check))

    def ask_password(self, prompt: str) -> str | None:
        """Blocks the calling worker until the GUI answers; None means the user cancelled."""
        return self._ask("password_requested", prompt)

    def _ask(self, name: str, *payload: object) -> Any:
        """Emit the signal `name` with the payload and a future, and wait for the GUI's answer."""
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("QtPrompts must be asked from a worker thread, never the GUI thread")
        with self._lock:
            answered = name in self._answered
        if not answered:
            log.warning("nobody answers %s; treating it as cancelled", name)
            return None
        answer: Future[Any] = Future()
        with self._lock:
            self._pending.add(answer)
        try:
            getattr(self, name).emit(*payload, answer)
            return answer.result()
        finally:
            with self._lock:
                self._pending.discard(answer)

    @staticmethod
    def answer(future: Future[Any], value: object) -> None:
        """Resolve a prompt unless shutdown (or an earlier answer) already did."""
        try:
            future.set_result(value)
        except InvalidStateError:
            pass

    def resolve_pending(self) -> None:
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            self.answer(future, None)


class _DelayedProgress(QObject):
    """A progress dialog that appears only if the job is still running after the delay."""

    def __init__(self, job: Job, *, text: str, parent: QWidget | None, delay_ms: int) -> None:
        super().__init__()
        self._job = job
        self._text = text
        self._parent = parent
        self._dialog: QProgressDialog | None = None
        self._done, self._total = 0, 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start(delay_ms)
        job.signals.progressed.connect(self._on_job_progressed)

    def _on_timer_timeout(self) -> None:
        dialog = QProgressDialog(self._text, _("Cancel"), 0, self._total, self._parent)
        dialog.setWindowTitle(_("Kontor"))
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(self._done)
        dialog.canceled.connect(self._job.cancel.set)
        dialog.show()
        self._dialog = dialog

    def _on_job_progressed(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        if self._dialog is not None:
            self._dialog.setMaximum(total)
            self._dialog.setValue(done)

    def close(self) -> None:
        self._timer.stop()
        if self._dialog is not None and shiboken6.isValid(self._dialog):  # its parent window may be gone
            self._dialog.close()
            self._dialog.deleteLater()
        self._dialog = None


class JobRunner(QObject):
    """The GUI's one thread pool: starts jobs, serializes ledger writers, and stops everything on lock or quit."""

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.prompts = QtPrompts(self)
        self.progress_delay_ms = PROGRESS_DELAY_MS
        self._writer_lock = threading.Lock()
        self._access = SharedExclusiveLock()
        self._jobs: dict[Job, _DelayedProgress | None] = {}
        self._later = 0  # > 0 while `later()` is in effect
        self._waiting: list[tuple[Job, QWidget | None]] = []  # jobs started in `later()`, not running yet

    def run(
        self,
        fn: JobFunction,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        writes: bool = False,
        exclusive: bool = False,
        progress_text: str = "",
        parent: QWidget | None = None,
    ) -> Job:
        """Start `fn` on a worker; callbacks run on the GUI thread. Errors go to the presenter unless handled.

        `writes=True` waits for any other writing job first (one writer per ledger, like Anki's executor);
        `exclusive=True` waits until no other job runs and keeps new ones waiting (re-encrypting the file)."""
        job = Job(fn, writer_lock=self._writer_lock if writes else None, access=self._access, exclusive=exclusive)
        if on_success is not None:
            job.signals.succeeded.connect(_unless_gone(parent, on_success))
        failed = on_failure or (lambda error: present_error(error, parent=parent))
        job.signals.failed.connect(_unless_gone(parent, failed))
        job.signals.finished.connect(lambda: self._on_job_finished(job))
        progress = (
            _DelayedProgress(job, text=progress_text, parent=parent, delay_ms=self.progress_delay_ms)
            if progress_text
            else None
        )
        self._jobs[job] = progress
        if self._later:
            self._waiting.append((job, parent))
            QTimer.singleShot(0, self, self._start_waiting)  # after what the caller starts next, not before
        else:
            self.pool.start(job)
        return job

    @contextmanager
    def later(self) -> Iterator[None]:
        """Jobs started meanwhile wait until no other job runs, and then run one at a time.

        A window preloading its hidden pages leaves the processor to the page on screen: jobs share one
        interpreter lock, so eight at once make the first one take several times as long (on a big ledger the
        dashboard's 1.5 s became 4 s). `bring_forward` starts those of a page the user opens at once.
        """
        self._later += 1
        try:
            yield
        finally:
            self._later -= 1

    def bring_forward(self, widget: QWidget) -> None:
        """Start the waiting jobs of `widget` and its children now: the user is looking at it."""
        mine = [job for job, parent in self._waiting if parent is not None and _within(parent, widget)]
        self._waiting = [(job, parent) for job, parent in self._waiting if job not in mine]
        for job in mine:
            self.pool.start(job)

    def _start_waiting(self) -> None:
        if self._waiting and len(self._jobs) == len(self._waiting):  # nothing else runs
            job, _parent = self._waiting.pop(0)
            self.pool.start(job)

    def _on_job_finished(self, job: Job) -> None:
        progress = self._jobs.pop(job, None)
        if progress is not None:
            progress.close()
        self._start_waiting()

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    def cancel_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job, release waiting prompts, and wait; False if a worker is still busy at the timeout."""
        self.prompts.resolve_pending()
        for job, _parent in self._waiting:  # never started: nothing to wait for
            progress = self._jobs.pop(job, None)
            if progress is not None:
                progress.close()
        self._waiting.clear()
        for job in list(self._jobs):
            job.cancel.set()
        finished = self.pool.waitForDone(timeout_ms)
        if not finished:
            log.warning("%d background jobs still running after %d ms", self.pool.activeThreadCount(), timeout_ms)
        return finished


def _within(widget: QWidget, ancestor: QWidget) -> bool:
    return shiboken6.isValid(widget) and (widget is ancestor or ancestor.isAncestorOf(widget))


def run_change(runner: JobRunner, change: Callable[[], object], *, done: Callable[[], None], parent: QWidget) -> Job:
    """A ledger change on a worker, holding the writer lock; `done` runs on the GUI thread once it is committed."""
    return runner.run(lambda cancel, progress: change(), on_success=lambda _result: done(), writes=True, parent=parent)
