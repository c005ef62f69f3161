"""Official values as the source shows them: whole, partly hidden (脱敏), or mangled.

Government backends mask personal data in their answers: a holder's name as 张*, 张**, *三 or
阿******逊, an ID as 500116********017X, a certificate number as T500116********017X. A decoder
that lost characters leaves ``?`` or ``\ufffd`` in their place (䶮 became ``?``). Neither is the
value: compared as if it were, a masked name is "another name" and a masked number "another
number", and every holder of a masked record is accused of fraud.

``Shown`` is such a value as far as it can be read, and the ``compare_…`` functions say what it
tells of a roster value:

- a *clear* value compares whole: ``AGREE`` or ``DISAGREE``;
- a *masked* one only on the characters it shows, in their order: the first shown characters
  must begin the roster's value and the last ones end it, unless a mask stands there. How many
  characters a mask hides is not trusted (阿******逊 may stand for a name of four), so a hidden
  stretch stands for any number of characters, none included. ``AGREE`` when the shown
  characters fit, ``DISAGREE`` only when they cannot, ``CANNOT_TELL`` when nothing is shown;
- a *garbled* one is ``CANNOT_TELL``: a decoder that lost one character may have mangled
  others, so nothing it shows is evidence, as with the roster's ``name_unreadable``.

What counts as a mask: ``*`` in any width (``＊``, ``﹡``), ``∗``, ``⁎``, ``✱``, ``×`` (张××), ``●``
and ``○``; in an ID or a certificate number also a run of two or more ``x``/``X``
(``500116xxxxxxxx017X``). Not 某: 张某 is a name as written (某 is a surname, and backends mask
with a symbol). Not a single ``x`` or ``X``: X is an ID's check character. Not ``?``: that is a
lost character, not a hidden one.

A value a backend *disguised* is not read either (``GARBLED``, compared as nothing): UTF-8 read
as Latin-1 on the way (张三 as ``å¼ ä¸‰``), an HTML character reference (``&#24352;``), a
``\\u5f20`` escape left in the text, a placeholder for no value (``null``, ``undefined``, ``-``,
``/``, ``无``), and a holder's name with characters no name has (a Chinese name with a Latin
letter, 张x; a symbol, 张#). Any of them read as a name would accuse the holder of another name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from certcheck.ids import normalize_id, old_form
from certcheck.names import char_key, name_key, same_name
from certcheck.text import garbled

#: The characters a source masks with, after NFKC (which folds ``＊`` and ``﹡`` to ``*``).
MASK_CHARS = "*\u2217\u204e\u2731\u00d7\u25cf\u25cb"
_MASK_RUN = re.compile(f"[{re.escape(MASK_CHARS)}]+")
#: In an ID or a certificate number (upper-cased): a run of X is a mask, since an ID has at
#: most one X, its last character.
_X_RUN = re.compile("X{2,}")
#: Texts a backend sends for "no value" (Java's ``String.valueOf(null)``, JavaScript's
#: ``undefined``, a table's dash), compared case-insensitively after NFKC and without spaces.
PLACEHOLDERS = frozenset({
    "null", "undefined", "none", "nil", "nan", "n/a", "-", "--", "---", "/", "//", "\\",
    "无", "暂无", "空", "—", "——",
})
#: UTF-8 read as Latin-1 or Windows-1252: a lead byte (Â … ô) followed by a continuation byte
#: (U+0080–U+00BF, or what Windows-1252 shows for 0x80–0x9F). No name, item or number is
#: spelled so; 张 read that way is ``å¼\xa0``.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)
#: An HTML character reference (``&#24352;``, ``&#x5f20;``, ``&amp;``) or an escape left in
#: the text (``\u5f20``, ``\x41``).
_ESCAPED = re.compile(
    r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|\\[uU][0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}"
)


class Legibility(StrEnum):
    #: Every character shown.
    CLEAR = "clear"
    #: Some characters hidden by the source (脱敏).
    MASKED = "masked"
    #: Characters lost by a decoder (``?``, ``\ufffd``), or a value disguised (``disguised``).
    GARBLED = "garbled"


class Agreement(StrEnum):
    """What an official value tells of a roster value."""

    #: Every character shown agrees (for a clear value: the two are the same).
    AGREE = "agree"
    #: A shown character differs: the official value is not the roster's.
    DISAGREE = "disagree"
    #: Nothing shown decides: the value is garbled, or masked whole.
    CANNOT_TELL = "cannot_tell"


@dataclass(frozen=True, slots=True)
class Shown:
    """An official name, ID or certificate number as far as the source shows it."""

    #: The value as the source gave it (what outputs show).
    text: str
    legibility: Legibility
    #: The characters shown, in the form they are compared in, split where characters are
    #: hidden: 张* → ("张", ""), *三 → ("", "三"), 阿******逊 → ("阿", "逊"). A clear value is
    #: one part, a garbled one none.
    parts: tuple[str, ...]

    @property
    def masked(self) -> bool:
        return self.legibility is Legibility.MASKED

    @property
    def tells_nothing(self) -> bool:
        """Garbled, or masked whole (``***``): no comparison can use it."""
        return self.legibility is Legibility.GARBLED or not any(self.parts)

    def fits(self, key: str) -> bool:
        """``key`` (in the compared form) has the shown characters where they stand: the
        first part begins it, the last ends it, the others follow in order between."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0] == key
        first, last = parts[0], parts[-1]
        end = len(key) - len(last)
        if end < len(first) or not key.startswith(first) or not key.endswith(last):
            return False
        at = len(first)
        for part in parts[1:-1]:
            found = key.find(part, at, end)
            if found < 0:
                return False
            at = found + len(part)
        return True

    def _agreement(self, *keys: str) -> Agreement:
        """AGREE when ``keys`` (any of them) fit what is shown; the caller handles garbled."""
        if not any(self.parts):
            return Agreement.CANNOT_TELL
        return Agreement.AGREE if any(map(self.fits, keys)) else Agreement.DISAGREE


