"""CSV/TXT rosters and HTML tables saved under an .xls name, as cell grids.

Chinese Excel saves CSV as GBK (read as GB18030, its superset) or as UTF-8 with a BOM;
web systems "export to Excel" by writing an HTML table and naming it .xls.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol

from certcheck.tablefile.child_marks import (
    ERROR,
    FORMULA,
    Found,
    TooManyMarks,
    add,
    is_error_text,
    shorten,
)
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import (
    Book,
    Cell,
    Grid,
    Mark,
    Merge,
    Row,
    from_grids,
    marks_problem,
    to_marks,
)
from certcheck.tablefile.guards import (
    MAX_CELL_TEXT,
    MAX_CELLS,
    MAX_TEXT,
    check_text_cells,
    unsafe,
)
from certcheck.tablefile.sniff import decode_head, text_encoding_of_bom

# Lines looked at to guess the delimiter: past any title rows, into the data.
_SNIFF_LINES = 60
_DELIMITERS = (",", "\t", ";")
# Big enough for any real cell, small enough that a garbage file fails fast.
_FIELD_LIMIT = 1024 * 1024
_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w-]+)", re.I)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): BOM first, then strict UTF-8, then GB18030 for the lines that are not
    UTF-8 (encoding ``"mixed"`` when both occur)."""
    bom = text_encoding_of_bom(data)
    if bom is not None:
        encoding = "utf-8-sig" if bom == "utf-8" else "utf-16"
        return data.decode(encoding, errors="replace"), encoding
    return decode_unmarked(data)


def decode_unmarked(data: bytes) -> tuple[str, str]:
    """``decode_text`` of bytes without a byte-order mark. Lines decode on their own, so a
    file read a block of whole lines at a time decodes to the same text."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Line by line: a roster that grew by pasting rows from another program's export mixes a
    # UTF-8 part with a GBK part, and decoding all of it as GBK would garble the UTF-8 header.
    # A GBK line of Chinese text is practically never valid UTF-8, so trying UTF-8 first is safe.
    lines = data.splitlines(keepends=True)
    decoded: list[str] = []
    utf8_lines = 0
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            utf8_lines += not line.isascii()
        except UnicodeDecodeError:
            decoded.append(line.decode("gb18030", errors="replace"))
    return "".join(decoded), "mixed" if utf8_lines else "gb18030"


def guess_delimiter(text: str) -> str:
    # Only the head is split: splitting a 100,000-line file to look at 120 lines cost 20 ms.
    end = -1
    for _ in range(_SNIFF_LINES * 2):
        end = text.find("\n", end + 1)
        if end < 0:
            break
    head = text if end < 0 else text[:end]
    lines = [line for line in head.splitlines()[: _SNIFF_LINES * 2] if line.strip()]
    lines = lines[:_SNIFF_LINES]
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode, agreeing = Counter(nonzero).most_common(1)[0]
        score = (agreeing, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_book(path: Path, data: bytes) -> tuple[Book, str]:
    """The single grid of a CSV file and the encoding it was read in."""
    check_text_cells(path, data)
    text, encoding = decode_text(data)
    text = text.replace("\x00", "")
    delimiter = guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    lines: list[int] = []
    previous_end = 0
    with csv_reading(path, reader):
        for record in reader:
            rows.append(list(record))
            lines.append(previous_end + 1)
            previous_end = reader.line_num
    if '="' in text:
        rows = [[unwrap_cell(cell) for cell in row] for row in rows]
    try:
        marks = formula_marks(rows) if "=" in text or "＝" in text else {}
    except TooManyMarks as exc:
        raise UnusableFile(f"{path.name}：{marks_problem(exc)}") from None
    return from_grids([Grid(None, rows, line_numbers=lines, marks=marks)], single=True), encoding


# A formula written out as text: a CSV keeps no computed value, so ``=VLOOKUP(…)``, ``=A2``,
# ``=Sheet2!B3`` or ``=#REF!`` in a cell is a formula whose value nobody knows (an export that
# saved formulas, a sheet pasted as text), never the value it would give. ``="…"`` was unwrapped
# above; an ``=`` followed by anything else (``==``, ``= 见附件``) is left as text.
_FORMULA_TEXT = re.compile(
    r"\s*[=＝]\s*(?:#|[A-Za-z_][A-Za-z0-9_.]*\s*\(|\$?[A-Za-z]{1,3}\$?\d+\b|[^\s!()]+!)"
)


def formula_marks(rows: list[Row]) -> dict[tuple[int, int], Mark]:
    """The cells of a CSV that hold a formula as text, as the marks a workbook's formulas
    without a cached value get: the roster reader then takes none of them for a value."""
    found: Found = {}
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and _FORMULA_TEXT.match(cell):
                body = cell.strip().lstrip("=＝").strip()
                if is_error_text(body):
                    add(found, (r, c), ERROR, body)
                else:
                    add(found, (r, c), FORMULA, shorten(cell.strip()))
    return to_marks(found)


class _LineCounting(Protocol):
    @property
    def line_num(self) -> int: ...


@contextmanager
def csv_reading(path: Path, reader: _LineCounting) -> Iterator[None]:
    """Rows of ``reader`` read with the cell size limit every CSV here is read with; a
    malformed line becomes an ``UnusableFile`` that names it."""
    old_limit = csv.field_size_limit(_FIELD_LIMIT)
    try:
        yield
    except csv.Error as exc:
        raise UnusableFile(
            f"{path.name} 不是可读的 CSV 文件（第 {reader.line_num} 行：{exc}）。"
            "请用 Excel/WPS 打开后另存为 .xlsx 再试"
        ) from exc
    finally:
        csv.field_size_limit(old_limit)


# ="500381…": how Excel is told to keep digits as text; the cell's value is the text inside.
_EXCEL_TEXT = re.compile(r'\s*="(.*)"\s*', re.S)


def unwrap_cell(cell: Cell) -> Cell:
    """The text of a cell written as ``=\"…\"``; any other cell as it is."""
    if not isinstance(cell, str) or '="' not in cell:
        return cell
    match = _EXCEL_TEXT.fullmatch(cell)
    return match.group(1).replace('""', '"') if match else cell


