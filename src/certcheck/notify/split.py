"""A document as one platform's messages, each under the platform's size limit. Pure.

A message is filled entry by entry. An entry is never cut: when the next one does not fit, it
starts the next message, which repeats the title (numbered ``（2/3）``), the intro lines and the
section's heading marked ``（续）``. The footer closes the last message, the closing lines every
one. Every message is measured
again once built, by the platform's own rule on the body that will be sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from certcheck.notify.document import Document, Line, Section
from certcheck.notify.markdown import Style, measure, payload, signature_room
from certcheck.notify.platforms import Platform

#: Room kept for the widest numbering a title can get.
_WIDEST_NUMBERING = "（999/999）"
CONTINUED = "（续）"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str
    #: The entries this message carries: recorded as sent once it is delivered.
    lines: tuple[Line, ...]
    body: dict[str, object] = field(repr=False)


class TooLarge(ValueError):
    """A message that could not be made to fit (a bug, or a platform limit below one entry)."""


def split(document: Document, platform: Platform) -> list[Message]:
    """The messages that carry every entry of ``document``; none when it has no entry."""
    style = Style(platform)
    limit = platform.facts.limit
    fixed = (style.envelope(document.title + _WIDEST_NUMBERING, document.tone)
             + style.cost(style.heading(document.title, _WIDEST_NUMBERING))
             + sum(style.cost(style.intro(line)) for line in document.intro)
             + sum(style.cost(style.footer(line))
                   for line in (*document.footer, *document.closing)))
    room = limit - fixed
    packs: list[list[tuple[Section, str, Line]]] = []
    current: list[tuple[Section, str, Line]] = []
    used = 0
    for section in document.sections:
        headings = _headings(section)
        opened: Section | None = None  # the section whose heading the current message has
        started = False
        for line in section.lines:
            heading = headings[1] if started else headings[0]
            extra = 0 if opened is section else style.cost(style.section(heading, section.tone))
            need = extra + style.cost(style.entry(line.text))
            if current and used + need > room:
                packs.append(current)
                current, used, opened = [], 0, None
                heading = headings[1] if started else headings[0]
                extra = style.cost(style.section(heading, section.tone))
                need = extra + style.cost(style.entry(line.text))
            if need > room:
                line = _shortened(line, style, room - extra)
                need = extra + style.cost(style.entry(line.text))
            current.append((section, heading if opened is not section else "", line))
            used += need
            opened, started = section, True
    if current:
        packs.append(current)
    return [_message(document, style, pack, k, len(packs)) for k, pack in
            enumerate(packs, start=1)]


def _headings(section: Section) -> tuple[str, str]:
    count = f"（{len(section.lines)} {section.unit}）" if section.unit else ""
    return f"{section.heading}{count}", f"{section.heading}{CONTINUED}"


def _shortened(line: Line, style: Style, room: int) -> Line:
    """An entry longer than a whole message (never one certcheck makes: names and items are
    cut short before) cut to fit, rather than sent to be refused."""
    text = line.text
    while text and style.cost(style.entry(text + "…")) > room:
        text = text[: max(len(text) * 9 // 10, len(text) - 1)]
    return Line(text + "…", line.key, line.version)


def _message(document: Document, style: Style, pack: list[tuple[Section, str, Line]],
             k: int, n: int) -> Message:
    numbering = f"（{k}/{n}）" if n > 1 else ""
    title = document.title + numbering
    pieces = [style.heading(document.title, numbering)]
    pieces += [style.intro(line) for line in document.intro]
    for section, heading, line in pack:
        if heading:
            pieces.append(style.section(heading, section.tone))
        pieces.append(style.entry(line.text))
    if k == n:
        pieces += [style.footer(line) for line in document.footer]
    pieces += [style.footer(line) for line in document.closing]
    text = "".join(pieces).rstrip("\n")
    body = payload(style.platform, title, text, document.tone)
    if measure(style.platform, body) + signature_room(style.platform) > \
            style.platform.facts.limit:
        raise TooLarge(f"{style.platform.zh}消息第 {k} 条超出大小限制（message too large）")
    return Message(title, text, tuple(line for _, _, line in pack), body)
