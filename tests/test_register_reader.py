"""Reading registers back for ``summary`` and ``due``: round trips and foreign files."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from certcheck.models import Reason, Status, WarningCode
from certcheck.register.formats import write
from certcheck.register.model import Kind, Sample
from certcheck.register.reader import (
    RegisterData,
    RegisterFormatError,
    RegisterTally,
    read_register,
    tally_register,
)
from certcheck.register.xlsx import MAIN_SHEET
from factories import nth_id
from register_sheet import register_table
from test_register import build_register


def _written(tmp_path: Path, suffix: str, **kwargs: object) -> RegisterData:
    out = tmp_path / f"r{suffix}"
    write(build_register(**kwargs), out)  # type: ignore[arg-type]
    return read_register(out)


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    data = _written(tmp_path, suffix)
    info = data.info
    assert info.as_of == date(2026, 11, 29)
    assert info.source == "registry"
    assert info.enterprise == "重庆某建设有限公司"
    assert info.kind is Kind.INSPECTION
    assert info.roster_file == "roster.xlsx" and info.sheet == "Sheet1"
    assert info.sample == Sample(size=7, population=300, seed=7)
    assert info.version == "0.1.0"
    assert info.generated_at is not None and info.generated_at.hour == 10

    rows = data.rows
    assert [r.row for r in rows] == [3, 4, 5, 6, 7, 9, 10]
    assert [r.status for r in rows] == [
        Status.VALID, Status.EXPIRED, Status.FAKE, Status.FAKE, Status.UNCERTIFIED,
        Status.UNVERIFIED, Status.UNVERIFIED,
    ]
    assert [r.reason for r in rows] == [
        Reason.OK, Reason.VALIDITY_ENDED, Reason.NOT_FOUND, Reason.NAME_MISMATCH,
        Reason.NO_CERTIFICATE, Reason.INVALID_ID, Reason.LOOKUP_FAILED,
    ]
    first = rows[0]
    assert first.name == "张三" and first.id_number == nth_id(1)
    assert first.warnings == (WarningCode.DUE_SOON, WarningCode.DUPLICATE_ID)
    assert first.valid_until == date(2027, 1, 10) and first.review_due == date(2026, 12, 20)
    assert first.reviewed is None
    assert first.item == "低压电工作业" and first.category == "电工作业"
    assert first.cert_number == "T" + nth_id(1)
    assert first.declared_cert_number == "T" + nth_id(1)
    assert first.issuer == "重庆市应急管理局"
    assert (first.source, first.cached) == ("registry", False)
    assert (rows[1].source, rows[1].cached) == ("registry", True)
    assert rows[5].valid_until is None and rows[5].source is None
    verdict = data.verdict
    assert verdict.total == 7 and verdict.counts[Status.FAKE] == 2 and not data.ids_masked


def test_xlsx_and_json_read_back_the_same(tmp_path: Path) -> None:
    from_xlsx = _written(tmp_path, ".xlsx")
    from_json = _written(tmp_path, ".json")
    assert from_xlsx.rows == from_json.rows
    assert from_xlsx.info == from_json.info


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_masked_round_trip(tmp_path: Path, suffix: str) -> None:
    data = _written(tmp_path, suffix, mask_ids=True, sample=None)
    assert data.ids_masked and data.info.sample is None
    assert data.rows[0].id_number == nth_id(1)[:6] + "********" + nth_id(1)[-4:]


def test_json_without_decisive_uses_first_record(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    write(build_register(), out)
    raw = json.loads(out.read_text("utf-8"))
    for worker in raw["workers"]:
        del worker["decisive"]
    out.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    assert read_register(out).rows[0].item == "高压电工作业"


def test_foreign_xlsx_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "roster.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", nth_id(1)])
    wb.save(out)
    with pytest.raises(RegisterFormatError, match="not a certcheck register"):
        read_register(out)


@pytest.mark.parametrize(
    "content",
    ['{"a": 1}', "[1, 2]", "not json", '{"certcheck": "0.1", "workers": {}, "verdict": {}}', ""],
)
def test_foreign_json_is_refused(tmp_path: Path, content: str) -> None:
    out = tmp_path / "x.json"
    out.write_text(content, "utf-8")
    with pytest.raises(RegisterFormatError) as err:
        read_register(out)
    assert str(out) in str(err.value) and "\n" not in str(err.value)


def test_broken_json_register_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    write(build_register(), out)
    raw = json.loads(out.read_text("utf-8"))
    raw["workers"][0]["row"] = None
    out.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(RegisterFormatError, match="登记表中有无法识别的内容"):
        read_register(out)


@pytest.mark.parametrize("name", ["r.xlsx", "r.csv", "r.txt"])
def test_not_a_workbook_is_refused(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    out.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RegisterFormatError):
        read_register(out)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_register(tmp_path / "nope.xlsx")


def test_edited_status_is_reported_with_its_row(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write(build_register(), out)
    wb = openpyxl.load_workbook(out)
    ws = wb[MAIN_SHEET]
    table = register_table(ws)
    # The second worker, on the sheet's fifth row (under the title, the facts and the header).
    ws.cell(table.first_row + 1, table.column("核验结果")).value = "还行"
    wb.save(out)
    with pytest.raises(RegisterFormatError, match=r"第 5 行.*核验结果“还行”无法识别"):
        read_register(out)


def test_register_edited_and_saved_by_openpyxl_still_reads(tmp_path: Path) -> None:
    # A person who fixes a typo in Excel and saves should still get a summary.
    out = tmp_path / "r.xlsx"
    write(build_register(), out)
    wb = openpyxl.load_workbook(out)
    table = register_table(wb[MAIN_SHEET])
    wb[MAIN_SHEET].cell(table.first_row, table.column("姓名")).value = "张叁"
    wb.save(out)
    data = read_register(out)
    assert data.rows[0].name == "张叁" and data.rows[0].valid_until == date(2027, 1, 10)
    assert data.info.generated_at == datetime.fromisoformat("2026-11-29T10:30:05+08:00")


# --- tally_register: the counts of read_register, without the rows --------------------------


def _outcome(read: Callable[[Path], RegisterData | RegisterTally], path: Path) -> object:
    try:
        result = read(path)
    except RegisterFormatError as exc:
        return str(exc)
    return result.path, result.info, result.verdict


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_tally_counts_what_read_register_reads(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"r{suffix}"
    write(build_register(), out)
    tally = tally_register(out)
    assert not hasattr(tally, "rows")
    assert tally.verdict.total == 7 and tally.verdict.counts[Status.FAKE] == 2
    assert _outcome(tally_register, out) == _outcome(read_register, out)


_BLANK = object()


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("核验结果", 3, "还行"),
        ("核验结果", 4, " 假证 "),
        ("核验结果", 4, 3),
        ("原因", 5, "不知道"),
        ("行号", 6, "第六行"),
        ("行号", 6, 6.5),
        ("行号", 6, None),
        ("有效期至", 2, "明年"),
        ("应复审日期", 3, datetime(2027, 1, 1)),
        ("实际复审日期", 2, " 2026-01-02 "),
        ("实际复审日期", 2, 45000),
        (None, 4, _BLANK),
        # A valid worker's reason is empty; anyone else's must say why.
        ("原因", 2, "有效"),
        ("原因", 3, None),
        ("核验结果", 3, "有效"),
        # The signature lines are no workers, whatever is written on them.
        ("姓名", 10, "张三"),
        ("序号", 9, "核验人：张三"),
    ],
)
def test_tally_refuses_and_counts_edited_registers_as_read_register(
    tmp_path: Path, column: str | None, row: int, value: Any
) -> None:
    out = tmp_path / "r.xlsx"
    write(build_register(), out)
    wb = openpyxl.load_workbook(out)
    ws = wb[MAIN_SHEET]
    table = register_table(ws)
    # ``row`` counts as the first registers did, the header on row 1.
    at = table.header_row + row - 1
    if value is _BLANK:
        for cell in ws[at]:
            cell.value = None
    else:
        assert column is not None
        ws.cell(at, table.column(column)).value = value
    wb.save(out)
    assert _outcome(tally_register, out) == _outcome(read_register, out)


@pytest.mark.parametrize("edit", ["status", "row", "date"])
def test_tally_refuses_edited_json_as_read_register(tmp_path: Path, edit: str) -> None:
    out = tmp_path / "r.json"
    write(build_register(), out)
    raw = json.loads(out.read_text("utf-8"))
    worker = raw["workers"][2]
    if edit == "status":
        worker["status"] = "还行"
    elif edit == "row":
        worker["row"] = None
    else:
        worker["certificates"] = [{"有效期结束日期": "明年"}]
        worker["decisive"] = 0
    out.write_text(json.dumps(raw, ensure_ascii=False), "utf-8")
    outcome = _outcome(tally_register, out)
    assert isinstance(outcome, str) and outcome == _outcome(read_register, out)


@pytest.mark.parametrize("name", ["r.csv", "budget.xlsx"])
def test_tally_refuses_foreign_files_as_read_register(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    if name.endswith(".xlsx"):
        wb = openpyxl.Workbook()
        wb.save(out)
    else:
        out.write_text("姓名,身份证号\n", "utf-8")
    outcome = _outcome(tally_register, out)
    assert isinstance(outcome, str) and outcome == _outcome(read_register, out)
