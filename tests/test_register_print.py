"""How the workbooks are set up for paper and screen, read back with openpyxl (the rendering
itself is checked with LibreOffice in test_libreoffice.py)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from certcheck.cli import cli
from certcheck.cli import summary as _summary  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.register.issue_codes import ISSUE_CODES
from certcheck.register.layout import display_width, lines_needed, quick_width
from register_sheet import register_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    out = tmp_path_factory.mktemp("print") / "r.xlsx"
    result = CliRunner().invoke(cli, [
        "verify", str(SAMPLES / "roster.xlsx"), "--source", f"registry:{SAMPLES / 'registry.csv'}",
        "--as-of", "2026-12-01", "--no-progress", "--no-cache", "-o", str(out),
    ], catch_exceptions=False)
    assert result.exit_code == 1
    return openpyxl.load_workbook(out)


def _widths(ws) -> dict[str, float]:
    table = register_table(ws)
    header = {get_column_letter(c): h for c, h in enumerate(table.header, start=1)}
    return {header[k]: d.width for k, d in ws.column_dimensions.items() if k in header}


def test_display_width_counts_cjk_as_two() -> None:
    assert display_width("制冷与空调设备安装修理作业") == 26
    assert display_width("T500381198503150019") == 19
    assert display_width("ＡＢ") == 4  # full-width
    for text in ("制冷与空调设备安装修理作业", "张伟 (班长)", "T5003811985", "已自查 2；未开展 1"):
        assert quick_width(text) == display_width(text)
    assert lines_needed("已自查 2；未开展 1", 12) == 2
    assert lines_needed("有效", 12) == 1


def test_register_prints_a4_landscape_one_page_wide_header_on_every_page(register) -> None:
    ws = register["核验登记表"]
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    # The header under the title and the facts; the print from the title to the signature
    # lines over the nine columns an office signs (序号 to 原因).
    assert ws.print_title_rows == "$3:$3"
    last = ws.max_row
    assert str(ws.cell(last, 1).value).startswith("单位（盖章）：")
    assert ws.print_area == f"'核验登记表'!$A$1:$I${last}"
    assert [ws.cell(3, c).value for c in (1, 9, 10)] == ["序号", "原因", "工作表"]
    footer = ws.oddFooter
    assert footer.left.text == "单位：重庆市江津区德感机械制造有限公司"
    assert footer.center.text == "第 &P 页，共 &N 页"
    assert footer.right.text == "核验日期：2026年12月1日"


def test_summary_sheet_with_its_chart_fits_one_page_wide(register) -> None:
    ws = register["汇总"]
    assert ws.page_setup.orientation == "landscape"
    # One page wide; a long list of sheets would go on to a second page rather than shrink
    # the type (the sample's summary prints on one page: test_libreoffice.py).
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    # The print area ends where the chart does (D1 to K, about eighteen rows).
    assert re.fullmatch(r"'汇总'!\$A\$1:\$K\$\d+", ws.print_area)


def test_columns_are_as_wide_as_their_longest_value(register) -> None:
    widths = _widths(register["核验登记表"])
    assert widths["官方操作项目"] >= display_width("制冷与空调设备安装修理作业")
    assert widths["身份证号"] >= 18
    # The printed columns keep their width, so that the page keeps its type size: a long name
    # wraps in its cell instead, and its row is two lines tall.
    assert widths["姓名"] < display_width("买买提·艾力")
    ws = register["核验登记表"]
    table = register_table(ws)
    rows = range(table.first_row, table.first_row + len(table.rows))
    for name in ("原因", "提示", "说明", "姓名", "作业类别/操作项目", "证号"):
        column = table.column(name)
        cell = next(ws.cell(r, column) for r in rows if ws.cell(r, column).value)
        assert cell.alignment.wrap_text, name
    # A row whose reason wraps is given the height of two lines.
    reason = table.column("原因")
    row = next(r for r in rows if ws.cell(r, reason).value == "所持证书不含该作业项目")
    assert ws.row_dimensions[row].height >= 30
    name = table.column("姓名")
    row = next(r for r in rows if ws.cell(r, name).value == "买买提·艾力")
    assert ws.row_dimensions[row].height >= 30


def test_input_issues_sheet_explains_codes_and_wraps_the_message(register) -> None:
    ws = register["输入问题"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("行号", "代码", "问题", "怎么办", "说明")
    longest = max(rows[1:], key=lambda r: display_width(r[4]))
    assert longest[1] == "id_precision_lost"
    assert longest[2] == "身份证号被存成了数字，末几位已丢失"
    cell = next(c for c in ws["E"] if c.value == longest[4])
    assert cell.alignment.wrap_text
    assert ws.row_dimensions[cell.row].height >= 30
    assert ws.print_title_rows == "$1:$1"
    assert cell.alignment.wrap_text and ws.cell(cell.row, 2).alignment.wrap_text


def test_every_input_issue_code_in_the_readme_is_explained() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    listed = readme.split("The codes:", 1)[1].split("\n\n", 1)[0]
    codes = re.findall(r"`([a-z0-9_]+)`", listed)
    assert len(codes) >= 20
    assert set(codes) <= set(ISSUE_CODES), set(codes) - set(ISSUE_CODES)
    for problem, todo in ISSUE_CODES.values():
        assert re.search(r"[\u4e00-\u9fff]", problem) and re.search(r"[\u4e00-\u9fff]", todo)


def test_form_detail_rows_are_as_tall_as_their_wrapped_text(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = CliRunner().invoke(cli, [
        "summary", *map(str, sorted((SAMPLES / "registers").glob("*.register.xlsx"))),
        "--enterprises", str(SAMPLES / "辖区企业.csv"), "--actions", str(SAMPLES / "处罚.csv"),
        "--date", "2026-12-01", "-o", str(out),
    ], catch_exceptions=False)
    assert result.exit_code == 0
    wb = openpyxl.load_workbook(out)
    detail = wb["分单位明细"]
    total = detail.max_row
    assert detail.cell(total, 1).value == "合计"
    assert detail.cell(total, 2).value == "已自查 3；未开展 1"
    assert detail.cell(total, 2).alignment.wrap_text
    assert detail.row_dimensions[total].height >= 30
    assert detail.page_setup.orientation == "landscape" and detail.print_title_rows == "$1:$1"
    notes = wb["提示"]
    assert [c.value for c in notes[1]] == ["序号", "提示"]
    for (message,) in notes.iter_rows(min_row=2, min_col=2, values_only=True):
        assert re.search(r"[\u4e00-\u9fff]{4}", message) and "worker(s)" not in message
