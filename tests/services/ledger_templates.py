"""New test ledgers as copies of one made per process: creating an encrypted ledger costs a key derivation and
every migration (about 0.2 s), copying it a file copy and one unlock.

Tests about creating a ledger keep calling `Ledger.create`; everything else starts from `new_ledger`. In a test
run on the server back end (conftest's `ledger_backend`), `new_ledger` gives a server ledger instead: a database
copied from a template database (CREATE DATABASE … TEMPLATE), made per company name like the template files.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

from pg_cluster import Cluster

from app.services.ledger.database import Ledger
from app.services.ledger.server import ServerLedger, create_server, open_server

_templates: dict[tuple[str, str], Path] = {}
_folder = tempfile.TemporaryDirectory(prefix="kontor-templates-")
_cluster: Cluster | None = None  # set while a test runs on the server back end
_server_templates: dict[str, str] = {}  # company name -> template database
_databases = itertools.count()


def use_server(cluster: Cluster | None) -> None:
    """Make `new_ledger` give server ledgers in `cluster` (None: files again)."""
    global _cluster
    _cluster = cluster


def server_url(cluster: Cluster) -> str:
    """The URL of a new, empty database in `cluster`."""
    return cluster.create_database(f"ledger_{next(_databases)}")


def _new_server_ledger(cluster: Cluster, company_name: str) -> Ledger:
    template = _server_templates.get(company_name)
    if template is None:
        template = f"template_{len(_server_templates)}"
        create_server(cluster.create_database(template), company_name=company_name).close()
        _server_templates[company_name] = template
    return open_server(cluster.create_database(f"ledger_{next(_databases)}", template=template))


def new_ledger(path: Path, passphrase: str, *, company_name: str) -> Ledger:
    """What `Ledger.create(path, passphrase, company_name=…)` returns, made from a cached template file."""
    if _cluster is not None:
        return _new_server_ledger(_cluster, company_name)
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    template = _templates.get((passphrase, company_name))
    if template is None:
        template = Path(_folder.name) / f"{len(_templates)}.kontor"
        Ledger.create(template, passphrase, company_name=company_name).close()
        _templates[(passphrase, company_name)] = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return Ledger.open(path, passphrase)


def reopen(ledger: Ledger, passphrase: str) -> Ledger:
    """A second Ledger over the same file or database, with an engine of its own (as another process has)."""
    if isinstance(ledger, ServerLedger):
        return open_server(ledger.address.url)
    return Ledger.open(ledger.path, passphrase)
