"""The register workbook (SPEC.md, "The register workbook").

Sheets: 核验登记表 (one row per worker), 汇总 (counts, 依法持证率, verdict, the roster sheets
read and those skipped with why, a native chart),
输入问题 (only when there are any) and a hidden ``_certcheck`` sheet of key/value rows by which
:mod:`certcheck.register.reader` recognises the file and recovers its metadata.

Every text is written with ``write_string``: whatever a roster contained (``=HYPERLINK(…)``, an
all-digit ID number, ``http://…``) lands in the cell as the literal text. The workbook options
that would turn strings into formulas, numbers or links are switched off as well, so that no
future ``write`` call can reintroduce that. The worker rows of 核验登记表 are the exception:
they are written as XML text by :mod:`certcheck.register.sheet_xml` (always inline strings,
escaped), the same text xlsxwriter writes for them, because xlsxwriter's cost per cell was most
of a large run.

``constant_memory`` mode streams rows to disk instead of keeping 2 million cell objects for a
100k-worker roster. Its one cost, no cached values for charts, is paid by handing the chart its
values directly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from certcheck.atomic import atomic_write
from certcheck.dates import MonthDate
from certcheck.jsontext import holds_unpaired, mend
from certcheck.leftovers import scratch_folder
from certcheck.models import Finding, InputIssue, Reason, Status
from certcheck.register.issue_codes import explain
from certcheck.register.layout import (
    as_of_text,
    fitting_width,
    footer_text,
    lines_needed,
    print_landscape,
    quick_width,
    row_height,
)
from certcheck.register.model import Register, RegisterMeta
from certcheck.register.sheet_xml import (
    RowsFile,
    StyleIndex,
    assemble,
    column_name,
    date_serial,
    inline_text,
    number_text,
    row_open,
)
from certcheck.register.view import (
    FORMAT_VERSION,
    ISSUES_SHEET,
    MAIN_SHEET,
    MARKER_FORMAT,
    MARKER_SHEET,
    MATCH_HEADERS,
    MATCH_SHEET,
    PRINT_COLUMNS,
    SHEET_COLUMNS,
    SIGNATURES,
    SUMMARY_SHEET,
    TITLE_SUFFIX,
    Cell,
    CellKind,
    Masker,
    count_by_sheet,
    flat_row,
    match_token,
    sheet_of,
    sheet_row,
    source_text,
)

#: Excel's rows, minus the header.
MAX_WORKERS = 1_048_575

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CHINESE_DATE_FORMAT = 'yyyy"年"m"月"d"日"'

#: (background, font colour) of the status cell. Red for fake, the worst finding; grey for
#: "could not tell", so it does not read as a pass or a failure.
STATUS_COLOURS: dict[Status, tuple[str, str]] = {
    Status.VALID: ("#C6EFCE", "#006100"),
    Status.EXPIRED: ("#F8CBAD", "#843C0C"),
    Status.FAKE: ("#C00000", "#FFFFFF"),
    Status.UNCERTIFIED: ("#D9C3E9", "#5B2C83"),
    Status.UNVERIFIED: ("#D9D9D9", "#404040"),
}

_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

#: The register sheet's part in the package: it is the first sheet added.
_MAIN_MEMBER = "xl/worksheets/sheet1.xml"
#: zlib level of the register sheet's part (None: zlib's default, as xlsxwriter uses).
MAIN_SHEET_COMPRESSION: int | None = None
# Excel's 1900 date system has no dates before 1900-03-01 (Lotus's leap-year bug).
_FIRST_SERIAL = date(1900, 3, 1).toordinal()
#: Kept under its old name for the tests of the summary sheet's dates.
_date_serial = date_serial


def write_xlsx(reg: Register, path: Path) -> None:
    """Write the register workbook to ``path`` atomically, mode 0600."""
    if len(reg.findings) > MAX_WORKERS:
        raise ValueError(
            f"{len(reg.findings)} workers do not fit in one worksheet (Excel's limit is "
            f"{MAX_WORKERS}); write a .csv or .json register instead"
        )
    atomic_write(path, lambda tmp: _build(_facts_mended(reg), tmp))


def _facts_mended(reg: Register) -> Register:
    """``reg`` with U+FFFD for an unpaired surrogate in the text xlsxwriter writes (the run's
    facts, the input issues), which it could not encode. The worker rows need no such copy:
    ``RowsFile`` writes U+FFFD for one as it writes."""
    meta, issues = reg.meta, reg.input_issues
    texts = (meta.source, meta.roster_file, meta.enterprise or "", meta.version, *meta.sheets,
             *(part for sheet in meta.skipped_sheets for part in sheet),
             *(part for issue in issues for part in (issue.code, issue.message)))
    if not any(holds_unpaired(text) for text in texts):
        return reg
    meta = replace(
        meta, source=mend(meta.source), roster_file=mend(meta.roster_file),
        enterprise=mend(meta.enterprise) if meta.enterprise is not None else None,
        version=mend(meta.version), sheets=tuple(mend(s) for s in meta.sheets),
        skipped_sheets=tuple((mend(n), mend(w)) for n, w in meta.skipped_sheets),
    )
    issues = tuple(InputIssue(i.row, mend(i.code), mend(i.message)) for i in issues)
    return replace(reg, meta=meta, input_issues=issues)


def _build(reg: Register, target: Path) -> None:
    # xlsxwriter spills every sheet's rows (ID numbers included) into temporary files that only
    # a successful close() removes, and the register sheet's rows go to a scratch file of their
    # own. A private scratch directory is removed however the build ends; on failure the
    # workbook is not closed, since assembling a half-written workbook would only delay the
    # error.
    with scratch_folder() as scratch:
        book = scratch / "book.xlsx"
        rows = RowsFile(scratch / "rows.xml")
        try:
            wb = xlsxwriter.Workbook(str(book), {**_OPTIONS, "tmpdir": str(scratch)})
            last_row = _main_sheet(wb, reg, rows)
            _summary_sheet(wb, reg)
            if reg.input_issues:
                _issues_sheet(wb, reg, Masker(reg.mask_ids))
            _marker_sheet(wb, reg)
            if reg.match_key is not None:
                _match_sheet(wb, reg)
            # Where xlsxwriter would write it: the formats it uses first are numbered in the
            # same order as before.
            last_row()
            wb.close()
            assemble(book, target, _MAIN_MEMBER, rows, column_name(len(SHEET_COLUMNS) - 1),
                     compresslevel=MAIN_SHEET_COMPRESSION)
        finally:
            rows.close()


def _header(wb: Any) -> Any:
    return wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "valign": "vcenter",
         "text_wrap": True}
    )


#: Columns whose text wraps inside the cell, with their width. The printed columns all wrap at
#: a width of their own (view.PRINT_COLUMNS), so that whatever a roster holds the printed table
#: keeps its width and its type size; 提示 and 说明 wrap so long free text stays in its cell.
WRAPPED_WIDTHS: dict[str, float] = {
    **{c.header: c.width for c in PRINT_COLUMNS if c.kind is CellKind.TEXT},
    "提示": 17, "说明": 30,
}
#: Widths of columns whose values have a fixed shape.
_FIXED_WIDTHS: dict[CellKind, float] = {CellKind.DATE: 12, CellKind.DATETIME: 19}

#: Left and right margins of the register's pages, in inches: narrow, for larger type.
SIDE_MARGIN = 0.3
#: Rows of the register sheet above the workers: the title, the run's facts, the header.
TITLE_ROW, FACTS_ROW, HEADER_ROW = 0, 1, 2
#: The printed columns, from A.
_PRINTED = len(PRINT_COLUMNS)
#: The signature lines: two rows of two, each starting in a column of the printed table (A, E);
#: the text runs on over the empty cells to its right.
_SIGNATURE_COLUMNS = (0, 4)
_SIGNATURE_BLANK = "_" * 14
#: Room above a signature line to sign and stamp.
_SIGNATURE_HEIGHT = 36.0
_TITLE_HEIGHT = 30.0


def register_footer(meta: RegisterMeta) -> str:
    """单位 on the left, page numbers in the middle, the as-of date on the right."""
    return footer_text(f"单位：{meta.enterprise or '（未注明）'}",
                       f"核验日期：{as_of_text(meta.as_of)}")


def register_title(meta: RegisterMeta) -> str:
    """The printed form's title, with the enterprise's name when it is known."""
    return f"{meta.enterprise or ''}{TITLE_SUFFIX}"


def register_facts(reg: Register) -> str:
    """The line under the title: when, against what, which check and which workers; first a
    blank for the enterprise's name, to be written by hand, when the title could not name it."""
    meta = reg.meta
    scope = (f"全部人员（{len(reg.findings)} 人）" if meta.sample is None
             else sample_label(meta))
    if not meta.scope.everything:
        scope = f"{meta.scope.zh}；{scope}{_left_out_text(reg)}"
    unit = () if meta.enterprise else ("单位名称：" + "_" * 24,)
    return "　　".join((
        *unit,
        f"核验日期：{as_of_text(meta.as_of)}",
        f"数据来源：{source_text(meta.source)}",
        f"检查类型：{meta.kind.zh}",
        f"核验范围：{scope}",
    ))


