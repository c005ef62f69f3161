"""Rosters and registry answers invented against the evidence principle (issue 17, §3).

A worker gets fake, uncertified, expired or valid only from values certcheck understood; a
deciding value it could not understand makes the worker ``unverified``. Each test below is a
roster as another office would fill it (a construction site's 项目部, a boiler room, a
forklift fleet, an HR export, a WPS sheet with a hidden column …) on which an earlier version
gave a verdict from a value it had misread, ignored or could not reconcile: a false
accusation (fake, uncertified) or a false pass (valid). ``docs/red-team.md`` lists every
roster tried, these and the ones certcheck already read right.

Every file is built the way the office makes it (openpyxl merges, hidden columns, numbers
typed into date cells, registry CSV as the source), run through ``certcheck verify`` with a
pinned ``--as-of``, and the status and reason each worker must get are written out.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.cli import verify as _verify  # noqa: F401  (attaches the command)
from factories import nth_id

AS_OF = "2026-12-01"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关", "证书状态",
]
LOW = ("电工作业", "低压电工作业")
WELD = ("焊接与热切割作业", "熔化焊接与热切割作业")

Verdicts = dict[str, tuple[str, str]]


def official(name: str, id_number: str, kind: tuple[str, str] = LOW, *, number: str | None = None,
             first: str = "2022-05-01", start: str = "2022-05-01", until: str = "2028-05-01",
             due: str = "2025-05-01", reviewed: str = "2025-04-01", status: str = "",
             issuer: str = "重庆市应急管理局") -> list[str]:
    """One record of the registry, in force on AS_OF unless told otherwise."""
    cert = "T" + id_number if number is None else number
    return [name, id_number, cert, *kind, first, start, until, due, reviewed, issuer, status]


def registry(folder: Path, *rows: list[str]) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(rows)
    return path


def workbook(folder: Path, rows: list[list[object]], name: str = "roster.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    for row in rows:
        ws.append(row)
    path = folder / name
    wb.save(path)
    return path


def verify(roster: Path, reg: Path, as_of: str = AS_OF) -> tuple[int, Verdicts, list[dict]]:  # type: ignore[type-arg]
    """(exit code, name → (status, reason), input issues) of one ``certcheck verify`` run."""
    out = roster.parent / "out.json"
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{reg}", "--as-of", as_of,
         "-o", str(out), "--no-progress", "--no-cache"],
        catch_exceptions=False,
    )
    assert out.exists(), result.output
    data = json.loads(out.read_text("utf-8"))
    verdicts = {w["name"]: (w["status"], w["reason"]) for w in data["workers"]}
    return result.exit_code, verdicts, data["input_issues"]


def issues_of(issues: list[dict], row: int, code: str = "unreadable_cell") -> list[str]:  # type: ignore[type-arg]
    return [i["message"] for i in issues if i["row"] == row and i["code"] == code]


# ---- the header --------------------------------------------------------------------------


def test_a_project_department_title_above_the_header_is_no_header_row(tmp_path: Path) -> None:
    # A construction site's roster is titled by its 项目部. The title is not a first header
    # row: 项目部 + 序号 once read as an 操作项目 column (项目, 特种), so every worker's item was
    # their 序号 and the real 岗位 column was dropped; a worker with no card was uncertified
    # for "item 2", and one with a valid card unverified for "item 1".
    a, b = nth_id(701), nth_id(702)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(["中建某局重庆某项目部特种作业人员花名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "姓名", "身份证号", "岗位", "证号", "有效期至"])
    ws.append([1, "项一", a, "电工", "T" + a, "2028-05-01"])
    ws.append([2, "项二", b, "焊工", "T" + b, "2028-05-01"])
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    reg = registry(tmp_path, official("项一", a), official("项二", b, WELD))
    code, verdicts, issues = verify(roster, reg)
    assert verdicts == {"项一": ("valid", "ok"), "项二": ("valid", "ok")}
    assert code == 0
    assert not [i for i in issues if i["code"] == "header_two_rows"]


# ---- two columns for one field -------------------------------------------------------------


def test_an_old_and_a_new_number_column_that_disagree_decide_nothing(tmp_path: Path) -> None:
    # After a renewal the office keeps both numbers: 原证号 (the old card) before 新证号. The
    # first column used to win and the old number, none of the person's, made them fake.
    a, b, c, d = nth_id(711), nth_id(712), nth_id(713), nth_id(715)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "原证号", "新证号"],
        ["黄磊", a, "低压电工", "0012345", "T" + a],
        ["何静", b, "低压电工", "", "T" + b],
        ["罗杰", c, "低压电工", "T" + c, "T" + c],
        # The same number, once written with the T of a 特种作业 card and once without.
        ["邓超", d, "低压电工", d, "t" + d],
    ])
    reg = registry(tmp_path, official("黄磊", a), official("何静", b), official("罗杰", c),
                   official("邓超", d))
    code, verdicts, issues = verify(roster, reg)
    assert verdicts == {
        "黄磊": ("unverified", "unreadable_cell"),
        "何静": ("valid", "ok"),
        "罗杰": ("valid", "ok"),
        "邓超": ("valid", "ok"),
    }
    assert code == 3
    [message] = issues_of(issues, 2)
    assert "原证号“0012345”" in message and "新证号" in message


def test_a_hidden_column_of_old_numbers_in_a_wps_sheet(tmp_path: Path) -> None:
    # WPS users hide the column they no longer use instead of deleting it: 证号 (hidden, old
    # local numbers) and 证书编号 (the current T + ID). Both are 证号 columns.
    a = nth_id(714)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "操作项目", "证号", "证书编号", "有效期至"])
    ws.append(["金一", "'" + a, "低压电工", "9912345", "T" + a, "2028/5/1"])
    ws.column_dimensions["D"].hidden = True
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    code, verdicts, _ = verify(roster, registry(tmp_path, official("金一", a)))
    assert verdicts == {"金一": ("unverified", "unreadable_cell")}
    assert code == 3


def test_a_boiler_room_roster_with_two_certificate_groups(tmp_path: Path) -> None:
    # A hospital's boiler room lists each worker's 特种作业操作证 and 特种设备作业人员证 under
    # two merged parents. The second group's 证号 and 作业项目 were dropped as duplicates, so a
    # boiler operator who holds only a 特种设备 card was uncertified by the national lookup.
    a, b = nth_id(721), nth_id(722)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "特种作业操作证", "", "特种设备作业人员证", ""])
    ws.append(["", "", "证号", "操作项目", "证号", "作业项目"])
    ws.append(["马超", a, "T" + a, "低压电工作业", "", ""])
    ws.append(["林峰", b, "", "", "TS3150001234", "工业锅炉司炉"])
    for merged in ("A1:A2", "B1:B2", "C1:D1", "E1:F1"):
        ws.merge_cells(merged)
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    code, verdicts, _ = verify(roster, registry(tmp_path, official("马超", a)))
    assert verdicts == {"马超": ("valid", "ok"), "林峰": ("unverified", "other_authority")}
    assert code == 3


# ---- what the row declares -----------------------------------------------------------------


def test_a_category_that_contradicts_the_item_is_not_understood(tmp_path: Path) -> None:
    # 作业类别 and 操作项目 filled from two dropdowns that drifted apart: a welder's category
    # beside an electrician's item, and an item in the category column with a category in the
    # item column. One cell saying 焊接与热切割作业-低压电工作业 is not understood; two cells
    # saying it are not either.
    a, b, c, d = nth_id(731), nth_id(732), nth_id(733), nth_id(734)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "作业类别", "操作项目", "证号"],
        ["周杰", a, "焊接与热切割作业", "低压电工作业", "T" + a],
        ["吴磊", b, "低压电工作业", "电工作业", "T" + b],
        ["郑爽", c, "电工作业", "低压电工", "T" + c],
        ["王珂", d, "特种作业", "低压电工", "T" + d],
    ])
    reg = registry(tmp_path, official("周杰", a), official("吴磊", b, ("电工作业", "高压电工作业")),
                   official("郑爽", c), official("王珂", d))
    code, verdicts, issues = verify(roster, reg)
    assert verdicts == {
        "周杰": ("unverified", "unreadable_cell"),
        "吴磊": ("unverified", "unreadable_cell"),
        "郑爽": ("valid", "ok"),
        "王珂": ("valid", "ok"),
    }
    assert code == 3
    [message] = issues_of(issues, 2)
    assert message.startswith("作业类别“焊接与热切割作业”") and "低压电工作业" in message


def test_the_job_speaks_when_the_item_cell_is_left_blank(tmp_path: Path) -> None:
    # A roster with both 岗位 and 操作项目 where the filler left 操作项目 blank (or wrote /):
    # the 岗位 电工 still says what the person does. Any certificate used to do, so a welder's
    # card let an electrician work.
    a, b, c = nth_id(741), nth_id(742), nth_id(743)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "岗位", "操作项目", "证号"],
        ["郑强", a, "电工", "", "T" + a],
        ["冯雪", b, "电工", "/", "T" + b],
        ["陈晨", c, "班长", "", "T" + c],
    ])
    reg = registry(tmp_path, official("郑强", a, WELD), official("冯雪", b, WELD),
                   official("陈晨", c, WELD))
    code, verdicts, _ = verify(roster, reg)
    assert verdicts == {
        "郑强": ("uncertified", "item_not_covered"),
        "冯雪": ("uncertified", "item_not_covered"),
        "陈晨": ("valid", "ok"),
    }
    assert code == 1


def test_a_job_of_another_authority_is_not_dropped(tmp_path: Path) -> None:
    # A logistics firm's roster has no item column; 岗位 says 电瓶叉车司机 or 锅炉房司炉, which
    # the catalog does not hold word for word but which plainly name 特种设备 work. Dropping
    # the job left a certificate number (the ID, as 特种设备 cards use) and nothing found in
    # the national lookup: fake; and a boiler operator without a number uncertified.
    a, b = nth_id(751), nth_id(752)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "岗位", "证件编号"],
        ["叉三", a, "电瓶叉车司机", a],
        ["锅一", b, "锅炉房司炉", ""],
    ])
    code, verdicts, _ = verify(roster, registry(tmp_path, official("别人", nth_id(759))))
    assert verdicts == {
        "叉三": ("unverified", "other_authority"),
        "锅一": ("unverified", "other_authority"),
    }
    assert code == 3


def test_an_item_of_this_authority_with_a_number_of_another(tmp_path: Path) -> None:
    # A construction company writes the 特种作业 item name beside the worker's 建筑电工 card
    # number (渝A01…), or a 特种设备 number (TS…). Nothing is found in the national lookup;
    # the row does show a card, of another authority: that is not 无证 (no_certificate).
    a, b = nth_id(761), nth_id(762)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["赵敏", a, "低压电工作业", "渝A012021000123"],
        ["孙丽", b, "低压电工作业", "TS1234567"],
    ])
    code, verdicts, _ = verify(roster, registry(tmp_path, official("别人", nth_id(769))))
    assert verdicts == {
        "赵敏": ("unverified", "other_authority"),
        "孙丽": ("unverified", "other_authority"),
    }
    assert code == 3


def test_a_date_typed_as_a_number_is_not_a_serial_day(tmp_path: Path) -> None:
    # Typed as 2026.11 (year.month) or 2027, Excel keeps a number, which read as a serial day
    # is a date in 1905. The 初领日期 of November 2026 is within the publication delay on
    # 2026-11-29; read as 1905 it was not, and nothing found made the worker fake.
    a, b = nth_id(771), nth_id(772)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号", "初领日期", "有效期至"],
        ["韩梅", a, "低压电工", "T" + a, 2026.11, 2032.11],
        ["李雷", b, "低压电工", "", None, 2027],
    ])
    code, verdicts, issues = verify(roster, registry(tmp_path, official("别人", nth_id(779))),
                                    as_of="2026-11-29")
    assert verdicts == {
        "韩梅": ("unverified", "unreadable_cell"),
        "李雷": ("unverified", "unreadable_cell"),
    }
    assert code == 3
    assert issues_of(issues, 3) == ["有效期至“2027”不是可识别的日期，该人员未核验"]


# ---- the person's cells --------------------------------------------------------------------


def test_an_id_merged_over_two_different_names(tmp_path: Path) -> None:
    # Someone merged two ID cells by accident (or to "tidy" the sheet): the merge reaches a
    # row with another name. That row's ID is not the person's; it was spread to them and the
    # record of the first person's ID made the second fake (name_mismatch).
    a = nth_id(781)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号", "操作项目"])
    ws.append(["周一", a, "低压电工"])
    ws.append(["吴二", None, "低压电工"])
    ws.merge_cells("B2:B3")
    roster = tmp_path / "roster.xlsx"
    wb.save(roster)
    code, verdicts, issues = verify(roster, registry(tmp_path, official("周一", a)))
    assert verdicts == {"周一": ("valid", "ok"), "吴二": ("unverified", "unreadable_cell")}
    assert code == 3
    assert len(issues_of(issues, 3)) == 1


def test_a_name_in_pinyin_for_a_resident_id_is_not_compared(tmp_path: Path) -> None:
    # An HR system of a foreign-invested firm exports names in pinyin. The national lookup
    # holds the ID card's name in Chinese characters; Zhang Wei is not compared with 张伟
    # (it used to be a name_mismatch: fake). A foreigner's permanent residence ID (9…) keeps
    # the Latin name.
    a = nth_id(791)
    foreigner = nth_id(792, region="911000")
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["Zhang Wei", a, "低压电工", "T" + a],
        ["John SMITH", foreigner, "低压电工", "T" + foreigner],
    ])
    reg = registry(tmp_path, official("张伟", a), official("JOHN SMITH", foreigner))
    code, verdicts, issues = verify(roster, reg)
    assert verdicts == {
        "ZhangWei": ("unverified", "unreadable_cell"),
        "JohnSMITH": ("valid", "ok"),
    }
    assert code == 3
    [message] = issues_of(issues, 2)
    assert message.startswith("姓名“Zhang Wei”")


def test_an_id_given_to_two_people_accuses_neither(tmp_path: Path) -> None:
    # The ID of the row above pasted into the next row by mistake: one ID, two names. The
    # roster contradicts itself about whose ID it is; the second person was fake
    # (name_mismatch) on the strength of a copy-paste. The record says whose ID it is, so the
    # first is judged as usual and the second is not accused.
    a = nth_id(795)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["钱多", a, "低压电工", "T" + a],
        ["孙少", a, "低压电工", ""],
    ])
    code, verdicts, issues = verify(roster, registry(tmp_path, official("钱多", a)))
    assert verdicts == {"钱多": ("valid", "ok"), "孙少": ("unverified", "unreadable_cell")}
    assert code == 3
    assert issues_of(issues, 3, "id_shared") == [
        f"身份证号 {a[:6]}********{a[-4:]} 与第 2 行“钱多”的相同，姓名却不同；请核对是否复制粘贴错了"
    ]
    # Had the record been 孙少's, 钱多 would be the one not accused.
    _, swapped, _ = verify(roster, registry(tmp_path, official("孙少", a)))
    assert swapped == {"钱多": ("unverified", "unreadable_cell"), "孙少": ("valid", "ok")}


def test_two_names_pasted_into_one_cell_are_not_one_dotted_name(tmp_path: Path) -> None:
    # Pasted from a WeChat message, 王小明 李小红 landed in one name cell. The space between
    # CJK parts is read as a transliterated name's middle dot (阿依古丽 买买提), so the cell
    # became 王小明·李小红, whose ID's record says 王小明: fake (name_mismatch).
    a = nth_id(797)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["王小明 李小红", a, "低压电工", "T" + a],
    ])
    code, verdicts, _ = verify(roster, registry(tmp_path, official("王小明", a)))
    assert verdicts == {"王小明·李小红": ("unverified", "record_incomplete")}
    assert code == 3


# ---- what the registry answers -------------------------------------------------------------


def test_a_status_that_says_lapsed_or_negates_a_withdrawal_decides_nothing(
    tmp_path: Path,
) -> None:
    # 失效 / 过期 beside dates that show the card in force: the dates do not explain the
    # status, so the card is not valid by the dates alone. 未注销 and 正常（未吊销） hold a
    # withdrawal word under a negation: they are no withdrawal (used to be uncertified/revoked).
    ids = [nth_id(800 + n) for n in range(5)]
    names = ["甲一", "乙二", "丙三", "丁四", "戊五"]
    states = ["失效", "过期", "未注销", "正常（未吊销）", "注销"]
    roster = workbook(tmp_path, [["姓名", "身份证号", "操作项目", "证号"]] + [
        [name, i, "低压电工", "T" + i] for name, i in zip(names, ids, strict=True)
    ])
    reg = registry(tmp_path, *(
        official(name, i, status=state) for name, i, state in zip(names, ids, states, strict=True)
    ))
    code, verdicts, _ = verify(roster, reg)
    assert verdicts == {
        "甲一": ("unverified", "record_incomplete"),
        "乙二": ("unverified", "record_incomplete"),
        "丙三": ("unverified", "record_incomplete"),
        "丁四": ("unverified", "record_incomplete"),
        "戊五": ("uncertified", "revoked"),
    }
    assert code == 1


def test_a_record_first_issued_after_the_as_of_date_but_valid_from_before(
    tmp_path: Path,
) -> None:
    # A typo in the registry's 初领日期 (2027 for 2022): the validity began in 2022, so the
    # record contradicts itself. It was set aside as "not issued yet", and the holder was
    # uncertified for an item the register then listed as held.
    a, b = nth_id(811), nth_id(812)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["庚七", a, "低压电工", "T" + a],
        ["辛八", b, "高压电工", ""],
    ])
    reg = registry(
        tmp_path,
        official("庚七", a, first="2027-05-01", start="2022-05-01"),
        official("辛八", b),
        # Issued after the as-of date in every date it shows: did not exist yet.
        official("辛八", b, ("电工作业", "高压电工作业"), first="2027-01-01", start="2027-01-01",
                 until="2033-01-01", due="2030-01-01", reviewed=""),
    )
    code, verdicts, _ = verify(roster, reg)
    assert verdicts == {
        "庚七": ("unverified", "record_incomplete"),
        "辛八": ("uncertified", "item_not_covered"),
    }
    assert code == 1


def test_a_record_whose_item_is_a_broad_name_covers_no_single_item(tmp_path: Path) -> None:
    # A district's own registry typed 电工, 电工作业 or 焊工 into 操作项目. Such a record is
    # one of several items and may not be the declared one: it decides nothing, as a record
    # naming only its category does. It used to cover every item of the category.
    a, b, c, d = nth_id(821), nth_id(822), nth_id(823), nth_id(824)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["蒋一", a, "高压电工", "T" + a],
        ["沈二", b, "防爆电气作业", "T" + b],
        ["韩三", c, "钎焊", "T" + c],
        ["杨四", d, "电工", "T" + d],
    ])
    reg = registry(
        tmp_path,
        official("蒋一", a, ("电工作业", "电工")),
        official("沈二", b, ("电工作业", "电工作业")),
        official("韩三", c, ("焊接与热切割作业", "焊工")),
        official("杨四", d, ("电工作业", "电工")),
    )
    code, verdicts, _ = verify(roster, reg)
    assert verdicts == {
        "蒋一": ("unverified", "record_incomplete"),
        "沈二": ("unverified", "record_incomplete"),
        "韩三": ("unverified", "record_incomplete"),
        # Whatever 电工 item the record is, it is one the roster's 电工 accepts.
        "杨四": ("valid", "ok"),
    }
    assert code == 3


def test_a_registry_record_under_the_old_15_digit_id(tmp_path: Path) -> None:
    # A district registry typed from old paper files keeps a holder's 15-digit ID (GB 11643
    # upgraded it to 18 digits: 19 before the year, a check character after). The roster has
    # the 18-digit ID; the record is the same person's and was never found: fake.
    a = nth_id(831, born="19650315")
    old = a[:6] + a[8:17]
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["壬九", a, "低压电工", "T" + a],
    ])
    code, verdicts, _ = verify(roster, registry(tmp_path, official("壬九", old, number="T" + a)))
    assert verdicts == {"壬九": ("valid", "ok")}
    assert code == 0


def test_a_record_whose_dates_contradict_each_other_decides_nothing(tmp_path: Path) -> None:
    # A registry typed by hand: an end date before the start (2016 for 2026), and a card
    # renewed in 2024 whose 应复审日期 still is the old card's 2021. Neither record can say
    # the card ended or missed its review: they were expired (validity_ended, review_overdue).
    a, b, c = nth_id(841), nth_id(842), nth_id(843)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["乱一", a, "低压电工", "T" + a],
        ["乱二", b, "低压电工", "T" + b],
        ["顺三", c, "低压电工", "T" + c],
    ])
    reg = registry(
        tmp_path,
        official("乱一", a, start="2020-05-01", until="2016-05-01", due="2023-05-01"),
        official("乱二", b, first="2018-05-01", start="2024-05-01", until="2030-05-01",
                 due="2021-05-01", reviewed=""),
        # Renewed in 2024 as it should be: the review falls due three years on.
        official("顺三", c, first="2018-05-01", start="2024-05-01", until="2030-05-01",
                 due="2027-05-01", reviewed=""),
    )
    code, verdicts, _ = verify(roster, reg)
    assert verdicts == {
        "乱一": ("unverified", "record_incomplete"),
        "乱二": ("unverified", "record_incomplete"),
        "顺三": ("valid", "ok"),
    }
    assert code == 3


def test_a_registry_workbook_with_a_year_typed_as_a_number(tmp_path: Path) -> None:
    # A district registry kept in Excel, 有效期结束日期 typed as 2028 (a number). Read as a
    # serial day it was 1905 and the holder expired; a date that is no date makes the
    # registry unusable, as any other bad date in it does (exit 4, the row named).
    a = nth_id(851)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(REGISTRY_HEADER)
    ws.append(["年一", a, "T" + a, *LOW, "", "", 2028, "", "", "重庆市应急管理局", ""])
    reg = tmp_path / "registry.xlsx"
    wb.save(reg)
    roster = workbook(tmp_path, [["姓名", "身份证号", "操作项目"], ["年一", a, "低压电工"]])
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{reg}", "--as-of", AS_OF,
         "-o", str(tmp_path / "out.json"), "--no-progress", "--no-cache"],
    )
    assert result.exit_code == 4
    assert "第 2 行：有效期结束日期 不是日期" in result.output


def test_a_registry_whose_status_column_has_another_name(tmp_path: Path) -> None:
    # A district registry names its status column 状态, not 证书状态, and marks a cancelled
    # card 注销; another has a 数据类型 column saying 历史数据. Neither column is the
    # registry's, so neither was read: the cancelled card let its holder work (valid, exit
    # 0). A registry column that speaks of a status or of history and is not 证书状态 makes
    # the file unusable (exit 4), naming the column.
    a = nth_id(861)
    roster = workbook(tmp_path, [["姓名", "身份证号", "操作项目"], ["状一", a, "低压电工"]])
    for column, value in (("状态", "注销"), ("数据类型", "历史数据")):
        reg = tmp_path / "registry.csv"
        with reg.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([*REGISTRY_HEADER, column])
            out.writerow([*official("状一", a), value])
        result = CliRunner().invoke(
            cli,
            ["verify", str(roster), "--source", f"registry:{reg}", "--as-of", AS_OF,
             "-o", str(tmp_path / "out.json"), "--no-progress", "--no-cache"],
        )
        assert result.exit_code == 4, result.output
        assert f"“{column}”" in result.output


def test_a_cert_number_column_slipped_by_one_row_accuses_nobody(tmp_path: Path) -> None:
    # #50: the 证号 column was sorted apart from the rest, so each row carries the next
    # person's T + ID. Every number is understood, yet each is another roster worker's ID:
    # not a fraud by everyone, a slipped column. Each such cell is not understood.
    a, b, c = nth_id(810), nth_id(811), nth_id(812)
    roster = workbook(tmp_path, [
        ["姓名", "身份证号", "操作项目", "证号"],
        ["冯一", a, "低压电工", "T" + b],
        ["冯二", b, "低压电工", "T" + c],
        ["冯三", c, "低压电工", "T" + a],
    ])
    reg = registry(tmp_path, official("冯一", a), official("冯二", b), official("冯三", c))
    code, verdicts, issues = verify(roster, reg)
    assert verdicts == {name: ("unverified", "unreadable_cell") for name in ("冯一", "冯二", "冯三")}
    assert code == 3
    assert issues_of(issues, 2) == [
        f"证号“T{b[:6]}********{b[-4:]}”是第 3 行“冯二”的身份证号，不是本人的证号（证号列可能错行），"
        "该人员未核验"
    ]
