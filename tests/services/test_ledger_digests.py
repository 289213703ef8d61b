"""A booking's audit digest is computed in two halves: its values' text next to the parser (in the statement
worker), the account it goes to in the ledger writer. Both halves together are the digest audit.verify checks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.models.schema import Transaction
from app.services.ledger.digests import digests_after, fields_digest, following_text
from app.services.statements.rows import AUDITED_IN_ROW

values = st.lists(st.one_of(st.none(), st.integers(), st.text()), min_size=1, max_size=12)


@given(first=st.integers(min_value=1), rows=st.lists(values, max_size=5))
def test_the_two_halves_give_the_whole_digest(first: int, rows: list[list[object]]) -> None:
    texts = [following_text(row) for row in rows]
    assert digests_after(first, texts) == [fields_digest((first, *row)) for row in rows]


def test_a_row_carries_every_audited_column_but_its_account() -> None:
    assert Transaction.__audited__ == ("account_id", *AUDITED_IN_ROW)
