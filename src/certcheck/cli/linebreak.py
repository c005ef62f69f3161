"""Where a line of Chinese (and mixed Chinese–English) text may break, by the rules of Chinese
typesetting (禁则), measured in terminal cells.

rich and click break lines at spaces only. A run of Chinese has no spaces, so both cut it
wherever the width runs out: a line may then start with “，” or “）”, end with “（”, or split
“第 12 行” into “第 12” and “行”. Here a line may break

- after a space, between two Chinese characters, and between Chinese and Latin text;
- never before a closing mark (``，。、；：？！”）】》」』`` …) nor after an opening one
  (``（【“《「『`` …), so such a mark goes to the next line with its neighbour;
- never inside a unit read as one: a number written onto a word (``附件1``), ``第 N 行``,
  a number with its measure word (``3 人``, ``12 项``, ``2分10秒``), a date
  (``2026年12月1日``), a file name (``花名册.xlsx``), a written source
  (``registry:文件路径``), nor inside a run of Latin letters and digits (a masked ID, a
  certificate number, an option such as ``--within``).

A unit wider than the whole line is cut only when it must be (``fold``), and then where no rule
is broken if there is such a place. This module knows nothing of rich or click: each of them is
taught to ask it (``rich_breaking``, ``help_format``), so the rules live in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

#: May not start a line: closing marks and the marks that end a clause, Chinese and Latin.
NO_START = frozenset("，。、；：？！”’）】》」』〕〉｝］〗〙…‥·・％‰℃,.;:?!)]}%")
#: May not end a line: opening marks.
NO_END = frozenset("（【“‘《「『〔〈｛［〖〘([{")
#: U+2060 WORD JOINER: no break on either side of it. U+200B ZERO WIDTH SPACE: a break after it.
WORD_JOINER = "\u2060"
ZERO_WIDTH_SPACE = "\u200b"
#: Spaces that do not break (no-break space, narrow no-break space, figure space).
_NO_BREAK_SPACES = frozenset("\u00a0\u202f\u2007")

_DIGITS = frozenset("0123456789０１２３４５６７８９")
_NUMBER = r"\d+(?:[.,]\d+)*"
#: Measure words and units a number is read with: ``3 人``, ``12 项``, ``30 天``, ``5.5 万元``.
_UNITS = (r"(?:万元|小时|分钟|个月|人次|周岁"
          r"|[人项个次天份家条行列张名年月日号岁秒分元周页处倍位件%％])")
_UNIT = re.compile(
    # 2026年12月1日, 2026 年 12 月
    r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
    # 第 3 行, 第12-14行, 第 1 个
    rf"|第\s*{_NUMBER}(?:\s*[-–~～至]\s*{_NUMBER})?\s*{_UNITS}"
    # 3 人, 66.7 %, 2分10秒 (not the end of a longer run: 2026-12-01 人)
    rf"|(?<![0-9A-Za-z.*/:+_-])[-+]?{_NUMBER}\s*{_UNITS}(?:{_NUMBER}{_UNITS})*"
    # registry:文件路径, replay:文件夹, command:程序
    r"|[A-Za-z][A-Za-z0-9_.+-]{0,40}:(?!//)[^\s，。；、：（）()“”]{1,255}"
    # 花名册.register.xlsx
    r"|[^\s，。；、：（）()“”《》【】]{1,255}\.(?:xlsx|xlsm|xls|csv|json|et|ods|txt|pdf)\b"
)


@lru_cache(maxsize=4096)
def char_cells(char: str) -> int:
    """The cells one character takes in a terminal: 2 for wide (Chinese) characters, 0 for
    combining marks and invisible format characters, 1 otherwise."""
    if unicodedata.category(char) in ("Mn", "Me", "Cf") or (char < " " and char != "\t"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cells(text: str, measure: Callable[[str], int] = char_cells) -> int:
    """The cells ``text`` takes, one character at a time."""
    return sum(measure(char) for char in text)


@lru_cache(maxsize=4096)
def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _space(char: str) -> bool:
    return char.isspace() and char not in _NO_BREAK_SPACES


def _may_break(before: str, after: str) -> bool:
    """Whether a line may break between two neighbouring characters, units aside."""
    if _space(after) or after in NO_START or before in NO_END:
        return False
    if WORD_JOINER in (before, after) or char_cells(after) == 0 or before in _NO_BREAK_SPACES \
            or after in _NO_BREAK_SPACES:
        return False
    if _space(before) or before == ZERO_WIDTH_SPACE:
        return True
    if after in _DIGITS and before not in NO_START:
        return False  # a number written onto a word: 附件1, 表3, 第12
    return _wide(before) or _wide(after)


#: A run of Latin letters, digits and the marks numbers are written with that holds a digit: a
#: masked ID, a certificate number, an ISO date, ``9/9``. Cut only when nothing else is left.
_NUMBERISH = re.compile(r"[0-9A-Za-z*.:/+_-]*\d[0-9A-Za-z*.:/+_-]*")


def _analysis(text: str) -> tuple[list[bool], list[bool]]:
    """``allowed[i]``: whether a line may break before ``text[i]``; ``unit[i]``: whether that
    place is inside a unit read as one (a break there would make a number unreadable)."""
    allowed = [False] * (len(text) + 1)
    unit = [False] * (len(text) + 1)
    for i in range(1, len(text)):
        allowed[i] = _may_break(text[i - 1], text[i])
    for pattern in (_UNIT, _NUMBERISH):
        for found in pattern.finditer(text):
            for i in range(found.start() + 1, found.end()):
                allowed[i] = False
                unit[i] = True
    return allowed, unit


def opportunities(text: str) -> list[bool]:
    """``allowed[i]``: whether a line may break before ``text[i]`` (one line of text, no line
    feed in it); ``allowed[0]`` and ``allowed[len(text)]`` are False."""
    return _analysis(text)[0]


def breaks(text: str, width: int, *, measure: Callable[[str], int] = char_cells,
           fold: bool = True) -> list[int]:
    """The offsets at which to break ``text`` (one line) so that no line is wider than
    ``width`` cells, by the rules above. Spaces at a break stay at the end of the line before
    it (the caller strips them); no line but the first starts with a space.

    With ``fold`` a unit wider than ``width`` is cut (``_forced`` says where); without, it is
    left whole on a line of its own, for the caller to shorten.
    """
    width = max(width, 1)
    allowed, unit = _analysis(text)
    widths = [measure(char) for char in text]
    offsets: list[int] = []
    start = used = 0
    last: int | None = None  # the latest break allowed on this line
    filled = False  # whether this line holds more than spaces
    i = 0
    while i < len(text):
        char, cell = text[i], widths[i]
        if filled and cell and not _space(char) and used + cell > width:
            cut = last if last is not None else (_forced(text, start, i, unit) if fold else None)
            if cut is not None:
                offsets.append(cut)
                start, last = cut, None
                used = sum(widths[cut:i])
                filled = any(not _space(c) for c in text[cut:i])
                continue  # the same character again, on the new line
        used += cell
        filled = filled or not _space(char)
        i += 1
        if i < len(text) and allowed[i] and filled:
            if used > width:  # an overlong unit (not folded) ends here: it keeps its own line
                offsets.append(i)
                start, used, last, filled = i, 0, None, False
            else:
                last = i
    return _no_widow(text, offsets, allowed, widths, width)


def _no_widow(text: str, offsets: list[int], allowed: list[bool], widths: list[int],
              width: int) -> list[int]:
    """The last break moved back by one character where it left one Chinese character alone
    on the last line (低压电工作 / 业 becomes 低压电工 / 作业), if a break is allowed there and
    the lines before keep more than that character."""
    if not offsets:
        return offsets
    cut = offsets[-1]
    tail = text[cut:].rstrip()
    start = offsets[-2] if len(offsets) > 1 else 0
    alone = len(tail.rstrip("".join(NO_START))) == 1 and _wide(tail[0])
    fits = sum(widths[cut - 1:cut + len(tail)]) <= width
    if alone and fits and cut - 1 > start + 1 and allowed[cut - 1]:
        return [*offsets[:-1], cut - 1]
    return offsets


def _forced(text: str, start: int, end: int, unit: list[bool]) -> int:
    """Where to cut a line that holds no allowed break, as late as possible up to ``end``: where
    the marks' rules hold and no number is cut (a Latin word may be); else where no number is
    cut (a date or an ID split in two reads wrong, a line that starts with “，” only looks
    wrong); else where the marks' rules hold; else at ``end``. Never before a space or a
    combining mark."""

    def marks_kept(cut: int) -> bool:
        before, after = text[cut - 1], text[cut]
        return not (after in NO_START or before in NO_END or WORD_JOINER in (before, after))

    def visible(cut: int) -> bool:  # and something but spaces left on the line before it
        return not _space(text[cut]) and char_cells(text[cut]) > 0 and bool(
            text[start:cut].strip())

    tiers: tuple[Callable[[int], bool], ...] = (
        lambda cut: marks_kept(cut) and not unit[cut],
        lambda cut: not unit[cut],
        marks_kept,
    )
    for acceptable in tiers:
        for cut in range(end, start, -1):
            if visible(cut) and acceptable(cut):
                return cut
    return end


def wrap(text: str, width: int, *, measure: Callable[[str], int] = char_cells) -> list[str]:
    """``text`` as lines at most ``width`` cells wide (but for units wider than that), each
    without the spaces it ended with; a line feed in ``text`` always starts a new line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        edges = [0, *breaks(paragraph, width, measure=measure), len(paragraph)]
        lines += [paragraph[a:b].rstrip() for a, b in pairwise(edges)]
    return lines


def narrowest(text: str, *, measure: Callable[[str], int] = char_cells) -> int:
    """The width of the widest unit of ``text`` that may not be broken: the narrowest a line
    of it can be without cutting one."""
    widest = 0
    for paragraph in text.split("\n"):
        allowed = opportunities(paragraph)
        edges = [i for i in range(1, len(paragraph)) if allowed[i]]
        for a, b in zip([0, *edges], [*edges, len(paragraph)], strict=True):
            widest = max(widest, cells(paragraph[a:b].rstrip(), measure))
    return widest
