"""A FinTS server that answers with real banks' recorded segments, so Kontor meets what real banks send.

The recordings under tests/data/fints/<bank>/ are whole bank answers as published in other projects' test suites
(see tests/data/fints/README.md). This server only re-points what ties an answer to a request: the message header
(dialog ID, message numbers), the envelope, each segment's number and the segment it refers to. Everything after a
recorded segment's header is passed through byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "fints"
ANONYMOUS = b"9999999999"
ENVELOPE = {b"HNHBK", b"HNHBS", b"HNVSK", b"HNVSD", b"HNSHK", b"HNSHA"}
UPD = {b"HIUPA", b"HIUPD"}
ANSWERS = {  # data segment -> the request segment it answers
    b"HISYN": b"HKSYN",
    b"HITAN": b"HKTAN",
    b"HISPA": b"HKSPA",
    b"HISAL": b"HKSAL",
    b"HIKAZ": b"HKKAZ",
    b"HICAZ": b"HKCAZ",
    b"HITAB": b"HKTAB",
}
LAYOUTS = {  # the request a recorded answer was given to, as phpFinTS sent it: what its references meant
    "anonymous": (b"HKIDN", b"HKVVB", b"HKTAN"),
    "sync": (b"HKIDN", b"HKVVB", b"HKSYN"),
    "init": (b"HKIDN", b"HKVVB", b"HKTAN"),
    "HKCCS": (b"HKCCS", b"HKTAN", b"HKVPP"),  # a transfer with the payee check (verification of payee)
}
# HISPA versions 1-3 differ only in the request: the answer goes out in the version asked for
SAME_BODY = {b"HISPA": {b"1", b"2", b"3"}}
TOUCHDOWN = {b"HKKAZ": 6, b"HKCAZ": 7}  # data element of the touchdown point (Aufsetzpunkt)
BUSINESS = (b"HKSPA", b"HKSAL", b"HKKAZ", b"HKCAZ", b"HKTAB", b"HKCCS")
NO_ENTRIES = DATA / "postbank" / "HKSPA.fints"  # a real bank's "3010 no entries", for requests nobody recorded
DIALOG_END = DATA / "dkb" / "end.fints"


def split_segments(data: bytes) -> list[bytes]:
    """Top-level segments without their closing apostrophe; '?' escapes and @len@ binary data are skipped over."""
    segments: list[bytes] = []
    start = index = 0
    while index < len(data):
        char = data[index : index + 1]
        if char == b"?":
            index += 2
            continue
        if char == b"@":
            match = re.match(rb"@(\d+)@", data[index:])
            if match:
                index += match.end() + int(match.group(1))
                continue
        if char == b"'":
            segments.append(data[start:index])
            start = index + 1
        index += 1
    if data[start:].strip():
        segments.append(data[start:])
    return segments


def split_elements(segment: bytes, separator: bytes = b"+") -> list[bytes]:
    """Data elements (or, with ':', group members) of one segment, escapes and binary data kept intact."""
    parts: list[bytes] = []
    start = index = 0
    while index < len(segment):
        char = segment[index : index + 1]
        if char == b"?":
            index += 2
            continue
        if char == b"@":
            match = re.match(rb"@(\d+)@", segment[index:])
            if match:
                index += match.end() + int(match.group(1))
                continue
        if char == separator:
            parts.append(segment[start:index])
            start = index + 1
        index += 1
    parts.append(segment[start:])
    return parts


def kind(segment: bytes) -> bytes:
    return segment.split(b":", 1)[0]


def reference(segment: bytes) -> int | None:
    head = split_elements(split_elements(segment)[0], b":")
    return int(head[3]) if len(head) > 3 and head[3] else None


def repoint(segment: bytes, number: int, refers_to: int | None, version: bytes | None = None) -> bytes:
    """The recorded segment with a new header: same type (and version), new number and reference."""
    elements = split_elements(segment)
    head = split_elements(elements[0], b":")
    new_head = [head[0], str(number).encode(), version or head[2]]
    if refers_to is not None and len(head) > 3:
        new_head.append(str(refers_to).encode())
    return b"+".join([b":".join(new_head), *elements[1:]])


def inner_segments(data: bytes) -> list[bytes]:
    """A recorded or received message's own segments, the encryption envelope opened and dropped."""
    result: list[bytes] = []
    for segment in split_segments(data):
        if kind(segment) == b"HNVSD":
            payload = split_elements(segment)[1]
            match = re.match(rb"@(\d+)@", payload)
            if match:
                result += inner_segments(payload[match.end() :])
            continue
        if kind(segment) not in ENVELOPE:
            result.append(segment)
    return result


def response_codes(segments: list[bytes]) -> list[bytes]:
    """The four-digit return codes of the HIRMG/HIRMS segments among `segments`."""
    return [
        split_elements(element, b":")[0]
        for segment in segments
        if kind(segment) in (b"HIRMG", b"HIRMS")
        for element in split_elements(segment)[1:]
    ]