def html_book(path: Path, data: bytes) -> Book:
    text = _decode_html(data)
    parser = _TableParser()
    try:
        parser.feed(text)
        parser.close()
    except _TooLarge as exc:
        raise unsafe(path, str(exc)) from exc
    tables = [t for t in parser.tables if any(any(c for c in row) for row in t.rows)]
    if not tables:
        raise UnusableFile(
            f"{path.name} 是网页（HTML）文件，其中没有表格。请用 Excel/WPS 打开后另存为 .xlsx 再试"
        )
    if len(tables) == 1:
        return from_grids([Grid(None, tables[0].rows, merges=tables[0].merges)], single=True)
    return from_grids(
        [Grid(f"Table{i}", t.rows, merges=t.merges) for i, t in enumerate(tables, start=1)]
    )


def _decode_html(data: bytes) -> str:
    bom = text_encoding_of_bom(data)
    if bom is not None:
        return data.decode("utf-8-sig" if bom == "utf-8" else "utf-16", errors="replace")
    head = decode_head(data[:4096])
    if head[:200].count("\x00") == 0 and data[:200].count(b"\x00") > 20:
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return data.decode(encoding, errors="replace")
    match = _CHARSET.search(head)
    if match:
        declared = match.group(1).lower()
        if declared in {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}:
            return data.decode("gb18030", errors="replace")
        try:
            return data.decode(declared, errors="replace")
        except LookupError:
            pass
    return decode_text(data)[0]


class _TooLarge(Exception):
    """The tables hold more cells or text than any roster; the message says which."""


