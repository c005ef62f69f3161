"""Rosters as offices make them: a small document model, the ways offices transform a roster,
the ways a roster gets damaged, and writers for every file format offices save.

A roster is held as a ``Doc``: sheets of tables, each table with its columns (by field key),
header labels, data rows (``Entry``, each tagged so its verdict can be found again wherever the
row ends up) and the rows around them (titles, hints, example rows, footers). A transformation
(``TRANSFORMS``) is a function ``(Doc, Random) -> Doc`` that changes how the roster is written
but not what it says; a degradation (``DEGRADATIONS``, applied by ``degrade``) damages one
deciding cell of one row and names the row. Merges and ditto marks are decided when a table is
written, on its rows in their final order, so a 同上 always repeats the row it stands under.
``write_doc`` renders a ``Doc`` to a file and tells where (sheet, row) each tagged row landed.

Cell values in the model are what a person typed: text, numbers, ``date`` objects (rendered by
the format: a date cell in a workbook, ``2021/3/5`` in a CSV as Excel saves it), and three
markers for what only some formats can hold: ``ErrorCell`` (an error value such as ``#N/A``),
``Formula`` (a formula never calculated: openpyxl and xlwt write no cached value) and
``AsNumber`` (digits typed into a number cell, which Excel keeps as a float). Formats that
cannot hold a marker write what the cell shows (``#N/A``, ``5.00381E+17``).
"""

from __future__ import annotations

import csv
import html
import io
import random
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

# ---- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorCell:
    """An error value (a VLOOKUP that found nothing, a broken reference)."""

    text: str = "#N/A"


@dataclass(frozen=True)
class Formula:
    """A formula that was never calculated: the file holds no value for it."""

    text: str = "=VLOOKUP(B3,A1:D20,4,0)"


@dataclass(frozen=True)
class AsNumber:
    """Digits typed into a number cell: a workbook keeps a float (the last digits are gone)."""

    digits: str


MARKERS = (ErrorCell, Formula, AsNumber)

#: Field keys of the roster columns, with the header each has in the base rosters.
LABELS: dict[str, str] = {
    "seq": "序号",
    "name": "姓名",
    "id": "身份证号",
    "category": "作业类别",
    "item": "操作项目",
    "cert": "证号",
    "first": "初领日期",
    "until": "有效期至",
    "review": "应复审日期",
}
DATE_KEYS = ("first", "until", "review")
#: Columns a person is made of: merged together over a person's item rows.
PERSON_KEYS = ("seq", "name", "id")


@dataclass(frozen=True)
class Entry:
    """One worker row. ``tag`` names it in the expected verdicts; ``person`` is shared by the
    rows of one person; ``facts`` are the base values (what the row means), ``cells`` what is
    written."""

    tag: str
    person: str
    facts: Mapping[str, Any]
    cells: Mapping[str, Any]

    def with_cells(self, **changes: Any) -> Entry:
        return replace(self, cells={**self.cells, **changes})


@dataclass(frozen=True)
class Filler:
    """Rows under the header that are no worker, by ``kind``: ``blank``; ``spaces`` (cells
    holding only spaces); ``example``, an example of how to fill the form, marked as offices
    mark it: 示例 in a leading 序号 column, else a note after the name (张三（示例）); ``header``,
    the header again (the page header of printouts pasted together)."""

    kind: str = "blank"


Line = Entry | Filler


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    labels: Mapping[str, str]
    lines: tuple[Line, ...]
    #: Rows above the header (title, 填报日期 line); a row of one text is merged across.
    above: tuple[tuple[Any, ...], ...] = ()
    #: Two-row header: field → the merged label above it (columns without one span both rows).
    parents: Mapping[str, str] = field(default_factory=dict)
    #: Rows of filling hints under the column names, field → text.
    hints: tuple[Mapping[str, str], ...] = ()
    #: Rows under the table (制表人：…), as cells from the first column.
    below: tuple[tuple[Any, ...], ...] = ()
    #: The rows of one person share merged 序号, 姓名 and 身份证号 cells.
    merge_person: bool = False
    #: Columns where equal values of consecutive rows stand in one merged cell.
    merge_columns: tuple[str, ...] = ()
    #: Ditto marks written for a category, item or date repeating the row above, and for
    #: the name and ID (and 证号) of a person's further rows. Applied when the table is
    #: written, to the rows in their final order: a mark always repeats the row it stands under.
    ditto: str | None = None
    ditto_person: str | None = None

    @property
    def entries(self) -> list[Entry]:
        return [line for line in self.lines if isinstance(line, Entry)]


@dataclass(frozen=True)
class Sheet:
    name: str
    #: Blocks one under another; the tables of one block stand side by side.
    blocks: tuple[tuple[Table, ...], ...]
    hidden: bool = False
    #: Empty rows and columns before the first table (a table drawn from B3).
    offset: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Note:
    """A sheet that is no roster: instructions, an example, free rows of cells."""

    name: str
    rows: tuple[tuple[Any, ...], ...]
    hidden: bool = False


@dataclass(frozen=True)
class Doc:
    sheets: tuple[Sheet | Note, ...]
    #: xlsx, xls, ods, html (an .xls that is a web page), csv-gbk, csv-utf8 (with BOM).
    fmt: str = "xlsx"
    #: How date cells are written in workbooks: native date cells, or serial numbers.
    date_style: str = "native"
    #: CSV: IDs and 证号 written as Excel's ="…" text cells.
    excel_text: bool = False

    @property
    def rosters(self) -> list[Sheet]:
        return [s for s in self.sheets if isinstance(s, Sheet)]

    def tables(self) -> list[Table]:
        return [t for s in self.rosters for block in s.blocks for t in block]

    def entries(self) -> list[Entry]:
        return [e for t in self.tables() for e in t.entries]


def one_table_doc(entries: Sequence[Entry], columns: Sequence[str],
                  labels: Mapping[str, str] | None = None, sheet: str = "花名册") -> Doc:
    table = Table(tuple(columns), {k: (labels or {}).get(k, LABELS[k]) for k in columns},
                  tuple(entries))
    return Doc((Sheet(sheet, ((table,),)),))


# ---- rewriting a doc -----------------------------------------------------------------------


def map_tables(doc: Doc, change: Callable[[Table], Table]) -> Doc:
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if isinstance(sheet, Sheet):
            blocks = tuple(tuple(change(t) for t in block) for block in sheet.blocks)
            sheets.append(replace(sheet, blocks=blocks))
        else:
            sheets.append(sheet)
    return replace(doc, sheets=tuple(sheets))


def map_entries(doc: Doc, change: Callable[[Entry], Entry]) -> Doc:
    def in_table(table: Table) -> Table:
        lines = tuple(change(x) if isinstance(x, Entry) else x for x in table.lines)
        return replace(table, lines=lines)

    return map_tables(doc, in_table)


def plain(value: Any) -> bool:
    """A value a person typed, not a marker, a ditto or an empty cell."""
    return value not in (None, "") and not isinstance(value, MARKERS) and value not in DITTOS


DITTOS = ("同上", "〃")


# ---- rendering ------------------------------------------------------------------------------


