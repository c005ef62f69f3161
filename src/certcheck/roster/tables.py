"""One sheet, several tables: pasted one under another, or standing side by side.

Offices paste rosters together: the electricians' list with the welders' under it, each under
its own header, worded and ordered its own way (序号/姓名/身份证号码/工种, then 姓名/工种/证件号码);
or two lists side by side on one printout, 姓名 and 身份证号 twice in one header row. Each table
is read as a roster of its own, on a slice of the sheet's grid that keeps the row and column
numbers a person sees (merges and marks stay keyed by sheet position).

Order: tables whose header rows stand lower come later; tables side by side under one header row
come left to right. A header repeated word for word (the page header of printouts pasted
together) starts a table that ``repeats`` the one above: the same columns, noted once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from certcheck.roster.header import (
    ALIASES,
    Header,
    cell_text,
    fold_label,
    header_at,
    names_a_column,
    names_a_list,
)
from certcheck.roster.values import ID_AS_NUMBER
from certcheck.tablefile.grid import Cell, Grid, Row


@dataclass(frozen=True)
class Table:
    """One table of a sheet: its own slice of the grid and its own header."""

    grid: Grid
    header: Header
    #: Index (in the list ``split_tables`` returns) of the table whose header this one repeats
    #: word for word, or None.
    repeats: int | None = None


def split_tables(grid: Grid, header: Header) -> list[Table]:
    """The tables of a sheet whose first header is ``header``, in reading order.

    A later row that is itself a complete header (naming 姓名 and an ID) ends the table above
    it; title lines just above that row go with the table below. A header row naming 姓名 and
    an ID twice holds tables side by side, each read on its own columns. A table after the
    first with no row under its header (a form line that happens to name 姓名 and 身份证号) is
    dropped.
    """
    tables: list[Table] = []
    above: tuple[Header, list[int]] | None = None
    for band, band_header in _bands(grid, header):
        blocks = _side_by_side(band, band_header)
        repeated = (
            above is not None
            and _same_columns(above[0], band_header)
            and len(above[1]) == len(blocks)
        )
        indices: list[int] = []
        for number, (block, block_header) in enumerate(blocks):
            if tables and not _has_rows(block, block_header):
                continue
            repeats = above[1][number] if repeated and above is not None else None
            indices.append(len(tables))
            tables.append(Table(block, block_header, repeats))
        if len(indices) == len(blocks):
            above = (band_header, indices)
    return tables


# ---- tables one under another ---------------------------------------------------------------

# Title lines taken from the bottom of one table to the top of the next: a title, a 填报单位 line.
# More are taken only when they cannot be a worker's row: a list's title, a form line.
_TITLE_LINES = 3
_ID_DIGITS = re.compile(r"\d{15}")
# A lone text that is a section title (二、焊工, 电工班, 外协人员) or a form line (填报单位：),
# not a person's name.
_SECTION = re.compile(r"[工班组队部科类、.．:：]|作业|人员|车间|^[一二三四五六七八九十\d]")
# A form field: a short label and a colon (填报单位：…, 填报日期：…).
_FORM_FIELD = re.compile(r"^[^\d:：]{1,20}[:：]")
# A subtitle wholly in brackets: （2026年第二季度）.
_BRACKETED_LINE = re.compile(r"^[(（【\[〔［][^)）】\]〕］]*[)）】\]〕］]$")
# Words of the upper row of a two-row header, where no name stands.
_HEADING = re.compile(r"信息|情况|资料|证|作业|人员|名单|花名册|工种|岗位|项目|类别|日期|有效期")
# A header row names the person somewhere; these cheap tests pass over the data rows.
_NAME_WORDS = ("名", "持证人", "作业人员", "name", "Name", "NAME")


def _bands(grid: Grid, header: Header) -> Iterator[tuple[Grid, Header]]:
    """The sheet cut above each later header (and its title lines), with each band's header
    found again in the band, titled from the lines above it there."""
    start = 0
    current = header
    while True:
        found = _next_header(grid, current)
        end = len(grid.rows) if found is None else _table_start(grid, found, current)
        band = _row_slice(grid, start, end)
        band_header = current if start == 0 else header_at(band, current.first - start)
        if band_header is None:  # the same rows as ``current``: found again, but never trust it
            band_header = replace(
                current, first=current.first - start, last=current.last - start,
                hints=[i - start for i in current.hints],
            )
        yield band, band_header
        if found is None:
            return
        start, current = end, found


def _next_header(grid: Grid, header: Header) -> Header | None:
    """The next row under ``header`` that is a complete header itself (untitled)."""
    rows = grid.rows
    id_col = header.columns["id_number"]
    holds_id = _ID_DIGITS.search
    for index in range(header.last + 1, len(rows)):
        row = rows[index]
        if id_col < len(row):
            # A worker: by far the most rows, passed over at once.
            cell = row[id_col]
            if isinstance(cell, str):
                # isascii is a flag lookup: an ID of plain digits needs no regular expression.
                if (len(cell) >= 15 and cell.isascii()) or holds_id(cell):
                    continue
            elif _holds_id(cell):
                continue
        if _may_name_people(row):
            found = header_at(grid, index, titled=False)
            if found is not None:
                return _with_parent_row(grid, found, header.last)
    return None


def _with_parent_row(grid: Grid, found: Header, floor: int) -> Header:
    """``found``, or the two-row header it is the lower row of (特种作业操作证 merged over
    证号 and 有效期至 above a row naming 姓名 and 身份证号)."""
    if found.first - 1 > floor:
        upper = header_at(grid, found.first - 1, titled=False)
        if upper is not None and upper.label_last == found.first:
            return upper
    return found


def _holds_id(cell: Cell) -> bool:
    if isinstance(cell, str):
        return _ID_DIGITS.search(cell) is not None
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return False
    return abs(cell) >= ID_AS_NUMBER


def _may_name_people(row: Row) -> bool:
    texts = 0
    named = False
    for cell in row:
        if isinstance(cell, str) and cell:
            texts += 1
            named = named or any(w in cell for w in _NAME_WORDS)
    return named and texts >= 2


def _table_start(grid: Grid, found: Header, above: Header) -> int:
    """The first row of the table whose header is ``found``: its header row, or the title
    lines (and blank rows) just above it, never reaching into the header above."""
    start = found.first
    lines = 0
    name_col = above.columns["name"]
    while start - 1 > above.last:
        row = grid.rows[start - 1]
        if any(cell_text(c) or not isinstance(c, str) for c in row):
            if not _title_line(grid, start - 1, name_col, found.first) or (
                lines >= _TITLE_LINES and not _never_a_worker(row)
            ):
                break
            lines += 1
        start -= 1
    return start


def _never_a_worker(row: Row) -> bool:
    """A line no worker's row can be: the title of a list (…花名册), or form fields."""
    texts = [t for t in (cell_text(c) for c in row) if t]
    return bool(texts) and all(names_a_list(t) or _FORM_FIELD.match(t) for t in texts)


