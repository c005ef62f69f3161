"""How the workbooks look on screen and on paper: column widths, wrapped rows, page setup.

Spreadsheet column widths count characters of the default font's digit width. A Chinese
character is about two of those, so widths are measured in *display columns*, where a CJK
(East Asian wide or full-width) character counts two and anything else one.

LibreOffice and WPS do not grow a row for text that wraps when the file gives no height, so
every row with wrapped text is given the height its longest cell needs.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

#: Paper size code of A4 in the page setup of a worksheet.
PAPER_A4 = 9
#: Points one line of the default 11-point text takes, CJK fonts included (they are taller).
LINE_HEIGHT = 15.0
#: Padding added to a width so a value does not touch the cell border.
PADDING = 2
#: Header and footer text is limited to 255 characters in the file format.
_HEADER_FOOTER_MAX = 255


def display_width(text: str) -> int:
    """Columns ``text`` takes: two for each East Asian wide or full-width character."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def quick_width(text: str) -> int:
    """``display_width`` for CJK and ASCII text at C speed, for loops over many cells.

    A CJK character is three bytes in UTF-8 and one character, so (bytes + characters) / 2 is
    two for it and one for ASCII; other scripts come out between, never below their width.
    An unpaired surrogate (written as U+FFFD) counts as three bytes, as U+FFFD does.
    """
    return (len(text.encode("utf-8", "surrogatepass")) + len(text) + 1) >> 1


def column_width(widest: int, *, minimum: float = 4, maximum: float = 60) -> float:
    """The column width that shows a value ``widest`` display columns wide, padded."""
    return float(min(max(widest + PADDING, minimum), maximum))


def fitting_width(values: Iterable[str], header: str, *, minimum: float = 4,
                  maximum: float = 60, header_lines: int = 2) -> float:
    """A width that shows every value whole and the header on at most ``header_lines``."""
    widest = max((quick_width(v) for v in values), default=0)
    head = -(-display_width(header) // header_lines)
    return column_width(max(widest, head), minimum=minimum, maximum=maximum)


def lines_needed(text: str | None, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` wide (at least one)."""
    if not text:
        return 1
    usable = max(width - 1, 1.0)
    if "\n" not in text:
        # Most cells are one short line: no split, no generator, for tables of many rows.
        return max(1, math.ceil(quick_width(text) / usable))
    return sum(max(1, math.ceil(quick_width(part) / usable))
               for part in text.split("\n"))


def row_height(lines: int, line_height: float = LINE_HEIGHT) -> float:
    return lines * line_height + 3


def footer_text(left: str, right: str) -> str:
    """A footer with ``left`` and ``right`` texts and 第 N 页，共 M 页 in the middle."""
    def escaped(text: str, room: int) -> str:
        # "&" starts a code in a header or footer; a literal one is written twice. A cut between
        # the two would leave one "&" to start a code with what follows (the "&C" of the
        # page numbers, which would then print as text): the cut never splits a pair.
        cut = text.replace("&", "&&")[:room]
        trailing = len(cut) - len(cut.rstrip("&"))
        return cut[:-1] if trailing % 2 else cut

    centre = "&C第 &P 页，共 &N 页"
    room = _HEADER_FOOTER_MAX - len(centre) - 8
    left_part = escaped(left, room // 2)
    right_part = escaped(right, room // 2)
    return f"&L{left_part}{centre}&R{right_part}"


def as_of_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def print_landscape(ws: Any, *, footer: str | None = None, repeat_header: bool = True,
                    header_row: int = 0, side_margin: float = 0.4) -> None:
    """A4 landscape, every column on one page width, the header row on every page.

    ``side_margin``: the left and right margins in inches (the register's sheets take less, to
    print their type larger).
    """
    ws.set_paper(PAPER_A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=side_margin, right=side_margin, top=0.5, bottom=0.6)
    if repeat_header:
        ws.repeat_rows(header_row)
    if footer:
        ws.set_footer(footer, {"margin": 0.25})
