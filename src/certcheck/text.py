"""Facts about text that every reader of cells shares, defined once."""

from __future__ import annotations

import re

#: Characters that show as nothing, yet survive NFKC and ``str.split()``: zero-width space,
#: non-joiner and joiner, word joiner, byte-order mark, soft hyphen, Mongolian vowel
#: separator. Cells pasted from web pages, PDFs and chat messages carry them, and a name or an
#: ID that holds one must still compare equal to the same text without it.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
#: Any one of ``INVISIBLE_CHARS``: ``INVISIBLE.sub("", text)`` drops them.
INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")


def garbled(text: str | None) -> bool:
    """The text holds ``?`` or ``\ufffd`` left by a lossy save (GBK, a lone surrogate): the
    characters there are lost, so it matches nothing for sure and contradicts nothing."""
    return text is not None and ("\ufffd" in text or "?" in text or "？" in text)
