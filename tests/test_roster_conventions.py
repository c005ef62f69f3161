"""The roster reader on the conventions offices use when they fill a roster: placeholders for
"none", merged cells, one sheet per trade beside a 填表说明 sheet, notes after names, the many
names of the certificate-number column, signature lines under the table, names garbled by a
GBK save, and ="…" cells in CSV.

Files are made the way office software makes them: openpyxl with real merged cells, .xls by
xlwt, CSV as GBK bytes, HTML tables with rowspan. Expected values are written out.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from certcheck.models import CertNumber, IdProblem, Unreadable
from certcheck.roster import Roster, RosterError, read_roster
from roster_fixtures import tiny_ods, write_book, write_xls, write_xlsx

TODAY = date(2026, 11, 29)
FULL_ID = re.compile(r"\d{17}[\dX]")

# Valid IDs (checksum ok), written out.
ID_A = "500381198503150019"
ID_B = "500381198503150027"
ID_C = "50038119900101031X"
ID_D = "510107197907210041"
ID_E = "51010719790721005X"
ID_F = "510107197907210068"


def read(path: Path, sheet: str | None = None) -> Roster:
    roster = read_roster(path, sheet, today=TODAY)
    for issue in roster.issues:
        assert not FULL_ID.search(issue.message), issue  # personal data never in a message
        assert "\n" not in issue.message
    return roster


def codes(roster: Roster) -> list[str]:
    return [issue.code for issue in roster.issues]


def gbk_csv(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\r\n".join(lines).encode("gbk") + b"\r\n")
    return path


# ---- 1. placeholders ----------------------------------------------------------------------

PLACEHOLDERS = [
    "/",
    "无",
    "暂无",
    "未取证",
    "待取证",
    "—",
    "-",
    "－",
    "N/A",
    "n/a",
    "NA",
    "空",
    "——",
    "/ ",
    " 无 ",
    "／",
]


def test_placeholders_in_cert_number_date_category_and_item_mean_none_given(
    tmp_path: Path,
) -> None:
    header = [
        "姓名",
        "身份证号",
        "证号",
        "作业类别",
        "操作项目",
        "初领日期",
        "有效期至",
        "应复审日期",
    ]
    rows: list[list[object]] = [header]
    for i, mark in enumerate(PLACEHOLDERS):
        rows.append([f"工人{i}", ID_A, mark, mark, mark, mark, mark, mark])
    rows.append(
        [
            "张三",
            ID_B,
            "T500381198503150027",
            "电工作业",
            "低压电工作业",
            "2018-01-01",
            "2027-03-01",
            "2024-01-01",
        ]
    )
    roster = read(write_xlsx(tmp_path / "r.xlsx", rows))

    for worker in roster.workers[:-1]:
        d = worker.declared
        assert (d.cert_number, d.category, d.item) == (None, None, None), worker
        assert (d.first_issued, d.valid_until, d.review_due) == (None, None, None), worker
        assert not d.claims_certificate
    last = roster.workers[-1].declared
    assert last.cert_shown == "T500381198503150027"
    assert (last.category, last.item) == ("电工作业", "低压电工作业")
    assert last.valid_until == date(2027, 3, 1)
    assert "bad_date" not in codes(roster)


def test_placeholders_in_a_gbk_csv(tmp_path: Path) -> None:
    path = gbk_csv(
        tmp_path / "r.csv",
        [
            "姓名,身份证号,证书编号,有效期结束日期,实际复审日期",
            f"张三,{ID_A},未取证,／,——",
            f"李四,{ID_B},－,暂无,N/A",
        ],
    )
    roster = read(path)
    assert [
        (w.name, w.declared.cert_shown, w.declared.valid_until, w.declared.reviewed)
        for w in roster.workers
    ] == [("张三", None, None, None), ("李四", None, None, None)]
    assert "bad_date" not in codes(roster)


def test_a_word_that_is_not_a_placeholder_is_a_date_not_understood(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx", [["姓名", "身份证号", "有效期至"], ["张三", ID_A, "长期"]]
    )
    roster = read(path)
    # Not a date and not a placeholder: carried as not understood, never as "no date".
    assert roster.workers[0].declared.valid_until == Unreadable(
        column="有效期至", text="长期", why="不是可识别的日期", row=2, column_field="valid_until"
    )
    assert codes(roster) == ["unreadable_cell"]
    assert roster.issues[0].message == "有效期至“长期”不是可识别的日期，该人员未核验"


# ---- 2. certificate number typed as a number --------------------------------------------


def test_cert_number_typed_as_a_number_is_kept_as_digits_but_marked_inexact(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作证号"],
            ["张三", ID_A, 500381198503150019.0],
            ["李四", ID_B, "T500381198503150027"],
            ["王五", ID_C, 12345],
        ],
    )
    roster = read(path)
    first, second, third = (w.declared for w in roster.workers)
    # Shown as the digits, claimed, never compared: no number to compare with.
    assert first.cert_number == CertNumber("500381198503150000", (), claims=True)
    assert second.cert_number == CertNumber("T500381198503150027", ("T500381198503150027",))
    assert third.cert_number == CertNumber("12345", ("12345",))
    lost = [i for i in roster.issues if i.code == "cert_number_precision_lost"]
    assert [i.row for i in lost] == [2]
    assert "500381********0000" in lost[0].message


def test_cert_number_in_scientific_notation_in_a_csv_is_inexact(tmp_path: Path) -> None:
    path = gbk_csv(
        tmp_path / "r.csv",
        ["姓名,身份证号,证号", f"张三,{ID_A},5.00381E+17", f"李四,{ID_B},T500381198503150027"],
    )
    roster = read(path)
    first, second = (w.declared for w in roster.workers)
    assert first.cert_number == CertNumber("500381000000000000", (), claims=True)
    assert second.cert_number == CertNumber("T500381198503150027", ("T500381198503150027",))
    assert [(i.row, i.code) for i in roster.issues if i.code.startswith("cert")] == [
        (2, "cert_number_precision_lost")
    ]


# ---- 3 and 10. merged cells --------------------------------------------------------------

MERGED_HEADER = ["序号", "姓名", "身份证号", "作业类别", "操作项目", "有效期至"]


def test_one_person_merged_over_several_item_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["某公司特种作业人员花名册"],
            MERGED_HEADER,
            [1, "张三", ID_A, "电工作业", "低压电工作业", "2027-03-01"],
            ["", "", "", "焊接与热切割作业", "熔化焊接与热切割作业", "2028-05-06"],
            ["", "", "", "高处作业", "登高架设作业", "2026-12-31"],
            [2, "李四", ID_B, "电工作业", "高压电工作业", "2027-01-01"],
        ],
        merges=["A1:F1", "A3:A5", "B3:B5", "C3:C5"],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.group, w.declared.item) for w in roster.workers] == [
        (3, "张三", ID_A, 3, "低压电工作业"),
        (4, "张三", ID_A, 3, "熔化焊接与热切割作业"),
        (5, "张三", ID_A, 3, "登高架设作业"),
        (6, "李四", ID_B, None, "高压电工作业"),
    ]
    assert roster.workers[1].declared.valid_until == date(2028, 5, 6)
    assert "missing_field" not in codes(roster)


def test_one_item_merged_over_several_people(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            MERGED_HEADER,
            [1, "张三", ID_A, "电工作业", "低压电工作业", "2027-03-01"],
            [2, "李四", ID_B, "", "", "2027-04-01"],
            [3, "王五", ID_C, "", "", "2027-05-01"],
            [4, "赵六", ID_D, "焊接与热切割作业", "熔化焊接与热切割作业", "2027-06-01"],
        ],
        merges=["D2:D4", "E2:E4"],
    )
    roster = read(path)
    assert [(w.name, w.declared.category, w.declared.item, w.group) for w in roster.workers] == [
        ("张三", "电工作业", "低压电工作业", None),
        ("李四", "电工作业", "低压电工作业", None),
        ("王五", "电工作业", "低压电工作业", None),
        ("赵六", "焊接与热切割作业", "熔化焊接与热切割作业", None),
    ]


def test_merged_person_in_a_table_that_does_not_start_at_a1(tmp_path: Path) -> None:
    # Two empty rows and one empty column before the table: calamine's grid starts at C3.
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["", "", "高压电工作业"],
            ["李四", ID_B, "熔化焊接与热切割作业"],
        ],
        at=(3, 2),
        merges=["B4:B5", "C4:C5"],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.group, w.declared.item) for w in roster.workers] == [
        (4, "张三", ID_A, 4, "低压电工作业"),
        (5, "张三", ID_A, 4, "高压电工作业"),
        (6, "李四", ID_B, None, "熔化焊接与热切割作业"),
    ]


def test_a_merged_person_over_an_unused_row_gives_no_extra_worker(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["", "", ""],
            ["李四", ID_B, "高压电工作业"],
        ],
        merges=["A2:A3", "B2:B3"],
    )
    roster = read(path)
    assert [(w.row, w.name, w.group) for w in roster.workers] == [(2, "张三", 2), (4, "李四", None)]


def test_a_real_duplicate_row_has_no_group(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["张三", ID_A, "低压电工作业"],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.group) for w in roster.workers] == [
        (2, "张三", None),
        (3, "张三", None),
    ]


def test_merged_cells_in_a_legacy_xls(tmp_path: Path) -> None:
    path = write_xls(
        tmp_path / "r.xls",
        [
            (
                "花名册",
                [
                    ["某公司特种作业人员花名册"],
                    MERGED_HEADER,
                    [1, "张三", ID_A, "电工作业", "低压电工作业", "2027-03-01"],
                    ["", "", "", "电工作业", "高压电工作业", "2027-03-01"],
                    [2, "李四", ID_B, "焊接与热切割作业", "熔化焊接与热切割作业", "2027-01-01"],
                    [3, "王五", ID_C, "", "", "2027-02-01"],
                ],
            )
        ],
        merges={
            "花名册": [
                (0, 0, 0, 5),
                (2, 3, 0, 0),
                (2, 3, 1, 1),
                (2, 3, 2, 2),
                (4, 5, 3, 3),
                (4, 5, 4, 4),
            ]
        },
    )
    roster = read(path)
    assert roster.sheets == ("花名册",)
    assert roster.title == "某公司特种作业人员花名册"
    assert [(w.row, w.name, w.id_number, w.group, w.declared.item) for w in roster.workers] == [
        (3, "张三", ID_A, 3, "低压电工作业"),
        (4, "张三", ID_A, 3, "高压电工作业"),
        (5, "李四", ID_B, None, "熔化焊接与热切割作业"),
        (6, "王五", ID_C, None, "熔化焊接与热切割作业"),
    ]
    assert "missing_field" not in codes(roster)


def test_rowspan_in_an_html_table_saved_as_xls(tmp_path: Path) -> None:
    html = (
        "<html><head><meta charset='utf-8'></head><body><table>"
        "<tr><th>姓名</th><th>身份证号</th><th>操作项目</th></tr>"
        f"<tr><td rowspan=2>张三</td><td rowspan=2>{ID_A}</td><td>低压电工作业</td></tr>"
        "<tr><td>高压电工作业</td></tr>"
        f"<tr><td>李四</td><td>{ID_B}</td><td>熔化焊接与热切割作业</td></tr>"
        "</table></body></html>"
    )
    path = tmp_path / "导出.xls"
    path.write_text(html, encoding="utf-8")
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.group, w.declared.item) for w in roster.workers] == [
        (2, "张三", ID_A, 2, "低压电工作业"),
        (3, "张三", ID_A, 2, "高压电工作业"),
        (4, "李四", ID_B, None, "熔化焊接与热切割作业"),
    ]


def test_merged_cells_in_an_ods(tmp_path: Path) -> None:
    # calamine gives no merged ranges for ODS; the reader finds them in the file itself.
    path = tiny_ods(
        tmp_path / "r.ods",
        [
            [],
            ["", "姓名", "身份证号", "操作项目"],
            ["", "张三", ID_A, "低压电工作业"],
            ["", "", "", "高压电工作业"],
            ["", "李四", ID_B, "熔化焊接与热切割作业"],
        ],
        spans={(2, 1): (2, 1), (2, 2): (2, 1)},
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.group, w.declared.item) for w in roster.workers] == [
        (3, "张三", ID_A, 3, "低压电工作业"),
        (4, "张三", ID_A, 3, "高压电工作业"),
        (5, "李四", ID_B, None, "熔化焊接与热切割作业"),
    ]


# ---- 4. several sheets -------------------------------------------------------------------

INSTRUCTIONS = [
    ["填表说明"],
    ["1. 身份证号请填写18位，设置为文本格式"],
    ["2. 每个工种一张表"],
]


def _trade_sheet(title: str, people: list[list[object]]) -> list[list[object]]:
    return [[title], ["填报单位：某公司", "", "", "填报日期：2026年11月"], MERGED_HEADER, *people]


def wps_workbook(path: Path) -> Path:
    """What a WPS user hands in: a 填表说明 sheet first, one sheet per trade under a title,
    a statistics sheet, an old hidden sheet and the empty Sheet3 WPS leaves."""
    return write_book(
        path,
        [
            ("填表说明", INSTRUCTIONS),
            (
                "电工",
                _trade_sheet(
                    "电工花名册",
                    [
                        [1, "张三", ID_A, "电工作业", "低压电工作业", "2027-03-01"],
                        [2, "李四", ID_B, "电工作业", "高压电工作业", "2027-04-01"],
                    ],
                ),
            ),
            (
                "焊工",
                _trade_sheet(
                    "焊工花名册",
                    [
                        [1, "王五", ID_C, "焊接与热切割作业", "熔化焊接与热切割作业", "2028-01-01"],
                        [2, "赵六", "51010719790721004", "焊接与热切割作业", "", ""],
                    ],
                ),
            ),
            ("统计", [["工种", "人数"], ["电工", 2], ["焊工", 2]]),
            ("旧表", [MERGED_HEADER, [1, "钱七", ID_D, "", "", ""]]),
            ("Sheet3", []),
        ],
        merges={"电工": ["A1:F1"], "焊工": ["A1:F1"]},
        hidden=["旧表"],
    )


def test_every_visible_roster_sheet_is_read_and_the_others_are_listed(tmp_path: Path) -> None:
    roster = read(wps_workbook(tmp_path / "花名册.xlsx"))
    assert roster.sheets == ("电工", "焊工")
    assert roster.sheet == "电工"
    assert [(w.sheet, w.row, w.name) for w in roster.workers] == [
        ("电工", 4, "张三"),
        ("电工", 5, "李四"),
        ("焊工", 4, "王五"),
        ("焊工", 5, "赵六"),
    ]
    assert [(s.name, s.why) for s in roster.skipped] == [
        ("填表说明", "填表说明"),
        ("统计", "没有姓名和身份证号列"),
        ("旧表", "隐藏"),
        ("Sheet3", "空表"),
    ]
    assert roster.title == "电工花名册"
    invalid = [i for i in roster.issues if i.code == "invalid_id"]
    assert [i.row for i in invalid] == [5]
    assert invalid[0].message.startswith("工作表“焊工”：身份证号")


def test_sheet_option_reads_only_that_sheet(tmp_path: Path) -> None:
    roster = read(wps_workbook(tmp_path / "花名册.xlsx"), sheet="焊工")
    assert roster.sheets == ("焊工",)
    assert [(w.sheet, w.row, w.name) for w in roster.workers] == [
        ("焊工", 4, "王五"),
        ("焊工", 5, "赵六"),
    ]
    invalid = [i for i in roster.issues if i.code == "invalid_id"]
    assert invalid[0].message.startswith("身份证号")  # one sheet read: no sheet name needed

    hidden = read(wps_workbook(tmp_path / "花名册2.xlsx"), sheet="旧表")
    assert [(w.sheet, w.name) for w in hidden.workers] == [("旧表", "钱七")]


def test_a_single_roster_sheet_beside_instructions_has_plain_messages(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "r.xlsx",
        [
            ("填表说明", INSTRUCTIONS),
            ("花名册", [["姓名", "身份证号"], ["张三", "500381198503150011"]]),
        ],
    )
    roster = read(path)
    assert roster.sheets == ("花名册",)
    assert [(w.sheet, w.row, w.id_problem) for w in roster.workers] == [
        ("花名册", 2, IdProblem.INVALID)
    ]
    assert [(s.name, s.why) for s in roster.skipped] == [("填表说明", "填表说明")]
    assert [i.message for i in roster.issues] == ["身份证号 500381********0011 校验位不符"]


def test_example_and_template_sheets_are_not_read(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "r.xlsx",
        [
            ("示例", [["姓名", "身份证号"], ["张三", "110101199003077777"]]),
            ("花名册", [["姓名", "身份证号"], ["李四", ID_B]]),
            ("模板", [["姓名", "身份证号"]]),
        ],
    )
    roster = read(path)
    assert [(w.sheet, w.name) for w in roster.workers] == [("花名册", "李四")]
    assert [(s.name, s.why) for s in roster.skipped] == [("示例", "示例"), ("模板", "模板")]


def test_a_roster_kept_only_in_a_template_sheet_is_read_with_a_note(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "r.xlsx",
        [
            ("填表说明", INSTRUCTIONS),
            ("特种作业人员花名册模板", [["姓名", "身份证号"], ["李四", ID_B]]),
        ],
    )
    roster = read(path)
    assert roster.sheets == ("特种作业人员花名册模板",)
    assert [w.name for w in roster.workers] == ["李四"]
    assert "instruction_sheet_used" in codes(roster)


def test_a_hidden_roster_is_read_only_when_no_visible_sheet_holds_one(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "r.xlsx",
        [("说明", INSTRUCTIONS), ("数据", [["姓名", "身份证号"], ["李四", ID_B]])],
        hidden=["数据"],
    )
    roster = read(path)
    assert roster.sheets == ("数据",)
    assert [(w.sheet, w.name) for w in roster.workers] == [("数据", "李四")]
    assert codes(roster) == ["hidden_sheet_used"]
    assert [(s.name, s.why) for s in roster.skipped] == [("说明", "填表说明")]


def test_no_roster_in_any_sheet_is_refused(tmp_path: Path) -> None:
    path = write_book(tmp_path / "r.xlsx", [("说明", INSTRUCTIONS), ("Sheet2", [])])
    with pytest.raises(RosterError, match="找不到"):
        read(path)


def test_several_sheets_in_a_legacy_xls(tmp_path: Path) -> None:
    path = write_xls(
        tmp_path / "r.xls",
        [
            ("填表说明", INSTRUCTIONS),
            ("电工", [["姓名", "身份证号"], ["张三", ID_A]]),
            ("焊工", [["标题：焊工"], ["姓名", "身份证号"], ["王五", ID_C], ["赵六", ID_D]]),
            ("旧表", [["姓名", "身份证号"], ["钱七", ID_E]]),
        ],
        hidden=["旧表"],
    )
    roster = read(path)
    assert roster.sheets == ("电工", "焊工")
    assert [(w.sheet, w.row, w.name) for w in roster.workers] == [
        ("电工", 2, "张三"),
        ("焊工", 3, "王五"),
        ("焊工", 4, "赵六"),
    ]
    assert [(s.name, s.why) for s in roster.skipped] == [("填表说明", "填表说明"), ("旧表", "隐藏")]


def test_a_csv_has_no_sheets(tmp_path: Path) -> None:
    path = gbk_csv(tmp_path / "r.csv", ["姓名,身份证号", f"张三,{ID_A}"])
    roster = read(path)
    assert (roster.sheets, roster.sheet, roster.skipped) == ((), None, ())
    assert [(w.sheet, w.row) for w in roster.workers] == [(None, 2)]


# ---- 5. notes after names ----------------------------------------------------------------


def test_a_note_after_a_name_is_removed_with_a_note(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号"],
            ["张伟（班长）", ID_A],
            ["王芳(临时工)", ID_B],
            ["李娜【外协】", ID_C],
            ["赵六[实习]", ID_D],
            ["（班长）", ID_E],
            ["孙七", ID_F],
            ["周八（班长）(外协)", "51010719790721007"],
        ],
    )
    roster = read(path)
    # Nothing would remain of （班长） without its brackets: it is no name, and the cell is
    # reported as not understood rather than looked up as one.
    assert [w.name for w in roster.workers] == [
        "张伟",
        "王芳",
        "李娜",
        "赵六",
        None,
        "孙七",
        "周八",
    ]
    assert roster.workers[4].unreadable == (
        Unreadable(
            column="姓名", text="（班长）", why="不是可识别的姓名（含数字或符号）", row=6,
            column_field="name",
        ),
    )
    notes = [(i.row, i.message) for i in roster.issues if i.code == "name_note_removed"]
    assert notes == [
        (2, "姓名“张伟（班长）”后的备注“班长”已去掉"),
        (3, "姓名“王芳(临时工)”后的备注“临时工”已去掉"),
        (4, "姓名“李娜【外协】”后的备注“外协”已去掉"),
        (5, "姓名“赵六[实习]”后的备注“实习”已去掉"),
        (8, "姓名“周八（班长）(外协)”后的备注“班长、外协”已去掉"),
    ]


def test_notes_behind_invisible_characters_and_two_notes_in_front_are_removed(
    tmp_path: Path,
) -> None:
    # A zero-width space or a byte-order mark pasted from a web page after the note, and two
    # notes in front of the name: the notes still come off, and the names are read.
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号"],
            ["韩\u200b梅（班长）\ufeff", ID_A],
            ["吴刚*\u200b", ID_B],
            ["(实习)【外协】王磊", ID_C],
        ],
    )
    roster = read(path)
    assert [(w.name, w.unreadable) for w in roster.workers] == [
        ("韩梅", ()), ("吴刚", ()), ("王磊", ()),
    ]
    notes = [(i.row, i.message) for i in roster.issues if i.code == "name_note_removed"]
    assert notes == [
        (2, "姓名“韩\u200b梅（班长）\ufeff”后的备注“班长”已去掉"),
        (3, "姓名“吴刚*\u200b”后的备注“*”已去掉"),
        (4, "姓名“(实习)【外协】王磊”中的备注“实习、外协”已去掉"),
    ]


# ---- 6. headers naming the certificate number --------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "操作证件号码",
        "特种作业操作证号",
        "证件号码（操作证）",
        "操作证号码",
        "特种作业操作证件号",
        "证书号码",
    ],
)
def test_headers_naming_the_certificate_number(tmp_path: Path, label: str) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", label, "身份证号码"], ["张三", "T500381198503150019", ID_A]],
    )
    roster = read(path)
    assert roster.columns["cert_number"] == label
    assert roster.columns["id_number"] == "身份证号码"
    worker = roster.workers[0]
    assert (worker.id_number, worker.id_problem) == (ID_A, None)
    assert worker.declared.cert_shown == "T500381198503150019"
    assert "duplicate_column" not in codes(roster)


def test_a_bracket_naming_the_id_card_keeps_the_id_column(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号（与操作证一致）", "证件号码（特种作业操作证）"],
            ["张三", ID_A, "T500381198503150019"],
        ],
    )
    roster = read(path)
    assert roster.columns["id_number"] == "身份证号（与操作证一致）"
    assert roster.columns["cert_number"] == "证件号码（特种作业操作证）"
    worker = roster.workers[0]
    assert (worker.id_number, worker.declared.cert_shown) == (ID_A, "T500381198503150019")


def test_issuer_column_is_read(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号", "发证机关"], ["张三", ID_A, "重庆市应急管理局"], ["李四", ID_B, "/"]],
    )
    roster = read(path)
    assert roster.columns["issuer"] == "发证机关"
    assert [w.declared.issuer for w in roster.workers] == ["重庆市应急管理局", None]
    assert "unknown_column" not in codes(roster)


def test_two_columns_called_id_number_the_values_decide(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "证件号码", "作业类别", "证件号码"],
            ["张三", "T500381198503150019", "电工作业", ID_A],
            ["李四", "T500381198503150027", "电工作业", ID_B],
        ],
    )
    roster = read(path)
    assert [(w.id_number, w.id_problem, w.declared.cert_shown) for w in roster.workers] == [
        (ID_A, None, "T500381198503150019"),
        (ID_B, None, "T500381198503150027"),
    ]
    assert "invalid_id" not in codes(roster)
    assert "column_by_values" in codes(roster)


def test_cert_column_first_under_an_id_label(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "证件号码", "身份证号"],
            ["张三", "渝A042019000123", ID_A],
            ["李四", "渝A042019000124", ID_B],
        ],
    )
    roster = read(path)
    assert [(w.id_number, w.declared.cert_shown) for w in roster.workers] == [
        (ID_A, "渝A042019000123"),
        (ID_B, "渝A042019000124"),
    ]
    assert roster.columns["id_number"] == "身份证号"
    assert roster.columns["cert_number"] == "证件号码"


def test_second_id_labelled_column_holding_cert_numbers_is_the_cert_number(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "证件号码"],
            ["张三", ID_A, "T500381198503150019"],
            ["李四", ID_B, "T500381198503150027"],
        ],
    )
    roster = read(path)
    assert [(w.id_number, w.declared.cert_shown) for w in roster.workers] == [
        (ID_A, "T500381198503150019"),
        (ID_B, "T500381198503150027"),
    ]


def test_when_both_columns_hold_ids_the_header_decides(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "证号"],
            ["张三", ID_A, ID_A],
            ["李四", ID_B, ID_B],
        ],
    )
    roster = read(path)
    assert roster.columns["id_number"] == "身份证号"
    assert roster.columns["cert_number"] == "证号"
    assert [(w.id_number, w.declared.cert_shown) for w in roster.workers] == [
        (ID_A, ID_A),
        (ID_B, ID_B),
    ]
    assert "column_by_values" not in codes(roster)


# ---- 7. signature, stamp, phone and date lines under the table ---------------------------


def test_signature_stamp_phone_and_date_lines_are_not_workers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["序号", "姓名", "身份证号", "操作项目", "备注"],
            [1, "张三", ID_A, "低压电工作业", ""],
            [2, "王五", "", "焊工", "身份证待补"],
            [],
            ["单位（盖章）：", "", "", "", "日期："],
            ["企业主要负责人（签字）："],
            ["", "负责人（签字）："],
            ["安全员：李四  手机：13812345678"],
            ["安全员：", "李四", "手机：", "13812345678"],
            ["联系电话：023-12345678"],
            ["填报日期：2026年11月"],
            ["填表人：", "", "审核人："],
            ["主要负责人："],
            ["", "安全管理人员：", "", "经办人："],
            ["签字："],
            ["（盖章）"],
            [3, "赵六", ID_D, "高压电工作业", ""],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_problem) for w in roster.workers] == [
        (2, "张三", None),
        (3, "王五", IdProblem.MISSING),
        (17, "赵六", None),
    ]
    assert [(i.row, i.code) for i in roster.issues] == [(3, "missing_field")]


FORM_LINES = [
    ["单位（盖章）：", "", "", "日期："],
    ["企业主要负责人（签字）："],
    ["负责人（签字）："],
    ["安全员：李四  手机：13812345678"],
    ["安全员：", "李四", "手机：", "13812345678"],
    ["联系电话："],
    ["填报日期：2026年11月"],
    ["填表人：", "", "审核人："],
    ["审核人："],
    ["主要负责人："],
    ["安全管理人员："],
    ["经办人："],
    ["签字："],
    ["（盖章）"],
    ["", "", "（盖章）"],
]


@pytest.mark.parametrize("line", FORM_LINES, ids=lambda line: "|".join(line))
@pytest.mark.parametrize("layout", ["name_first", "number_first", "in_name_column"])
def test_each_form_line_alone_under_the_table_is_not_a_worker(
    tmp_path: Path, line: list[str], layout: str
) -> None:
    if layout == "name_first":
        header, person, cells = (
            ["姓名", "身份证号", "操作项目", "备注"],
            ["张三", ID_A, "焊工", ""],
            line,
        )
    else:
        header, person = (
            ["序号", "姓名", "身份证号", "操作项目", "备注"],
            [1, "张三", ID_A, "焊工", ""],
        )
        cells = line if layout == "number_first" else ["", *line]
    path = write_xlsx(tmp_path / "r.xlsx", [header, person, [], cells])
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(2, "张三")]
    assert roster.issues == ()


def test_a_plain_name_after_a_footer_line_is_still_a_worker(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["电工班：", "", ""],
            ["王五", "", "焊工"],
            ["李四", ID_B, "高压电工作业"],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(2, "张三"), (4, "王五"), (5, "李四")]


def test_signature_lines_in_a_gbk_csv(tmp_path: Path) -> None:
    path = gbk_csv(
        tmp_path / "r.csv",
        [
            "序号,姓名,身份证号,操作项目",
            f"1,张三,{ID_A},低压电工作业",
            "单位（盖章）：,,,日期：",
            "负责人（签字）：,,,",
        ],
    )
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(2, "张三")]
    assert codes(roster) == ["encoding_gb18030"]


# ---- 8. names garbled by a lossy save ----------------------------------------------------


def test_question_marks_in_names_from_a_lossy_gbk_save(tmp_path: Path) -> None:
    # 𠮷 is not in GBK: saving as GBK leaves "?", which is what a roster then holds.
    lossy = "吉𠮷".encode("gbk", errors="replace")
    path = tmp_path / "r.csv"
    path.write_bytes(
        "姓名,身份证号\r\n".encode("gbk")
        + lossy
        + f",{ID_A}\r\n".encode("gbk")
        + "张三,".encode("gbk")
        + f"{ID_B}\r\n".encode("gbk")
        + "李".encode("gbk")
        + b"\xb2,"  # half of a double-byte character: decoded as U+FFFD
        + f"{ID_C}\r\n".encode("gbk")
    )
    roster = read(path)
    assert [w.name for w in roster.workers] == ["吉?", "张三", "李\ufffd"]
    assert [w.name_unreadable for w in roster.workers] == [True, False, True]
    assert [(i.row, i.code) for i in roster.issues if i.code == "name_unreadable"] == [
        (2, "name_unreadable"),
        (4, "name_unreadable"),
    ]


def test_full_width_question_mark_in_an_xlsx_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号"], ["王？", ID_A]])
    roster = read(path)
    assert roster.workers[0].name_unreadable
    unreadable = [i for i in roster.issues if i.code == "name_unreadable"]
    assert len(unreadable) == 1 and unreadable[0].row == 2


# ---- 9. ="…" in CSV ----------------------------------------------------------------------


def test_excel_text_formula_cells_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(
        (
            "姓名,身份证号,证号,有效期至\r\n"
            f'张三,="{ID_A}",="T{ID_A}",=""\r\n'
            f'李四,"=""{ID_B}""","=""T{ID_B}""",2027-03-01\r\n'
        ).encode("gbk")
    )
    roster = read(path)
    assert [
        (w.name, w.id_number, w.id_problem, w.declared.cert_shown, w.declared.valid_until)
        for w in roster.workers
    ] == [
        ("张三", ID_A, None, "T500381198503150019", None),
        ("李四", ID_B, None, "T500381198503150027", date(2027, 3, 1)),
    ]
    assert [c for c in codes(roster) if c != "encoding_gb18030"] == []
