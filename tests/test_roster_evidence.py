"""Rosters filled the way other offices fill them, read and judged end to end.

Each file is built as office software builds it (openpyxl workbooks, GBK CSV, xlwt .xls), then
`certcheck verify` runs on it against a registry file, and the statuses and reasons a safety
officer would read are written out. The principle under test: a verdict only from values the
tool understood; anything else is unverified with a reason naming the row, column and text.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.models import CertNumber, Unreadable
from certcheck.roster import Roster, read_roster
from factories import nth_id
from roster_fixtures import write_xls, write_xlsx

AS_OF = "2026-11-29"
TODAY = date(2026, 11, 29)
REGISTRY_HEADER = ["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
                   "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴昊", "徐丽", "孙强",
         "马超", "朱琳", "胡斌", "郭倩"]


def official(name: str, id_number: str, item: str = "低压电工作业", category: str = "电工作业",
             number: str | None = None, until: str = "2029-01-01") -> list[str]:
    return [name, id_number, "T" + id_number if number is None else number, category, item,
            "2023-01-01", "2023-01-01", until, "2027-06-01", "", "重庆市应急管理局"]


def write_registry(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(rows)
    return path


def verify(roster: Path, registry: Path) -> tuple[int, dict[int, tuple[str, str]], dict]:  # type: ignore[type-arg]
    out = roster.parent / "out.json"
    result = CliRunner().invoke(
        cli, ["verify", str(roster), "--source", f"registry:{registry}", "--as-of", AS_OF,
              "-o", str(out), "--no-progress"],
    )
    assert result.exit_code in (0, 1, 3), result.output
    data = json.loads(out.read_text("utf-8"))
    got = {w["row"]: (w["status"], w["reason"]) for w in data["workers"]}
    return result.exit_code, got, data


def read(path: Path) -> Roster:
    return read_roster(path, today=TODAY)


# ---- the 证号 column holds more than numbers ----------------------------------------------


def test_cert_number_cells_that_are_not_plain_numbers(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(10)]
    rows = [
        ["姓名", "身份证号", "操作项目", "特种作业操作证号"],
        [NAMES[0], ids[0], "低压电工", "同身份证号"],           # 2: the ID's number
        [NAMES[1], ids[1], "低压电工", "见身份证"],             # 3: the ID's number
        [NAMES[2], ids[2], "低压电工", "培训中"],               # 4: no card yet, nothing found
        [NAMES[3], ids[3], "低压电工", "考试合格待发证"],       # 5: no card yet, nothing found
        [NAMES[4], ids[4], "低压电工", "遗失补办中"],           # 6: a card, no number: found
        [NAMES[5], ids[5], "低压电工、焊工",
         f"电工：T{ids[5]}；焊工：T{ids[5][:-4]}9999"],         # 7: the second number is not theirs
        [NAMES[6], ids[6], "低压电工", f"T{ids[6]}\nT{ids[6]}"],  # 8: two numbers, both theirs
        [NAMES[7], ids[7], "低压电工", "见附件"],               # 9: words, not a number
        [NAMES[8], ids[8], "低压电工", "#N/A"],                 # 10: an error value
        [NAMES[9], ids[9], "低压电工", "遗失补办中"],           # 11: claims a card, nothing found
    ]
    roster = write_xlsx(tmp_path / "r.xlsx", rows)
    registry = write_registry(tmp_path / "reg.csv", [
        official(NAMES[0], ids[0]), official(NAMES[1], ids[1]), official(NAMES[4], ids[4]),
        official(NAMES[5], ids[5]),
        official(NAMES[5], ids[5], "熔化焊接与热切割作业", "焊接与热切割作业"),
        official(NAMES[6], ids[6]), official(NAMES[7], ids[7]), official(NAMES[8], ids[8]),
    ])
    declared = [w.declared.cert_number for w in read(roster).workers]
    assert declared[:7] == [
        CertNumber("同身份证号", (ids[0],)),
        CertNumber("见身份证", (ids[1],)),
        CertNumber("培训中", claims=False),
        CertNumber("考试合格待发证", claims=False),
        CertNumber("遗失补办中"),
        CertNumber(f"电工：T{ids[5]}；焊工：T{ids[5][:-4]}9999",
                   (f"T{ids[5]}", f"T{ids[5][:-4]}9999")),
        CertNumber(f"T{ids[6]} T{ids[6]}", (f"T{ids[6]}", f"T{ids[6]}")),
    ]
    assert declared[7] == Unreadable("特种作业操作证号", "见附件", "不是可识别的证号", 9,
                                     "cert_number")
    code, got, data = verify(roster, registry)
    assert got == {
        2: ("valid", "ok"),
        3: ("valid", "ok"),
        4: ("uncertified", "no_certificate"),
        5: ("uncertified", "no_certificate"),
        6: ("valid", "ok"),
        7: ("fake", "cert_number_mismatch"),
        8: ("valid", "ok"),
        9: ("unverified", "unreadable_cell"),
        10: ("unverified", "unreadable_cell"),
        11: ("fake", "not_found"),
    }
    assert code == 1
    issues = {(i["row"], i["code"]): i["message"] for i in data["input_issues"]}
    assert issues[(9, "unreadable_cell")] == "特种作业操作证号“见附件”不是可识别的证号，该人员未核验"
    assert issues[(10, "unreadable_cell")].startswith("特种作业操作证号“#N/A”是错误值")


def test_an_official_record_without_a_number_proves_nothing_about_the_roster_number(
    tmp_path: Path,
) -> None:
    ids = [nth_id(i) for i in range(2)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号", "证号"],
        [NAMES[0], ids[0], "T999999"],
        [NAMES[1], ids[1], "T999999"],
    ])
    registry = write_registry(tmp_path / "reg.csv", [
        official(NAMES[0], ids[0], number=""),   # no number: cannot contradict the roster's
        official(NAMES[1], ids[1]),              # T + ID: the roster's number is not theirs
    ])
    _, got, _ = verify(roster, registry)
    assert got == {2: ("valid", "ok"), 3: ("fake", "cert_number_mismatch")}


# ---- ditto marks, example rows, name markers ------------------------------------------------


def test_ditto_marks_take_the_value_above(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(5)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["序号", "姓名", "身份证号", "作业类别", "操作项目", "有效期至"],
        [1, NAMES[0], ids[0], "电工作业", "低压电工作业", "2029-01-01"],
        [2, NAMES[1], ids[1], "同上", "〃", "同上"],
        [3, NAMES[2], ids[2], '"', "同上", "2029-01-01"],
        # The same person as above, on a second item row: 同上 in the name and the ID.
        [4, "同上", "同上", "焊接与热切割作业", "熔化焊接与热切割作业", "2029-01-01"],
        [5, NAMES[3], ids[3], "电工作业", "低压电工作业", "2029-01-01"],
    ])
    registry = write_registry(tmp_path / "reg.csv", [
        official(n, i) for n, i in zip(NAMES[:4], ids[:4], strict=True)
    ])
    workers = read(roster).workers
    assert [(w.name, w.declared.category, w.declared.item, w.declared.valid_until)
            for w in workers] == [
        (NAMES[0], "电工作业", "低压电工作业", date(2029, 1, 1)),
        (NAMES[1], "电工作业", "低压电工作业", date(2029, 1, 1)),
        (NAMES[2], "电工作业", "低压电工作业", date(2029, 1, 1)),
        (NAMES[2], "焊接与热切割作业", "熔化焊接与热切割作业", date(2029, 1, 1)),
        (NAMES[3], "电工作业", "低压电工作业", date(2029, 1, 1)),
    ]
    # One person over two rows: not a duplicate; the welding row is judged on its own.
    assert workers[3].id_number == ids[2] and workers[3].group == workers[2].row == 4
    _, got, data = verify(roster, registry)
    assert got == {2: ("valid", "ok"), 3: ("valid", "ok"), 4: ("valid", "ok"),
                   5: ("uncertified", "item_not_covered"), 6: ("valid", "ok")}
    assert all("duplicate_id" not in w["warnings"] for w in data["workers"])


def test_a_ditto_on_the_same_persons_row_takes_the_value_above(tmp_path: Path) -> None:
    # The second row is the same person: a name written with an invisible character and a
    # note, an ID with spaces; or the name and ID repeated and only the 证号 saying 同上.
    ids = [nth_id(i) for i in range(2)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号", "操作项目", "证号"],
        [NAMES[0], ids[0], "低压电工作业", "T" + ids[0]],
        [NAMES[0] + "\u200b（班长）", "同上", "高压电工作业", "同上"],
        [NAMES[1], ids[1], "低压电工作业", "T" + ids[1]],
        [NAMES[1], f"{ids[1][:6]} {ids[1][6:]}", "高压电工作业", "同上"],
    ])
    registry = write_registry(tmp_path / "reg.csv", [
        official(NAMES[0], ids[0]), official(NAMES[0], ids[0], "高压电工作业"),
        official(NAMES[1], ids[1]),
    ])
    workers = read(roster).workers
    assert [(w.name, w.id_number, w.declared.cert_number) for w in workers] == [
        (NAMES[0], ids[0], CertNumber("T" + ids[0], ("T" + ids[0],))),
        (NAMES[0], ids[0], CertNumber("T" + ids[0], ("T" + ids[0],))),
        (NAMES[1], ids[1], CertNumber("T" + ids[1], ("T" + ids[1],))),
        (NAMES[1], ids[1], CertNumber("T" + ids[1], ("T" + ids[1],))),
    ]
    # Only a 同上 in the name or ID makes the rows one entry; repeated rows stay two.
    assert [w.group for w in workers] == [None, 2, None, None]
    _, got, _ = verify(roster, registry)
    assert got == {2: ("valid", "ok"), 3: ("valid", "ok"), 4: ("valid", "ok"),
                   5: ("uncertified", "item_not_covered")}


def test_a_ditto_with_nothing_to_take_is_not_understood(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(3)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号", "操作项目", "证号"],
        [NAMES[0], ids[0], "同上", "T" + ids[0]],    # nothing above
        [NAMES[1], ids[1], "低压电工", "同上"],        # another person's number
        ["同上", ids[2], "低压电工", ""],              # a name from another ID
    ])
    registry = write_registry(tmp_path / "reg.csv", [official(n, i) for n, i in
                                                      zip(NAMES[:2], ids[:2], strict=True)])
    _, got, data = verify(roster, registry)
    assert got == {2: ("unverified", "unreadable_cell"), 3: ("unverified", "unreadable_cell"),
                   4: ("unverified", "unreadable_cell")}
    messages = {i["row"]: i["message"] for i in data["input_issues"]
                if i["code"] == "unreadable_cell"}
    assert messages == {
        2: "操作项目“同上”是“同上”，但上方没有可沿用的值，该人员未核验",
        3: "证号“同上”是“同上”，但上一行是另一个人，该人员未核验",
        4: "姓名“同上”是“同上”，但上一行是另一个人，该人员未核验",
    }


def test_example_rows_are_not_workers(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(2)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["序号", "姓名", "身份证号", "操作项目"],
        ["示例", "张三", "110101199003071234", "低压电工"],
        ["例：", "李四", nth_id(9), "焊工"],
        [1, NAMES[0], ids[0], "低压电工"],
        [2, "王五（示例）", nth_id(8), "低压电工"],
        [3, NAMES[1], ids[1], "低压电工"],
    ])
    roster_read = read(roster)
    assert [w.row for w in roster_read.workers] == [4, 6]
    assert [(i.row, i.code) for i in roster_read.issues] == [
        (2, "example_row"), (3, "example_row"), (5, "example_row")]


def test_name_markers_are_taken_off_and_the_name_as_written_still_matches(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(5)]
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号", "操作项目"],
        [NAMES[0] + "2", ids[0], "低压电工"],
        [NAMES[1] + "*", ids[1], "低压电工"],
        ["【外协】" + NAMES[2], ids[2], "低压电工"],
        [NAMES[3] + "※", ids[3], "低压电工"],
        ["工人1", ids[4], "低压电工"],   # a registry that stores the digit too
    ])
    registry = write_registry(tmp_path / "reg.csv", [
        *(official(n, i) for n, i in zip(NAMES[:4], ids[:4], strict=True)),
        official("工人1", ids[4]),
    ])
    read_back = read(roster)
    assert [w.name for w in read_back.workers] == [*NAMES[:4], "工人"]
    assert [i.message for i in read_back.issues if i.code == "name_note_removed"] == [
        f"姓名“{NAMES[0]}2”后的备注“2”已去掉",
        f"姓名“{NAMES[1]}*”后的备注“*”已去掉",
        f"姓名“【外协】{NAMES[2]}”中的备注“外协”已去掉",
        f"姓名“{NAMES[3]}※”后的备注“※”已去掉",
        "姓名“工人1”后的备注“1”已去掉",
    ]
    _, got, _ = verify(roster, registry)
    assert set(got.values()) == {("valid", "ok")}


@pytest.mark.parametrize("column", ["姓名", "身份证号", "操作项目", "有效期至", "作业类别"])
@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!", "＃N/A"])
def test_an_error_value_in_a_deciding_column_of_a_gbk_csv(
    tmp_path: Path, column: str, error: str
) -> None:
    header = ["姓名", "身份证号", "作业类别", "操作项目", "有效期至"]
    row = [NAMES[0], nth_id(0), "电工作业", "低压电工", "2029-01-01"]
    row[header.index(column)] = error
    path = tmp_path / "r.csv"
    path.write_bytes(("\r\n".join([",".join(header), ",".join(row)]) + "\r\n").encode("gbk"))
    registry = write_registry(tmp_path / "reg.csv", [official(NAMES[0], nth_id(0))])
    code, got, data = verify(path, registry)
    assert (code, got) == (3, {2: ("unverified", "unreadable_cell")})
    (issue,) = [i for i in data["input_issues"] if i["code"] == "unreadable_cell"]
    assert issue["message"].startswith(f"{column}“{error}”是错误值")


def test_words_in_a_date_column_of_an_xls_are_not_a_date(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "r.xls", [("人员", [
        ["姓名", "身份证号", "操作项目", "有效期至", "实际复审日期"],
        [NAMES[0], nth_id(0), "低压电工", "长期有效", "未复审"],
        [NAMES[1], nth_id(1), "低压电工", "2029-01-01", "未复审"],
    ])])
    registry = write_registry(tmp_path / "reg.csv", [official(NAMES[0], nth_id(0)),
                                                     official(NAMES[1], nth_id(1))])
    _, got, _ = verify(path, registry)
    # 未复审 in the reviewed column says "no review": none, understood.
    assert got == {2: ("unverified", "unreadable_cell"), 3: ("valid", "ok")}


def test_a_space_between_the_parts_of_a_transliterated_name_is_its_middle_dot(
    tmp_path: Path,
) -> None:
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号"],
        ["阿依古丽 买买提", nth_id(0)],
        ["张 三", nth_id(1)],        # a space that pads a short name is no separator
        ["欧阳 修", nth_id(2)],
    ])
    assert [w.name for w in read(roster).workers] == ["阿依古丽·买买提", "张三", "欧阳修"]


def test_formulas_without_a_value_and_error_cells_in_a_workbook(tmp_path: Path) -> None:
    """A VLOOKUP saved by a program that does not calculate, and an error cell: calamine hands
    both over as empty, and neither may read as "no item" (any certificate would then pass)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "操作项目", "有效期至"])
    ws.append([NAMES[0], nth_id(0), "=VLOOKUP(A2,代码!A:B,2,FALSE)", "2029-01-01"])
    ws.append([NAMES[1], nth_id(1), "低压电工", "2029-01-01"])
    ws["D3"] = "#N/A"   # openpyxl stores this as an error cell
    ws.append([NAMES[2], nth_id(2), "低压电工", "2029-01-01"])
    # One item for two people, merged, holding an uncalculated formula.
    ws.append([NAMES[3], nth_id(3), "=代码!B2", "2029-01-01"])
    ws.append([NAMES[4], nth_id(4), None, "2029-01-01"])
    ws.merge_cells("C5:C6")
    wb.save(tmp_path / "r.xlsx")
    registry = write_registry(tmp_path / "reg.csv", [
        official(n, nth_id(i)) for i, n in enumerate(NAMES[:5])
    ])
    code, got, data = verify(tmp_path / "r.xlsx", registry)
    assert got == {2: ("unverified", "unreadable_cell"), 3: ("unverified", "unreadable_cell"),
                   4: ("valid", "ok"), 5: ("unverified", "unreadable_cell"),
                   6: ("unverified", "unreadable_cell")}
    assert code == 3
    messages = {i["row"]: i["message"] for i in data["input_issues"]
                if i["code"] == "unreadable_cell"}
    assert messages[2] == ("操作项目“=VLOOKUP(A2,代码!A:B,2,FALSE)”是没有计算结果的公式"
                           "（公式未计算或引用失效），该人员未核验")
    assert messages[3] == "有效期至“#N/A”是错误值（公式出错或引用失效），该人员未核验"
    assert messages[6].startswith("操作项目“=代码!B2”是没有计算结果的公式")


