"""Kontor Demobank: a local FinTS 3.0 PIN/TAN bank for the demo mode and for tests, free of Qt."""

from __future__ import annotations

from app.demobank.challenges import generator_tan
from app.demobank.server import (
    DEMO_BLZ,
    DEMO_LOGIN,
    DEMO_PIN,
    DemoBank,
    DemoBankServer,
    run_demo_bank,
)
from app.demobank.state import Policy

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
