"""Reading the header of a roster the way other offices word it: which dates are the
certificate's, the many names of the item and category columns, 岗位 and 工种 (the job), hint
rows under the column names, and sheets whose name says they are not the roster.

Files are built the way offices make them (openpyxl with merged titles and two-row headers, .xls
by xlwt, GBK CSV bytes); expected values are written out.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from certcheck.roster import Roster, read_roster
from roster_fixtures import write_book

TODAY = date(2026, 11, 29)
FULL_ID = re.compile(r"\d{17}[\dX]")

# Valid IDs (checksum ok), written out.
ID_A = "500381198503150019"
ID_B = "500381198503150027"
ID_C = "50038119900101031X"
ID_D = "510107197907210041"


def read(path: Path, sheet: str | None = None) -> Roster:
    roster = read_roster(path, sheet, today=TODAY)
    for issue in roster.issues:
        assert not FULL_ID.search(issue.message), issue  # personal data never in a message
        assert "\n" not in issue.message
    return roster


def issues(roster: Roster, code: str) -> list[tuple[int | None, str]]:
    return [(i.row, i.message) for i in roster.issues if i.code == code]


def codes(roster: Roster) -> list[str]:
    return [i.code for i in roster.issues]


# ---- 5. sheet names -------------------------------------------------------------------------


def test_a_sheet_is_set_aside_only_when_its_whole_name_says_it_is_not_a_roster(
    tmp_path: Path,
) -> None:
    def roster(name: str, id_number: str) -> list[list[object]]:
        return [["姓名", "身份证号"], [name, id_number]]

    path = write_book(
        tmp_path / "r.xlsx",
        [
            ("填表说明", [["填表说明：每人一行"]]),
            ("说明", roster("说明甲", ID_D)),
            ("示例", roster("示例甲", ID_D)),
            ("样表", roster("样表甲", ID_D)),
            ("模板（勿删）", roster("模板甲", ID_D)),
            ("Sheet说明", roster("说明乙", ID_D)),
            ("填报说明", roster("说明丙", ID_D)),
            ("示例表", roster("示例乙", ID_D)),
            ("模板班", roster("张三", ID_A)),
            ("示范车间", roster("李四", ID_B)),
            ("样板房班组", roster("王五", ID_C)),
            ("说明书装订组", roster("赵六", "500381198503150035")),
        ],
    )
    read_back = read(path)
    assert read_back.sheets == ("模板班", "示范车间", "样板房班组", "说明书装订组")
    assert [(w.sheet, w.name) for w in read_back.workers] == [
        ("模板班", "张三"),
        ("示范车间", "李四"),
        ("样板房班组", "王五"),
        ("说明书装订组", "赵六"),
    ]
    assert [(s.name, s.why) for s in read_back.skipped] == [
        ("填表说明", "填表说明"),
        ("说明", "填表说明"),
        ("示例", "示例"),
        ("样表", "示例"),
        ("模板（勿删）", "模板"),
        ("Sheet说明", "填表说明"),
        ("填报说明", "填表说明"),
        ("示例表", "示例"),
    ]
