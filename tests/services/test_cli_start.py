"""`kontor` loads only the command modules of the command it runs (app.cli.COMMANDS), and no service stack for
the GUI or for help-free parsing of a command that does not need it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.cli import COMMAND_MODULES, COMMANDS, build_parser, command_word

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
