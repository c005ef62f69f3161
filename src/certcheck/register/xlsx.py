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
from certcheck.models import Finding, InputIssue, Status
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
    COLUMNS,
    FORMAT_VERSION,
    ISSUES_SHEET,
    MAIN_SHEET,
    MARKER_FORMAT,
    MARKER_SHEET,
    STATUS_COLUMN,
    SUMMARY_SHEET,
    Cell,
    CellKind,
    Masker,
    count_by_sheet,
    flat_row,
    sheet_of,
)

#: Excel's rows, minus the header.
MAX_WORKERS = 1_048_575

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

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
            # Where xlsxwriter would write it: the formats it uses first are numbered in the
            # same order as before.
            last_row()
            wb.close()
            assemble(book, target, _MAIN_MEMBER, rows, column_name(len(COLUMNS) - 1),
                     compresslevel=MAIN_SHEET_COMPRESSION)
        finally:
            rows.close()


def _header(wb: Any) -> Any:
    return wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "valign": "vcenter",
         "text_wrap": True}
    )


#: Columns whose text wraps inside the cell, with their width: long free text would otherwise
#: run into the next column or make the printed page too wide to read.
WRAPPED_WIDTHS: dict[str, float] = {"原因": 20, "提示": 17, "说明": 30}
#: Widths of columns whose values have a fixed shape.
_FIXED_WIDTHS: dict[CellKind, float] = {CellKind.DATE: 12, CellKind.DATETIME: 19}


def register_footer(meta: RegisterMeta) -> str:
    """单位 on the left, page numbers in the middle, the as-of date on the right."""
    return footer_text(f"单位：{meta.enterprise or '（未注明）'}",
                       f"核验日期：{as_of_text(meta.as_of)}")


def _main_sheet(wb: Any, reg: Register, rows: RowsFile) -> Callable[[], None]:
    """The register sheet but its last worker row; returns what writes that row."""
    ws = wb.add_worksheet(MAIN_SHEET)
    header = _header(wb)
    text = wb.add_format({"num_format": "@", "valign": "top"})
    wrapped = wb.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
    day = wb.add_format({"num_format": DATE_FORMAT, "valign": "top"})
    stamp = wb.add_format({"num_format": DATETIME_FORMAT, "valign": "top"})
    number = wb.add_format({"valign": "top"})
    status_formats = {
        status: wb.add_format({"bg_color": bg, "font_color": fg, "bold": status is Status.FAKE,
                               "valign": "top"})
        for status, (bg, fg) in STATUS_COLOURS.items()
    }
    kinds = [column.kind for column in COLUMNS]
    wraps = [column.header in WRAPPED_WIDTHS for column in COLUMNS]
    column_formats = [
        wrapped if wrap else {CellKind.TEXT: text, CellKind.INT: None, CellKind.DATE: day,
                              CellKind.DATETIME: stamp}[kind]
        for kind, wrap in zip(kinds, wraps, strict=True)
    ]
    # Every width below leaves room for its header on two lines.
    ws.set_row(0, row_height(2))
    for c, column in enumerate(COLUMNS):
        ws.write_string(0, c, column.header, header)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(reg.findings), 1), len(COLUMNS) - 1)

    widths, last_row = _worker_rows(reg, rows, StyleIndex(), header=header, text=text, day=day,
                                    stamp=stamp, number=number, status_formats=status_formats,
                                    column_formats=column_formats)
    for c, column in enumerate(COLUMNS):
        if wraps[c]:
            width = WRAPPED_WIDTHS[column.header]
        elif column.kind is CellKind.INT:
            width = fitting_width([str(len(reg.findings) + 100)], column.header)
        elif column.kind in _FIXED_WIDTHS:
            width = _FIXED_WIDTHS[column.kind]
        else:
            width = fitting_width(widths[c], column.header)
        # The column format matters for cells a person fills in later: an ID typed into a
        # text column stays text instead of becoming 5.00381E+17.
        ws.set_column(c, c, width, column_formats[c])
    print_landscape(ws, footer=register_footer(reg.meta))
    return last_row


