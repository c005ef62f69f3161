"""``certcheck due``: who must have their review or renewal done within the next N days."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.due import Dates, Event, due_within
from certcheck.ids import mask_id
from certcheck.models import Declared, Finding, Reason, Status, Worker
from certcheck.register.formats import write
from certcheck.register.model import Register, RegisterMeta
from factories import nth_id, record
from test_register import build_register

AS_OF = date(2026, 11, 29)
#: The enterprise the registers of these tests were made for.
ENTERPRISE = "重庆某某机械制造有限公司"


def d(days: int) -> date:
    return AS_OF + timedelta(days=days)


def person(row: int, *, until: int | None = None, review: int | None = None,
           reviewed: int | None = None) -> Dates:
    return Dates(
        row=row, name=f"工人{row}", id_number=nth_id(row), item="低压电工作业",
        valid_until=None if until is None else d(until),
        review_due=None if review is None else d(review),
        reviewed=None if reviewed is None else d(reviewed),
    )


# --- the pure rule --------------------------------------------------------------------------


def test_window_boundaries_are_included() -> None:
    people = [
        person(2, until=0),  # today: in
        person(3, until=60),  # last day of the window: in
        person(4, until=61),  # a day too late: out
        person(5, until=400, review=30),  # review inside, expiry outside
        person(6, until=900, review=200),  # neither
    ]
    result = due_within(people, AS_OF, 60)
    assert [(i.row, i.event, i.days_left) for i in result.items] == [
        (2, Event.EXPIRY, 0), (5, Event.REVIEW, 30), (3, Event.EXPIRY, 60),
    ]
    assert result.items[0].state == "今日到期"
    # A review is said as one, not as an expiry.
    assert result.items[1].state == "应复审"


def test_overdue_is_listed_first_with_negative_days() -> None:
    people = [person(2, until=10), person(3, until=-5), person(4, until=500, review=-40)]
    result = due_within(people, AS_OF, 30)
    assert [(i.row, i.days_left, i.state) for i in result.items] == [
        (4, -40, "逾期未复审"), (3, -5, "已逾期"), (2, 10, "即将到期"),
    ]
    assert [i.row for i in due_within(people, AS_OF, 30, include_overdue=False).items] == [2]


def test_review_done_for_the_cycle_is_not_listed() -> None:
    people = [
        person(2, until=900, review=20, reviewed=-30),  # done within the cycle: not due
        person(3, until=900, review=20, reviewed=-400),  # last cycle's review: still due
        person(4, until=900, review=-10, reviewed=-10),  # done on the day
    ]
    result = due_within(people, AS_OF, 60)
    assert [(i.row, i.event) for i in result.items] == [(3, Event.REVIEW)]


def test_both_dates_listed_and_undated_counted() -> None:
    people = [person(2, until=50, review=5), person(3)]
    result = due_within(people, AS_OF, 60)
    assert [(i.row, i.event) for i in result.items] == [(2, Event.REVIEW), (2, Event.EXPIRY)]
    assert result.undated == 1


def test_zero_window_and_bad_window() -> None:
    assert [i.row for i in due_within([person(2, until=0), person(3, until=1)], AS_OF, 0).items] \
        == [2]
    with pytest.raises(ValueError):
        due_within([], AS_OF, -1)


# --- the command on a register --------------------------------------------------------------


def _valid(row: int, until: date, review: date, reviewed: date | None = None) -> Finding:
    id_number = nth_id(row)
    rec = record(name=f"工人{row}", id_number=id_number, valid_until=until, review_due=review,
                 reviewed=reviewed)
    w = Worker(row=row, name=f"工人{row}", id_number=id_number,
               declared=Declared(item="低压电工作业"))
    return Finding(w, Status.VALID, Reason.OK, (), (rec,), decisive=rec)


def register_file(tmp_path: Path, findings: list[Finding], suffix: str = ".xlsx",
                  mask: bool = False, enterprise: str | None = ENTERPRISE) -> Path:
    base = build_register()
    meta = dataclasses.replace(base.meta, enterprise=enterprise)
    reg = Register(meta=meta, findings=tuple(findings), mask_ids=mask)
    assert isinstance(reg.meta, RegisterMeta)
    path = tmp_path / f"r.register{suffix}"
    write(reg, path)
    return path


def scenario(tmp_path: Path, suffix: str = ".xlsx", mask: bool = False) -> Path:
    return register_file(tmp_path, [
        _valid(3, d(45), d(900)),  # expiry in 45 days
        _valid(4, d(1000), d(10)),  # review in 10 days
        _valid(5, d(1000), d(10), reviewed=d(-20)),  # reviewed: nothing due
        _valid(6, d(800), d(300)),  # nothing within 60 days
        _valid(7, d(-3), d(-400), reviewed=d(-500)),  # expired 3 days ago
    ], suffix, mask)


def run(*args: str | Path) -> Result:
    # A terminal wide enough that rich does not fold the table's cells.
    return CliRunner(env={"COLUMNS": "160"}).invoke(
        cli, ["due", *(str(a) for a in args)], catch_exceptions=False
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_terminal_list_masks_ids(tmp_path: Path, suffix: str) -> None:
    result = run(scenario(tmp_path, suffix), "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1
    out = result.stdout
    rows = [line for line in out.splitlines() if "工人" in line]
    assert [next(n for n in ("工人7", "工人4", "工人3") if n in line) for line in rows] == [
        "工人7", "工人4", "工人3",
    ]
    assert "工人5" not in out and "工人6" not in out
    assert "已逾期" in out and "-3" in out
    assert mask_id(nth_id(3)) in out and nth_id(3) not in out
    shown = run(scenario(tmp_path, suffix), "--as-of", AS_OF.isoformat(), "--show-id")
    assert nth_id(3) in shown.stdout


def test_nothing_due_exits_0(tmp_path: Path) -> None:
    path = register_file(tmp_path, [_valid(3, d(500), d(200))])
    result = run(path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0
    assert "无复审或到期" in result.stdout


def test_csv_output(tmp_path: Path) -> None:
    out = tmp_path / "due.csv"
    result = run(scenario(tmp_path), "--as-of", AS_OF.isoformat(), "-o", out)
    assert result.exit_code == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["行", "姓名", "身份证号", "核验结果", "作业项目", "事项", "日期", "剩余天数",
                       "状态", "单位"]
    assert rows[1:] == [
        ["7", "工人7", nth_id(7), "有效", "低压电工作业", "有效期结束", d(-3).isoformat(), "-3",
         "已逾期", ENTERPRISE],
        ["4", "工人4", nth_id(4), "有效", "低压电工作业", "复审", d(10).isoformat(), "10",
         "应复审", ENTERPRISE],
        ["3", "工人3", nth_id(3), "有效", "低压电工作业", "有效期结束", d(45).isoformat(), "45",
         "即将到期", ENTERPRISE],
    ]
    assert out.stat().st_mode & 0o777 == 0o600


def test_xlsx_output_keeps_masked_ids_and_text(tmp_path: Path) -> None:
    out = tmp_path / "due.xlsx"
    result = run(scenario(tmp_path, mask=True), "--as-of", AS_OF.isoformat(), "-o", out)
    assert result.exit_code == 1
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:8] == ["行", "姓名", "身份证号", "核验结果", "作业项目", "事项", "日期",
                           "剩余天数"]
    assert [r[0] for r in rows[1:]] == [7, 4, 3]
    assert rows[1][2] == mask_id(nth_id(7))
    assert rows[1][6] == datetime(d(-3).year, d(-3).month, d(-3).day) and rows[1][7] == -3
    assert ws.cell(2, 3).data_type == "s"


def test_csv_neutralises_formula_text(tmp_path: Path) -> None:
    finding = _valid(3, d(5), d(900))
    evil = Worker(row=3, name="=HYPERLINK(\"http://x\",\"y\")", id_number=nth_id(3),
                  declared=Declared(item="+1+1"))
    rec = record(name=evil.name or "", id_number=nth_id(3), valid_until=d(5),
                 review_due=d(900), item="-2+3")
    finding = Finding(evil, Status.VALID, Reason.OK, (), (rec,), decisive=rec)
    out = tmp_path / "due.csv"
    run(register_file(tmp_path, [finding]), "--as-of", AS_OF.isoformat(), "-o", out)
    row = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))[1]
    assert row[1].startswith("'=") and row[4] == "'-2+3"
    xlsx = tmp_path / "due.xlsx"
    run(register_file(tmp_path, [finding]), "--as-of", AS_OF.isoformat(), "-o", xlsx)
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    assert ws.cell(2, 2).value == evil.name and ws.cell(2, 2).data_type == "s"


def test_bad_output_extension_and_foreign_file(tmp_path: Path) -> None:
    assert run(scenario(tmp_path), "-o", tmp_path / "due.pdf").exit_code == 2
    junk = tmp_path / "photo.xlsx"
    junk.write_bytes(b"\x89PNG\r\n\x1a\nnot a workbook")
    result = run(junk)
    assert result.exit_code == 4
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # Named for what it is, not "neither a register nor a roster".
    assert lines == ["certcheck: photo.xlsx 是图片（PNG），不是表格。无法识别图片中的表格；"
                     "请提供花名册的 Excel/WPS 文件（.xlsx）（this is an image (PNG), not a spreadsheet）"]


# --- the command on a roster ----------------------------------------------------------------


def test_roster_declared_dates(tmp_path: Path) -> None:
    pytest.importorskip("certcheck.roster.reader")
    path = tmp_path / "花名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["某公司特种作业人员花名册"])
    ws.append(["序号", "姓名", "身份证号", "作业类别", "操作项目", "有效期结束日期", "应复审日期",
               "实际复审日期"])
    ws.append([1, "张三", nth_id(1), "电工作业", "低压电工作业", d(20).isoformat(),
               d(500).isoformat(), None])
    ws.append([2, "李四", nth_id(2), "焊接与热切割作业", "熔化焊接与热切割作业",
               d(900).isoformat(), d(-2).isoformat(), None])
    ws.append([3, "王五", nth_id(3), "电工作业", "高压电工作业", d(900).isoformat(),
               d(15).isoformat(), d(-100).isoformat()])
    wb.save(path)
    out = tmp_path / "due.csv"
    result = run(path, "--as-of", AS_OF.isoformat(), "-o", out)
    assert result.exit_code == 1, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))[1:]
    assert [(r[1], r[3], r[5], r[7]) for r in rows] == [
        ("李四", "未核验（花名册申报）", "复审", "-2"),
        ("张三", "未核验（花名册申报）", "有效期结束", "20"),
    ]
    assert [r[0] for r in rows] == ["4", "3"]


# --- only a worker's own certificate --------------------------------------------------------


def _finding(row: int, status: Status, reason: Reason, *, official_name: str | None = None,
             until: int = 20, review: int = 900) -> Finding:
    id_number = nth_id(row)
    name = f"工人{row}"
    rec = record(name=official_name or name, id_number=id_number, valid_until=d(until),
                 review_due=d(review), item="低压电工作业")
    w = Worker(row=row, name=name, id_number=id_number, declared=Declared(item="低压电工作业"))
    return Finding(w, status, reason, (), (rec,), decisive=rec)


def test_only_valid_and_expired_workers_are_listed_the_others_counted(tmp_path: Path) -> None:
    path = register_file(tmp_path, [
        _finding(3, Status.VALID, Reason.OK, until=20),
        _finding(4, Status.EXPIRED, Reason.VALIDITY_ENDED, until=-10),
        # Used someone else's ID: the record is that person's, not this worker's.
        _finding(5, Status.FAKE, Reason.NAME_MISMATCH, official_name="别人", until=5),
        # Holds a certificate, but not for the work: its dates are no reminder for the work.
        _finding(6, Status.UNCERTIFIED, Reason.ITEM_NOT_COVERED, until=8),
        _finding(7, Status.UNCERTIFIED, Reason.REVOKED, until=9),
        _finding(8, Status.UNVERIFIED, Reason.RECORD_INCOMPLETE, until=11),
    ])
    result = run(path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1
    rows = [line.split() for line in result.stdout.splitlines() if "工人" in line]
    assert [(r[1], r[3], r[5], r[7]) for r in rows] == [
        ("工人4", "逾期", "有效期结束", "-10"),
        ("工人3", "有效", "有效期结束", "20"),
    ]
    assert "核验结果" in result.stdout
    assert "未列入：假证 1 人、无证 2 人、未核验 1 人。" in result.stdout

    out = tmp_path / "due.csv"
    run(path, "--within", "60", "--as-of", AS_OF.isoformat(), "-o", out)
    listed = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))[1:]
    assert [(r[1], r[3]) for r in listed] == [("工人4", "逾期"), ("工人3", "有效")]


def test_nobody_listed_when_only_fakes_have_dates(tmp_path: Path) -> None:
    path = register_file(tmp_path, [
        _finding(5, Status.FAKE, Reason.NAME_MISMATCH, official_name="别人", until=5),
    ])
    result = run(path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0
    assert "无复审或到期" in result.stdout and "未列入：假证 1 人。" in result.stdout



# --- whose workers, and what is due -----------------------------------------------------------


def test_the_list_names_the_enterprise_and_says_a_review_is_due(tmp_path: Path) -> None:
    result = run(scenario(tmp_path), "--within", "60", "--as-of", AS_OF.isoformat())
    lines = result.stdout.splitlines()
    assert lines[0] == f"单位：{ENTERPRISE}"
    review = next(line for line in lines if "工人4" in line)
    expiry = next(line for line in lines if "工人3" in line)
    # A review is no expiry: 应复审, and 即将到期 only for the end of validity.
    assert review.split()[-2:] == ["10", "应复审"] and "即将到期" not in review
    assert expiry.split()[-2:] == ["45", "即将到期"]


def test_an_overdue_review_is_said_as_one(tmp_path: Path) -> None:
    path = register_file(tmp_path, [_valid(3, d(900), d(-7)), _valid(4, d(0), d(900))])
    result = run(path, "--within", "60", "--as-of", AS_OF.isoformat())
    rows = {line.split()[1]: line.split()[-2:] for line in result.stdout.splitlines()
            if "工人" in line}
    assert rows == {"工人3": ["-7", "逾期未复审"], "工人4": ["0", "今日到期"]}


def test_a_register_without_an_enterprise_says_so(tmp_path: Path) -> None:
    path = register_file(tmp_path, [_valid(3, d(45), d(900))], enterprise=None)
    result = run(path, "--within", "60", "--as-of", AS_OF.isoformat())
    assert result.stdout.splitlines()[0] == "单位：未注明（登记表中没有单位名称）"
    out = tmp_path / "due.csv"
    run(path, "--within", "60", "--as-of", AS_OF.isoformat(), "-o", out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][-1] == "单位" and rows[1][-1] == ""


def test_the_workbook_names_the_enterprise_in_a_column_and_the_footer(tmp_path: Path) -> None:
    out = tmp_path / "due.xlsx"
    run(scenario(tmp_path), "--as-of", AS_OF.isoformat(), "-o", out)
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][-2:] == ["状态", "单位"]
    assert [r[-2:] for r in rows[1:]] == [
        ["已逾期", ENTERPRISE], ["应复审", ENTERPRISE], ["即将到期", ENTERPRISE],
    ]
    assert f"单位：{ENTERPRISE}" in ws.oddFooter.right.text


def test_a_roster_s_enterprise_comes_from_its_title(tmp_path: Path) -> None:
    pytest.importorskip("certcheck.roster.reader")
    path = tmp_path / "花名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["重庆某某建材有限公司特种作业人员花名册"])
    ws.append(["序号", "姓名", "身份证号", "操作项目", "有效期结束日期", "应复审日期"])
    ws.append([1, "张三", nth_id(1), "低压电工作业", d(20).isoformat(), d(500).isoformat()])
    wb.save(path)
    result = run(path, "--as-of", AS_OF.isoformat())
    assert result.stdout.splitlines()[0] == "单位：重庆某某建材有限公司"
    out = tmp_path / "due.csv"
    run(path, "--as-of", AS_OF.isoformat(), "-o", out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][-1] == "重庆某某建材有限公司"
