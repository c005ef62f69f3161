"""What a notification says, before any platform's Markdown: a title, lines repeated at the
top of every message, sections of entries, lines at the end of the last message and of every
message. Pure.

Entry and intro text is a small common Markdown that all three platforms render alike: plain
text and ``**bold**``. Anything that comes from a file (a name, an item) goes through
``md_text`` first: a roster cell must neither format the message (``**``, ``#``), nor turn into
a link or a mention (``[…](…)``, ``<at …>``, ``<font …>``), nor break a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from certcheck.register.view import Masker
from certcheck.text import INVISIBLE_CHARS


class Tone(StrEnum):
    """How urgent a section (or the whole message) is: the colour a platform gives it."""

    DANGER = "danger"
    WARNING = "warning"
    NOTICE = "notice"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Line:
    """One entry, one person's line: never cut between two messages."""

    text: str
    #: What the entry is about (the person and their certificate), for the record of what was
    #: sent, which keeps it only as a keyed hash; None for an entry sent every time.
    key: str | None = None
    #: What the entry says about it: a remembered ``key`` is sent again when this changes.
    version: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    lines: tuple[Line, ...]
    tone: Tone = Tone.INFO
    #: Counted in the heading (``已逾期（3 项）``); None for no count.
    unit: str | None = "项"


@dataclass(frozen=True, slots=True)
class Document:
    #: Plain text: 钉钉's notification title and 飞书's card header.
    title: str
    #: Lines at the top of every message (the enterprise, the date).
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    #: Lines at the end of the last message.
    footer: tuple[str, ...] = ()
    #: Lines at the end of every message: what a robot's keyword (自定义关键词) can match.
    closing: tuple[str, ...] = ()

    @property
    def tone(self) -> Tone:
        """The most urgent section's tone: the colour of the whole (飞书's card header)."""
        tones = {section.tone for section in self.sections}
        return next((tone for tone in Tone if tone in tones), Tone.INFO)

    def only(self, keep: Callable[[Line], bool]) -> Document:
        """The document with only the entries ``keep`` keeps; sections left empty are
        dropped."""
        sections = []
        for section in self.sections:
            kept = tuple(line for line in section.lines if keep(line))
            if kept:
                sections.append(Section(section.heading, kept, section.tone, section.unit))
        return Document(self.title, self.intro, tuple(sections), self.footer, self.closing)

    @property
    def lines(self) -> list[Line]:
        return [line for section in self.sections for line in section.lines]


#: Characters that format, link or mention in one of the three Markdowns, and the full-width
#: forms they are shown as (they read the same in Chinese text and format nothing).
_ACTIVE = str.maketrans({
    "*": "＊", "_": "＿", "`": "｀", "~": "～", "#": "＃", "[": "［", "]": "］", "(": "（",
    ")": "）", "<": "＜", ">": "＞", "|": "｜", "!": "！", "\\": "＼", "@": "＠", "&": "＆",
})
_BREAKS = re.compile(r"[\s\u2028\u2029\u0085]+")
_CONTROL = re.compile(
    f"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069{INVISIBLE_CHARS}]")
#: IDs typed in groups (``500381 19900101 1234``) too: a person reads them whole.
_MASKER = Masker(True, grouped=True)
#: What the platforms turn into a link by itself: ``http://…``, ``dingtalk://…``, ``www.…``.
_AUTOLINK = re.compile(r"://|(?i:\bwww)\.")
#: A text that starts like a list item or a numbered one would nest a list where it starts
#: a line (a name right after ``- ``): its mark is shown in full width.
_LIST_START = re.compile(r"^(?:[-+]|[0-9]{1,9}[.)])(?=\s|$)")
_LIST_MARKS = str.maketrans({"-": "－", "+": "＋", ".": "．"})


def md_text(value: str | None, *, limit: int = 40, empty: str = "（空）") -> str:
    """Text from a file, safe in any of the three Markdowns: line breaks, controls and
    invisible characters gone, ID-shaped runs masked (full-width digits, digits in groups),
    active characters in their full-width forms, no address a platform would make a link of,
    no list mark at its start, at most ``limit`` characters (then ``…``), so that one line
    always fits in one message."""
    if value is None or not value.strip():
        return empty
    # Invisible characters go first: between the digits of an ID they hide it from the masker
    # while the reader still sees every digit.
    text = _CONTROL.sub("", _BREAKS.sub(" ", value))
    text = (_MASKER.text(text) or "").strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.translate(_ACTIVE)
    text = _AUTOLINK.sub(lambda m: "：／／" if m.group(0) == "://" else m.group(0)[:-1] + "．",
                         text)
    found = _LIST_START.match(text)
    if found:
        text = found.group().translate(_LIST_MARKS) + text[found.end():]
    return text or empty
