"""JSON from outside, and the one kind of character it lets in that UTF-8 cannot carry.

JSON may spell half of a UTF-16 surrogate pair on its own (``"\\ud800"``). That is valid JSON,
and Python decodes it into a string holding an unpaired surrogate, which every UTF-8 writer
then refuses (``UnicodeEncodeError``): a registry file, a register read back, a recorded or
live answer of the national lookup holding one would take the run, and its register, down
at the very end. Every reader of JSON that came from outside goes through ``loads``, which
puts U+FFFD (the replacement character) where such a surrogate stood, as a lossy decode of
bytes does. A name holding U+FFFD is an unreadable name (``name_unreadable``), never a verdict.

Writers guard the same way for text that came in by another road (a plugin's records, a file
name in another encoding): a file opened with ``errors=ENCODE_ERRORS`` writes U+FFFD for an
unpaired surrogate instead of failing.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

__all__ = ["ENCODE_ERRORS", "holds_unpaired", "loads", "mend"]

#: An unpaired surrogate in a decoded string: a pair decodes to one code point above U+FFFF,
#: so any surrogate code point left in a Python string stands alone.
_UNPAIRED = re.compile("[\ud800-\udfff]")
#: What in JSON text may decode to one: a ``\uD800``-``\uDFFF`` escape, or the code point
#: itself in text that was decoded leniently. Most documents hold neither, and are not walked.
_MAY_HOLD_ONE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")

#: The error handler for writers: ``open(path, "w", encoding="utf-8", errors=ENCODE_ERRORS)``
#: writes U+FFFD for an unpaired surrogate (``?`` in an encoding other than UTF-8).
ENCODE_ERRORS = "certcheck.unpaired-to-fffd"


def _replace_unpaired(error: UnicodeError) -> tuple[str | bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    count = error.end - error.start
    if error.encoding.lower().replace("_", "-").startswith("utf-8"):
        # An encoder takes only ASCII text back from a handler: UTF-8 is given U+FFFD's bytes.
        return "\ufffd".encode() * count, error.end
    return "?" * count, error.end


codecs.register_error(ENCODE_ERRORS, _replace_unpaired)


def holds_unpaired(text: str) -> bool:
    return _UNPAIRED.search(text) is not None


def mend(text: str) -> str:
    """``text`` with U+FFFD in place of each unpaired surrogate; the same object when none."""
    return _UNPAIRED.sub("\ufffd", text) if _UNPAIRED.search(text) else text


def loads(text: str) -> Any:
    """``json.loads`` whose strings (keys too) hold no unpaired surrogate. Raises what
    ``json.loads`` raises (``ValueError``, ``RecursionError``)."""
    data = json.loads(text)
    return _mended(data) if _MAY_HOLD_ONE.search(text) else data


def _mended(data: Any) -> Any:
    """``data`` with every string mended, containers changed in place; without recursion,
    since a document may be nested as deeply as the parser allows."""
    if isinstance(data, str):
        return mend(data)
    pending = [data] if isinstance(data, dict | list) else []
    while pending:
        container = pending.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = mend(item)
                elif isinstance(item, dict | list):
                    pending.append(item)
            continue
        items = list(container.items())
        if any(_UNPAIRED.search(key) for key, _ in items):
            # Rebuilt in order; two keys that mend alike behave as a repeated key in JSON.
            container.clear()
            container.update((mend(key), value) for key, value in items)
        for key, value in container.items():
            if isinstance(value, str):
                container[key] = mend(value)
            elif isinstance(value, dict | list):
                pending.append(value)
    return data
