"""Shared helpers for the demo bank tests: a settable clock and a real python-fints client against it."""

from __future__ import annotations

from datetime import date, timedelta

from fints.client import FinTS3PinTanClient
from fints.formals import Response

from app.demobank import DEMO_BLZ, DEMO_LOGIN, DEMO_PIN, DemoBankServer

TODAY = date(2026, 11, 20)
PRODUCT_ID = "KONTORDEMO"


class Clock:
    """The injectable clock: tests move time forward to reach due dates."""

    def __init__(self, today: date = TODAY) -> None:
        self.day = today

    def __call__(self) -> date:
        return self.day

    def advance(self, days: int) -> None:
        """Let `days` pass."""
        self.day += timedelta(days=days)


def client_for(server: DemoBankServer, pin: str = DEMO_PIN, **kwargs: object) -> FinTS3PinTanClient:
    """An unmodified python-fints PIN/TAN client pointed at the demo bank."""
    return FinTS3PinTanClient(DEMO_BLZ, DEMO_LOGIN, pin, server.url, product_id=PRODUCT_ID, **kwargs)


def collect_codes(client: FinTS3PinTanClient) -> list[str]:
    """Record every bank return code the client sees (the only way to see 9941 on statements)."""
    codes: list[str] = []

    def remember(_segment: object, response: Response) -> None:
        codes.append(response.code)

    client.add_response_callback(remember)
    return codes
