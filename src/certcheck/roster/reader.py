"""``read_roster``: from a file path to a ``Roster``, or a one-line ``RosterError``.

The order is fixed: look at the first bytes, refuse what is unsafe, load the cells with the
reader the content calls for, pick the sheet, find the header, normalise the rows. Nothing
but ``RosterError`` leaves this function, whatever the file holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import TypeVar

from certcheck.models import InputIssue, Worker
from certcheck.roster import guards
from certcheck.roster.grid import (
    Book,
    Grid,
    SheetInfo,
    SheetUnreadable,
    calamine_book,
    named_for_calamine,
    unreadable,
)
from certcheck.roster.header import FIELDS, Header, find_header, settle_by_values
from certcheck.roster.isolated import isolated_book
from certcheck.roster.model import Roster, RosterError, SkippedSheet
from certcheck.roster.rows import build_workers
from certcheck.roster.sniff import HEAD_BYTES, Kind, foreign, sniff
from certcheck.roster.textgrid import csv_book, html_book
from certcheck.roster.values import is_blank

_EXTENSION_OF = {
    Kind.OOXML: {".xlsx", ".xlsm"},
    Kind.XLSB: {".xlsb"},
    Kind.ODS: {".ods"},
    Kind.XLS: {".xls"},
    Kind.TEXT: {".csv", ".txt", ".tsv"},
}


def read_roster(path: Path, sheet: str | None = None, *, today: date | None = None) -> Roster:
    """Read the workers of a roster file.

    ``sheet`` picks a sheet by name; by default every visible sheet holding a roster is read
    (instructions, examples, empty and hidden sheets are not; a hidden one only when no visible
    sheet holds a roster). ``today`` is the date birth dates in IDs must not pass (default:
    the real today).
    Raises ``RosterError`` (one line: what is wrong, what to do) for anything unusable.
    """
    path = Path(path)
    return _as_roster_error(path, lambda: _read(path, sheet, today or date.today()))


def read_first_sheet(path: Path) -> Grid:
    """The cells of the first worksheet of any file a roster may be (CSV included).

    For other tables users give (the registry): the same sniffing and the same guards as a
    roster, so a crafted file cannot take the process down through them either. Raises
    ``RosterError`` for anything unusable, like ``read_roster``.
    """
    path = Path(path)
    return _as_roster_error(path, lambda: _first_sheet(path))


def _first_sheet(path: Path) -> Grid:
    head, size = _head(path)
    guards.check_file_size(path, size)
    kind = _spreadsheet_kind(path, head)
    with ExitStack() as stack:
        book = _open(path, kind, [], stack)
        if not book.sheets:
            raise RosterError(f"{path.name} 中没有工作表（no worksheet）")
        return _load(path, book, book.sheets[0].name)


_T = TypeVar("_T")


def _as_roster_error(path: Path, read: Callable[[], _T]) -> _T:
    try:
        return read()
    except RosterError:
        raise
    except MemoryError as exc:
        raise guards.unsafe(path, "读取时内存不足") from exc
    except RecursionError as exc:
        raise guards.unsafe(path, "结构嵌套过深") from exc
    except Exception as exc:  # the promise: a bad file never surfaces as a traceback
        raise unreadable(path, exc) from exc


class ForeignFile(RosterError):
    """The file is plainly not a spreadsheet (a document, a picture, an archive); the message
    says what it is and what to do."""


def _spreadsheet_kind(path: Path, head: bytes) -> Kind:
    """What the file holds; a Word document, a PDF, a picture or an archive is refused here,
    named for what it is, before any reader tries it and fails in its own words."""
    kind = sniff(path, head)
    other = foreign(path, head, kind)
    if other is not None:
        raise ForeignFile(other.message(path.name))
    return kind


def _read(path: Path, wanted: str | None, today: date) -> Roster:
    head, size = _head(path)
    guards.check_file_size(path, size)
    kind = _spreadsheet_kind(path, head)
    issues: list[InputIssue] = []
    mismatch = _extension_note(path, kind)
    if mismatch:
        issues.append(InputIssue(None, "format_mismatch", mismatch))
    with ExitStack() as stack:
        book = _open(path, kind, issues, stack)
        chosen, skipped, sheet_issues = _pick(path, book, wanted)
    issues.extend(sheet_issues)
    several = len(chosen) > 1
    workers: list[Worker] = []
    seen: dict[str, str] = {}
    for grid, header in chosen:
        own: list[InputIssue] = []
        settled = settle_by_values(grid, header)
        if settled:
            own.append(InputIssue(grid.row_number(header.last), "column_by_values", settled))
        own.extend(_header_issues(grid, header))
        sheet_workers, row_issues = build_workers(grid, header, today)
        own.extend(row_issues)
        if several:
            prefix = f"工作表“{grid.name}”："
            own = [InputIssue(i.row, i.code, prefix + i.message) for i in own]
        issues.extend(own)
        workers.extend(sheet_workers)
        for name, label in header.labels.items():
            seen.setdefault(name, label)
    return Roster(
        file=path,
        sheets=tuple(grid.name for grid, _ in chosen if grid.name),
        workers=tuple(workers),
        issues=tuple(issues),
        columns={f: seen[f] for f in FIELDS if f in seen},
        title=chosen[0][1].title,
        skipped=tuple(skipped),
    )


def _head(path: Path) -> tuple[bytes, int]:
    try:
        if not path.exists():
            raise RosterError(f"找不到花名册文件 {path}。请检查路径和文件名（file not found）")
        if path.is_dir():
            raise RosterError(f"{path} 是文件夹，不是花名册文件。请给出 .xlsx/.xls/.csv 文件的路径")
        if guards.special_file(path):
            raise RosterError(
                f"{path} 不是普通文件（管道、设备等），无法作为花名册读取。"
                "请给出 .xlsx/.xls/.csv 文件的路径（not a regular file）"
            )
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        size = path.stat().st_size
    except PermissionError as exc:
        raise RosterError(f"没有权限读取 {path}。请检查文件权限或先关闭占用它的程序") from exc
    except OSError as exc:
        raise RosterError(f"无法打开 {path}（{exc.strerror or exc}）。请检查文件是否可读") from exc
    if not head:
        raise RosterError(f"{path.name} 是空文件。请确认选对了花名册文件")
    return head, size


_CALAMINE_EXTENSION = {Kind.OOXML: ".xlsx", Kind.XLSB: ".xlsb", Kind.ODS: ".ods", Kind.XLS: ".xls"}


def _open(path: Path, kind: Kind, issues: list[InputIssue], stack: ExitStack) -> Book:
    """The file's sheets; ``stack`` keeps any temporary name alive while they are loaded."""
    if kind is Kind.ENCRYPTED:
        raise guards.password_protected(path)
    if kind in (Kind.OOXML, Kind.ODS, Kind.XLSB):
        guards.check_zip(path, kind)
    if kind in _CALAMINE_EXTENSION:
        opened = stack.enter_context(named_for_calamine(path, _CALAMINE_EXTENSION[kind]))
        if kind is Kind.OOXML:
            return calamine_book(opened, path)
        # All sheets, even with --sheet: the name may match only loosely, and these files are small.
        return isolated_book(path, opened=opened)
    if kind is Kind.HTML:
        return html_book(path, path.read_bytes())
    if kind is Kind.TEXT:
        book, encoding = csv_book(path, path.read_bytes())
        if encoding == "gb18030":
            issues.append(
                InputIssue(None, "encoding_gb18030", "文件不是 UTF-8 编码，已按 GBK/GB18030 读取")
            )
        elif encoding == "mixed":
            issues.append(
                InputIssue(
                    None,
                    "encoding_mixed",
                    "文件混有 UTF-8 和 GBK 编码的行，已逐行识别；建议另存为统一编码的文件",
                )
            )
        return book
    if kind is Kind.SPREADSHEET_2003:
        raise RosterError(
            f"{path.name} 是 Excel 2003 XML 表格，不受支持。请用 Excel/WPS 打开后另存为 .xlsx 再试"
        )
    if kind is Kind.BROKEN_ZIP:
        raise RosterError(
            f"{path.name} 已损坏（压缩结构不完整），无法读取。请用 Excel/WPS 打开修复后另存再试"
        )
    what = "压缩包（不是 Excel 或 WPS 表格）" if kind is Kind.ZIP_OTHER else "不是表格文件"
    raise RosterError(
        f"{path.name} {what}。请提供 .xlsx、.xls、.ods 或 .csv 格式的花名册（not a spreadsheet）"
    )


