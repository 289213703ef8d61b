"""E-invoice files (XRechnung XML, ZUGFeRD/Factur-X PDF, or ZIPs of them) into the ledger, all or nothing.

Who issued the invoice decides its side: one whose seller is our company (by VAT ID from the letterhead, else by
name) is a receivable of the buyer; every other one is a payable of the seller, with the seller's IBAN, ready for
"Pay…". Each file is stored as the CSV import stores a row, so re-importing updates by invoice number; the file
itself is kept with the invoice (its digest in the audit log), with the payee account and Skonto read from it.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.schema import Invoice, InvoiceDocument
from app.services.i18n import _, ngettext
from app.services.invoices.einvoice import EInvoice, EInvoiceError, einvoice_from_bytes, read_einvoice
from app.services.invoices.importing import (
    PAYABLE,
    RECEIVABLE,
    InvoiceImportError,
    InvoiceImportResult,
    ParsedInvoice,
    store_parsed,
)
from app.services.invoices.skonto import format_tiers
from app.services.ledger import audit
from app.services.ledger.database import Ledger
from app.services.ledger.settings import company_row, read_section
from app.services.matching.names import normalize_name
from app.services.os_errors import file_error

SUFFIXES = (".xml", ".pdf")
MAX_FILE_BYTES = 25 * 1024 * 1024  # an e-invoice with attachments stays far below; a ZIP bomb does not


def is_einvoice_file(path: Path) -> bool:
    """XML, PDF, or a ZIP that holds either (a ZIP of CSV exports stays with the CSV import). A damaged ZIP is
    read here too, so that it is reported as a damaged archive rather than as a CSV file of binary data."""
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return True
    if suffix != ".zip":
        return False
    if not zipfile.is_zipfile(path):
        return path.exists()
    with zipfile.ZipFile(path) as archive:
        return any(Path(name).suffix.lower() in SUFFIXES for name in archive.namelist())


def _read_all(paths: Iterable[Path]) -> list[EInvoice]:
    """Every invoice of the files; all problems at once, so that a batch is corrected in one go."""
    invoices, problems = [], []
    for path in paths:
        try:
            if path.suffix.lower() == ".zip":
                invoices += _read_zip(path)
            else:
                _check_size(path.name, path.stat().st_size)
                invoices.append(read_einvoice(path))
        except EInvoiceError as error:
            problems.append(str(error))
        except zipfile.BadZipFile:
            problems.append(_("{file}: not a readable ZIP archive").format(file=path.name))
        except OSError as error:
            problems.append(file_error(error, path.name))
    if problems:
        raise InvoiceImportError(
            ngettext(
                "{n} e-invoice file could not be read, nothing imported:",
                "{n} e-invoice files could not be read, nothing imported:",
                len(problems),
            ).format(n=len(problems))
            + "\n"
            + "\n".join(problems)
        )
    return invoices


def _read_zip(path: Path) -> list[EInvoice]:
    """Each e-invoice of the archive, read in memory and at most MAX_FILE_BYTES of it: a member's stated size is
    what the archive claims, not what it unpacks to."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            name = Path(member.filename).name
            if member.is_dir() or Path(name).suffix.lower() not in SUFFIXES:
                continue
            with archive.open(member) as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
            _check_size(f"{path.name}/{name}", len(data))
            found.append(einvoice_from_bytes(f"{path.name}/{name}", data))
    return found


def _check_size(name: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise EInvoiceError(
            _("{file}: {size} MB is too large for an e-invoice (at most {limit} MB)").format(
                file=name, size=size // 2**20, limit=MAX_FILE_BYTES // 2**20
            )
        )


def _ours(invoice: EInvoice, company: str, vat_id: str) -> bool:
    """Whether we issued it: our VAT ID as the seller's, else our name."""
    if vat_id and invoice.seller_vat_id:
        return vat_id.replace(" ", "").upper().endswith(invoice.seller_vat_id.replace(" ", "").upper())
    return bool(company) and normalize_name(invoice.seller) == normalize_name(company)


def _parsed(invoice: EInvoice, row: int, *, ours: bool) -> ParsedInvoice:
    prepaid = invoice.due != invoice.total
    return ParsedInvoice(
        row=row,
        number=invoice.number,
        customer=(invoice.buyer if ours else invoice.seller) or _("(no name)"),
        customer_number=invoice.buyer_id if ours else "",
        iban="" if ours else invoice.iban,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        amount=invoice.total,
        currency=invoice.currency,
        open_amount=max(invoice.due, Decimal(0)) if prepaid else None,
        cancelled=False,
    )


def import_einvoices(ledger: Ledger, paths: Iterable[Path], *, actor: str) -> list[InvoiceImportResult]:
    """Import e-invoices in one transaction; returns a result per side (receivables, payables) that got any."""
    invoices = _read_all([Path(path) for path in paths])
    with ledger.session() as session:
        company = company_row(session).name
        vat_id = str((read_section(session, "dunning", {}) or {}).get("letterhead", {}).get("vat_id", ""))
    kinds = [RECEIVABLE if _ours(invoice, company, vat_id) else PAYABLE for invoice in invoices]
    by_kind: dict[str, list[ParsedInvoice]] = {RECEIVABLE: [], PAYABLE: []}
    for row, (invoice, kind) in enumerate(zip(invoices, kinds, strict=True), start=1):
        if invoice.total <= 0:
            raise InvoiceImportError(
                _("{file}: a total of {amount} is no invoice to pay, nothing imported").format(
                    file=invoice.source, amount=invoice.total
                )
            )
        by_kind[kind].append(_parsed(invoice, row, ours=kind == RECEIVABLE))
    sources = ", ".join(sorted({invoice.source for invoice in invoices}))
    with ledger.writer() as session:
        results = store_parsed(session, by_kind, source=sources, actor=actor)
        for invoice, kind in zip(invoices, kinds, strict=True):
            _keep_document(session, invoice, kind=kind, actor=actor)
    return results


def _keep_document(session: Session, einvoice: EInvoice, *, kind: str, actor: str) -> None:
    """The file with the invoice, replaced when a re-import brings a different one; audited with its digest."""
    invoice = session.scalar(select(Invoice).where(Invoice.kind == kind, Invoice.number == einvoice.number))
    assert invoice is not None  # store_parsed created or updated it in this transaction
    values = {
        "filename": Path(einvoice.source).name[:255],
        "media_type": einvoice.media_type,
        "digest": hashlib.sha256(einvoice.data).hexdigest(),
        "data": einvoice.data,
        "payee_iban": einvoice.iban[:34],
        "payee_bic": einvoice.bic[:11],
        "payment_reference": einvoice.reference[:140],
        "skonto_terms": format_tiers(einvoice.skonto),
        "debit_mandate": einvoice.mandate[:35],
    }
    document = session.scalar(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice.id))
    if document is None:
        document = InvoiceDocument(invoice_id=invoice.id, **values)
        session.add(document)
        action = "create"
    elif any(getattr(document, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(document, name, value)
        action = "update"
    else:
        return
    session.flush()
    summary = f"{invoice.number}: {values['filename']} sha256 {values['digest']}"
    audit.record_row(session, actor=actor, action=action, row=document, summary=summary)
