"""The bank's questions in the terminal for `kontor bank` and `kontor pay`/`run send`: a module of its own, so
commands without a bank (and the GUI's first paint) do not import the banking prompts."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from app.cli.common import CliError
from app.services.banking.prompts import TanMechanismOption, TerminalPrompts
from app.services.i18n import _


class CliPrompts(TerminalPrompts):
    """Terminal prompts that take the TAN method and medium from options, so scripts need no menu."""

    def __init__(self, mechanism: str | None = None, medium: str | None = None) -> None:
        super().__init__()
        self._mechanism = mechanism
        self._medium = medium

    def ask_pin(self, label: str) -> str | None:
        """Without a terminal the PIN can only come from KONTOR_PIN: say so rather than "Cancelled."."""
        if not sys.stdin.isatty():
            raise CliError(_("No PIN: set KONTOR_PIN or run in a terminal."))
        return super().ask_pin(label)

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        if self._mechanism:
            if self._mechanism not in [o.code for o in options]:
                raise CliError(
                    _("The bank offers no TAN method {code}; it offers {codes}.").format(
                        code=self._mechanism, codes=", ".join(f"{o.code} ({o.name})" for o in options)
                    )
                )
            return self._mechanism
        return super().choose_tan_mechanism(options)

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        return self._medium or super().choose_tan_medium(options)
