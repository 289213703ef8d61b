"""The two ledger back ends: a module marked `both_ledgers` runs each test on the file and on a PostgreSQL server
(the cluster is tests/conftest.py's `pg_cluster`)."""

from __future__ import annotations

from collections.abc import Iterator

import ledger_templates
import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_ledgers") and "ledger_backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "ledger_backend", ["file", pytest.param("server", marks=pytest.mark.server)], indirect=True
        )


@pytest.fixture(autouse=True)
def ledger_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """ "file" unless the module is marked both_ledgers: then also "server", where new_ledger gives server ledgers."""
    backend: str = getattr(request, "param", "file")
    if backend == "server":
        ledger_templates.use_server(request.getfixturevalue("pg_cluster"))
    try:
        yield backend
    finally:
        ledger_templates.use_server(None)