def _extension_note(path: Path, kind: Kind) -> str | None:
    suffix = path.suffix.lower()
    if kind is Kind.HTML and suffix in {".xls", ".xlsx"}:
        return f"{path.name} 实际是网页（HTML）表格，已按表格读取；建议另存为真正的 .xlsx"
    expected = _EXTENSION_OF.get(kind)
    if expected and suffix and suffix not in expected and suffix in _ALL_KNOWN:
        return f"{path.name} 的实际格式是 {kind.value}，与扩展名 {suffix} 不符，已按实际格式读取"
    return None


_ALL_KNOWN = {ext for exts in _EXTENSION_OF.values() for ext in exts}


_Chosen = list[tuple[Grid, Header]]
# Sheet names that say "instructions" or "example", with the reason a skipped sheet is given.
_NOT_A_ROSTER = (
    (re.compile(r"说明|须知|要求|注意事项|帮助"), "填表说明"),
    (re.compile(r"示例|样表|样例|范例|例表|示范"), "示例"),
    (re.compile(r"模板|模版"), "模板"),
)
_HIDDEN = "隐藏"
_EMPTY = "空表"
_NO_HEADER = "没有姓名和身份证号列"


def _pick(
    path: Path, book: Book, wanted: str | None
) -> tuple[_Chosen, list[SkippedSheet], list[InputIssue]]:
    """The sheets to read as rosters, the sheets not read (and why), and notes on the choice.

    Every visible sheet holding a roster header is read. When none does, a sheet whose name
    says "instructions" or "example" is tried, then a hidden one: the first that holds a
    roster is read, with a note.
    """
    issues: list[InputIssue] = []
    if wanted is not None and book.single:
        issues.append(
            InputIssue(None, "sheet_ignored", f"该文件只有一张表，--sheet {wanted} 被忽略")
        )
        wanted = None
    if wanted is not None:
        name = _match_sheet(path, book, wanted)
        grid = _load(path, book, name)
        header = find_header(grid)
        if header is None:
            raise _no_header(path, [grid], name)
        return [(grid, header)], [], issues

    chosen: _Chosen = []
    why_not: dict[str, str] = {}
    tried: list[Grid] = []
    unreadable_sheets: list[tuple[str, str]] = []
    set_aside: list[SheetInfo] = []
    read: set[str] = set()

    def attempt(info: SheetInfo) -> Header | None:
        try:
            grid = book.grid(info.name)
        except SheetUnreadable as exc:
            unreadable_sheets.append((info.name, str(exc)))
            why_not[info.name] = "无法读取"
            return None
        header = find_header(grid)
        if header is None:
            tried.append(grid)
            why_not.setdefault(info.name, _NO_HEADER if _has_content(grid) else _EMPTY)
            return None
        chosen.append((grid, header))
        read.add(info.name)
        return header

    for info in book.sheets:
        if not info.visible:
            why_not[info.name] = _HIDDEN
            continue
        kind = _not_a_roster(info.name)
        if kind is not None:
            why_not[info.name] = kind
            set_aside.append(info)
            continue
        attempt(info)
    if not chosen:
        for info in set_aside:
            if attempt(info) is not None:
                issues.append(
                    InputIssue(
                        None,
                        "instruction_sheet_used",
                        f"其他工作表中没有花名册，读取了工作表“{info.name}”"
                        f"（名称像{why_not[info.name]}）；请确认其中不是示例人员",
                    )
                )
                break
    if not chosen:
        for info in book.sheets:
            if not info.visible and attempt(info) is not None:
                issues.append(
                    InputIssue(
                        None,
                        "hidden_sheet_used",
                        f"可见的工作表中没有花名册，读取了隐藏的工作表“{info.name}”",
                    )
                )
                break
    if not chosen:
        if not tried and unreadable_sheets:
            name, why = unreadable_sheets[0]
            raise RosterError(
                f"{path.name} 的工作表无法读取（{name}：{why}）。"
                "请用 Excel/WPS 打开后另存为 .xlsx 再试"
            )
        raise _no_header(path, tried, None)
    issues.extend(
        InputIssue(None, "sheet_unreadable", f"工作表“{name}”无法读取（{why}）")
        for name, why in unreadable_sheets
    )
    skipped = [
        SkippedSheet(info.name, why_not.get(info.name, _NO_HEADER))
        for info in book.sheets
        if info.name not in read
    ]
    return chosen, skipped, issues


