"""Rosters of several sheets, the new reasons and the official 证书状态 in every output, and
registers written before any of that (``roster.sheet``) read back by ``summary`` and ``due``.

Until the roster reader reads several sheets, the registers here are built from findings whose
workers carry their sheet, as the reader will hand them on.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.cli import lookup as _lookup  # noqa: F401
from certcheck.cli import summary as _summary  # noqa: F401
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.cli.report import show_register, show_roster
from certcheck.models import (
    Answer,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Finding,
    Found,
    NotFound,
    Reason,
    Status,
    Worker,
)
from certcheck.register.csv_ import write_csv
from certcheck.register.formats import write
from certcheck.register.json_ import register_to_dict
from certcheck.register.model import Kind, Register, RegisterMeta
from certcheck.register.reader import read_register
from certcheck.register.xlsx import MAIN_SHEET, MARKER_SHEET, SUMMARY_SHEET, write_xlsx
from certcheck.roster.model import Roster, SkippedSheet
from factories import nth_id
from register_sheet import register_table
from test_register import build_register

AS_OF = date(2026, 11, 29)
CST = timezone(timedelta(hours=8))
CHECKED = datetime(2026, 11, 29, 10, 0, tzinfo=CST)
OLD_XLSX = Path(__file__).parent / "data" / "old_register.xlsx"

EXPLAIN = "说明页，不是花名册"
EXAMPLE = "示例表"


def _record(name: str, id_number: str, *, status: str | None = None,
            until: date | None = date(2027, 1, 10), review: date | None = date(2026, 12, 20),
            item: str = "低压电工作业") -> CertRecord:
    return CertRecord(
        name=name, id_number=id_number, cert_number="T" + id_number, category="电工作业",
        item=item, first_issued=date(2022, 5, 1), valid_from=date(2022, 5, 1),
        valid_until=until, review_due=review, reviewed=None, issuer="重庆市应急管理局",
        status_text=status,
    )


def _answer(outcome: Found | NotFound | Failed) -> Answer:
    return Answer(outcome=outcome, source="registry", checked_at=CHECKED)


def _worker(sheet: str, row: int, name: str, n: int, item: str = "低压电工作业") -> Worker:
    return Worker(row=row, name=name, id_number=nth_id(n), sheet=sheet,
                  declared=Declared(item=item))


def multi_sheet_findings() -> list[Finding]:
    """Two roster sheets, 电工 and 焊工, whose rows are numbered each from the top."""
    valid = _record("张三", nth_id(1), status="有效")
    revoked = _record("李四", nth_id(2), status="注销", until=date(2027, 1, 5),
                      review=date(2026, 12, 10))
    incomplete = _record("周八", nth_id(6), item="熔化焊接与热切割作业", until=None)
    return [
        Finding(_worker("电工", 3, "张三", 1), Status.VALID, Reason.OK, (), (valid,),
                decisive=valid, answer=_answer(Found((valid,)))),
        Finding(_worker("电工", 4, "李四", 2), Status.UNCERTIFIED, Reason.REVOKED, (),
                (revoked,), decisive=revoked, answer=_answer(Found((revoked,)))),
        Finding(_worker("电工", 5, "王?", 3), Status.UNVERIFIED, Reason.NAME_UNREADABLE, (), ()),
        Finding(_worker("焊工", 3, "赵六", 4, "叉车司机"), Status.UNVERIFIED,
                Reason.OTHER_AUTHORITY, (), ()),
        Finding(_worker("焊工", 4, "孙七", 5, "熔化焊接与热切割作业"), Status.UNVERIFIED,
                Reason.TOO_RECENT, (), (), answer=_answer(NotFound())),
        Finding(_worker("焊工", 5, "周八", 6, "熔化焊接与热切割作业"), Status.UNVERIFIED,
                Reason.RECORD_INCOMPLETE, (), (incomplete,), decisive=incomplete,
                answer=_answer(Found((incomplete,)))),
    ]


def multi_sheet_register(findings: list[Finding] | None = None) -> Register:
    meta = RegisterMeta(
        version="0.2.0", as_of=AS_OF, source="registry", roster_file="花名册.xlsx",
        sheets=("电工", "焊工"), enterprise="重庆某多表有限公司", kind=Kind.SELF_CHECK,
        generated_at=datetime(2026, 11, 29, 10, 30, tzinfo=CST),
        skipped_sheets=(("填表说明", EXPLAIN), ("示例", EXAMPLE)),
    )
    return Register(meta=meta, findings=tuple(findings or multi_sheet_findings()))


#: What every output says of the six workers: sheet, row, name, result, reason, 证书状态.
SEEN = [
    ["电工", 3, "张三", "有效", "有效", "有效"],
    ["电工", 4, "李四", "无证", "证书已吊销或注销", "注销"],
    ["电工", 5, "王?", "未核验", "姓名含乱码，无法核验", None],
    ["焊工", 3, "赵六", "未核验", "证书归其他部门核发，本数据源不能核验", None],
    ["焊工", 4, "孙七", "未核验", "新发证书，尚未能查到", None],
    ["焊工", 5, "周八", "未核验", "官方记录不完整，无法判定", None],
]
SEEN_COLUMNS = ("工作表", "行号", "姓名", "核验结果", "原因", "证书状态")
#: What the CSV and the workbook show: nothing under 原因 for the valid worker.
SEEN_IN_TABLES = [[*row[:4], None if row[3] == "有效" else row[4], row[5]] for row in SEEN]


# --- the three register formats -------------------------------------------------------------


def test_json_names_the_sheets_read_and_skipped_and_each_worker_sheet() -> None:
    data = register_to_dict(multi_sheet_register())
    assert data["roster"] == {
        "file": "花名册.xlsx",
        "sheets": ["电工", "焊工"],
        "skipped_sheets": [{"name": "填表说明", "why": EXPLAIN}, {"name": "示例", "why": EXAMPLE}],
    }
    workers = data["workers"]
    assert [list(w)[:2] for w in workers] == [["sheet", "row"]] * 6
    assert [[w["sheet"], w["row"], w["name"], w["status_zh"], w["reason_zh"]] for w in workers] \
        == [row[:5] for row in SEEN]
    assert [w["reason"] for w in workers] == [
        "ok", "revoked", "name_unreadable", "other_authority", "too_recent", "record_incomplete",
    ]
    assert workers[1]["certificates"][0]["证书状态"] == "注销"
    assert "证书状态" not in workers[5]["certificates"][0]  # the source gave none


def test_csv_has_the_sheet_and_the_certificate_status(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    write_csv(multi_sheet_register(), out)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    header = rows[0]
    assert header[:2] == ["工作表", "行号"]
    assert header[header.index("签发机关") + 1] == "证书状态"
    picked = [[r[header.index(c)] for c in SEEN_COLUMNS] for r in rows[1:]]
    assert picked == [[str(v) if v is not None else "" for v in row] for row in SEEN_IN_TABLES]


def test_xlsx_register_sheet_and_summary_name_the_sheets(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(multi_sheet_register(), out)
    wb = openpyxl.load_workbook(out)
    table = register_table(wb[MAIN_SHEET])
    # The sheet and row of each worker follow the printed columns, on screen only.
    assert table.header[9:11] == ["工作表", "行号"]
    assert [[r[c] for c in SEEN_COLUMNS] for r in table.rows] == SEEN_IN_TABLES

    summary = [r[:2] for r in wb[SUMMARY_SHEET].iter_rows(max_col=2, values_only=True)]
    start = summary.index(("花名册", "花名册.xlsx"))
    assert summary[start:start + 6] == [
        ("花名册", "花名册.xlsx"),
        ("读取的工作表", "电工（3 人）"),
        (None, "焊工（3 人）"),
        ("未读取的工作表", f"填表说明：{EXPLAIN}"),
        (None, f"示例：{EXAMPLE}"),
        ("抽样", "全部人员"),
    ]


def test_summary_sheet_counts_a_sheet_none_of_whose_workers_were_sampled(tmp_path: Path) -> None:
    only_welders = [f for f in multi_sheet_findings() if f.worker.sheet == "焊工"]
    out = tmp_path / "r.xlsx"
    write_xlsx(multi_sheet_register(only_welders), out)
    summary = dict(r[:2] for r in openpyxl.load_workbook(out)[SUMMARY_SHEET].iter_rows(
        max_col=2, values_only=True) if r[0])
    assert summary["读取的工作表"] == "电工（0 人）"


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_multi_sheet_register_reads_back(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"r{suffix}"
    write(multi_sheet_register(), out)
    data = read_register(out)
    assert data.info.sheets == ("电工", "焊工")
    assert data.info.sheet == "电工"
    assert data.info.skipped_sheets == (("填表说明", EXPLAIN), ("示例", EXAMPLE))
    assert data.several_sheets
    assert [(r.sheet, r.row, r.status, r.reason, r.status_text) for r in data.rows] == [
        ("电工", 3, Status.VALID, Reason.OK, "有效"),
        ("电工", 4, Status.UNCERTIFIED, Reason.REVOKED, "注销"),
        ("电工", 5, Status.UNVERIFIED, Reason.NAME_UNREADABLE, None),
        ("焊工", 3, Status.UNVERIFIED, Reason.OTHER_AUTHORITY, None),
        ("焊工", 4, Status.UNVERIFIED, Reason.TOO_RECENT, None),
        ("焊工", 5, Status.UNVERIFIED, Reason.RECORD_INCOMPLETE, None),
    ]


def test_xlsx_and_json_read_back_the_same_sheets(tmp_path: Path) -> None:
    write(multi_sheet_register(), tmp_path / "r.xlsx")
    write(multi_sheet_register(), tmp_path / "r.json")
    from_xlsx, from_json = read_register(tmp_path / "r.xlsx"), read_register(tmp_path / "r.json")
    assert from_xlsx.info == from_json.info
    assert from_xlsx.rows == from_json.rows


def test_csv_roster_register_has_no_sheets(tmp_path: Path) -> None:
    finding = Finding(Worker(row=2, name="张三", id_number=nth_id(1)), Status.UNVERIFIED,
                      Reason.LOOKUP_FAILED, (), ())
    meta = RegisterMeta(
        version="0.2.0", as_of=AS_OF, source="registry", roster_file="r.csv", sheets=(),
        enterprise=None, kind=Kind.SELF_CHECK, generated_at=CHECKED,
    )
    reg = Register(meta=meta, findings=(finding,))
    data = register_to_dict(reg)
    assert data["roster"] == {"file": "r.csv", "sheets": [], "skipped_sheets": []}
    assert data["workers"][0]["sheet"] is None
    for suffix in (".xlsx", ".json"):
        write(reg, tmp_path / f"r{suffix}")
        back = read_register(tmp_path / f"r{suffix}")
        assert back.info.sheets == () and back.rows[0].sheet is None
        assert not back.several_sheets


# --- registers written before several sheets ------------------------------------------------

OLD_JSON = """{
  "certcheck": "0.1.0",
  "as_of": "2026-11-29",
  "source": "registry",
  "roster": {"file": "old.xlsx", "sheet": "Sheet1"},
  "enterprise": "重庆某旧格式有限公司",
  "kind": "inspection",
  "sample": null,
  "generated_at": "2026-11-20T09:00:00+08:00",
  "verdict": {"compliant": false, "complete": true, "rate": 0.5, "total": 2,
              "counts": {"valid": 1, "expired": 0, "fake": 0, "uncertified": 1, "unverified": 0}},
  "workers": [
    {"row": 3, "name": "甲", "id_number": "500381198503150019", "status": "valid",
     "status_zh": "有效", "reason": "ok", "reason_zh": "有效", "warnings": [],
     "declared": {"cert_number": null, "category": null, "item": "低压电工作业"},
     "certificates": [{"姓名": "甲", "证件号码": "500381198503150019", "证号": "T1",
                       "作业类别": "电工作业", "操作项目": "低压电工作业", "初领日期": "2022-05-01",
                       "有效期开始日期": "2022-05-01", "有效期结束日期": "2026-12-31",
                       "应复审日期": "2028-05-01", "实际复审日期": null,
                       "签发机关": "重庆市应急管理局"}],
     "decisive": 0, "checked_at": "2026-11-20T09:00:00+08:00", "source": "registry",
     "cached": false, "detail": null},
    {"row": 4, "name": "乙", "id_number": "500381198503150027", "status": "uncertified",
     "status_zh": "无证", "reason": "no_certificate", "reason_zh": "未持证", "warnings": [],
     "declared": {"cert_number": null, "category": null, "item": null},
     "certificates": [], "decisive": null, "checked_at": "2026-11-20T09:00:00+08:00",
     "source": "registry", "cached": false, "detail": null}
  ],
  "input_issues": []
}
"""


def test_old_json_register_with_roster_sheet_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.register.json"
    path.write_text(OLD_JSON, "utf-8")
    data = read_register(path)
    assert data.info.roster_file == "old.xlsx"
    assert data.info.sheets == ("Sheet1",) and data.info.sheet == "Sheet1"
    assert data.info.skipped_sheets == ()
    assert [(r.sheet, r.row, r.status) for r in data.rows] == [
        (None, 3, Status.VALID), (None, 4, Status.UNCERTIFIED),
    ]
    assert not data.several_sheets


def test_old_json_register_of_a_csv_roster_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.register.json"
    path.write_text(OLD_JSON.replace('"sheet": "Sheet1"', '"sheet": null'), "utf-8")
    assert read_register(path).info.sheets == ()


def test_old_xlsx_register_reads() -> None:
    # Written by certcheck before several sheets (tests/data/make_old_registers.py).
    wb = openpyxl.load_workbook(OLD_XLSX)
    header = [c.value for c in wb[MAIN_SHEET][1]]
    # The header on the first row, as registers had it before they were printed as a form.
    assert header[:3] == ["行号", "姓名", "身份证号"]
    assert "工作表" not in header and "证书状态" not in header
    marker = dict(wb[MARKER_SHEET].iter_rows(values_only=True))
    assert marker["roster_sheet"] == "Sheet1" and "roster_sheets" not in marker

    data = read_register(OLD_XLSX)
    assert data.info.roster_file == "roster.xlsx"
    assert data.info.sheets == ("Sheet1",)
    assert data.info.enterprise == "重庆某老登记表有限公司"
    assert [(r.sheet, r.row, r.name, r.status, r.reason, r.status_text) for r in data.rows] == [
        (None, 3, "张三", Status.VALID, Reason.OK, None),
        (None, 4, "李四", Status.EXPIRED, Reason.VALIDITY_ENDED, None),
        (None, 5, "王五", Status.FAKE, Reason.NOT_FOUND, None),
    ]
    assert data.rows[0].valid_until == date(2027, 1, 10)


def run(*args: str | Path) -> Result:
    # A terminal wide enough that rich does not fold the tables' cells.
    return CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, [str(a) for a in args], catch_exceptions=False
    )


def test_summary_counts_old_and_new_registers_together(tmp_path: Path) -> None:
    old_json = tmp_path / "old.register.json"
    old_json.write_text(OLD_JSON, "utf-8")
    old_xlsx = shutil.copy(OLD_XLSX, tmp_path / "old.register.xlsx")
    new = tmp_path / "new.register.xlsx"
    write(multi_sheet_register(), new)
    result = run("summary", old_json, old_xlsx, new, "-o", "-")
    assert result.exit_code == 0, result.output
    form = json.loads(result.stdout)
    assert [(r["file"], r["workers"], r["fake"], r["expired"], r["uncertified"], r["unverified"])
            for r in form["registers"]] == [
        ("old.register.json", 2, 0, 0, 1, 0),
        ("old.register.xlsx", 3, 1, 1, 0, 0),
        ("new.register.xlsx", 6, 0, 0, 1, 4),
    ]
    assert form["开展自查（家）"] == 2
    assert form["执法检查（家）"] == 1
    assert form["假冒特种作业操作证（个）"] == 1
    assert form["无特种作业操作证上岗数（个）"] == 1  # the revoked certificate's holder
    assert form["未持证（个）"] == 1


def _due_rows(result: Result) -> list[list[str]]:
    return [line.split() for line in result.stdout.splitlines()
            if any(n in line for n in ("张三", "李四", "甲", "乙", "周八", "赵六"))]


@pytest.mark.parametrize("old", ["json", "xlsx"])
def test_due_reads_old_registers(tmp_path: Path, old: str) -> None:
    if old == "json":
        path = tmp_path / "old.register.json"
        path.write_text(OLD_JSON, "utf-8")
        expected = [["3", "甲", mask(nth_id(1)), "有效", "低压电工作业", "有效期结束",
                     "2026-12-31", "32", "即将到期"]]
    else:
        path = Path(shutil.copy(OLD_XLSX, tmp_path / "old.register.xlsx"))
        expected = [
            ["4", "李四", mask(nth_id(2)), "逾期", "低压电工作业", "复审", "2025-01-01", "-697",
             "逾期未复审"],
            ["4", "李四", mask(nth_id(2)), "逾期", "低压电工作业", "有效期结束", "2026-01-01",
             "-332", "已逾期"],
            ["3", "张三", mask(nth_id(1)), "有效", "低压电工作业", "复审", "2026-12-20", "21",
             "应复审"],
            ["3", "张三", mask(nth_id(1)), "有效", "低压电工作业", "有效期结束", "2027-01-10",
             "42", "即将到期"],
        ]
    result = run("due", path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1, result.output
    assert "工作表" not in result.stdout
    assert _due_rows(result) == expected


def mask(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


def test_due_names_the_sheet_when_the_roster_had_several(tmp_path: Path) -> None:
    path = tmp_path / "r.register.json"
    write(multi_sheet_register(), path)
    result = run("due", path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1, result.output
    header = next(line for line in result.stdout.splitlines() if "剩余天数" in line)
    assert header.split()[:2] == ["工作表", "行"]
    # 李四's certificate is cancelled (注销, 无证) and 周八's record could not be judged (未核验):
    # only 张三, the valid one, is reminded; the others are counted by their finding.
    assert _due_rows(result) == [
        ["电工", "3", "张三", mask(nth_id(1)), "有效", "低压电工作业", "复审", "2026-12-20",
         "21", "应复审"],
        ["电工", "3", "张三", mask(nth_id(1)), "有效", "低压电工作业", "有效期结束",
         "2027-01-10", "42", "即将到期"],
    ]
    assert "未列入：" in result.stdout and "无证 1 人" in result.stdout

    out = tmp_path / "due.csv"
    assert run("due", path, "--as-of", AS_OF.isoformat(), "-o", out).exit_code == 1
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    assert rows[0] == ["工作表", "行", "姓名", "身份证号", "核验结果", "作业项目", "事项", "日期",
                       "剩余天数", "状态", "单位"]
    assert [r[:3] for r in rows[1:]] == [["电工", "3", "张三"], ["电工", "3", "张三"]]

    book = tmp_path / "due.xlsx"
    assert run("due", path, "--as-of", AS_OF.isoformat(), "-o", book).exit_code == 1
    ws = openpyxl.load_workbook(book).active
    assert ws is not None
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][:3] == ["工作表", "行", "姓名"]
    assert cells[1][:3] == ["电工", 3, "张三"]
    assert cells[1][4] == "有效"
    assert cells[1][7] == datetime(2026, 12, 20) and cells[1][8] == 21


def test_due_on_a_roster_of_several_sheets_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certcheck.roster

    def dated(sheet: str, row: int, name: str, n: int, review: date) -> Worker:
        return Worker(row=row, name=name, id_number=nth_id(n), sheet=sheet,
                      declared=Declared(item="低压电工作业", valid_until=date(2029, 1, 1),
                                        review_due=review))

    roster = Roster(
        file=tmp_path / "花名册.xlsx", sheets=("电工", "焊工"),
        workers=(dated("电工", 3, "张三", 1, date(2026, 12, 20)),
                 dated("焊工", 3, "赵六", 4, date(2026, 12, 10))),
    )
    monkeypatch.setattr(certcheck.roster, "read_roster", lambda *args, **kwargs: roster)
    path = tmp_path / "花名册.xlsx"
    openpyxl.Workbook().save(path)  # no register: due reads it as a roster
    result = run("due", path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1, result.output
    assert _due_rows(result) == [
        ["焊工", "3", "赵六", mask(nth_id(4)), "未核验（花名册申报）", "低压电工作业", "复审",
         "2026-12-10", "11", "应复审"],
        ["电工", "3", "张三", mask(nth_id(1)), "未核验（花名册申报）", "低压电工作业", "复审",
         "2026-12-20", "21", "应复审"],
    ]


# --- the terminal ---------------------------------------------------------------------------


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None, force_terminal=False), buffer


def test_roster_report_names_sheets_with_their_workers_and_the_skipped_ones() -> None:
    roster = Roster(
        file=Path("花名册.xlsx"),
        sheets=("电工", "焊工"),
        workers=tuple(f.worker for f in multi_sheet_findings()[:5]),
        columns={"name": "姓名", "id_number": "身份证号"},
        skipped=(SkippedSheet("填表说明", EXPLAIN), SkippedSheet("示例", EXAMPLE)),
    )
    console, buffer = _console()
    show_roster(console, roster)
    assert buffer.getvalue().splitlines() == [
        "读取 花名册.xlsx: 5 人，2 个工作表（“电工” 3 人，“焊工” 2 人）；"
        "列: 姓名←“姓名”，身份证号←“身份证号”",
        f"未读取的工作表: “填表说明”（{EXPLAIN}）；“示例”（{EXAMPLE}）",
    ]


def test_roster_report_of_one_sheet_is_one_line() -> None:
    roster = Roster(
        file=Path("r.xlsx"), sheets=("sheet1",),
        workers=(Worker(row=2, name="甲", id_number=nth_id(1)),),
        columns={"name": "姓名", "id_number": "身份证号"},
    )
    console, buffer = _console()
    show_roster(console, roster)
    # The sheet's name is shown as it is: "[sheet1]" is not taken for a style.
    assert buffer.getvalue().splitlines() == [
        "读取 r.xlsx [sheet1]: 1 人；列: 姓名←“姓名”，身份证号←“身份证号”"
    ]


def _table_rows(text: str, names: tuple[str, ...]) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines()
            if any(n in line for n in names)]


def test_workers_to_act_on_show_the_sheet_when_there_are_several() -> None:
    console, buffer = _console()
    show_register(console, multi_sheet_register(), [])
    text = buffer.getvalue()
    header = next(line for line in text.splitlines() if "身份证号" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "工作表", "行", "姓名", "身份证号", "结果", "原因",
    ]
    assert _table_rows(text, ("李四", "王?", "赵六", "孙七", "周八")) == [
        ["电工", "4", "李四", mask(nth_id(2)), "无证", "证书已吊销或注销"],
        ["电工", "5", "王?", mask(nth_id(3)), "未核验", "姓名含乱码，无法核验"],
        ["焊工", "3", "赵六", mask(nth_id(4)), "未核验", "证书归其他部门核发，本数据源不能核验"],
        ["焊工", "4", "孙七", mask(nth_id(5)), "未核验", "新发证书，尚未能查到"],
        ["焊工", "5", "周八", mask(nth_id(6)), "未核验", "官方记录不完整，无法判定"],
    ]


def test_workers_to_act_on_of_one_sheet_show_no_sheet_column() -> None:
    console, buffer = _console()
    show_register(console, build_register(), [])
    header = next(line for line in buffer.getvalue().splitlines() if "身份证号" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "行", "姓名", "身份证号", "结果", "原因",
    ]


# --- lookup ---------------------------------------------------------------------------------

_PERSON = Worker(row=1, name="王?", id_number=nth_id(3))


@pytest.mark.parametrize(
    ("finding", "first", "verdict", "code"),
    [
        (Finding(_PERSON, Status.UNVERIFIED, Reason.NAME_UNREADABLE, (), ()),
         f"王? {mask(nth_id(3))}: 姓名含乱码，未查询 (name unreadable, not looked up)",
         "结论: 未核验 unverified — 姓名含乱码，无法核验 (name_unreadable)", 3),
        (Finding(Worker(row=1, name="赵六", id_number=nth_id(4)), Status.UNVERIFIED,
                 Reason.OTHER_AUTHORITY, (), ()),
         f"赵六 {mask(nth_id(4))}: 证书归其他部门核发，未向本数据源查询 (other authority, not looked up)",
         "结论: 未核验 unverified — 证书归其他部门核发，本数据源不能核验 (other_authority)", 3),
        (Finding(Worker(row=1, name="孙七", id_number=nth_id(5)), Status.UNVERIFIED,
                 Reason.TOO_RECENT, (), (), answer=_answer(NotFound())),
         f"孙七 {mask(nth_id(5))}: 未查询到证书 (no certificate found)",
         "结论: 未核验 unverified — 新发证书，尚未能查到 (too_recent)", 3),
        (Finding(Worker(row=1, name="吴九", id_number=nth_id(7)), Status.UNVERIFIED,
                 Reason.LOOKUP_FAILED, (), (),
                 answer=_answer(Failed(FailureKind.LOOKUP_FAILED, "timeout")), detail="timeout"),
         f"吴九 {mask(nth_id(7))}: 查询失败 (lookup failed)",
         "结论: 未核验 unverified — 查询失败 (lookup_failed)；timeout", 3),
    ],
    ids=["name_unreadable", "other_authority", "too_recent", "lookup_failed"],
)
def test_lookup_says_why_a_person_is_unverified(
    monkeypatch: pytest.MonkeyPatch, finding: Finding, first: str, verdict: str, code: int
) -> None:
    import certcheck.cli.lookup as lookup

    monkeypatch.setattr(lookup, "_lookup", lambda *args: finding)
    result = run("lookup", "--id", nth_id(3), "--name", "某人", "--as-of", AS_OF.isoformat())
    assert result.exit_code == code
    assert result.stdout.splitlines() == [first, verdict]
    as_json = json.loads(run("lookup", "--id", nth_id(3), "--name", "某人", "--as-of",
                             AS_OF.isoformat(), "--json").stdout)
    assert (as_json["status_zh"], as_json["reason"], as_json["reason_zh"]) == (
        "未核验", finding.reason.value, finding.reason.zh,
    )


def test_lookup_shows_the_official_status_and_the_revoked_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import certcheck.cli.lookup as lookup

    revoked = multi_sheet_findings()[1]
    monkeypatch.setattr(lookup, "_lookup", lambda *args: revoked)
    result = run("lookup", "--id", nth_id(2), "--name", "李四", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"李四 {mask(nth_id(2))} — 证书 1/1")
    assert ["证书状态", "注销"] in [[c.strip() for c in line.split("│")[1:3]] for line in lines]
    assert lines[-1] == "结论: 无证 uncertified — 证书已吊销或注销 (revoked)"


def test_lookup_on_a_registry_shows_its_status_column(tmp_path: Path) -> None:
    registry = tmp_path / "reg.csv"
    registry.write_text(
        "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,"
        "实际复审日期,签发机关,证书状态\n"
        f"李四,{nth_id(2)},T1,电工作业,低压电工作业,2022-05-01,2022-05-01,2028-05-01,"
        "2027-05-01,,重庆市应急管理局,注销\n",
        "utf-8",
    )
    result = run("lookup", "--id", nth_id(2), "--name", "李四", "--source", f"registry:{registry}",
                 "--as-of", AS_OF.isoformat())
    rows = [[c.strip() for c in line.split("│")[1:3]] for line in result.stdout.splitlines()]
    assert ["证书状态", "注销"] in rows
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith(
        "结论: 无证 uncertified — 证书已吊销或注销 (revoked)"
    )
    garbled = run("lookup", "--id", nth_id(2), "--name", "李?", "--source",
                  f"registry:{registry}", "--as-of", AS_OF.isoformat())
    assert garbled.exit_code == 3
    lines = garbled.stdout.splitlines()
    assert lines[0] == f"李? {mask(nth_id(2))}: 姓名含乱码，未查询 (name unreadable, not looked up)"
    assert lines[1].startswith("结论: 未核验 unverified — 姓名含乱码，无法核验 (name_unreadable)")


# --- verify on a workbook of several roster sheets ------------------------------------------


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["填表说明：每个工种一张表，身份证号填18位。"])
    for title, people in (("电工", [("张三", 1), ("李四", 2)]), ("焊工", [("赵六", 4)])):
        ws = wb.create_sheet(title)
        ws.append(["某公司特种作业人员花名册"])
        ws.append(["序号", "姓名", "身份证号", "操作项目"])
        for i, (name, n) in enumerate(people, start=1):
            ws.append([i, name, nth_id(n), "低压电工作业"])
    wb.save(path)
    return path


def test_verify_reads_every_roster_sheet_and_says_so(tmp_path: Path) -> None:
    from certcheck.roster import read_roster

    roster_path = _workbook(tmp_path / "花名册.xlsx")
    if len(read_roster(roster_path, today=AS_OF).sheets) < 2:
        pytest.skip("the roster reader reads one sheet only so far")
    registry = tmp_path / "reg.csv"
    registry.write_text(
        "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,"
        "实际复审日期,签发机关\n"
        + "".join(
            f"{name},{nth_id(n)},T{n},电工作业,低压电工作业,2022-05-01,2022-05-01,2028-05-01,"
            "2027-05-01,,重庆市应急管理局\n"
            for name, n in (("张三", 1), ("赵六", 4))
        ),
        "utf-8",
    )
    out = tmp_path / "r.json"
    result = run("verify", roster_path, "--source", f"registry:{registry}",
                 "--as-of", AS_OF.isoformat(), "-o", out, "-o", tmp_path / "r.xlsx")
    assert result.exit_code == 1, result.output
    assert "2 个工作表（“电工” 2 人，“焊工” 1 人）" in result.stdout
    assert "未读取的工作表: “填表说明”" in result.stdout
    data = json.loads(out.read_text("utf-8"))
    assert data["roster"]["file"] == "花名册.xlsx"
    assert data["roster"]["sheets"] == ["电工", "焊工"]
    assert [s["name"] for s in data["roster"]["skipped_sheets"]] == ["填表说明"]
    assert [(w["sheet"], w["row"], w["name"], w["status"]) for w in data["workers"]] == [
        ("电工", 3, "张三", "valid"), ("电工", 4, "李四", "uncertified"),
        ("焊工", 3, "赵六", "valid"),
    ]
    assert _table_rows(result.stdout, ("李四",))[0][:3] == ["电工", "4", "李四"]
    back = read_register(tmp_path / "r.xlsx")
    assert back.info.sheets == ("电工", "焊工")
    assert [(r.sheet, r.row) for r in back.rows] == [("电工", 3), ("电工", 4), ("焊工", 3)]
