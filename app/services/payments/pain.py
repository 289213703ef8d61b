"""pain.001 (transfers) and pain.008 (direct debits) built with sepaxml and checked against the official XSDs.

Texts reach this module already transliterated to the SEPA character set (sepa_validation.transliterate spells
ä as ae); sepaxml's own `clean=True` would turn 'Bäckerei' into 'Backerei', so it is switched off.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from lxml import etree
from sepaxml import SepaDD, SepaTransfer

from app.services.errors import KontorError
from app.services.i18n import _
from app.services.paths import resource_path, resources_dir
from app.services.private_files import make_parent

# The copies shipped with the app first, then the team's shared folder beside the repository.
XSD_DIRS = (resource_path("xsd"), resources_dir().parent.parent / "shared" / "xsd")
TRANSFER_SCHEMAS = ("pain.001.001.09", "pain.001.001.03")
DEBIT_SCHEMAS = ("pain.008.001.08", "pain.008.001.02")
_ELEMENT = re.compile(r"Element '\{[^}]*\}(\w+)'")


class PainError(KontorError):
    """A pain file that cannot be made or would be refused; the message names the element or file."""


class PainSchemaMissingError(PainError):
    pass


class PainValidationError(PainError):
    """The document breaks its XSD; `element` is the offending element's name (e.g. 'Nm')."""

    def __init__(self, schema: str, element: str, line: int, reason: str) -> None:
        super().__init__(
            _("{schema} is invalid at element {element} (line {line}): {reason}").format(
                schema=schema, element=element, line=line, reason=reason
            )
        )
        self.element = element
        self.line = line


@dataclass(frozen=True, slots=True)
class PainParty:
    name: str
    iban: str
    bic: str


@dataclass(frozen=True, slots=True)
class PainOrder:
    name: str
    iban: str
    bic: str
    amount_cents: int
    remittance: str
    end_to_end_id: str
    mandate_reference: str = ""
    mandate_signed_on: date | None = None
    sequence: str = ""
    original_reference: str = ""
    original_debtor_iban: str = ""


@dataclass(frozen=True, slots=True)
class PainDocument:
    """Everything one file carries: the company's account, one execution date and the orders."""

    kind: str  # 'transfer' or 'debit'
    schema: str
    account: PainParty
    execution_on: date
    orders: Sequence[PainOrder]
    instant: bool = False
    scheme: str = "CORE"
    creditor_id: str = ""

    @property
    def descriptor(self) -> str:
        """The URN the bank (HISPAS/HIDSES) expects next to the document."""
        return f"urn:iso:std:iso:20022:tech:xsd:{self.schema}"


def xsd_path(schema: str) -> Path:
    """The official XSD of a pain version; a clear error if neither resources/xsd nor shared/xsd has it."""
    for folder in XSD_DIRS:
        candidate = folder / f"{schema}.xsd"
        if candidate.is_file():
            return candidate
    raise PainSchemaMissingError(
        _("The XML schema {name}.xsd is missing (looked in {dirs}); the file cannot be validated.").format(
            name=schema, dirs=", ".join(str(folder) for folder in XSD_DIRS)
        )
    )


@lru_cache(maxsize=8)
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def validate_pain(xml: bytes, schema: str) -> None:
    """Raise PainValidationError naming the first element the XSD refuses."""
    validator = _schema(xsd_path(schema))
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        raise PainValidationError(schema, "?", error.lineno or 0, str(error)) from error
    if validator.validate(document):
        return
    first = validator.error_log[0]
    found = _ELEMENT.search(first.message)
    reason = _ELEMENT.sub(lambda match: f"'{match.group(1)}'", first.message)
    raise PainValidationError(schema, found.group(1) if found else "?", first.line, reason)


def build_pain(document: PainDocument) -> bytes:
    """The validated XML of a document. Amounts go to sepaxml as integer cents, as its API expects."""
    if document.kind == "transfer":
        xml = _transfer(document)
    elif document.kind == "debit":
        xml = _debit(document)
    else:
        raise PainError(_("Unknown payment kind {kind}").format(kind=document.kind))
    validate_pain(xml, document.schema)
    return xml


