"""`KontorError`: the one base of every error whose message is written for the user.

The GUI shows such an error as a message (anything else is a bug with a traceback in the log); the CLI prints
it as one line and exits with its `exit_code`.
"""

from __future__ import annotations

EXIT_ERROR = 1
EXIT_WRONG_PASSPHRASE = 2
EXIT_WRONG_PIN = 3  # also a failed sign-in (wrong password, unknown or locked user)
EXIT_SIGN_IN = 3
EXIT_BANK = 4
EXIT_WARNINGS = 5  # the work was done, but with warnings (e.g. an account synced without a balance)


class KontorError(Exception):
    """A user-facing error: `str(error)` is translated text; `exit_code` is the CLI's exit status for it."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str = "", *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
