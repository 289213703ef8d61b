"""One entry point for statement files: detect CAMT, MT940/942, bank CSV or a ZIP of them from the content."""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, TextIO

from app.services.i18n import _
from app.services.os_errors import reason
from app.services.statements.model import ParsedStatement, StatementFormatError, at_line

if TYPE_CHECKING:
    import zipfile

    from app.services.statements.bank_csv import CsvMapping

# The CAMT reader (lxml), the MT940 reader, the CSV reader and zipfile are imported for a file of theirs: the
# statement worker forked at a command's start loads only what its file needs.

_SNIFF_BYTES = 4096
_DECODE_CHUNK = 1 << 20
_MT940_RE = re.compile(rb"(^|[\r\n])\x01?(:(20|25|28C?|60[FM]|61|86):|\{1:)")
_BINARY_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1A)) | frozenset({0x7F})
_BOM = b"\xef\xbb\xbf"
# Control bytes a CSV cell never means (no UTF-8 or cp1252 character contains them): dropped, as MT940 drops them.
_CSV_CONTROL_BYTES = bytes((*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
# Limits that keep one file's memory bounded whatever it holds; a real bank file stays far below each.
MAX_MEMBER_BYTES = 512 << 20  # uncompressed size of one ZIP member, declared and counted while reading
MAX_COMPRESSION_RATIO = 100  # bank files compress 5-20 fold; a member beyond this (and 1 MiB) is a ZIP bomb
_RATIO_FROM_BYTES = 1 << 20
MAX_CSV_BYTES = 64 << 20  # a CSV is parsed as a whole; a year of a busy account's bookings is a few MiB
MAX_LINE_CHARS = 64 << 10  # an MT940 line is at most 65 characters by the standard; some banks join a :86:


def read_statement_file(
    path: Path, *, profile: str | None = None, mapping: CsvMapping | None = None
) -> list[ParsedStatement]:
    """Read every statement in path (ZIP members in name order); StatementFormatError for anything else."""
    return list(iter_statement_file(path, profile=profile, mapping=mapping))


def iter_statement_file(
    path: Path, *, profile: str | None = None, mapping: CsvMapping | None = None
) -> Iterator[ParsedStatement]:
    """The statements of path one by one, as the reader finishes them: memory is bounded by a statement."""
    name = path.name
    try:
        if is_zip(path):
            yield from _read_zip(path, profile=profile, mapping=mapping)
        else:
            yield from iter_statement_stream(name, lambda: path.open("rb"), profile=profile, mapping=mapping)
    except OSError as error:
        raise StatementFormatError(name, "", _("cannot read the file: {error}").format(error=reason(error))) from error


def is_zip(path: Path) -> bool:
    """A ZIP archive, as every archive tool writes one: it starts with a ZIP header (zipfile, 5 ms to load, then
    checks the directory at its end). Raises OSError for a file that cannot be read."""
    with path.open("rb") as stream:
        if stream.read(2) != b"PK":
            return False
    import zipfile

    return zipfile.is_zipfile(path)


def read_statement_stream(
    source: str,
    open_binary: Callable[[], BinaryIO],
    *,
    profile: str | None = None,
    mapping: CsvMapping | None = None,
) -> list[ParsedStatement]:
    """Read one statement file from a reopenable byte stream."""
    return list(iter_statement_stream(source, open_binary, profile=profile, mapping=mapping))


def iter_statement_stream(
    source: str,
    open_binary: Callable[[], BinaryIO],
    *,
    profile: str | None = None,
    mapping: CsvMapping | None = None,
) -> Iterator[ParsedStatement]:
    """Yield the statements of one file from a reopenable byte stream; raises if it holds none."""
    with open_binary() as stream:
        head = stream.read(_SNIFF_BYTES)
    kind = detect_format(source, head)
    found = False
    if kind == "camt":
        from app.services.statements.camt import parse_camt

        with open_binary() as stream:
            for statement in parse_camt(stream, source=source):
                found = True
                yield statement
    elif kind == "mt940":
        from app.services.statements.mt940 import parse_mt940  # each reader loads for its files only

        encoding = _text_encoding(open_binary)
        with open_binary() as stream:
            text = io.TextIOWrapper(stream, encoding=encoding, newline="")
            for statement in parse_mt940(_bounded_lines(text, source), source=source):
                found = True
                yield statement
    else:
        from app.services.statements.bank_csv import read_bank_csv, utf16_as_utf8

        with open_binary() as stream:
            data = utf16_as_utf8(_read_at_most(stream, MAX_CSV_BYTES, source)).translate(None, _CSV_CONTROL_BYTES)
        for statement in read_bank_csv(data, source=source, profile=profile, mapping=mapping):
            found = True
            yield statement
    if not found:
        raise StatementFormatError(source, "", _("the file contains no statement"))


def detect_format(source: str, head: bytes) -> str:
    """Classify the first bytes as "camt", "mt940" or "csv"; reject empty, binary and non-statement XML."""
    text = head.removeprefix(_BOM).lstrip(b" \t\r\n\x00\x01\x02\x03\x1a")
    if not text:
        if b"\x00" in head:
            raise StatementFormatError(source, "", _("only zero bytes: binary data, not a statement file"))
        raise StatementFormatError(source, "", _("the file is empty"))
    if text.startswith(b"<"):
        if b"camt.05" in head or b"BkToCstmr" in head:
            return "camt"
        if b"pain." in head or b"CstmrPmtStsRpt" in head or b"CstmrCdtTrfInitn" in head:
            raise StatementFormatError(source, at_line(1), _("a SEPA pain file, not a bank statement"))
        return "camt"  # let the CAMT reader name the element it does not understand
    if _MT940_RE.search(head):
        return "mt940"
    from app.services.statements.bank_csv import is_utf16

    if is_utf16(head):
        return "csv"  # Erste Bank's George exports its CSV as UTF-16
    sample = text[:1024]
    binary = sum(byte in _BINARY_BYTES for byte in sample)
    if binary * 32 > len(sample):  # a stray NUL in a cell is dropped later; a binary file is full of them
        raise StatementFormatError(source, "", _("binary data, not a statement file (CAMT, MT940 or CSV)"))
    return "csv"


def _bounded_lines(text: TextIO, source: str) -> Iterator[str]:
    """The lines of text, refusing one longer than MAX_LINE_CHARS before it is read whole."""
    readline = text.readline
    limit = MAX_LINE_CHARS
    line_no = 0
    while line := readline(limit):
        line_no += 1
        if len(line) >= limit and line[-1] not in "\r\n":
            raise StatementFormatError(
                source, at_line(line_no), _("longer than {limit} characters: not MT940").format(limit=limit)
            )
        yield line


def _read_at_most(stream: BinaryIO, limit: int, source: str) -> bytes:
    """The whole stream, counted while reading: more than limit bytes are refused without reading them all."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise StatementFormatError(source, "", _("larger than {size}: refused").format(size=_mib(limit)))
    return data


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


class _CountedStream(io.RawIOBase):
    """A ZIP member that refuses to give more than MAX_MEMBER_BYTES, whatever its header declared."""

    def __init__(self, stream: IO[bytes], source: str) -> None:
        super().__init__()
        self._stream = stream
        self._source = source
        self._left = MAX_MEMBER_BYTES

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise StatementFormatError(
                self._source, "", _("larger than {size} uncompressed: refused").format(size=_mib(MAX_MEMBER_BYTES))
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _check_declared_size(info: zipfile.ZipInfo, source: str) -> None:
    """Refuse a member by the sizes its header declares, before reading a byte of it."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise StatementFormatError(
            source, "", _("larger than {size} uncompressed: refused").format(size=_mib(MAX_MEMBER_BYTES))
        )
    if info.file_size > _RATIO_FROM_BYTES and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
        raise StatementFormatError(
            source,
            "",
            _("{size} compressed into {n} bytes: a ZIP bomb, not a bank file; refused").format(
                size=_mib(info.file_size), n=info.compress_size
            ),
        )


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> BinaryIO:
    return io.BufferedReader(_CountedStream(archive.open(info), source), buffer_size=_DECODE_CHUNK)


def _text_encoding(open_binary: Callable[[], BinaryIO]) -> str:
    """UTF-8 if every byte decodes as UTF-8, else cp1252 (or Latin-1, which decodes anything).

    Decided before parsing, so that statements can go to the ledger while the rest of the file is still read.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open_binary() as stream:
                while chunk := stream.read(_DECODE_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _read_zip(path: Path, *, profile: str | None, mapping: CsvMapping | None) -> Iterator[ParsedStatement]:
    import zipfile

    found = False
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted((info for info in archive.infolist() if not info.is_dir()), key=lambda i: i.filename)
            for info in members:
                source = f"{path.name}:{info.filename}"
                _check_declared_size(info, source)
                for statement in iter_statement_stream(
                    source,
                    functools.partial(_open_member, archive, info, source),
                    profile=profile,
                    mapping=mapping,
                ):
                    found = True
                    yield statement
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError) as error:
        raise StatementFormatError(path.name, "", _("broken ZIP archive: {error}").format(error=error)) from error
    if not found:
        raise StatementFormatError(path.name, "", _("the ZIP archive holds no statement file"))
