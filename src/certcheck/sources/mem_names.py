"""Other spellings of a name for the national lookup, which matches the name exactly.

A name with a middle dot (阿依古丽·买买提) may be stored with another dot or with none, and a
Latin name in upper case, so "nothing found" under the roster's spelling is not yet an answer.
``mem`` asks again with these variants, at most ``mem_mapping.MAX_NAME_VARIANTS`` of them.
"""

from __future__ import annotations

import re

from certcheck.sources import mem_mapping as api

_DOT = re.compile(f"[{re.escape(api.NAME_DOT_CHARS)}]")
_LATIN = re.compile("[A-Za-z]")


def name_variants(name: str, limit: int = api.MAX_NAME_VARIANTS) -> tuple[str, ...]:
    """The spellings to try after ``name`` found nothing, best first, without ``name`` itself.

    A name with a middle dot: the dots of ``NAME_DOTS`` in turn, then none. A name with Latin
    letters: upper case first. Names without either have no variants.
    """
    candidates: list[str] = []
    if _LATIN.search(name):
        candidates.append(name.upper())
    parts = _DOT.split(name)
    if len(parts) > 1 and all(part.strip() for part in parts):
        spelled = [dot.join(parts) for dot in api.NAME_DOTS] + ["".join(parts)]
        candidates.extend(spelled)
        if _LATIN.search(name):
            candidates.extend(s.upper() for s in spelled)
    variants: list[str] = []
    for candidate in candidates:
        if candidate != name and candidate not in variants:
            variants.append(candidate)
    return tuple(variants[: max(0, limit)])


def may_have_variants(name: str) -> bool:
    """Whether "nothing found" for ``name`` should be asked again under another spelling."""
    return bool(name_variants(name, limit=1))
