"""The register as the form an office signs, and what still reads it back: ``summary`` and
``due`` read registers written before and after it became one, and a register given back to
``verify`` as a roster yields its workers and nothing of its title or signature lines. A
sampled register lists only the input issues of the workers in the sample; its chart counts
whole people. (How it prints is measured in test_libreoffice.py.)"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.models import Status
from certcheck.register.reader import read_register, tally_register
from certcheck.register.xlsx import MAIN_SHEET, count_step, write_xlsx
from register_sheet import register_table
from test_register import build_register

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
#: The sample roster checked against the sample registry on 2026-12-01, written by certcheck
#: as it was before the register became a form (commit b4548c5): the header on the first row,
#: 有效 as a valid worker's reason, the source as ``registry``.
BEFORE = ROOT / "tests" / "data" / "register_before_print.xlsx"
COMMON = ("--source", f"registry:{SAMPLES / 'registry.csv'}", "--as-of", "2026-12-01",
          "--no-progress", "--no-cache")


def run(*args: str | Path) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, [str(a) for a in args],
                                                    catch_exceptions=False)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("form") / "登记表.xlsx"
    assert run("verify", SAMPLES / "roster.xlsx", *COMMON, "-o", out).exit_code == 1
    return out


def test_the_register_before_the_form_was_a_plain_table() -> None:
    ws = openpyxl.load_workbook(BEFORE)[MAIN_SHEET]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["工作表", "行号", "姓名", "身份证号", "核验结果"]
    reasons = {row[4]: row[5] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert reasons["有效"] == "有效"


def test_registers_before_and_after_the_form_read_back_alike(register: Path) -> None:
    before, after = read_register(BEFORE), read_register(register)
    assert len(after.rows) == 30
    assert after.rows == before.rows
    assert replace(after.info, generated_at=None) == replace(before.info, generated_at=None)
    assert after.info.source == "registry"
    assert {r.source for r in after.rows} == {"registry", None}
    valid = [r for r in after.rows if r.status is Status.VALID]
    assert len(valid) == 15 and all(r.reason.value == "ok" for r in valid)
    assert tally_register(register).verdict == tally_register(BEFORE).verdict
    assert tally_register(register).verdict.counts[Status.FAKE] == 4


def test_due_lists_the_same_from_either(register: Path, tmp_path: Path) -> None:
    shown = []
    for path in (BEFORE, register):
        result = run("due", path, "--as-of", "2026-12-01", "--within", "400")
        assert result.exit_code in (0, 1), result.output
        shown.append(result.output.replace(path.name, "登记表"))
    assert shown[0] == shown[1]
    assert "赵磊" in shown[1]


def test_the_signature_lines_are_not_workers(register: Path) -> None:
    ws = openpyxl.load_workbook(register)[MAIN_SHEET]
    table = register_table(ws)
    below = [[v for v in row if v is not None]
             for row in ws.iter_rows(min_row=table.first_row + len(table.rows), values_only=True)]
    assert below == [[], ["核验人：______________", "单位负责人（签字）：______________"],
                     ["单位（盖章）：______________", "日期：________年_____月_____日"]]
    names = {r.name for r in read_register(register).rows}
    assert not any(name and ("核验人" in name or "盖章" in name) for name in names)


def test_a_register_given_back_as_a_roster_yields_its_workers_only(
    register: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again.json"
    result = run("verify", register, *COMMON, "-o", out)
    assert result.exit_code in (0, 1, 3), result.output
    data = json.loads(out.read_text("utf-8"))
    rows = [(w["row"], w["name"]) for w in data["workers"]]
    # The workers on sheet rows 4 to 33, under the title, the facts and the header.
    assert len(rows) == 30 and rows[0] == (4, "张伟") and rows[-1] == (33, "邓超")
    # Nothing is said of the signature lines (rows 35 and 36) or the title above.
    assert not [i for i in data["input_issues"] if i["row"] in (1, 2, 34, 35, 36)]


def _issue_rows_of(path: Path) -> list[int | None]:
    wb = openpyxl.load_workbook(path)
    if "输入问题" not in wb.sheetnames:
        return []
    return [row[0] for row in wb["输入问题"].iter_rows(min_row=2, values_only=True)]


def test_a_sampled_register_lists_the_issues_of_its_sample_only(tmp_path: Path) -> None:
    full = tmp_path / "full.json"
    run("verify", SAMPLES / "roster.xlsx", *COMMON, "-o", full)
    everyone = {i["row"] for i in json.loads(full.read_text("utf-8"))["input_issues"]}
    assert everyone == {11, 27, 28, 29}

    listed_some = False
    for seed in (2, 5):
        out, book = tmp_path / f"s{seed}.json", tmp_path / f"s{seed}.xlsx"
        result = run("verify", SAMPLES / "roster.xlsx", *COMMON, "--sample", "8", "--seed",
                     str(seed), "-o", out, "-o", book)
        assert result.exit_code in (0, 1), result.output
        data = json.loads(out.read_text("utf-8"))
        sampled = {w["row"] for w in data["workers"]}
        assert len(sampled) == 8
        listed = [i["row"] for i in data["input_issues"]]
        assert sorted(listed) == sorted(everyone & sampled)
        assert _issue_rows_of(book) == listed
        listed_some = listed_some or bool(listed)
        assert set(listed) < everyone
    assert listed_some


def test_issues_of_no_worker_stay_in_a_sample(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,身份证号,操作项目,奇怪列\n"
        "张伟,500381198503150019,低压电工作业,x\n"
        "王芳,500381198503150027,低压电工作业,y\n"
        "李强,50038119850315003,低压电工作业,z\n", "utf-8")
    samples = []
    for seed in (1, 5):
        out = tmp_path / f"s{seed}.json"
        result = run("verify", roster, *COMMON, "--sample", "1", "--seed", str(seed), "-o", out)
        assert result.exit_code in (0, 1, 3), result.output
        data = json.loads(out.read_text("utf-8"))
        codes = {(i["row"], i["code"]) for i in data["input_issues"]}
        # The column left unread concerns every worker; 李强's short ID only him.
        assert (1, "unknown_column") in codes
        (sampled,) = [w["row"] for w in data["workers"]]
        assert (len(codes) == 2) == (sampled == 4)
        samples.append(sampled)
    # One sample holds 李强, one does not.
    assert 4 in samples and len(set(samples)) == 2


@pytest.mark.parametrize(("most", "step"), [(0, 1), (2, 1), (7, 1), (8, 2), (15, 2), (39, 5),
                                            (40, 10), (799, 100), (1000, 200)])
def test_the_chart_counts_in_whole_people(most: int, step: int) -> None:
    assert count_step(most) == step


def test_the_charts_axis_has_whole_ticks_and_room_for_the_top_label(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(build_register(), out)  # at most 2 workers of one result
    with zipfile.ZipFile(out) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    value_axis = chart[chart.index("<c:valAx>"):chart.index("</c:valAx>")]
    assert '<c:majorUnit val="1"/>' in value_axis
    assert '<c:min val="0"/>' in value_axis and '<c:max val="3"/>' in value_axis
    assert re.search(r'<c:numFmt formatCode="0"', value_axis)


def test_without_an_enterprise_the_form_leaves_its_name_to_be_written(tmp_path: Path) -> None:
    reg = build_register()
    out = tmp_path / "r.xlsx"
    write_xlsx(replace(reg, meta=replace(reg.meta, enterprise=None)), out)
    ws = openpyxl.load_workbook(out)[MAIN_SHEET]
    assert ws["A1"].value == "特种作业人员持证情况登记表"
    assert re.match(r"单位名称：_{10,}　　核验日期：2026年11月29日", ws["A2"].value)
    assert read_register(out).info.enterprise is None
