"""Parse a customer's FinTS message and build the bank's answer with python-fints' own segment classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fints.formals import (
    AlgorithmParameterIVName,
    AlgorithmParameterName,
    BankIdentifier,
    CompressionFunction,
    DateTimeType,
    EncryptionAlgorithm,
    EncryptionAlgorithmCoded,
    IdentifiedRole,
    KeyName,
    KeyType,
    OperationMode,
    ReferenceMessage,
    Response,
    SecurityDateTime,
    SecurityIdentificationDetails,
    SecurityMethod,
    SecurityProfile,
    SecurityRole,
    SegmentHeader,
    UsageEncryption,
)
from fints.parser import FinTS3Parser
from fints.segments.base import FinTS3Segment
from fints.segments.dialog import HIRMG2, HIRMS2
from fints.segments.message import HNHBK3, HNHBS1, HNSHA2, HNSHK4, HNVSD1, HNVSK3
from fints.types import SegmentSequence

ENVELOPE = ("HNHBK", "HNVSK", "HNVSD", "HNHBS", "HNSHK", "HNSHA")


@dataclass
class Request:
    """A customer message split into envelope, signature and the orders between them."""

    header: HNHBK3
    orders: list[FinTS3Segment]
    signature_head: HNSHK4 | None = None
    signature: HNSHA2 | None = None

    @property
    def pin(self) -> str | None:
        """The PIN; read `.value`: str() of python-fints' Password gives '***' while any client logs."""
        uds = self.signature.user_defined_signature if self.signature else None
        return uds.pin.value if uds is not None and uds.pin is not None else None

    @property
    def tan(self) -> str | None:
        """The TAN of a process-2 HKTAN, carried in HNSHA."""
        uds = self.signature.user_defined_signature if self.signature else None
        return uds.tan if uds is not None else None

    @property
    def security_function(self) -> str:
        """The two-step method the customer signs with ('999' = one-step)."""
        return str(self.signature_head.security_function) if self.signature_head else "999"

    @property
    def login(self) -> str | None:
        """The login from the signature's key name."""
        return str(self.signature_head.key_name.user_id) if self.signature_head else None

    def find(self, kind: str) -> FinTS3Segment | None:
        """First order segment of a type, e.g. 'HKTAN'."""
        return next((s for s in self.orders if s.header.type == kind), None)


def parse_request(raw: bytes) -> Request:
    """Parse the decoded POST body; the payload sits inside HNVSD unless the dialog is anonymous."""
    message = FinTS3Parser().parse_message(raw)
    header = message.segments[0]
    if not isinstance(header, HNHBK3):
        raise ValueError("message does not start with HNHBK")
    vsd = message.find_segment_first(HNVSD1, recurse=False)
    inner = list(vsd.data.segments) if vsd is not None else list(message.segments[1:-1])
    request = Request(header, [s for s in inner if s.header.type not in ENVELOPE])
    request.signature_head = next((s for s in inner if isinstance(s, HNSHK4)), None)
    request.signature = next((s for s in inner if isinstance(s, HNSHA2)), None)
    return request


@dataclass
class Reply:
    """Collects return codes (HIRMG, HIRMS per referenced segment) and data segments of one answer."""

    global_codes: list[Response] = field(default_factory=list)
    segment_codes: dict[int, list[Response]] = field(default_factory=dict)
    data: list[FinTS3Segment] = field(default_factory=list)
    long_texts: bool = False  # misbehave: HIRMS texts past the 80 characters the spec allows

    def message(self, code: str, text: str) -> None:
        """A code about the whole message (HIRMG)."""
        self.global_codes.append(Response(code=code, reference_element=None, text=text[:80]))

    def answer(self, reference: int, code: str, text: str, *parameters: str) -> None:
        """A code about one customer segment (HIRMS with Bezugssegment)."""
        response = Response(code=code, reference_element=None, text=text[:80])
        if parameters:
            response.parameters = list(parameters)
        self.segment_codes.setdefault(reference, []).append(response)

    def add(self, segment: FinTS3Segment, reference: int | None = None) -> None:
        """A data segment, optionally answering the customer segment number `reference`."""
        segment.header.reference = reference
        self.data.append(segment)

    def codes(self) -> list[str]:
        """All codes, for the summary in HIRMG and for tests."""
        return [r.code for r in self.global_codes] + [r.code for rs in self.segment_codes.values() for r in rs]

    def _summary(self) -> list[Response]:
        """HIRMG: explicit codes, or one summarising the worst segment code."""
        if self.global_codes:
            return self.global_codes
        worst = max((c[0] for c in self.codes()), default="0")
        text = {
            "9": ("9050", "Die Nachricht enthält Fehler."),
            "3": ("3060", "Bitte beachten Sie die enthaltenen Warnungen/Hinweise."),
        }
        code, message = text.get(worst, ("0010", "Nachricht entgegengenommen."))
        return [Response(code=code, reference_element=None, text=message)]

    def render(self, dialog_id: str, message_number: int, blz: str, login: str, system_id: str) -> bytes:
        """The complete answer: HNHBK, HNVSK, HNVSD with HIRMG/HIRMS/data inside, HNHBS."""
        inner: list[FinTS3Segment] = [HIRMG2(responses=self._summary())]
        for reference, responses in self.segment_codes.items():
            if self.long_texts:
                inner.append(_long_hirms(reference, responses))
            else:
                inner.append(HIRMS2(header=SegmentHeader("HIRMS", None, 2, reference), responses=responses))
        inner += self.data
        for number, segment in enumerate(inner, start=2):
            segment.header.number = number
        now = datetime.now()
        head = HNHBK3(
            message_size=0,
            hbci_version=300,
            dialog_id=dialog_id,
            message_number=message_number,
            reference_message=ReferenceMessage(dialog_id=dialog_id, message_number=message_number),
        )
        head.header.number = 1
        crypt = HNVSK3(
            security_profile=SecurityProfile(SecurityMethod.PIN, 1),
            security_function="998",
            security_role=SecurityRole.ISS,
            security_identification_details=SecurityIdentificationDetails(IdentifiedRole.MS, identifier=system_id),
            security_datetime=SecurityDateTime(DateTimeType.STS, now.date(), now.time()),
            encryption_algorithm=EncryptionAlgorithm(
                UsageEncryption.OSY,
                OperationMode.CBC,
                EncryptionAlgorithmCoded.TWOKEY3DES,
                b"\x00" * 8,
                AlgorithmParameterName.KYE,
                AlgorithmParameterIVName.IVC,
            ),
            key_name=KeyName(BankIdentifier("280", blz), login, KeyType.V, 0, 0),
            compression_function=CompressionFunction.NULL,
        )
        crypt.header.number = 998
        data = HNVSD1(data=SegmentSequence(inner))
        data.header.number = 999
        tail = HNHBS1(message_number=message_number)
        tail.header.number = len(inner) + 2
        message = SegmentSequence([head, crypt, data, tail])
        head.message_size = len(message.render_bytes())
        return message.render_bytes()


LONG_SUFFIX = " - Weitere Informationen erhalten Sie in Ihrer Filiale oder telefonisch unter der Rufnummer Ihrer Bank."


def _long_hirms(reference: int, responses: list[Response]) -> FinTS3Segment:
    """HIRMS written raw: python-fints' Response refuses texts over 80 characters, some banks send them anyway."""
    elements = [[r.code, r.reference_element, f"{r.text}{LONG_SUFFIX}", *(r.parameters or [])] for r in responses]
    return FinTS3Segment(header=SegmentHeader("HIRMS", None, 2, reference), _additional_data=elements)
