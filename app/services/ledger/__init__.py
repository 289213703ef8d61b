"""The company's ledger file: opening and migrating it, users and sign-in, the audit log, secrets, settings."""
