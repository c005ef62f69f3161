"""ID checks at their edges: a birth date of exactly the as-of day, and masking at the
12-character boundary (docs/mutation.md)."""

from __future__ import annotations

from datetime import date

from certcheck.ids import is_valid_id, mask_id, old_form


def test_a_birth_date_on_the_as_of_day_is_valid_and_the_next_day_is_not() -> None:
    # Check characters worked out by hand from GB 11643's weights.
    assert is_valid_id("50038120261129123X", today=date(2026, 11, 29))
    assert not is_valid_id("500381202611301231", today=date(2026, 11, 29))


def test_births_before_1900_are_refused() -> None:
    assert not is_valid_id("500381189912311237", today=date(2026, 11, 29))
    assert is_valid_id("500381190001011231", today=date(2026, 11, 29))


def test_masking_keeps_region_and_last_four_from_twelve_characters_on() -> None:
    assert mask_id("123456789012") == "123456**9012"
    assert mask_id("12345678901") == "***********"
    assert mask_id("") == ""


def test_the_old_15_digit_form_of_an_id_born_in_the_1900s() -> None:
    # region 110105, born 1949-12-31 (without its 19), sequence 002; the check character goes.
    assert old_form("110105194912310021") == "110105491231002"
    assert old_form("11010519491231002X") == "110105491231002"
    # born in the 2000s: there was no 15-digit form
    assert old_form("110105200001010016") is None
    # not an 18-character ID of digits
    assert old_form("110105491231002") is None
    assert old_form("1101051949123100210") is None
    assert old_form("1101051949123100A1") is None
