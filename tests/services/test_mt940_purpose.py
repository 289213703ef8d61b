"""The :86: field parser and the SEPA keyword splitter, by example and by round-trip properties."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.services.statements.mt940 import parse_details_86, parse_mt940
from app.services.statements.sepa_purpose import (
    find_return_reason,
    join_purpose_lines,
    split_sepa_purpose,
)


def test_structured_86_fields() -> None:
    details = parse_details_86(
        "166?00GUTSCHRIFT?100399?20EREF+EndToEndId TFNR 22 004?21 00001?22SVWZ+Verw CTSc-01 BC-PPP TF"
        "?23Nr 22 004?30DRESDEFF508?31DE14508800500194785000?32KARL?33        KAUFMANN?34997"
    )
    assert (details.gvc, details.posting_text, details.primanota) == ("166", "GUTSCHRIFT", "0399")
    assert (details.bank_code, details.account) == ("DRESDEFF508", "DE14508800500194785000")
    assert details.name == "KARL KAUFMANN"
    assert details.text_key_extension == "997"
    assert details.sepa["EREF"] == "EndToEndId TFNR 22 004 00001"  # ?20 is full: ?21 continues it
    assert details.purpose.startswith("Verw CTSc-01 BC-PPP TF")


def test_question_mark_code_split_across_lines_is_joined_before_parsing() -> None:
    lines = [
        ":20:X",
        ":25:12345678/1234",
        ":60F:C200101EUR0,00",
        ":61:2001010101C1,00NTRFNONREF",
        ":86:109?00RETOURE?20EREF+A1.200080779.400143254?2",
        "1SVWZ+RUECKGABE AC04 KONTO ERLOSCHEN?32MUSTER",
        ":62F:C200101EUR1,00",
    ]
    (statement,) = parse_mt940(lines, source="t.sta")
    transaction = statement.transactions[0]
    assert transaction.end_to_end_id == "A1.200080779.400143254"
    assert transaction.purpose == "RUECKGABE AC04 KONTO ERLOSCHEN"
    assert (transaction.is_return, transaction.return_reason) == (True, "AC04")


def test_unstructured_86_keeps_text() -> None:
    details = parse_details_86("/TRTP/SEPA OVERBOEKING/REMI/Factuur 12")
    assert not details.structured
    assert details.purpose == "/TRTP/SEPA OVERBOEKING/REMI/Factuur 12"


def test_sepa_key_split_mid_word_over_full_lines() -> None:
    lines = ["EREF+1234567890123456789012", "34 SVWZ+Rechnung 4711", "MREF+M-1"]
    text = join_purpose_lines(lines)
    sepa = split_sepa_purpose(text)
    assert sepa.keys == {"EREF": "123456789012345678901234", "SVWZ": "Rechnung 4711", "MREF": "M-1"}
    assert sepa.purpose == "Rechnung 4711"


def test_short_line_ends_an_identifier_and_rest_is_purpose() -> None:
    sepa = split_sepa_purpose(join_purpose_lines(["EREF+TFNR 40005 00005", "MTLG:Grund nicht s"]))
    assert sepa.keys == {"EREF": "TFNR 40005 00005"}
    assert sepa.purpose == "MTLG:Grund nicht s"


def test_overlong_identifier_is_cut_at_a_blank() -> None:
    sepa = split_sepa_purpose("EREF+123/123/12345-----L110000000012345 BIC: BYLADEMM ABWA+Finanzamt")
    assert sepa.keys["EREF"] == "123/123/12345-----L110000000012345"
    assert sepa.keys["ABWA"] == "Finanzamt"
    assert sepa.purpose == "BIC: BYLADEMM"


def test_all_keys_and_key_with_blank_before_plus() -> None:
    sepa = split_sepa_purpose("EREF+E KREF+K MREF+M CRED+C DEBT+D SVWZ +S ABWA+A ABWE+B COAM+1,00 OAMT+2,00 PURP+OTHR")
    assert sepa.keys == {
        "EREF": "E", "KREF": "K", "MREF": "M", "CRED": "C", "DEBT": "D", "SVWZ": "S", "ABWA": "A",
        "ABWE": "B", "COAM": "1,00", "OAMT": "2,00", "PURP": "OTHR",
    }  # fmt: skip
    assert sepa.purpose == "S"


def test_no_keys_gives_text_unchanged_but_squashed() -> None:
    assert split_sepa_purpose("  Miete   Mai ").purpose == "Miete Mai"


def test_return_reason_codes() -> None:
    assert find_return_reason("RET EXT AC04 Konto aufgeloest") == "AC04"
    assert find_return_reason("Rueckgabegrund: md06") == "MD06"
    assert find_return_reason("XAC04 no") == ""


_WORD = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzäöüÄÖÜß0123456789.,/-", min_size=1, max_size=12
)
_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-", min_size=1, max_size=35)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


@settings(max_examples=200, deadline=None)
@given(
    gvc=st.from_regex(r"\A[0-9]{3}\Z"),
    posting=st.lists(_WORD, min_size=1, max_size=3).map(" ".join),
    name=st.lists(_WORD, min_size=1, max_size=5).map(" ".join),
    eref=_ID,
    mref=_ID,
    purpose=st.lists(_WORD, min_size=1, max_size=20).map(" ".join),
    break_at=st.sampled_from([27, 65]),
)
def test_86_round_trip(gvc: str, posting: str, name: str, eref: str, mref: str, purpose: str, break_at: int) -> None:
    purpose_lines = _wrap(f"EREF+{eref} MREF+{mref} SVWZ+{purpose}", 27)
    fields = [f"?00{posting}", "?10931"]
    codes = [*range(20, 30), *range(60, 64)]
    fields += [f"?{code}{line}" for code, line in zip(codes, purpose_lines, strict=False)]
    fields += ["?30GENODEF1S05", "?31DE89370400440532013000"]
    fields += [f"?{code}{line}" for code, line in zip((32, 33), _wrap(name, 27), strict=False)]
    content = gvc + "".join(fields)
    physical = _wrap(":86:" + content, break_at)
    # A line that is only "-" (blanks around it aside, as the reader strips them) ends an MT940 message; a bank never
    # wraps a field onto such a line.
    assume(all(line.strip() != "-" for line in physical))
    lines = [":20:X", ":25:DE89370400440532013000", ":60F:C200101EUR0,", ":61:2001010101D1,5NTRFNONREF"]
    lines += [*physical, ":62F:D200101EUR1,5"]
    (statement,) = parse_mt940(lines, source="p.sta")
    transaction = statement.transactions[0]
    assert transaction.gvc == gvc
    assert transaction.posting_text == posting.strip()
    if len(purpose_lines) <= len(codes) and len(name) <= 54:
        assert transaction.end_to_end_id == eref
        assert transaction.mandate_id == mref
        assert transaction.purpose == " ".join(purpose.split())
        assert transaction.counterparty_name == " ".join(name.split())
    assert transaction.counterparty_iban == "DE89370400440532013000"


@settings(max_examples=200, deadline=None)
@given(
    keys=st.dictionaries(st.sampled_from(["EREF", "KREF", "MREF", "CRED"]), _ID, min_size=1),
    purpose=st.lists(_WORD, min_size=0, max_size=10).map(" ".join),
)
def test_splitter_recovers_identifiers_from_full_width_lines(keys: dict[str, str], purpose: str) -> None:
    text = " ".join(f"{key}+{value}" for key, value in keys.items())
    if purpose:
        text += f" SVWZ+{purpose}"
    sepa = split_sepa_purpose(join_purpose_lines(_wrap(text, 27)))
    for key, value in keys.items():
        assert sepa.keys[key] == value
    assert sepa.purpose == " ".join(purpose.split())
