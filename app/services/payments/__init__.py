"""Outgoing payments: orders, runs, four-eyes approval, mandates, SEPA checks and pain files."""
