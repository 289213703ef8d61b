"""Format detection, ZIPs and the errors for unreadable files, on small synthetic files."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.statements.bank_csv import CsvMapping, sniff_csv
from app.services.statements.model import StatementFormatError
from app.services.statements.reader import read_statement_file

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2024-01-31T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Dt><Dt>2024-01-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">75.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Dt><Dt>2024-01-31</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">24.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2024-01-31T09:00:00</DtTm></BookgDt><ValDt><Dt>2024-01-31</Dt></ValDt>
<BkTxCd><Prtry><Cd>NDDT+105+9999+000</Cd></Prtry></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId><MndtId>MANDAT-7</MndtId></Refs>
<RltdPties><Cdtr><Pty><Nm>Müller &amp; Söhne GmbH</Nm></Pty></Cdtr>
<CdtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></CdtrAcct></RltdPties>
<RltdAgts><CdtrAgt><FinInstnId><BICFI>BYLADEM1001</BICFI></FinInstnId></CdtrAgt></RltdAgts>
<RmtInf><Ustrd>Rechnung 4711</Ustrd><Ustrd>Kunde 12</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""

MT940 = (
    ":20:STARTUMS\r\n:25:DE89370400440532013000\r\n:28C:1/1\r\n:60F:C231231EUR100,00\r\n"
    ":61:2312290102D10,00NDDTNONREF//B1\r\n:86:105?00Basislastschrift?20SVWZ+Beitrag?32Verein\r\n"
    ":62F:C240102EUR90,00\r\n-"
)


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_camt_fields(tmp_path: Path) -> None:
    (statement,) = read_statement_file(_write(tmp_path, "s.xml", CAMT))
    assert statement.account_iban == "DE89370400440532013000"
    assert statement.opening is not None and statement.opening.amount == Decimal("100.00")
    (transaction,) = statement.transactions
    assert transaction.amount == Decimal("-24.50")
    assert transaction.booked_on == date(2024, 1, 31)
    assert transaction.counterparty_name == "Müller & Söhne GmbH"
    assert transaction.counterparty_iban == "DE02120300000000202051"
    assert transaction.counterparty_bic == "BYLADEM1001"
    assert (transaction.end_to_end_id, transaction.mandate_id, transaction.gvc) == ("E2E-1", "MANDAT-7", "105")
    assert transaction.purpose == "Rechnung 4711 Kunde 12"
    assert "<Ntry" in transaction.raw and statement.source == "s.xml"


def test_mt940_entry_date_across_year_end(tmp_path: Path) -> None:
    (statement,) = read_statement_file(_write(tmp_path, "s.sta", MT940))
    (transaction,) = statement.transactions
    assert (transaction.value_on, transaction.booked_on) == (date(2023, 12, 29), date(2024, 1, 2))
    assert transaction.counterparty_name == "Verein"
    assert statement.account_iban == "DE89370400440532013000"


def test_mt940_cp1252_umlauts(tmp_path: Path) -> None:
    data = MT940.replace("Verein", "Bäckerei Öztürk").encode("cp1252")
    (statement,) = read_statement_file(_write(tmp_path, "latin.sta", data))
    assert statement.transactions[0].counterparty_name == "Bäckerei Öztürk"


def test_mt942_is_pending(tmp_path: Path) -> None:
    text = ":20:X\n:25:12345678/99\n:28C:1\n:34F:EUR0,\n:13D:2401021200+0100\n:61:240102C5,NTRFNONREF\n:86:x\n"
    (statement,) = read_statement_file(_write(tmp_path, "i.sta", text))
    assert statement.pending and statement.transactions[0].pending


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.sta", b"", "empty"),
        ("blank.xml", b"  \r\n", "empty"),
        ("garbage.bin", bytes(range(256)) * 4, "binary data"),
        ("truncated.xml", CAMT[: CAMT.index("<Ntry>") + 40].encode(), "line "),
        ("junk.xml", b"<?xml version='1.0'?>\n<Document>\n<Stmt><Id>1</Id>\n<<<", "line 4"),
        ("bad-amount.sta", MT940.replace("D10,00", "Dxx").encode(), "line 5"),
        ("unknown.csv", b"a;b;c\n1;2;3\n", "sparkasse-camt"),
    ],
)
def test_unreadable_files_name_file_and_place(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    with pytest.raises(StatementFormatError) as caught:
        read_statement_file(_write(tmp_path, name, data))
    assert str(caught.value).startswith(name)
    assert words in str(caught.value)


def test_zip_members_in_name_order_and_broken_member_named(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("b.sta", MT940)
        handle.writestr("a.xml", CAMT)
    statements = read_statement_file(archive)
    assert [s.source for s in statements] == ["bundle.zip:a.xml", "bundle.zip:b.sta"]
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr("c.xml", CAMT[:300])
    with pytest.raises(StatementFormatError) as caught:
        read_statement_file(archive)
    assert str(caught.value).startswith("bundle.zip:c.xml: line ")


def test_csv_with_mapping_and_sniffing(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "export.csv",
        "Datum,Empfänger,IBAN,Verwendungszweck,Betrag\n"
        "03.02.2024,Stadtwerke,DE02120300000000202051,EREF+X1 SVWZ+Strom Feb,-1234.50\n"
        "04.02.2024,Kunde AG,,Rechnung 9,99.00\n",
    )
    mapping = sniff_csv(path)
    assert (mapping.delimiter, mapping.date, mapping.amount, mapping.decimal_comma) == (",", "Datum", "Betrag", False)
    assert mapping.date_format == "%d.%m.%Y"
    (statement,) = read_statement_file(path, mapping=mapping)
    first = statement.transactions[0]
    assert (first.amount, first.counterparty_name, first.end_to_end_id) == (Decimal("-1234.50"), "Stadtwerke", "X1")
    assert first.purpose == "Strom Feb"
    explicit = CsvMapping(delimiter=",", decimal_comma=False, date="Datum", amount="Betrag", name="Empfänger")
    assert len(read_statement_file(path, mapping=explicit)[0].transactions) == 2


def test_camt_without_its_root_namespace_reads_the_same_and_keeps_line_numbers(tmp_path: Path) -> None:
    spread = CAMT.replace('<Document xmlns="', '<Document\n    xmlns="')  # the declaration on a line of its own
    plain = CAMT.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', "")
    (with_namespace,) = read_statement_file(_write(tmp_path, "ns.xml", spread))
    (without,) = read_statement_file(_write(tmp_path, "plain.xml", plain))
    assert with_namespace.transactions[0].raw.startswith("<Ntry><Amt")  # no namespace noise in the record
    assert [vars_of(t) for t in with_namespace.transactions] == [vars_of(t) for t in without.transactions]
    broken = spread.replace("24.50", "24,50")  # the entry amount, line 10 with the declaration moved down
    with pytest.raises(StatementFormatError, match="line 10: unreadable amount"):
        read_statement_file(_write(tmp_path, "broken.xml", broken))


def vars_of(transaction: object) -> dict[str, object]:
    return {name: getattr(transaction, name) for name in transaction.__slots__}  # type: ignore[attr-defined]
