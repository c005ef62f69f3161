"""The changes between two registers as a notification for a group robot. Pure.

The words are the digest's (:mod:`certcheck.diff.digest`), the terminal's: the title names the
enterprise and both as-of dates; the top of every message gives the enterprise, the dates, the
change in 依法持证率, any 提示 and the conclusion; then one section per kind of change, 结果变差
first and red (DANGER), a section holding someone who came with a violation orange.

Every line goes through ``md_text``: names, items and sheet names come from the registers, and
the digest's masked IDs (``500381********0107``) would turn bold in Markdown, so the ``*``
becomes the full-width ``＊``, as in ``due``'s reminders. A line is sent whole and not
remembered (``Line.key`` is None): a diff is a report of two given files, sent in full each
time it is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from certcheck.diff.compare import Change, Concern, Matching, RegisterDiff
from certcheck.diff.digest import (
    AMBIGUOUS_TITLE,
    ambiguity_line,
    change_line,
    concern_text,
    conclusion,
    enterprise_text,
    grouped,
    rate_text,
)
from certcheck.notify.document import Document, Line, Section, Tone, md_text

#: The last line of every message: ``certcheck`` is the keyword (自定义关键词) a robot shared
#: with ``due``'s reminders should be given.
CLOSING = "certcheck 登记表变化 · 身份证号已打码"
#: At most this many characters of one change's line: more than any line certcheck writes
#: from a register of real names and items (a renewal with three date changes is about 120),
#: few enough that a line always fits one 企业微信 message (4,096 bytes) with the top lines.
LINE_LIMIT = 400
#: The top lines are repeated in every message: a 提示 naming two long file names is cut.
INTRO_LIMIT = 200

_HEADING_TONE = {"结果变差": Tone.DANGER, "其他结果变化": Tone.NOTICE}
#: A line that starts like a list item or a numbered one would nest a list inside the entry.
_LIST_START = re.compile(r"^(?:[-+]|\d{1,9}[.])")
_FULL_WIDTH = str.maketrans({"-": "－", "+": "＋", ".": "．"})


def diff_document(result: RegisterDiff, concerns: Sequence[Concern] = ()) -> Document:
    """``result`` as a document; ``concerns`` are the 提示 the terminal showed (a sample
    register, registers compared with ``--force``)."""
    old, new = result.old, result.new
    enterprise = md_text(enterprise_text(result), limit=60)
    dates = f"{old.info.as_of.isoformat()} → {new.info.as_of.isoformat()}"
    title = f"登记表变化：{enterprise}（{dates}）"
    intro = [
        f"**单位：**{enterprise}",
        f"**核验基准日：**{dates}，人数 {old.verdict.total} → {new.verdict.total}",
        _safe(rate_text(result), INTRO_LIMIT),
    ]
    if result.matching is not Matching.FULL_ID:
        intro.append(_safe(f"对应方式：{result.matching.zh}", INTRO_LIMIT))
    intro += [_safe(f"提示：{concern_text(c, old, new)}", INTRO_LIMIT) for c in concerns]
    intro.append(f"**结论：{conclusion(result)}**")
    sections = [_section(heading, changes, result.several_sheets)
                for heading, changes in grouped(result)]
    if result.ambiguous:
        tone = Tone.WARNING if any(g.worse for g in result.ambiguous) else Tone.NOTICE
        sections.append(Section(AMBIGUOUS_TITLE, tuple(
            Line(_safe(ambiguity_line(g), LINE_LIMIT)) for g in result.ambiguous), tone))
    return Document(title, tuple(intro), tuple(sections), (), (CLOSING,))


def _section(heading: str, changes: Sequence[Change], several_sheets: bool) -> Section:
    tone = _HEADING_TONE.get(heading, Tone.INFO)
    if tone is Tone.INFO and any(c.worse for c in changes):
        # People who came (or rows added) with 逾期, 假证 or 无证: part of why diff exits 1.
        tone = Tone.WARNING
    lines = tuple(Line(_safe(change_line(c, several_sheets), LINE_LIMIT)) for c in changes)
    return Section(heading, lines, tone)


def _safe(text: str, limit: int) -> str:
    """``text`` inert in the three Markdowns, and not read as a list item where it starts."""
    shown = md_text(text, limit=limit)
    found = _LIST_START.match(shown)
    if found:
        shown = found.group().translate(_FULL_WIDTH) + shown[found.end():]
    return shown
