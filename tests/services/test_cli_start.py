"""`kontor` loads only the command modules of the command it runs (app.cli.COMMANDS), and no service stack for
the GUI or for help-free parsing of a command that does not need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import COMMAND_MODULES, COMMANDS, build_parser, command_word
from app.launch import GLOBAL_VALUES, STATEMENT_VALUES, first_statement_file
from app.services.helper_core import cores
from bench.statement_data import write_mt940

# What the first window and `kontor --version` must not wait for (PERFORMANCE.md §5).
HEAVY = ("sqlalchemy", "sqlcipher3", "keyring", "lxml", "fints", "schwifty", "rapidfuzz", "alembic", "sepaxml")


def _subcommands(parser: object) -> dict[str, object]:
    actions = [action for action in parser._actions if action.dest == "command"]  # type: ignore[attr-defined]
    return dict(actions[0].choices)


def test_the_command_table_names_every_command_and_its_modules() -> None:
    full = _subcommands(build_parser())
    assert set(full) == set(COMMANDS)
    for command, modules in COMMANDS.items():
        assert set(modules) <= set(COMMAND_MODULES)
        alone = _subcommands(build_parser(command))
        assert command in alone
        # the command's own parser is the same as in the full parser: its sub-commands and options
        assert _subcommands_or_options(alone[command]) == _subcommands_or_options(full[command]), command


def _subcommands_or_options(parser: object) -> set[str]:
    names: set[str] = set()
    for action in parser._actions:  # type: ignore[attr-defined]
        names.update(action.option_strings or [action.dest])
        if action.choices and isinstance(action.choices, dict):
            names.update(action.choices)
    return names


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        ([], ""),
        (["--ledger", "import", "gui"], "gui"),
        (["--debug", "--ledger=x.kontor", "import", "statement", "a.sta"], "import"),
        (["--json", "match", "--dry-run"], "match"),
        (["--help"], None),
        (["import", "--help"], "import"),
        (["nonsense"], None),
    ],
)
def test_command_word(argv: list[str], word: str | None) -> None:
    assert command_word(argv) == word


@pytest.mark.parametrize("argv", [["gui"], ["--version"], []])
def test_gui_and_version_start_without_the_service_stack(argv: list[str]) -> None:
    script = (
        "import sys\nfrom app.cli import build_parser, command_word\n"
        f"build_parser(command_word({argv!r}))\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_command_is_reported_with_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "nonsense"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "pay" in result.stderr and "import" in result.stderr


def test_the_ledger_stack_loads_no_server_dialect() -> None:
    """Every command on a ledger file imports the models and the database module; PostgreSQL's dialect and
    driver come only with a server URL (a `postgresql_where` in a model once added 20 ms to every command)."""
    script = (
        "import sys\nimport app.models.schema, app.services.ledger.database\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy.dialects.postgresql', 'psycopg'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "first"),
    [
        (["import", "statement", "a.sta", "b.xml"], "a.sta"),
        (["--ledger", "x.kontor", "--json", "import", "statement", "--account", "DE02", "--map=x", "a.csv"], "a.csv"),
        (["import", "statement", "--profile", "sparkasse", "--save-profile", "mine", "a.csv"], "a.csv"),
        (["--ledger", "import", "import", "statement", "a.sta"], "a.sta"),  # a ledger file named "import"
        (["import", "invoices", "a.csv"], None),
        (["import", "statement", "--help"], None),
        (["import", "statement", "--", "-odd.sta"], None),
        (["export", "transactions", "--out", "x.csv"], None),
        ([], None),
    ],
)
def test_the_first_statement_file_is_found_without_the_parser(argv: list[str], first: str | None) -> None:
    found = first_statement_file(argv)
    assert (str(found) if found else None) == first
    if first is not None:  # the parser reads the same
        args = build_parser(command_word(argv)).parse_args(argv)
        assert str(args.files[0]) == first


def test_the_scan_knows_every_option_that_takes_a_value() -> None:
    def taking_values(parser: object) -> set[str]:
        return {
            option
            for action in parser._actions  # type: ignore[attr-defined]
            if action.option_strings and action.nargs != 0 and not action.choices
            for option in action.option_strings
            if option.startswith("--")
        }

    full = build_parser()
    group = _subcommands(full)["import"]
    [choices] = [action.choices for action in group._actions if isinstance(action.choices, dict)]  # type: ignore[attr-defined]
    statement = choices["statement"]
    assert taking_values(full) == set(GLOBAL_VALUES)
    assert taking_values(statement) == set(STATEMENT_VALUES)


def test_an_import_forks_its_reader_before_the_command_line_loads(tmp_path: Path) -> None:
    """`kontor import statement` (app.launch) forks the first file's worker before app.cli and the reader's code
    load; the import takes that worker, and one forked for a file the parser read differently is ended."""
    if cores() < 2 or not sys.platform.startswith("linux"):
        pytest.skip("forks its reader only on Linux with two cores or more")
    path, other = write_mt940(tmp_path / "s.sta", 300, per_statement=100), write_mt940(tmp_path / "o.sta", 10)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app import launch\n"
        "from app.services.statements import forked_worker\n"
        "launch.start_early(['import', 'statement', sys.argv[1]])\n"
        "[early] = forked_worker._early\n"
        "print(sorted(m for m in ('app.cli', 'app.services.statements.worker') if m in sys.modules))\n"
        "from app.services.statements import worker\n"
        "reader = worker.start_reader(Path(sys.argv[1]))\n"
        "print(reader._process is early, [len(statement.rows) for statement in reader.rows()])\n"
        "launch.start_early(['import', 'statement', sys.argv[1]])\n"
        "[guessed] = forked_worker._early\n"
        "reader = worker.start_reader(Path(sys.argv[2]))\n"
        "print(reader._process is guessed, guessed.returncode is not None, forked_worker._early)\n"
        "reader.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(other)], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["[]", "True [100, 100, 100]", "False True []"]
