"""pain.001 and pain.008 as the bank gets them: validated against the official XSDs, broken ones refused by name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from test_payments_support import CREDITOR_ID, DUPONT_FR, HUBER_AT, OWN, WEBER

from app.services.payments import pain as pain_export
from app.services.payments.pain import (
    DEBIT_SCHEMAS,
    TRANSFER_SCHEMAS,
    PainDocument,
    PainOrder,
    PainParty,
    PainSchemaMissingError,
    PainValidationError,
    build_pain,
    validate_pain,
    write_atomically,
    xsd_path,
)

TESTS = Path(__file__).resolve().parents[1]
# An independent copy of the official XSDs, kept with the tests, referees the copies the app ships.
REFEREE_XSD = TESTS / "data" / "xsd"
SHARED_XSD = TESTS.parent.parent / "shared" / "xsd"
ACCOUNT = PainParty("Mueller Feinmechanik GmbH", OWN, "COBADEFFXXX")
TRANSFERS = [
    PainOrder("Baeckerei Weber e.K.", WEBER, "BYLADEM1001", 119000, "ER-2026-001", "KONTOR-1"),
    PainOrder("Huber", HUBER_AT, "RLNWATWWXXX", 5, "Rechnung 7", "KONTOR-2"),
    PainOrder("Dupont SA", DUPONT_FR, "PSSTFRPP", 99999, "Facture 9", "KONTOR-3"),
]
DEBITS = [
    PainOrder("Schaefer + Soehne KG", WEBER, "BYLADEM1001", 50000, "RE-2026-0042", "KONTOR-4", "M-1",
              date(2025, 5, 1), "FRST"),
    PainOrder("Huber", HUBER_AT, "RLNWATWWXXX", 2550, "RE-2026-0043", "KONTOR-5", "M-2", date(2024, 1, 2), "RCUR",
              original_reference="ALT-2", original_debtor_iban=WEBER),
]  # fmt: skip
NS = "{urn:iso:std:iso:20022:tech:xsd:%s}"


def _official(schema: str) -> etree.XMLSchema:
    """The tests' own copy, independent of the one the app ships, as the referee."""
    return etree.XMLSchema(etree.parse(str(REFEREE_XSD / f"{schema}.xsd")))


@pytest.mark.parametrize("schema", TRANSFER_SCHEMAS)
@pytest.mark.parametrize("instant", [False, True])
def test_pain001_is_valid_against_the_official_xsd(schema: str, instant: bool) -> None:
    xml = build_pain(PainDocument("transfer", schema, ACCOUNT, date(2026, 3, 2), TRANSFERS, instant=instant))
    root = etree.fromstring(xml)
    _official(schema).assertValid(root)
    ns = NS % schema
    assert root.findtext(f".//{ns}GrpHdr/{ns}CtrlSum") == "2190.04"
    assert [e.text for e in root.iter(f"{ns}InstdAmt")] == ["1190.00", "0.05", "999.99"]
    assert [e.text for e in root.iter(f"{ns}Ustrd")] == ["ER-2026-001", "Rechnung 7", "Facture 9"]
    assert (root.findtext(f".//{ns}LclInstrm/{ns}Cd") == "INST") is instant


@pytest.mark.parametrize("schema", DEBIT_SCHEMAS)
@pytest.mark.parametrize("scheme", ["CORE", "B2B"])
def test_pain008_is_valid_against_the_official_xsd(schema: str, scheme: str) -> None:
    document = PainDocument("debit", schema, ACCOUNT, date(2026, 3, 4), DEBITS, scheme=scheme, creditor_id=CREDITOR_ID)
    root = etree.fromstring(build_pain(document))
    _official(schema).assertValid(root)
    ns = NS % schema
    assert {e.text for e in root.iter(f"{ns}SeqTp")} == {"FRST", "RCUR"}
    assert [e.findtext(f"{ns}Cd") for e in root.iter(f"{ns}LclInstrm")] == [scheme, scheme]
    assert root.findtext(f".//{ns}AmdmntInfDtls/{ns}OrgnlMndtId") == "ALT-2"
    assert root.findtext(f".//{ns}AmdmntInfDtls/{ns}OrgnlDbtrAgt/{ns}FinInstnId/{ns}Othr/{ns}Id") == "SMNDA"
    assert root.findtext(f".//{ns}CdtrSchmeId//{ns}Othr/{ns}Id") == CREDITOR_ID


def test_a_broken_document_is_refused_naming_the_element() -> None:
    xml = build_pain(PainDocument("transfer", "pain.001.001.09", ACCOUNT, date(2026, 3, 2), TRANSFERS))
    broken = xml.replace(f"<IBAN>{HUBER_AT}</IBAN>".encode(), b"<IBAN>AT-KEINE-IBAN</IBAN>")
    with pytest.raises(PainValidationError) as error:
        validate_pain(broken, "pain.001.001.09")
    assert error.value.element == "IBAN" and "pattern" in str(error.value)
    with pytest.raises(PainValidationError) as too_long:
        build_pain(PainDocument("transfer", "pain.001.001.03", ACCOUNT, date(2026, 3, 2),
                                [PainOrder("x" * 141, WEBER, "", 100, "t", "KONTOR-9")]))  # fmt: skip
    assert too_long.value.element == "Nm"


def test_the_app_validates_with_its_own_copies_and_says_when_an_xsd_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert xsd_path("pain.001.001.09").parent.name == "xsd"
    assert xsd_path("pain.001.001.09").parent.parent.name == "resources"
    for schema in (*TRANSFER_SCHEMAS, *DEBIT_SCHEMAS):
        assert xsd_path(schema).read_bytes() == (REFEREE_XSD / f"{schema}.xsd").read_bytes()
    monkeypatch.setattr(pain_export, "XSD_DIRS", (tmp_path / "nothing",))
    with pytest.raises(PainSchemaMissingError, match=r"pain.008.001.08.xsd is missing"):
        xsd_path("pain.008.001.08")


@pytest.mark.skipif(not SHARED_XSD.is_dir(), reason="../shared/xsd is not beside this clone (CI has it)")
def test_the_referee_xsds_are_the_shared_official_ones() -> None:
    for schema in (*TRANSFER_SCHEMAS, *DEBIT_SCHEMAS):
        assert (REFEREE_XSD / f"{schema}.xsd").read_bytes() == (SHARED_XSD / f"{schema}.xsd").read_bytes()


def test_files_are_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out" / "run.xml"
    write_atomically(target, b"<a/>")
    write_atomically(target, b"<b/>")
    assert target.read_bytes() == b"<b/>" and [p.name for p in target.parent.iterdir()] == ["run.xml"]