def _title_line(grid: Grid, index: int, name_col: int, header_row: int) -> bool:
    """A row of text that no worker row holds: a title (…名单, 二、焊工, （第二季度）, merged
    across columns, or standing outside the name column), a form line (填报单位：, and
    填报日期： in a cell of its own), or the upper row of a
    header whose lower row names everything (序号 merged down beside 基本信息 and 特种作业操作证
    over 姓名, 身份证号, 证号; a column named in the upper row only, over an empty cell)."""
    texts: list[tuple[int, str]] = []
    for column, cell in enumerate(grid.rows[index]):
        if not isinstance(cell, str):
            return False
        if cell.strip():
            texts.append((column, cell.strip()))
    if not texts or any(_ID_DIGITS.search(text) for _, text in texts):
        return False
    column, text = texts[0]
    if len({t for _, t in texts}) == 1 and (
        column != name_col
        or names_a_list(text)
        or _SECTION.search(text) is not None
        or _BRACKETED_LINE.match(text) is not None
    ):
        return True
    if all(_FORM_FIELD.match(t) for _, t in texts):
        return True  # 填报单位：… and 填报日期：… in cells of their own
    below = grid.rows[index + 1] if index + 1 == header_row else None
    return all(
        _HEADING.search(t) is not None
        or _merged_across(grid, index, c)
        or names_a_column(t)
        or (below is not None and not (c < len(below) and cell_text(below[c])))
        for c, t in texts
    )


def _merged_across(grid: Grid, index: int, column: int) -> bool:
    row, col = grid.first_row + index, grid.first_col + column
    return any(
        r0 <= row <= r1 and c0 <= col <= c1 and c1 > c0 for (r0, c0), (r1, c1) in grid.merges
    )


