"""Opening a table file in the one safe order: look at the first bytes, refuse what is unsafe
or foreign, then load the cells with the reader the content calls for.

Nothing but ``UnusableFile`` leaves ``guarded``, whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

from certcheck.models import InputIssue
from certcheck.tablefile import guards
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import (
    Book,
    Grid,
    SheetUnreadable,
    calamine_book,
    private_copy,
    unreadable,
)
from certcheck.tablefile.isolated import isolated_book
from certcheck.tablefile.sniff import HEAD_BYTES, Kind, foreign, sniff
from certcheck.tablefile.textgrid import csv_book, html_book

_EXTENSION_OF = {
    Kind.OOXML: {".xlsx", ".xlsm"},
    Kind.XLSB: {".xlsb"},
    Kind.ODS: {".ods"},
    Kind.XLS: {".xls"},
    Kind.TEXT: {".csv", ".txt", ".tsv"},
}


def read_first_sheet(path: Path) -> Grid:
    """The cells of the first worksheet of any file a roster may be (CSV included).

    For other tables users give (the registry): the same sniffing and the same guards as a
    roster, so a crafted file cannot take the process down through them either. Raises
    ``UnusableFile`` for anything unusable, like ``read_roster``.
    """
    path = Path(path)
    return guarded(path, lambda: _first_sheet(path))


def _first_sheet(path: Path) -> Grid:
    data = read_content(path)
    kind = spreadsheet_kind(path, data[:HEAD_BYTES])
    with ExitStack() as stack:
        book = open_book(path, kind, [], stack, data)
        if not book.sheets:
            raise UnusableFile(f"{path.name} 中没有工作表（no worksheet）")
        return load_sheet(path, book, book.sheets[0].name)


_T = TypeVar("_T")


def guarded(path: Path, read: Callable[[], _T]) -> _T:
    try:
        return read()
    except UnusableFile:
        raise
    except MemoryError as exc:
        raise guards.unsafe(path, "读取时内存不足") from exc
    except RecursionError as exc:
        raise guards.unsafe(path, "结构嵌套过深") from exc
    except Exception as exc:  # the promise: a bad file never surfaces as a traceback
        raise unreadable(path, exc) from exc


class ForeignFile(UnusableFile):
    """The file is plainly not a spreadsheet (a document, a picture, an archive); the message
    says what it is and what to do."""


def spreadsheet_kind(path: Path, head: bytes) -> Kind:
    """What the file holds; a Word document, a PDF, a picture or an archive is refused here,
    named for what it is, before any reader tries it and fails in its own words."""
    kind = sniff(path, head)
    other = foreign(path, head, kind)
    if other is not None:
        raise ForeignFile(other.message(path.name))
    return kind


def read_head(path: Path) -> bytes:
    """The first bytes of a regular, readable, non-empty file of a sane size."""
    return _read(path, whole=False)


def read_content(path: Path) -> bytes:
    """All bytes of a regular, readable, non-empty file of a sane size, read once: the guards
    and the reader are then given these bytes, never the file again (see
    ``guards.read_checked``)."""
    return _read(path, whole=True)


def _read(path: Path, *, whole: bool) -> bytes:
    try:
        if not path.exists():
            raise UnusableFile(f"找不到花名册文件 {path}。请检查路径和文件名（file not found）")
        if path.is_dir():
            raise UnusableFile(
                f"{path} 是文件夹，不是花名册文件。请给出 .xlsx/.xls/.csv 文件的路径"
            )
        if guards.special_file(path):
            raise UnusableFile(
                f"{path} 不是普通文件（管道、设备等），无法作为花名册读取。"
                "请给出 .xlsx/.xls/.csv 文件的路径（not a regular file）"
            )
        if whole:
            head = guards.read_checked(path)
            size = len(head)
        else:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
            size = path.stat().st_size
    except PermissionError as exc:
        raise UnusableFile(f"没有权限读取 {path}。请检查文件权限或先关闭占用它的程序") from exc
    except OSError as exc:
        raise UnusableFile(f"无法打开 {path}（{exc.strerror or exc}）。请检查文件是否可读") from exc
    if not head:
        raise UnusableFile(f"{path.name} 是空文件。请确认选对了花名册文件")
    guards.check_file_size(path, size)
    return head


_CALAMINE_EXTENSION = {Kind.OOXML: ".xlsx", Kind.XLSB: ".xlsb", Kind.ODS: ".ods", Kind.XLS: ".xls"}


def open_book(
    path: Path, kind: Kind, issues: list[InputIssue], stack: ExitStack, data: bytes | None = None
) -> Book:
    """The file's sheets; ``stack`` keeps the private copy alive while they are loaded.

    ``data`` is the file's content from ``read_content``; every guard and reader works on
    these bytes (a copy in a private folder for calamine), so a file changed meanwhile is
    never read unchecked.
    """
    if data is None:
        data = read_content(path)
    if kind is Kind.ENCRYPTED:
        raise guards.password_protected(path)
    if kind in (Kind.OOXML, Kind.ODS, Kind.XLSB):
        guards.check_zip(path, kind, data)
    if kind in _CALAMINE_EXTENSION:
        opened = stack.enter_context(private_copy(data, _CALAMINE_EXTENSION[kind]))
        if kind is Kind.OOXML:
            return calamine_book(opened, path)
        # All sheets, even with --sheet: the name may match only loosely, and these files are small.
        return isolated_book(path, opened=opened)
    if kind is Kind.HTML:
        return html_book(path, data)
    if kind is Kind.TEXT:
        book, encoding = csv_book(path, data)
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
        raise UnusableFile(
            f"{path.name} 是 Excel 2003 XML 表格，不受支持。请用 Excel/WPS 打开后另存为 .xlsx 再试"
        )
    if kind is Kind.BROKEN_ZIP:
        raise UnusableFile(
            f"{path.name} 已损坏（压缩结构不完整），无法读取。请用 Excel/WPS 打开修复后另存再试"
        )
    what = "压缩包（不是 Excel 或 WPS 表格）" if kind is Kind.ZIP_OTHER else "不是表格文件"
    raise UnusableFile(
        f"{path.name} {what}。请提供 .xlsx、.xls、.ods 或 .csv 格式的花名册（not a spreadsheet）"
    )


def extension_note(path: Path, kind: Kind) -> str | None:
    suffix = path.suffix.lower()
    if kind is Kind.HTML and suffix in {".xls", ".xlsx"}:
        return f"{path.name} 实际是网页（HTML）表格，已按表格读取；建议另存为真正的 .xlsx"
    expected = _EXTENSION_OF.get(kind)
    if expected and suffix and suffix not in expected and suffix in _ALL_KNOWN:
        return f"{path.name} 的实际格式是 {kind.value}，与扩展名 {suffix} 不符，已按实际格式读取"
    return None


_ALL_KNOWN = {ext for exts in _EXTENSION_OF.values() for ext in exts}


def load_sheet(path: Path, book: Book, name: str) -> Grid:
    try:
        return book.grid(name)
    except SheetUnreadable as exc:
        raise UnusableFile(
            f"{path.name} 的工作表“{name}”无法读取（{exc}）。请用 Excel/WPS 打开后另存为 .xlsx 再试"
        ) from exc
