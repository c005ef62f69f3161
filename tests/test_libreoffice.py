"""The register and the 附件1 form as a real spreadsheet application prints them.

LibreOffice renders the workbooks to PDF exactly as File ▸ Export as PDF would, every sheet of
each; the pages are then read back: size and orientation, the size the type comes out at, the
title, the columns an office signs and the signature lines of the register, its header row on
every page, the page footer, every operation name and label whole (text cut at a cell border
is missing from the PDF's text), the totals, and no ``###`` where a number did not fit.
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
from certcheck.register.xlsx import write_xlsx
from certcheck.summary.aggregate import FORM_ROWS
from lo_render import Page, pages, require, to_pdf, type_sizes
from test_register import build_register

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ENTERPRISE = "重庆市江津区德感机械制造有限公司"
#: The registers rendered, each a workbook printed whole.
REGISTERS = ("register", "big", "issues", "masked")
#: The type an officer reads without a magnifier, in points as printed.
READABLE = 9.0
#: The columns an office signs, which the register prints, in order.
PRINTED = ("序号", "姓名", "身份证号", "作业类别/操作项目", "证号", "有效期至", "应复审日期",
           "核验结果", "原因")
#: Columns kept on screen only (the official record, the run's details).
NOT_PRINTED = ("工作表", "提示", "申报证号", "申报作业类别", "官方证号", "官方作业类别",
               "官方操作项目", "实际复审日期", "签发机关", "证书状态", "核验时间")
SIGNATURES = ("核验人：", "单位负责人（签字）：", "单位（盖章）：", "日期：")
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
    return {n: pages(pdf) for n, pdf in _pdfs(tmp_path_factory).items()}


@pytest.fixture(scope="session")
def sizes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[float]]:
    """The smallest type of each page of each register, in points as printed."""
    return {n: type_sizes(pdf) for n, pdf in _pdfs(tmp_path_factory).items() if n in REGISTERS}


def _pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workbooks printed to PDF, once per test run: the xdist workers share the run's
    temporary folder, and the first to take the lock renders for all."""
    require()
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    work = shared / "printed"
    names = [*REGISTERS, "form"]
    with open(shared / "printed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / "done").exists():
            _render(work, names)
            (work / "done").touch()
    return {n: work / "pdf" / f"{n}.pdf" for n in names}


def _render(work: Path, names: list[str]) -> None:
    work.mkdir(exist_ok=True)
    registry = f"registry:{SAMPLES / 'registry.csv'}"
    common = ("--source", registry, "--as-of", "2026-12-01", "--no-progress", "--no-cache")
    _cli("verify", SAMPLES / "roster.xlsx", *common, "-o", work / "register.xlsx")
    _cli("verify", SAMPLES / "roster.xlsx", *common, "--mask-ids", "-o", work / "masked.xlsx")
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


def test_every_page_of_every_register_is_readable(sizes) -> None:
    for name, smallest in sizes.items():
        assert smallest, name
        for number, size in enumerate(smallest, start=1):
            assert size >= READABLE, (name, number, size)


def test_sample_register_prints_on_four_landscape_a4_pages(rendered) -> None:
    printed = rendered["register"]
    # 核验登记表 (thirty workers and the signature lines on two pages), 汇总 (figures and
    # chart on one page), 输入问题.
    assert len(printed) == 4
    assert all(p.a4 and p.landscape for p in printed)
    first, last, summary, issues = printed
    # The columns an office signs, in order on one line, the first and the last on page 1.
    header = next(line.split() for line in first.text.splitlines() if "序号" in line)
    assert header == list(PRINTED), header
    assert _main_pages(printed) == [first, last]
    for page in (first, last):
        for column in NOT_PRINTED:
            assert column not in page.squeezed, column
    assert "依法持证率" in summary.text and "核验结果分布" in summary.text
    assert re.search(r"总人数\s+30", summary.text)
    assert re.search(r"依法持证率\s+50\.00%", summary.text)
    assert "怎么办" in issues.text


def test_the_register_prints_as_a_form_to_sign(rendered) -> None:
    main = _main_pages(rendered["register"])
    lines = [line.strip() for line in main[0].text.splitlines() if line.strip()]
    assert lines[0] == f"{ENTERPRISE}特种作业人员持证情况登记表"
    assert re.match(r"核验日期：2026年12月1日\s+数据来源：本地登记文件（registry）\s+"
                    r"检查类型：企业自查\s+核验范围：全部人员（30 人）$", lines[1]), lines[1]
    # The signature lines close the table, on its last page only, after the last worker.
    last = main[-1].text
    for label in SIGNATURES:
        # 日期： alone, not the footer's 核验日期：.
        signature = re.compile(rf"(?<!核验){label}")
        assert signature.search(last), label
        assert not any(signature.search(page.text) for page in main[:-1]), label
    assert last.index("邓超") < last.index("核验人：")
    assert re.search(r"核验人：_+\s+单位负责人（签字）：_+", last)
    assert re.search(r"单位（盖章）：_+\s+日期：_+年_+月_+日", last)


def test_operations_and_reasons_are_printed_whole(rendered) -> None:
    main = _main_pages(rendered["register"])
    squeezed = "".join(page.squeezed for page in main)
    # What the roster says each worker does, whole: the category and the item, wrapped in
    # their cell where long.
    for operation in ("低压电工", "熔化焊接与热切割", "登高架设作业"):
        assert operation in squeezed, operation
    # Reasons wrap inside their cell instead of being cut at the next column.
    assert "所持证书不含该作业项目" in squeezed
    assert "身份证号被存为数字，末位已丢失" in squeezed
    # A valid worker's row says nothing under 原因: 有效 shows once, as the result.
    row = next(line for line in main[0].text.splitlines() if "张伟" in line)
    assert row.split()[-1] == "有效" and row.count("有效") == 1, row


def test_masked_ids_are_masked_on_paper(rendered) -> None:
    main = _main_pages(rendered["masked"])
    text = "".join(page.text for page in main)
    row = next(line for line in main[0].text.splitlines() if "张伟" in line)
    assert "500381********0019" in row and "T500381********0019" in row
    # No ID number whole anywhere on any page.
    for page in rendered["masked"]:
        assert not re.search(r"\d{17}[\dX]", page.text), page.number
    assert "500381198503150019" not in text


def test_footer_names_page_enterprise_and_date(rendered) -> None:
    printed = rendered["register"]
    for page in printed:
        assert f"第 {page.number} 页，共 {len(printed)} 页" in page.text
        assert f"单位：{ENTERPRISE}" in page.text
        assert "核验日期：2026年12月1日" in page.text


def test_every_page_of_a_long_register_repeats_the_header(rendered) -> None:
    printed = rendered["big"]
    main = _main_pages(printed)
    assert len(main) >= 5
    for page in main:
        assert page.a4 and page.landscape
        # The header row opens every page (under the title on the first), with the columns
        # an office signs from 序号 to 原因.
        top = [line.split() for line in page.text.splitlines() if line.strip()][:3]
        header = next(words for words in top if words[0] == "序号")
        assert header == list(PRINTED), header
        assert f"共 {len(printed)} 页" in page.text
    # The title once, on the first page; the signature lines once, on the last.
    assert [p.number for p in main if "特种作业人员持证情况登记表" in p.text] == [1]
    assert [p.number for p in main if "核验人：" in p.text] == [main[-1].number]
    rows = [n for page in main
            for n in re.findall(r"^\s*(\d+)\s+\S", page.text, re.M)]
    # Every worker is printed once, in roster order, numbered 1 to 210.
    assert [int(n) for n in rows] == list(range(1, 211))


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


def test_the_charts_axis_counts_whole_people(rendered) -> None:
    # At most two workers of one result: an axis left to itself ticks at 0.5, 1.5, 2.5.
    summary = next(p for p in rendered["issues"] if "核验结果分布" in p.text)
    assert not re.search(r"(?<![\d.])\d\.5(?![\d%])", summary.text)
    assert re.search(r"^\s*3$", summary.flow, re.M)  # the top tick, above the tallest column


def test_the_summary_is_in_chinese(rendered) -> None:
    summary = next(p for p in rendered["register"] if "核验结果分布" in p.text)
    assert re.search(r"核验日期\s+2026年12月1日", summary.text)
    assert re.search(r"数据来源\s+本地登记文件（registry）", summary.text)
    issues = next(p for p in rendered["issues"] if "核验结果分布" in p.text)
    assert "抽查 7 人 / 共 300 人（随机种子 7）" in issues.text and "seed" not in issues.text
