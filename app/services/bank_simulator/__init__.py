"""Kontor Demobank: a local FinTS 3.0 PIN/TAN bank for the demo mode and for tests, free of Qt."""

from __future__ import annotations

from app.services.bank_simulator.challenges import generator_tan
from app.services.bank_simulator.server import (
    DEMO_BLZ,
    DEMO_LOGIN,
    DEMO_PIN,
    DemoBank,
    DemoBankServer,
    run_demo_bank,
)
from app.services.bank_simulator.state import Policy

__all__ = [
    "DEMO_BLZ",
    "DEMO_LOGIN",
    "DEMO_PIN",
    "DemoBank",
    "DemoBankServer",
    "Policy",
    "generator_tan",
    "run_demo_bank",
]
