from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from certcheck.ids import check_char, is_valid_id, mask_id, normalize_id
from factories import make_id


def test_known_checksums() -> None:
    # Worked examples of GB 11643: 11010519491231002X is the standard's own example.
    assert is_valid_id("11010519491231002X")
    assert not is_valid_id("110105194912310021")


def test_historical_region_codes_are_accepted() -> None:
    # 500381 (江津市) no longer exists, and stdnum rejects it; real people still carry it.
    assert is_valid_id(make_id("50038119650312401"))
    assert is_valid_id(make_id("31011519500101001"))


def test_future_and_impossible_birth_dates_are_refused() -> None:
    assert not is_valid_id(make_id("50038120990101123"), today=date(2026, 11, 29))
    assert not is_valid_id(make_id("50038119900231123"))


def test_lowercase_x_and_fullwidth_digits() -> None:
    assert normalize_id("11010519491231002x") == "11010519491231002X"
    assert normalize_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"
    assert normalize_id("\u200b110105 1949\ufeff1231002X ") == "11010519491231002X"


def test_non_ascii_digits_are_not_an_id() -> None:
    # NFKC leaves Arabic-Indic digits alone, and a regex \\d would accept them.
    assert not is_valid_id("٠" * 17 + "0")


def test_mask() -> None:
    assert mask_id("500381199001011234") == "500381********1234"
    assert mask_id("123") == "***"
    assert mask_id(None) == ""


@given(st.from_regex(r"[0-9]{6}(19[0-9]{2}|20[01][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
                     fullmatch=True))
def test_any_id_with_its_check_char_is_valid(first17: str) -> None:
    full = first17 + check_char(first17)
    assert is_valid_id(full)
    wrong = "0123456789X"[("0123456789X".index(full[-1]) + 1) % 11]
    assert not is_valid_id(first17 + wrong)
