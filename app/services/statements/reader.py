"""One entry point for statement files: detect CAMT, MT940/942, bank CSV or a ZIP of them from the content."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from app.services.statements.bank_csv import CsvMapping, read_bank_csv
from app.services.statements.camt import parse_camt
from app.services.statements.model import ParsedStatement, StatementFormatError
from app.services.statements.mt940 import parse_mt940

_SNIFF_BYTES = 4096
_MT940_RE = re.compile(rb"(^|[\r\n])\x01?(:(20|25|28C?|60[FM]|61|86):|\{1:)")
_BINARY_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1A)) | frozenset({0x7F})
_BOM = b"\xef\xbb\xbf"


def read_statement_file(
    path: Path, *, profile: str | None = None, mapping: CsvMapping | None = None
) -> list[ParsedStatement]:
    """Read every statement in path (ZIP members in name order); StatementFormatError for anything else."""
    name = path.name
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path, profile=profile, mapping=mapping)
        return read_statement_stream(name, lambda: path.open("rb"), profile=profile, mapping=mapping)
    except OSError as error:
        raise StatementFormatError(name, "", f"cannot read the file: {error.strerror or error}") from error


def read_statement_stream(
    source: str,
    open_binary: Callable[[], BinaryIO],
    *,
    profile: str | None = None,
    mapping: CsvMapping | None = None,
) -> list[ParsedStatement]:
    """Read one statement file from a reopenable byte stream (reopened when an encoding guess fails)."""
    with open_binary() as stream:
        head = stream.read(_SNIFF_BYTES)
    kind = detect_format(source, head)
    if kind == "camt":
        with open_binary() as stream:
            statements = parse_camt(stream, source=source)
    elif kind == "mt940":
        statements = _read_mt940(source, open_binary)
    else:
        with open_binary() as stream:
            data = stream.read()
        statements = read_bank_csv(data, source=source, profile=profile, mapping=mapping)
    if not statements:
        raise StatementFormatError(source, "", "the file contains no statement")
    return statements


def detect_format(source: str, head: bytes) -> str:
    """Classify the first bytes as "camt", "mt940" or "csv"; reject empty, binary and non-statement XML."""
    text = head.removeprefix(_BOM).lstrip(b" \t\r\n\x00\x01\x02\x03\x1a")
    if not text:
        raise StatementFormatError(source, "", "the file is empty")
    if text.startswith(b"<"):
        if b"camt.05" in head or b"BkToCstmr" in head:
            return "camt"
        if b"pain." in head or b"CstmrPmtStsRpt" in head or b"CstmrCdtTrfInitn" in head:
            raise StatementFormatError(source, "line 1", "a SEPA pain file, not a bank statement")
        return "camt"  # let the CAMT reader name the element it does not understand
    if _MT940_RE.search(head):
        return "mt940"
    binary = sum(byte in _BINARY_BYTES for byte in text[:1024])
    if binary:
        raise StatementFormatError(source, "", "binary data, not a statement file (CAMT, MT940 or CSV)")
    return "csv"


def _read_mt940(source: str, open_binary: Callable[[], BinaryIO]) -> list[ParsedStatement]:
    """Stream lines as UTF-8 and start over as cp1252 (or Latin-1) at the first byte that is not UTF-8."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            with open_binary() as stream:
                return parse_mt940(_text_lines(stream, encoding), source=source)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def _text_lines(stream: BinaryIO, encoding: str) -> Iterator[str]:
    yield from io.TextIOWrapper(stream, encoding=encoding, newline="")


def _read_zip(path: Path, *, profile: str | None, mapping: CsvMapping | None) -> list[ParsedStatement]:
    statements: list[ParsedStatement] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(info.filename for info in archive.infolist() if not info.is_dir())
            for member in members:
                source = f"{path.name}:{member}"
                statements.extend(
                    read_statement_stream(
                        source, lambda member=member: archive.open(member), profile=profile, mapping=mapping
                    )
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError) as error:
        raise StatementFormatError(path.name, "", f"broken ZIP archive: {error}") from error
    if not statements:
        raise StatementFormatError(path.name, "", "the ZIP archive holds no statement file")
    return statements
