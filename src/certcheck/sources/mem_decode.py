"""The text of an answer's body, decoded so that a Chinese name reads as it was sent.

A Chinese service may send GBK without saying so, label GB18030 as ``gbk`` (GBK lacks
characters such as 䶮 that GB18030 has), or put a byte-order mark before its JSON. A wrong guess
turns a name into other characters, which the rules would read as another person's name: so the
order is fixed and strict. A byte-order mark decides and is dropped; then the declared charset,
with every GBK/GB2312 label read as GB18030 (its superset), if the body decodes by it without
error; then UTF-8, then GB18030. A body that none of them decodes keeps U+FFFD where it cannot
be read, and a name holding one is unreadable, never a verdict. A Western single-byte label
(ISO-8859-1, a Java server's default) decodes any bytes into the wrong letters, so it is
believed only for a body of plain ASCII.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

#: Labels of the GB family: all read as GB18030, which decodes everything they encode and more.
_GB_LABELS = frozenset({
    "gbk", "gb2312", "gb_2312", "gb_2312-80", "gb2312-80", "x-gbk", "cp936", "ms936",
    "windows-936", "euc-cn", "euccn", "x-euc-cn", "csgb2312", "chinese", "iso-ir-58",
    "gb18030",
})
#: Codecs that decode any byte: believed only when the body is ASCII.
_ANY_BYTE_CODECS = frozenset({"iso8859-1", "cp1252", "ascii"})
_BAD_RUNS = re.compile("\ufffd+")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark begins it
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def declared_charset(content_type: str | None) -> str | None:
    """The codec the ``Content-Type`` names (GB labels as GB18030), or None if none or unknown."""
    if not content_type:
        return None
    header = Message()
    header["content-type"] = content_type
    label = header.get_param("charset")
    if not isinstance(label, str) or not label.strip():
        return None
    label = label.strip().strip("'\"").lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_body(content: bytes, content_type: str | None) -> str:
    """The body as text, by a byte-order mark, the declared charset, UTF-8, then GB18030."""
    for mark, codec in _BOMS:
        if content.startswith(mark):
            return content[len(mark):].decode(codec, "replace")
    declared = declared_charset(content_type)
    if declared is not None and (declared not in _ANY_BYTE_CODECS or content.isascii()):
        try:
            return content.decode(declared)
        except UnicodeDecodeError:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not _damaged_utf8(content):
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            pass
    lossy = declared if declared is not None and declared not in _ANY_BYTE_CODECS else "utf-8"
    return content.decode(lossy, "replace")


def _damaged_utf8(content: bytes) -> bool:
    """UTF-8 with a stray bad byte or two, rather than text in another encoding.

    GB18030 would decode many such bodies without error into other characters (a name among
    them); they keep U+FFFD instead. Text in GBK fails UTF-8 at nearly every Chinese character.
    """
    text = content.decode("utf-8", "replace")
    # One damaged character may leave up to three U+FFFD in a row: a run counts once.
    bad = len(_BAD_RUNS.findall(text)) - content.count("\ufffd".encode())
    good = sum(1 for c in text if c > "\x7f" and c != "\ufffd")
    return bad <= 2 and bad * 5 <= good
