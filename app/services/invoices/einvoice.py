"""E-invoices read into what Kontor keeps of an invoice: XRechnung in UBL 2.1 or UN/CEFACT CII syntax, and
ZUGFeRD / Factur-X PDFs with their embedded CII XML (extracted by the `factur-x` package).

Each is checked against its XML schema first (`einvoice_schema`). Only the fields a payment needs are read
(number, dates, parties, totals, payee account, reference, payment terms with their Skonto), by the element
paths of EN 16931. Entities and network access are off: an invoice file is untrusted input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from app.services.errors import KontorError
from app.services.i18n import _
from app.services.invoices.einvoice_schema import schema_problem
from app.services.invoices.skonto import SkontoTier, parse_tiers

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": CII,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
CREDIT_NOTE_CODES = frozenset({"381", "396", "532"})


class EInvoiceError(KontorError, ValueError):
    """A file that is no e-invoice Kontor can read; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class EInvoice:
    source: str
    syntax: str  # UBL, CII or a PDF's CII ("Factur-X")
    number: str
    issued_on: date
    due_on: date | None
    currency: str
    seller: str
    seller_vat_id: str
    buyer: str
    buyer_vat_id: str
    buyer_id: str
    total: Decimal  # gross, VAT included
    due: Decimal  # what is left to pay (after prepaid amounts)
    iban: str  # the payee's account
    bic: str
    reference: str  # the remittance the seller asks for
    terms: str
    skonto: tuple[SkontoTier, ...]
    mandate: str
    data: bytes = b""  # the file as received
    media_type: str = "application/xml"


def read_einvoice(path: Path) -> EInvoice:
    """The e-invoice in `path` (.xml or .pdf); EInvoiceError with the file's name when it is none."""
    return einvoice_from_bytes(Path(path).name, Path(path).read_bytes())


def einvoice_from_bytes(name: str, data: bytes) -> EInvoice:
    """An e-invoice file's content (XML or PDF, as from a ZIP); `name` is its source in messages."""
    if data.startswith(b"%PDF"):
        return replace(_from_pdf(name, data), data=data, media_type="application/pdf")
    return replace(parse_einvoice(name, data), data=data)


def _from_pdf(name: str, data: bytes) -> EInvoice:
    from facturx import get_facturx_xml_from_pdf  # a PDF library: loaded only for PDFs

    try:
        _filename, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
    except Exception as error:  # the package reports a damaged PDF in many ways
        raise EInvoiceError(_("{file}: not a readable PDF ({error})").format(file=name, error=error)) from None
    if not xml:
        xml = _other_attachment(data)
    if not xml:
        raise EInvoiceError(_("{file}: a PDF without an embedded ZUGFeRD/Factur-X invoice").format(file=name))
    return replace(parse_einvoice(name, xml), syntax="Factur-X")


def _other_attachment(data: bytes) -> bytes | None:
    """An XML attachment under another name (`xrechnung.xml` in a PDF): the only one, or none."""
    from io import BytesIO

    from pypdf import PdfReader  # factur-x reads PDFs with it too

    attachments = PdfReader(BytesIO(data)).attachments
    xml = [contents[0] for name, contents in attachments.items() if name.lower().endswith(".xml") and contents]
    return xml[0] if len(xml) == 1 else None


def parse_einvoice(name: str, data: bytes) -> EInvoice:
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise EInvoiceError(_("{file}: not well-formed XML ({error})").format(file=name, error=error)) from None
    namespace = etree.QName(root).namespace
    if namespace == UBL_CREDIT_NOTE:
        raise EInvoiceError(_("{file}: a credit note; Kontor imports invoices only").format(file=name))
    if namespace not in (UBL_INVOICE, CII):
        raise EInvoiceError(_("{file}: neither an XRechnung (UBL or CII) nor a ZUGFeRD invoice").format(file=name))
    problem = schema_problem(root, ubl=namespace == UBL_INVOICE, namespaces=NS)
    if problem:
        raise EInvoiceError(f"{name}: {problem}")
    return _ubl(name, root) if namespace == UBL_INVOICE else _cii(name, root)


class _Reader:
    """XPath with the EN 16931 namespaces; the first match's text, stripped."""

    def __init__(self, name: str, root: etree._Element) -> None:
        self.name = name
        self.root = root

    def text(self, path: str, node: etree._Element | None = None) -> str:
        found = (node if node is not None else self.root).xpath(path, namespaces=NS)
        if not found:
            return ""
        first = found[0]
        return str(first if isinstance(first, str) else (first.text or "")).strip()

    def party_name(self, party: str) -> str:
        """A UBL party's legal name, else its trading name."""
        legal = self.text(party + "cac:PartyLegalEntity/cbc:RegistrationName")
        return legal or self.text(party + "cac:PartyName/cbc:Name")

    def issued(self, path: str, fmt: str = "%Y-%m-%d") -> date:
        day = self.day(path, _("invoice date"), fmt=fmt)
        assert day is not None  # required, so day() raised instead
        return day

    def required(self, path: str, field: str) -> str:
        value = self.text(path)
        if not value:
            raise EInvoiceError(_("{file}: no {field}").format(file=self.name, field=field))
        return value

    def amount(self, path: str, field: str, *, required: bool = True) -> Decimal | None:
        value = self.required(path, field) if required else self.text(path)
        if not value:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise EInvoiceError(_("{file}: {field} is not an amount: {value}").format(
                file=self.name, field=field, value=value)) from None  # fmt: skip

    def day(self, path: str, field: str, *, required: bool = True, fmt: str = "%Y-%m-%d") -> date | None:
        value = self.required(path, field) if required else self.text(path)
        if not value:
            return None
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            raise EInvoiceError(_("{file}: {field} is not a date: {value}").format(
                file=self.name, field=field, value=value)) from None  # fmt: skip