def _not_a_roster(name: str) -> str | None:
    for pattern, why in _NOT_A_ROSTER:
        if pattern.search(name):
            return why
    return None


def _has_content(grid: Grid) -> bool:
    return any(not is_blank(cell) for row in grid.rows for cell in row)


def _load(path: Path, book: Book, name: str) -> Grid:
    try:
        return book.grid(name)
    except SheetUnreadable as exc:
        raise RosterError(
            f"{path.name} 的工作表“{name}”无法读取（{exc}）。请用 Excel/WPS 打开后另存为 .xlsx 再试"
        ) from exc


def _match_sheet(path: Path, book: Book, wanted: str) -> str:
    names = [info.name for info in book.sheets]
    if wanted in names:
        return wanted
    folded = _fold(wanted)
    for name in names:
        if _fold(name) == folded:
            return name
    listed = "、".join(f"“{n}”" for n in names) or "（无）"
    raise RosterError(
        f"{path.name} 中没有名为“{wanted}”的工作表。现有工作表：{listed}；请用 --sheet 指定其中之一"
    )


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _no_header(path: Path, grids: list[Grid], sheet: str | None) -> RosterError:
    where = f"工作表“{sheet}”" if sheet else path.name
    if not any(g.rows for g in grids):
        return RosterError(f"{where} 中没有任何数据。请确认选对了文件或工作表（--sheet）")
    found: set[str] = set()
    for grid in grids:
        for row in grid.rows[:30]:
            for cell in row:
                if isinstance(cell, str) and cell.strip():
                    field = _field_of(cell)
                    if field:
                        found.add(field)
    missing = [
        zh for field, zh in (("name", "姓名"), ("id_number", "身份证号")) if field not in found
    ]
    what = "、".join(missing) if missing else "姓名和身份证号（不在同一表头行）"
    return RosterError(
        f"{where} 中找不到{what}列（前 30 行内）。请确认表头含有“姓名”和“身份证号”，"
        "或用 --sheet 指定花名册所在的工作表"
    )


def _field_of(text: str) -> str | None:
    from certcheck.roster.header import match_label

    return match_label(text)


def _header_issues(grid: Grid, header: Header) -> list[InputIssue]:
    issues: list[InputIssue] = []
    header_row = grid.row_number(header.last)
    if header.two_rows:
        issues.append(
            InputIssue(
                grid.row_number(header.first),
                "header_two_rows",
                f"表头占两行（第 {grid.row_number(header.first)}–{header_row} 行），已合并识别",
            )
        )
    for column, text in header.unknown:
        issues.append(
            InputIssue(
                header_row,
                "unknown_column",
                f"未识别的列“{_short(text)}”（第 {column + 1} 列），已忽略",
            )
        )
    for column, text, field in header.duplicates:
        issues.append(
            InputIssue(
                header_row,
                "duplicate_column",
                f"列“{_short(text)}”（第 {column + 1} 列）与前面的"
                f"“{header.labels[field]}”含义相同，已忽略",
            )
        )
    return issues


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text[:30] + ("…" if len(text) > 30 else "")
