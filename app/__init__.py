"""Kontor: desktop banking and payment reconciliation."""

__version__ = "0.1.0"
