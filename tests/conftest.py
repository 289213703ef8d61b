"""Every test runs headless, offline, in English, with its own Kontor home and an in-memory keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pg_cluster import Cluster, unavailable_reason

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KONTOR_LANG"] = "en"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in the test process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def kontor_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    from app.services import i18n

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("KONTOR_HOME", str(home))
    monkeypatch.setenv("KONTOR_LANG", "en")
    monkeypatch.delenv("KONTOR_PASSPHRASE", raising=False)
    monkeypatch.delenv("KONTOR_NEW_PASSPHRASE", raising=False)
    monkeypatch.delenv("KONTOR_PIN", raising=False)
    i18n.set_language("en")
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


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
