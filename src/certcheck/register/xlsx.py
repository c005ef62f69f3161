"""The register workbook (SPEC.md, "The register workbook").

Sheets: 核验登记表 (one row per worker), 汇总 (counts, 依法持证率, verdict, the roster sheets
read and those skipped with why, a native chart),
输入问题 (only when there are any) and a hidden ``_certcheck`` sheet of key/value rows by which
:mod:`certcheck.register.reader` recognises the file and recovers its metadata.

Every text is written with ``write_string``: whatever a roster contained (``=HYPERLINK(…)``, an
all-digit ID number, ``http://…``) lands in the cell as the literal text. The workbook options
that would turn strings into formulas, numbers or links are switched off as well, so that no
future ``write`` call can reintroduce that.

``constant_memory`` mode streams rows to disk instead of keeping 2 million cell objects for a
100k-worker roster. Its one cost, no cached values for charts, is paid by handing the chart its
values directly.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from certcheck.atomic import atomic_write
from certcheck.models import InputIssue, Status
from certcheck.register.model import Register, RegisterMeta
from certcheck.register.view import (
    COLUMNS,
    STATUS_COLUMN,
    CellKind,
    Masker,
    count_by_sheet,
    flat_row,
    sheet_of,
)

MAIN_SHEET = "核验登记表"
SUMMARY_SHEET = "汇总"
ISSUES_SHEET = "输入问题"
MARKER_SHEET = "_certcheck"
#: Identifies the hidden sheet's content; bumped when the layout changes incompatibly.
MARKER_FORMAT = "certcheck-register"
FORMAT_VERSION = 1

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

# Day zero of Excel's 1900 date system as it applies from 1900-03-01 on (Lotus's leap-year bug).
_EPOCH = date(1899, 12, 30).toordinal()
_FIRST_SERIAL = date(1900, 3, 1).toordinal()


def _date_serial(value: date) -> float:
    """Excel's serial number for a date or a wall-clock datetime (any tzinfo is dropped)."""
    serial = float(value.toordinal() - _EPOCH)
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        serial += (seconds + value.microsecond / 1e6) / 86400
    return serial


def write_xlsx(reg: Register, path: Path) -> None:
    """Write the register workbook to ``path`` atomically, mode 0600."""
    if len(reg.findings) > MAX_WORKERS:
        raise ValueError(
            f"{len(reg.findings)} workers do not fit in one worksheet (Excel's limit is "
            f"{MAX_WORKERS}); write a .csv or .json register instead"
        )
    atomic_write(path, lambda tmp: _build(reg, tmp))


def _build(reg: Register, target: Path) -> None:
    # xlsxwriter spills every sheet's rows (ID numbers included) into temporary files that only
    # a successful close() removes. A private scratch directory of our own is removed however
    # the build ends; on failure the workbook is not closed, since assembling a half-written
    # workbook would only delay the error.
    with tempfile.TemporaryDirectory(prefix="certcheck-") as scratch:
        wb = xlsxwriter.Workbook(str(target), {**_OPTIONS, "tmpdir": scratch})
        _main_sheet(wb, reg)
        _summary_sheet(wb, reg)
        if reg.input_issues:
            _issues_sheet(wb, reg.input_issues, Masker(reg.mask_ids))
        _marker_sheet(wb, reg)
        wb.close()


def _header(wb: Any) -> Any:
    return wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "valign": "vcenter"}
    )


def _main_sheet(wb: Any, reg: Register) -> None:
    ws = wb.add_worksheet(MAIN_SHEET)
    header = _header(wb)
    text = wb.add_format({"num_format": "@"})
    day = wb.add_format({"num_format": DATE_FORMAT})
    stamp = wb.add_format({"num_format": DATETIME_FORMAT})
    status_formats = {
        status: wb.add_format({"bg_color": bg, "font_color": fg, "bold": status is Status.FAKE})
        for status, (bg, fg) in STATUS_COLOURS.items()
    }
    column_formats = {CellKind.TEXT: text, CellKind.INT: None, CellKind.DATE: day,
                      CellKind.DATETIME: stamp}
    for c, column in enumerate(COLUMNS):
        # The column format matters for cells a person fills in later: an ID typed into a
        # text column stays text instead of becoming 5.00381E+17.
        ws.set_column(c, c, column.width, column_formats[column.kind])
    for c, column in enumerate(COLUMNS):
        ws.write_string(0, c, column.header, header)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(reg.findings), 1), len(COLUMNS) - 1)

    kinds = [column.kind for column in COLUMNS]
    write_string = ws.write_string
    write_number = ws.write_number
    masker = Masker(reg.mask_ids)
    sheets = reg.meta.sheets
    for r, finding in enumerate(reg.findings, start=1):
        for c, value in enumerate(flat_row(finding, masker, sheets)):
            if value is None:
                continue
            if c == STATUS_COLUMN:
                write_string(r, c, value, status_formats[finding.status])
            elif isinstance(value, str):
                write_string(r, c, value, text)
            elif isinstance(value, date):
                if value.toordinal() < _FIRST_SERIAL:
                    write_string(r, c, value.isoformat(), text)
                else:
                    write_number(r, c, _date_serial(value),
                                 stamp if kinds[c] is CellKind.DATETIME else day)
            else:
                write_number(r, c, value)


def sample_label(meta: RegisterMeta) -> str:
    sample = meta.sample
    if sample is None:
        return "全部人员"
    label = f"抽查 {sample.size} 人 / 共 {sample.population} 人"
    return label if sample.seed is None else f"{label} (seed {sample.seed})"


def sheet_lines(reg: Register) -> tuple[list[str], list[str]]:
    """The sheets read, with their workers in this register (``电工（12 人）``), and the sheets
    skipped, with why (``填表说明：…``)."""
    meta = reg.meta
    counts = count_by_sheet((sheet_of(f, meta.sheets) for f in reg.findings), meta.sheets)
    read = [f"{name}（{n} 人）" for name, n in counts]
    skipped = [f"{name}：{why}" for name, why in meta.skipped_sheets]
    return read, skipped


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
    ws.set_column(1, 1, 36)

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
    for key, value in lines:
        if key:
            ws.write_string(row, 0, key, label)
        else:
            ws.write_blank(row, 0, None, label)
        ws.write_string(row, 1, value)
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


def _issues_sheet(wb: Any, issues: tuple[InputIssue, ...], masker: Masker) -> None:
    ws = wb.add_worksheet(ISSUES_SHEET)
    header = _header(wb)
    text = wb.add_format({"num_format": "@"})
    for c, (title, width) in enumerate((("行号", 8), ("代码", 22), ("说明", 80))):
        ws.set_column(c, c, width)
        ws.write_string(0, c, title, header)
    ws.freeze_panes(1, 0)
    for r, issue in enumerate(issues, start=1):
        if issue.row is not None:
            ws.write_number(r, 0, issue.row)
        ws.write_string(r, 1, issue.code, text)
        ws.write_string(r, 2, masker.text(issue.message) or "", text)


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
