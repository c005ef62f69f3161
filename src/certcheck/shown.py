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

What counts as a mask: ``*`` in any width (``＊``, ``﹡``), ``∗``, ``⁎``, ``✱``, and ``×`` (张××).
Not 某: 张某 is a name as written (某 is a surname, and backends mask with a symbol). Not ``x``
or ``X``: X is an ID's check character. Not ``?``: that is a lost character, not a hidden one.
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
MASK_CHARS = "*\u2217\u204e\u2731\u00d7"
_MASK_RUN = re.compile(f"[{re.escape(MASK_CHARS)}]+")


class Legibility(StrEnum):
    #: Every character shown.
    CLEAR = "clear"
    #: Some characters hidden by the source (脱敏).
    MASKED = "masked"
    #: Characters lost by a decoder (``?``, ``\ufffd``).
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
    if garbled(text):
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
    if garbled(text):
        return Shown(text, Legibility.GARBLED, ())
    if text.isascii() and "*" not in text:
        return Shown(text, Legibility.CLEAR, (cert_key(text),))
    folded = _number_text(text)
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
    if garbled(text):
        return Shown(text, Legibility.GARBLED, ())
    folded = normalize_id(text)
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


def _trimmed(runs: list[str]) -> tuple[str, ...]:
    """The runs with empty ones between masks left out (``**·**`` shows nothing between)."""
    if len(runs) <= 2:
        return tuple(runs)
    return (runs[0], *(run for run in runs[1:-1] if run), runs[-1])
