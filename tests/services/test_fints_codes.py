"""Bank return codes in plain words, also from HIRMG/HIRMS that python-fints' robust mode leaves generic."""

from __future__ import annotations

import warnings

from fints.parser import FinTS3Parser
from fints.segments.dialog import HIRMG2, HIRMS2

from app.services.banking.fints_client import describe_codes, repair_responses, response_codes

LONG = "Die Sperre wurde vorläufig eingerichtet; Entsperren mit dem Geschäftsvorfall PIN-Sperre aufheben ist möglich."
WIRE = (
    f"HIRMG:2:2+9800::Dialog abgebrochen+9942::PIN falsch'HIRMS:3:2:3+3931::{LONG}+3040::Weitere Umsätze folgen:4711'"
).encode("iso-8859-1")


def _parse() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # robust mode's FinTSParserWarning
        return FinTS3Parser().parse_message(WIRE)


def test_a_generic_hirms_keeps_its_codes_and_is_rebuilt_for_python_fints() -> None:
    message = _parse()
    hirmg, hirms = message.segments  # type: ignore[attr-defined]
    assert isinstance(hirmg, HIRMG2) and not isinstance(hirms, HIRMS2)  # the text is over 80 characters
    assert response_codes(hirmg) == [("9800", "Dialog abgebrochen"), ("9942", "PIN falsch")]
    assert response_codes(hirms) == [("3931", LONG), ("3040", "Weitere Umsätze folgen")]
    repair_responses(message)  # type: ignore[arg-type]
    rebuilt = message.segments[1]  # type: ignore[attr-defined]
    assert isinstance(rebuilt, HIRMS2) and rebuilt.header.reference == 3
    assert [(r.code, list(r.parameters or [])) for r in rebuilt.responses] == [("3931", []), ("3040", ["4711"])]
    assert rebuilt.responses[0].text == LONG[:80]


def test_codes_in_plain_words_followed_by_the_banks_text() -> None:
    text = describe_codes([("9800", "Dialog abgebrochen"), ("9942", "PIN falsch")], "fallback")
    assert text.startswith("The bank ended the dialog. The bank refused the PIN.")
    assert text.endswith("The bank says: 9800 Dialog abgebrochen; 9942 PIN falsch")
    locked = describe_codes([("3931", "Vorläufige Sperre")], "fallback")
    assert locked.startswith("The online banking access is locked for the time being.")
    assert describe_codes([("3076", "SCA nicht notwendig"), ("0020", "ok")], "fallback") == "fallback"