def _same_columns(one: Header, other: Header) -> bool:
    """Two headers name the same fields in the same columns with the same words."""
    return (
        one.columns == other.columns
        and {f: fold_label(t) for f, t in one.labels.items()}
        == {f: fold_label(t) for f, t in other.labels.items()}
        and one.label_last - one.first == other.label_last - other.first
    )


def _has_rows(grid: Grid, header: Header) -> bool:
    columns = header.columns.values()
    return any(
        any(c < len(row) and cell_text(row[c]) for c in columns)
        or any(c < len(row) and not isinstance(row[c], str) for c in columns)
        for row in grid.rows[header.last + 1 :]
    )


# ---- tables side by side -------------------------------------------------------------------

_PLAIN = {
    field_name: frozenset(fold_label(alias) for alias in ALIASES[field_name])
    for field_name in ("name", "id_number")
}
# Labels a table's first column often has: the right table begins with its own.
_LEADING = frozenset(("序号", "序", "编号", "no"))


def _side_by_side(grid: Grid, header: Header) -> list[tuple[Grid, Header]]:
    """The tables standing side by side under the header row, left to right."""
    cut = _cut_column(grid, header)
    if cut is None:
        return [(grid, header)]
    left, right = _column_slice(grid, 0, cut), _column_slice(grid, cut, None)
    left_header = header_at(left, header.first)
    right_header = header_at(right, header.first)
    if left_header is None or right_header is None:
        return [(grid, header)]
    return [(left, left_header), *_side_by_side(right, right_header)]


def _cut_column(grid: Grid, header: Header) -> int | None:
    """The first column of the second table beside the first, if the header row names 姓名
    and an ID a second time (plainly: 联系人姓名 is not a second table's 姓名)."""
    name, id_col = header.columns["name"], header.columns["id_number"]
    end = max(name, id_col)
    names = [c for c, t, f in header.duplicates if f == "name" and _plain(t, f) and c > end]
    ids = [c for c, t, f in header.duplicates if f == "id_number" and _plain(t, f) and c > end]
    if not names or not ids:
        return None
    begins = min(names[0], ids[0])
    labels = [fold_label(_column_label(grid, header, c)) for c in range(begins + 1)]
    for column in range(begins - 1, end, -1):
        if not labels[column]:
            return column + 1  # the empty column between the tables
    # The same table twice (a printout folded in two): the right one begins as the left does.
    first = next(c for c, label in enumerate(labels) if label)
    width = names[0] - name
    if (
        width == ids[0] - id_col
        and end < first + width <= begins
        and labels[first + width] == labels[first]
    ):
        return first + width
    column = begins
    while column - 1 > end and labels[column - 1] in _LEADING:
        column -= 1  # the right table's 序号
    return column


def _plain(text: str, field_name: str) -> bool:
    return fold_label(text) in _PLAIN[field_name]


def _column_label(grid: Grid, header: Header, column: int) -> str:
    texts = (
        cell_text(row[column]) if column < len(row) else ""
        for row in grid.rows[header.first : header.label_last + 1]
    )
    return "".join(texts) or _merged_down_into(grid, header.first, column)


def _merged_down_into(grid: Grid, index: int, column: int) -> str:
    """The text of a cell merged down from above into row ``index`` at ``column``: 序号 over
    both rows of a two-row header whose lower row alone names the fields."""
    row, col = grid.first_row + index, grid.first_col + column
    for (r0, c0), (r1, c1) in grid.merges:
        if c0 == c1 == col and r0 < row <= r1 and r0 >= grid.first_row:
            above = grid.rows[r0 - grid.first_row]
            return cell_text(above[column]) if column < len(above) else ""
    return ""


# ---- slices of a grid ------------------------------------------------------------------------


def _row_slice(grid: Grid, start: int, end: int) -> Grid:
    if start == 0 and end == len(grid.rows):
        return grid
    lines = grid.line_numbers
    return Grid(
        grid.name,
        grid.rows[start:end],
        first_row=grid.first_row + start,
        first_col=grid.first_col,
        line_numbers=lines[start:end] if lines is not None else None,
        merges=grid.merges,
        marks=grid.marks,
    )


def _column_slice(grid: Grid, start: int, end: int | None) -> Grid:
    return Grid(
        grid.name,
        [row[start:end] for row in grid.rows],
        first_row=grid.first_row,
        first_col=grid.first_col + start,
        line_numbers=grid.line_numbers,
        merges=grid.merges,
        marks=grid.marks,
    )
