"""An invoice import followed by a matching run: new invoices may be what waiting payments paid.

Apart from `automatic`, so that a matching run does not load the CSV and e-invoice importers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.services.invoices.einvoice_import import import_einvoices
from app.services.invoices.importing import InvoiceImportResult, combined_result, import_invoices
from app.services.ledger.database import Ledger
from app.services.matching import RECEIVABLE
from app.services.reconciliation.automatic import MatchSummary, match_payments


@dataclass(frozen=True, slots=True)
class MatchedInvoiceImport:
    """An invoice import and the matching run after it, as the CLI and the GUI report them."""

    imported: InvoiceImportResult
    matching: MatchSummary


def import_invoices_and_match(
    ledger: Ledger,
    path: Path,
    *,
    kind: str = RECEIVABLE,
    mapping: Mapping[str, str] | None = None,
    skip_bad_rows: bool = False,
    actor: str,
) -> MatchedInvoiceImport:
    """`import_invoices`, then match every open payment: new invoices may be what waiting payments paid.

    The import is committed first; matching runs in its own transaction, so a failing match loses no invoice.
    """
    imported = import_invoices(ledger, path, kind=kind, mapping=mapping, skip_bad_rows=skip_bad_rows, actor=actor)
    return MatchedInvoiceImport(imported, match_payments(ledger, actor=actor))


def import_einvoices_and_match(ledger: Ledger, paths: Sequence[Path], *, actor: str) -> MatchedInvoiceImport:
    """Several e-invoice files (XML, PDF, ZIP) in one transaction, then matching as after a CSV import."""
    imported = combined_result(import_einvoices(ledger, paths, actor=actor))
    return MatchedInvoiceImport(imported, match_payments(ledger, actor=actor))