def test_what_colleagues_call_someone_is_no_name(tmp_path: Path) -> None:
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["姓名", "身份证号", "操作项目"],
        ["老李", nth_id(0), "低压电工"],
        ["小王", nth_id(1), "低压电工"],
        ["王小", nth_id(2), "低压电工"],   # a real name may end in 小
    ])
    registry = write_registry(tmp_path / "reg.csv", [official("李建国", nth_id(0)),
                                                     official("王小", nth_id(2))])
    _, got, data = verify(roster, registry)
    assert got == {2: ("unverified", "unreadable_cell"), 3: ("unverified", "unreadable_cell"),
                   4: ("valid", "ok")}
    messages = [i["message"] for i in data["input_issues"] if i["code"] == "unreadable_cell"]
    assert messages[0] == "姓名“老李”像是称呼（老李、小王），不是身份证上的姓名，该人员未核验"


def test_a_row_whose_only_cell_is_an_error_value_is_still_a_worker(tmp_path: Path) -> None:
    """A name lookup that failed (#REF!) on a row with no ID and nothing else filled in: the
    row is numbered like the others and is a person the officer must see, not a blank row."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["序号", "姓名", "身份证号", "操作项目"])
    ws.append([1, NAMES[0], nth_id(0), "低压电工"])
    ws.append([2, "=VLOOKUP(A3,人员!A:B,2,FALSE)", None, None])
    ws.append([3, None, None, None])
    ws["B4"] = "#REF!"  # openpyxl stores this as an error cell
    ws.append([4, NAMES[1], nth_id(1), "低压电工"])
    wb.save(tmp_path / "r.xlsx")
    registry = write_registry(tmp_path / "reg.csv", [official(NAMES[0], nth_id(0)),
                                                     official(NAMES[1], nth_id(1))])
    code, got, data = verify(tmp_path / "r.xlsx", registry)
    assert got == {2: ("valid", "ok"), 3: ("unverified", "unreadable_cell"),
                   4: ("unverified", "unreadable_cell"), 5: ("valid", "ok")}
    assert code == 3
    messages = {i["row"]: i["message"] for i in data["input_issues"]
                if i["code"] == "unreadable_cell"}
    assert messages[4] == "姓名“#REF!”是错误值（公式出错或引用失效），该人员未核验"


def test_an_example_row_marked_in_a_序号_column_that_is_not_the_first(tmp_path: Path) -> None:
    roster = write_xlsx(tmp_path / "r.xlsx", [
        ["单位", "序号", "姓名", "身份证号", "操作项目"],
        ["一车间", "示例", "张三", "110101199003071234", "低压电工"],
        ["一车间", 1, NAMES[0], nth_id(0), "低压电工"],
    ])
    read_back = read(roster)
    assert [w.row for w in read_back.workers] == [3]
    assert [(i.row, i.code) for i in read_back.issues] == [(2, "example_row")]
