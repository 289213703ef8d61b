"""The bank directory: every German bank from the Bundesbank list, found by name, BLZ, BIC or IBAN, quickly."""

from __future__ import annotations

import time

from app.services.banking.bank_directory import blz_in, german_banks, search_banks


def test_every_german_bank_with_its_own_blz_is_listed_once() -> None:
    banks = german_banks()
    blzs = [entry.info.blz for entry in banks]
    assert len(banks) > 3000 and len(set(blzs)) == len(blzs)
    assert all(len(blz) == 8 and blz.isdigit() for blz in blzs)


def test_found_by_blz_iban_bic_and_words_of_the_name_and_town() -> None:
    assert [e.info.name for e in search_banks("760 501 01")] == ["Sparkasse Nürnberg"]
    [commerzbank] = search_banks("de89 3704 0044 0532 0130 00")
    assert commerzbank.info.blz == "37040044" and commerzbank.info.fints_url == "https://fints.commerzbank.de/PinTanCgi"
    assert [e.info.blz for e in search_banks("GENODEF1DBR")] == ["13061128"]
    for spelling in ("sparkasse nürnberg", "Sparkasse Nuernberg", "SPARKASSE NURNBERG"):
        assert [e.info.blz for e in search_banks(spelling)] == ["76050101"], spelling
    assert search_banks("12345678") == [] and search_banks("  ") == []


def test_names_starting_with_the_query_come_first_and_merged_banks_last() -> None:
    found = search_banks("volksbank")
    assert len(found) == 100  # capped: the user types more
    assert all(e.info.name.lower().startswith("volksbank") for e in found[:50])
    ranked = search_banks("raiffeisenbank bad")
    alt = [index for index, e in enumerate(ranked) if "-alt-" in e.info.name]
    assert alt and min(alt) > max(i for i, e in enumerate(ranked) if "-alt-" not in e.info.name)


def test_the_demo_bank_carries_the_demo_address() -> None:
    [demo] = search_banks("10000000", demo_url="http://127.0.0.1:9/fints")
    assert demo.info.name == "Kontor Demobank" and demo.info.fints_url == "http://127.0.0.1:9/fints"


def test_blz_in_a_query() -> None:
    assert blz_in("100 000 00") == "10000000"
    assert blz_in("DE02120300000000202051") == "12030000"
    assert blz_in("1000") is None and blz_in("AT611904300234573201") is None


def test_typing_is_fast() -> None:
    german_banks()
    started = time.perf_counter()
    for query in ("s", "sp", "spa", "spar", "spark", "sparkasse", "sparkasse n", "sparkasse nü"):
        search_banks(query)
    assert time.perf_counter() - started < 0.25