def _discount_terms(r: _Reader, terms_path: str) -> tuple[SkontoTier, ...]:
    """ZUGFeRD EXTENDED's Skonto elements: days, percentage and, where given, the amount it applies to."""
    tiers = []
    for node in r.root.xpath(terms_path + "ram:ApplicableTradePaymentDiscountTerms", namespaces=NS):
        days, percent = r.text("ram:BasisPeriodMeasure", node), r.text("ram:CalculationPercent", node)
        basis = r.text("ram:BasisAmount", node)
        try:
            tiers.append(SkontoTier(int(days), Decimal(percent), Decimal(basis) if basis else None))
        except (ValueError, InvalidOperation):
            raise EInvoiceError(_("{file}: Skonto terms without days or percentage").format(file=r.name)) from None
    return tuple(tiers)


def _ubl(name: str, root: etree._Element) -> EInvoice:
    r = _Reader(name, root)
    seller = "cac:AccountingSupplierParty/cac:Party/"
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    means = "cac:PaymentMeans/"
    total = r.amount("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", _("gross total"))
    payable = r.amount("cac:LegalMonetaryTotal/cbc:PayableAmount", _("amount due"))
    assert total is not None and payable is not None
    terms = " ".join(node.text or "" for node in root.xpath("cac:PaymentTerms/cbc:Note", namespaces=NS)).strip()
    return EInvoice(
        source=name,
        syntax="UBL",
        number=r.required("cbc:ID", _("invoice number")),
        issued_on=r.issued("cbc:IssueDate"),
        due_on=r.day("cbc:DueDate", _("due date"), required=False)
        or r.day(means + "cbc:PaymentDueDate", _("due date"), required=False),
        currency=r.required("cbc:DocumentCurrencyCode", _("currency")),
        seller=r.party_name(seller),
        seller_vat_id=r.text(seller + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        buyer=r.party_name(buyer),
        buyer_vat_id=r.text(buyer + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"),
        buyer_id=r.text(buyer + "cac:PartyIdentification/cbc:ID"),
        total=total,
        due=payable,
        iban=r.text(means + "cac:PayeeFinancialAccount/cbc:ID").replace(" ", ""),
        bic=r.text(means + "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"),
        reference=r.text(means + "cbc:PaymentID"),
        terms=terms,
        skonto=parse_tiers(terms),
        mandate=r.text(means + "cac:PaymentMandate/cbc:ID"),
    )


def _cii(name: str, root: etree._Element) -> EInvoice:
    r = _Reader(name, root)
    if r.text("rsm:ExchangedDocument/ram:TypeCode") in CREDIT_NOTE_CODES:
        raise EInvoiceError(_("{file}: a credit note; Kontor imports invoices only").format(file=name))
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    sums = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    means = settlement + "ram:SpecifiedTradeSettlementPaymentMeans/"
    terms_path = settlement + "ram:SpecifiedTradePaymentTerms/"
    total = r.amount(sums + "ram:GrandTotalAmount", _("gross total"))
    payable = r.amount(sums + "ram:DuePayableAmount", _("amount due"))
    assert total is not None and payable is not None
    terms = " ".join(node.text or "" for node in root.xpath(terms_path + "ram:Description", namespaces=NS)).strip()
    return EInvoice(
        source=name,
        syntax="CII",
        number=r.required("rsm:ExchangedDocument/ram:ID", _("invoice number")),
        issued_on=r.issued("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", fmt="%Y%m%d"),
        due_on=r.day(
            terms_path + "ram:DueDateDateTime/udt:DateTimeString", _("due date"), required=False, fmt="%Y%m%d"
        ),
        currency=r.required(settlement + "ram:InvoiceCurrencyCode", _("currency")),
        seller=r.text(agreement + "ram:SellerTradeParty/ram:Name"),
        seller_vat_id=r.text(agreement + "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        buyer=r.text(agreement + "ram:BuyerTradeParty/ram:Name"),
        buyer_vat_id=r.text(agreement + "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        buyer_id=r.text(agreement + "ram:BuyerTradeParty/ram:ID"),
        total=total,
        due=payable,
        iban=r.text(means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID").replace(" ", ""),
        bic=r.text(means + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
        reference=r.text(settlement + "ram:PaymentReference"),
        terms=terms,
        skonto=parse_tiers(terms) or _discount_terms(r, terms_path),
        mandate=r.text(terms_path + "ram:DirectDebitMandateID"),
    )
