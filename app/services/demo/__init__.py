"""The built-in demo: a ready ledger and the demo bank's connection."""
