"""Date parsing at its edges: Excel serials at both ends of the accepted range and around the
fictitious 1900-02-29, and the ISO look-alikes that are not dates (docs/mutation.md)."""

from __future__ import annotations

from datetime import date

import pytest

from certcheck.dates import from_serial, iso_date, parse_date


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (1.75, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (109_574, date(2199, 12, 31)),
    ],
)
def test_excel_serials_at_the_edges_of_the_range(serial: float, expected: date) -> None:
    assert from_serial(serial) == expected
    assert parse_date(serial) == expected


@pytest.mark.parametrize("serial", [0, 0.5, 60, 60.5, 109_575, -1])
def test_serials_outside_the_range_and_the_lotus_leap_day_are_not_dates(serial: float) -> None:
    assert from_serial(serial) is None
    with pytest.raises(ValueError):
        parse_date(serial)


@pytest.mark.parametrize("text", ["2021-064", "2021-W10-1", "2021-W10", "2021W101", "2021-3"])
def test_ordinal_and_week_dates_are_refused(text: str) -> None:
    # date.fromisoformat takes these; no roster or lookup means them.
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text", ["2021", "2021-", "21-3", "x"])
def test_short_text_is_a_bad_date_not_a_crash(text: str) -> None:
    # The roster reader turns ValueError into a note on the row; anything else would stop it.
    with pytest.raises(ValueError):
        parse_date(text)


def test_the_lookups_own_form_and_its_look_alikes() -> None:
    assert parse_date("2021-03-05") == date(2021, 3, 5)
    assert parse_date("2021-3-5") == date(2021, 3, 5)
    assert parse_date("2021-03-05 08:00:00") == date(2021, 3, 5)
    assert parse_date("20210305") == date(2021, 3, 5)
    with pytest.raises(ValueError):
        parse_date("2021-02-30")


def test_iso_date_takes_only_yyyy_mm_dd() -> None:
    assert iso_date("2026-11-29") == date(2026, 11, 29)
    for text in ("2026-W48-7", "2026-333", "20261129", "2026-11-29T00:00", "2026/11/29"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            iso_date(text)


@pytest.mark.parametrize("number", [1900, 1900.5, 2027, 2026.11, 2199, 2199.99])
def test_a_number_between_1900_and_2200_is_a_year_not_a_serial_day(number: float) -> None:
    # 2027 typed into a date cell is a year (2026.11 a year and month), not serial day 2027 of
    # 1905, which no certificate has.
    with pytest.raises(ValueError):
        parse_date(number)


def test_serial_days_just_below_the_years_are_dates() -> None:
    assert parse_date(1899) == date(1905, 3, 13)
    assert parse_date(1899.5) == date(1905, 3, 13)


def test_serial_days_just_above_the_years_are_dates() -> None:
    # The years end before 2200, as the serial days end with 2199-12-31: 2200 is serial day
    # 2200, 1906-01-08.
    assert parse_date(2200) == date(1906, 1, 8)
    assert parse_date(2200.5) == date(1906, 1, 8)


@pytest.mark.parametrize("text", ["2021030512", "2021030500", "202103050-", "20210305T1"])
def test_ten_characters_without_a_dash_after_the_year_are_no_date(text: str) -> None:
    # Python 3.11's date.fromisoformat reads each of these as 2021-03-05 (a compact date and
    # whatever follows it); the only compact date a roster means has eight digits.
    with pytest.raises(ValueError):
        parse_date(text)
