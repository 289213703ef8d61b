"""The e-invoice file an invoice was imported from, given back as it was received.

Its SHA-256 was recorded in the audit log when it was imported; it is checked again before the file is handed
out, so what the bookkeeper opens is provably what arrived. The viewing copy goes to a private folder (0700) of
Kontor's, because an invoice is business data and the system's temporary folder is shared.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.models.schema import Invoice, InvoiceDocument
from app.services.errors import KontorError
from app.services.i18n import _
from app.services.ledger.database import Ledger
from app.services.paths import state_dir
from app.services.private_files import make_parent, open_private, private_dir

_UNSAFE = re.compile(r"[^\w.-]+")


class OriginalError(KontorError):
    """No original kept for this invoice, or one that no longer matches its digest."""


@dataclass(frozen=True, slots=True)
class Original:
    invoice_number: str
    filename: str
    media_type: str
    digest: str
    data: bytes


def invoice_original(ledger: Ledger, invoice_id: int) -> Original:
    with ledger.session() as session:
        found = session.execute(
            select(Invoice.number, InvoiceDocument)
            .join(InvoiceDocument, InvoiceDocument.invoice_id == Invoice.id)
            .where(Invoice.id == invoice_id)
        ).one_or_none()
    if found is None:
        raise OriginalError(_("No original file is kept for this invoice; only e-invoices bring one."))
    number, document = found
    if hashlib.sha256(document.data).hexdigest() != document.digest:
        raise OriginalError(
            _("The original of invoice {number} does not match the digest recorded at its import.").format(
                number=number
            )
        )
    return Original(number, document.filename, document.media_type, document.digest, document.data)


def invoice_id_by_number(ledger: Ledger, number: str, kind: str | None = None) -> int:
    """The invoice of that number; with both a receivable and a payable of it, `kind` must say which."""
    query = select(Invoice.id).where(Invoice.number == number)
    if kind:
        query = query.where(Invoice.kind == kind)
    with ledger.session() as session:
        ids = list(session.scalars(query))
    if not ids:
        raise OriginalError(_("No invoice {number}.").format(number=number))
    if len(ids) > 1:
        raise OriginalError(
            _("{number} is both a receivable and a payable; say which with --kind.").format(number=number)
        )
    return ids[0]


def write_original(original: Original, target: Path) -> Path:
    make_parent(target)
    with open_private(target, "wb") as out:
        out.write(original.data)
    return target


def viewing_copy(original: Original) -> Path:
    """A private copy for the desktop's viewer, one folder per file content so that two invoices never collide."""
    folder = private_dir(state_dir() / "originals" / original.digest[:16])
    name = _UNSAFE.sub("_", original.filename).strip("._") or "invoice"
    return write_original(original, folder / name)
