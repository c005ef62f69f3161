"""Reading the header of a roster the way other offices word it: which dates are the
certificate's, the many names of the item and category columns, 岗位 and 工种 (the job), hint
rows under the column names, and sheets whose name says they are not the roster.

Files are built the way offices make them (openpyxl with merged titles and two-row headers, .xls
by xlwt, GBK CSV bytes); expected values are written out.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest
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


# ---- 1. only dates about the certificate are certificate dates ------------------------------


def test_dates_about_a_contract_a_medical_or_probation_are_not_certificate_dates(
    tmp_path: Path,
) -> None:
    header = [
        "序号", "姓名", "身份证号", "证书编号", "劳动合同到期日", "合同到期日期", "体检有效期",
        "体检日期", "试用期截止", "入职日期", "身份证有效期", "培训日期", "保险到期日", "有效期至",
    ]
    row = [
        1, "张三", ID_A, "T" + ID_A, "2025-12-31", "2025-12-31", "2026-06-30", "2025-06-30",
        "2024-03-01", "2023-12-01", "2035-01-01", "2023-11-20", "2026-12-31", "2029-05-01",
    ]
    roster = read(write_xlsx(tmp_path / "r.xlsx", [["某某公司人员花名册"], header, row]))

    assert roster.columns == {
        "name": "姓名",
        "id_number": "身份证号",
        "cert_number": "证书编号",
        "valid_until": "有效期至",
    }
    declared = roster.workers[0].declared
    assert declared.valid_until == date(2029, 5, 1)
    assert (declared.first_issued, declared.valid_from) == (None, None)
    assert (declared.review_due, declared.reviewed) == (None, None)
    # 入职日期, 身份证有效期 and 培训日期 are columns rosters often hold: ignored without a note.
    assert issues(roster, "unknown_column") == [
        (2, "列“劳动合同到期日”（第 5 列）不是证书的日期，已忽略"),
        (2, "列“合同到期日期”（第 6 列）不是证书的日期，已忽略"),
        (2, "列“体检有效期”（第 7 列）不是证书的日期，已忽略"),
        (2, "列“体检日期”（第 8 列）不是证书的日期，已忽略"),
        (2, "列“试用期截止”（第 9 列）不是证书的日期，已忽略"),
        (2, "列“保险到期日”（第 13 列）不是证书的日期，已忽略"),
    ]


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("有效期至", "valid_until"),
        ("证书有效期", "valid_until"),
        ("有效期结束日期", "valid_until"),
        ("证书到期日期", "valid_until"),
        ("操作证到期日期", "valid_until"),
        ("有效期", "valid_until"),
        ("复审日期", "review_due"),
        ("初领日期", "first_issued"),
        ("发证日期", "valid_from"),
    ],
)
def test_labels_naming_the_certificate_or_its_validity_are_read_without_other_columns(
    tmp_path: Path, label: str, field: str
) -> None:
    # Nothing else in the header says "certificate": the label has to say it alone.
    roster = read(
        write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", "工种", label],
                                         ["张三", ID_A, "电工", "2027-03-01"]])
    )
    assert roster.columns[field] == label
    assert getattr(roster.workers[0].declared, field) == date(2027, 3, 1)
    assert "unknown_column" not in codes(roster)


@pytest.mark.parametrize("label", ["到期日期", "截止日期", "到期时间", "失效日期"])
def test_a_bare_end_date_in_a_roster_without_certificate_columns_is_not_read(
    tmp_path: Path, label: str
) -> None:
    # 到期日期 ends a contract, probation or insurance as well as a certificate: beside 姓名,
    # 身份证号 and 工种 only, nothing says which.
    roster = read(
        write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", "工种", label],
                                         ["张三", ID_A, "电工", "2027-03-01"]])
    )
    assert "valid_until" not in roster.columns
    assert roster.workers[0].declared.valid_until is None
    assert not roster.workers[0].declared.claims_certificate
    assert issues(roster, "unknown_column") == [
        (
            1,
            f"列“{label}”（第 4 列）没有写明是什么的日期，表中也没有证号、作业类别等证书列，"
            "已忽略；如是操作证的有效期，请把表头改为“有效期至”",
        )
    ]


@pytest.mark.parametrize(
    "beside", ["证书编号", "作业类别", "准操项目", "初领日期", "应复审日期", "发证机关"]
)
def test_a_bare_end_date_beside_a_certificate_column_is_the_certificates(
    tmp_path: Path, beside: str
) -> None:
    roster = read(
        write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", beside, "到期日期"],
                                         ["张三", ID_A, "", "2027-03-01"]])
    )
    assert roster.columns["valid_until"] == "到期日期"
    assert roster.workers[0].declared.valid_until == date(2027, 3, 1)
    assert "unknown_column" not in codes(roster)


def test_two_row_header_dates_are_decided_by_the_merged_title_above_them(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["特种作业人员登记表"],
            ["序号", "姓名", "身份证号", "特种作业操作证", "", "劳动合同", "", "体检", ""],
            ["", "", "", "到期日期", "有效期", "起", "止", "日期", "有效期"],
            [1, "张三", ID_A, "2028-06-30", "", "2024-01-01", "2026-12-31", "2026-03-01",
             "2027-03-01"],
        ],
        merges=["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:I2"],
    )
    roster = read(path)
    declared = roster.workers[0].declared
    assert roster.workers[0].row == 4
    assert declared.valid_until == date(2028, 6, 30)
    assert (declared.valid_from, declared.first_issued, declared.review_due) == (None, None, None)
    assert roster.columns["valid_until"] == "特种作业操作证到期日期"
    # 有效期 under the certificate repeats the 到期日期 column; 起/止 under 劳动合同 and 有效期
    # under 体检 are another thing's dates.
    assert issues(roster, "duplicate_column") == [
        (3, "列“有效期”（第 5 列）与前面的“特种作业操作证到期日期”含义相同，已忽略")
    ]
    assert issues(roster, "unknown_column") == [
        (3, "未识别的列“劳动合同起”（第 6 列），已忽略"),
        (3, "未识别的列“劳动合同止”（第 7 列），已忽略"),
        (3, "列“体检日期”（第 8 列）不是证书的日期，已忽略"),
        (3, "列“体检有效期”（第 9 列）不是证书的日期，已忽略"),
    ]


def test_identity_card_columns_other_than_its_number_are_not_the_id_nor_the_issuer(
    tmp_path: Path,
) -> None:
    # HR exports put the card's validity and issuing office beside its number, sometimes first.
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["姓名", "身份证有效期至", "身份证签发机关", "身份证号码", "操作证号"],
            ["张三", "2035-01-01", "重庆市公安局", ID_A, "T" + ID_A],
        ],
    )
    roster = read(path)
    assert roster.columns == {"name": "姓名", "id_number": "身份证号码", "cert_number": "操作证号"}
    worker = roster.workers[0]
    assert worker.id_number == ID_A
    assert (worker.declared.valid_until, worker.declared.issuer) == (None, None)
    assert [m for _, m in issues(roster, "unknown_column")] == [
        "列“身份证有效期至”（第 2 列）不是证书的日期，已忽略",
        "未识别的列“身份证签发机关”（第 3 列），已忽略",
    ]


def test_a_date_of_a_document_that_may_be_the_identity_card_is_not_read(tmp_path: Path) -> None:
    # HR forms pair 证件类型 / 证件号码 / 证件有效期: the identity card's, or the certificate's.
    roster = read(
        write_xlsx(
            tmp_path / "r.xlsx",
            [["姓名", "证件类型", "证件号码", "证书编号", "证件有效期"],
             ["张三", "居民身份证", ID_A, "T" + ID_A, "2035-01-01"]],
        )
    )
    assert roster.columns == {"name": "姓名", "id_number": "证件号码", "cert_number": "证书编号"}
    assert roster.workers[0].declared.valid_until is None
    assert issues(roster, "unknown_column") == [
        (
            1,
            "列“证件有效期”（第 5 列）没有写明是身份证还是操作证的日期，已忽略；"
            "如是操作证的有效期，请把表头改为“操作证有效期至”",
        )
    ]


def _registry(folder: Path, name: str, id_number: str) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期",
                      "有效期开始日期", "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"])
        out.writerow([name, id_number, "T" + id_number, "电工作业", "低压电工作业", "2020-05-01",
                      "2023-05-01", "2029-05-01", "2027-05-01", "", "重庆市应急管理局"])
    return path


def test_a_contract_end_date_does_not_make_a_worker_claim_a_certificate(tmp_path: Path) -> None:
    """What a safety officer sees: a worker the registry does not know, whose row holds only a
    劳动合同到期日, has no certificate — he is not accused of holding a fake one."""
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            ["序号", "姓名", "身份证号", "工种", "劳动合同到期日"],
            [1, "张伟", ID_A, "电工", "2027-12-31"],
            [2, "王芳", ID_B, "电工", "2027-12-31"],
        ],
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{_registry(tmp_path, '张伟', ID_A)}",
         "--as-of", "2026-12-01", "-o", str(out), "--no-progress"],
        catch_exceptions=False,
    )
    data = json.loads(out.read_text("utf-8"))
    assert [(w["row"], w["name"], w["status"]) for w in data["workers"]] == [
        (2, "张伟", "valid"),
        (3, "王芳", "uncertified"),
    ]
    assert result.exit_code == 1, result.output
    assert "劳动合同到期日" in result.output


@pytest.mark.parametrize(
    "above",
    [
        [["重庆某某建设有限公司特种作业人员花名册"]],
        [["填报单位：重庆某某建设有限公司", "", "", "", "填报日期：2026年11月20日"]],
    ],
)
def test_a_title_or_form_line_above_the_header_is_no_upper_header_row(
    tmp_path: Path, above: list[list[str]]
) -> None:
    """填报日期：… standing over 证件类型 and 有效期至 (or a merged title over all columns) does
    not join their names: 证件类型 (身份证) is no 作业类别, and 有效期至 stays the certificate's,
    so a worker the registry does not know, whose row gives an end date, is not found."""
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            *above,
            ["序号", "姓名", "身份证号", "工种", "证件类型", "有效期至"],
            [1, "张伟", ID_A, "低压电工", "身份证", "2029-05-01"],
            [2, "王芳", ID_B, "低压电工", "身份证", "2028-03-01"],
        ],
        merges=["A1:F1"] if len(above[0]) == 1 else [],
    )
    read_back = read(roster)
    assert read_back.columns == {"name": "姓名", "id_number": "身份证号", "item": "工种",
                                 "valid_until": "有效期至"}
    assert [(w.declared.category, w.declared.valid_until) for w in read_back.workers] == [
        (None, date(2029, 5, 1)), (None, date(2028, 3, 1))]
    out = tmp_path / "out.json"
    CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{_registry(tmp_path, '张伟', ID_A)}",
         "--as-of", "2026-12-01", "-o", str(out), "--no-progress"],
        catch_exceptions=False,
    )
    data = json.loads(out.read_text("utf-8"))
    assert [(w["name"], w["status"], w["reason"]) for w in data["workers"]] == [
        ("张伟", "valid", "ok"),
        ("王芳", "fake", "not_found"),
    ]


# ---- 2. names of the item and category columns; the job -------------------------------------


@pytest.mark.parametrize(
    ("label", "field", "value"),
    [
        ("证书名称", "item", "低压电工作业"),
        ("持证项目", "item", "低压电工作业"),
        ("取证项目", "item", "低压电工作业"),
        ("准操项目", "item", "低压电工作业"),
        ("资格类别", "category", "电工作业"),
        ("证书类型", "category", "电工作业"),
        ("作业类型", "category", "电工作业"),
        ("特种作业类型", "category", "电工作业"),
        ("证书种类", "category", "电工作业"),
        ("操作证类别", "category", "电工作业"),
    ],
)
def test_other_names_of_the_item_and_category_columns(
    tmp_path: Path, label: str, field: str, value: str
) -> None:
    roster = read(
        write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", label], ["张三", ID_A, value]])
    )
    assert roster.columns == {"name": "姓名", "id_number": "身份证号", field: label}
    assert getattr(roster.workers[0].declared, field) == value
    assert codes(roster) == []


def test_with_an_item_column_the_trade_is_the_job(tmp_path: Path) -> None:
    roster = read(
        write_xlsx(
            tmp_path / "r.xlsx",
            [["序号", "姓名", "身份证号", "工种", "操作项目"],
             [1, "张三", ID_A, "电工", "低压电工作业"]],
        )
    )
    assert roster.columns == {
        "name": "姓名", "id_number": "身份证号", "item": "操作项目", "job": "工种",
    }
    assert roster.workers[0].declared.item == "低压电工作业"
    assert codes(roster) == []


def test_the_terminal_shows_which_column_was_taken_for_the_job(tmp_path: Path) -> None:
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [["姓名", "身份证号", "工种", "操作项目"], ["张伟", ID_A, "电工", "低压电工作业"]],
    )
    result = CliRunner().invoke(
        cli,
        ["verify", str(roster), "--source", f"registry:{_registry(tmp_path, '张伟', ID_A)}",
         "--as-of", "2026-12-01", "-o", str(tmp_path / "out.json"), "--no-progress"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "列: 姓名←“姓名”，身份证号←“身份证号”，操作项目←“操作项目”，岗位←“工种”" in result.output


def test_without_an_item_column_the_trade_is_the_item_as_before(tmp_path: Path) -> None:
    roster = read(
        write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", "工种"], ["张三", ID_A, "电工"]])
    )
    assert roster.columns == {"name": "姓名", "id_number": "身份证号", "item": "工种"}
    assert roster.workers[0].declared.item == "电工"


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (["姓名", "身份证号", "岗位"], {"job": "岗位"}),
        (["姓名", "身份证号", "岗位", "准操项目"], {"job": "岗位", "item": "准操项目"}),
        (["姓名", "身份证号", "从事工种", "作业项目"], {"job": "从事工种", "item": "作业项目"}),
        (["姓名", "身份证号", "岗位工种", "持证项目"], {"job": "岗位工种", "item": "持证项目"}),
        (["姓名", "身份证号", "工种", "工作岗位"], {"item": "工种", "job": "工作岗位"}),
        (["姓名", "身份证号", "特种作业工种", "岗位"], {"item": "特种作业工种", "job": "岗位"}),
        (["姓名", "身份证号", "所属项目", "工种"], {"item": "工种"}),
    ],
)
def test_job_columns(tmp_path: Path, header: list[str], columns: dict[str, str]) -> None:
    roster = read(write_xlsx(tmp_path / "r.xlsx", [header, ["张三", ID_A, "甲", "乙"]]))
    assert roster.columns == {"name": "姓名", "id_number": "身份证号", **columns}
    assert codes(roster) == []


def test_two_job_columns_keep_the_first_and_note_the_second(tmp_path: Path) -> None:
    roster = read(
        write_xlsx(
            tmp_path / "r.xlsx",
            [["姓名", "身份证号", "操作项目", "岗位", "工种"],
             ["张三", ID_A, "低压电工作业", "维修电工", "电工"]],
        )
    )
    assert roster.columns["job"] == "岗位"
    assert issues(roster, "duplicate_column") == [
        (1, "列“工种”（第 5 列）与前面的“岗位”含义相同，已忽略")
    ]


def test_a_construction_project_is_not_the_item(tmp_path: Path) -> None:
    roster = read(
        write_xlsx(
            tmp_path / "r.xlsx",
            [["姓名", "身份证号", "项目名称", "人员类别"], ["张三", ID_A, "某小区二期", "管理人员"]],
        )
    )
    assert roster.columns == {"name": "姓名", "id_number": "身份证号"}
    assert (roster.workers[0].declared.item, roster.workers[0].declared.category) == (None, None)
    assert [m for _, m in issues(roster, "unknown_column")] == [
        "未识别的列“项目名称”（第 3 列），已忽略",
        "未识别的列“人员类别”（第 4 列），已忽略",
    ]


# ---- 3. hint rows under the header -------------------------------------------------------------


def test_a_row_of_filling_hints_under_the_header_is_part_of_the_header(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["某某公司特种作业人员花名册"],
            ["序号", "姓名", "身份证号", "操作项目", "有效期至", "备注"],
            ["", "（必填）", "（18位，文本格式）", "例如：低压电工作业", "格式：YYYY-MM-DD", "（选填）"],
            [1, "张三", ID_A, "低压电工作业", "2027-03-01", ""],
            [2, "李四", ID_B, "高压电工作业", "2028-04-01", ""],
        ],
        merges=["A1:F1"],
    )
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(4, "张三"), (5, "李四")]
    assert roster.title == "某某公司特种作业人员花名册"
    assert issues(roster, "hint_row") == [
        (3, "表头下的填写提示行（“（必填）”…），已跳过，不作为人员")
    ]
    assert codes(roster) == ["hint_row"]


def test_hint_rows_under_a_two_row_header_in_an_xls(tmp_path: Path) -> None:
    path = write_xls(
        tmp_path / "r.xls",
        [
            (
                "花名册",
                [
                    ["姓名", "身份证号", "特种作业操作证", "", ""],
                    ["", "", "证号", "作业类别", "有效期至"],
                    ["必填", "请填写18位身份证号", "请填写证书上的编号", "请选择", "（日期格式）"],
                    ["如：张三", "", "", "下拉选择", "格式：2027-01-01"],
                    ["张三", ID_A, "T" + ID_A, "电工作业", "2027-03-01"],
                ],
            )
        ],
        merges={"花名册": [(0, 1, 0, 0), (0, 1, 1, 1), (0, 0, 2, 4)]},
    )
    roster = read(path)
    assert [(w.row, w.name, w.declared.cert_shown) for w in roster.workers] == [
        (5, "张三", "T" + ID_A)
    ]
    assert roster.columns["cert_number"] == "证号"
    assert [(i.row, i.code) for i in roster.issues] == [
        (1, "header_two_rows"), (3, "hint_row"), (4, "hint_row"),
    ]
    assert issues(roster, "header_two_rows") == [(1, "表头占两行（第 1–2 行），已合并识别")]


def test_hint_row_in_a_gbk_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(
        "\r\n".join(
            [
                "姓名,身份证号码,证书编号",
                "（必填）,（18位，文本格式）,（选填）",
                f"张三,{ID_A},T{ID_A}",
            ]
        ).encode("gbk")
        + b"\r\n"
    )
    roster = read(path)
    assert [(w.row, w.name) for w in roster.workers] == [(3, "张三")]
    assert issues(roster, "hint_row") == [
        (2, "表头下的填写提示行（“（必填）”…），已跳过，不作为人员")
    ]
    assert "header_two_rows" not in codes(roster)


def test_a_row_holding_an_id_is_never_a_hint_row(tmp_path: Path) -> None:
    # 例：张三 with a real-looking ID is an example person, not a hint: the row is not absorbed
    # into the header (what the row reader makes of an example row is its own business).
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [["姓名", "身份证号"], ["例：张三", ID_C], ["李四", ID_B]],
    )
    roster = read(path)
    assert "hint_row" not in codes(roster)
    assert [(w.row, w.name) for w in roster.workers][-1] == (3, "李四")


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