def _transfer(document: PainDocument) -> bytes:
    if document.schema not in TRANSFER_SCHEMAS:
        raise PainError(_("Transfers are written as {allowed}").format(allowed=", ".join(TRANSFER_SCHEMAS)))
    config = {
        "name": document.account.name,
        "IBAN": document.account.iban,
        "BIC": document.account.bic,
        "batch": True,
        "currency": "EUR",
    }
    sepa = SepaTransfer(config, schema=document.schema, clean=False)
    for order in document.orders:
        payment = {
            "name": order.name,
            "IBAN": order.iban,
            "amount": order.amount_cents,
            "execution_date": document.execution_on,
            "description": order.remittance,
            "endtoend_id": order.end_to_end_id,
        }
        if order.bic:
            payment["BIC"] = order.bic
        sepa.add_payment(payment)
    xml: bytes = sepa.export(validate=False)
    return _mark_instant(xml) if document.instant else xml


def _mark_instant(xml: bytes) -> bytes:
    """SCT Inst: local instrument INST after the service level (sepaxml has no option for it)."""
    root = etree.fromstring(xml)
    ns = {"p": root.nsmap[None]}
    for service_level in root.iterfind(".//p:PmtInf/p:PmtTpInf/p:SvcLvl", ns):
        instrument = etree.Element(f"{{{ns['p']}}}LclInstrm")
        etree.SubElement(instrument, f"{{{ns['p']}}}Cd").text = "INST"
        service_level.addnext(instrument)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _debit(document: PainDocument) -> bytes:
    if document.schema not in DEBIT_SCHEMAS:
        raise PainError(_("Direct debits are written as {allowed}").format(allowed=", ".join(DEBIT_SCHEMAS)))
    config = {
        "name": document.account.name,
        "IBAN": document.account.iban,
        "BIC": document.account.bic,
        "batch": True,
        "creditor_id": document.creditor_id,
        "currency": "EUR",
        "instrument": document.scheme,
    }
    sepa = SepaDD(config, schema=document.schema, clean=False)
    for order in document.orders:
        payment = {
            "name": order.name,
            "IBAN": order.iban,
            "amount": order.amount_cents,
            "type": order.sequence,
            "collection_date": document.execution_on,
            "mandate_id": order.mandate_reference,
            "mandate_date": order.mandate_signed_on,
            "description": order.remittance,
            "endtoend_id": order.end_to_end_id,
        }
        if order.bic:
            payment["BIC"] = order.bic
        sepa.add_payment(payment)
    xml: bytes = sepa.export(validate=False)
    amended = {
        order.end_to_end_id: order
        for order in document.orders
        if order.original_reference or order.original_debtor_iban
    }
    return _add_amendments(xml, amended) if amended else xml


def _add_amendments(xml: bytes, amended: dict[str, PainOrder]) -> bytes:
    """Mandate amendment details (AmdmntInfDtls), which sepaxml does not write: old reference or old account."""
    root = etree.fromstring(xml)
    ns = root.nsmap[None]
    for transaction in root.iter(f"{{{ns}}}DrctDbtTxInf"):
        order = amended.get(transaction.findtext(f"{{{ns}}}PmtId/{{{ns}}}EndToEndId") or "")
        if order is None:
            continue
        mandate = transaction.find(f"{{{ns}}}DrctDbtTx/{{{ns}}}MndtRltdInf")
        assert mandate is not None
        etree.SubElement(mandate, f"{{{ns}}}AmdmntInd").text = "true"
        details = etree.SubElement(mandate, f"{{{ns}}}AmdmntInfDtls")
        if order.original_reference:
            etree.SubElement(details, f"{{{ns}}}OrgnlMndtId").text = order.original_reference
        if order.original_debtor_iban:
            if order.original_debtor_iban[4:12] == order.iban[4:12] and order.iban[:2] == "DE":
                account = etree.SubElement(details, f"{{{ns}}}OrgnlDbtrAcct")
                etree.SubElement(
                    etree.SubElement(account, f"{{{ns}}}Id"), f"{{{ns}}}IBAN"
                ).text = order.original_debtor_iban
            else:  # the debtor changed banks: "same mandate, new debtor agent" as the EPC rulebook says
                agent = etree.SubElement(details, f"{{{ns}}}OrgnlDbtrAgt")
                other = etree.SubElement(etree.SubElement(agent, f"{{{ns}}}FinInstnId"), f"{{{ns}}}Othr")
                etree.SubElement(other, f"{{{ns}}}Id").text = "SMNDA"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write_atomically(path: Path, data: bytes) -> Path:
    """Write via a temporary file in the same folder and rename, so a reader never sees half a file.

    mkstemp creates the file 0600 and the rename keeps that: the payment file stays private.
    """
    path = Path(path)
    make_parent(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
