"""附件1 as the office sends it: a workbook laid out like the notice's table, and as JSON.

The first sheet reproduces the form cell for cell — the 附件1 label, the title, the 填报单位
and 填报日期 line, the table with its merged 类别 cells, the 填表人/联系电话 line — and prints on
one A4 page, so it can be printed, stamped and scanned as the notice asks. The sheets after
it (分单位明细, 来源登记表, 跨单位人员, 提示) let the office trace every figure back to an
enterprise and a register file (来源登记表 lists the superseded registers too, naming what
replaces them) and see the people found in two or more enterprises; they print A4 landscape,
one page wide, the header row on every page.

Every text goes through ``write_string`` and the workbook's string conversions are off: an
enterprise name such as ``=HYPERLINK(…)`` from a register must stay text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from certcheck.atomic import atomic_write
from certcheck.register.layout import (
    PAPER_A4,
    as_of_text,
    display_width,
    fitting_width,
    footer_text,
    lines_needed,
    print_landscape,
    row_height,
)
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
    RegisterRef,
    Summary,
)
from certcheck.summary.crossref import CrossCheck

#: The label above the title, as the notice numbers its attachments.
ATTACHMENT_LABEL = "附件1"
TITLE = "特种作业人员持假证和无证上岗专项治理行动情况汇总表"
#: The title as the notice sets it, on two lines.
TITLE_LINES = ("特种作业人员持假证和无证上岗", "专项治理行动情况汇总表")
FORM_SHEET = "汇总表"
DETAIL_SHEET = "分单位明细"
REGISTERS_SHEET = "来源登记表"
CROSS_SHEET = "跨单位人员"
WARNINGS_SHEET = "提示"

HEADER = ("类别", "项目", "汇总数据")
UNIT_LABEL = "填报单位："
DATE_LABEL = "填报日期："
FILLER_LABEL = "填表人"
PHONE_LABEL = "联系电话"

DETAIL_HEADERS = (
    "单位名称", "自查情况", "自查人数", "自查假证", "自查无证", "检查人数", "检查假证",
    "检查逾期", "检查无证", "措施", "罚款（万元）", "来源登记表",
)
REGISTER_HEADERS = (
    "文件", "单位名称", "类型", "核验日期", "人数", "假证", "逾期", "无证", "未核验", "抽查",
    "核验时间", "计入汇总",
)
#: What 计入汇总 says of a register that counts.
COUNTED = "计入"
CROSS_HEADERS = ("序号", "姓名", "身份证号", "单位名称", "检查类型", "核验结果", "登记表", "行号")


# Rows (0-based) of the form sheet; the tests read the workbook back by these.
LABEL_ROW = 0
TITLE_ROW = 1
UNIT_ROW = 2
HEADER_ROW = 3
FIRST_FIGURE_ROW = 4
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


@dataclass(frozen=True, slots=True)
class FormHeader:
    """The parts of the form that no register knows."""

    unit: str = ""
    filler: str = ""
    phone: str = ""
    #: 填报日期; None leaves the date for the office to write in by hand.
    date: date | None = None

    @property
    def date_text(self) -> str:
        """``2026年12月1日``, or blanks to fill in: ``    年  月  日``."""
        return as_of_text(self.date) if self.date is not None else "    年  月  日"


def figure_value(value: int | Decimal) -> int | float:
    return float(value) if isinstance(value, Decimal) else value


def summary_to_dict(summary: Summary, header: FormHeader) -> dict[str, Any]:
    """The JSON of ``summary --format json``: form labels in form order, then the detail."""
    data: dict[str, Any] = {
        "填报单位": header.unit,
        "填报日期": header.date.isoformat() if header.date is not None else None,
    }
    data.update({label: figure_value(v) for label, v in summary.rows()})
    data[FILLER_LABEL] = header.filler
    data[PHONE_LABEL] = header.phone
    data["per_enterprise"] = [_enterprise_dict(e) for e in summary.per_enterprise]
    data["registers"] = [_register_dict(r) for r in summary.registers]
    data["warnings"] = list(summary.warnings)
    data["superseded"] = [_register_dict(r) for r in summary.superseded]
    data["cross_enterprise"] = [
        {
            "names": list(p.names), "id_number": p.id_shown,
            "appearances": [
                {"enterprise": a.enterprise, "kind": a.kind.value, "status": a.status.value,
                 "status_zh": a.status.zh, "name": a.name, "file": a.file, "sheet": a.sheet,
                 "row": a.row}
                for a in p.appearances
            ],
        }
        for p in summary.cross.people
    ]
    return data


def _register_dict(r: RegisterRef) -> dict[str, Any]:
    return {
        "file": r.file, "enterprise": r.enterprise, "kind": r.kind.value,
        "as_of": r.as_of.isoformat(), "workers": r.workers, "fake": r.fake,
        "expired": r.expired, "uncertified": r.uncertified, "unverified": r.unverified,
        "sampled": r.sampled,
        "generated_at": r.generated_at.isoformat() if r.generated_at is not None else None,
        "superseded_by": r.superseded_by,
    }


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
        _detail_sheet(wb, summary, header)
        _registers_sheet(wb, summary, header)
        _cross_sheet(wb, summary.cross, header)
        if summary.warnings:
            _warnings_sheet(wb, summary, header)
    finally:
        wb.close()


def _fmt(wb: Any, **props: Any) -> Any:
    base: dict[str, Any] = {"font_name": _BODY_FONT, "font_size": 11, "valign": "vcenter"}
    base.update(props)
    return wb.add_format(base)


def _form_sheet(wb: Any, summary: Summary, header: FormHeader) -> None:
    ws = wb.add_worksheet(FORM_SHEET)
    attachment = _fmt(wb, font_name=_TITLE_FONT, font_size=14, align="left")
    title = _fmt(wb, font_name=_TITLE_FONT, font_size=18, bold=True, align="center",
                 text_wrap=True)
    unit = _fmt(wb, font_size=12, align="left", text_wrap=True)
    day = _fmt(wb, font_size=12, align="right")
    head = _fmt(wb, font_name=_TITLE_FONT, font_size=12, bold=True, align="center", border=1,
                text_wrap=True)
    category = _fmt(wb, font_size=12, align="center", border=1, text_wrap=True)
    label = _fmt(wb, font_size=11, align="left", indent=1, border=1, text_wrap=True)
    number = _fmt(wb, font_size=12, align="center", border=1, num_format="0")
    money = _fmt(wb, font_size=12, align="center", border=1, num_format="0.00")
    cell = _fmt(wb, font_size=12, align="center", border=1, text_wrap=True)

    # Widths in characters; a CJK character is two. Column A wraps 生产经营单位全面自查情况 into
    # three lines of four characters, as the notice's table does.
    widths = (10, 14, 34, 24)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)

    ws.set_row(LABEL_ROW, 24)
    ws.write_string(LABEL_ROW, 0, ATTACHMENT_LABEL, attachment)
    ws.set_row(TITLE_ROW, 60)
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, 3, "\n".join(TITLE_LINES), title)
    unit_text = UNIT_LABEL + header.unit
    # 填报单位 takes A:C (58 wide at 12 points, about 52 at 11); a longer name wraps.
    ws.set_row(UNIT_ROW, row_height(lines_needed(unit_text, 50), 18) + 6)
    ws.merge_range(UNIT_ROW, 0, UNIT_ROW, 2, unit_text, unit)
    ws.write_string(UNIT_ROW, 3, DATE_LABEL + header.date_text, day)
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
    lines = max(lines_needed(header.filler, widths[1]), lines_needed(header.phone, widths[3]))
    ws.set_row(row, max(30, row_height(lines, 16)))
    ws.write_string(row, 0, FILLER_LABEL, cell)
    ws.write_string(row, 1, header.filler, cell)
    ws.write_string(row, 2, PHONE_LABEL, cell)
    ws.write_string(row, 3, header.phone, cell)

    ws.print_area(0, 0, FOOTER_ROW, 3)
    ws.set_paper(PAPER_A4)
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.7, right=0.7, top=0.9, bottom=0.9)
    ws.hide_gridlines(2)
    ws.activate()


Value = str | int | float
#: Points a line of 11-point 宋体 takes in a table row.
_TABLE_LINE = 16.0


@dataclass(frozen=True, slots=True)
class _CellFormats:
    text: Any
    number: Any
    money: Any


def _table_sheet(
    wb: Any,
    name: str,
    headers: tuple[str, ...],
    rows: list[list[Value]],
    *,
    maximum: dict[int, float] | None = None,
    bold_last: bool = False,
    money_columns: frozenset[int] = frozenset(),
    footer: str | None = None,
) -> Any:
    """A plain table: widths by display width, long text wrapped, each row as tall as it needs,
    A4 landscape one page wide with the header row on every page."""
    ws = wb.add_worksheet(name)
    head = _fmt(wb, bold=True, border=1, align="center", bg_color="#D9E1F2", text_wrap=True)
    plain = _CellFormats(
        text=_fmt(wb, border=1, text_wrap=True, valign="top"),
        number=_fmt(wb, border=1, num_format="0", valign="top"),
        money=_fmt(wb, border=1, num_format="0.00", valign="top"),
    )
    total = _CellFormats(
        text=_fmt(wb, bold=True, border=1, bg_color="#D9E1F2", text_wrap=True, valign="top"),
        number=_fmt(wb, bold=True, border=1, bg_color="#D9E1F2", num_format="0", valign="top"),
        money=_fmt(wb, bold=True, border=1, bg_color="#D9E1F2", num_format="0.00",
                   valign="top"),
    )
    # Each value's text is needed twice, for its column's width and its row's height. It is
    # made twice rather than kept: the cross-enterprise sheet can have a row for every worker
    # of a district, and a second copy of the table would double what the sheet holds.
    widths = _column_widths(headers, rows, maximum or {})
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.set_row(0, row_height(max(lines_needed(h, w) for h, w in zip(headers, widths,
                                                                     strict=True)), _TABLE_LINE))
    for col, h in enumerate(headers):
        ws.write_string(0, col, h, head)
    for r, values in enumerate(rows, start=1):
        formats = total if bold_last and r == len(rows) else plain
        _table_row(ws, r, values, [_shown(v) for v in values], widths, formats, money_columns)
    ws.freeze_panes(1, 0)
    print_landscape(ws, footer=footer)
    return ws


def _column_widths(
    headers: tuple[str, ...], rows: list[list[Value]], limits: dict[int, float]
) -> list[float]:
    widths: list[float] = []
    for col, h in enumerate(headers):
        # A short header stays on one line; a long one may take two.
        lines = 1 if display_width(h) <= 12 else 2
        widths.append(fitting_width((_shown(values[col]) for values in rows), h,
                                    maximum=limits.get(col, 60), header_lines=lines))
    return widths


def _table_row(
    ws: Any,
    r: int,
    values: list[Value],
    texts: list[str],
    widths: list[float],
    formats: _CellFormats,
    money_columns: frozenset[int],
) -> None:
    lines = max(lines_needed(t, w) for t, w in zip(texts, widths, strict=True))
    # Every row gets its height: the default is too low for CJK text in 宋体.
    ws.set_row(r, row_height(lines, _TABLE_LINE))
    for col, value in enumerate(values):
        if isinstance(value, str):
            ws.write_string(r, col, value, formats.text)
        else:
            ws.write_number(r, col, value,
                            formats.money if col in money_columns else formats.number)


def _shown(value: Value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _footer(header: FormHeader) -> str:
    return footer_text(f"填报单位：{header.unit}", f"填报日期：{header.date_text}")


_DETAIL_MONEY = frozenset({DETAIL_HEADERS.index("罚款（万元）")})


def _detail_sheet(wb: Any, summary: Summary, header: FormHeader) -> None:
    per = summary.per_enterprise
    rows: list[list[Value]] = [list(_detail_values(e)) for e in per]
    checked = sum(1 for e in per if e.self_checked)
    missing = sum(1 for e in per if e.not_self_checked)
    # Totals are values, not formulas: a reader without a calculation engine sees them too.
    rows.append([
        "合计", f"已自查 {checked}；未开展 {missing}",
        sum(e.self_workers for e in per), sum(e.self_fake for e in per),
        sum(e.self_uncertified for e in per), sum(e.inspection_workers for e in per),
        sum(e.inspection_fake for e in per), sum(e.inspection_expired for e in per),
        sum(e.inspection_uncertified for e in per),
        "；".join(f"{k} {v}" for k, v in _measure_counts(summary).items()),
        figure_value(summary.figures[FINES]), f"{len(summary.registers)} 份",
    ])
    # Long names and file lists wrap instead of making the printed page unreadably small.
    ws = _table_sheet(wb, DETAIL_SHEET, DETAIL_HEADERS, rows,
                      maximum={0: 30, 1: 12, 9: 16, 11: 30}, bold_last=True,
                      money_columns=_DETAIL_MONEY, footer=_footer(header))
    ws.autofilter(0, 0, max(len(rows) - 1, 1), len(DETAIL_HEADERS) - 1)


def _measure_counts(summary: Summary) -> dict[str, int]:
    return {
        Measure.RECTIFY.value: int(summary.figures[RECTIFY]),
        Measure.SUSPEND.value: int(summary.figures[SUSPEND]),
    }


def superseded_label(by: str) -> str:
    return f"否：已被替代（由 {by} 替代）"


def _registers_sheet(wb: Any, summary: Summary, header: FormHeader) -> None:
    rows: list[list[Value]] = [
        [
            r.file, r.enterprise, r.kind.zh,
            r.as_of.isoformat(), r.workers, r.fake, r.expired, r.uncertified, r.unverified,
            "是" if r.sampled else "否",
            f"{r.generated_at:%Y-%m-%d %H:%M:%S}" if r.generated_at is not None else "",
            COUNTED if r.superseded_by is None else superseded_label(r.superseded_by),
        ]
        for r in (*summary.registers, *summary.superseded)
    ]
    _table_sheet(wb, REGISTERS_SHEET, REGISTER_HEADERS, rows,
                 maximum={0: 36, 1: 30, len(REGISTER_HEADERS) - 1: 30}, footer=_footer(header))


def cross_lead(cross: CrossCheck) -> str:
    """The sentence above the list of people found in several enterprises."""
    if cross.enterprises < 2:
        return "只有一家单位的登记表，无需跨单位比对"
    if cross.comparable < 2:
        return (f"未能比对：{cross.enterprises} 家单位中，能比对的人员只在 "
                f"{cross.comparable} 家单位的登记表中（原因见提示）")
    if not cross.people:
        return (f"比对了 {cross.comparable} 家单位的 {cross.compared} 人，未发现同一身份证号出现在"
                "两家及以上单位")
    return (f"比对了 {cross.comparable} 家单位的 {cross.compared} 人：{len(cross.people)} 人的"
            "身份证号出现在两家及以上单位，可能转借、冒用证件，请核查")


def _cross_sheet(wb: Any, cross: CrossCheck, header: FormHeader) -> None:
    """One row per person and enterprise register, the person's number repeated so that the
    rows can be filtered; the notes on what could not be compared below the table."""
    rows: list[list[Value]] = [
        [n, a.name or "", person.id_shown, a.enterprise, a.kind.zh, a.status.zh, a.file, a.row]
        for n, person in enumerate(cross.people, 1)
        for a in person.appearances
    ]
    ws = _table_sheet(wb, CROSS_SHEET, CROSS_HEADERS, rows, maximum={3: 30, 6: 36},
                      footer=_footer(header))
    note = _fmt(wb, valign="top", text_wrap=True)
    for i, text in enumerate((cross_lead(cross), *cross.notes)):
        r = len(rows) + 2 + i
        # Across the table's width, about 100 characters, wrapped to as many lines as it needs.
        ws.set_row(r, row_height(lines_needed(text, _NOTE_WIDTH), _TABLE_LINE))
        ws.merge_range(r, 0, r, len(CROSS_HEADERS) - 1, text, note)


_NOTE_WIDTH = 90.0


def _warnings_sheet(wb: Any, summary: Summary, header: FormHeader) -> None:
    rows: list[list[Value]] = [[i, message] for i, message in enumerate(summary.warnings, 1)]
    _table_sheet(wb, WARNINGS_SHEET, ("序号", "提示"), rows, maximum={1: 100},
                 footer=_footer(header))