@dataclass
class Grid:
    """A sheet's cells as they will be written, merges (0-based, inclusive) and where each
    tagged row stands."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: (row, column, tag) of each tagged row: its row, and the first column of its table.
    tags: list[tuple[int, int, str]] = field(default_factory=list)
    hidden: bool = False
    #: Merges of data cells (a person over item rows, an item over people), with the value:
    #: a format without merges (CSV) repeats the value in every row instead.
    fills: list[tuple[int, int, int, Any]] = field(default_factory=list)

    def put(self, r: int, c: int, value: Any) -> None:
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        while len(row) <= c:
            row.append(None)
        row[c] = value

    def paste(self, other: Grid, top: int, left: int) -> None:
        for r, row in enumerate(other.rows):
            for c, value in enumerate(row):
                if value not in (None, ""):
                    self.put(top + r, left + c, value)
        self.merges += [(a + top, b + left, c + top, d + left) for a, b, c, d in other.merges]
        self.tags += [(r + top, c + left, tag) for r, c, tag in other.tags]
        self.fills += [(a + top, b + top, c + left, v) for a, b, c, v in other.fills]
        while len(self.rows) < top + len(other.rows):
            self.rows.append([])


def _header_height(table: Table) -> int:
    return 2 if table.parents else 1


def render_table(table: Table, pad_above: int = 0) -> Grid:
    grid = Grid("")
    width = len(table.columns)
    r = pad_above
    for above in table.above:
        for c, value in enumerate(above):
            grid.put(r, c, value)
        if sum(1 for v in above if v not in (None, "")) == 1 and above[0] and width > 1:
            grid.merges.append((r, 0, r, width - 1))
        r += 1
    r = _render_header(grid, table, r)
    for hint in table.hints:
        for c, key in enumerate(table.columns):
            grid.put(r, c, hint.get(key))
        r += 1
    rows: list[int] = []  # the grid row of each line
    for line in table.lines:
        rows.append(r)
        if isinstance(line, Filler) and line.kind == "header":
            r = _render_header(grid, table, r)
            continue
        cells = _filler_cells(table, line.kind) if isinstance(line, Filler) else line.cells
        for c, key in enumerate(table.columns):
            grid.put(r, c, cells.get(key))
        if isinstance(line, Entry):
            grid.tags.append((r, 0, line.tag))
        r += 1
    _vertical_merges(grid, table, rows)
    _ditto(grid, table, rows)
    for below in table.below:
        for c, value in enumerate(below):
            grid.put(r, c, value)
        r += 1
    return grid


def _filler_cells(table: Table, kind: str) -> Mapping[str, Any]:
    if kind == "example":
        return _example_cells(table.columns)
    if kind == "spaces":
        return {key: " " if number % 2 else "\u3000" for number, key in enumerate(table.columns)}
    return {}


def _render_header(grid: Grid, table: Table, r: int) -> int:
    if not table.parents:
        for c, key in enumerate(table.columns):
            grid.put(r, c, table.labels[key])
        return r + 1
    c = 0
    columns = table.columns
    while c < len(columns):
        parent = table.parents.get(columns[c])
        if parent is None:
            grid.put(r, c, table.labels[columns[c]])
            grid.put(r + 1, c, None)
            grid.merges.append((r, c, r + 1, c))
            c += 1
            continue
        end = c
        while end + 1 < len(columns) and table.parents.get(columns[end + 1]) == parent:
            end += 1
        grid.put(r, c, parent)
        if end > c:
            grid.merges.append((r, c, r, end))
        for k in range(c, end + 1):
            grid.put(r + 1, k, table.labels[columns[k]])
        c = end + 1
    return r + 2


def _vertical_merges(grid: Grid, table: Table, rows: list[int]) -> None:
    """Merged person cells over a person's consecutive rows; merged equal cells in the
    ``merge_columns``. The merged value stays in the first row only."""
    lines = table.lines
    spans: list[tuple[int, int, int]] = []  # (column, first line, last line)
    if table.merge_person:
        for c, key in enumerate(table.columns):
            if key in PERSON_KEYS:
                spans += [(c, a, b) for a, b in _runs(lines, lambda x: x.person
                                                     if isinstance(x, Entry) else None)]
    for key in table.merge_columns:
        if key not in table.columns:
            continue
        c = table.columns.index(key)
        spans += [(c, a, b) for a, b in _runs(
            lines, lambda x, k=key: x.cells.get(k) if isinstance(x, Entry) and isinstance(
                x.cells.get(k), str) and plain(x.cells.get(k)) else None)]
    for c, a, b in spans:
        # Runs are of consecutive entries, one grid row each.
        grid.merges.append((rows[a], c, rows[b], c))
        grid.fills.append((rows[a], rows[b], c, grid.rows[rows[a]][c]))
        for i in range(a + 1, b + 1):
            grid.rows[rows[i]][c] = None


def _ditto(grid: Grid, table: Table, rows: list[int]) -> None:
    """Ditto marks for cells repeating the row just above (merged cells stay merged)."""
    lines = table.lines
    for i in range(len(lines) - 1, 0, -1):
        line, above = lines[i], lines[i - 1]
        if not (isinstance(line, Entry) and isinstance(above, Entry)):
            continue
        row, upper = grid.rows[rows[i]], grid.rows[rows[i - 1]]
        keys: list[str] = []
        if table.ditto:
            keys += ["category", "item", *DATE_KEYS]
        if table.ditto_person and line.person == above.person:
            keys += ["name", "id", "cert"]
        for key in keys:
            if key not in table.columns:
                continue
            c = table.columns.index(key)
            if plain(row[c]) and row[c] == upper[c]:
                row[c] = table.ditto if key in ("category", "item", *DATE_KEYS) else (
                    table.ditto_person)


def _runs(lines: Sequence[Line], key: Callable[[Line], Any]) -> list[tuple[int, int]]:
    """(first, last) index of each run of two or more consecutive lines with the same key."""
    runs = []
    i = 0
    while i < len(lines):
        k = key(lines[i])
        j = i
        while k is not None and j + 1 < len(lines) and key(lines[j + 1]) == k:
            j += 1
        if j > i:
            runs.append((i, j))
        i = j + 1
    return runs


def render_sheet(sheet: Sheet) -> Grid:
    grid = Grid(sheet.name, hidden=sheet.hidden)
    top = sheet.offset[0]
    for block in sheet.blocks:
        above = max(len(t.above) for t in block)
        heights = {_header_height(t) for t in block}
        assert len(heights) == 1, "tables side by side share their header rows"
        left = sheet.offset[1]
        height = 0
        for table in block:
            part = render_table(table, above - len(table.above))
            grid.paste(part, top, left)
            left += len(table.columns) + 1  # an empty column between tables side by side
            height = max(height, len(part.rows))
        top += height + 1  # a blank row between tables one under another
    return grid


# ---- writing --------------------------------------------------------------------------------

SUFFIX = {"xlsx": ".xlsx", "xlsxwriter": ".xlsx", "xls": ".xls", "ods": ".ods", "html": ".xls",
          "csv-gbk": ".csv", "csv-utf8": ".csv", "unicode-text": ".txt"}
WORKBOOKS = ("xlsx", "xlsxwriter", "xls", "ods")


Where = dict[tuple[str | None, int], list[str]]


def _where(pairs: Iterable[tuple[str | None, int, int, str]]) -> Where:
    """(sheet, row) → the tags on that row, left to right (tables side by side share rows)."""
    found: dict[tuple[str | None, int], list[tuple[int, str]]] = {}
    for sheet, row, column, tag in pairs:
        found.setdefault((sheet, row), []).append((column, tag))
    return {key: [tag for _, tag in sorted(tags)] for key, tags in found.items()}


def write_doc(doc: Doc, folder: Path, stem: str = "花名册") -> tuple[Path, Where]:
    """The file, and the tags of the rows at each (sheet as the reader names it, row as a
    person sees it), left to right."""
    path = folder / (stem + SUFFIX[doc.fmt])
    sheets = grids(doc)
    if doc.fmt in WORKBOOKS:
        writers = {"xlsx": _write_xlsx, "xlsxwriter": _write_xlsxwriter, "xls": _write_xls,
                   "ods": _write_ods}
        writers[doc.fmt](path, sheets, doc)
        return path, _where((g.name, r + 1, c, tag) for g in sheets for r, c, tag in g.tags)
    # One grid per file: no sheet names, no hidden sheets, no instruction sheets.
    rosters = [g for g, s in zip(sheets, doc.sheets, strict=True)
               if isinstance(s, Sheet) and not g.hidden]
    if doc.fmt == "html":
        _write_html(path, rosters, doc)
        names: list[str | None] = ([None] if len(rosters) == 1
                                   else [f"Table{i}" for i in range(1, len(rosters) + 1)])
        return path, _where((n, r + 1, c, tag) for n, g in zip(names, rosters, strict=True)
                            for r, c, tag in g.tags)
    stacked = Grid("")
    for g in rosters:
        stacked.paste(g, len(stacked.rows) + (1 if stacked.rows else 0), 0)
    for r0, r1, c, value in stacked.fills:
        for r in range(r0 + 1, r1 + 1):
            stacked.put(r, c, value)
    lines = _write_csv(path, stacked, doc)
    return path, _where((None, lines[r], c, tag) for r, c, tag in stacked.tags)


def grids(doc: Doc) -> list[Grid]:
    """Every sheet of the doc as it is written to a workbook."""
    return [render_sheet(s) if isinstance(s, Sheet) else _note_grid(s) for s in doc.sheets]


def _note_grid(note: Note) -> Grid:
    grid = Grid(note.name, hidden=note.hidden)
    for r, row in enumerate(note.rows):
        for c, value in enumerate(row):
            grid.put(r, c, value)
    return grid


def _serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


def _shown_date(day: date) -> str:
    """A date as Excel shows it in a Chinese locale, and so writes it to CSV."""
    return f"{day.year}/{day.month}/{day.day}"


def _shown_number(digits: str) -> str:
    """What Excel shows (and writes to CSV) for a long number: 5.00381E+17."""
    mantissa = f"{float(digits):.5E}"
    head, exponent = mantissa.split("E")
    head = head.rstrip("0").rstrip(".")
    return f"{head}E+{int(exponent):02d}"


def _text_of(value: Any, doc: Doc) -> str:
    """A cell as a text format holds it."""
    if value is None:
        return ""
    if isinstance(value, ErrorCell):
        return value.text
    if isinstance(value, Formula):
        # A text file holds what the cell showed when it was saved: a lookup that failed.
        return "#N/A"
    if isinstance(value, AsNumber):
        return _shown_number(value.digits)
    if isinstance(value, date):
        return _shown_date(value)
    return str(value)


def _write_xlsx(path: Path, grids: list[Grid], doc: Doc) -> None:
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for grid in grids:
        sheet = book.create_sheet(grid.name)
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if value in (None, ""):
                    continue
                cell = sheet.cell(row=r + 1, column=c + 1)
                if isinstance(value, ErrorCell):
                    cell.value = value.text
                    cell.data_type = "e"
                elif isinstance(value, Formula):
                    cell.value = value.text  # openpyxl writes the formula, with no value
                elif isinstance(value, AsNumber):
                    cell.value = float(value.digits)
                elif isinstance(value, date):
                    if doc.date_style == "serial":
                        cell.value = _serial(value)
                    else:
                        cell.value = value
                        cell.number_format = "yyyy-mm-dd"
                else:
                    cell.value = value
        for r0, c0, r1, c1 in grid.merges:
            sheet.merge_cells(f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}")
        if grid.hidden:
            sheet.sheet_state = "hidden"
    book.active = next(i for i, g in enumerate(grids) if not g.hidden)
    book.save(path)


def _write_xlsxwriter(path: Path, grids: list[Grid], doc: Doc) -> None:
    """As Excel saves a workbook: an error is a formula with its cached error value, a formula
    never calculated has an empty cached value."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    for grid in grids:
        sheet = book.add_worksheet(grid.name)
        starts = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in grid.merges}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if (r, c) in starts:
                    r1, c1 = starts[(r, c)]
                    sheet.merge_range(r, c, r1, c1, "")
                if value in (None, ""):
                    continue
                if isinstance(value, ErrorCell):
                    sheet.write_formula(r, c, "=VLOOKUP(B3,A1:D20,4,0)", None, value.text)
                elif isinstance(value, Formula):
                    sheet.write_formula(r, c, value.text, None, "")
                elif isinstance(value, AsNumber):
                    sheet.write_number(r, c, float(value.digits))
                elif isinstance(value, date):
                    if doc.date_style == "serial":
                        sheet.write_number(r, c, _serial(value))
                    else:
                        sheet.write_datetime(r, c, value, dated)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, value)
        if grid.hidden:
            sheet.hide()
    book.worksheets()[next(i for i, g in enumerate(grids) if not g.hidden)].activate()
    book.close()


