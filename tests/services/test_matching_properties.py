"""Properties of number keys and of the engine's bookings that must hold for any input."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.matching import Customer, Invoice, MatchConfig, Matcher, Payment
from app.services.matching.config import detect_patterns
from app.services.matching.numbers import compile_patterns, neighbours, number_keys, tokens

PREFIXES = st.sampled_from(["", "RE", "AR", "INV", "R"])
WIDTHS = st.lists(st.integers(min_value=2, max_value=6), min_size=1, max_size=3)
CUSTOMER = Customer(1, "10001", "Müller Bau GmbH", ("DE11111111111111111111",))


@st.composite
def shaped_numbers(draw: st.DrawFn, count: int = 1) -> tuple[str, list[str]]:
    """Numbers of one billing system: a prefix and zero-padded digit groups of fixed widths."""
    prefix = draw(PREFIXES)
    widths = draw(WIDTHS)
    numbers = []
    for _ in range(count):
        groups = [str(draw(st.integers(min_value=0, max_value=10**w - 1))).zfill(w) for w in widths]
        numbers.append("-".join(([prefix] if prefix else []) + groups))
    return prefix, numbers


@st.composite
def retyped(draw: st.DrawFn, number: str) -> str:
    """How a payer may write a number: other separators or none, lower case, prefix or zeros dropped."""
    groups = number.split("-")
    has_prefix = groups[0].isalpha()
    if has_prefix and len(groups) > 1 and draw(st.booleans()):
        groups = groups[1:]
    if draw(st.booleans()):
        groups = [g if g.isalpha() else (g.lstrip("0") or "0") for g in groups]
        separator = draw(st.sampled_from(["-", " ", "/", ".", " / "]))
    else:
        separator = draw(st.sampled_from(["-", " ", "/", ".", "", " / "]))
    text = separator.join(groups)
    return text.lower() if draw(st.booleans()) else text


@given(data=st.data(), shaped=shaped_numbers())
def test_every_retyping_shares_a_key_with_the_number(data: st.DataObject, shaped: tuple[str, list[str]]) -> None:
    number = shaped[1][0]
    written = data.draw(retyped(number))
    assert set(number_keys(written)) & set(number_keys(number))


@given(shaped=shaped_numbers(count=2))
def test_different_numbers_of_one_system_never_share_a_key(shaped: tuple[str, list[str]]) -> None:
    first, second = shaped[1]
    if first != second:
        assert not set(number_keys(first)) & set(number_keys(second))


@given(data=st.data(), shaped=shaped_numbers(count=3))
def test_detected_patterns_find_a_retyped_number_in_a_purpose(
    data: st.DataObject, shaped: tuple[str, list[str]]
) -> None:
    numbers = shaped[1]
    digits = sum(c.isdigit() for c in numbers[0])
    written = data.draw(retyped(numbers[0]))
    if digits < 5 and not written[:1].isalpha():
        return  # short numbers are only recognised with their prefix
    if "-" not in numbers[0] and sum(c.isdigit() for c in written) < digits:
        return  # a lone digit group keeps its zeros: '00042' written '42' is any small number in any text
    regex = compile_patterns(detect_patterns(numbers))
    purpose = f"Rechnung {written} vom 03.04.2026"
    found = {key for token in tokens(regex, purpose) for key in number_keys(token)}
    assert found & set(number_keys(numbers[0]))


@given(
    shaped=shaped_numbers(count=3),
    text=st.text(alphabet="0123456789 ,-/.:#RrEeINVABx", max_size=60),
)
def test_the_number_regex_stops_only_where_some_pattern_matches(shaped: tuple[str, list[str]], text: str) -> None:
    """The regex fails the places where no pattern matches; the others give what trying every place gives."""
    regex = compile_patterns(detect_patterns(shaped[1]))
    assert regex is not None
    every_place = re.compile(regex.pattern[: regex.pattern.index("(?(t0)")], regex.flags)

    def longest(matches: Iterable[re.Match[str]]) -> list[tuple[int, str]]:
        return [(m.start(), max(found, key=len)) for m in matches if (found := [t for t in m.groups() if t])]

    assert all(any(m.groups()) for m in regex.finditer(text))
    assert longest(regex.finditer(text)) == longest(every_place.finditer(text))


@given(digits=st.text(alphabet="0123456789", min_size=5, max_size=12), data=st.data())
def test_one_changed_or_swapped_digit_is_a_neighbour(digits: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(digits) - 2))
    changed = digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1 :]
    swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
    near = set(neighbours(digits))
    assert changed in near and digits in set(neighbours(changed))
    assert (swapped in near) == (swapped != digits)
    assert digits not in near


def _invoice(invoice_id: int, cents: int, *, issued_on: date = date(2026, 3, 2)) -> Invoice:
    amount = Decimal(cents).scaleb(-2)
    return Invoice(
        invoice_id, f"RE-2026-{invoice_id:05d}", 1, CUSTOMER.name, "receivable", issued_on, None, amount, amount
    )


@given(cents=st.integers(min_value=1_000, max_value=5_000_000), fee=st.integers(min_value=1, max_value=500))
def test_shortfall_within_tolerance_closes_the_invoice_exactly(cents: int, fee: int) -> None:
    matcher = Matcher([_invoice(1, cents)], [CUSTOMER], config=MatchConfig(skonto=[]))
    paid = Decimal(cents - fee).scaleb(-2)
    result = matcher.match(Payment(1, date(2026, 6, 1), paid, "x", "", "RE-2026-00001"))
    assert result.status == "auto" and result.best is not None
    (allocation,) = result.best.allocations
    assert allocation.amount == paid
    assert allocation.amount + allocation.discount == Decimal(cents).scaleb(-2)


@given(cents=st.integers(min_value=10_000, max_value=5_000_000), days=st.integers(min_value=0, max_value=60))
def test_skonto_applies_exactly_within_the_period(cents: int, days: int) -> None:
    matcher = Matcher([_invoice(1, cents)], [CUSTOMER], config=MatchConfig(tolerance_amount=Decimal("0")))
    amount = Decimal(cents).scaleb(-2)
    paid = amount - (amount * 2 / 100).quantize(Decimal("0.01"))
    booked = date(2026, 3, 2) + timedelta(days=days)
    result = matcher.match(Payment(1, booked, paid, "x", "", "RE-2026-00001"))
    assert result.best is not None
    assert (result.best.kind == "skonto") == (days <= 14 + 3)
    (allocation,) = result.best.allocations
    assert allocation.amount == paid


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=100, max_value=100_000), min_size=1, max_size=8),
    payments=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=120_000),
            st.integers(min_value=0, max_value=9),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_match_all_never_books_more_than_is_open(amounts: list[int], payments: list[tuple[int, int, bool]]) -> None:
    invoices = [_invoice(i, cents) for i, cents in enumerate(amounts, start=1)]
    matcher = Matcher(invoices, [CUSTOMER])
    bank = [
        Payment(
            n,
            date(2026, 4, 1) + timedelta(days=n),
            Decimal(cents).scaleb(-2),
            "Müller Bau",
            CUSTOMER.ibans[0] if known else "DE00",
            f"RE-2026-{target:05d}" if target else "Danke",
        )
        for n, (cents, target, known) in enumerate(payments, start=1)
    ]
    booked: dict[int, Decimal] = {}
    for result in matcher.match_all(bank):
        assert 0.0 <= (result.best.score if result.best else 0.0) <= 1.0
        if result.status == "auto":
            assert result.best is not None
            for allocation in result.best.allocations:
                assert allocation.amount >= 0 and allocation.discount >= 0
                booked[allocation.invoice_id] = booked.get(allocation.invoice_id, Decimal(0)) + (
                    allocation.amount + allocation.discount
                )
    for invoice in invoices:
        assert booked.get(invoice.id, Decimal(0)) <= invoice.open_amount
        assert matcher.open_amount(invoice.id) == invoice.open_amount - booked.get(invoice.id, Decimal(0))
