"""Normalising people's names so that the same person written two ways compares equal."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# NFKC folds the katakana middle dot to "･" only in its half-width form, so every dot variant
# that shows up in transliterated minority names is mapped to U+00B7 explicitly.
_DOTS = re.compile("[\u00b7\u2022\u30fb\uff65\u2027\u22c5\u2219\u0387\u16eb\u2e31\u318d\u00b7.．]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """NFKC, invisible characters and inner spaces removed, middle-dot variants unified."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _INVISIBLE.sub("", folded)
    folded = _DOTS.sub("\u00b7", folded)
    return _SPACES.sub("", folded)


def same_name(a: str, b: str) -> bool:
    return normalize_name(a) == normalize_name(b)
