"""The roster reader on the rosters people really make: titles, merged headers, footers,
hidden sheets, CSV in two encodings, HTML saved as .xls, and every kind of messy ID or date."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from certcheck.models import IdProblem, Unreadable
from certcheck.roster import Roster, RosterError, read_roster
from roster_fixtures import ID_A, ID_B, ID_C, make_id, tiny_ods, write_xlsx

TODAY = date(2026, 11, 29)
HEADER = ["序号", "姓名", "身份证号", "证号", "作业类别", "操作项目", "有效期至"]
FULL_ID = re.compile(r"\d{17}[\dX]")


def read(path: Path, sheet: str | None = None) -> Roster:
    roster = read_roster(path, sheet, today=TODAY)
    for issue in roster.issues:
        assert not FULL_ID.search(issue.message), issue  # personal data never in a message
        assert "\n" not in issue.message
    return roster


def codes(roster: Roster) -> list[str]:
    return [issue.code for issue in roster.issues]


def test_title_rows_above_header_give_the_title_and_true_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["重庆某某建设有限公司特种作业人员花名册"],
            ["填报日期：2026年11月1日"],
            HEADER,
            [1, "张三", ID_A, "T" + ID_A, "电工作业", "低压电工作业", "2027-03-01"],
            [2, "李四", ID_B, "", "焊接与热切割作业", "熔化焊接与热切割作业", "2028.5.6"],
        ],
        merges=["A1:G1"],
    )
    roster = read(path)
    assert roster.title == "重庆某某建设有限公司特种作业人员花名册"
    assert [w.row for w in roster.workers] == [4, 5]
    first = roster.workers[0]
    assert (first.name, first.id_number, first.id_problem) == ("张三", ID_A, None)
    assert first.declared.cert_shown == "T" + ID_A
    assert first.declared.item == "低压电工作业"
    assert first.declared.valid_until == date(2027, 3, 1)
    assert roster.workers[1].declared.valid_until == date(2028, 5, 6)
    assert roster.columns["id_number"] == "身份证号"
    assert roster.sheet == "Sheet1"
    assert "header_two_rows" not in codes(roster)


def test_two_row_header_under_merged_cells_is_combined(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["序号", "姓名", "身份证号", "特种作业操作证", "", "", "有效期", ""],
            ["", "", "", "证书编号", "作业类别", "准操项目", "起", "止"],
            [1, "张三", ID_A, "T" + ID_A, "电工作业", "低压电工作业", "2021-03-01", "2027-03-01"],
        ],
        merges=["D1:F1", "G1:H1", "A1:A2", "B1:B2", "C1:C2"],
    )
    roster = read(path)
    assert roster.columns["cert_number"] == "证书编号"
    assert roster.columns["category"] == "作业类别"
    assert roster.columns["item"] == "准操项目"
    worker = roster.workers[0]
    assert worker.row == 3
    assert worker.declared.category == "电工作业"
    assert worker.declared.valid_from == date(2021, 3, 1)
    assert worker.declared.valid_until == date(2027, 3, 1)
    assert "header_two_rows" in codes(roster)


def test_loose_header_names_are_matched(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            [
                "姓　名",
                "身 份 证 号 码（18位）",
                "特种作业操作证号*",
                "准操作项目",
                "复审日期",
                "实际复审日期",
                "初领日期",
                "有效期截止日期",
                "备注",
                "家属电话",
            ],
            [
                "张三",
                ID_A,
                "T" + ID_A,
                "高压电工作业",
                "2024-01-01",
                "2023-12-01",
                "2018-01-01",
                "2030-01-01",
                "",
                "123",
            ],
        ],
    )
    roster = read(path)
    assert roster.columns == {
        "name": "姓　名",
        "id_number": "身 份 证 号 码（18位）",
        "cert_number": "特种作业操作证号*",
        "item": "准操作项目",
        "first_issued": "初领日期",
        "valid_until": "有效期截止日期",
        "review_due": "复审日期",
        "reviewed": "实际复审日期",
    }
    declared = roster.workers[0].declared
    assert declared.review_due == date(2024, 1, 1)
    assert declared.reviewed == date(2023, 12, 1)
    assert declared.first_issued == date(2018, 1, 1)
    # 备注 is a known column to ignore; 家属电话 is reported as not understood.
    unknown = [i for i in roster.issues if i.code == "unknown_column"]
    assert len(unknown) == 1 and "家属电话" in unknown[0].message


def test_blank_rows_and_footers_are_skipped_but_rows_missing_name_or_id_are_kept(
    tmp_path: Path,
) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            HEADER,
            [1, "张三", ID_A, "", "", "电工", ""],
            [],
            [2, "", ID_B, "", "", "焊工", ""],
            [3, "王五", "", "", "", "焊工", ""],
            [4, "", "", "", "", "", ""],
            ["制表人：赵六", "", "审核人：钱七"],
            ["注：1. 本表由企业填报"],
        ],
    )
    roster = read(path)
    assert [(w.row, w.name, w.id_number, w.id_problem) for w in roster.workers] == [
        (2, "张三", ID_A, None),
        (4, None, ID_B, None),
        (5, "王五", None, IdProblem.MISSING),
    ]
    assert [(i.row, i.code) for i in roster.issues if i.code == "missing_field"] == [
        (4, "missing_field"),
        (5, "missing_field"),
    ]


def test_leading_empty_rows_and_columns_keep_excel_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["张三", ID_A], [], ["李四", ID_B]],
        at=(4, 3),
    )
    roster = read(path)
    assert [w.row for w in roster.workers] == [5, 7]


def test_hidden_first_sheet_is_skipped_and_sheet_option_overrides(tmp_path: Path) -> None:
    old = [["姓名", "身份证号"], ["旧人", ID_C]]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["张三", ID_A]],
        title="本月",
        sheets_before=[("去年", "hidden", old), ("说明", "visible", [["填表说明"]])],
    )
    roster = read(path)
    assert roster.sheet == "本月"
    assert [w.name for w in roster.workers] == ["张三"]
    assert [(s.name, s.why) for s in roster.skipped] == [("去年", "隐藏"), ("说明", "填表说明")]

    chosen = read(path, sheet="去年")
    assert chosen.sheet == "去年"
    assert [w.name for w in chosen.workers] == ["旧人"]

    with pytest.raises(RosterError) as error:
        read(path, sheet="明年")
    message = str(error.value)
    assert "明年" in message and "本月" in message and "去年" in message and "说明" in message
    assert "\n" not in message


def test_csv_in_gbk_with_title_line_and_line_numbers(tmp_path: Path) -> None:
    text = (
        "某公司特种作业人员花名册,,\r\n"
        "姓名,身份证号,操作项目\r\n"
        f'张三,{ID_A},"低压\r\n电工"\r\n'
        "\r\n"
        f"李四,{ID_B},焊工\r\n"
    )
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("gbk"))
    roster = read(path)
    assert roster.title == "某公司特种作业人员花名册"
    assert [(w.row, w.name) for w in roster.workers] == [(3, "张三"), (6, "李四")]
    assert "encoding_gb18030" in codes(roster)
    assert roster.sheet is None


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_utf8_bom_with_any_delimiter(tmp_path: Path, delimiter: str) -> None:
    lines = [["姓名", "身份证号", "有效期至"], ["张三", ID_A, "2027/3/1"], ["李四", ID_B, ""]]
    path = tmp_path / "r.csv"
    path.write_bytes("\n".join(delimiter.join(line) for line in lines).encode("utf-8-sig"))
    roster = read(path)
    assert [(w.row, w.name, w.id_number) for w in roster.workers] == [
        (2, "张三", ID_A),
        (3, "李四", ID_B),
    ]
    assert roster.workers[0].declared.valid_until == date(2027, 3, 1)


def test_csv_with_sheet_option_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"姓名,身份证号\n张三,{ID_A}\n", encoding="utf-8")
    roster = read(path, sheet="Sheet1")
    assert len(roster.workers) == 1 and "sheet_ignored" in codes(roster)


HTML_TABLE = (
    "<table border=1>"
    "<tr><td colspan=3>某公司特种作业人员花名册</td></tr>"
    "<tr><th rowspan=2>姓名</th><th rowspan=2>身份证号</th><th>特种作业操作证</th></tr>"
    "<tr><th>证书编号</th></tr>"
    "<tr><td>张&nbsp;三</td><td>{a}</td><td>T{a}</td></tr>"
    "<tr><td>李四</td><td>{b}</td><td></td></tr>"
    "</table>"
)


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [
        ("<html><head><meta charset='utf-8'></head><body>", "utf-8"),
        (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" '
            'content="text/html; charset=gb2312"></head><body>',
            "gbk",
        ),
        ("<html><body>", "utf-16"),
    ],
)
def test_html_saved_as_xls_is_read_as_a_table(tmp_path: Path, prefix: str, encoding: str) -> None:
    path = tmp_path / "导出.xls"
    path.write_bytes(
        (prefix + HTML_TABLE.format(a=ID_A, b=ID_B) + "</body></html>").encode(encoding)
    )
    roster = read(path)
    assert roster.title == "某公司特种作业人员花名册"
    assert [(w.row, w.name, w.id_number) for w in roster.workers] == [
        (4, "张三", ID_A),
        (5, "李四", ID_B),
    ]
    assert roster.workers[0].declared.cert_shown == "T" + ID_A
    assert "format_mismatch" in codes(roster)


def test_numeric_id_is_precision_lost_even_when_its_digits_pass_the_checksum(
    tmp_path: Path,
) -> None:
    # An ID ending in "000" reads back from a float exactly as it was typed and passes the
    # checksum, yet it was still typed as a number and must not be trusted.
    lucky = next(
        i
        for day in range(1, 29)
        for seq in range(0, 1000, 100)
        for i in [make_id(born=date(1980, 1, day), seq=seq)]
        if i.endswith("000")
    )
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["张三", float(lucky)], ["李四", float(ID_B)]],
    )
    roster = read(path)
    assert [w.id_problem for w in roster.workers] == [IdProblem.PRECISION_LOST] * 2
    assert roster.workers[0].id_number == lucky
    assert roster.workers[1].id_number == ID_B[:15] + "000"
    assert roster.workers[0].lookup_key is None
    assert codes(roster).count("id_precision_lost") == 2


def test_scientific_notation_in_csv_is_precision_lost(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"姓名,身份证号\n张三,5.00381E+17\n李四,{ID_B}\n", encoding="utf-8")
    roster = read(path)
    assert roster.workers[0].id_problem is IdProblem.PRECISION_LOST
    assert roster.workers[0].id_number == "500381000000000000"
    assert roster.workers[1].id_problem is None


def test_zero_width_full_width_spaces_and_lowercase_x_are_normalised(tmp_path: Path) -> None:
    with_x = make_id(seq=3)
    while not with_x.endswith("X"):
        with_x = make_id(seq=int(with_x[14:17]) + 1)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ID_B)
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证号"],
            ["张三", "\u200b" + ID_A[:6] + " " + ID_A[6:] + "\ufeff"],
            ["李四", full_width],
            ["王五", with_x.lower()],
            ["赵六", "500381198503150011"],
        ],
    )
    roster = read(path)
    assert [w.id_number for w in roster.workers] == [ID_A, ID_B, with_x, "500381198503150011"]
    assert [w.id_problem for w in roster.workers] == [None, None, None, IdProblem.INVALID]
    rows_normalised = [i.row for i in roster.issues if i.code == "id_normalised"]
    assert rows_normalised == [2, 3]
    invalid = [i for i in roster.issues if i.code == "invalid_id"]
    assert invalid[0].row == 5 and "500381********0011" in invalid[0].message


def test_middle_dot_variants_in_names_are_unified(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["买买提・艾力", ID_A], ["阿依古丽•买买提", ID_B], ["张 三", ID_C]],
    )
    roster = read(path)
    assert [w.name for w in roster.workers] == ["买买提·艾力", "阿依古丽·买买提", "张三"]


def test_every_date_form_is_understood(tmp_path: Path) -> None:
    expected = date(2021, 3, 5)
    forms: list[object] = [
        datetime(2021, 3, 5),
        44260,  # Excel serial day
        "2021-03-05",
        "2021.3.5",
        "2021/3/5",
        "2021年3月5日",
        "20210305",
        20210305,
        "2021-03-05 00:00:00",
        " 2021 年 03 月 05 日 ",
    ]
    rows: list[list[object]] = [["姓名", "身份证号", "初领日期"]]
    rows += [[f"人{i}", make_id(seq=i), form] for i, form in enumerate(forms)]
    roster = read(write_xlsx(tmp_path / "r.xlsx", rows))
    assert [w.declared.first_issued for w in roster.workers] == [expected] * len(forms)
    assert "bad_date" not in codes(roster)


def test_validity_range_in_one_cell_fills_both_ends(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号", "有效期"], ["张三", ID_A, "2021.03.05-2027.03.05"]],
    )
    declared = read(path).workers[0].declared
    assert (declared.valid_from, declared.valid_until) == (date(2021, 3, 5), date(2027, 3, 5))


def test_bad_date_is_not_understood_and_reported(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号", "有效期至", "应复审日期"], ["张三", ID_A, "长期有效", ID_B]],
    )
    roster = read(path)
    declared = roster.workers[0].declared
    # Neither is read as "no date": each is carried as a cell nobody understood.
    assert isinstance(declared.valid_until, Unreadable)
    assert isinstance(declared.review_due, Unreadable)
    bad = [i for i in roster.issues if i.code == "unreadable_cell"]
    assert [i.row for i in bad] == [2, 2]
    assert bad[0].message == "有效期至“长期有效”不是可识别的日期，该人员未核验"
    assert ID_B not in bad[1].message  # an ID typed into a date column is masked too
    assert "500381********" in bad[1].message


def test_repeated_header_row_is_skipped(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["张三", ID_A], ["姓名", "身份证号"], ["李四", ID_B]],
    )
    roster = read(path)
    assert [w.row for w in roster.workers] == [2, 4]
    assert "repeated_header" in codes(roster)


def test_reading_never_changes_the_file(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号"], ["张三", ID_A]])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    read(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "是图片（PNG），不是表格"),
        (bytes(range(256)) * 8, "不是表格文件"),
        (b"", "空文件"),
        (b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
    ],
)
def test_not_a_spreadsheet_is_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(content)
    with pytest.raises(RosterError, match=expected):
        read(path)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RosterError, match="压缩包"):
        read(path)


def test_missing_file_and_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="找不到"):
        read(tmp_path / "nope.xlsx")
    with pytest.raises(RosterError, match="文件夹"):
        read(tmp_path)


def test_no_id_column_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [["姓名", "工种"], ["张三", "电工"]])
    with pytest.raises(RosterError, match="身份证号") as error:
        read(path)
    assert "姓名、" not in str(error.value)  # 姓名 was found; only the ID column is missing


def test_empty_workbook_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [])
    with pytest.raises(RosterError, match="没有任何数据"):
        read(path)


def test_xls_and_ods_are_read_through_the_isolated_reader(tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets"
    if not corpus.is_dir():
        pytest.skip("corpus not present")
    # A legacy .xls goes through the child process and comes back as a grid; no roster in it.
    with pytest.raises(RosterError, match="找不到"):
        read(corpus / "date.xls")


def test_ods_is_read_with_true_row_numbers(tmp_path: Path) -> None:
    path = tiny_ods(
        tmp_path / "r.ods",
        [
            [],
            ["某公司特种作业人员花名册"],
            ["姓名", "身份证号", "工种"],
            ["张三", ID_A, "电工"],
            [],
            ["李四", ID_B, ""],
        ],
    )
    roster = read(path)
    assert roster.sheet == "花名册" and roster.title == "某公司特种作业人员花名册"
    assert [(w.row, w.name, w.declared.item) for w in roster.workers] == [
        (4, "张三", "电工"),
        (6, "李四", None),
    ]


def test_extension_is_not_trusted(tmp_path: Path) -> None:
    real = write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号"], ["张三", ID_A]])
    renamed = real.rename(tmp_path / "r.xls")
    roster = read(renamed)
    assert [w.name for w in roster.workers] == ["张三"]
    assert "format_mismatch" in codes(roster)
