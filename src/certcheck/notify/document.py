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
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MASKER = Masker(True)


def md_text(value: str | None, *, limit: int = 40, empty: str = "（空）") -> str:
    """Text from a file, safe in any of the three Markdowns: ID-shaped runs masked, line
    breaks and controls gone, active characters in their full-width forms, at most ``limit``
    characters (then ``…``), so that one line always fits in one message."""
    if value is None or not value.strip():
        return empty
    text = _MASKER.text(value) or ""
    text = _CONTROL.sub("", _BREAKS.sub(" ", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.translate(_ACTIVE) or empty
