"""Read-only figures across the ledger for the start page (later: open-items lists, exports for the tax advisor)."""
