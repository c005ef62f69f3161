"""Several tables on one sheet, the way offices paste rosters together: one under another, each
with its own header worded and ordered its own way; the same page header repeated; two tables
side by side under one header row, each under its own title.

Files are built the way offices make them (openpyxl with merged titles and two-row headers, .xls
by xlwt, GBK CSV bytes); expected workers, rows and notes are written out.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.cli import verify as _verify  # noqa: F401  (attaches the command)
from certcheck.roster import Roster, read_roster
from roster_fixtures import write_book, write_xls, write_xlsx

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


def people(roster: Roster) -> list[tuple[int, str | None, str | None, str | None]]:
    return [(w.row, w.name, w.id_number, w.declared.item) for w in roster.workers]


def notes(roster: Roster) -> list[tuple[int | None, str, str]]:
    return [(i.row, i.code, i.message) for i in roster.issues]


# ---- one under another -------------------------------------------------------------------------


def test_a_second_table_with_its_own_reworded_reordered_header_is_read_by_that_header(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["重庆某某建设有限公司特种作业人员花名册"],
            ["序号", "姓名", "身份证号码", "工种"],
            [1, "张三", ID_A, "低压电工作业"],
            [2, "李四", ID_B, "高压电工作业"],
            [],
            ["焊工人员名单"],
            ["姓名", "工种", "证件号码"],
            ["王五", "熔化焊接与热切割作业", ID_C],
            ["赵六", "压力焊作业", ID_D],
        ],
        merges=["A1:D1", "A6:C6"],
    )
    roster = read(path)
    assert people(roster) == [
        (3, "张三", ID_A, "低压电工作业"),
        (4, "李四", ID_B, "高压电工作业"),
        (8, "王五", ID_C, "熔化焊接与热切割作业"),
        (9, "赵六", ID_D, "压力焊作业"),
    ]
    assert all(w.id_problem is None for w in roster.workers)
    assert roster.title == "重庆某某建设有限公司特种作业人员花名册"
    assert roster.columns == {"name": "姓名", "id_number": "身份证号码", "item": "工种"}
    assert notes(roster) == [
        (7, "several_tables", "第 7 行起是另一张表（表头：姓名、证件号码…），按它自己的表头读取"),
    ]


def test_a_section_title_above_the_next_header_is_not_a_worker_but_a_name_without_id_is(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["王五"],
            ["二、焊工"],
            ["姓名", "作业项目", "证件号码"],
            ["赵六", "熔化焊接与热切割作业", ID_D],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number) for w in roster.workers] == [
        (2, "张三", ID_A),
        (3, "王五", None),  # a person whose ID is missing: kept, and checked as such
        (6, "赵六", ID_D),
    ]
    assert [(i.row, i.code) for i in roster.issues] == [(3, "missing_field"), (5, "several_tables")]


def test_a_second_table_under_a_two_row_header_reads_both_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            [],
            ["基本信息", "", "特种作业操作证", ""],
            ["姓名", "身份证号", "编号", "到期日期"],
            ["王五", ID_C, "T" + ID_C, "2029-01-01"],
            [],
            ["人员信息", "", "证书信息", ""],
            ["姓名", "身份证号", "证号", "有效期至"],
            ["赵六", ID_D, "T" + ID_D, "2030-01-01"],
        ],
        merges=["A4:B4", "C4:D4", "A8:B8", "C8:D8"],
    )
    roster = read(path)
    assert [(w.row, w.name, w.declared.cert_shown, w.declared.valid_until)
            for w in roster.workers] == [
        (2, "张三", None, None),
        (6, "王五", "T" + ID_C, date(2029, 1, 1)),
        (10, "赵六", "T" + ID_D, date(2030, 1, 1)),
    ]
    # The first two-row header: 编号 and 到期日期 are the certificate's by the merged row above.
    # The second: its lower row names everything, the upper one is no worker either.
    assert [(i.row, i.code) for i in roster.issues] == [
        (4, "several_tables"),
        (4, "header_two_rows"),
        (9, "several_tables"),
    ]


def test_the_upper_row_of_a_later_two_row_header_beside_a_merged_serial_column_is_no_worker(
    tmp_path: Path,
) -> None:
    # 序号 merged down both header rows beside 基本信息 and 特种作业操作证: the upper row names
    # no person and holds no ID, and goes with the header under it, not with the table above.
    upper = ["序号", "基本信息", "", "特种作业操作证", ""]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            upper,
            ["", "姓名", "身份证号", "操作项目", "证号"],
            [1, "张三", ID_A, "低压电工作业", "T" + ID_A],
            [],
            ["二、外协单位人员"],
            upper,
            ["", "姓名", "操作项目", "证号", "身份证号"],
            [2, "王五", "熔化焊接与热切割作业", "T" + ID_C, ID_C],
        ],
        merges=["A1:A2", "B1:C1", "D1:E1", "A5:E5", "A6:A7", "B6:C6", "D6:E6"],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.declared.cert_shown) for w in roster.workers] == [
        (3, "张三", ID_A, "T" + ID_A),
        (8, "王五", ID_C, "T" + ID_C),
    ]
    assert [(i.row, i.code) for i in roster.issues] == [(7, "several_tables")]


def test_a_column_named_only_in_the_upper_row_of_a_later_two_row_header_is_part_of_it(
    tmp_path: Path,
) -> None:
    # A CSV has no merges: 劳动合同到期日 stands in the upper header row over an empty cell,
    # as 序号 does; the row is the next table's header, not a worker named 基本信息.
    upper = "序号,基本信息,,劳动合同到期日,特种作业操作证,"
    lower = ",姓名,身份证号,,操作项目,证号"
    path = tmp_path / "r.csv"
    text = "\r\n".join(
        [
            upper,
            lower,
            f"1,张三,{ID_A},2027/1/1,低压电工作业,T{ID_A}",
            "",
            "二、外协单位人员",
            upper,
            lower,
            f"2,李四,{ID_B},2027/1/1,熔化焊接与热切割作业,T{ID_B}",
        ]
    )
    path.write_bytes(text.encode("gbk") + b"\r\n")
    roster = read(path)
    assert people(roster) == [(3, "张三", ID_A, "低压电工作业"),
                              (8, "李四", ID_B, "熔化焊接与热切割作业")]
    assert [(i.row, i.code) for i in roster.issues if i.code != "encoding_gb18030"] == [
        (7, "repeated_header"),
    ]


def test_the_second_tables_unknown_columns_are_noted_at_its_own_header(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "作业类别"],
            ["张三", ID_A, "电工作业"],
            ["人员姓名", "公民身份号码", "家属电话", "作业类别"],
            ["李四", ID_B, "13800000000", "焊接与热切割作业"],
        ],
        at=(3, 2),
    )
    roster = read(path)
    assert [(w.row, w.name, w.declared.category) for w in roster.workers] == [
        (4, "张三", "电工作业"),
        (6, "李四", "焊接与热切割作业"),
    ]
    # The sheet starts at column B: 家属电话 stands in the fourth column a person counts.
    assert notes(roster) == [
        (5, "several_tables", "第 5 行起是另一张表（表头：人员姓名、公民身份号码…），按它自己的表头读取"),
        (5, "unknown_column", "未识别的列“家属电话”（第 4 列），已忽略"),
    ]


def test_an_identical_two_row_page_header_continues_the_table(tmp_path: Path) -> None:
    header = [
        ["序号", "姓名", "身份证号", "特种作业操作证", "", ""],
        ["", "", "", "证号", "操作项目", "有效期至"],
    ]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["某某公司特种作业人员花名册"],
            *header,
            [1, "张三", ID_A, "T" + ID_A, "低压电工作业", "2027-03-01"],
            [2, "李四", ID_B, "T" + ID_B, "高压电工作业", "2027-04-01"],
            ["制表人：钱七", "", "", "第 1 页"],
            *header,
            [3, "王五", ID_C, "T" + ID_C, "熔化焊接与热切割作业", "2028-01-01"],
        ],
        merges=["A1:F1", "D2:F2", "A2:A3", "B2:B3", "C2:C3", "D7:F7", "A7:A8", "B7:B8", "C7:C8"],
    )
    roster = read(path)
    assert people(roster) == [
        (4, "张三", ID_A, "低压电工作业"),
        (5, "李四", ID_B, "高压电工作业"),
        (9, "王五", ID_C, "熔化焊接与热切割作业"),
    ]
    assert roster.workers[2].declared.valid_until == date(2028, 1, 1)
    assert [(i.row, i.code) for i in roster.issues] == [
        (2, "header_two_rows"),
        (7, "repeated_header"),
    ]
    assert notes(roster)[1][2] == "重复的表头（第 7–8 行），已跳过"


def test_a_one_row_page_header_repeated_in_a_gbk_csv_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    text = "\r\n".join(
        [
            "姓名,身份证号,操作项目",
            f'张三,{ID_A},"低压\r\n电工作业"',
            "姓名,身份证号,操作项目",
            f"李四,{ID_B},高压电工作业",
            "",
            "证件号码,人员姓名,操作项目",
            f"{ID_C},王五,熔化焊接与热切割作业",
        ]
    )
    path.write_bytes(text.encode("gbk") + b"\r\n")
    roster = read(path)
    # 张三's item spans lines 2–3: rows are the lines the records start on.
    assert [(w.row, w.name, w.id_number) for w in roster.workers] == [
        (2, "张三", ID_A),
        (5, "李四", ID_B),
        (8, "王五", ID_C),
    ]
    assert [(i.row, i.code) for i in roster.issues if i.code != "encoding_gb18030"] == [
        (4, "repeated_header"),
        (7, "several_tables"),
    ]


def test_title_form_and_subtitle_lines_above_a_pasted_table_are_not_workers(
    tmp_path: Path,
) -> None:
    # Two lists pasted into one CSV: above the second, its company title, a subtitle in
    # brackets, 填报单位 and 填报日期 in cells of their own, and its section title.
    path = tmp_path / "r.csv"
    text = "\r\n".join(
        [
            "姓名,身份证号,操作项目",
            f"张三,{ID_A},低压电工作业",
            "",
            "重庆某某建设有限公司特种作业人员花名册",
            "（2026年第二季度）",
            "填报单位：重庆某某建设有限公司,,填报日期：2026年11月20日",
            "焊工人员名单",
            "姓名,操作项目,身份证号",
            f"李四,熔化焊接与热切割作业,{ID_B}",
        ]
    )
    path.write_bytes(text.encode("gbk") + b"\r\n")
    roster = read(path)
    assert people(roster) == [(2, "张三", ID_A, "低压电工作业"),
                              (9, "李四", ID_B, "熔化焊接与热切割作业")]
    assert [(i.row, i.code) for i in roster.issues if i.code != "encoding_gb18030"] == [
        (8, "several_tables"),
    ]


def test_the_row_above_a_repeated_page_header_stays_a_worker(tmp_path: Path) -> None:
    # Printed pages pasted back together: the header again under the last row of a page. That
    # row holds an ID, so it is no upper header row, however its cells read over the labels
    # (身份证 over 证件类型, 证书已过期 over 备注).
    header = "序号,姓名,身份证号,证件类型,工种,备注,有效期至"
    path = tmp_path / "r.csv"
    text = "\r\n".join(
        [
            header,
            f"1,张三,{ID_A},身份证,低压电工,证书已过期，正在补办,2029/5/1",
            header,
            f"2,李四,{ID_B},身份证,电焊工,持证上岗,2028/3/1",
        ]
    )
    path.write_bytes(text.encode("gbk") + b"\r\n")
    roster = read(path)
    assert [(w.row, w.name, w.declared.valid_until) for w in roster.workers] == [
        (2, "张三", date(2029, 5, 1)),
        (4, "李四", date(2028, 3, 1)),
    ]
    assert [(i.row, i.code) for i in roster.issues if i.code != "encoding_gb18030"] == [
        (3, "repeated_header"),
    ]


def test_the_row_above_a_page_header_stays_a_worker_when_its_id_is_an_error(
    tmp_path: Path,
) -> None:
    # Its ID cell holds #N/A, so no ID shows it is a worker's row; its 序号 and date do.
    header = ["序号", "姓名", "身份证号", "证件类型", "工种", "有效期至"]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            header,
            [1, "张三", "#N/A", "身份证", "低压电工", date(2029, 5, 1)],
            header,
            [2, "李四", ID_B, "身份证", "电焊工", date(2028, 3, 1)],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.declared.category, w.declared.valid_until)
            for w in roster.workers] == [
        (2, "张三", None, date(2029, 5, 1)),
        (4, "李四", None, date(2028, 3, 1)),
    ]
    assert [w.unreadable[0].column for w in roster.workers[:1]] == ["身份证号"]
    assert [(i.row, i.code) for i in roster.issues] == [
        (2, "unreadable_cell"),
        (3, "repeated_header"),
    ]


def test_a_form_line_under_the_table_naming_name_and_id_is_not_a_table(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目"],
            ["张三", ID_A, "低压电工作业"],
            ["李四", ID_B, "高压电工作业"],
            [],
            ["填表人姓名：", "赵六", "身份证号："],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(2, "张三"), (3, "李四")]
    assert roster.issues == ()


# ---- side by side ------------------------------------------------------------------------------


def test_two_tables_side_by_side_under_their_own_titles(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["某某公司特种作业人员名单"],
            ["电工", "", "", "", "", "焊工"],
            ["序号", "姓名", "身份证号", "操作项目", "", "序号", "姓名", "身份证号码", "操作项目",
             "有效期至"],
            [1, "张三", ID_A, "低压电工作业", "", 1, "王五", ID_C, "熔化焊接与热切割作业",
             "2027-01-01"],
            [2, "李四", ID_B, "高压电工作业", "", 2, "赵六", ID_D, "压力焊作业", "2026-01-01"],
            [3, "钱七", ID_E, "低压电工作业"],
        ],
        merges=["A1:J1", "A2:D2", "F2:J2"],
    )
    roster = read(path)
    # Left table first, then the right one, each top to bottom.
    assert people(roster) == [
        (4, "张三", ID_A, "低压电工作业"),
        (5, "李四", ID_B, "高压电工作业"),
        (6, "钱七", ID_E, "低压电工作业"),
        (4, "王五", ID_C, "熔化焊接与热切割作业"),
        (5, "赵六", ID_D, "压力焊作业"),
    ]
    assert [w.declared.valid_until for w in roster.workers] == [
        None, None, None, date(2027, 1, 1), date(2026, 1, 1),
    ]
    assert roster.title == "某某公司特种作业人员名单"
    assert notes(roster) == [
        (3, "several_tables", "第 6–10 列是并排的另一张表（表头：姓名、身份证号码…），按它自己的表头读取"),
    ]


def test_a_right_table_keeps_its_serial_column_merged_down_a_two_row_header(
    tmp_path: Path,
) -> None:
    # Each table's 序号 is merged down both header rows, whose lower row alone names the
    # fields: the right table begins at its own 序号, where its example row says 示例.
    upper = ["序号", "基本信息", "", "特种作业操作证", ""]
    lower = ["", "姓名", "身份证号", "操作项目", "证号"]
    example = ["示例", "张三", "110101199003071234", "低压电工作业", "T110101199003071234"]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            [*upper, "", *upper],
            [*lower, "", *lower],
            [*example, "", *example],
            [1, "李四", ID_B, "高压电工作业", "T" + ID_B, "", 2, "赵六", ID_D, "压力焊作业",
             "T" + ID_D],
        ],
        merges=["A1:A2", "B1:C1", "D1:E1", "G1:G2", "H1:I1", "J1:K1"],
    )
    roster = read(path)
    assert people(roster) == [(4, "李四", ID_B, "高压电工作业"), (4, "赵六", ID_D, "压力焊作业")]
    assert [(i.row, i.code) for i in roster.issues] == [
        (3, "example_row"),
        (2, "several_tables"),
        (3, "example_row"),
    ]
    assert notes(roster)[1][2].startswith("第 7–11 列是并排的另一张表")


def test_the_same_table_twice_side_by_side_in_an_xls(tmp_path: Path) -> None:
    half = ["序号", "姓名", "身份证号", "工种"]
    path = write_xls(
        tmp_path / "r.xls",
        [
            (
                "花名册",
                [
                    ["特种作业人员花名册"],
                    [*half, *half],
                    [1, "张三", ID_A, "电工", 4, "赵六", ID_D, "焊工"],
                    [2, "李四", ID_B, "电工", 5, "钱七", ID_E, "焊工"],
                    [3, "王五", ID_C, "电工"],
                ],
            )
        ],
        merges={"花名册": [(0, 0, 0, 7)]},
    )
    roster = read(path)
    assert people(roster) == [
        (3, "张三", ID_A, "电工"),
        (4, "李四", ID_B, "电工"),
        (5, "王五", ID_C, "电工"),
        (3, "赵六", ID_D, "焊工"),
        (4, "钱七", ID_E, "焊工"),
    ]
    assert all(w.sheet == "花名册" for w in roster.workers)
    assert [(i.row, i.code) for i in roster.issues] == [(2, "several_tables")]


def test_a_contacts_name_and_id_are_not_a_second_table(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号", "操作项目", "紧急联系人姓名", "紧急联系人身份证号"],
            ["张三", ID_A, "低压电工作业", "张父", ID_F],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number) for w in roster.workers] == [(2, "张三", ID_A)]
    assert [(i.row, i.code) for i in roster.issues] == [
        (1, "duplicate_column"),
        (1, "duplicate_column"),
    ]


# ---- several sheets, several tables ------------------------------------------------------------


def test_tables_on_one_sheet_of_a_workbook_of_several(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "r.xlsx",
        [
            ("填表说明", [["填表说明：每人一行"]]),
            ("电工", [["姓名", "身份证号"], ["张三", ID_A]]),
            (
                "焊工",
                [
                    ["焊工花名册"],
                    ["姓名", "身份证号", "操作项目"],
                    ["王五", ID_C, "熔化焊接与热切割作业"],
                    ["气割工"],
                    ["身份证号", "姓名", "操作项目"],
                    [ID_D, "赵六", "火焰切割"],
                ],
            ),
        ],
        merges={"焊工": ["A1:C1", "A4:C4"]},
    )
    roster = read(path)
    assert roster.sheets == ("电工", "焊工")
    assert [(w.sheet, w.row, w.name, w.id_number) for w in roster.workers] == [
        ("电工", 2, "张三", ID_A),
        ("焊工", 3, "王五", ID_C),
        ("焊工", 6, "赵六", ID_D),
    ]
    assert notes(roster) == [
        (
            5,
            "several_tables",
            "工作表“焊工”：第 5 行起是另一张表（表头：姓名、身份证号…），按它自己的表头读取",
        )
    ]


# ---- what a safety officer sees -----------------------------------------------------------------


def _registry(folder: Path, *people: tuple[str, str, str, str]) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期",
                      "有效期开始日期", "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"])
        for name, id_number, category, item in people:
            out.writerow([name, id_number, "T" + id_number, category, item, "2020-05-01",
                          "2023-05-01", "2029-05-01", "2027-05-01", "", "重庆市应急管理局"])
    return path


def test_workers_under_a_reordered_second_header_are_checked_by_their_own_columns(
    tmp_path: Path,
) -> None:
    """Before, the reordered header was read as a worker and the welders under it with the
    electricians' columns (their names taken for IDs): every one of them unverified."""
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            ["序号", "姓名", "身份证号码", "操作项目"],
            [1, "张伟", ID_A, "低压电工作业"],
            [],
            ["身份证号码", "姓名", "操作项目"],
            [ID_B, "王芳", "熔化焊接与热切割作业"],
        ],
    )
    reg = _registry(
        tmp_path,
        ("张伟", ID_A, "电工作业", "低压电工作业"),
        ("王芳", ID_B, "焊接与热切割作业", "熔化焊接与热切割作业"),
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{reg}", "--as-of", "2026-12-01",
         "-o", str(out), "--no-progress"],
        catch_exceptions=False,
    )
    data = json.loads(out.read_text("utf-8"))
    assert [(w["row"], w["name"], w["status"]) for w in data["workers"]] == [
        (2, "张伟", "valid"),
        (5, "王芳", "valid"),
    ]
    assert result.exit_code == 0, result.output
