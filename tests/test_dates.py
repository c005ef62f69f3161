"""Dates as rosters and registries hold them: only what a person means is a date."""

from __future__ import annotations

from datetime import date

import pytest

from certcheck.dates import from_serial, iso_date, parse_date


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (31, date(1900, 1, 31)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (44197, date(2021, 1, 1)),
        (44260.75, date(2021, 3, 5)),
    ],
)
def test_excel_serials_are_the_day_excel_shows(serial: float, expected: date) -> None:
    assert from_serial(serial) == expected


def test_the_fictitious_leap_day_and_out_of_range_serials_are_not_dates() -> None:
    assert from_serial(60) is None
    assert from_serial(0) is None
    assert from_serial(109_575) is None
    with pytest.raises(ValueError):
        parse_date(60)


@pytest.mark.parametrize("text", ["2021-W10-1", "2021W101", "2021-065", "2021-13-01"])
def test_iso_week_and_ordinal_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)
    with pytest.raises(ValueError):
        iso_date(text)


@pytest.mark.parametrize(
    "text", ["2021-03-05", "2021.3.5", "2021/3/5", "2021年3月5日", "20210305", "2021-03-05 00:00:00"]
)
def test_the_forms_offices_type_are_dates(text: str) -> None:
    assert parse_date(text) == date(2021, 3, 5)