#: Columns whose text is mostly one of a few values (an item, an issuer, a reason): their
#: cells' XML is kept once made. Names, IDs, certificate numbers and the time checked are
#: different on every row and are not.
_REPEATING = frozenset(
    {"工作表", "核验结果", "原因", "提示", "申报作业类别", "申报操作项目", "官方作业类别",
     "官方操作项目", "签发机关", "证书状态", "数据来源", "说明"}
)


def _sized_columns() -> list[int]:
    """The text columns sized to their values: not the wrapped ones, whose width is fixed,
    nor the status column, whose values are a few short words sized by its header."""
    return [c for c, column in enumerate(COLUMNS)
            if column.kind is CellKind.TEXT and column.header not in WRAPPED_WIDTHS
            and c != STATUS_COLUMN]


def _line_counter() -> Callable[[tuple[Cell, ...]], int]:
    """What tells the lines a row's wrapped cells need (at least 1)."""
    # (column, width, the lines of each text seen): reasons and hints repeat, so each text is
    # measured once; a text of few characters fits on one line without measuring.
    wrap_at: list[tuple[int, float, dict[str, int]]] = [
        (c, WRAPPED_WIDTHS[column.header], {}) for c, column in enumerate(COLUMNS)
        if column.header in WRAPPED_WIDTHS
    ]

    def lines_of(values: tuple[Cell, ...]) -> int:
        lines = 1
        for c, width, measured in wrap_at:
            value = values[c]
            if isinstance(value, str) and 2 * len(value) >= width:
                count = measured.get(value)
                if count is None:
                    count = measured[value] = lines_needed(value, width)
                if count > lines:
                    lines = count
        return lines

    return lines_of