def _split(folded: str) -> list[str]:
    """The shown runs of a masked text, with an empty first or last run where a mask stands
    at the start or the end."""
    return _MASK_RUN.split(folded)


@lru_cache(maxsize=8192)
def official_name(text: str) -> Shown:
    """A holder's name from an official record."""
    if garbled(text) or disguised(text) or _foreign_to_names(text):
        return Shown(text, Legibility.GARBLED, ())
    folded = unicodedata.normalize("NFKC", text)
    if _MASK_RUN.search(folded) is None:
        return Shown(text, Legibility.CLEAR, (name_key(text),))
    runs = [char_key(run) for run in _split(folded)]
    return Shown(text, Legibility.MASKED, _trimmed(runs))


def compare_name(official: Shown, name: str) -> Agreement:
    """A roster name against an official one."""
    legibility = official.legibility
    if legibility is Legibility.CLEAR:
        return Agreement.AGREE if same_name(official.text, name) else Agreement.DISAGREE
    if legibility is Legibility.GARBLED:
        return Agreement.CANNOT_TELL
    return official._agreement(char_key(name))


# Numbers are nearly all different (T + the holder's ID): a small cache, for the records of
# one person read twice in a row.
@lru_cache(maxsize=1024)
def official_number(text: str) -> Shown:
    """A certificate number (证号) from an official record."""
    if garbled(text) or disguised(text):
        return Shown(text, Legibility.GARBLED, ())
    if text.isascii() and "*" not in text and _X_RUN.search(text.upper()) is None:
        return Shown(text, Legibility.CLEAR, (cert_key(text),))
    folded = _X_RUN.sub(_as_mask, _number_text(text))
    if _MASK_RUN.search(folded) is None:
        return Shown(text, Legibility.CLEAR, (cert_key(text),))
    runs = _split(folded)
    # A number is compared without the T some are written with: a T before the first mask
    # goes, as cert_key drops it from a whole number.
    if runs[0].startswith("T"):
        runs[0] = runs[0][1:]
    return Shown(text, Legibility.MASKED, _trimmed(runs))