@dataclass
class Bank:
    """One recorded bank: its answers by role (anonymous, sync, init, end, HKSPA, HKCAZ, HKCAZ.tan, HKCAZ.2 …)."""

    name: str
    blz: str
    login: str
    pin: str
    info: dict[str, Any]
    answers: dict[str, list[bytes]]

    @classmethod
    def load(cls, name: str) -> Bank:
        directory = DATA / name
        info = json.loads((directory / "bank.json").read_text(encoding="utf-8"))
        paths = sorted(directory.glob("*.fints"))
        answers = {path.name.removesuffix(".fints"): inner_segments(path.read_bytes()) for path in paths}
        return cls(name, str(info["blz"]), str(info["login"]), str(info["pin"]), info, answers)


@dataclass
class _Dialog:
    pending: str = ""  # the business request waiting for its TAN
    pages: dict[bytes, int] = field(default_factory=dict)


class ReplayBank:
    """Answers FinTS messages from one bank's recordings; counts what it was asked for the tests."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.lock = threading.Lock()
        self.dialogs: dict[str, _Dialog] = {}
        self.requests: list[list[bytes]] = []  # segment types of every message received
        self._counter = 0

    def handle(self, message: bytes) -> bytes:
        with self.lock:
            segments = split_segments(message)
            header = split_elements(segments[0])
            dialog_id = header[3].decode("iso-8859-1")
            message_number = int(header[4])
            request = [s for s in inner_segments(message) if kind(s) not in ENVELOPE]
            self.requests.append([kind(s) for s in request])
            if dialog_id == "0":
                self._counter += 1
                dialog_id = f"REPLAY{self._counter:06d}"
                self.dialogs[dialog_id] = _Dialog()
            dialog = self.dialogs.setdefault(dialog_id, _Dialog())
            answer = self._answer(dialog, request)
            return self._message(dialog_id, message_number, request, answer, encrypted=not self._anonymous(request))

    # --- choosing the recorded answer ----------------------------------------------------------------------
    def _anonymous(self, request: list[bytes]) -> bool:
        return any(kind(s) == b"HKIDN" and split_elements(s)[2] == ANONYMOUS for s in request)

    def _answer(self, dialog: _Dialog, request: list[bytes]) -> list[tuple[bytes, str]]:
        """(recorded segment, role) pairs answering the request; the role tells how its references map."""
        kinds = [kind(s) for s in request]
        answers = self.bank.answers
        if b"HKIDN" in kinds:
            if self._anonymous(request):
                return [(s, "anonymous") for s in answers["anonymous"]]
            if b"HKSYN" in kinds or "init" not in answers:
                return self._bootstrap(with_system_id=b"HKSYN" in kinds)
            if b"0030" in response_codes(answers["init"]):
                dialog.pending = "init"  # strong authentication at login: the TAN answer is "init.tan"
            return [(s, "init") for s in answers["init"]]
        if b"HKEND" in kinds:
            return [(s, "end") for s in answers.get("end") or inner_segments(DIALOG_END.read_bytes())]
        business = next((k for k in kinds if k in BUSINESS), None)
        if business is not None:
            role = self._page(dialog, business, request)
        elif dialog.pending:
            role, dialog.pending = f"{dialog.pending}.tan", ""
        else:
            role = ""
        recorded = answers.get(role)
        if business is not None and not self._recorded_for(business, request):
            recorded = None
        if recorded is None and role == "HKSPA" and self.bank.info.get("hispa"):
            recorded = self._accounts_from_upd()
        if recorded is None:
            return [(s, "business") for s in inner_segments(NO_ENTRIES.read_bytes())]
        if business is not None and b"0030" in response_codes(recorded):
            dialog.pending = role
        return [(s, "business") for s in recorded]

    def _recorded_for(self, business: bytes, request: list[bytes]) -> bool:
        """Whether the request is for the account the answer was recorded for (bank.json "recorded_for")."""
        names = self.bank.info.get("recorded_for", {}).get(business.decode())
        if not names:
            return True
        segment = next(s for s in request if kind(s) == business)
        return bool({str(n).encode() for n in names} & set(split_elements(split_elements(segment)[1], b":")))

    def _accounts_from_upd(self) -> list[bytes]:
        """The one answer not recorded anywhere: HISPA for a bank whose HKSPA answer was never published.

        Built from bank.json's "hispa" (the recorded UPD's account with the BIC of the source's test account).
        """
        accounts = b"+".join(str(a).encode("iso-8859-1") for a in self.bank.info["hispa"])
        return [b"HIRMG:2:2+0010::Nachricht entgegengenommen.", b"HIRMS:3:2:3+0020::Auftrag ausgef\xfchrt.",
                b"HISPA:4:1:3+" + accounts]  # fmt: skip

    def _page(self, dialog: _Dialog, business: bytes, request: list[bytes]) -> str:
        """First page without a touchdown point, the next recorded page for each touchdown that follows."""
        segment = next(s for s in request if kind(s) == business)
        elements = split_elements(segment)
        at = TOUCHDOWN.get(business, len(elements))
        touchdown = at < len(elements) and bool(elements[at])
        page = dialog.pages.get(business, 1) + 1 if touchdown else 1
        dialog.pages[business] = page
        name = business.decode()
        return name if page == 1 else f"{name}.{page}"

    def _bootstrap(self, *, with_system_id: bool) -> list[tuple[bytes, str]]:
        """The first authenticated dialog: the recorded sync answer, completed with recorded BPD and UPD.

        phpFinTS fetches the BPD anonymously and the UPD in the next dialog; python-fints expects all of it in
        this one, so the parts come from those recordings. An error answer (wrong PIN, lock) goes out alone.
        """
        answers = self.bank.answers
        recorded = answers.get("sync") or answers["init"]
        if not with_system_id:
            recorded = [s for s in recorded if kind(s) != b"HISYN"]
        pairs = [(s, "sync") for s in recorded]
        codes = response_codes(recorded)
        if any(code[:1] == b"9" for code in codes) or {b"3938", b"3931"} & set(codes):
            return pairs
        present = {kind(s) for s in recorded}
        if b"HIBPA" not in present and "anonymous" in answers:
            pairs += [(s, "bpd") for s in answers["anonymous"] if kind(s) not in {b"HIRMG", b"HIRMS", b"HITAN", *UPD}]
        if not present & UPD and "init" in answers:
            pairs += [(s, "upd") for s in answers["init"] if kind(s) in UPD]
        return pairs

    # --- building the message ------------------------------------------------------------------------------
    def _target(self, segment: bytes, role: str, request: list[bytes]) -> int | None:
        """The number of the live request segment a recorded segment answers."""
        numbers = {kind(s): int(split_elements(split_elements(s)[0], b":")[1]) for s in request}
        business = next((k for k in numbers if k in BUSINESS), None)
        fallback = next((numbers[k] for k in (business, b"HKVVB", b"HKTAN", b"HKEND") if k in numbers), None)
        wanted = ANSWERS.get(kind(segment))
        if wanted is None and role in ("bpd", "upd"):
            wanted = b"HKVVB"
        recorded = reference(segment)
        if wanted is None and recorded is not None:
            layout = LAYOUTS.get(role) or LAYOUTS.get((business or b"").decode()) or (business, b"HKTAN")
            position = recorded - (2 if role == "anonymous" else 3)
            if 0 <= position < len(layout):
                wanted = layout[position]
        return numbers.get(wanted, fallback) if wanted else fallback

    def _message(
        self, dialog_id: str, number: int, request: list[bytes], answer: list[tuple[bytes, str]], *, encrypted: bool
    ) -> bytes:
        """HNHBK, the answer's segments renumbered and re-pointed (HIRMG first, one only), HNHBS."""
        messages = [s for s, _role in answer if kind(s) == b"HIRMG"]
        body: list[bytes] = []
        position = 2
        for segment in messages[:1]:
            body.append(repoint(segment, position, None))
            position += 1
        versions = {kind(s): split_elements(split_elements(s)[0], b":")[2] for s in request}
        for segment, role in answer:
            if kind(segment) == b"HIRMG":
                continue
            version = None
            same = SAME_BODY.get(kind(segment), set())
            asked = versions.get(ANSWERS.get(kind(segment), b""))
            if asked in same and split_elements(split_elements(segment)[0], b":")[2] in same:
                version = asked
            body.append(repoint(segment, position, self._target(segment, role, request), version))
            position += 1
        inner = b"".join(s + b"'" for s in body)
        if encrypted:
            now = datetime.now().strftime("%Y%m%d:%H%M%S").encode()
            blz, login = self.bank.blz.encode(), _escape(self.bank.login).encode("iso-8859-1")
            inner = (
                b"HNVSK:998:3+PIN:1+998+1+2::0+1:" + now + b"+2:2:13:@8@00000000:5:1+280:" + blz + b":" + login
                + b":V:0:0+0'HNVSD:999:1+@" + str(len(inner)).encode() + b"@" + inner + b"'"
            )  # fmt: skip
        trailer = b"HNHBS:" + str(position).encode() + b":1+" + str(number).encode() + b"'"
        ident = dialog_id.encode("iso-8859-1")
        tail = b"+300+" + ident + b"+" + str(number).encode() + b"+" + ident + b":" + str(number).encode() + b"'"
        length = len(b"HNHBK:1:3+000000000000") + len(tail) + len(inner) + len(trailer)
        return b"HNHBK:1:3+" + f"{length:012d}".encode() + tail + inner + trailer


def _escape(text: str) -> str:
    return re.sub(r"([?@:+'])", r"?\1", text)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            message = base64.b64decode(body, validate=False)
        except binascii.Error:
            self._send(400, b"body is not base64")
            return
        self._send(200, base64.b64encode(self.server.bank.handle(message)))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the requests carry the PIN."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bank: ReplayBank) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bank = bank


class ReplayServer:
    """Serve one recorded bank on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, bank: Bank) -> None:
        self.bank = ReplayBank(bank)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/fints"

    def __enter__(self) -> ReplayServer:
        self._server = _Server(self.bank)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fints-replay", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