def _left_out_text(reg: Register) -> str:
    out = reg.verdict.out_of_scope
    return f"，其中 {out} 人{Reason.OUT_OF_SCOPE.zh}" if out else ""


def scope_label(reg: Register) -> str:
    """``特种作业（4 人不在本次核验范围，未计入）`` for the summary sheet; ``全部`` by default."""
    scope = reg.meta.scope
    if scope.everything:
        return scope.zh
    out = reg.verdict.out_of_scope
    return f"{scope.zh}（{out} 人{Reason.OUT_OF_SCOPE.zh}，未计入）" if out else scope.zh


def signature_rows() -> list[list[tuple[int, str]]]:
    """核验人：____ and the others as written under the table: (column, text) of each row."""
    texts = [label + _SIGNATURE_BLANK for label in SIGNATURES]
    texts[-1] = SIGNATURES[-1] + "________年_____月_____日"
    return [list(zip(_SIGNATURE_COLUMNS, texts[i:i + 2], strict=True))
            for i in range(0, len(texts), 2)]


def _main_sheet(wb: Any, reg: Register, rows: RowsFile) -> Callable[[], None]:
    """The register sheet but its last worker row; returns what writes that row and the
    signature lines under it."""
    ws = wb.add_worksheet(MAIN_SHEET)
    columns = SHEET_COLUMNS
    header = _header(wb)

    def cell_format(properties: dict[str, Any], printed: bool) -> Any:
        # The printed table is ruled like a paper form; the screen-only columns are not.
        return wb.add_format({**properties, "valign": "top", **({"border": 1} if printed else {})})

    def formats(printed: bool) -> dict[str, Any]:
        return {
            "text": cell_format({"num_format": "@"}, printed),
            "wrapped": cell_format({"num_format": "@", "text_wrap": True}, printed),
            "day": cell_format({"num_format": DATE_FORMAT}, printed),
            "stamp": cell_format({"num_format": DATETIME_FORMAT}, printed),
            "number": cell_format({"align": "center"} if printed else {}, printed),
        }

    plain, ruled = formats(False), formats(True)
    status_formats = {
        status: wb.add_format({"bg_color": bg, "font_color": fg, "bold": status is Status.FAKE,
                               "valign": "top", "border": 1})
        for status, (bg, fg) in STATUS_COLOURS.items()
    }
    kinds = [column.kind for column in columns]
    wraps = [column.header in WRAPPED_WIDTHS for column in columns]

    def of_kind(chosen: dict[str, Any], kind: CellKind, wrap: bool) -> Any:
        return chosen["wrapped"] if wrap else {
            CellKind.TEXT: chosen["text"], CellKind.INT: chosen["number"],
            CellKind.DATE: chosen["day"], CellKind.DATETIME: chosen["stamp"]}[kind]

    # The workers' cells of the printed columns are ruled; the columns themselves are not, or
    # the empty rows under the table would be printed as a grid up to the signature lines.
    column_formats = [of_kind(ruled if c < _PRINTED else plain, kind, wrap)
                      for c, (kind, wrap) in enumerate(zip(kinds, wraps, strict=True))]
    column_defaults = [of_kind(plain, kind, wrap) for kind, wrap in zip(kinds, wraps, strict=True)]
    widths = _sheet_widths(len(reg.findings))
    print_width = sum(w or 0.0 for w in widths[:_PRINTED])

    title = wb.add_format({"bold": True, "font_size": 16, "align": "center",
                           "valign": "vcenter"})
    facts = wb.add_format({"align": "left", "valign": "vcenter", "text_wrap": True})
    # Merged over the printed columns, the text written as text like every other (an
    # enterprise's name comes from the roster).
    ws.set_row(TITLE_ROW, _TITLE_HEIGHT)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, _PRINTED - 1, "", title)
    ws.write_string(TITLE_ROW, 0, register_title(reg.meta), title)
    facts_text = register_facts(reg)
    ws.set_row(FACTS_ROW, row_height(lines_needed(facts_text, print_width)))
    ws.merge_range(FACTS_ROW, 0, FACTS_ROW, _PRINTED - 1, "", facts)
    ws.write_string(FACTS_ROW, 0, facts_text, facts)
    # Every width leaves room for its header on two lines.
    ws.set_row(HEADER_ROW, row_height(2))
    for c, column in enumerate(columns):
        ws.write_string(HEADER_ROW, c, column.header, header)
    # The header stays in view, and who each row is while scrolling to the data columns.
    ws.freeze_panes(HEADER_ROW + 1, 2)
    first = HEADER_ROW + 1
    last_worker = HEADER_ROW + max(len(reg.findings), 1)
    ws.autofilter(HEADER_ROW, 0, last_worker, len(columns) - 1)

    signature = wb.add_format({"valign": "bottom"})
    # A blank row, then the signature lines.
    signature_row = last_worker + 2
    seen, last_row = _worker_rows(reg, rows, StyleIndex(), first=first, header=header,
                                  text=plain["text"], status_formats=status_formats,
                                  column_formats=column_formats,
                                  signature=(signature_row, signature))
    for c, column in enumerate(columns):
        width = widths[c]
        if width is None:
            width = fitting_width(seen[c], column.header)
        # The column format matters for cells a person fills in later: an ID typed into a
        # text column stays text instead of becoming 5.00381E+17.
        ws.set_column(c, c, width, column_defaults[c])
    print_landscape(ws, footer=register_footer(reg.meta), header_row=HEADER_ROW,
                    side_margin=SIDE_MARGIN)
    ws.print_area(TITLE_ROW, 0, signature_row + len(signature_rows()) - 1, _PRINTED - 1)
    return last_row


