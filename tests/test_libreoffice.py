"""The register and the 附件1 form as a real spreadsheet application prints them.

LibreOffice renders the workbooks to PDF exactly as File ▸ Export as PDF would; the pages are
then read back: size and orientation, the header row on every page of the register, the page
footer, every operation name and label whole (text cut at a cell border is missing from the
PDF's text), the totals, and no ``###`` where a number did not fit.
"""

from __future__ import annotations

import fcntl
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.cli import summary as _summary  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.models import InputIssue
from certcheck.register.model import Register
from certcheck.register.view import HEADERS
from certcheck.register.xlsx import write_xlsx
from certcheck.summary.aggregate import FORM_ROWS
from lo_render import Page, pages, require, to_pdf
from test_register import build_register

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ENTERPRISE = "重庆市江津区德感机械制造有限公司"
LONG_MESSAGE = ("列“备注（请填写该人员近三年的培训经历、取证机构、复审情况以及所在班组和联系人，"
                "不清楚的请注明原因）”与前面的“备注”含义相同，已忽略【完】")


def _cli(*args: str | Path) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1, 3), result.output


def _big_roster(path: Path) -> None:
    """The sample roster's thirty workers seven times over: 210 rows, several printed pages."""
    source = openpyxl.load_workbook(SAMPLES / "roster.xlsx").active
    assert source is not None
    rows = [list(r) for r in source.iter_rows(min_row=3, values_only=True)
            if isinstance(r[0], int)]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append([ENTERPRISE + "特种作业人员花名册"])
    ws.append(["序号", "姓名", "身份证号码（18位）", "作业类别", "操作项目", "证号", "有效期至"])
    for n in range(7):
        for row in rows:
            ws.append([n * len(rows) + row[0], *row[1:]])
    wb.save(path)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Page]]:
    """The workbooks printed to PDF, once per test run: the xdist workers share the run's
    temporary folder, and the first to take the lock renders for all."""
    require()
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    work = shared / "printed"
    names = ["register", "big", "form", "issues"]
    with open(shared / "printed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / "done").exists():
            _render(work, names)
            (work / "done").touch()
    return {n: pages(work / "pdf" / f"{n}.pdf") for n in names}


def _render(work: Path, names: list[str]) -> None:
    work.mkdir(exist_ok=True)
    registry = f"registry:{SAMPLES / 'registry.csv'}"
    common = ("--source", registry, "--as-of", "2026-12-01", "--no-progress", "--no-cache")
    _cli("verify", SAMPLES / "roster.xlsx", *common, "-o", work / "register.xlsx")
    _big_roster(work / "big-roster.xlsx")
    _cli("verify", work / "big-roster.xlsx", *common, "-o", work / "big.xlsx")
    _cli("summary", *sorted((SAMPLES / "registers").glob("*.register.xlsx")),
         "--enterprises", SAMPLES / "辖区企业.csv", "--actions", SAMPLES / "处罚.csv",
         "--unit", "江津区某某镇人民政府", "--filler", "张三", "--phone", "023-12345678",
         "--date", "2026-12-01", "-o", work / "form.xlsx")
    base = build_register()
    long_issue = Register(
        meta=replace(base.meta, as_of=date(2026, 12, 1)), findings=base.findings,
        input_issues=(*base.input_issues, InputIssue(2, "duplicate_column", LONG_MESSAGE)),
    )
    write_xlsx(long_issue, work / "issues.xlsx")
    to_pdf([work / f"{n}.xlsx" for n in names], work / "pdf")


def _main_pages(printed: list[Page]) -> list[Page]:
    """The pages of the 核验登记表 sheet: those before the 汇总 sheet's page."""
    summary = next(i for i, p in enumerate(printed) if "依法持证率" in p.text)
    return printed[:summary]


def test_sample_register_prints_on_three_landscape_a4_pages(rendered) -> None:
    printed = rendered["register"]
    # 核验登记表, 汇总 (figures and chart on one page), 输入问题.
    assert len(printed) == 3
    assert all(p.a4 and p.landscape for p in printed)
    main, summary, issues = printed
    for header in HEADERS:
        assert header in main.squeezed, header
    # Every column fits the page width: the first and the last header are on page 1.
    assert "工作表" in main.text and "说明" in main.text
    assert "依法持证率" in summary.text and "核验结果分布" in summary.text
    assert re.search(r"总人数\s+30", summary.text)
    assert re.search(r"依法持证率\s+50\.00%", summary.text)
    assert "怎么办" in issues.text


def test_full_operation_names_and_reasons_are_printed_whole(rendered) -> None:
    main = rendered["register"][0]
    for name in ("制冷与空调设备安装修理作业", "制冷与空调设备运行操作作业", "熔化焊接与热切割作业"):
        assert name in main.text, name
    # Reasons wrap inside their cell instead of being cut at the next column.
    assert "所持证书不含该作业项目" in main.squeezed
    assert "身份证号被存为数字，末位已丢失" in main.squeezed


def test_footer_names_page_enterprise_and_date(rendered) -> None:
    printed = rendered["register"]
    for page in printed:
        assert f"第 {page.number} 页，共 {len(printed)} 页" in page.text
        assert f"单位：{ENTERPRISE}" in page.text
        assert "核验日期：2026年12月1日" in page.text


def test_every_page_of_a_long_register_repeats_the_header(rendered) -> None:
    printed = rendered["big"]
    main = _main_pages(printed)
    assert len(main) >= 2
    for page in main:
        assert page.a4 and page.landscape
        # The header row opens every page (a long header wraps to a second line), with every
        # column from 工作表 to 说明.
        top = [line.split() for line in page.text.splitlines() if line.strip()][:3]
        header = next(words for words in top if words[0] == "工作表")
        assert header[:4] == ["工作表", "行号", "姓名", "身份证号"], header
        assert header[-1] == "说明", header
        assert f"共 {len(printed)} 页" in page.text
    rows = [n for page in main for n in re.findall(r"^\s*花名册\s+(\d+)\s", page.text, re.M)]
    # Every worker is printed once, in roster order: rows 3 to 212.
    assert [int(n) for n in rows] == list(range(3, 213))


def test_the_longest_input_issue_message_keeps_its_last_character(rendered) -> None:
    page = next(p for p in rendered["issues"] if "怎么办" in p.text)
    assert re.sub(r"\s+", "", LONG_MESSAGE) in page.squeezed
    assert page.squeezed.count("【完】") == 1
    sample = next(p for p in rendered["register"] if "怎么办" in p.text)
    # Its last line, down to the last character.
    assert "列设为文本格式并重新录入" in sample.squeezed


def test_the_form_prints_like_the_notice(rendered) -> None:
    printed = rendered["form"]
    form, detail = printed[0], printed[1]
    assert form.a4 and not form.landscape
    lines = [line.strip() for line in form.text.splitlines() if line.strip()]
    assert lines[0] == "附件1"
    assert lines[1:3] == ["特种作业人员持假证和无证上岗", "专项治理行动情况汇总表"]
    assert re.match(r"填报单位：江津区某某镇人民政府\s+填报日期：2026年12月1日$", lines[3])
    for label in FORM_ROWS:
        assert label in form.squeezed, label
    figures = {
        "辖区内生产经营单位（含央企子公司、分公司）数量（家）": "4", "开展自查（家）": "3",
        "未开展自查（家）": "1", "执法检查（家）": "2", "责令整改（家）": "1",
        "停产整顿（家）": "1", "行政罚款（万元）": "5.50",
    }
    for label, value in figures.items():
        assert re.search(re.escape(label) + r"\s+" + re.escape(value) + r"\s*$", form.text,
                         re.M), label
    assert re.search(r"填表人\s+张三\s+联系电话\s+023-12345678", form.text)

    assert detail.a4 and detail.landscape
    assert "合计" in detail.text and "已自查3；未开展1" in detail.squeezed
    assert "责令整改1；停产整顿1" in detail.squeezed
    for name in ("重庆市江津区德感机械制造有限公司", "江津区示例食品有限公司"):
        assert name in detail.squeezed
    # The detail sheets say whose form they belong to.
    assert all("填报单位：江津区某某镇人民政府" in p.text for p in printed[1:])


def test_nothing_is_printed_as_hashes(rendered) -> None:
    for name, printed in rendered.items():
        for page in printed:
            assert "###" not in page.text, (name, page.number)