def _worker_rows(
    reg: Register, rows: RowsFile, style: StyleIndex, *, header: Any, text: Any, day: Any,
    stamp: Any, number: Any, status_formats: dict[Status, Any], column_formats: list[Any],
) -> tuple[list[set[str]], Callable[[], None]]:
    """Write one row per worker to ``rows`` but the last; return the values of each column
    sized to them, and what writes the last row.

    Cells come in the order xlsxwriter would write them and each format's style index is asked
    for at its first cell (see ``sheet_xml``): the header row first, each row when the next one
    starts, the last one only as the workbook closes, after the other sheets' rows. The last
    row is left to the caller for that.
    """
    kinds = [column.kind for column in COLUMNS]
    sized = _sized_columns()
    repeating = [column.header in _REPEATING for column in COLUMNS]
    names = [column_name(c) for c in range(len(COLUMNS))]
    seen: list[set[str]] = [set() for _ in COLUMNS]
    lines_of = _line_counter()
    # Per column, the tail of a cell after its reference: `` s="2" t="inlineStr"><is>…</c>``.
    known: list[dict[Any, str]] = [{} for _ in COLUMNS]
    write = rows.write

    # The first cell of each kind of value: made here, kept in ``known`` for the next ones.
    # The cells of every row (a name, an ID) are made inline in ``emit``, which runs per row.
    def status_tail(fmt: Any, value: Cell) -> str:
        tail = known[STATUS_COLUMN][fmt] = (f'{style(fmt)} t="inlineStr">'
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
            fmt = stamp if kinds[c] is CellKind.DATETIME else day
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
                continue
            if c == STATUS_COLUMN:
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
                    tail = f'{style(column_formats[c])} t="inlineStr">{inline_text(value)}</c>'
            elif isinstance(value, date):
                tail = known[c].get(value)
                if tail is None:
                    tail = date_tail(c, value)
            else:
                tail = f"{style(number)}><v>{number_text(value)}</v></c>"
            parts.append(f'<c r="{names[c]}{ref}"{tail}')
        parts.append("</row>")
        write("".join(parts))
        rows.last_row = r

    masker = Masker(reg.mask_ids)
    sheets = reg.meta.sheets
    last: tuple[int, Finding, tuple[Cell, ...]] | None = None
    if reg.findings:
        style(header)
    for r, finding in enumerate(reg.findings, start=1):
        values = flat_row(finding, masker, sheets)
        for c in sized:
            value = values[c]
            if isinstance(value, str):
                seen[c].add(value)
        if last is not None:
            emit(*last)
        last = (r, finding, values)

    def finish() -> None:
        if last is not None:
            emit(*last)

    return seen, finish


def sample_label(meta: RegisterMeta) -> str:
    sample = meta.sample
    if sample is None:
        return "全部人员"
    label = f"抽查 {sample.size} 人 / 共 {sample.population} 人"
    return label if sample.seed is None else f"{label} (seed {sample.seed})"


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
_SUMMARY_VALUE_WIDTH = 40.0
#: The chart's extent in default cells (576 × 346 pixels at 64 × 20 pixels a cell).
_CHART_COLUMNS = 9
_CHART_ROWS = 18


def _summary_sheet(wb: Any, reg: Register) -> None:
    meta, verdict = reg.meta, reg.verdict
    ws = wb.add_worksheet(SUMMARY_SHEET)
    label = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    header = _header(wb)
    day = wb.add_format({"num_format": DATE_FORMAT, "align": "left"})
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
    lines: list[tuple[str, str]] = [("数据来源", meta.source), ("花名册", meta.roster_file)]
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
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": "核验结果分布"})
    chart.set_legend({"none": True})
    chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True}})
    ws.insert_chart(0, 3, chart, {"x_scale": 1.2, "y_scale": 1.2})
    # The facts and the chart (about 9 default columns by 18 rows from D1) on one page.
    print_landscape(ws, footer=register_footer(meta), repeat_header=False)
    ws.fit_to_pages(1, 1)
    ws.print_area(0, 0, max(row, _CHART_ROWS), 3 + _CHART_COLUMNS)


#: Headers of the 输入问题 sheet: the code for programs, then what it means for a person.
ISSUE_HEADERS = ("行号", "代码", "问题", "怎么办", "说明")
_ISSUE_MESSAGE_WIDTH = 60.0
_ISSUE_WRAP_WIDTH = 30.0


def _issues_sheet(wb: Any, reg: Register, masker: Masker) -> None:
    issues = reg.input_issues
    ws = wb.add_worksheet(ISSUES_SHEET)
    header = _header(wb)
    text = wb.add_format({"num_format": "@", "valign": "top"})
    wrapped = wb.add_format({"num_format": "@", "valign": "top", "text_wrap": True})
    number = wb.add_format({"valign": "top"})
    rows = [
        (issue.row, issue.code, *explain(issue.code), masker.text(issue.message) or "")
        for issue in issues
    ]
    code_width = fitting_width((r[1] for r in rows), "代码", minimum=8)
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
        lines = max(lines_needed(problem, problem_width), lines_needed(todo, todo_width),
                    lines_needed(message, message_width))
        if lines > 1:
            ws.set_row(r, row_height(lines))
        if row is not None:
            ws.write_number(r, 0, row, number)
        ws.write_string(r, 1, code, text)
        ws.write_string(r, 2, problem, wrapped)
        ws.write_string(r, 3, todo, wrapped)
        ws.write_string(r, 4, message, wrapped)
    print_landscape(ws, footer=register_footer(reg.meta))


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
    ]


def _marker_sheet(wb: Any, reg: Register) -> None:
    ws = wb.add_worksheet(MARKER_SHEET)
    for r, (key, value) in enumerate(marker_rows(reg)):
        ws.write_string(r, 0, key)
        if value:
            ws.write_string(r, 1, value)
    ws.hide()
