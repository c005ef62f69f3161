"""Rosters shaped the way offices really save them, checked end to end through ``certcheck
verify``: what each worker gets, and the exit code a CI job or a safety officer acts on.

Every file is built the way an office makes it (openpyxl merges, several sheets behind a
填表说明 sheet, signature lines under the table, GBK CSV, Excel's ="…" text cells, an .xls
written by xlwt). Expected verdicts are written out per worker.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import verify as _verify  # noqa: F401  (attaches the command)
from factories import nth_id

AS_OF = "2026-12-01"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关",
]
ELECTRIC = ("电工作业", "低压电工作业")
HIGH_VOLTAGE = ("电工作业", "高压电工作业")
WELDING = ("焊接与热切割作业", "熔化焊接与热切割作业")
HEADER = ["序号", "姓名", "身份证号", "作业类别", "操作项目", "证号"]


def official(name: str, id_number: str, kind: tuple[str, str] = ELECTRIC,
             until: str = "2029-05-01", review: str = "2027-05-01") -> list[str]:
    return [name, id_number, "T" + id_number, *kind, "2020-05-01", "2023-05-01", until, review,
            "", "重庆市应急管理局"]


def registry(folder: Path, *rows: list[str]) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(rows)
    return path


def verify(roster: Path, reg: Path, *extra: str) -> tuple[Result, dict]:
    out = roster.parent / "out.json"
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{reg}", "--as-of", AS_OF,
         "-o", str(out), "--no-progress", *extra],
        catch_exceptions=False,
    )
    data = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return result, data


def verdicts(data: dict) -> list[tuple[str | None, int, str, str, str]]:
    return [(w.get("sheet"), w["row"], w["name"], w["status"], w["reason"])
            for w in data["workers"]]


# ---- several sheets ------------------------------------------------------------------------


def test_every_roster_sheet_is_read_and_a_violation_on_the_second_counts(tmp_path: Path) -> None:
    a, b, c = nth_id(1), nth_id(2), nth_id(3)
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = "填表说明"
    guide.append(["填表说明：1. 每名特种作业人员一行；2. 身份证号请设置为文本格式。"])
    electric = wb.create_sheet("电工")
    electric.append(HEADER)
    electric.append([1, "张伟", a, "电工作业", "低压电工作业", "T" + a])
    electric.append([2, "王芳", b, "电工作业", "低压电工作业", "T" + b])
    welders = wb.create_sheet("焊工")
    welders.append(["某某公司焊工花名册"])
    welders.append(HEADER)
    welders.append([1, "李强", c, "焊接与热切割作业", "熔化焊接与热切割作业", "T" + c])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("张伟", a), official("王芳", b),
                   official("李强", c, WELDING, until="2026-06-30"))
    result, data = verify(roster, reg)
    assert result.exit_code == 1, result.output
    assert data["roster"]["sheets"] == ["电工", "焊工"]
    assert verdicts(data) == [
        ("电工", 2, "张伟", "valid", "ok"),
        ("电工", 3, "王芳", "valid", "ok"),
        ("焊工", 3, "李强", "expired", "validity_ended"),
    ]
    assert "填表说明" in result.output


def test_sheet_option_reads_only_that_sheet(tmp_path: Path) -> None:
    a, c = nth_id(1), nth_id(3)
    wb = openpyxl.Workbook()
    electric = wb.active
    electric.title = "电工"
    electric.append(HEADER)
    electric.append([1, "张伟", a, "电工作业", "低压电工作业", "T" + a])
    welders = wb.create_sheet("焊工")
    welders.append(HEADER)
    welders.append([1, "李强", c, "焊接与热切割作业", "熔化焊接与热切割作业", "T" + c])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("张伟", a))
    result, data = verify(roster, reg, "--sheet", "电工")
    assert result.exit_code == 0, result.output
    assert verdicts(data) == [("电工", 2, "张伟", "valid", "ok")]


# ---- merged cells --------------------------------------------------------------------------


def test_one_person_over_two_item_rows_needs_both_certificates(tmp_path: Path) -> None:
    a = nth_id(4)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(HEADER)
    ws.append([1, "赵磊", a, "电工作业", "低压电工作业", "T" + a])
    ws.append([None, None, None, "焊接与热切割作业", "熔化焊接与热切割作业", None])
    for column in "ABC":
        ws.merge_cells(f"{column}2:{column}3")
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("赵磊", a))
    result, data = verify(roster, reg)
    assert result.exit_code == 1, result.output
    assert verdicts(data) == [
        ("花名册", 2, "赵磊", "valid", "ok"),
        ("花名册", 3, "赵磊", "uncertified", "item_not_covered"),
    ]
    assert all("duplicate_id" not in w["warnings"] for w in data["workers"])


def test_an_item_merged_over_two_people_applies_to_both(tmp_path: Path) -> None:
    a, b = nth_id(5), nth_id(6)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(HEADER)
    ws.append([1, "孙涛", a, "电工作业", "高压电工作业", "T" + a])
    ws.append([2, "马超", b, None, None, "T" + b])
    ws.merge_cells("D2:D3")
    ws.merge_cells("E2:E3")
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("孙涛", a, HIGH_VOLTAGE), official("马超", b, ELECTRIC))
    result, data = verify(roster, reg)
    assert result.exit_code == 1, result.output
    assert verdicts(data) == [
        ("花名册", 2, "孙涛", "valid", "ok"),
        ("花名册", 3, "马超", "uncertified", "item_not_covered"),
    ]


# ---- what cells hold ----------------------------------------------------------------------


def test_placeholders_notes_footers_and_items_in_one_cell(tmp_path: Path) -> None:
    ids = [nth_id(10 + i) for i in range(6)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["某某建设有限公司特种作业人员花名册"])
    ws.append(["序号", "姓名", "身份证号", "操作项目", "特种作业操作证号", "有效期至"])
    ws.append([1, "张伟（班长）", ids[0], "低压电工作业", "/", "—"])
    ws.append([2, "王芳(临时工)", ids[1], "低压电工", "无", "/"])
    ws.append([3, "李娜【外协】", ids[2], "低压电工作业、熔化焊接与热切割作业", "T" + ids[2], None])
    ws.append([4, "阿依古丽.买买提", ids[3], "电工/焊工", "T" + ids[3], None])
    ws.append([5, "刘洋", ids[4], "叉车司机", None, None])
    ws.append([6, "陈杰", ids[5], "低压电工", float(ids[5]), None])
    ws.append([])
    ws.append(["单位（盖章）：", None, None, None, "日期：2026年11月"])
    ws.append(["企业主要负责人（签字）：", None, None, "安全员：李四  手机：13800138000"])
    ws.append(["填报日期：2026年11月28日"])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(
        tmp_path,
        official("张伟", ids[0]),
        official("李娜", ids[2]), official("李娜", ids[2], WELDING),
        official("阿依古丽·买买提", ids[3]),
        official("陈杰", ids[5]),
    )
    result, data = verify(roster, reg)
    assert result.exit_code == 1, result.output
    assert [(w["name"], w["status"], w["reason"]) for w in data["workers"]] == [
        ("张伟", "valid", "ok"),
        ("王芳", "uncertified", "no_certificate"),
        ("李娜", "valid", "ok"),
        ("阿依古丽·买买提", "uncertified", "item_not_covered"),
        ("刘洋", "unverified", "other_authority"),
        ("陈杰", "valid", "ok"),
    ]
    assert "市场监管部门" in data["workers"][4]["detail"]


def test_a_compliant_roster_with_signature_lines_is_compliant(tmp_path: Path) -> None:
    a, b = nth_id(20), nth_id(21)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张伟", a, "电工作业", "低压电工作业", "T" + a])
    ws.append([2, "王芳", b, "电工作业", "低压电工作业", "T" + b])
    ws.append(["单位（盖章）："])
    ws.append([None, "负责人（签字）：", None, "联系电话：023-12345678"])
    ws.append(["制表人：李四", None, None, "填报日期：2026年11月28日"])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("张伟", a), official("王芳", b))
    result, data = verify(roster, reg)
    assert result.exit_code == 0, result.output
    assert data["verdict"]["total"] == 2


def test_cert_number_header_standing_before_the_id_column(tmp_path: Path) -> None:
    a = nth_id(22)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "姓名", "操作证件号码", "证件号码（身份证）", "操作项目"])
    ws.append([1, "张伟", "T" + a, a, "低压电工作业"])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("张伟", a))
    result, data = verify(roster, reg)
    assert result.exit_code == 0, result.output
    assert data["workers"][0]["id_number"] == a
    assert data["workers"][0]["declared"]["cert_number"] == "T" + a


# ---- CSV as Chinese Excel and lossy saves leave it --------------------------------------


def test_gbk_csv_with_a_lost_character_and_excel_text_cells(tmp_path: Path) -> None:
    a, b = nth_id(30), nth_id(31)
    text = (
        "姓名,身份证号,操作项目,证号\r\n"
        f'张伟,="{a}",低压电工作业,="T{a}"\r\n'
        f"王?,{b},低压电工作业,T{b}\r\n"
    )
    roster = tmp_path / "roster.csv"
    roster.write_bytes(text.encode("gbk"))
    reg = registry(tmp_path, official("张伟", a), official("王芳", b))
    result, data = verify(roster, reg)
    assert result.exit_code == 3, result.output
    assert [(w["name"], w["status"], w["reason"]) for w in data["workers"]] == [
        ("张伟", "valid", "ok"),
        ("王?", "unverified", "name_unreadable"),
    ]
    assert data["workers"][0]["sheet"] is None


def test_xls_with_ids_stored_as_numbers_are_not_duplicates(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    a, b = nth_id(40), nth_id(41)
    book = xlwt.Workbook()
    sheet = book.add_sheet("花名册")
    for column, label in enumerate(["姓名", "身份证号", "操作项目"]):
        sheet.write(0, column, label)
    sheet.write(1, 0, "张伟")
    sheet.write(1, 1, float(a))
    sheet.write(1, 2, "低压电工作业")
    sheet.write(2, 0, "王芳")
    sheet.write(2, 1, float(b))
    sheet.write(2, 2, "低压电工作业")
    roster = tmp_path / "roster.xls"
    book.save(str(roster))
    reg = registry(tmp_path, official("张伟", a), official("王芳", b))
    result, data = verify(roster, reg)
    assert result.exit_code == 3, result.output
    assert [(w["name"], w["status"], w["reason"], w["warnings"]) for w in data["workers"]] == [
        ("张伟", "unverified", "id_precision_lost", []),
        ("王芳", "unverified", "id_precision_lost", []),
    ]


def test_record_without_end_date_is_not_a_pass(tmp_path: Path) -> None:
    a = nth_id(50)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张伟", a, "电工作业", "低压电工作业", "T" + a])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    incomplete = official("张伟", a)
    incomplete[7] = ""
    reg = registry(tmp_path, incomplete)
    result, data = verify(roster, reg)
    assert result.exit_code == 3, result.output
    worker = data["workers"][0]
    assert (worker["status"], worker["reason"]) == ("unverified", "record_incomplete")
    assert worker["detail"] == "官方记录缺少有效期结束日期（registry.csv 第 2 行）"


def test_a_person_born_after_as_of_does_not_pass(tmp_path: Path) -> None:
    # Born on 2026-01-01: a real person today, but not yet born on the --as-of date.
    born_later = nth_id(60, born="20260101")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张伟", born_later, "电工作业", "低压电工作业", "T" + born_later])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("张伟", born_later))
    result, data = verify(roster, reg, "--as-of", "2025-12-01")
    assert result.exit_code == 3, result.output
    assert (data["workers"][0]["status"], data["workers"][0]["reason"]) == (
        "unverified", "invalid_id",
    )


def test_a_placeholder_in_the_id_column_is_a_missing_id(tmp_path: Path) -> None:
    a = nth_id(70)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张伟", a, "电工作业", "低压电工作业", "T" + a])
    ws.append([2, "王芳", "无", "电工作业", "低压电工作业", None])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    result, data = verify(roster, registry(tmp_path, official("张伟", a)))
    assert result.exit_code == 3, result.output
    assert (data["workers"][1]["status"], data["workers"][1]["reason"]) == (
        "unverified", "missing_field",
    )