def _write_xls(path: Path, grids: list[Grid], doc: Doc) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for grid in grids:
        sheet = book.add_sheet(grid.name, cell_overwrite_ok=True)
        covered = {(r, c) for r0, c0, r1, c1 in grid.merges
                   for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        starts = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in grid.merges}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if (r, c) in covered and (r, c) not in starts:
                    continue
                if isinstance(value, ErrorCell) and (r, c) not in starts:
                    # xlwt knows #N/A only by its BIFF code.
                    sheet.row(r).set_cell_error(c, 0x2A if value.text == "#N/A" else value.text)
                    continue
                data, style = _xls_value(value, doc, dated)
                if (r, c) in starts:
                    r1, c1 = starts[(r, c)]
                    sheet.write_merge(r, r1, c, c1, data if data is not None else "", style)
                elif data is not None:
                    sheet.write(r, c, data, style)
        if grid.hidden:
            sheet.visibility = 1
    book.save(str(path))


def _xls_value(value: Any, doc: Doc, dated: Any) -> tuple[Any, Any]:
    import xlwt

    default = xlwt.Style.default_style
    if value in (None, ""):
        return None, default
    if isinstance(value, ErrorCell):
        return value.text, default  # a merged error cell: the text Excel shows
    if isinstance(value, Formula):
        return xlwt.Formula(value.text.lstrip("=")), default
    if isinstance(value, AsNumber):
        return float(value.digits), default
    if isinstance(value, date):
        return (_serial(value), default) if doc.date_style == "serial" else (value, dated)
    return value, default


