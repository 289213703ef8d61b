"""The two ledger back ends: a module marked `both_ledgers` runs each test on the file and on a PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import ledger_templates
import pytest
from pg_cluster import Cluster, unavailable_reason


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_ledgers") and "ledger_backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "ledger_backend", ["file", pytest.param("server", marks=pytest.mark.server)], indirect=True
        )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster per test process (per xdist worker), reached with a PGPASSFILE."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = Cluster()
    previous = os.environ.get("PGPASSFILE")
    os.environ["PGPASSFILE"] = str(cluster.passfile)  # as libpq finds a password on a workstation
    try:
        yield cluster
    finally:
        if previous is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = previous
        cluster.stop()


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