def _sheet_widths(workers: int) -> list[float | None]:
    """Each column's width, None for those sized to their values once they are written."""
    widths: list[float | None] = []
    for c, column in enumerate(SHEET_COLUMNS):
        if column.kind is CellKind.INT:
            widths.append(fitting_width([str(workers + 100)], column.header))
        elif c < _PRINTED or column.header in WRAPPED_WIDTHS:
            widths.append(WRAPPED_WIDTHS.get(column.header, column.width))
        elif column.kind in _FIXED_WIDTHS:
            widths.append(_FIXED_WIDTHS[column.kind])
        else:
            widths.append(None)
    return widths


#: Columns whose text is mostly one of a few values (an item, an issuer, a reason): their
#: cells' XML is kept once made. Names, IDs, certificate numbers and the time checked are
#: different on every row and are not.
_REPEATING = frozenset(
    {"工作表", "核验结果", "原因", "提示", "申报作业类别", "申报操作项目", "官方作业类别",
     "官方操作项目", "签发机关", "证书状态", "数据来源", "说明", "作业类别/操作项目"}
)
#: Position of the status column, which the workbook colours.
_STATUS = [c.header for c in SHEET_COLUMNS].index("核验结果")


def _sized_columns(widths: list[float | None]) -> list[int]:
    """The text columns sized to their values: those with no width of their own."""
    return [c for c, column in enumerate(SHEET_COLUMNS)
            if column.kind is CellKind.TEXT and widths[c] is None]


