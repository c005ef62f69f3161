"""附件1 as the office sends it: a workbook laid out like the notice's table, and as JSON.

The first sheet reproduces the form cell for cell — title, 填报单位 line, the table with its
merged 类别 cells, the 填表人/联系电话 line — and prints on one A4 page, so it can be printed,
stamped and scanned as the notice asks. The sheets after it (分单位明细, 来源登记表, 提示) let
the office trace every figure back to an enterprise and a register file.

Every text goes through ``write_string`` and the workbook's string conversions are off: an
enterprise name such as ``=HYPERLINK(…)`` from a register must stay text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from certcheck.atomic import atomic_write
from certcheck.summary.aggregate import (
    FINES,
    INSPECTION_CATEGORY,
    INSPECTION_ROWS,
    INSPECTION_SUBJECT,
    RECTIFY,
    SELF_CHECK_CATEGORY,
    SELF_CHECK_ROWS,
    SUSPEND,
    EnterpriseFigures,
    Measure,
    Summary,
)

TITLE = "特种作业人员持假证和无证上岗专项治理行动情况汇总表"
FORM_SHEET = "汇总表"
DETAIL_SHEET = "分单位明细"
REGISTERS_SHEET = "来源登记表"
WARNINGS_SHEET = "提示"

HEADER = ("类别", "项目", "汇总数据")
UNIT_LABEL = "填报单位："
FILLER_LABEL = "填表人"
PHONE_LABEL = "联系电话"

DETAIL_HEADERS = (
    "单位名称", "自查情况", "自查人数", "自查假证", "自查无证", "检查人数", "检查假证",
    "检查逾期", "检查无证", "措施", "罚款（万元）", "来源登记表",
)
REGISTER_HEADERS = (
    "文件", "单位名称", "类型", "核验日期", "人数", "假证", "逾期", "无证", "未核验", "抽查",
)

# Rows (0-based) of the form sheet; the tests read the workbook back by these.
TITLE_ROW = 0
UNIT_ROW = 1
HEADER_ROW = 2
FIRST_FIGURE_ROW = 3
FOOTER_ROW = FIRST_FIGURE_ROW + len(SELF_CHECK_ROWS) + len(INSPECTION_ROWS)

_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
# 宋体/黑体 are on every Chinese Windows and WPS install and are what the notice was typeset in
# its tables; LibreOffice substitutes a CJK font where they are missing.
_BODY_FONT = "宋体"
_TITLE_FONT = "黑体"
_PAPER_A4 = 9


@dataclass(frozen=True, slots=True)
class FormHeader:
    """The parts of the form that no register knows."""

    unit: str = ""
    filler: str = ""
    phone: str = ""


def figure_value(value: int | Decimal) -> int | float:
    return float(value) if isinstance(value, Decimal) else value


def summary_to_dict(summary: Summary, header: FormHeader) -> dict[str, Any]:
    """The JSON of ``summary --format json``: form labels in form order, then the detail."""
    data: dict[str, Any] = {"填报单位": header.unit}
    data.update({label: figure_value(v) for label, v in summary.rows()})
    data[FILLER_LABEL] = header.filler
    data[PHONE_LABEL] = header.phone
    data["per_enterprise"] = [_enterprise_dict(e) for e in summary.per_enterprise]
    data["registers"] = [
        {
            "file": r.file, "enterprise": r.enterprise, "kind": r.kind.value,
            "as_of": r.as_of.isoformat(), "workers": r.workers, "fake": r.fake,
            "expired": r.expired, "uncertified": r.uncertified, "unverified": r.unverified,
            "sampled": r.sampled,
        }
        for r in summary.registers
    ]
    data["warnings"] = list(summary.warnings)
    return data


def _enterprise_dict(e: EnterpriseFigures) -> dict[str, Any]:
    values = _detail_values(e)
    return dict(zip(DETAIL_HEADERS, values, strict=True))


def _detail_values(e: EnterpriseFigures) -> list[str | int | float]:
    return [
        e.name, e.self_check_label, e.self_workers, e.self_fake, e.self_uncertified,
        e.inspection_workers, e.inspection_fake, e.inspection_expired, e.inspection_uncertified,
        "、".join(m.value for m in e.measures), float(e.fine), "、".join(e.sources),
    ]


def write_form(summary: Summary, header: FormHeader, path: Path) -> None:
    """Write the workbook to ``path`` atomically, mode 0600."""
    atomic_write(path, lambda tmp: _write(summary, header, tmp))


def _write(summary: Summary, header: FormHeader, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), _WORKBOOK_OPTIONS)
    try:
        _form_sheet(wb, summary, header)
        _detail_sheet(wb, summary)
        _registers_sheet(wb, summary)
        if summary.warnings:
            _warnings_sheet(wb, summary)
    finally:
        wb.close()


def _fmt(wb: Any, **props: Any) -> Any:
    base: dict[str, Any] = {"font_name": _BODY_FONT, "font_size": 11, "valign": "vcenter"}
    base.update(props)
    return wb.add_format(base)


def _form_sheet(wb: Any, summary: Summary, header: FormHeader) -> None:
    ws = wb.add_worksheet(FORM_SHEET)
    title = _fmt(wb, font_name=_TITLE_FONT, font_size=18, bold=True, align="center",
                 text_wrap=True)
    unit = _fmt(wb, font_size=12, align="left")
    head = _fmt(wb, font_name=_TITLE_FONT, font_size=12, bold=True, align="center", border=1,
                text_wrap=True)
    category = _fmt(wb, font_size=12, align="center", border=1, text_wrap=True)
    label = _fmt(wb, font_size=11, align="left", indent=1, border=1, text_wrap=True)
    number = _fmt(wb, font_size=12, align="center", border=1, num_format="0")
    money = _fmt(wb, font_size=12, align="center", border=1, num_format="0.00")
    cell = _fmt(wb, font_size=12, align="center", border=1, text_wrap=True)

    # Widths in characters; a CJK character is two. Column A wraps 生产经营单位全面自查情况 into
    # three lines of four characters, as the notice's table does.
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 38)
    ws.set_column(3, 3, 16)

    ws.set_row(TITLE_ROW, 54)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, 3, TITLE, title)
    ws.set_row(UNIT_ROW, 28)
    ws.merge_range(UNIT_ROW, 0, UNIT_ROW, 3, UNIT_LABEL + header.unit, unit)
    ws.set_row(HEADER_ROW, 30)
    ws.write_string(HEADER_ROW, 0, HEADER[0], head)
    ws.merge_range(HEADER_ROW, 1, HEADER_ROW, 2, HEADER[1], head)
    ws.write_string(HEADER_ROW, 3, HEADER[2], head)

    row = FIRST_FIGURE_ROW
    first = row
    for text in SELF_CHECK_ROWS:
        ws.set_row(row, 36)
        ws.merge_range(row, 1, row, 2, text, label)
        ws.write_number(row, 3, figure_value(summary.figures[text]), number)
        row += 1
    ws.merge_range(first, 0, row - 1, 0, SELF_CHECK_CATEGORY, category)

    first = row
    for text in INSPECTION_ROWS:
        ws.set_row(row, 30)
        ws.write_string(row, 2, text, label)
        ws.write_number(row, 3, figure_value(summary.figures[text]),
                        money if text == FINES else number)
        row += 1
    ws.merge_range(first, 0, row - 1, 0, INSPECTION_CATEGORY, category)
    ws.merge_range(first, 1, row - 1, 1, INSPECTION_SUBJECT, category)

    assert row == FOOTER_ROW
    ws.set_row(row, 30)
    ws.write_string(row, 0, FILLER_LABEL, cell)
    ws.write_string(row, 1, header.filler, cell)
    ws.write_string(row, 2, PHONE_LABEL, cell)
    ws.write_string(row, 3, header.phone, cell)

    ws.print_area(0, 0, FOOTER_ROW, 3)
    ws.set_paper(_PAPER_A4)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.7, right=0.7, top=0.9, bottom=0.9)
    ws.hide_gridlines(2)
    ws.activate()


def _table_sheet(
    wb: Any, name: str, headers: tuple[str, ...], widths: tuple[int, ...]
) -> tuple[Any, Any, Any, Any]:
    ws = wb.add_worksheet(name)
    head = _fmt(wb, bold=True, border=1, align="center", bg_color="#D9E1F2", text_wrap=True)
    text = _fmt(wb, border=1)
    number = _fmt(wb, border=1, num_format="0")
    for col, (h, width) in enumerate(zip(headers, widths, strict=True)):
        ws.set_column(col, col, width)
        ws.write_string(0, col, h, head)
    ws.freeze_panes(1, 0)
    ws.set_landscape()
    ws.set_paper(_PAPER_A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    return ws, text, number, head


def _put(ws: Any, row: int, col: int, value: str | int | float, text: Any, number: Any) -> None:
    if isinstance(value, str):
        ws.write_string(row, col, value, text)
    else:
        ws.write_number(row, col, value, number)


def _detail_sheet(wb: Any, summary: Summary) -> None:
    ws, text, number, head = _table_sheet(
        wb, DETAIL_SHEET, DETAIL_HEADERS, (34, 12, 9, 9, 9, 9, 9, 9, 9, 18, 12, 40)
    )
    money = _fmt(wb, border=1, num_format="0.00")
    row = 1
    for e in summary.per_enterprise:
        for col, value in enumerate(_detail_values(e)):
            _put(ws, row, col, value, text, money if col == 10 else number)
        row += 1
    per = summary.per_enterprise
    checked = sum(1 for e in per if e.self_checked)
    missing = sum(1 for e in per if e.not_self_checked)
    # Totals are values, not formulas: a reader without a calculation engine sees them too.
    totals: list[str | int | float] = [
        "合计", f"已自查 {checked}；未开展 {missing}",
        sum(e.self_workers for e in per), sum(e.self_fake for e in per),
        sum(e.self_uncertified for e in per), sum(e.inspection_workers for e in per),
        sum(e.inspection_fake for e in per), sum(e.inspection_expired for e in per),
        sum(e.inspection_uncertified for e in per),
        "；".join(f"{k} {v}" for k, v in _measure_counts(summary).items()),
        figure_value(summary.figures[FINES]), f"{len(summary.registers)} 份",
    ]
    for col, value in enumerate(totals):
        _put(ws, row, col, value, head, money if col == 10 else head)
    ws.autofilter(0, 0, max(row - 1, 1), len(DETAIL_HEADERS) - 1)


def _measure_counts(summary: Summary) -> dict[str, int]:
    return {
        Measure.RECTIFY.value: int(summary.figures[RECTIFY]),
        Measure.SUSPEND.value: int(summary.figures[SUSPEND]),
    }


def _registers_sheet(wb: Any, summary: Summary) -> None:
    ws, text, number, _ = _table_sheet(
        wb, REGISTERS_SHEET, REGISTER_HEADERS, (36, 34, 10, 12, 8, 8, 8, 8, 8, 8)
    )
    for row, r in enumerate(summary.registers, start=1):
        values: list[str | int | float] = [
            r.file, r.enterprise, r.kind.zh,
            r.as_of.isoformat(), r.workers, r.fake, r.expired, r.uncertified, r.unverified,
            "是" if r.sampled else "否",
        ]
        for col, value in enumerate(values):
            _put(ws, row, col, value, text, number)


def _warnings_sheet(wb: Any, summary: Summary) -> None:
    ws, text, _, _ = _table_sheet(wb, WARNINGS_SHEET, ("提示",), (120,))
    for row, message in enumerate(summary.warnings, start=1):
        ws.write_string(row, 0, message, text)
