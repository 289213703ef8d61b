"""Invoices from the company's billing program: import and the list's summary."""