def _line_counter() -> Callable[[tuple[Cell, ...]], int]:
    """What tells the lines a row's wrapped cells need (at least 1)."""
    # (column, width, the lines of each text seen): reasons and hints repeat, so each text is
    # measured once; a text of few characters fits on one line without measuring.
    wrap_at: list[tuple[int, float, dict[str, int]]] = [
        (c, WRAPPED_WIDTHS[column.header], {}) for c, column in enumerate(SHEET_COLUMNS)
        if column.header in WRAPPED_WIDTHS
    ]

    def lines_of(values: tuple[Cell, ...]) -> int:
        lines = 1
        for c, width, measured in wrap_at:
            value = values[c]
            if isinstance(value, str) and 2 * len(value) >= width - 1:
                if "\n" not in value:
                    # One line of text (a name, an ID, a 证号: different on every row, so
                    # not worth keeping) is measured on the spot, as lines_needed would;
                    # ASCII text is as wide as it is long.
                    usable = max(width - 1, 1.0)
                    if len(value) <= usable and value.isascii():
                        continue
                    wide = quick_width(value)
                    if wide <= usable:
                        continue
                    count = math.ceil(wide / usable)
                else:
                    known_count = measured.get(value)
                    if known_count is None:
                        known_count = lines_needed(value, width)
                        if len(measured) < 10_000:
                            measured[value] = known_count
                    count = known_count
                if count > lines:
                    lines = count
        return lines

    return lines_of


