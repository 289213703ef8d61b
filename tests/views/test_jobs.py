"""The worker layer with real threads: results, errors, serialized writers, cancel, and the prompt bridge."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest
from PySide6.QtWidgets import QApplication, QProgressDialog

from app.views.jobs import Job, JobFunction, JobRunner, Progress, QtPrompts


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def test_job_reports_progress_and_result(qtbot, runner: JobRunner) -> None:
    def count(cancel: threading.Event, progress: Progress) -> int:
        for step in range(1, 4):
            progress(step, 3)
        return 42

    job = Job(count)
    steps: list[tuple[int, int]] = []
    job.signals.progressed.connect(lambda done, total: steps.append((done, total)))
    with qtbot.waitSignal(job.signals.succeeded, timeout=5000) as blocker:
        runner.pool.start(job)
    assert blocker.args == [42]
    qtbot.waitUntil(lambda: (3, 3) in steps)


def test_job_failure_carries_the_exception(qtbot, runner: JobRunner) -> None:
    def broken(cancel: threading.Event, progress: Progress) -> None:
        raise ValueError("line 7: amount missing")

    job = Job(broken)
    with qtbot.waitSignal(job.signals.failed, timeout=5000) as blocker:
        runner.pool.start(job)
    assert isinstance(blocker.args[0], ValueError)
    assert "line 7" in str(blocker.args[0])


def test_runner_callbacks_run_on_the_gui_thread(qtbot, runner: JobRunner) -> None:
    seen: list[tuple[str, bool]] = []

    def work(cancel: threading.Event, progress: Progress) -> bool:
        return on_main_thread()

    runner.run(work, on_success=lambda in_main: seen.append(("worker ran on main", in_main)))
    runner.run(work, on_success=lambda _result: seen.append(("callback on main", on_main_thread())))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert ("worker ran on main", False) in seen
    assert ("callback on main", True) in seen
    qtbot.waitUntil(lambda: runner.active_jobs == 0)


def test_unhandled_job_failure_goes_to_the_presenter(qtbot, runner: JobRunner, shown_messages) -> None:
    def broken(cancel: threading.Event, progress: Progress) -> None:
        raise OSError("/nowhere/backup.kontor: permission denied")

    runner.run(broken)
    qtbot.waitUntil(lambda: bool(shown_messages), timeout=5000)
    assert "permission denied" in shown_messages[0].text
    assert "Details are in the log" in shown_messages[0].informative


def test_writers_never_overlap(qtbot, runner: JobRunner) -> None:
    inside = 0
    most = 0
    lock = threading.Lock()
    done: list[int] = []

    def write(cancel: threading.Event, progress: Progress) -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        with lock:
            inside -= 1

    for number in range(4):
        runner.run(write, writes=True, on_success=lambda _r, n=number: done.append(n))
    qtbot.waitUntil(lambda: len(done) == 4, timeout=5000)
    assert most == 1


def test_cancel_and_wait_stops_a_cooperative_job(qtbot, runner: JobRunner) -> None:
    started = threading.Event()

    def long_running(cancel: threading.Event, progress: Progress) -> str:
        started.set()
        while not cancel.is_set():
            time.sleep(0.01)
        return "cancelled"

    job = runner.run(long_running)
    assert started.wait(5)
    assert runner.cancel_and_wait(5000)
    assert job.cancel.is_set()


def test_progress_dialog_appears_only_for_long_jobs(qtbot, runner: JobRunner) -> None:
    runner.progress_delay_ms = 50
    release = threading.Event()

    def slow(cancel: threading.Event, progress: Progress) -> None:
        progress(1, 4)
        release.wait(5)

    def quick(cancel: threading.Event, progress: Progress) -> None:
        return None

    def dialogs() -> list[QProgressDialog]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]

    runner.run(quick, progress_text="Quick")
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=5000)
    qtbot.wait(100)
    assert not dialogs()
    job = runner.run(slow, progress_text="Importing…")
    qtbot.waitUntil(lambda: bool(dialogs()), timeout=5000)
    assert [d.labelText() for d in dialogs()] == ["Importing…"]
    with qtbot.waitSignal(job.signals.finished, timeout=5000):
        release.set()
    qtbot.waitUntil(lambda: not dialogs(), timeout=5000)


# -- QtPrompts -------------------------------------------------------------------------------------------
def ask_in_thread(function, *args) -> tuple[threading.Thread, list]:
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(function(*args)), daemon=True)
    thread.start()
    return thread, answers


def test_tan_prompt_is_answered_on_the_gui_thread(qtbot) -> None:
    prompts = QtPrompts()
    slot_threads: list[bool] = []

    def on_tan_requested(challenge: object, future: Future) -> None:
        slot_threads.append(on_main_thread())
        QtPrompts.answer(future, f"TAN for {challenge}")

    prompts.tan_requested.connect(on_tan_requested)
    thread, answers = ask_in_thread(prompts.ask_tan, "transfer 120,00 EUR")
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    thread.join(5)
    assert answers == ["TAN for transfer 120,00 EUR"]
    assert slot_threads == [True]


def test_pending_prompts_are_resolved_with_none_on_shutdown(qtbot) -> None:
    prompts = QtPrompts()
    asked: list[Future] = []
    prompts.password_requested.connect(lambda text, future: asked.append(future))
    thread, answers = ask_in_thread(prompts.ask_password, "PIN for Sparkasse")
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    prompts.resolve_pending()
    thread.join(5)
    assert answers == [None]
    QtPrompts.answer(asked[0], "too late")  # a late answer after shutdown is ignored, not an error


def test_prompt_without_listener_counts_as_cancelled(qtbot) -> None:
    thread, answers = ask_in_thread(QtPrompts().ask_tan, "challenge")
    thread.join(5)
    assert answers == [None]


def test_prompt_refuses_the_gui_thread(qapp) -> None:
    with pytest.raises(RuntimeError):
        QtPrompts().ask_tan("challenge")


def test_exclusive_job_runs_alone(qtbot, runner: JobRunner) -> None:
    reading = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def read(cancel: threading.Event, progress: Progress) -> None:
        reading.set()
        release.wait(5)
        order.append("read done")

    def rekey(cancel: threading.Event, progress: Progress) -> None:
        order.append("rekey")

    runner.run(read)
    assert reading.wait(5)
    runner.run(rekey, exclusive=True)
    time.sleep(0.1)
    assert order == []  # the exclusive job waits for the running reader
    release.set()
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=5000)
    assert order == ["read done", "rekey"]


def test_a_prompt_nobody_answers_is_cancelled_without_asking_qt_from_the_worker(qtbot) -> None:
    prompts = QtPrompts()
    thread, answers = ask_in_thread(prompts.ask_pin, "demo @ Kontor Demobank")
    thread.join(timeout=10)
    assert answers == [None]  # no PIN dialog is connected: cancelled at once, not a worker waiting forever


def _recorder(log: list[str], name: str, gate: threading.Event | None = None) -> JobFunction:
    def job(cancel: threading.Event, progress: Progress) -> None:
        log.append(f"{name} start")
        if gate is not None:
            gate.wait(5)
        time.sleep(0.02)
        log.append(f"{name} end")

    return job


def test_jobs_started_later_wait_for_the_others_and_run_one_at_a_time(qtbot, runner: JobRunner) -> None:
    log: list[str] = []
    gate = threading.Event()
    with runner.later():
        for name in ("hidden 1", "hidden 2", "hidden 3"):
            runner.run(_recorder(log, name))
    runner.run(_recorder(log, "on screen", gate))  # started after them, runs before them
    qtbot.waitUntil(lambda: "on screen start" in log, timeout=5000)
    qtbot.wait(100)
    assert log == ["on screen start"]  # the later ones wait while it runs
    gate.set()
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=5000)
    assert log == [
        "on screen start",
        "on screen end",
        "hidden 1 start",
        "hidden 1 end",
        "hidden 2 start",
        "hidden 2 end",
        "hidden 3 start",
        "hidden 3 end",
    ]


def test_a_page_brought_forward_runs_its_waiting_jobs_at_once(qtbot, runner: JobRunner) -> None:
    from PySide6.QtWidgets import QLabel, QWidget

    log: list[str] = []
    gate = threading.Event()
    page, other = QWidget(), QWidget()
    child = QLabel(page)
    qtbot.addWidget(page)
    qtbot.addWidget(other)
    runner.run(_recorder(log, "busy", gate))
    with runner.later():
        runner.run(_recorder(log, "other page"), parent=other)
        runner.run(_recorder(log, "opened page"), parent=child)
    qtbot.wait(100)
    assert log == ["busy start"]
    runner.bring_forward(page)
    qtbot.waitUntil(lambda: "opened page end" in log, timeout=5000)
    assert "other page start" not in log  # still waiting for the busy job
    gate.set()
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=5000)
    assert log.index("other page start") > log.index("busy end")


def test_waiting_jobs_are_dropped_when_the_runner_stops(qtbot, runner: JobRunner) -> None:
    log: list[str] = []
    gate = threading.Event()
    runner.run(_recorder(log, "busy", gate))
    with runner.later():
        runner.run(_recorder(log, "never"))
    qtbot.waitUntil(lambda: "busy start" in log, timeout=5000)
    gate.set()
    assert runner.cancel_and_wait(5000)
    qtbot.wait(100)
    assert "never start" not in log and runner.active_jobs == 0
