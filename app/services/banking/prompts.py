"""What a bank operation asks the user (PIN, TAN method, TAN), as a Qt-free Protocol the CLI and GUI implement."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from app.services.formatting import grouped_iban
from app.services.i18n import _
from app.services.payments.payee_words import result_text

TanKind = Literal["text", "photo", "flicker", "decoupled"]


@dataclass(frozen=True, slots=True)
class DecoupledPolling:
    """The bank's HITANS rules for asking whether an app approval happened (seconds, count)."""

    first_wait: float
    next_wait: float
    max_polls: int
    automatic: bool = True  # HITANS 7 "automatic status polling allowed"; if not, the user says when confirmed


@dataclass(frozen=True, slots=True)
class TanChallenge:
    """One TAN request, in the shape a TAN dialog shows it; never contains the TAN itself."""

    kind: TanKind
    text: str
    html: str = ""
    image: tuple[str, bytes] | None = None  # (MIME type, bytes), photoTAN
    flicker_code: str | None = None  # HHD UC string for an animated chipTAN graphic
    reference: str = ""  # the bank's task reference
    mechanism: str = ""  # security function, e.g. "942"
    medium: str = ""
    polling: DecoupledPolling | None = None  # only for kind == "decoupled"
    signs: str = ""  # Kontor's own words for what this TAN authorises ("collective transfer, 3 orders, …")


@dataclass(frozen=True, slots=True)
class PayeeCheck:
    """The bank's verification of payee for a transfer, in its own words; the approver decides whether it goes out.

    `result`: RCVC (the name matches), RVMC (almost: the holder's name is `close_match_name`), RVNM (no match),
    RVNA (not possible: `reason`), or "" when the bank gave no single result.
    """

    result: str
    iban: str = ""
    close_match_name: str = ""
    reason: str = ""
    notice: str = ""  # the bank's liability notice, shown verbatim
    end_to_end_id: str = ""  # which transfer of a collective order (from the bank's report)

    def summary(self) -> str:
        """One sentence in the user's language on what the bank found."""
        return result_text(self.result, bank_name=self.close_match_name, reason=self.reason)


@dataclass(frozen=True, slots=True)
class TanMechanismOption:
    """A TAN method the bank offers this login, for the method choice."""

    code: str
    name: str
    kind: TanKind


class UserPrompts(Protocol):
    """Questions a bank operation asks while it runs; every method blocks its (worker) caller until answered.

    `None` (or False) always means the user cancelled; the operation then ends without retrying.
    """

    def ask_pin(self, label: str) -> str | None: ...

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None: ...

    def choose_tan_medium(self, options: Sequence[str]) -> str | None: ...

    def ask_tan(self, challenge: TanChallenge) -> str | None: ...

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        """Called before each status poll while the bank waits for app approval; show "confirm in your app"."""
        ...

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None: ...

    def confirm_payee(self, check: PayeeCheck) -> bool:
        """The bank's payee check asks for confirmation: True sends anyway, False stops (nothing is sent)."""
        ...


def _say(text: str) -> None:
    """Prompts go to stderr, so `kontor --json … > out.json` keeps stdout for the result."""
    print(text, file=sys.stderr, flush=True)


def _ask(prompt: str) -> str:
    print(prompt, end="", file=sys.stderr, flush=True)
    return input()


class TerminalPrompts:
    """UserPrompts for `kontor …`: getpass and input on the terminal, text on stderr; Ctrl+C cancels."""

    def __init__(self, image_dir: Path | None = None) -> None:
        self._image_dir = image_dir

    def ask_pin(self, label: str) -> str | None:
        """getpass only in a terminal, so a PIN is never read from a pipe by accident."""
        if not sys.stdin.isatty():
            return None
        return getpass.getpass(_("PIN for {label}: ").format(label=label)) or None

    def _choose(self, title: str, options: Sequence[tuple[str, str]]) -> str | None:
        """A numbered menu; empty input or EOF cancels."""
        _say(title)
        for number, (_code, text) in enumerate(options, start=1):
            _say(f"  {number}) {text}")
        try:
            answer = _ask(_("Choice [1-{n}]: ").format(n=len(options))).strip()
        except EOFError:
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1][0]
        return None

    def choose_tan_mechanism(self, options: Sequence[TanMechanismOption]) -> str | None:
        return self._choose(_("TAN method:"), [(o.code, f"{o.name} ({o.code})") for o in options])

    def choose_tan_medium(self, options: Sequence[str]) -> str | None:
        return self._choose(_("TAN medium:"), [(o, o) for o in options])

    def ask_tan(self, challenge: TanChallenge) -> str | None:
        """Show the challenge (photoTAN as a PNG file, chipTAN as its code) and read the TAN."""
        _say_signs(challenge)
        _say(challenge.text)
        if challenge.image is not None:
            mime, data = challenge.image
            suffix = ".png" if mime == "image/png" else ".img"
            import tempfile  # only for a photoTAN picture; not on every start

            with tempfile.NamedTemporaryFile(
                "wb", suffix=suffix, prefix="kontor-phototan-", dir=self._image_dir, delete=False
            ) as handle:
                handle.write(data)
            _say(_("Scan the photoTAN graphic in {path}").format(path=handle.name))
        if challenge.flicker_code:
            _say(
                _("chipTAN: this needs a TAN generator (optical or manual entry); code: {code}").format(
                    code=challenge.flicker_code
                )
            )
        try:
            return _ask(_("TAN: ")).strip() or None
        except EOFError:
            return None

    def await_decoupled(self, challenge: TanChallenge, polls: int) -> bool:
        """Automatic: announce once, then Kontor polls; otherwise the bank wants to hear when it was confirmed."""
        if challenge.polling is not None and not challenge.polling.automatic:
            if polls == 0:
                _say(challenge.text)
            try:
                _ask(_("Confirm in your banking app, then press Enter (Ctrl+C cancels): "))
            except EOFError:
                return False
            return True
        if polls == 0:
            _say_signs(challenge)
            _say(challenge.text)
            _say(_("Please confirm in your banking app; waiting (Ctrl+C cancels)…"))
        return True

    def decoupled_finished(self, challenge: TanChallenge, approved: bool) -> None:
        _say(_("Confirmed in the app.") if approved else _("Not confirmed in the app."))

    def confirm_payee(self, check: PayeeCheck) -> bool:
        """Show what the bank found and its notice; only "yes" (or "ja") sends anyway, anything else stops."""
        _say(
            _("Verification of payee ({iban}): {summary}").format(
                iban=grouped_iban(check.iban), summary=check.summary()
            )
        )
        if check.notice:
            _say(check.notice)
        try:
            answer = _ask(_("Send anyway? Type yes to send, anything else stops: ")).strip().casefold()
        except EOFError:
            return False
        return answer in {"yes", "ja", _("yes").casefold()}


def _say_signs(challenge: TanChallenge) -> None:
    """Kontor's own words for what the TAN authorises, before the bank's (which a bank may keep vague)."""
    if challenge.signs:
        _say(_("You authorise: {what}").format(what=challenge.signs))
