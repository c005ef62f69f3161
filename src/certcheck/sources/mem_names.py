"""Other spellings of a name for the national lookup, which matches the name exactly.

A minority name (阿依古丽·买买提) may reach certcheck with another dot, a hyphen or a space
where the middle dot goes, or with no separator at all; the service may hold any of those
spellings too. A Latin name may be stored in upper case. So "nothing found" under the roster's
spelling is not yet an answer: ``mem`` asks again with these variants, at most
``mem_mapping.MAX_NAME_VARIANTS`` of them, since each costs a captcha a person solves.

The order, after the roster's own spelling (which ``mem`` asks first):

1. ``·`` (U+00B7): the 间隔号 that the resident ID card and the household register print,
   which the service's records are most likely copied from;
2. no separator: what a system or a clerk that could not type the dot stored, and what a
   roster's hyphen or space most often stands for;
3. ``•`` and then ``・``: look-alikes that a word processor's bullet or a Japanese input method
   slips in, rarer in an official record.

So, with two extra spellings, 阿依古丽·买买提 is also asked as 阿依古丽买买提 and
阿依古丽•买买提; 阿依古丽-买买提 (and 阿依古丽 买买提) as 阿依古丽·买买提 and 阿依古丽买买提.
A name that reaches the source without any separator (the roster reader drops the spaces of
阿依古丽 买买提) has no variants: where its dot belongs cannot be told.
"""

from __future__ import annotations

import re

from certcheck.sources import mem_mapping as api

_DOTS = re.escape(api.NAME_DOT_CHARS)
#: A hyphen or a dash typed where the middle dot belongs (ASCII, Unicode and full-width).
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d"
#: Between the parts of a Chinese-script name: a run of dots, dashes and spaces is one dot.
_SEPARATOR = re.compile(f"[\\s{_DOTS}{_DASHES}]+")
#: In a name with Latin letters, a hyphen or a space belongs to the name (Anne-Marie): only a
#: dot separates.
_DOT_SEPARATOR = re.compile(f"\\s*[{_DOTS}]+\\s*")
_LATIN = re.compile("[A-Za-z]")
#: The separators to try, in order (see the module's docstring).
_SPELLINGS: tuple[str, ...] = (api.NAME_DOTS[0], "", *api.NAME_DOTS[1:])


def name_variants(name: str, limit: int = api.MAX_NAME_VARIANTS) -> tuple[str, ...]:
    """The spellings to try after ``name`` found nothing, best first, without ``name`` itself.

    A name whose parts are separated by a dot, a hyphen or a space: joined by ``·``, by
    nothing, by ``•``, by ``・``. A name with Latin letters: upper case first, and only a dot
    separates its parts. Names with neither have no variants.
    """
    latin = _LATIN.search(name) is not None
    candidates: list[str] = [name.upper()] if latin else []
    parts = (_DOT_SEPARATOR if latin else _SEPARATOR).split(name.strip())
    if len(parts) > 1 and all(parts):
        spelled = [dot.join(parts) for dot in _SPELLINGS]
        candidates.extend(spelled)
        if latin:
            candidates.extend(s.upper() for s in spelled)
    variants: list[str] = []
    for candidate in candidates:
        if candidate != name and candidate not in variants:
            variants.append(candidate)
    return tuple(variants[: max(0, limit)])


def may_have_variants(name: str) -> bool:
    """Whether "nothing found" for ``name`` should be asked again under another spelling."""
    return bool(name_variants(name, limit=1))
