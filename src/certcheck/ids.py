"""Resident ID numbers (GB 11643-1999): normalising, checking and masking.

Written here rather than taken from python-stdnum because stdnum's ``cn.ric`` rejects real IDs
whose region codes no longer exist (500381 was 江津市 before it became 500116 江津区).
The region code is therefore never checked; only the shape, the birth date and the check digit.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from operator import mul

from certcheck.text import INVISIBLE

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SPACES = re.compile(r"\s+")
#: A normalised ID's shape: 17 ASCII digits, then a digit or X.
ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def normalize_id(text: str) -> str:
    """Fold full-width characters, drop invisible characters and spaces, upper-case the X."""
    folded = unicodedata.normalize("NFKC", text)
    folded = INVISIBLE.sub("", folded)
    folded = _SPACES.sub("", folded)
    return folded.upper()


def check_char(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    # map/mul keep the loop in C: this runs once per worker, 100,000 times for a large roster.
    total = sum(map(mul, map(int, first17), _WEIGHTS))
    return _CHECK[total % 11]


def birth_date(id_number: str) -> date | None:
    """The birth date encoded in an 18-character ID, or None if it is not a real date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def is_valid_id(id_number: str, today: date | None = None) -> bool:
    """True for a normalised 18-character ID with a real, past birth date and the right check."""
    if not ID_SHAPE.fullmatch(id_number):
        return False
    born = birth_date(id_number)
    if born is None or born.year < 1900:
        return False
    if born > (today or date.today()):
        return False
    return check_char(id_number[:17]) == id_number[17]


def old_form(id_number: str) -> str | None:
    """The 15-digit form an 18-character ID had before GB 11643-1999 (region, birth date
    without its 19, sequence; no check character), for a holder born in the 1900s; else None.
    Old files still carry it, and it names the same person."""
    if len(id_number) != 18 or id_number[6:8] != "19" or not id_number[:17].isdigit():
        return None
    return id_number[:6] + id_number[8:17]


#: An ID masked by hand with letters: the birth date typed over as XXXXXXXX (upper-cased by
#: ``normalize_id``). A real ID has an X only as its last character.
_LETTER_MASKED = re.compile(r"([0-9]{6})(X{4,})([0-9]{3}[0-9X])")


def masked_form(text: str | None) -> str | None:
    """``500381********1234`` for an ID shown masked — by certcheck (``*``) or by hand (``＊``,
    ``×``, ``x``) — and None for one that is not masked. Registers edited in an office carry
    the hand-made forms; taken for whole IDs they would match nobody, and every person would
    seem to have left and come back."""
    if not text:
        return None
    folded = normalize_id(text).replace("×", "*")
    if "*" in folded:
        return folded
    letters = _LETTER_MASKED.fullmatch(folded)
    if letters is None:
        return None
    first, hidden, last = letters.groups()
    return first + "*" * len(hidden) + last


def mask_id(id_number: str | None) -> str:
    """``500381199001011234`` → ``500381********1234``; short values are masked whole."""
    if not id_number:
        return ""
    if len(id_number) >= 12:
        return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
    return "*" * len(id_number)
