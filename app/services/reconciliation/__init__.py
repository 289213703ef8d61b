"""Matching bank bookings to invoices in the ledger: the engine's cache, booking allocations, undo."""
