"""Parsing the dates that rosters and the national lookup contain.

Only unambiguous forms are accepted; anything else is reported rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

#: Excel's day zero for serials from 61 on (1900-03-01), shifted by the fictitious 1900-02-29
#: (serial 60) that Lotus introduced and Excel kept; serials 1–59 count from 1899-12-31.
#: The register writer counts its serials from here too.
EXCEL_EPOCH = date(1899, 12, 30)
_EARLY_EPOCH = date(1899, 12, 31)
_FICTITIOUS_LEAP_DAY = 60
# Serial numbers outside this range are not dates anyone means in a roster (1900 … 2199).
_MIN_SERIAL, _MAX_SERIAL = 1, 109_574
#: Numbers that are a year typed alone or with its month (2027, 2026.11), not a serial day.
_YEAR_AS_NUMBER = (1900, 2200)
# The one ISO form accepted as is. date.fromisoformat alone would also take ISO week dates
# (2021-W10-1) and ordinal dates, which no roster or registry means.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

_SEPARATED = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME_PART = re.compile(r"(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$")


def from_serial(serial: float) -> date | None:
    """An Excel serial day number as a date, or None when it is out of any sensible range."""
    # Below the day after the last: a time of day on 2199-12-31 is still that day.
    if not _MIN_SERIAL <= serial < _MAX_SERIAL + 1:
        return None
    day = int(serial)
    if day == _FICTITIOUS_LEAP_DAY:
        return None
    if day < _FICTITIOUS_LEAP_DAY:
        return _EARLY_EPOCH + timedelta(days=day)
    return EXCEL_EPOCH + timedelta(days=day)


def iso_date(text: str) -> date:
    """``YYYY-MM-DD`` and nothing else; ValueError otherwise."""
    if _ISO.fullmatch(text) is None:
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


def parse_date(value: object) -> date | None:
    """Parse a date cell. Returns None for an empty cell; raises ValueError for a bad one."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | float):
        if value != value:  # NaN: an empty cell in pandas
            return None
        if _YEAR_AS_NUMBER[0] <= value < _YEAR_AS_NUMBER[1]:
            # 2027 or 2026.11 typed into a cell is a year (and month), not serial day 2027, a
            # day of 1905 that no certificate has.
            raise ValueError(f"a year, not a date: {value!r}")
        parsed = from_serial(float(value))
        if parsed is None:
            raise ValueError(f"not a date: {value!r}")
        return parsed
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[5] != "W":
        # The registry's and the lookup's own form; the C parser is ten times the regex.
        # (10 characters with '-' at 4 and no 'W' can only be YYYY-MM-DD or a bad value.)
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    return parse_date_text(text)


def parse_date_text(text: str) -> date:
    """Parse ``2021-03-05``, ``2021.3.5``, ``2021/3/5``, ``2021年3月5日``, ``20210305``.

    A trailing time part (``2021-03-05 00:00:00``, ``2021-03-05T08:00:00+08:00``) is allowed,
    since the national lookup sends one for some records.
    """
    stripped = _TIME_PART.sub("", text.strip())
    match = _SEPARATED.fullmatch(stripped) or _COMPACT.fullmatch(stripped)
    if match is None:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


class MonthDate(date):
    """A date an official record gives to the month only (``2027-03``).

    It is held as the month's first day, so that code that knows nothing of it errs on the
    safe side for "still valid" (an end of validity in March is taken to be 1 March). It is
    shown as ``YYYY-MM`` everywhere (``isoformat``), never as an invented day, and it equals
    only the same month: a day of March and "March" are not the same value, and neither a
    cache nor a dictionary may take one for the other. The rules read its bounds
    (``earliest_day``, ``latest_day``): an end month that contains the as-of date decides
    nothing.
    """

    __slots__ = ()

    def isoformat(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.isoformat()

    def __repr__(self) -> str:
        return f"MonthDate({self.year}, {self.month})"

    def __eq__(self, other: object) -> bool:
        return type(other) is MonthDate and date.__eq__(self, other) is True

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("month", self.year, self.month))

    @property
    def last_day(self) -> date:
        """The last day of the month."""
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)


def month_date(year: int, month: int) -> MonthDate:
    """The month ``year-month`` as a ``MonthDate``; ValueError for a month that is none."""
    return MonthDate(year, month, 1)


def earliest_day(day: date) -> date:
    """The first day a date may be: the day itself, or the first of a ``MonthDate``'s month."""
    return date(day.year, day.month, day.day) if isinstance(day, MonthDate) else day


def latest_day(day: date) -> date:
    """The last day a date may be: the day itself, or the last of a ``MonthDate``'s month."""
    return day.last_day if isinstance(day, MonthDate) else day


def same_day_or_month(a: date, b: date) -> bool:
    """Two dates that agree as far as both are known: a day agrees with a month it is in."""
    if isinstance(a, MonthDate) or isinstance(b, MonthDate):
        return (a.year, a.month) == (b.year, b.month)
    return a == b


_ISO_MONTH = re.compile(r"\d{4}-\d{2}")


def record_date(text: str) -> date:
    """A date as registers and the cache write it: ``YYYY-MM-DD``, or ``YYYY-MM`` for a date
    the official record gives to the month only (a ``MonthDate``); ValueError otherwise."""
    if _ISO_MONTH.fullmatch(text) is not None:
        return month_date(int(text[:4]), int(text[5:]))
    return iso_date(text)