def _worker_rows(
    reg: Register, rows: RowsFile, style: StyleIndex, *, first: int, header: Any, text: Any,
    status_formats: dict[Status, Any], column_formats: list[Any], signature: tuple[int, Any],
) -> tuple[list[set[str]], Callable[[], None]]:
    """Write one row per worker to ``rows``, from row ``first``, but the last; return the
    values of each column sized to them, and what writes the last row and the signature line
    (at the row and in the format ``signature`` gives).

    Cells come in the order xlsxwriter would write them and each format's style index is asked
    for at its first cell (see ``sheet_xml``): the header row first, each row when the next one
    starts, the last one only as the workbook closes, after the other sheets' rows. The last
    row is left to the caller for that.
    """
    columns = SHEET_COLUMNS
    sized = _sized_columns(_sheet_widths(len(reg.findings)))
    repeating = [column.header in _REPEATING for column in columns]
    names = [column_name(c) for c in range(len(columns))]
    seen: list[set[str]] = [set() for _ in columns]
    lines_of = _line_counter()
    # Per column, the tail of a cell after its reference: `` s="2" t="inlineStr"><is>…</c>``.
    known: list[dict[Any, str]] = [{} for _ in columns]
    write = rows.write
    status_column = _STATUS
    # Per column, the start of a text cell of its own (a name) and a whole empty cell, made
    # at the column's first such cell, which is when its format's style index is first asked.
    text_head: list[str | None] = [None] * len(columns)
    empty_tail: list[str | None] = [None] * len(columns)

    # The first cell of each kind of value: made here, kept in ``known`` for the next ones.
    # The cells of every row (a name, an ID) are made inline in ``emit``, which runs per row.
    def status_tail(fmt: Any, value: Cell) -> str:
        tail = known[status_column][fmt] = (f'{style(fmt)} t="inlineStr">'
                                            f"{inline_text(str(value))}</c>")
        return tail

    def text_tail(c: int, value: str) -> str:
        tail = known[c][value] = (f'{style(column_formats[c])} t="inlineStr">'
                                  f"{inline_text(value)}</c>")
        return tail

    def date_tail(c: int, value: date) -> str:
        # A month-only date (``MonthDate``) is written as the text ``YYYY-MM``: as a serial it
        # would show a day the official record never gave.
        if value.toordinal() < _FIRST_SERIAL or isinstance(value, MonthDate):
            tail = f'{style(text)} t="inlineStr">{inline_text(value.isoformat())}</c>'
        else:
            fmt = column_formats[c]
            tail = f"{style(fmt)}><v>{number_text(date_serial(value))}</v></c>"
        # A time checked is different on every row; a date is one of a few.
        if not isinstance(value, datetime):
            known[c][value] = tail
        return tail

    def emit(r: int, finding: Finding, values: tuple[Cell, ...]) -> None:
        lines = lines_of(values)
        ref = str(r + 1)
        parts = [row_open(r, row_height(lines) if lines > 1 else None)]
        for c, value in enumerate(values):
            if value is None:
                if c < _PRINTED:
                    # An empty cell of the printed table still has its ruling.
                    empty = empty_tail[c]
                    if empty is None:
                        empty = empty_tail[c] = f"{style(column_formats[c])}/>"
                    parts.append(f'<c r="{names[c]}{ref}"{empty}')
                continue
            if c == status_column:
                fmt = status_formats[finding.status]
                tail = known[c].get(fmt)
                if tail is None:
                    tail = status_tail(fmt, value)
            elif isinstance(value, str):
                if repeating[c]:
                    tail = known[c].get(value)
                    if tail is None:
                        tail = text_tail(c, value)
                else:
                    head = text_head[c]
                    if head is None:
                        head = text_head[c] = f'{style(column_formats[c])} t="inlineStr">'
                    tail = f"{head}{inline_text(value)}</c>"
            elif isinstance(value, date):
                tail = known[c].get(value)
                if tail is None:
                    tail = date_tail(c, value)
            else:
                tail = f"{style(column_formats[c])}><v>{number_text(value)}</v></c>"
            parts.append(f'<c r="{names[c]}{ref}"{tail}')
        parts.append("</row>")
        write("".join(parts))
        rows.last_row = r

    def emit_signature() -> None:
        top, fmt = signature
        for r, line in enumerate(signature_rows(), start=top):
            ref = str(r + 1)
            cells = "".join(
                f'<c r="{names[c]}{ref}"{style(fmt)} t="inlineStr">{inline_text(words)}</c>'
                for c, words in line
            )
            write(f"{row_open(r, _SIGNATURE_HEIGHT)}{cells}</row>")
            rows.last_row = r

    masker = Masker(reg.mask_ids)
    sheets = reg.meta.sheets
    last: tuple[int, Finding, tuple[Cell, ...]] | None = None
    if reg.findings:
        style(header)
    for n, finding in enumerate(reg.findings, start=1):
        values = sheet_row(n, flat_row(finding, masker, sheets))
        for c in sized:
            value = values[c]
            if isinstance(value, str):
                seen[c].add(value)
        if last is not None:
            emit(*last)
        last = (first + n - 1, finding, values)

    def finish() -> None:
        if last is not None:
            emit(*last)
        emit_signature()

    return seen, finish


