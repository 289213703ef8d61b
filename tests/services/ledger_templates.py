"""New test ledgers as copies of one made per process: creating an encrypted ledger costs a key derivation and
every migration (about 0.2 s), copying it a file copy and one unlock.

Tests about creating a ledger keep calling `Ledger.create`; everything else starts from `new_ledger`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from app.services.ledger.database import Ledger

_templates: dict[tuple[str, str], Path] = {}
_folder = tempfile.TemporaryDirectory(prefix="kontor-templates-")


def new_ledger(path: Path, passphrase: str, *, company_name: str) -> Ledger:
    """What `Ledger.create(path, passphrase, company_name=…)` returns, made from a cached template file."""
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
