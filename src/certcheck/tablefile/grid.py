"""The raw cell grid of each sheet, whatever the file format.

A ``Grid`` is plain lists (no DataFrame): the row loop downstream is the hot path and plain
lists are what it iterates fastest. Cells are what python-calamine yields (str, float, int,
bool, date, datetime, time, timedelta; "" for an empty cell); CSV and HTML give str only.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from certcheck.leftovers import scratch_folder
from certcheck.tablefile import marks as xlsx_marks
from certcheck.tablefile.child_marks import Found, MarksUnreadable, TooManyMarks

# The roster reader asks this of text cells: an error value typed or exported as text.
from certcheck.tablefile.child_marks import is_error_text as is_error_text
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.guards import password_protected

Cell = str | float | int | bool | date | datetime | time | timedelta
Row = list[Cell]
#: A merged range as ((first_row, first_col), (last_row, last_col)), 0-based sheet positions.
Merge = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Mark:
    """A cell whose value the reader hands over is not what the sheet means.

    calamine gives an error cell (``#N/A``, ``#REF!``) and a formula that was never calculated
    (saved by a program that does not compute, or with a VLOOKUP into a closed workbook) as an
    empty cell or a default 0; the roster reader must not take either for a value.
    """

    #: ``error``: the cell holds an error value; ``formula``: a formula whose value is missing
    #: or empty (never calculated, or ``IFERROR(VLOOKUP(…),"")`` hiding a failed lookup).
    kind: str
    #: What to show the user: the error text (``#N/A``), or the formula, shortened
    #: (``=VLOOKUP(B3,代码!A:B,2,FALSE)``; ``=VLOOKUP(…)`` or ``=…`` where only that is known).
    text: str


def to_marks(found: Found) -> dict[tuple[int, int], Mark]:
    """Marks from the plain (kind, text) findings, one Mark object per distinct finding."""
    shared: dict[tuple[str, str], Mark] = {}
    marks: dict[tuple[int, int], Mark] = {}
    for position, finding in found.items():
        mark = shared.get(finding)
        if mark is None:
            mark = shared[finding] = Mark(*finding)
        marks[position] = mark
    return marks


def marks_problem(exc: Exception) -> str:
    """Why a sheet's error values and formulas could not be checked, for SheetUnreadable."""
    if isinstance(exc, TooManyMarks):
        return "错误值或没有结果的公式过多（too many error values or formulas without a value）"
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return f"无法检查其中的错误值和公式：{detail}"


@dataclass
class Grid:
    """One sheet's cells. ``rows[i]`` is the row a person sees as ``row_number(i)``."""

    name: str | None
    rows: list[Row]
    #: 0-based sheet row of rows[0]; calamine drops leading empty rows and columns.
    first_row: int = 0
    first_col: int = 0
    #: For CSV, where a record may span lines: the line each record starts on.
    line_numbers: list[int] | None = None
    merges: list[Merge] = field(default_factory=list)
    #: Cells whose value is not understood, by 0-based sheet position (row, column), as merges.
    marks: dict[tuple[int, int], Mark] = field(default_factory=dict)

    def row_number(self, index: int) -> int:
        if self.line_numbers is not None:
            return self.line_numbers[index]
        return self.first_row + index + 1


@dataclass(frozen=True)
class SheetInfo:
    name: str
    visible: bool


class SheetUnreadable(Exception):
    """One sheet could not be read; the others may still hold the roster."""


@dataclass
class Book:
    """The sheets of a file, in workbook order, each loaded only when asked for."""

    sheets: list[SheetInfo]
    loader: Callable[[str], Grid]
    #: True for CSV and single-table HTML, where a --sheet name means nothing.
    single: bool = False
    _cache: dict[str, Grid] = field(default_factory=dict)

    def grid(self, name: str) -> Grid:
        if name not in self._cache:
            self._cache[name] = self.loader(name)
        return self._cache[name]


def from_grids(
    grids: list[Grid], visible: dict[str, bool] | None = None, *, single: bool = False
) -> Book:
    by_name = {g.name or "": g for g in grids}
    infos = [SheetInfo(g.name or "", (visible or {}).get(g.name or "", True)) for g in grids]

    def load(name: str) -> Grid:
        return by_name[name]

    return Book(infos, load, single=single)


@contextmanager
def private_copy(data: bytes, extension: str) -> Iterator[Path]:
    """The checked bytes of a workbook as a file named ``…extension`` in a private folder.

    calamine picks its parser by the extension (its content sniffing, ``from_filelike``, hides
    the real error, e.g. "password-protected", behind "cannot detect format"), and rosters are
    often renamed. Writing the very bytes the guards checked into a folder only this user can
    enter means calamine reads what was checked, even if the user's file changes meanwhile.
    """
    with scratch_folder() as folder:
        copy = folder / ("roster" + extension)
        descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield copy


def calamine_book(opened: Path, path: Path) -> Book:
    """Open an .xlsx/.xlsm in this process; the caller has run ``guards.check_zip`` first.

    ``opened`` is the copy calamine opens (see ``private_copy``); ``path`` is the user's
    file, which messages name.
    """
    try:
        workbook = CalamineWorkbook.from_path(str(opened))
        metadata = workbook.sheets_metadata
    except PasswordError as exc:
        raise password_protected(path) from exc
    except (CalamineError, OSError, ValueError) as exc:
        raise unreadable(path, exc) from exc
    infos = [
        SheetInfo(m.name, _is_visible(m.visible))
        for m in metadata
        if "worksheet" in str(m.typ).lower()
    ]
    found = _XlsxMarks(opened)

    def load(name: str) -> Grid:
        try:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python()
            start = sheet.start
            merges = list(sheet.merged_cell_ranges or [])
        except PasswordError as exc:
            raise password_protected(path) from exc
        except (CalamineError, ValueError, OverflowError) as exc:
            raise SheetUnreadable(str(exc).splitlines()[0][:200]) from exc
        first_row, first_col = start if start else (0, 0)
        return Grid(name, rows, first_row, first_col, merges=merges, marks=found.sheet(name))

    return Book(infos, load)


class _XlsxMarks:
    """The marks of each sheet as it is loaded; the workbook's part map is read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book: xlsx_marks.Workbook | None = None

    def sheet(self, name: str) -> dict[tuple[int, int], Mark]:
        try:
            with zipfile.ZipFile(self.path) as archive:
                if self.book is None:
                    self.book = xlsx_marks.workbook(archive)
                return to_marks(xlsx_marks.sheet_marks(archive, self.book, name))
        except (MarksUnreadable, TooManyMarks, zipfile.BadZipFile, OSError) as exc:
            raise SheetUnreadable(marks_problem(exc)) from exc


def _is_visible(value: object) -> bool:
    return str(value).rsplit(".", 1)[-1].lower() == "visible"


def unreadable(path: Path, exc: BaseException) -> UnusableFile:
    detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return UnusableFile(
        f"{path.name} 无法作为表格读取（{detail}）。请用 Excel/WPS 打开后另存为 .xlsx 再试"
    )
