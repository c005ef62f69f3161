"""What ``summary`` reads: the registers (each counted once) and the office's two lists.

The lists are typed by people in Excel or WPS: CSV in GBK or UTF-8 with a BOM, a title row
above the header, headers with stray spaces or full-width brackets (罚款（万元） vs 罚款(万元)).
All of that is accepted; a cell that cannot mean anything (a measure that is neither 责令整改 nor
停产整顿, a fine that is not a number) stops the run with the file and row named, because a wrong
figure on an official form is worse than no form.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from certcheck.register.reader import RegisterTally, tally_register
from certcheck.summary.aggregate import Action, Measure
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.guards import check_text_cells, read_checked, special_file
from certcheck.tablefile.guards import resolved as resolved_path
from certcheck.text import INVISIBLE as _INVISIBLE

#: How far down a title or notes may push the header row.
HEADER_SEARCH_ROWS = 20
#: A list of enterprises or actions is a few hundred rows; anything this large is not one.
MAX_LIST_BYTES = 64 * 1024 * 1024

NAME_HEADERS = frozenset(
    {"单位名称", "企业名称", "生产经营单位", "生产经营单位名称", "单位", "企业"}
)
MEASURE_HEADERS = frozenset({"措施", "处理措施", "执法措施", "处罚措施"})
FINE_HEADERS = frozenset({"罚款", "行政罚款", "罚款金额", "罚款数额"})

_BRACKETED = re.compile(r"\(([^)]*)\)")
_MEASURE_SPLIT = re.compile(r"[、,;/\s]+")
_NO_MEASURE = frozenset({"", "无", "-", "—", "/"})
_FOOTERS = ("合计", "总计", "小计", "填表人", "制表人", "审核人", "联系电话")


#: Rows of cells as a reader returns them (text, numbers, dates, or None).
Grid = list[list[Any]]


class SummaryInputError(Exception):
    """A list or register that cannot be used; the message is one line naming the file."""


# --- registers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded:
    registers: tuple[RegisterTally, ...]
    warnings: tuple[str, ...]


def load_registers(paths: Sequence[Path]) -> Loaded:
    """Read every register once: a path given twice, or a copy of a file, is skipped.

    Copies are recognised by their bytes: a register sent by e-mail and saved under another
    name is still the same register, and counting it twice would inflate the form. Only each
    register's counts are kept, so memory stays flat however many registers there are.
    """
    registers: list[RegisterTally] = []
    warnings: list[str] = []
    by_path: dict[Path, Path] = {}
    by_hash: dict[str, Path] = {}
    for path in paths:
        resolved = resolved_path(path)
        if resolved in by_path:
            warnings.append(f"{path}：同一文件给了两次，只计一次（given twice）")
            continue
        by_path[resolved] = path
        # Read (and so vetted: a pipe, a device, a bomb are refused) before it is hashed.
        register = tally_register(path)
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if digest in by_hash:
            warnings.append(f"{path}：与 {by_hash[digest]} 内容相同，是副本，只计一次（a copy）")
            continue
        by_hash[digest] = path
        registers.append(register)
    return Loaded(tuple(registers), tuple(warnings))


# --- the office's lists ---------------------------------------------------------------------


def fold_header(text: str) -> tuple[str, str]:
    """(label, unit): ``' 罚款（万元） '`` → ``('罚款', '万元')``."""
    folded = "".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).split())
    units = _BRACKETED.findall(folded)
    return _BRACKETED.sub("", folded), (units[0] if units else "")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(value))).strip()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Chinese Excel saves CSV in the ANSI code page, GBK; GB18030 is its superset.
        return data.decode("gb18030", errors="replace")


def _csv_rows(path: Path, data: bytes) -> Grid:
    text = _decode(data).replace("\x00", "")
    head = text[:8192]
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise SummaryInputError(f"{path} 不是可读的 CSV 文件（{exc}）") from None


def _xlsx_sheets(path: Path, data: bytes) -> list[Grid]:
    from python_calamine import CalamineError, CalamineWorkbook

    from certcheck.tablefile.grid import private_copy
    from certcheck.tablefile.guards import check_zip
    from certcheck.tablefile.sniff import Kind

    try:
        # The file safety guards: calamine aborts the whole process on a crafted sheet. It
        # reads a private copy of the very bytes that were checked.
        check_zip(path, Kind.OOXML, data)
        with private_copy(data, ".xlsx") as copy:
            book = CalamineWorkbook.from_path(str(copy))
            # A hidden sheet is a lookup table or an old version, not the list a person sees.
            sheets = [
                m.name
                for m in book.sheets_metadata
                if str(m.visible).rsplit(".", 1)[-1].lower() == "visible"
            ] or list(book.sheet_names)
            return [book.get_sheet_by_name(name).to_python() for name in sheets]
    except UnusableFile as exc:
        raise SummaryInputError(f"{path}：{exc}") from None
    except CalamineError as exc:
        raise SummaryInputError(f"{path}：无法读取工作簿（{exc}）") from None


def _grids(path: Path) -> list[Grid]:
    if special_file(path):
        # Opening a pipe would wait forever and a device would never end.
        raise SummaryInputError(f"{path} 不是普通文件（管道、设备等）（not a regular file）")
    if path.stat().st_size > MAX_LIST_BYTES:
        raise SummaryInputError(f"{path} 远大于任何单位名单，拒绝读取（far too large）")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        raise SummaryInputError(
            f"{path}：无法从“{suffix or path.name}”文件读取名单，请另存为 .xlsx 或 .csv"
        )
    try:
        # Read once: the guards and the reader see the same bytes.
        data = read_checked(path)
        if suffix in (".csv", ".txt", ".tsv"):
            check_text_cells(path, data)
            return [_csv_rows(path, data)]
    except UnusableFile as exc:
        raise SummaryInputError(f"{path}：{exc}") from None
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_sheets(path, data)
    raise SummaryInputError(
        f"{path}：无法从“{suffix or path.name}”文件读取名单，请另存为 .xlsx 或 .csv"
    )


@dataclass(frozen=True, slots=True)
class _Table:
    header_row: int
    columns: dict[str, tuple[int, str]]
    rows: list[tuple[int, list[str]]]


def _table(path: Path, wanted: dict[str, frozenset[str]], required: Sequence[str]) -> _Table:
    for grid in _grids(path):
        for index, raw in enumerate(grid[:HEADER_SEARCH_ROWS]):
            labels = [fold_header(_cell_text(v)) for v in raw]
            columns: dict[str, tuple[int, str]] = {}
            for col, (label, unit) in enumerate(labels):
                for key, aliases in wanted.items():
                    if label in aliases and key not in columns:
                        columns[key] = (col, unit)
            if all(key in columns for key in required):
                body = [
                    (n, [_cell_text(v) for v in line])
                    for n, line in enumerate(grid[index + 1:], start=index + 2)
                ]
                return _Table(index + 1, columns, body)
    names = " / ".join("、".join(sorted(wanted[key])) for key in required)
    raise SummaryInputError(f"{path}：没有找到含 {names} 列的表头行（no header row）")


def _is_footer(name: str) -> bool:
    return name.startswith(_FOOTERS)


def read_enterprises(path: Path) -> list[str]:
    """The names of the 单位名称 column, in file order (blank rows and footers skipped)."""
    table = _table(path, {"name": NAME_HEADERS}, ["name"])
    col = table.columns["name"][0]
    names = []
    for _, line in table.rows:
        name = line[col] if col < len(line) else ""
        if name and not _is_footer(name):
            names.append(name)
    if not names:
        raise SummaryInputError(f"{path}：单位名称列是空的")
    return names


def _measures(text: str, where: str) -> tuple[Measure, ...]:
    found: list[Measure] = []
    for part in _MEASURE_SPLIT.split(text.strip()):
        if part in _NO_MEASURE:
            continue
        try:
            measure = Measure(part)
        except ValueError:
            allowed = " 或 ".join(m.value for m in Measure)
            raise SummaryInputError(
                f"{where}：措施“{part}”不是汇总表统计的措施，请写 {allowed}"
            ) from None
        if measure not in found:
            found.append(measure)
    return tuple(found)


def _fine(text: str, unit: str, where: str) -> Decimal:
    cleaned = text.replace(",", "").strip()
    for suffix in ("万元", "万", "元"):
        if cleaned.endswith(suffix):
            unit = unit or suffix
            cleaned = cleaned[: -len(suffix)].strip()
            break
    if cleaned in _NO_MEASURE:
        return Decimal(0)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise SummaryInputError(f"{where}：罚款“{text}”不是数（万元）") from None
    if not value.is_finite() or value < 0:
        raise SummaryInputError(f"{where}：罚款“{text}”不是有效金额")
    # The form is in 万元; a column headed 罚款（元） is converted rather than misread.
    return value / 10000 if unit == "元" else value


def read_actions(path: Path) -> list[Action]:
    """The measures and fines per enterprise; one enterprise may have several lines."""
    table = _table(
        path,
        {"name": NAME_HEADERS, "measure": MEASURE_HEADERS, "fine": FINE_HEADERS},
        ["name"],
    )
    if "measure" not in table.columns and "fine" not in table.columns:
        raise SummaryInputError(f"{path}：名单中既没有措施列，也没有罚款（万元）列")
    name_col = table.columns["name"][0]
    measure_col = table.columns.get("measure", (-1, ""))[0]
    fine_col, fine_unit = table.columns.get("fine", (-1, ""))
    actions: list[Action] = []
    for n, line in table.rows:
        def cell(col: int, line: list[str] = line) -> str:
            return line[col] if 0 <= col < len(line) else ""

        name = cell(name_col)
        if not name or _is_footer(name):
            continue
        where = f"{path.name} 第 {n} 行"
        actions.append(
            Action(
                enterprise=name,
                measures=_measures(cell(measure_col), where),
                fine=_fine(cell(fine_col), fine_unit, where),
                where=where,
            )
        )
    return actions