def compare_number(official: Shown, number: str) -> Agreement:
    """A roster's certificate number against an official one."""
    legibility = official.legibility
    if legibility is Legibility.GARBLED:
        return Agreement.CANNOT_TELL
    key = cert_key(number)
    if legibility is Legibility.CLEAR:
        return Agreement.AGREE if official.parts[0] == key else Agreement.DISAGREE
    return official._agreement(key)


@lru_cache(maxsize=4096)
def official_id(text: str) -> Shown:
    """An ID number from an official record or answer."""
    if garbled(text) or disguised(text):
        return Shown(text, Legibility.GARBLED, ())
    folded = _X_RUN.sub(_as_mask, normalize_id(text))
    if _MASK_RUN.search(folded) is None:
        return Shown(text, Legibility.CLEAR, (folded,))
    return Shown(text, Legibility.MASKED, _trimmed(_split(folded)))


def compare_id(official: Shown, id_number: str) -> Agreement:
    """A roster's (normalised) ID number against an official one; the old 15-digit form of
    the ID (``ids.old_form``) names the same person."""
    if official.legibility is Legibility.GARBLED:
        return Agreement.CANNOT_TELL
    keys = (id_number, old) if (old := old_form(id_number)) is not None else (id_number,)
    if official.legibility is Legibility.CLEAR:
        return Agreement.AGREE if official.parts[0] in keys else Agreement.DISAGREE
    return official._agreement(*keys)


def cert_key(number: str) -> str:
    """Certificate numbers compare without spaces, case, or the leading T some are written with."""
    if not number.isascii():
        number = unicodedata.normalize("NFKC", number)
    key = "".join(number.split()).upper()
    return key[1:] if key.startswith("T") else key


def _number_text(text: str) -> str:
    """A number's text as compared, masks kept: NFKC, no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def disguised(text: str) -> bool:
    """The text stands for a value without being it: a placeholder for none, UTF-8 read as
    Latin-1, an HTML character reference or an escape left in it."""
    folded = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    return (
        folded in PLACEHOLDERS
        or _MOJIBAKE.search(text) is not None
        or _ESCAPED.search(text) is not None
    )


def _foreign_to_names(text: str) -> bool:
    """A holder's name holds what no name holds: a symbol (张#, 张@), or Latin letters beside
    Chinese characters (张x, a mask no table lists). Digits pass: they disguise nothing."""
    folded = unicodedata.normalize("NFKC", text)
    latin = chinese = False
    for char in folded:
        if char.isspace() or char in MASK_CHARS or char in _NAME_MARKS:
            continue
        category = unicodedata.category(char)
        if category[0] == "M" or category == "Nd":
            continue
        if category[0] != "L":
            return True
        if char.isascii():
            latin = True
        elif char >= "\u2e80":
            chinese = True
    return latin and chinese


#: Characters a name may hold besides letters: middle dots, hyphens, apostrophes, the dot of an
#: initial, and brackets around a note the roster's cell also wrote (李娜（外协）).
_NAME_MARKS = frozenset(
    "\u00b7\u2022\u30fb\uff65\u2027\u22c5\u2219\u0387\u16eb\u2e31\u318d.．"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d'\u2019()（）[]【】"
)


def _as_mask(match: re.Match[str]) -> str:
    return "*" * len(match.group())


def _trimmed(runs: list[str]) -> tuple[str, ...]:
    """The runs with empty ones between masks left out (``**·**`` shows nothing between)."""
    if len(runs) <= 2:
        return tuple(runs)
    return (runs[0], *(run for run in runs[1:-1] if run), runs[-1])
