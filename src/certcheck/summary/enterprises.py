"""When two registers name the same enterprise.

Enterprise names are compared after NFKC folding (full-width brackets and letters become their
half-width forms) and removal of whitespace and invisible characters, because the same name
typed in two offices differs in exactly those ways. Nothing else is dropped: 示例化工有限公司
and 示例化工 may be two legal persons (a company and its workshop, a 分公司), and merging two
enterprises would hide one of them from the form. Names that differ only in brackets or in the
suffix 有限公司 are pointed out instead (:func:`loose_key`), for the office to decide.
"""

from __future__ import annotations

import unicodedata

from certcheck.text import INVISIBLE as _INVISIBLE

#: Where registers that name no enterprise are counted, so their workers are not lost.
UNNAMED = "（未注明单位）"

_BRACKETS = str.maketrans("", "", "()[]{}（）【】〔〕［］「」")
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司")


def enterprise_key(name: str) -> str:
    """The form in which two spellings of one enterprise's name compare equal."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    return "".join(folded.split())


def loose_key(name: str) -> str:
    """A name without brackets and without its company-form suffix: two enterprises whose
    names share it are probably one, written twice; never merged on this alone."""
    key = enterprise_key(name).translate(_BRACKETS)
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key