class _Budget:
    """The cells and text of all tables of one file, against the workbook limits.

    A ``<td>`` is 4 bytes and a ``<td colspan=1000>`` 17, so a file under the size limit could
    stand for billions of cells (each a slot in a row, a row a list); counted as they are laid
    out, before they are, so the parser stops at the limit instead of running out of memory.
    """

    def __init__(self) -> None:
        self.cells = 0
        self.text = 0

    def add(self, cells: int, text: int = 0) -> None:
        self.cells += cells
        self.text += text
        if text > MAX_CELL_TEXT:
            raise _TooLarge(f"单元格文字过长（超过 {MAX_CELL_TEXT // 1024} KiB）")
        if self.cells > MAX_CELLS:
            raise _TooLarge(f"网页表格的单元格过多（超过 {MAX_CELLS} 个）")
        if self.text > MAX_TEXT:
            raise _TooLarge(f"单元格文字合计过多（超过 {MAX_TEXT // (1024 * 1024)} MiB）")


class _TableParser(HTMLParser):
    """Cells of every <table>, with colspan/rowspan laid out the way a spreadsheet shows them:
    the value in the first cell of the span, empty cells in the rest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._stack: list[_Table] = []
        self._budget = _Budget()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(_Table(self._budget))
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1].start_row()
        elif tag in ("td", "th"):
            values = dict(attrs)
            self._stack[-1].start_cell(_span(values.get("colspan")), _span(values.get("rowspan")))
        elif tag in ("br", "p", "div"):
            self._stack[-1].text(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag == "table":
            self.tables.append(self._stack.pop().finish())
        elif tag in ("td", "th"):
            self._stack[-1].end_cell()
        elif tag == "tr":
            self._stack[-1].end_row()

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._stack[-1].text(data)

    def close(self) -> None:
        super().close()
        while self._stack:
            self.tables.append(self._stack.pop().finish())


# A span larger than this is a mistake or an attack; spreadsheets never need it.
_MAX_SPAN = 1000


def _span(value: str | None) -> int:
    try:
        return max(1, min(int((value or "1").strip()), _MAX_SPAN))
    except ValueError:
        return 1


class _Table:
    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self.rows: list[Row] = []
        #: colspan/rowspan as merged ranges, in the grid's positions (see ``Grid.merges``).
        self.merges: list[Merge] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1
        # Columns covered by a rowspan from above in the current row: column → rows left.
        self._covered: dict[int, int] = {}
        # Spans started in the current row, which cover only the rows after it.
        self._pending: dict[int, int] = {}

    def start_row(self) -> None:
        self.end_row()
        self._row = []

    def start_cell(self, colspan: int, rowspan: int) -> None:
        if self._row is None:
            self.start_row()
        self.end_cell()
        row = self._row
        assert row is not None
        self._skip_covered(row)
        self._cell = []
        self._colspan = colspan
        if colspan > 1 or rowspan > 1:
            top, left = len(self.rows), len(row)
            self.merges.append(((top, left), (top + rowspan - 1, left + colspan - 1)))
        if rowspan > 1:
            for offset in range(colspan):
                self._pending[len(row) + offset] = rowspan - 1

    def _skip_covered(self, row: list[str]) -> None:
        while self._covered.get(len(row), 0) > 0:
            self._budget.add(1)
            row.append("")

    def text(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def end_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        value = " ".join("".join(self._cell).replace("\xa0", " ").split())
        self._budget.add(self._colspan, len(value))
        self._row.append(value)
        self._row.extend([""] * (self._colspan - 1))
        self._cell = None

    def end_row(self) -> None:
        self.end_cell()
        if self._row is None:
            return
        self._skip_covered(self._row)
        # A row costs a list however few cells it has: 64 million "<tr>" would be 3.5 GB.
        self._budget.add(1)
        self.rows.append(list(self._row))
        self._covered = {c: n - 1 for c, n in self._covered.items() if n > 1}
        self._covered.update(self._pending)
        self._pending = {}
        self._row = None

    def finish(self) -> _Table:
        self.end_row()
        return self