def sample_label(meta: RegisterMeta) -> str:
    sample = meta.sample
    if sample is None:
        return "全部人员"
    label = f"抽查 {sample.size} 人 / 共 {sample.population} 人"
    return label if sample.seed is None else f"{label}（随机种子 {sample.seed}）"


def sheet_lines(reg: Register) -> tuple[list[str], list[str]]:
    """The sheets read, with their workers in this register (``电工（12 人）``), and the sheets
    skipped, with why (``填表说明：…``). A worker's own sheet name is mended here, since the
    rows' text is not mended beforehand (``_facts_mended``)."""
    meta = reg.meta
    counts = count_by_sheet((sheet_of(f, meta.sheets) for f in reg.findings), meta.sheets)
    read = [mend(f"{name}（{n} 人）") for name, n in counts]
    skipped = [f"{name}：{why}" for name, why in meta.skipped_sheets]
    return read, skipped


#: Width of the 汇总 sheet's value column; longer values (a long list of sheets) wrap.
_SUMMARY_VALUE_WIDTH = 36.0
#: The chart's extent: columns D to K, each 60 pixels wide (width 7.86), which its 480 pixels
#: fill, and about 18 rows of 20 pixels (346 pixels). It is anchored to these cells, so an
#: application whose default font is wider widens the chart with them, never past K.
_CHART_FIRST_COLUMN = 3
_CHART_COLUMNS = 8
_CHART_COLUMN_WIDTH = 7.86
_CHART_ROWS = 18


