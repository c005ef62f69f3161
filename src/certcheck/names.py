"""Normalising people's names so that the same person written two ways compares equal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from certcheck.text import INVISIBLE

# NFKC folds the katakana middle dot to "･" only in its half-width form, so every dot variant
# that shows up in transliterated minority names is mapped to U+00B7 explicitly.
_DOTS = re.compile("[\u00b7\u2022\u30fb\uff65\u2027\u22c5\u2219\u0387\u16eb\u2e31\u318d\u00b7.．]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """NFKC, invisible characters and inner spaces removed, middle-dot variants unified."""
    folded = unicodedata.normalize("NFKC", text)
    folded = INVISIBLE.sub("", folded)
    folded = _DOTS.sub("\u00b7", folded)
    return _SPACES.sub("", folded)


# In comparison a middle dot may also have been typed as a hyphen, or dropped altogether.
_SEPARATORS = re.compile("[\u00b7\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d]")


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """The form in which two names are compared: normalised, without any middle dot or hyphen
    (阿依古丽·买买提 = 阿依古丽买买提 = 阿依古丽.买买提 = 阿依古丽-买买提), Latin letters
    case-folded (John Smith = JOHN SMITH), traditional characters as simplified (張偉 = 张伟:
    a name typed on a traditional-character keyboard is the same person)."""
    key = _SEPARATORS.sub("", normalize_name(text)).casefold()
    return key if key.isascii() else _simplified(key)


@lru_cache(maxsize=1)
def _converter() -> Callable[[str], str]:
    # Loaded on the first comparison of a CJK name only: OpenCC reads its dictionaries then.
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC("t2s").convert
    return convert


def _simplified(text: str) -> str:
    return _converter()(text)


def same_name(a: str, b: str) -> bool:
    return a == b or name_key(a) == name_key(b)


def char_key(text: str) -> str:
    """``name_key`` taken character by character: the form in which a name the source partly
    hid (张*, 阿******逊) is compared with the roster's. OpenCC converts some phrases otherwise
    than their characters one by one (乾 is 干 alone, 乾 in 乾隆), so the whole name and the
    characters a mask left of it must be folded alike, one character at a time."""
    return "".join(map(_char_key, normalize_name(text)))


@lru_cache(maxsize=8192)
def _char_key(char: str) -> str:
    if _SEPARATORS.fullmatch(char):
        return ""
    folded = char.casefold()
    return folded if folded.isascii() else _simplified(folded)
