"""The four TAN methods of the demo bank and the challenges they produce (SMS, app, photoTAN, chipTAN)."""

from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass

from app.demobank.png import phototan_png
from app.demobank.state import TanKind, TanMedium

PHOTO_MIME = "image/png"


@dataclass(frozen=True)
class TanMethod:
    """A two-step method as announced in HITANS7, with the medium that belongs to it."""

    security_function: str
    kind: TanKind
    name: str
    zka_id: str
    zka_version: str
    medium: TanMedium


METHODS: dict[str, TanMethod] = {
    m.security_function: m
    for m in (
        TanMethod("942", "text", "mobileTAN", "mobileTAN", "", TanMedium("Handy Demo", "M", "942", "0170 *** 4711")),
        TanMethod("946", "decoupled", "Kontor DemoApp", "Decoupled", "", TanMedium("Kontor DemoApp", "B", "946")),
        TanMethod("902", "photo", "photoTAN", "MS1.0.0", "", TanMedium("photoTAN-App", "B", "902")),
        TanMethod("972", "flicker", "chipTAN optisch", "HHD", "1.4", TanMedium("Karte 1234", "G", "972")),
    )
}


@dataclass(frozen=True)
class Challenge:
    """What HITAN carries (text, binary HHD_UC field) and what the demo phone shows."""

    text: str
    hhduc: bytes | None
    tan: str | None
    phone_text: str


def generator_tan(start_code: str) -> str:
    """The TAN a chipTAN generator shows for a start code; public so tests and the demo can compute it."""
    return f"{int(hashlib.sha256(start_code.encode()).hexdigest(), 16) % 1_000_000:06d}"


def _de(value: str) -> str:
    """An HHD data element: two-digit length, then the value (python-fints reads the length as decimal)."""
    return f"{len(value):02d}{value}"


def flicker_code(start_code: str, account_digits: str, amount: str) -> str:
    """An HHD 1.4 challenge: LC, start code with one control byte, DE1 account, DE2 amount."""
    body = f"{0x80 | len(start_code):02X}01{start_code}{_de(account_digits)}{_de(amount)}"
    return f"{len(body):03d}{body}"


def matrix_field(png: bytes) -> bytes:
    """The HITAN binary field for photoTAN: 2-byte MIME length, MIME type, 2-byte image length, image."""
    mime = PHOTO_MIME.encode("ascii")
    return struct.pack(">H", len(mime)) + mime + struct.pack(">H", len(png)) + png


def make_challenge(
    method: TanMethod, order_text: str, account_digits: str, amount: str, rng: random.Random, reference: str
) -> Challenge:
    """Issue a challenge for one order; the expected TAN is None for the decoupled app."""
    if method.kind == "decoupled":
        return Challenge(
            f"Bitte bestätigen Sie den Auftrag in Ihrer {method.name}: {order_text}",
            None,
            None,
            f"Freigabe angefordert: {order_text}",
        )
    if method.kind == "flicker":
        start_code = f"{rng.randrange(10**8):08d}"
        tan = generator_tan(start_code)
        return Challenge(
            f"Bitte halten Sie Ihren TAN-Generator an die Grafik. {order_text}",
            flicker_code(start_code, account_digits, amount).encode("ascii"),
            tan,
            f"TAN-Generator zeigt {tan} (Startcode {start_code})",
        )
    tan = f"{rng.randrange(10**6):06d}"
    if method.kind == "photo":
        png = phototan_png(reference, tan, f"Kontor Demobank photoTAN: {order_text}")
        return Challenge(
            f"Bitte scannen Sie die Grafik mit Ihrer photoTAN-App. {order_text}",
            matrix_field(png),
            tan,
            f"photoTAN-App zeigt {tan}: {order_text}",
        )
    return Challenge(
        f"Die TAN wurde an Ihr Mobiltelefon {method.medium.phone_masked} gesendet. {order_text}",
        None,
        tan,
        f"Kontor Demobank: TAN {tan} für {order_text}",
    )