def _summary_sheet(wb: Any, reg: Register) -> None:
    meta, verdict = reg.meta, reg.verdict
    ws = wb.add_worksheet(SUMMARY_SHEET)
    label = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    header = _header(wb)
    # The date a person reads and signs: 2026年12月1日, still a date for a program.
    day = wb.add_format({"num_format": CHINESE_DATE_FORMAT, "align": "left"})
    stamp = wb.add_format({"num_format": DATETIME_FORMAT, "align": "left"})
    percent = wb.add_format({"num_format": "0.00%", "align": "left", "bold": True})
    number = wb.add_format({"align": "left"})
    ws.set_column(0, 0, 14)

    facts: list[tuple[str, str]] = [
        ("单位名称", meta.enterprise or ""),
        ("检查类型", meta.kind.zh),
    ]
    row = 0
    for key, value in facts:
        ws.write_string(row, 0, key, label)
        ws.write_string(row, 1, value)
        row += 1
    ws.write_string(row, 0, "核验日期", label)
    ws.write_number(row, 1, _date_serial(meta.as_of), day)
    row += 1
    read, skipped = sheet_lines(reg)
    lines: list[tuple[str, str]] = [("数据来源", source_text(meta.source)),
                                   ("核验范围", scope_label(reg)),
                                   ("花名册", meta.roster_file)]
    # One line per sheet, the label on the first only, so a long list stays readable.
    lines += [("读取的工作表" if i == 0 else "", text) for i, text in enumerate(read)]
    lines += [("未读取的工作表" if i == 0 else "", text) for i, text in enumerate(skipped)]
    lines.append(("抽样", sample_label(meta)))
    value_format = wb.add_format({"text_wrap": True, "valign": "top"})
    for key, value in lines:
        if key:
            ws.write_string(row, 0, key, label)
        else:
            ws.write_blank(row, 0, None, label)
        if quick_width(value) > _SUMMARY_VALUE_WIDTH - 1:
            ws.set_row(row, row_height(lines_needed(value, _SUMMARY_VALUE_WIDTH)))
        ws.write_string(row, 1, value, value_format)
        row += 1

    row += 1
    ws.write_string(row, 0, "核验结果", header)
    ws.write_string(row, 1, "人数", header)
    row += 1
    first_count = row
    for status in Status:
        ws.write_string(row, 0, status.zh, label)
        ws.write_number(row, 1, verdict.counts[status], number)
        row += 1
    last_count = row - 1
    ws.write_string(row, 0, "总人数", label)
    ws.write_number(row, 1, verdict.total, number)
    row += 1
    if not meta.scope.everything:
        # Listed in the register, in none of the counts above (--scope).
        ws.write_string(row, 0, "不在核验范围", label)
        ws.write_number(row, 1, verdict.out_of_scope, number)
        row += 1
    ws.write_string(row, 0, "依法持证率", label)
    ws.write_number(row, 1, verdict.rate, percent)
    row += 1
    ws.write_string(row, 0, "结论", label)
    ws.write_string(row, 1, verdict.label_zh, wb.add_format({"bold": True}))
    row += 2
    ws.write_string(row, 0, "certcheck 版本", label)
    ws.write_string(row, 1, meta.version)
    row += 1
    ws.write_string(row, 0, "生成时间", label)
    ws.write_number(row, 1, _date_serial(meta.generated_at), stamp)
    ws.set_column(1, 1, _SUMMARY_VALUE_WIDTH)

    chart = wb.add_chart({"type": "column"})
    sheet_ref = f"'{SUMMARY_SHEET}'"
    chart.add_series(
        {
            "name": "人数",
            "categories": f"={sheet_ref}!$A${first_count + 1}:$A${last_count + 1}",
            "values": f"={sheet_ref}!$B${first_count + 1}:$B${last_count + 1}",
            # constant_memory mode cannot read these back from the sheet for the chart's
            # cache; without them viewers that do not recalculate show an empty chart.
            "categories_data": [s.zh for s in Status],
            "values_data": [verdict.counts[s] for s in Status],
            "points": [{"fill": {"color": STATUS_COLOURS[s][0]},
                        "border": {"color": "#808080"}} for s in Status],
            "data_labels": {"value": True, "num_format": "0", "font": {"size": _CHART_FONT}},
        }
    )
    chart.set_title({"name": "核验结果分布", "name_font": {"size": 14}})
    chart.set_legend({"none": True})
    most = max(verdict.counts.values(), default=0)
    step = count_step(most)
    # Ticks at whole people, and room above the tallest column for its label.
    chart.set_x_axis({"num_font": {"size": _CHART_FONT}})
    chart.set_y_axis({"name": "人数", "name_font": {"size": _CHART_FONT},
                      "num_font": {"size": _CHART_FONT}, "num_format": "0", "min": 0,
                      "max": step * (most // step + 1), "major_unit": step,
                      "major_gridlines": {"visible": True}})
    ws.set_column(_CHART_FIRST_COLUMN - 1, _CHART_FIRST_COLUMN - 1, 2)
    ws.set_column(_CHART_FIRST_COLUMN, _CHART_FIRST_COLUMN + _CHART_COLUMNS - 1,
                  _CHART_COLUMN_WIDTH)
    ws.insert_chart(0, _CHART_FIRST_COLUMN, chart, {"y_scale": 1.2})
    # The facts and the chart (about 9 default columns by 18 rows from D1) one page wide; a
    # long list of sheets goes on to a second page rather than shrinking the type.
    print_landscape(ws, footer=register_footer(meta), repeat_header=False,
                    side_margin=SIDE_MARGIN)
    ws.print_area(0, 0, max(row, _CHART_ROWS), _CHART_FIRST_COLUMN + _CHART_COLUMNS - 1)


#: Type size of the chart's axes and labels: readable once printed.
_CHART_FONT = 11


def count_step(most: int) -> int:
    """People between the chart's ticks: a whole 1, 2 or 5 times a power of ten, so that the
    axis has at most eight ticks up to ``most``."""
    base = 1
    while True:
        for step in (base, 2 * base, 5 * base):
            if most // step < 8:
                return step
        base *= 10


#: Headers of the 输入问题 sheet: the code for programs, then what it means for a person.
ISSUE_HEADERS = ("行号", "代码", "问题", "怎么办", "说明")
#: Widths that keep the sheet one page wide at readable type; longer text wraps.
_ISSUE_MESSAGE_WIDTH = 40.0
_ISSUE_WRAP_WIDTH = 24.0
_ISSUE_CODE_WIDTH = 20.0


def _issues_sheet(wb: Any, reg: Register, masker: Masker) -> None:
    issues = reg.input_issues
    ws = wb.add_worksheet(ISSUES_SHEET)
    header = _header(wb)
    wrapped = wb.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
    number = wb.add_format({"valign": "top"})
    rows = [
        (issue.row, issue.code, *explain(issue.code), masker.text(issue.message) or "")
        for issue in issues
    ]
    code_width = fitting_width((r[1] for r in rows), "代码", minimum=8,
                               maximum=_ISSUE_CODE_WIDTH)
    problem_width = min(fitting_width((r[2] for r in rows), "问题"), _ISSUE_WRAP_WIDTH)
    todo_width = min(fitting_width((r[3] for r in rows), "怎么办"), _ISSUE_WRAP_WIDTH)
    message_width = min(fitting_width((r[4] for r in rows), "说明"), _ISSUE_MESSAGE_WIDTH)
    widths = (fitting_width([str(max((r[0] or 0 for r in rows), default=0))], "行号"),
              code_width, problem_width, todo_width, message_width)
    for c, (title, width) in enumerate(zip(ISSUE_HEADERS, widths, strict=True)):
        ws.set_column(c, c, width)
        ws.write_string(0, c, title, header)
    ws.freeze_panes(1, 0)
    for r, (row, code, problem, todo, message) in enumerate(rows, start=1):
        lines = max(lines_needed(code, code_width), lines_needed(problem, problem_width),
                    lines_needed(todo, todo_width), lines_needed(message, message_width))
        if lines > 1:
            ws.set_row(r, row_height(lines))
        if row is not None:
            ws.write_number(r, 0, row, number)
        ws.write_string(r, 1, code, wrapped)
        ws.write_string(r, 2, problem, wrapped)
        ws.write_string(r, 3, todo, wrapped)
        ws.write_string(r, 4, message, wrapped)
    print_landscape(ws, footer=register_footer(reg.meta), side_margin=SIDE_MARGIN)


def marker_rows(reg: Register) -> list[tuple[str, str]]:
    """The hidden sheet's key/value rows; all values are text so they read back exactly."""
    meta = reg.meta
    sample = meta.sample
    return [
        ("format", MARKER_FORMAT),
        ("format_version", str(FORMAT_VERSION)),
        ("certcheck", meta.version),
        ("as_of", meta.as_of.isoformat()),
        ("generated_at", meta.generated_at.isoformat()),
        ("source", meta.source),
        ("enterprise", meta.enterprise or ""),
        ("kind", meta.kind.value),
        ("scope", meta.scope.name),
        ("roster_file", meta.roster_file),
        # The first sheet, under the key registers of one sheet used, then all of them.
        ("roster_sheet", meta.sheet or ""),
        ("roster_sheets", json.dumps(list(meta.sheets), ensure_ascii=False)),
        (
            "roster_skipped_sheets",
            json.dumps([{"name": n, "why": w} for n, w in meta.skipped_sheets],
                       ensure_ascii=False),
        ),
        ("sample_size", str(sample.size) if sample else ""),
        ("sample_population", str(sample.population) if sample else ""),
        ("sample_seed", str(sample.seed) if sample and sample.seed is not None else ""),
        ("mask_ids", "yes" if reg.mask_ids else "no"),
        ("main_sheet", MAIN_SHEET),
        ("workers", str(len(reg.findings))),
        # Only with the district's key: which key made the tokens of the match sheet.
        *([("match_key_fingerprint", reg.match_key.fingerprint)]
          if reg.match_key is not None else []),
    ]


def _marker_sheet(wb: Any, reg: Register) -> None:
    ws = wb.add_worksheet(MARKER_SHEET)
    for r, (key, value) in enumerate(marker_rows(reg)):
        ws.write_string(r, 0, key)
        if value:
            ws.write_string(r, 1, value)
    ws.hide()


def _match_sheet(wb: Any, reg: Register) -> None:
    """The hidden sheet of keyed match tokens, one row per worker with a valid ID, found by
    sheet and row so that sorting or filtering the register sheet does not misplace them."""
    ws = wb.add_worksheet(MATCH_SHEET)
    for c, title in enumerate(MATCH_HEADERS):
        ws.write_string(0, c, title)
    r = 1
    sheets = reg.meta.sheets
    for finding in reg.findings:
        token = match_token(finding, reg.match_key)
        if token is None:
            continue
        ws.write_string(r, 0, mend(sheet_of(finding, sheets) or ""))
        ws.write_number(r, 1, finding.worker.row)
        ws.write_string(r, 2, token)
        r += 1
    ws.hide()
