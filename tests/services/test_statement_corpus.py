"""Every real statement file of the shared corpus: MANIFEST counts, balances, known values, rejections."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from app.services.statements.model import ParsedStatement, StatementFormatError
from app.services.statements.reader import read_statement_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip(f"statement corpus not found at {CORPUS}", allow_module_level=True)

STATEMENT_FORMATS = frozenset({"camt052", "camt053", "camt054", "mt940", "csv-bank", "other"})

# Files that are no statement (or deliberately broken beyond sensible import), with the words the error names.
REJECTED = {
    "camt053/genkgo__camt/camt053.v2.wrong.xml": "no Stmt/Rpt/Ntfctn",
    "mt940/betterplace__mt940_parser/sepa_snippet_broken.txt": "line 6: a second :25:",
    "mt940/betterplace__mt940_parser/colon_in_descriptor.txt": "line 1: :86: before the first :20:",
    "mt940/wolph__mt940/cmxl_statement_details.sta": "line 1: :61: before the first :20:",
    "other/hbci4j__hbci4java/test-pain-parse-0020110-01.xml": "pain file",
    "other/hbci4j__hbci4java/test-pain-parse-0020110-02.xml": "pain file",
    "other/nicolettas-muggelbude__RechnungsFee/targobank-duesseldorf.qif": "matches no bank profile",
}

# Statements whose own opening balance plus entries do not give their closing balance: the sample files were
# edited or cut by their publishers (checked by hand; amounts and signs parse as written).
UNBALANCED = frozenset(
    {
        "camt052/hbci4j__hbci4java/test-camt-parse-5200108-invalid-saldo.xml",  # deliberately invalid saldo
        "camt052/hbci4j__hbci4java/test-camt-ruecklastschrift.xml",
        "camt053/OCA__bank-statement-import/oca_test-camt053.xml",
        "camt053/genkgo__camt/camt053.v2.all-balance-types.xml",
        "camt053/genkgo__camt/camt053.v2.five.decimals.xml",
        "camt053/genkgo__camt/camt053.v2.minimal.ultimate.xml",
        "camt053/genkgo__camt/camt053.v2.with-party-ids.xml",
        "camt053/genkgo__camt/camt053.v3.xml",
        "camt053/genkgo__camt/camt053.v4.xml",
        "camt053/kedder__ofxstatement-iso20022/kedder_gcamp6.xml",
        "camt053/viafintech__camt_parser/053_valid_example_v8.xml",
        "camt053/viafintech__camt_parser/053_valid_example_with_batch.xml",
        "mt940/betterplace__mt940_parser/sepa_snippet.txt",
        "mt940/cpetschnig__mt940/rabobank_sepa.txt",
        "mt940/fruitl00p__php-mt940/Hsbc_sample.sta",
        "mt940/fruitl00p__php-mt940/Rabo_sample.sta",  # balance-only blocks without their bookings
        "mt940/mjebrahimi__SharpMt940Lib.Core/StandardBank_few_transactions_GB.txt",
        "mt940/sandermarechal__jejik-mt940/abnamro.txt",
        "mt940/sandermarechal__jejik-mt940/bug-core-5401.txt",
        "mt940/sandermarechal__jejik-mt940/commerzbank.txt",
        "mt940/sandermarechal__jejik-mt940/deutschebank.txt",
        "mt940/sandermarechal__jejik-mt940/ing-dos.txt",
        "mt940/sandermarechal__jejik-mt940/oldenburgischelandesbank.txt",
        "mt940/sandermarechal__jejik-mt940/oldenburgischelandesbankmitbindestrich.txt",
        "mt940/sandermarechal__jejik-mt940/postfinance.txt",
        "mt940/sandermarechal__jejik-mt940/rabobank.txt",
        "mt940/sandermarechal__jejik-mt940/sparkasse2.txt",
        "mt940/sandermarechal__jejik-mt940/sparkasse3.txt",
        "mt940/svenstaro__mt940-rs/abnamro_mt940.sta",
        "mt940/webschik__mt940-js/abn-amro-1.STA",
        "mt940/wolph__mt940/bil_multiline.sta",
        "mt940/wolph__mt940/details_60-63.sta",
        "mt940/wolph__mt940/mBank_with_newline_in_tnr.sta",
        "mt940/wolph__mt940/overly_long_details.sta",
        "mt940/wolph__mt940/raiffeisen-cmi.sta",
        "mt940/wolph__mt940/whitespace.sta",
        "mt940/zilverline__mt940/14aug2014.swi",
        "mt940/zilverline__mt940/abn_sepa_incasso_doorlopend.txt",
        "mt940/zilverline__mt940/abnamro_structured.txt",
        "mt940/zilverline__mt940/deutsche_bank.txt",
        "other/OCA__bank-statement-import/oca_test-camt053.zip",  # older oca_test-camt053 copies
    }
)

# CSV rows the MANIFEST counts that are balance footers, not bookings.
CSV_FOOTER_ROWS = {"csv-bank/nicolettas-muggelbude__RechnungsFee/postbank.csv": 1}

# The ZIP holds two camt.053 members (an older, unbatched oca_test-camt053): 2 statements of 3 entries each.
ZIP_COUNTS = {"other/OCA__bank-statement-import/oca_test-camt053.zip": (2, 6)}


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    format: str
    notes: str


def _manifest() -> list[Entry]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [Entry(row["path"], row["format"], row["notes"]) for row in rows if row["format"] in STATEMENT_FORMATS]


ENTRIES = _manifest()


def _read(path: str) -> list[ParsedStatement]:
    return read_statement_file(CORPUS / path)


def _camt_expected_transactions(path: Path) -> tuple[int, int, int]:
    """Independent count: entries, TxDtls, transactions (one per TxDtls of a batch, else one per entry)."""
    entries = details = transactions = 0
    for _, element in etree.iterparse(str(path), tag="{*}Ntry"):
        count = len(element.findall(".//{*}TxDtls"))
        entries += 1
        details += count
        transactions += count if count > 1 else 1
        element.clear()
    return entries, details, transactions


def _expected_counts(entry: Entry) -> tuple[int, int]:
    if entry.path in ZIP_COUNTS:
        return ZIP_COUNTS[entry.path]
    if entry.format == "mt940":
        match = re.search(r"(\d+) statement\(s\), (\d+) :61: line\(s\)", entry.notes)
        assert match, entry.notes
        return int(match[1]), int(match[2])
    if entry.format.startswith("camt"):
        match = re.search(r"(\d+) Stmt/Rpt/Ntfctn, (\d+) Ntry, (\d+) TxDtls", entry.notes)
        assert match, entry.notes
        entries, details, transactions = _camt_expected_transactions(CORPUS / entry.path)
        assert (entries, details) == (int(match[2]), int(match[3])), "the MANIFEST and the file disagree"
        return int(match[1]), transactions
    match = re.search(r"(\d+) data row\(s\)", entry.notes)
    assert match, entry.notes
    return 1, int(match[1]) - CSV_FOOTER_ROWS.get(entry.path, 0)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.path not in REJECTED], ids=lambda e: e.path)
def test_corpus_file_reads_with_expected_counts_and_balances(entry: Entry) -> None:
    statements = _read(entry.path)
    expected_statements, expected_transactions = _expected_counts(entry)
    assert len(statements) == expected_statements
    assert sum(len(statement.transactions) for statement in statements) == expected_transactions
    name = Path(entry.path).name
    balanced = []
    for statement in statements:
        assert statement.source.startswith(name)
        for transaction in statement.transactions:
            assert transaction.raw
            assert isinstance(transaction.amount, Decimal)
        if statement.opening is not None and statement.closing is not None:
            booked = sum((t.amount for t in statement.transactions if not t.pending), Decimal(0))
            balanced.append(statement.opening.amount + booked == statement.closing.amount)
    if entry.path in UNBALANCED:
        assert not all(balanced), "now balances: take it off the UNBALANCED list"
    else:
        assert all(balanced)


@pytest.mark.parametrize("path", sorted(REJECTED), ids=str)
def test_corpus_file_that_is_no_statement_is_rejected_by_name(path: str) -> None:
    assert any(entry.path == path for entry in ENTRIES), "listed file is not in the MANIFEST"
    with pytest.raises(StatementFormatError) as caught:
        _read(path)
    message = str(caught.value)
    assert Path(path).name in message
    assert REJECTED[path] in message


def _only_transaction(path: str, index: int = 0, statement: int = 0):  # noqa: ANN202 - test helper
    return _read(path)[statement].transactions[index]


def test_mt940_return_debit_keeps_sepa_fields() -> None:
    transaction = _only_transaction("mt940/sandermarechal__jejik-mt940/commerzbank.txt")
    assert transaction.amount == Decimal("-12.35")
    assert transaction.gvc == "109"
    assert transaction.is_return
    assert transaction.counterparty_iban == "DE50712345600200691329"
    assert transaction.counterparty_bic == "CSDBDE71XXX"
    assert transaction.end_to_end_id == "A1.200080779.400143254.4961336"
    assert transaction.creditor_id == "DE41EON00000129793"
    assert transaction.purpose.startswith("SONSTIGE GRUENDE ENDABRECHNUNG")


def test_mt940_umlaut_in_utf8_name_survives() -> None:
    transaction = _only_transaction("mt940/sandermarechal__jejik-mt940/sparkasse2.txt")
    assert transaction.counterparty_name == "GEBÜHREN MANUELL GG UST-FREI"
    assert transaction.is_reversal  # RD: reversal of a debit


def test_mt940_impossible_balance_date_is_clamped() -> None:
    (statement,) = _read("mt940/cpetschnig__mt940/commerzbank_2002.txt")
    assert statement.closing is not None
    assert statement.closing.on == date(2002, 11, 30)
    assert statement.transactions[0].purpose == "Miete November"


def test_mt940_ing_return_reason_from_rtrn_field() -> None:
    (statement,) = _read("mt940/OCA__bank-statement-import/test-ing-old.940")
    returned = [t for t in statement.transactions if t.is_return]
    assert [t.return_reason for t in returned] == ["MS03", "MS03"]
    assert statement.account_number == "NL77INGB0574908765EUR"  # fails the IBAN checksum: not taken as IBAN


def test_mt940_retoure_gvc_159_on_german_multi_account_file() -> None:
    statements = _read("mt940/betterplace__mt940_parser/sepa_mt9401.txt")
    first = statements[0].transactions[0]
    assert statements[0].account_number == "50880050/0194774600888"
    assert (first.gvc, first.is_return, first.end_to_end_id) == ("159", True, "TFNR 40005 00005")
    reversal = statements[0].transactions[5]
    assert reversal.is_reversal and reversal.amount == Decimal("-204.88")


def test_camt_return_reason_and_counterparty() -> None:
    transaction = _only_transaction("camt052/hbci4j__hbci4java/test-camt-ruecklastschrift.xml")
    assert transaction.amount == Decimal("-53.00")
    assert (transaction.is_return, transaction.return_reason) == (True, "MS03")
    assert transaction.counterparty_name == "Erwin Einzieher"


def test_camt_german_proprietary_code_gives_gvc() -> None:
    (statement,) = _read("camt052/kedder__ofxstatement-iso20022/camt052_postbank.xml")
    assert statement.pending  # camt.052 is an intraday report
    assert [t.gvc for t in statement.transactions][:3] == ["116", "106", "118"]
    assert statement.transactions[1].end_to_end_id == "12345678"


def test_camt_batch_splits_into_details_with_shared_reference() -> None:
    (statement,) = _read("camt054/genkgo__camt/camt054.v8.xml")
    refs = {t.batch_ref for t in statement.transactions}
    assert len(statement.transactions) == 3 and len(refs) == 1 and refs != {""}
    assert [t.amount for t in statement.transactions] == [Decimal("3.1"), Decimal("3.2"), Decimal("3.2")]


def test_camt_return_reason_ac04() -> None:
    (statement,) = _read("camt053/sebastienrousseau__camt053/statement_ac04.xml")
    assert [t.return_reason for t in statement.transactions] == ["AC04", "AC06", ""]
    assert statement.account_iban == "GB29NWBK60161331926819"


def test_zip_members_are_named_in_source() -> None:
    statements = _read("other/OCA__bank-statement-import/oca_test-camt053.zip")
    assert all(s.source.startswith("oca_test-camt053.zip:") for s in statements)


def test_csv_sparkasse_account_pending_and_cp1252_umlaut() -> None:
    (statement,) = _read("csv-bank/nicolettas-muggelbude__RechnungsFee/sparkasse-lzo-camt-v2.csv")
    assert statement.account_iban == "DE89370400440532013000"
    first = statement.transactions[0]
    assert (first.pending, first.amount, first.mandate_id) == (True, Decimal("-99.80"), "MANDATREF123")
    (freiburg,) = _read("csv-bank/omarkohl__ofxstatement-sparkasse-freiburg/sparkasse_freiburg_simple2.csv")
    assert freiburg.account_number == "12345678"
    assert freiburg.transactions[1].counterparty_name == "EDEKA DÜBEL//THOMASINGEN/DE"


def test_csv_dkb_names_by_direction_and_account_from_preamble() -> None:
    (statement,) = _read("csv-bank/nicolettas-muggelbude__RechnungsFee/dkb.csv")
    assert statement.account_iban == "DE42120300001033738756"
    assert statement.transactions[0].counterparty_name == "Max Mustermann"
    assert statement.transactions[1].counterparty_name == "Firma"
    assert statement.transactions[1].booked_on == date(2025, 12, 5)


def test_csv_ing_cp1252_and_postbank_d_m_yyyy_dates() -> None:
    (ing,) = _read("csv-bank/nicolettas-muggelbude__RechnungsFee/ing.csv")
    assert ing.account_iban == "DE89370400440532013000"
    assert any(t.amount == Decimal("2647.74") for t in ing.transactions)
    (postbank,) = _read("csv-bank/nicolettas-muggelbude__RechnungsFee/postbank.csv")
    assert postbank.transactions[0].booked_on == date(2026, 1, 2)
    assert postbank.transactions[0].amount == Decimal("-74.8")
    assert postbank.transactions[2].customer_reference == "6,17761250170673E+025"  # mangled upstream, kept as is
