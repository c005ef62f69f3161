"""A CSV keeps no computed values: a formula written out as text (an export that saved the
formulas, a sheet pasted as text) is a value nobody knows, never a verdict either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.cli import verify as _verify  # noqa: F401  (attaches the command)

REGISTRY = (
    "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,"
    "实际复审日期,签发机关\n"
    "张三,500381198503150019,T500381198503150019,电工作业,低压电工作业,2020-01-01,2020-01-01,"
    "2030-01-01,2026-01-01,2025-12-20,重庆市应急管理局\n"
)


def run(tmp_path: Path, roster: str) -> tuple[int, dict]:
    (tmp_path / "reg.csv").write_text(REGISTRY, "utf-8")
    (tmp_path / "r.csv").write_text(roster, "utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, [
        "verify", str(tmp_path / "r.csv"), "--source", f"registry:{tmp_path / 'reg.csv'}",
        "--as-of", "2026-12-01", "--no-progress", "--no-cache", "-o", str(out),
    ])
    return result.exit_code, json.loads(out.read_text("utf-8"))


@pytest.mark.parametrize("item", [
    "=#REF!", "=#N/A", "＝#REF!", "=VLOOKUP(B2,工种!A:B,2,FALSE)", '"=IF(A2="""",""电工"")"',
    "=Sheet2!C3", "=C7",
])
def test_a_formula_as_item_text_is_unreadable_not_uncertified(tmp_path: Path, item: str) -> None:
    # Nobody holds a certificate here: read as an item, the row would be 无证.
    code, data = run(tmp_path, f"姓名,身份证号,操作项目\n王五,500381198503150035,{item}\n")
    worker = data["workers"][0]
    assert (worker["status"], worker["reason"]) == ("unverified", "unreadable_cell")
    assert code == 3
    assert data["input_issues"][0]["row"] == 2
    assert "操作项目" in data["input_issues"][0]["message"]


def test_a_formula_as_certificate_number_is_not_a_fake(tmp_path: Path) -> None:
    code, data = run(tmp_path, "姓名,身份证号,证号\n张三,500381198503150019,=VLOOKUP(A2,证号!A:B,2,0)\n")
    assert (data["workers"][0]["status"], data["workers"][0]["reason"]) == (
        "unverified", "unreadable_cell")
    assert code == 3


def test_excel_text_cells_and_plain_equals_signs_stay_values(tmp_path: Path) -> None:
    code, data = run(tmp_path, '姓名,身份证号,证号,操作项目\n张三,="500381198503150019",'
                               '="T500381198503150019",低压电工\n')
    assert data["workers"][0]["status"] == "valid"
    assert code == 0
