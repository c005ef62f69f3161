"""The register workbook, read back with openpyxl as a user's Excel would see it."""

from __future__ import annotations

import re
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from certcheck.models import Declared, Finding, Reason, Status, Worker
from certcheck.register.view import HEADERS, SHEET_COLUMNS
from certcheck.register.xlsx import (
    ISSUES_SHEET,
    MAIN_SHEET,
    MARKER_SHEET,
    SUMMARY_SHEET,
    write_xlsx,
)
from factories import nth_id
from register_sheet import register_table
from test_register import PAYLOADS, build_register, payload_register


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, openpyxl.Workbook]:
    out = tmp_path_factory.mktemp("xlsx") / "register.xlsx"
    write_xlsx(build_register(), out)
    return out, openpyxl.load_workbook(out)


def _main(wb: openpyxl.Workbook) -> Worksheet:
    ws = wb[MAIN_SHEET]
    assert isinstance(ws, Worksheet)
    return ws


def test_sheets_in_order_with_marker_hidden(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    path, wb = workbook
    assert wb.sheetnames == [MAIN_SHEET, SUMMARY_SHEET, ISSUES_SHEET, MARKER_SHEET]
    assert wb[MARKER_SHEET].sheet_state == "hidden"
    assert wb[MAIN_SHEET].sheet_state == "visible"
    assert wb.active is not None and wb.active.title == MAIN_SHEET
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


#: The register sheet's columns: those an office signs, which print, then the rest.
PRINTED = ["序号", "姓名", "身份证号", "作业类别/操作项目", "证号", "有效期至", "应复审日期",
           "核验结果", "原因"]
ON_SCREEN = ["工作表", "行号", "提示", "申报证号", "申报作业类别", "申报操作项目", "官方证号",
             "官方作业类别", "官方操作项目", "实际复审日期", "签发机关", "证书状态", "核验时间",
             "数据来源", "说明"]


def test_register_sheet_rows(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    _, wb = workbook
    ws = _main(wb)
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "重庆某建设有限公司特种作业人员持证情况登记表"
    assert rows[1][0] == ("核验日期：2026年11月29日　　数据来源：本地登记文件（registry）　　"
                          "检查类型：执法检查　　核验范围：抽查 7 人 / 共 300 人（随机种子 7）")
    table = register_table(ws)
    assert table.header_row == 3
    assert table.header == PRINTED + ON_SCREEN
    # Every column of the CSV is there, 有效期结束日期 under the printed name 有效期至.
    assert set(HEADERS) - set(table.header) == {"有效期结束日期"}
    body = table.rows
    assert [r["行号"] for r in body] == [3, 4, 5, 6, 7, 9, 10]
    assert [r["序号"] for r in body] == [1, 2, 3, 4, 5, 6, 7]
    assert [r["核验结果"] for r in body] == [
        "有效", "逾期", "假证", "假证", "无证", "未核验", "未核验"
    ]
    first = body[0]
    assert first["姓名"] == "张三"
    assert first["原因"] is None  # nothing to explain for a valid worker
    assert first["提示"] == "即将到期或需复审；身份证号重复"
    assert first["申报证号"] == "T" + nth_id(1)
    assert first["证号"] == "T" + nth_id(1)
    assert first["作业类别/操作项目"] == "电工作业/低压电工作业"
    assert first["官方操作项目"] == "低压电工作业"
    assert first["有效期至"] == datetime(2027, 1, 10)
    assert first["应复审日期"] == datetime(2026, 12, 20)
    assert first["实际复审日期"] is None
    assert first["核验时间"] == datetime(2026, 11, 29, 10, 0, 0)
    assert first["数据来源"] == "本地登记文件（registry）"
    assert body[1]["数据来源"] == "本地登记文件（registry）（缓存）"
    assert str(body[1]["身份证号"]).endswith("X")
    # The roster gave only the item; the certificate shown is the official one.
    assert body[1]["作业类别/操作项目"] == "低压电工作业"
    assert body[1]["证号"] == body[1]["官方证号"] != body[1]["申报证号"]
    assert body[3]["原因"] == "姓名与证件号码不符"
    assert body[3]["官方证号"] == "T" + nth_id(4)  # no decisive record: the first one found
    assert body[5]["核验时间"] is None and body[5]["官方证号"] is None
    assert body[6]["说明"] == f"timeout while looking up {nth_id(7)}"


def test_ids_are_text_and_dates_are_dates(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    _, wb = workbook
    ws = _main(wb)
    table = register_table(ws)
    id_col = table.column("身份证号")
    date_col = table.column("有效期至")
    first = table.first_row
    for r in range(first, first + len(table.rows)):
        cell = ws.cell(r, id_col)
        assert cell.data_type == "s" and isinstance(cell.value, str)
    assert ws.cell(first, id_col).value == nth_id(1)  # all digits, still the full 18 characters
    dated = ws.cell(first, date_col)
    assert isinstance(dated.value, datetime) and dated.is_date
    assert dated.number_format == "yyyy-mm-dd"


def test_status_cells_coloured_by_status(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    _, wb = workbook
    ws = _main(wb)
    table = register_table(ws)
    col = table.column("核验结果")
    colours: dict[str, str] = {}
    for r in range(table.first_row, table.first_row + len(table.rows)):
        cell = ws.cell(r, col)
        assert cell.fill.fill_type == "solid"
        colour = cell.fill.fgColor.rgb
        assert colours.setdefault(str(cell.value), colour) == colour  # one colour per status
    assert len(colours) == len(Status)
    assert len(set(colours.values())) == len(Status)
    assert colours["有效"].endswith("C6EFCE")  # green
    assert colours["假证"].endswith("C00000")  # red


def test_header_frozen_and_filtered(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    _, wb = workbook
    ws = _main(wb)
    # The title, the facts and the header stay in view, and the number and name of each row
    # while scrolling right to the data columns.
    assert ws.freeze_panes == "C4"
    last = get_column_letter(len(SHEET_COLUMNS))
    assert ws.auto_filter.ref == f"A3:{last}10"
    assert ws["C3"].value == "身份证号"
    assert ws.column_dimensions["C"].width > 15  # an 18-character ID fits


def test_summary_sheet(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    path, wb = workbook
    ws = wb[SUMMARY_SHEET]
    values = {
        row[0]: row[1]
        for row in ws.iter_rows(min_col=1, max_col=2, values_only=True)
        if row[0] is not None
    }
    assert values["单位名称"] == "重庆某建设有限公司"
    assert values["检查类型"] == "执法检查"
    assert values["核验日期"] == datetime(2026, 11, 29)
    date_cell = next(c for c in ws["B"] if c.value == values["核验日期"])
    assert "年" in date_cell.number_format  # shown 2026年11月29日, still a date
    assert values["数据来源"] == "本地登记文件（registry）"
    assert values["花名册"] == "roster.xlsx"
    assert values["读取的工作表"] == "Sheet1（7 人）"
    assert "未读取的工作表" not in values
    assert values["抽样"] == "抽查 7 人 / 共 300 人（随机种子 7）"
    assert [values[s.zh] for s in Status] == [1, 1, 2, 1, 2]
    assert values["总人数"] == 7
    assert values["依法持证率"] == pytest.approx(1 / 7)
    assert values["结论"] == "不合规"
    assert values["certcheck 版本"] == "0.1.0"
    rate_cell = next(c for c in ws["B"] if c.value == values["依法持证率"])
    assert rate_cell.number_format.endswith("%")
    with zipfile.ZipFile(path) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and 'val="col"' in chart
    # The chart carries its values itself, so viewers that never recalculate still draw it.
    assert "<c:v>2</c:v>" in chart and "假证" in chart


def test_input_issues_sheet(workbook: tuple[Path, openpyxl.Workbook]) -> None:
    _, wb = workbook
    rows = list(wb[ISSUES_SHEET].iter_rows(values_only=True))
    # The code for programs, then what it means and what to do, in Chinese, then the message.
    assert rows[0] == ("行号", "代码", "问题", "怎么办", "说明")
    assert rows[2] == (9, "invalid_id", "身份证号无效（校验位或出生日期不对）",
                       "该人未核验；请核对身份证号", "身份证号 50038119900101123 无效")
    # A code this version does not know still gets a Chinese line.
    assert rows[1] == (8, "blank_row", "其他输入问题", "见说明", "空行已跳过")
    assert rows[3] == (None, "merged_header", "其他输入问题", "见说明",
                       "two-row header merged")


def test_no_issues_sheet_without_issues(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(build_register(issues=(), sample=None), out)
    wb = openpyxl.load_workbook(out)
    assert ISSUES_SHEET not in wb.sheetnames
    summary = {r[0]: r[1] for r in wb[SUMMARY_SHEET].iter_rows(max_col=2, values_only=True)}
    assert summary["抽样"] == "全部人员"


def test_empty_register_still_opens(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(build_register([], issues=()), out)
    wb = openpyxl.load_workbook(out)
    ws = _main(wb)
    table = register_table(ws)
    assert table.header == PRINTED + ON_SCREEN and table.rows == []
    # The signature lines are there all the same.
    assert str(ws.cell(table.first_row + 2, 1).value).startswith("核验人：")


def test_payloads_stay_literal_text(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(payload_register(), out)
    wb = openpyxl.load_workbook(out)
    for sheet in wb.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    ws = _main(wb)
    body = register_table(ws).rows
    for payload, values in zip(PAYLOADS, body, strict=True):
        for column in ("姓名", "申报证号", "申报作业类别", "申报操作项目", "说明"):
            assert _unescape(values[column]) == payload
    with zipfile.ZipFile(out) as zf:
        assert not any("<f>" in zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


_CELL_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40)
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(value: object) -> object:
    """Decode OOXML's ``_xHHHH_`` escapes (for CR and C0 controls), as Excel does.

    xlsxwriter writes them as the format requires; openpyxl leaves inline strings escaped.
    """
    if not isinstance(value, str):
        return value
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_CELL_TEXT, item=_CELL_TEXT)
def test_any_text_round_trips_as_text(tmp_path: Path, name: str, item: str) -> None:
    finding = Finding(
        worker=Worker(row=2, name=name, id_number=nth_id(1), declared=Declared(item=item)),
        status=Status.UNVERIFIED,
        reason=Reason.LOOKUP_FAILED,
        warnings=(),
        certificates=(),
    )
    out = tmp_path / "r.xlsx"
    write_xlsx(build_register([finding], issues=()), out)
    ws = _main(openpyxl.load_workbook(out))
    table = register_table(ws)
    name_cell = ws.cell(table.first_row, table.column("姓名"))
    item_cell = ws.cell(table.first_row, table.column("申报操作项目"))
    assert name_cell.data_type == "s" and item_cell.data_type == "s"
    assert (_unescape(name_cell.value), _unescape(item_cell.value)) == (name, item)


def test_excel_date_serials() -> None:
    from certcheck.register.xlsx import _date_serial

    assert _date_serial(date(1900, 3, 1)) == 61
    assert _date_serial(date(2026, 11, 29)) == 46355
    assert _date_serial(datetime(2026, 11, 29, 12)) == 46355.5


def test_failed_build_leaves_no_files_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    import certcheck.register.xlsx as xlsx

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out" / "r.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"previous")

    def boom(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(xlsx, "_summary_sheet", boom)
    with pytest.raises(KeyboardInterrupt):
        write_xlsx(build_register(), out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in out.parent.iterdir()] == ["r.xlsx"]
    assert list(scratch.iterdir()) == []  # the rows spilled so far, ID numbers and all, are gone