def _write_ods(path: Path, grids: list[Grid], doc: Doc) -> None:
    tables = "".join(_ods_table(g, doc) for g in grids)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:automatic-styles><style:style style:name="hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def _ods_table(grid: Grid, doc: Doc) -> str:
    spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in grid.merges}
    covered = {(r, c) for r0, c0, r1, c1 in grid.merges
               for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - set(spans)
    width = max((len(row) for row in grid.rows), default=1)
    body = []
    for r, row in enumerate(grid.rows):
        cells = []
        for c in range(width):
            value = row[c] if c < len(row) else None
            if (r, c) in covered:
                cells.append("<table:covered-table-cell/>")
                continue
            height, wide = spans.get((r, c), (1, 1))
            span = (f' table:number-rows-spanned="{height}" table:number-columns-spanned="{wide}"'
                    if (height, wide) != (1, 1) else "")
            cells.append(_ods_cell(value, span, doc))
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    style = ' table:style-name="hidden"' if grid.hidden else ""
    name = html.escape(grid.name, quote=True)
    return f'<table:table table:name="{name}"{style}>{"".join(body)}</table:table>'


def _ods_cell(value: Any, span: str, doc: Doc) -> str:
    if value in (None, ""):
        return f"<table:table-cell{span}/>"
    if isinstance(value, date):
        if doc.date_style == "serial":
            value = _serial(value)
        else:
            iso = value.isoformat()
            return (f'<table:table-cell{span} office:value-type="date" office:date-value="{iso}">'
                    f"<text:p>{iso}</text:p></table:table-cell>")
    if isinstance(value, AsNumber):
        value = float(value.digits)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (f'<table:table-cell{span} office:value-type="float" office:value="{value!r}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    text = html.escape(_text_of(value, doc), quote=False)
    paragraphs = "".join(f"<text:p>{line}</text:p>" for line in text.split("\n"))
    return f'<table:table-cell{span} office:value-type="string">{paragraphs}</table:table-cell>'


def _write_html(path: Path, grids: list[Grid], doc: Doc) -> None:
    """An "Excel" file that is a web page, as some systems export rosters."""
    parts = ['<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
             "</head><body>"]
    for grid in grids:
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in grid.merges}
        covered = {(r, c) for r0, c0, r1, c1 in grid.merges
                   for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - set(spans)
        width = max((len(row) for row in grid.rows), default=1)
        parts.append('<table border="1">')
        for r, row in enumerate(grid.rows):
            cells = []
            for c in range(width):
                if (r, c) in covered:
                    continue
                value = row[c] if c < len(row) else None
                height, wide = spans.get((r, c), (1, 1))
                attrs = (f' rowspan="{height}"' if height > 1 else "") + (
                    f' colspan="{wide}"' if wide > 1 else "")
                text = html.escape(_text_of(value, doc)).replace("\n", "<br>")
                cells.append(f"<td{attrs}>{text}</td>")
            parts.append(f"<tr>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _write_csv(path: Path, grid: Grid, doc: Doc) -> list[int]:
    """Writes the grid; returns the line each grid row starts on (1-based)."""
    buffer = io.StringIO()
    tabs = doc.fmt == "unicode-text"
    out = csv.writer(buffer, lineterminator="\r\n", delimiter="\t" if tabs else ",")
    starts = []
    line = 1
    width = max((len(row) for row in grid.rows), default=1)
    id_like = _id_like_columns(grid)
    for row in grid.rows:
        texts = [_text_of(v, doc) for v in row] + [""] * (width - len(row))
        if doc.excel_text:
            texts = [f'="{t}"' if c in id_like and _digits_text(t) else t
                     for c, t in enumerate(texts)]
        out.writerow(texts)
        starts.append(line)
        line += 1 + sum(t.count("\n") for t in texts)
    text = buffer.getvalue()
    if tabs:
        # Excel's "Unicode 文本": UTF-16 with a byte-order mark, tab-separated.
        path.write_bytes(text.encode("utf-16"))
    elif doc.fmt == "csv-gbk":
        # What Chinese Excel saves as "CSV (逗号分隔)"; GB18030 is GBK for every character
        # GBK has, and keeps the rare ones it lacks.
        path.write_bytes(text.encode("gb18030"))
    else:
        path.write_bytes(text.encode("utf-8-sig"))
    return starts


def _digits_text(text: str) -> bool:
    bare = text.strip().upper().removeprefix("T")
    return len(bare) >= 15 and bare[:-1].isdigit() and bare[:-1].isascii()


def _id_like_columns(grid: Grid) -> set[int]:
    columns: set[int] = set()
    for row in grid.rows:
        for c, value in enumerate(row):
            if isinstance(value, str) and _digits_text(value):
                columns.add(c)
    return columns


# ---- transformations: the same roster, written another way ---------------------------------

Transform = Callable[[Doc, random.Random], Doc]
TRANSFORMS: dict[str, Transform] = {}


def transform(name: str) -> Callable[[Transform], Transform]:
    def register(function: Transform) -> Transform:
        TRANSFORMS[name] = function
        return function

    return register


@transform("columns_shuffled")
def columns_shuffled(doc: Doc, rnd: random.Random) -> Doc:
    """The columns in another order (each office has its own template)."""

    def change(table: Table) -> Table:
        columns = list(table.columns)
        while True:
            rnd.shuffle(columns)
            if len(columns) < 2 or columns != list(table.columns):
                break
        return replace(table, columns=tuple(columns))

    return map_tables(doc, change)


SYNONYMS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "No."),
    "name": ("姓名", "人员姓名", "员工姓名", "作业人员姓名"),
    "id": ("身份证号码", "公民身份号码", "证件号码", "身份证号", "居民身份证号码"),
    "category": ("作业类别", "特种作业类别", "证书类别", "类别"),
    "item": ("准操项目", "作业项目", "操作项目", "特种作业项目"),
    "cert": ("证书编号", "操作证号", "特种作业操作证号", "操作证件号码", "证号"),
    "first": ("初领日期", "初次领证日期", "首次取证日期"),
    "until": ("有效期结束日期", "有效期至", "证书有效期", "有效期截止日期"),
    "review": ("应复审日期", "复审日期", "下次复审日期"),
}


@transform("header_synonyms")
def header_synonyms(doc: Doc, rnd: random.Random) -> Doc:
    """Each column named by another of the names offices use."""

    def change(table: Table) -> Table:
        labels = dict(table.labels)
        for key in table.columns:
            if key in SYNONYMS and labels[key] != "工种":
                labels[key] = rnd.choice(SYNONYMS[key])
        return replace(table, labels=labels)

    return map_tables(doc, change)


@transform("header_decorated")
def header_decorated(doc: Doc, rnd: random.Random) -> Doc:
    """Header labels with notes and padding: 身份证号（18位）, 姓　名, *证号, 有效期至\\n(年月日)."""
    decorations = {
        "name": ("{0}\u3000{1}", " {0}{1} ", "{0}{1}*", "*{0}{1}"),
        "id": ("{}（18位）", "{}(必填)", "*{}", "{} "),
        "cert": ("{}（特种作业）", "*{}", "{}\n"),
        "until": ("{}\n（年月日）", "{}(yyyy-mm-dd)", "{}："),
        "item": ("{}（全称）", "{}*"),
    }

    def change(table: Table) -> Table:
        labels = dict(table.labels)
        for key, options in decorations.items():
            if key in labels:
                form = rnd.choice(options)
                text = labels[key]
                labels[key] = form.format(text[:1], text[1:]) if "{0}" in form else form.format(text)
        return replace(table, labels=labels)

    return map_tables(doc, change)


TITLE = "重庆某某建设有限公司特种作业人员花名册"


@transform("title_rows")
def title_rows(doc: Doc, rnd: random.Random) -> Doc:
    """A title merged across the table and a 填报单位 / 填报日期 line above the header."""
    lines = [(TITLE,), ("填报单位：重庆某某建设有限公司", None, None, "填报日期：2026年11月20日")]
    if rnd.random() < 0.5:
        lines.insert(1, ("（第二季度更新）",))

    def change(table: Table) -> Table:
        return replace(table, above=(*lines, *table.above))

    return _first_tables(doc, change)


def _first_tables(doc: Doc, change: Callable[[Table], Table]) -> Doc:
    """Applies ``change`` to the first table (or block of tables) of each roster sheet."""
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if isinstance(sheet, Sheet):
            first = tuple(change(t) for t in sheet.blocks[0])
            sheets.append(replace(sheet, blocks=(first, *sheet.blocks[1:])))
        else:
            sheets.append(sheet)
    return replace(doc, sheets=tuple(sheets))


PARENTS = {"name": "基本信息", "id": "基本信息", "category": "特种作业操作证",
           "item": "特种作业操作证", "cert": "特种作业操作证", "first": "特种作业操作证",
           "until": "特种作业操作证", "review": "特种作业操作证"}


@transform("two_row_header")
def two_row_header(doc: Doc, rnd: random.Random) -> Doc:
    """A two-row header: 基本信息 merged over 姓名 and 身份证号, 特种作业操作证 merged over the
    certificate's columns, 序号 merged down both rows."""

    def change(table: Table) -> Table:
        return replace(table, parents={k: PARENTS[k] for k in table.columns if k in PARENTS})

    return map_tables(doc, change)


@transform("name_notes")
def name_notes(doc: Doc, rnd: random.Random) -> Doc:
    """Notes and markers around names: 张伟（班长）, 【外协】李娜, 王芳(临时工), 张伟2, 王芳*."""
    forms = ("{}（班长）", "{}(临时工)", "【外协】{}", "{}【外协】", "{}2", "{}*", "{}（已培训）",
             "(实习){}", "{}※")

    def change(entry: Entry) -> Entry:
        name = entry.cells.get("name")
        if not plain(name) or not isinstance(name, str) or rnd.random() < 0.4:
            return entry
        if name != name.strip("（）()【】*※0123456789") or "【" in name or "（" in name \
                or "(" in name:
            # One note per name, as offices write them: a second pass would stack markers
            # (黄敏2*), which the reader rightly takes for a name it cannot read.
            return entry
        return entry.with_cells(name=rnd.choice(forms).format(name))

    return map_entries(doc, change)


@transform("name_padding")
def name_padding(doc: Doc, rnd: random.Random) -> Doc:
    """Full-width spaces to even out two-character names, spaces around, zero-width characters
    pasted from web pages."""

    def change(entry: Entry) -> Entry:
        name = entry.cells.get("name")
        if not plain(name) or not isinstance(name, str):
            return entry
        choice = rnd.randrange(4)
        if choice == 0 and len(name) == 2:
            name = name[0] + "\u3000" + name[1]
        elif choice == 1:
            name = " " + name + "\u3000"
        elif choice == 2:
            name = name[0] + "\u200b" + name[1:] + "\ufeff"
        return entry.with_cells(name=name)

    return map_entries(doc, change)


@transform("ditto_marks")
def ditto_marks(doc: Doc, rnd: random.Random) -> Doc:
    """同上 or 〃 where a category, item or date repeats the row just above."""
    mark = rnd.choice(DITTOS)
    return map_tables(doc, lambda table: replace(table, ditto=mark))


@transform("ditto_person")
def ditto_person(doc: Doc, rnd: random.Random) -> Doc:
    """A person's further item rows say 同上 for the name and the ID (and a repeated 证号)."""
    mark = rnd.choice(DITTOS)
    return map_tables(doc, lambda table: replace(table, ditto_person=mark))


def category_of(item: str) -> str | None:
    for category, items in CATEGORY_ITEMS.items():
        if item in items:
            return category
    return None


CATEGORY_ITEMS = {
    "电工作业": ("低压电工作业", "高压电工作业", "防爆电气作业"),
    "焊接与热切割作业": ("熔化焊接与热切割作业", "压力焊作业"),
    "高处作业": ("登高架设作业", "高处安装、维护、拆除作业"),
    "制冷与空调作业": ("制冷与空调设备运行操作作业",),
}


@transform("category_prefix")
def category_prefix(doc: Doc, rnd: random.Random) -> Doc:
    """The item written with its category in front: 电工作业-低压电工作业."""

    def change(entry: Entry) -> Entry:
        item = entry.facts.get("item")
        if entry.cells.get("item") != item or not isinstance(item, str):
            return entry
        category = category_of(item)
        if category is None:
            return entry
        return entry.with_cells(item=f"{category}{rnd.choice(('-', '－', '—'))}{item}")

    return map_entries(doc, change)


#: Names offices use for one operation item, each standing for that item alone.
ITEM_NAMES: tuple[tuple[str, ...], ...] = (
    ("低压电工作业", "低压电工", "低压电工作业证"),
    ("高压电工作业", "高压电工"),
    ("熔化焊接与热切割作业", "熔化焊接与热切割", "电焊工", "熔化焊接与热切割作业（电焊）"),
    ("登高架设作业", "登高架设", "架子工"),
    ("制冷与空调设备运行操作作业", "制冷与空调设备运行操作"),
)


@transform("everyday_item_names")
def everyday_item_names(doc: Doc, rnd: random.Random) -> Doc:
    """An item written by another of its names: 低压电工作业 ↔ 低压电工, 登高架设作业 ↔ 架子工."""

    def change(entry: Entry) -> Entry:
        item = entry.cells.get("item")
        for names in ITEM_NAMES:
            if item in names:
                return entry.with_cells(item=rnd.choice([n for n in names if n != item]))
        return entry

    return map_entries(doc, change)


@transform("item_notes")
def item_notes(doc: Doc, rnd: random.Random) -> Doc:
    """Notes after items and a trailing 证: 低压电工作业（已复审）, 熔化焊接与热切割作业证."""

    def change(entry: Entry) -> Entry:
        item = entry.cells.get("item")
        if (not (isinstance(item, str) and plain(item)) or "、" in item or rnd.random() < 0.3
                or item.endswith(("证", ")", "）", "】"))):
            return entry  # one note per item: 低压电工作业证证 is no one's spelling
        return entry.with_cells(item=rnd.choice(("{}（已复审）", "{}(持证)", "{}证", "{}【特种作业】"))
                                .format(item))

    return map_entries(doc, change)


def _reordered(table: Table, rnd: random.Random) -> Table:
    """The same table as another office writes it: columns in another order, other labels."""
    columns = list(table.columns)
    rest = [k for k in columns if k not in ("seq", "name")]
    rnd.shuffle(rest)
    columns = [k for k in ("seq", "name") if k in columns] + rest
    labels = {k: rnd.choice(SYNONYMS[k]) if k in SYNONYMS and table.labels[k] != "工种"
              else table.labels[k] for k in columns}
    return replace(table, columns=tuple(columns), labels=labels, above=(), below=(), hints=())


def _halves(table: Table, rnd: random.Random) -> tuple[Table, Table] | None:
    """The table cut in two between two people (a person's rows stay together)."""
    lines = table.lines
    cuts = [i for i in range(1, len(lines))
            if not (isinstance(lines[i], Entry) and isinstance(lines[i - 1], Entry)
                    and lines[i].person == lines[i - 1].person)]
    if not cuts:
        return None
    cut = rnd.choice(cuts[len(cuts) // 4: max(len(cuts) * 3 // 4, len(cuts) // 4 + 1)])
    top = replace(table, lines=lines[:cut], below=())
    bottom = replace(table, lines=lines[cut:], above=())
    return top, bottom


@transform("split_stacked")
def split_stacked(doc: Doc, rnd: random.Random) -> Doc:
    """The roster pasted together from two lists, one under the other, the second under its
    own header (worded and ordered its own way) and its own title line."""
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if not isinstance(sheet, Sheet) or len(sheet.blocks) != 1 or len(sheet.blocks[0]) != 1:
            sheets.append(sheet)
            continue
        halves = _halves(sheet.blocks[0][0], rnd)
        if halves is None:
            sheets.append(sheet)
            continue
        top, bottom = halves
        bottom = replace(_reordered(bottom, rnd), above=(("二、外协单位人员",),),
                         below=sheet.blocks[0][0].below)
        sheets.append(replace(sheet, blocks=((replace(top, below=()),), (bottom,))))
    return replace(doc, sheets=tuple(sheets))


@transform("split_side_by_side")
def split_side_by_side(doc: Doc, rnd: random.Random) -> Doc:
    """Two halves of the roster side by side on one sheet (a printout folded in two)."""
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if not isinstance(sheet, Sheet) or len(sheet.blocks) != 1 or len(sheet.blocks[0]) != 1:
            sheets.append(sheet)
            continue
        # A folded printout is one page: no page headers repeated in its halves.
        table = sheet.blocks[0][0]
        table = replace(table, lines=tuple(x for x in table.lines
                                           if not (isinstance(x, Filler) and x.kind == "header")))
        halves = _halves(table, rnd)
        if halves is None:
            sheets.append(sheet)
            continue
        top, bottom = halves
        bottom = replace(bottom, above=(), below=())
        sheets.append(replace(sheet, blocks=((replace(top, below=()), bottom),)))
    return replace(doc, sheets=tuple(sheets))


EXTRA_LABELS = {"x_contract": "劳动合同到期日", "x_medical": "体检有效期至", "x_hired": "入职日期",
                "x_idcard": "身份证有效期", "x_phone": "联系电话"}


@transform("extra_date_columns")
def extra_date_columns(doc: Doc, rnd: random.Random) -> Doc:
    """Dates that are not the certificate's: 劳动合同到期日, 体检有效期至 (some long past),
    入职日期, 身份证有效期; and a phone number."""

    def add_values(entry: Entry) -> Entry:
        return entry.with_cells(
            x_contract=date(2025, rnd.randrange(1, 13), 15),
            x_medical=date(rnd.choice((2024, 2026, 2027)), rnd.randrange(1, 13), 1),
            x_hired=date(2019, rnd.randrange(1, 13), 1),
            x_idcard=f"2015.03.01-{rnd.choice(('2025.03.01', '2035.03.01', '长期'))}",
            x_phone=f"138{rnd.randrange(10**8):08d}",
        )

    def change(table: Table) -> Table:
        columns = list(table.columns)
        for key in EXTRA_LABELS:
            columns.insert(rnd.randrange(1, len(columns) + 1), key)
        return replace(table, columns=tuple(columns), labels={**table.labels, **EXTRA_LABELS})

    return map_tables(map_entries(doc, add_values), change)


HINTS = {"name": "（必填）", "id": "（18位，文本格式）", "cert": "（必填）", "item": "例如：低压电工作业",
         "first": "格式：YYYY-MM-DD", "until": "格式：YYYY-MM-DD", "category": "（下拉选择）"}


@transform("hint_row")
def hint_row(doc: Doc, rnd: random.Random) -> Doc:
    """A row of filling hints under the column names, as templates handed out by a 主管部门 have."""

    def change(table: Table) -> Table:
        return replace(table, hints=({k: v for k, v in HINTS.items() if k in table.columns},))

    return _first_tables(doc, change)


def _example_cells(columns: Sequence[str]) -> dict[str, Any]:
    sample = {"seq": "示例", "name": "张三", "id": "500381199001011234", "category": "电工作业",
              "item": "低压电工作业", "cert": "T500381199001011234", "first": "2020-01-01",
              "until": "2026-01-01", "review": "2023-01-01"}
    cells = {k: sample[k] for k in columns if k in sample}
    if columns[0] != "seq":
        cells.pop("seq", None)
        cells["name"] = "张三（示例）"
    return cells


@transform("example_row")
def example_row(doc: Doc, rnd: random.Random) -> Doc:
    """An example row under the header (序号 示例, or 张三（示例）), left in by whoever filled it."""

    def change(table: Table) -> Table:
        return replace(table, lines=(Filler("example"), *table.lines))

    return _first_tables(doc, change)


@transform("cover_sheets")
def cover_sheets(doc: Doc, rnd: random.Random) -> Doc:
    """A 填表说明 sheet and a 示例 sheet (a filled-in example roster) before the roster."""
    instructions = Note("填表说明", (
        ("填表说明",),
        ("1. 每名特种作业人员填写一行，一人多证的分行填写；",),
        ("2. 身份证号请设置为文本格式，证号填写特种作业操作证号；",),
        ("3. 本表由单位安全员填写，姓名、身份证号为必填项。",),
    ))
    columns = ("seq", "name", "id", "item", "cert")
    example = _example_cells(columns)
    example["seq"] = 1  # a filled-in example sheet numbers its person like a roster
    sample = Note("示例", (tuple(LABELS[k] for k in columns), tuple(example[k] for k in columns)))
    return _with_sheets(doc, instructions, sample)


@transform("hidden_old_sheet")
def hidden_old_sheet(doc: Doc, rnd: random.Random) -> Doc:
    """A hidden sheet with last year's list (other people) before the roster."""
    rows = (("姓名", "身份证号", "操作项目"), ("孙老", "500381198001010014", "低压电工作业"),
            ("钱旧", "500381197501010021", "熔化焊接与热切割作业"))
    return _with_sheets(doc, Note("2025年名单", rows, hidden=True))


@transform("sheet_per_trade")
def sheet_per_trade(doc: Doc, rnd: random.Random) -> Doc:
    """One sheet per trade (电工, 焊工, 其他), each with the roster's header."""
    if len(doc.rosters) > 1:
        return doc  # split already (sheet names are unique)
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if not isinstance(sheet, Sheet) or len(sheet.blocks) != 1 or len(sheet.blocks[0]) != 1:
            sheets.append(sheet)
            continue
        table = sheet.blocks[0][0]
        groups: dict[str, list[Line]] = {}
        for line in table.lines:
            trade = _trade(line.facts.get("item") if isinstance(line, Entry) else None)
            groups.setdefault(trade, []).append(line)
        if len(groups) < 2:
            sheets.append(sheet)
            continue
        for number, (trade, lines) in enumerate(groups.items()):
            part = replace(table, lines=tuple(lines),
                           above=table.above if number == 0 else ((f"{trade}人员名单",),))
            sheets.append(Sheet(f"{trade}", ((part,),)))
    return replace(doc, sheets=tuple(sheets))


def _trade(item: Any) -> str:
    text = str(item or "")
    if "电" in text and "焊" not in text:
        return "电工"
    if "焊" in text:
        return "焊工"
    return "其他"


@transform("blank_rows")
def blank_rows(doc: Doc, rnd: random.Random) -> Doc:
    """Blank rows between the rows (a deleted person, a page break kept as a gap), some with
    spaces left in their cells."""

    def change(table: Table) -> Table:
        lines: list[Line] = []
        for line in table.lines:
            lines.append(line)
            if rnd.random() < 0.25:
                lines.append(Filler(rnd.choice(("blank", "spaces"))))
        return replace(table, lines=tuple(lines))

    return map_tables(doc, change)


FOOTERS = (
    ("制表人：李四", None, "审核人：王五"),
    ("单位（盖章）：",),
    ("填报日期：2026年11月20日",),
    ("安全员：赵六", "联系电话：13800001111"),
    ("注：本表一式两份。",),
)


@transform("footers")
def footers(doc: Doc, rnd: random.Random) -> Doc:
    """Signature, stamp, date and phone lines under the table."""
    chosen = tuple(f for f in FOOTERS if rnd.random() < 0.7) or FOOTERS[:2]

    def change(table: Table) -> Table:
        return replace(table, below=(*table.below, (), *chosen))

    return _last_tables(doc, change)


def _last_tables(doc: Doc, change: Callable[[Table], Table]) -> Doc:
    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if isinstance(sheet, Sheet):
            last = tuple(change(t) for t in sheet.blocks[-1])
            sheets.append(replace(sheet, blocks=(*sheet.blocks[:-1], last)))
        else:
            sheets.append(sheet)
    return replace(doc, sheets=tuple(sheets))


@transform("page_headers")
def page_headers(doc: Doc, rnd: random.Random) -> Doc:
    """The header again every few rows: printed pages pasted back together. (Not in tables
    side by side, whose halves would need their page breaks on the same rows.)"""
    every = rnd.randrange(4, 8)

    def change(table: Table) -> Table:
        lines: list[Line] = []
        for number, line in enumerate(table.lines):
            if number and number % every == 0:
                lines.append(Filler("header"))
            lines.append(line)
        return replace(table, lines=tuple(lines))

    sheets: list[Sheet | Note] = []
    for sheet in doc.sheets:
        if isinstance(sheet, Sheet):
            blocks = tuple(tuple(change(t) for t in b) if len(b) == 1 else b for b in sheet.blocks)
            sheet = replace(sheet, blocks=blocks)
        sheets.append(sheet)
    return replace(doc, sheets=tuple(sheets))


@transform("merged_person_cells")
def merged_person_cells(doc: Doc, rnd: random.Random) -> Doc:
    """One person over several item rows: 序号, 姓名 and 身份证号 merged down those rows."""

    def change(table: Table) -> Table:
        return replace(table, merge_person=True)

    return map_tables(doc, change)


@transform("merged_item_cells")
def merged_item_cells(doc: Doc, rnd: random.Random) -> Doc:
    """One category (and item) over several people: equal cells merged down."""

    def change(table: Table) -> Table:
        return replace(table, merge_columns=("category", "item"))

    return map_tables(doc, change)


def _date_texts(doc: Doc, form: Callable[[date, random.Random], Any], rnd: random.Random) -> Doc:
    def change(entry: Entry) -> Entry:
        dates = {k: form(v, rnd) for k, v in entry.cells.items()
                 if k in DATE_KEYS and isinstance(v, date)}
        return entry.with_cells(**dates) if dates else entry

    return map_entries(doc, change)


@transform("dates_as_serials")
def dates_as_serials(doc: Doc, rnd: random.Random) -> Doc:
    """Dates as Excel serial numbers in General-format cells (text formats show them as dates)."""
    return replace(doc, date_style="serial")


@transform("dates_dotted")
def dates_dotted(doc: Doc, rnd: random.Random) -> Doc:
    """Dates typed as 2021.3.5 or 2021.03.05."""
    return _date_texts(doc, lambda d, r: r.choice(
        (f"{d.year}.{d.month}.{d.day}", f"{d:%Y.%m.%d}")), rnd)


@transform("dates_chinese")
def dates_chinese(doc: Doc, rnd: random.Random) -> Doc:
    """Dates typed as 2021年3月5日."""
    return _date_texts(doc, lambda d, r: f"{d.year}年{d.month}月{d.day}日", rnd)


@transform("dates_compact")
def dates_compact(doc: Doc, rnd: random.Random) -> Doc:
    """Dates typed as 20210305 (text, or a number in a workbook)."""
    return _date_texts(doc, lambda d, r: r.choice((f"{d:%Y%m%d}", int(f"{d:%Y%m%d}"))), rnd)


@transform("dates_mixed")
def dates_mixed(doc: Doc, rnd: random.Random) -> Doc:
    """Every date written its own way, as a roster filled by many hands is."""
    forms = (lambda d: d, lambda d: f"{d.year}/{d.month}/{d.day}", lambda d: f"{d:%Y-%m-%d}",
             lambda d: f"{d.year}.{d.month}.{d.day}", lambda d: f"{d.year}年{d.month}月{d.day}日",
             lambda d: f"{d:%Y%m%d}", lambda d: f"{d:%Y-%m-%d} 00:00:00",
             lambda d: f"'{d:%Y-%m-%d}", lambda d: f"{d:%Y/%m/%d}")
    return _date_texts(doc, lambda d, r: r.choice(forms)(d), rnd)


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@transform("ids_untidy")
def ids_untidy(doc: Doc, rnd: random.Random) -> Doc:
    """ID numbers as they are typed: lowercase x, full-width digits, spaces between the parts,
    a leading apostrophe, a zero-width space."""

    def change(entry: Entry) -> Entry:
        value = entry.cells.get("id")
        if not plain(value) or not isinstance(value, str):
            return entry
        if value.endswith("X"):
            return entry.with_cells(id=value[:-1] + "x")
        choice = rnd.randrange(5)
        if choice == 0:
            value = value.translate(FULL_WIDTH)
        elif choice == 1:
            value = f"{value[:6]} {value[6:14]} {value[14:]}"
        elif choice == 2:
            value = "'" + value
        elif choice == 3:
            value = "\u200b" + value + " "
        return entry.with_cells(id=value)

    return map_entries(doc, change)


@transform("cert_same_as_id")
def cert_same_as_id(doc: Doc, rnd: random.Random) -> Doc:
    """证号 written as 同身份证号 (or 见身份证) where the number is the holder's ID number."""

    def change(entry: Entry) -> Entry:
        # Only a number that is the ID itself: T + ID says 特种作业, the bare ID does not.
        cert, own = entry.cells.get("cert"), entry.facts.get("id")
        if not own or cert != own:
            return entry
        return entry.with_cells(cert=rnd.choice(("同身份证号", "见身份证", "同身份证号码")))

    return map_entries(doc, change)


@transform("cert_untidy")
def cert_untidy(doc: Doc, rnd: random.Random) -> Doc:
    """证号 typed with a lowercase t, spaces, full-width letters and digits, a label (证号：)."""

    def change(entry: Entry) -> Entry:
        cert = entry.cells.get("cert")
        # One untidiness per cell: a space typed inside a label (证号：5003 81…) splits it.
        if cert != entry.facts.get("cert") or not isinstance(cert, str) or not cert[-4:].isdigit():
            return entry
        choice = rnd.randrange(5)
        if choice == 0:
            cert = cert.translate(FULL_WIDTH).replace("T", "Ｔ")
        elif choice == 1:
            cert = " " + cert + " "
        elif choice == 2:
            cert = cert[:7] + " " + cert[7:]
        elif choice == 3:
            cert = "证号：" + cert
        else:
            cert = cert.lower()
        return entry.with_cells(cert=cert)

    return map_entries(doc, change)


PLACEHOLDERS = ("无", "/", "—", "暂无", "-")


@transform("placeholders")
def placeholders(doc: Doc, rnd: random.Random) -> Doc:
    """Empty 证号, category and date cells filled with 无, /, —, 暂无."""

    def change(entry: Entry) -> Entry:
        empty = {k: rnd.choice(PLACEHOLDERS) for k in ("cert", "category", *DATE_KEYS)
                 if k in entry.cells and entry.cells[k] in (None, "")}
        return entry.with_cells(**empty) if empty else entry

    return map_entries(doc, change)


@transform("reversed_rows")
def reversed_rows(doc: Doc, rnd: random.Random) -> Doc:
    """The rows in the opposite order (sorted by another column): verdicts follow the person."""

    def change(table: Table) -> Table:
        return replace(table, lines=tuple(reversed(table.lines)))

    return map_tables(doc, change)


@transform("cell_padding")
def cell_padding(doc: Doc, rnd: random.Random) -> Doc:
    """Spaces, tabs and full-width spaces around category, item and 证号 texts."""

    def change(entry: Entry) -> Entry:
        padded = {k: rnd.choice((" {} ", "{}\u3000", "\t{}", "{}  "))
                  .format(v) for k, v in entry.cells.items()
                  if k in ("category", "item", "cert") and plain(v) and isinstance(v, str)}
        return entry.with_cells(**padded) if padded else entry

    return map_entries(doc, change)


@transform("name_dots")
def name_dots(doc: Doc, rnd: random.Random) -> Doc:
    """The middle dot of a transliterated name typed another way: ．, ., •, ・, -, or none."""

    def change(entry: Entry) -> Entry:
        name = entry.cells.get("name")
        if not isinstance(name, str) or "·" not in name:
            return entry
        return entry.with_cells(name=name.replace("·", rnd.choice(("．", ".", "•", "・", "-", ""))))

    return map_entries(doc, change)


@transform("table_offset")
def table_offset(doc: Doc, rnd: random.Random) -> Doc:
    """The table drawn from B3 or so: empty rows and columns before it."""
    offset = (rnd.randrange(1, 4), rnd.randrange(1, 3))
    return replace(doc, sheets=tuple(replace(s, offset=offset) if isinstance(s, Sheet) else s
                                     for s in doc.sheets))


@transform("blank_columns")
def blank_columns(doc: Doc, rnd: random.Random) -> Doc:
    """An empty column without a header between the columns (a deleted column's gap)."""

    def change(table: Table) -> Table:
        columns = list(table.columns)
        columns.insert(rnd.randrange(2, len(columns)), "x_gap")
        return replace(table, columns=tuple(columns), labels={**table.labels, "x_gap": ""})

    return map_tables(doc, change)


OTHER_COLUMNS = {"x_sex": "性别", "x_team": "班组", "x_idtype": "证件类型", "x_note": "备注"}
NOTES = ("持证上岗", "证书已过期，正在补办", "未复审", "外协单位", "", "同上")


@transform("extra_columns")
def extra_columns(doc: Doc, rnd: random.Random) -> Doc:
    """Columns the check does not use: 性别, 班组, 证件类型 (身份证) and a 备注 whose words
    (证书已过期, 未复审) are about nothing the tool reads."""

    def add_values(entry: Entry) -> Entry:
        return entry.with_cells(x_sex=rnd.choice(("男", "女")), x_team=rnd.choice(("一班", "二班")),
                                x_idtype="身份证", x_note=rnd.choice(NOTES))

    def change(table: Table) -> Table:
        columns = list(table.columns)
        for key in OTHER_COLUMNS:
            columns.insert(rnd.randrange(1, len(columns) + 1), key)
        return replace(table, columns=tuple(columns), labels={**table.labels, **OTHER_COLUMNS})

    return map_tables(map_entries(doc, add_values), change)


@transform("validity_range")
def validity_range(doc: Doc, rnd: random.Random) -> Doc:
    """The validity written as one range under 有效期: 2020.05.01-2029.05.01."""

    def values(entry: Entry) -> Entry:
        first, until = entry.cells.get("first"), entry.cells.get("until")
        if not (isinstance(first, date) and isinstance(until, date)):
            return entry
        dash = rnd.choice(("-", "至", "~"))
        return entry.with_cells(until=f"{first:%Y.%m.%d}{dash}{until:%Y.%m.%d}")

    def label(table: Table) -> Table:
        if "until" not in table.columns or "first" not in table.columns:
            return table
        return replace(table, labels={**table.labels, "until": "有效期"})

    return map_tables(map_entries(doc, values), label)


@transform("summary_sheet_first")
def summary_sheet_first(doc: Doc, rnd: random.Random) -> Doc:
    """A 汇总 sheet of counts by trade before the roster."""
    rows = (("特种作业人员汇总",), ("工种", "人数", "持证人数"), ("电工", 12, 11), ("焊工", 5, 5),
            ("合计", 17, 16))
    return _with_sheets(doc, Note("汇总", rows))


def _with_sheets(doc: Doc, *added: Note) -> Doc:
    """The doc with sheets put first, unless it has them already (sheet names are unique)."""
    names = {s.name for s in doc.sheets}
    return replace(doc, sheets=(*(n for n in added if n.name not in names), *doc.sheets))


def _as(fmt: str, doc: str) -> Transform:
    def change(doc: Doc, rnd: random.Random) -> Doc:
        return replace(doc, fmt=fmt)

    change.__doc__ = doc
    return change


for _name, _fmt, _doc in (
    ("as_xlsx_xlsxwriter", "xlsxwriter", "Saved as Excel saves it (xlsxwriter: shared strings, "
                                         "cached formula values)."),
    ("as_xls", "xls", "Saved as a legacy .xls (BIFF8, written by xlwt)."),
    ("as_ods", "ods", "Saved as OpenDocument (.ods), merges as spanned and covered cells."),
    ("as_html_xls", "html", "An .xls that is a web page: an HTML table with rowspan and colspan."),
    ("as_csv_gbk", "csv-gbk", "Saved as CSV by Chinese Excel: GBK bytes, dates as 2021/3/5."),
    ("as_csv_utf8_bom", "csv-utf8", "Saved as CSV UTF-8 (with a byte-order mark)."),
    ("as_unicode_text", "unicode-text", "Saved as Excel's Unicode text: UTF-16, tab-separated."),
):
    TRANSFORMS[_name] = _as(_fmt, _doc)


@transform("as_csv_excel_text")
def as_csv_excel_text(doc: Doc, rnd: random.Random) -> Doc:
    """A GBK CSV with ID numbers and 证号 as Excel's ="…" text cells."""
    return replace(doc, fmt="csv-gbk", excel_text=True)


# ---- degradations: one deciding cell of one row made unreadable -----------------------------

#: (doc, rnd) → (doc, the tags of the rows whose deciding cell was damaged), or None when the
#: roster has no row to damage that way.
Degrade = Callable[[Doc, random.Random], tuple[Doc, frozenset[str]] | None]


@dataclass(frozen=True)
class Degradation:
    name: str
    doc: str
    #: The field whose cell is damaged.
    key: str
    #: The new cell value (given the row).
    value: Callable[[Entry, random.Random], Any]
    #: The reason the damaged row gets, when it had a verdict other than unverified before.
    reason: str
    #: Base verdicts (status, reason) the damage must turn into unverified; others may keep
    #: their verdict (the damaged cell does not decide them).
    decides: Callable[[tuple[str, str]], bool] = lambda verdict: True
    #: The cells this damage can happen to (by default: any cell holding a value).
    fits: Callable[[Any], bool] = lambda value: plain(value)
    #: The rows it can happen to.
    applies: Callable[[Entry], bool] = lambda entry: True


def single_row_entries(doc: Doc) -> list[Entry]:
    """Entries of people on one row only (damage to a merged person cell reaches every row)."""
    counts: dict[str, int] = {}
    for entry in doc.entries():
        counts[entry.person] = counts.get(entry.person, 0) + 1
    return [e for e in doc.entries() if counts[e.person] == 1]


def degrade(doc: Doc, degradation: Degradation, rnd: random.Random,
            allowed: Callable[[Entry], bool] = lambda e: True) -> tuple[Doc, frozenset[str]] | None:
    """Damages the cell of one row (chosen by ``rnd`` among those that qualify)."""
    if degradation.name == "ditto_in_first_row":
        return _ditto_first(doc, allowed)
    candidates = [e for e in single_row_entries(doc)
                  if degradation.key in _columns_of(doc, e) and allowed(e)
                  and degradation.fits(e.cells.get(degradation.key)) and degradation.applies(e)]
    if not candidates:
        return None
    target = rnd.choice(candidates)
    new = degradation.value(target, rnd)
    damaged = map_entries(doc, lambda e: e.with_cells(**{degradation.key: new})
                          if e.tag == target.tag else e)
    return damaged, frozenset({target.tag})


def _columns_of(doc: Doc, entry: Entry) -> tuple[str, ...]:
    for table in doc.tables():
        if any(e.tag == entry.tag for e in table.entries):
            return table.columns
    return ()


def _ditto_first(doc: Doc, allowed: Callable[[Entry], bool]) -> tuple[Doc, frozenset[str]] | None:
    """同上 in the first data row of a table, where nothing stands above to repeat."""
    for table in doc.tables():
        lines = table.lines
        first = next((i for i, x in enumerate(lines) if isinstance(x, Entry)), None)
        if first is None:
            continue
        entry = lines[first]
        assert isinstance(entry, Entry)
        # The item or category is the row's own; a 证号 is repeated by the person's next row.
        keys = ("item", "category") + (("cert",) if entry in single_row_entries(doc) else ())
        key = next((k for k in keys if k in table.columns and plain(entry.cells.get(k))), None)
        if key is None or not allowed(entry):
            continue
        tag = entry.tag
        damaged = map_entries(
            doc, lambda e, k=key, t=tag: e.with_cells(**{k: "同上"}) if e.tag == t else e)
        return damaged, frozenset({tag})
    return None


def _in_name(cell: Any, name: str, change: Callable[[str], str]) -> str:
    """The cell with the name in it changed, notes around it left as they are."""
    text = str(cell)
    return text.replace(name, change(name), 1) if name in text else change(text)


def _digits_inside(entry: Entry, rnd: random.Random) -> str:
    digit = str(rnd.randrange(10))
    return _in_name(entry.cells["name"], entry.facts["name"], lambda n: n[:1] + digit + n[1:])


def _garbled(entry: Entry, rnd: random.Random) -> str:
    return _in_name(entry.cells["name"], entry.facts["name"], lambda n: n[:-1] + "?")


def _id_as_number(entry: Entry, rnd: random.Random) -> AsNumber:
    return AsNumber(str(entry.cells["id"]))


def _item_is_judged(verdict: tuple[str, str]) -> bool:
    """An unknown item leaves undecided what the item decides: coverage, and the not-found
    rows that claim a certificate; a name mismatch, a number mismatch, no certificate at all
    and reading rules decide without it."""
    return verdict[1] in ("ok", "validity_ended", "review_overdue", "item_not_covered",
                          "revoked", "not_found")


DEGRADATIONS: dict[str, Degradation] = {d.name: d for d in (
    Degradation("error_value_in_cert", "the 证号 cell holds an error value (#N/A)", "cert",
                lambda e, r: ErrorCell("#N/A"), "unreadable_cell"),
    Degradation("error_value_in_name", "the name cell holds an error value (#REF!)", "name",
                lambda e, r: ErrorCell("#REF!"), "unreadable_cell"),
    Degradation("error_value_in_id", "the ID cell holds an error value (#N/A)", "id",
                lambda e, r: ErrorCell("#N/A"), "unreadable_cell"),
    Degradation("formula_in_cert", "the 证号 is an uncalculated =VLOOKUP(...)", "cert",
                lambda e, r: Formula("=VLOOKUP(B3,A1:F40,6,0)"), "unreadable_cell"),
    Degradation("formula_in_until", "the end date is an uncalculated formula", "until",
                lambda e, r: Formula("=VLOOKUP(B3,A1:H40,8,0)"), "unreadable_cell"),
    Degradation("formula_in_category", "the category is left to an uncalculated formula",
                "category", lambda e, r: Formula("=VLOOKUP(E3,A1:B20,2,0)"), "unreadable_cell"),
    Degradation("formula_in_item", "the item is left to an uncalculated formula", "item",
                lambda e, r: Formula("=VLOOKUP(B3,A1:E40,5,0)"), "unreadable_cell"),
    Degradation("date_as_words", "the end date replaced by words (长期, 待定)", "until",
                lambda e, r: r.choice(("长期", "待定", "见证书")), "unreadable_cell"),
    Degradation("impossible_date", "the first-issued date is no date (2021-13-45)", "first",
                lambda e, r: "2021-13-45", "unreadable_cell"),
    Degradation("cert_as_words", "the 证号 replaced by 见附件", "cert",
                lambda e, r: r.choice(("见附件", "有", "详见证书复印件")), "unreadable_cell"),
    Degradation("unknown_item", "the item replaced by a name in no catalog (管道疏通工)", "item",
                lambda e, r: "管道疏通工", "unknown_item", decides=_item_is_judged),
    Degradation("digits_in_name", "a digit in the middle of the name", "name",
                _digits_inside, "unreadable_cell"),
    Degradation("ditto_in_first_row", "同上 in the first data row, nothing above to repeat",
                "item", lambda e, r: "同上", "unreadable_cell"),
    # A row left with neither name nor ID (nor anything else) is a blank row, not a worker.
    Degradation("name_deleted", "the name cell emptied (the ID still there)", "name",
                lambda e, r: None, "missing_field", applies=lambda e: plain(e.cells.get("id"))),
    Degradation("id_deleted", "the ID cell emptied (the name still there)", "id",
                lambda e, r: None, "missing_field", applies=lambda e: plain(e.cells.get("name"))),
    Degradation("id_as_number", "the ID stored as a number (digits lost)", "id",
                _id_as_number, "id_precision_lost",
                fits=lambda v: isinstance(v, str) and v.isdigit() and v.isascii()),
    Degradation("name_garbled", "the name's last character lost to ? by a GBK save", "name",
                _garbled, "name_unreadable"),
)}
