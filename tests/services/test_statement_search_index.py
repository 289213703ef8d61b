"""The search index after an import: built in the import's transaction, statement by statement; a large import
leaves its rows to the first search (`catch_up`) or the next small import, and nothing it leaves is ever lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_templates import new_ledger
from sqlalchemy import text

from app.services.ledger.database import Ledger
from app.services.statements import importing
from app.services.statements.importing import import_statement_files, import_statements
from app.services.statements.query import TransactionFilter, count_transactions
from app.services.statements.search_index import catch_up
from app.services.statements.worker import read_rows
from bench.statement_data import write_mt940

PASS = "Suchindex-Test"


def _indexed(ledger: Ledger, word: str = "") -> int:
    """How many transactions the search index has, or how many of them contain `word`."""
    query = "SELECT count(*) FROM transactions_fts" + (" WHERE transactions_fts MATCH :word" if word else "")
    with ledger.session() as session:
        return session.execute(text(query), {"word": f'"{word}"'}).scalar_one()


def _stored(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.execute(text("SELECT count(*) FROM transactions")).scalar_one()


def test_an_imported_file_is_searchable(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path / "firma.kontor", PASS, company_name="Firma")
    try:
        [result] = import_statement_files(ledger, [write_mt940(tmp_path / "a.sta", 2500)], actor="test")
        assert result.new == 2500
        assert _indexed(ledger) == 2500
        assert _indexed(ledger, "000042") == 1  # purpose "Rechnung RE-2020-000042 ..."
    finally:
        ledger.close()


def test_rows_committed_before_their_index_are_indexed_by_the_next_import(tmp_path: Path) -> None:
    """An earlier version indexed after the commit: a process ended in between left rows without their index."""
    path = tmp_path / "firma.kontor"
    ledger = new_ledger(path, PASS, company_name="Firma")
    import_statement_files(ledger, [write_mt940(tmp_path / "a.sta", 1500)], actor="test")
    with ledger.writer() as session:  # what that crash left behind
        session.execute(text("INSERT INTO transactions_fts (transactions_fts) VALUES ('delete-all')"))
    ledger.close()
    ledger = Ledger.open(path, PASS)
    try:
        assert (_stored(ledger), _indexed(ledger)) == (1500, 0)
        [result] = import_statement_files(ledger, [write_mt940(tmp_path / "b.sta", 1200, seed=8)], actor="test")
        assert result.new == 1200
        assert (_stored(ledger), _indexed(ledger)) == (2700, 2700)
        assert _indexed(ledger, "000042") == 2  # one booking of each file
    finally:
        ledger.close()


def test_an_import_that_fails_leaves_neither_rows_nor_index(tmp_path: Path) -> None:
    """All-or-nothing includes the index: a file broken after its first statements takes their index entries too."""
    good = write_mt940(tmp_path / "good.sta", 300, per_statement=100)
    broken = tmp_path / "broken.sta"
    text_ = good.read_text(encoding="latin-1")
    broken.write_text(text_[: text_.rindex(":61:") + 8], encoding="latin-1")  # two whole statements, then cut
    ledger = new_ledger(tmp_path / "firma.kontor", PASS, company_name="Firma")
    try:
        [result] = import_statement_files(ledger, [broken], actor="test")
        assert result.error
        assert (_stored(ledger), _indexed(ledger)) == (0, 0)
    finally:
        ledger.close()


def test_an_import_in_the_callers_transaction_indexes_in_it(tmp_path: Path) -> None:
    """The bank sync imports inside its own transaction: its rows are indexed there, and go if it rolls back."""
    ledger = new_ledger(tmp_path / "firma.kontor", PASS, company_name="Firma")
    file = write_mt940(tmp_path / "a.sta", 300)
    try:
        with pytest.raises(RuntimeError), ledger.writer() as session:
            import_statements(session, read_rows(file, "mt940"), source="sync", fmt="mt940", actor="test")
            raise RuntimeError("the sync fails later")
        assert (_stored(ledger), _indexed(ledger)) == (0, 0)
        with ledger.writer() as session:
            result = import_statements(session, read_rows(file, "mt940"), source="sync", fmt="mt940", actor="test")
        assert result.new == 300
        assert (_stored(ledger), _indexed(ledger)) == (300, 300)
    finally:
        ledger.close()


def _found(ledger: Ledger, text_: str) -> int:
    with ledger.session() as session:
        return count_transactions(session, TransactionFilter(text=text_))


def test_a_large_import_leaves_its_index_to_the_first_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "INDEX_LATER_ROWS", 100)  # the 2,500 bookings below count as a large file
    ledger = new_ledger(tmp_path / "firma.kontor", PASS, company_name="Firma")
    try:
        [result] = import_statement_files(ledger, [write_mt940(tmp_path / "a.sta", 2500)], actor="test")
        assert (result.new, _indexed(ledger)) == (2500, 0)
        assert _found(ledger, "000042") == 0  # what `catch_up` is for: the index does not know them yet
        assert catch_up(ledger) == 2500
        assert (_indexed(ledger), _found(ledger, "000042")) == (2500, 1)
        assert catch_up(ledger) == 0  # complete: a read, nothing written
    finally:
        ledger.close()


def test_after_large_imports_a_small_one_indexes_everything_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two large imports add to the unindexed rows (the second does not index the first's); a small import then
    indexes all of them before its own, so no range of the index ever lies above unindexed rows."""
    monkeypatch.setattr(importing, "INDEX_LATER_ROWS", 100)
    ledger = new_ledger(tmp_path / "firma.kontor", PASS, company_name="Firma")
    try:
        import_statement_files(ledger, [write_mt940(tmp_path / "a.sta", 1500)], actor="test")
        import_statement_files(ledger, [write_mt940(tmp_path / "b.sta", 1200, seed=8)], actor="test")
        assert (_stored(ledger), _indexed(ledger)) == (2700, 0)
        [small] = import_statement_files(ledger, [write_mt940(tmp_path / "c.sta", 40, seed=9)], actor="test")
        assert small.new == 40
        assert (_stored(ledger), _indexed(ledger)) == (2740, 2740)
        assert _found(ledger, "000042") == 2  # one booking of each large file
        assert catch_up(ledger) == 0
    finally:
        ledger.close()


def test_catching_up_does_not_wait_for_another_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search while another program writes runs on the index as it is; the next one indexes the rows."""
    monkeypatch.setattr(importing, "INDEX_LATER_ROWS", 100)
    path = tmp_path / "firma.kontor"
    ledger = new_ledger(path, PASS, company_name="Firma")
    other = Ledger.open(path, PASS)
    try:
        import_statement_files(ledger, [write_mt940(tmp_path / "a.sta", 1500)], actor="test")
        with other.writer():
            assert catch_up(ledger) == 0
        assert (_stored(ledger), _indexed(ledger)) == (1500, 0)
        assert catch_up(ledger) == 1500
    finally:
        other.close()
        ledger.close()
