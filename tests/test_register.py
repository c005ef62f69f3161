"""The JSON and CSV registers, the masking shared by all writers, and the format factory.

``build_register`` is imported by the other test_register_* modules.
"""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certcheck.models import (
    RECORD_FIELDS,
    Answer,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Finding,
    Found,
    IdProblem,
    InputIssue,
    NotFound,
    Reason,
    Status,
    WarningCode,
    Worker,
)
from certcheck.register.csv_ import FORMULA_TRIGGERS, neutralise, write_csv
from certcheck.register.formats import (
    OutputFormat,
    UnsupportedFormat,
    _writers,
    write,
)
from certcheck.register.json_ import dumps, register_to_dict, write_json
from certcheck.register.model import Kind, Register, RegisterMeta, Sample
from certcheck.register.view import HEADERS
from factories import make_id, nth_id, number, record

AS_OF = date(2026, 11, 29)
CST = timezone(timedelta(hours=8))
CHECKED = datetime(2026, 11, 29, 10, 0, 0, tzinfo=CST)
SAMPLE = Sample(size=7, population=300, seed=7)

#: Roster texts that a spreadsheet would evaluate if they were written carelessly.
PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1+1",
    "=cmd|' /C calc'!A0",
)


def _answer(outcome: Found | NotFound | Failed, cached: bool = False) -> Answer:
    return Answer(outcome=outcome, source="registry", checked_at=CHECKED, cached=cached)


def _finding(
    worker: Worker,
    status: Status,
    reason: Reason,
    certs: tuple[CertRecord, ...] = (),
    *,
    answer: Answer | None = None,
    warnings: tuple[WarningCode, ...] = (),
    decisive: CertRecord | None = None,
    detail: str | None = None,
) -> Finding:
    return Finding(
        worker=worker,
        status=status,
        reason=reason,
        warnings=warnings,
        certificates=certs,
        decisive=decisive,
        answer=answer,
        detail=detail,
    )


def build_findings() -> list[Finding]:
    """One worker per status (several reasons for some), in roster order."""
    id_valid = nth_id(1)
    id_x = make_id("11010519491231002")  # check character happens to be X
    assert id_x.endswith("X")
    valid_rec = record(name="张三", id_number=id_valid, valid_until=date(2027, 1, 10),
                       review_due=date(2026, 12, 20))
    other_rec = record(name="张三", id_number=id_valid, item="高压电工作业",
                       cert_number="T" + id_valid + "-2")
    expired_rec = record(name="李四", id_number=id_x, valid_until=date(2026, 1, 1),
                         review_due=date(2025, 1, 1))
    mismatch_rec = record(name="王二", id_number=nth_id(4))
    return [
        _finding(
            Worker(row=3, name="张三", id_number=id_valid,
                   declared=Declared(cert_number=number("T" + id_valid), category="电工作业",
                                     item="低压电工作业")),
            Status.VALID, Reason.OK, (other_rec, valid_rec), answer=_answer(Found((valid_rec,))),
            warnings=(WarningCode.DUE_SOON, WarningCode.DUPLICATE_ID), decisive=valid_rec,
        ),
        _finding(
            Worker(row=4, name="李四", id_number=id_x,
                   declared=Declared(item="低压电工作业")),
            Status.EXPIRED, Reason.VALIDITY_ENDED, (expired_rec,),
            answer=_answer(Found((expired_rec,)), cached=True), decisive=expired_rec,
        ),
        _finding(
            Worker(row=5, name="王五", id_number=nth_id(3),
                   declared=Declared(cert_number=number("T" + nth_id(3)))),
            Status.FAKE, Reason.NOT_FOUND, answer=_answer(NotFound()),
        ),
        _finding(
            Worker(row=6, name="赵六", id_number=nth_id(4),
                   declared=Declared(cert_number=number("T" + nth_id(4)))),
            Status.FAKE, Reason.NAME_MISMATCH, (mismatch_rec,),
            answer=_answer(Found((mismatch_rec,))),
        ),
        _finding(
            Worker(row=7, name="孙七", id_number=nth_id(5)),
            Status.UNCERTIFIED, Reason.NO_CERTIFICATE, answer=_answer(NotFound()),
        ),
        _finding(
            Worker(row=9, name="周八", id_number="50038119900101123",
                   id_problem=IdProblem.INVALID),
            Status.UNVERIFIED, Reason.INVALID_ID,
        ),
        _finding(
            Worker(row=10, name="吴九", id_number=nth_id(7)),
            Status.UNVERIFIED, Reason.LOOKUP_FAILED,
            answer=_answer(Failed(FailureKind.LOOKUP_FAILED, "timeout")),
            detail=f"timeout while looking up {nth_id(7)}",
        ),
    ]


def build_register(
    findings: list[Finding] | None = None,
    *,
    mask_ids: bool = False,
    sample: Sample | None = SAMPLE,
    issues: tuple[InputIssue, ...] | None = None,
) -> Register:
    meta = RegisterMeta(
        version="0.1.0",
        as_of=AS_OF,
        source="registry",
        roster_file="roster.xlsx",
        sheets=("Sheet1",),
        enterprise="重庆某建设有限公司",
        kind=Kind.INSPECTION,
        generated_at=datetime(2026, 11, 29, 10, 30, 5, tzinfo=CST),
        sample=sample,
    )
    if issues is None:
        issues = (
            InputIssue(row=8, code="blank_row", message="空行已跳过"),
            InputIssue(row=9, code="invalid_id", message="身份证号 50038119900101123 无效"),
            InputIssue(row=None, code="merged_header", message="two-row header merged"),
        )
    return Register(
        meta=meta,
        findings=tuple(findings if findings is not None else build_findings()),
        input_issues=issues,
        mask_ids=mask_ids,
    )


def payload_register() -> Register:
    """Workers whose names and items are formula-injection payloads."""
    findings = [
        _finding(
            Worker(row=i + 2, name=p, id_number=nth_id(100 + i),
                   declared=Declared(cert_number=number(p), category=p, item=p)),
            Status.UNCERTIFIED, Reason.NO_CERTIFICATE, answer=_answer(NotFound()), detail=p,
        )
        for i, p in enumerate(PAYLOADS)
    ]
    return build_register(findings, issues=(InputIssue(row=2, code="x", message=PAYLOADS[0]),))


def all_ids(reg: Register) -> set[str]:
    ids = {f.worker.id_number for f in reg.findings if f.worker.id_number}
    ids |= {c.id_number for f in reg.findings for c in f.certificates}
    return ids


# --- JSON ---------------------------------------------------------------------------------

TOP_KEYS = {
    "certcheck", "as_of", "source", "roster", "enterprise", "kind", "verdict", "workers",
    "input_issues",
    # documented extras
    "sample", "generated_at", "scope",
}
WORKER_KEYS = {
    "sheet", "row", "name", "id_number", "status", "reason", "warnings", "declared", "certificates",
    "checked_at",
    # documented extras
    "status_zh", "reason_zh", "source", "cached", "detail", "decisive",
}


def test_json_has_exactly_the_spec_keys() -> None:
    data = register_to_dict(build_register())
    assert set(data) == TOP_KEYS
    assert set(data["roster"]) == {"file", "sheets", "skipped_sheets"}
    assert set(data["verdict"]) == {"compliant", "complete", "rate", "total", "counts",
                                    "out_of_scope"}
    assert set(data["verdict"]["counts"]) == {
        "valid", "expired", "fake", "uncertified", "unverified"
    }
    assert set(data["sample"]) == {"size", "population", "seed"}
    for worker in data["workers"]:
        assert set(worker) == WORKER_KEYS
        assert list(worker)[:2] == ["sheet", "row"]  # as SPEC.md shows a worker
        assert set(worker["declared"]) == {"cert_number", "category", "item"}
        for cert in worker["certificates"]:
            assert list(cert) == [label for label, _ in RECORD_FIELDS]
    for issue in data["input_issues"]:
        assert set(issue) == {"row", "code", "message"}
    # Spec order first, so a person reading the file sees it as documented.
    assert list(data)[:6] == ["certcheck", "as_of", "source", "roster", "enterprise", "kind"]


def test_json_values() -> None:
    reg = build_register()
    data = register_to_dict(reg)
    assert data["as_of"] == "2026-11-29"
    assert data["kind"] == "inspection"
    assert data["roster"] == {"file": "roster.xlsx", "sheets": ["Sheet1"], "skipped_sheets": []}
    assert data["sample"] == {"size": 7, "population": 300, "seed": 7}
    assert data["generated_at"] == "2026-11-29T10:30:05+08:00"
    verdict = data["verdict"]
    assert verdict == {
        "compliant": False,
        "complete": False,
        "rate": 0.1429,  # 1/7 rounded to 4 decimals
        "total": 7,
        "counts": {"valid": 1, "expired": 1, "fake": 2, "uncertified": 1, "unverified": 2},
        "out_of_scope": 0,
    }
    assert data["scope"] == "all"
    workers = data["workers"]
    assert [w["row"] for w in workers] == [3, 4, 5, 6, 7, 9, 10]
    # The workers name no sheet; the roster's one sheet is theirs.
    assert {w["sheet"] for w in workers} == {"Sheet1"}
    first = workers[0]
    assert first["status"] == "valid" and first["status_zh"] == "有效"
    assert first["warnings"] == ["due_soon", "duplicate_id"]
    assert first["checked_at"] == "2026-11-29T10:00:00+08:00"
    assert first["decisive"] == 1  # the record the decision rested on, not the first one
    assert first["certificates"][1]["有效期结束日期"] == "2027-01-10"
    assert first["source"] == "registry" and first["cached"] is False
    assert workers[1]["cached"] is True
    unlooked = workers[5]
    assert unlooked["checked_at"] is None and unlooked["source"] is None
    assert unlooked["certificates"] == [] and unlooked["decisive"] is None
    assert unlooked["reason"] == "invalid_id" and unlooked["reason_zh"] == "身份证号无效"
    assert data["input_issues"][2] == {"row": None, "code": "merged_header",
                                      "message": "two-row header merged"}


def test_json_without_sample_or_enterprise() -> None:
    reg = build_register(sample=None)
    data = register_to_dict(reg)
    assert data["sample"] is None


def test_dumps_is_readable_chinese_and_file_matches(tmp_path: Path) -> None:
    reg = build_register()
    text = dumps(reg)
    assert "张三" in text and "\\u" not in text
    out = tmp_path / "r.json"
    write_json(reg, out)
    assert out.read_text("utf-8") == text + "\n"
    assert json.loads(out.read_text("utf-8")) == register_to_dict(reg)


def test_empty_register() -> None:
    data = register_to_dict(build_register([], issues=()))
    assert data["workers"] == [] and data["verdict"]["total"] == 0
    assert data["verdict"]["rate"] == 0.0 and data["verdict"]["compliant"] is False


# --- masking, in every format ---------------------------------------------------------------


def _file_texts(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [path.read_bytes().decode("utf-8")]


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_mask_ids_leaves_no_full_id_in_any_output(tmp_path: Path, fmt: OutputFormat) -> None:
    reg = build_register(mask_ids=True)
    out = tmp_path / f"r{fmt.suffix}"
    write(reg, out)
    texts = _file_texts(out)
    ids = all_ids(reg)
    assert len(ids) >= 7
    for text in texts:
        for id_number in ids:
            assert id_number not in text, f"{id_number} in {fmt}"
    joined = "".join(texts)
    assert nth_id(1)[:6] + "********" + nth_id(1)[-4:] in joined
    assert "T" + nth_id(1)[:6] + "********" + nth_id(1)[-4:] in joined  # cert number masked


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_unmasked_outputs_hold_the_ids(tmp_path: Path, fmt: OutputFormat) -> None:
    reg = build_register()
    out = tmp_path / f"r{fmt.suffix}"
    write(reg, out)
    joined = "".join(_file_texts(out))
    assert nth_id(1) in joined and "*" * 8 not in joined


def test_masked_json_details() -> None:
    data = register_to_dict(build_register(mask_ids=True))
    workers = data["workers"]
    masked = nth_id(1)[:6] + "********" + nth_id(1)[-4:]
    assert workers[0]["id_number"] == masked
    assert workers[0]["declared"]["cert_number"] == "T" + masked
    assert workers[0]["certificates"][0]["证件号码"] == masked
    assert workers[0]["certificates"][0]["证号"] == "T" + masked + "-2"
    assert workers[0]["name"] == "张三"  # names are not masked, only IDs
    # An invalid 17-digit ID is still masked, as is an ID quoted in a message.
    assert workers[5]["id_number"] == "500381*******1123"
    assert nth_id(7) not in workers[6]["detail"]
    assert "50038119900101123" not in data["input_issues"][1]["message"]


# --- CSV ----------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def test_csv_has_bom_headers_and_one_row_per_worker(tmp_path: Path) -> None:
    reg = build_register()
    out = tmp_path / "r.csv"
    write_csv(reg, out)
    rows = _read_csv(out)
    assert rows[0] == list(HEADERS)
    assert rows[0][:5] == ["工作表", "行号", "姓名", "身份证号", "核验结果"]
    body = rows[1:]
    assert [r[1] for r in body] == ["3", "4", "5", "6", "7", "9", "10"]
    assert {r[0] for r in body} == {"Sheet1"}
    first = dict(zip(HEADERS, body[0], strict=True))
    assert first["身份证号"] == nth_id(1)
    assert first["核验结果"] == "有效"
    assert first["提示"] == "即将到期或需复审；身份证号重复"
    assert first["有效期结束日期"] == "2027-01-10"
    assert first["核验时间"] == "2026-11-29T10:00:00+08:00"
    assert first["官方操作项目"] == "低压电工作业"  # the decisive record, not the first
    assert first["原因"] == ""  # a valid worker needs no reason
    assert first["数据来源"] == "本地登记文件（registry）"
    assert dict(zip(HEADERS, body[1], strict=True))["数据来源"] == "本地登记文件（registry）（缓存）"
    assert [dict(zip(HEADERS, r, strict=True))["核验结果"] for r in body] == [
        "有效", "逾期", "假证", "假证", "无证", "未核验", "未核验"
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_csv_neutralises_formula_payloads(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    write_csv(payload_register(), out)
    rows = _read_csv(out)[1:]
    assert len(rows) == len(PAYLOADS)
    for payload, row in zip(PAYLOADS, rows, strict=True):
        cells = dict(zip(HEADERS, row, strict=True))
        for column in ("姓名", "申报证号", "申报作业类别", "申报操作项目", "说明"):
            assert cells[column] == "'" + payload
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in FORMULA_TRIGGERS


@given(st.text())
def test_neutralise_never_leaves_a_trigger_first(text: str) -> None:
    out = neutralise(text)
    assert not out or out[0] not in FORMULA_TRIGGERS
    assert out in (text, "'" + text)


def test_neutralise_leaves_ordinary_text() -> None:
    assert neutralise("张三") == "张三"
    assert neutralise("T500381") == "T500381"
    assert neutralise("") == ""
    assert neutralise("a=1") == "a=1"


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.xlsx", OutputFormat.XLSX),
        ("A.XLSX", OutputFormat.XLSX),
        ("dir.v2/a.csv", OutputFormat.CSV),
        ("a.Json", OutputFormat.JSON),
        ("-", OutputFormat.JSON),
    ],
)
def test_format_from_path(name: str, fmt: OutputFormat) -> None:
    assert OutputFormat.from_path(name) is fmt
    assert OutputFormat.from_path(Path(name)) is fmt


@pytest.mark.parametrize("name", ["a.xls", "a.txt", "register", "a.xlsx.bak"])
def test_unknown_extension_lists_supported(name: str) -> None:
    with pytest.raises(UnsupportedFormat) as err:
        OutputFormat.from_path(name)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert all(fmt.suffix in message for fmt in OutputFormat) and "\n" not in message


def test_every_format_has_a_writer_that_writes(tmp_path: Path) -> None:
    assert set(_writers()) == set(OutputFormat)
    reg = build_register()
    for fmt in OutputFormat:
        assert OutputFormat.from_path(f"x{fmt.suffix}") is fmt
        out = tmp_path / f"r{fmt.suffix}"
        write(reg, out, fmt)
        assert out.stat().st_size > 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_write_dash_prints_json() -> None:
    buf = io.StringIO()
    reg = build_register()
    write(reg, "-", stdout=buf)
    assert json.loads(buf.getvalue()) == register_to_dict(reg)


def test_writing_replaces_an_existing_register(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o644)
    write(build_register(), out)
    assert json.loads(out.read_text("utf-8"))["certcheck"] == "0.1.0"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


@given(
    prefix=st.text(max_size=5),
    suffix=st.text(max_size=5),
    digits=st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True),
)
def test_masker_hides_an_id_wherever_it_is_quoted(prefix: str, suffix: str, digits: str) -> None:
    from certcheck.register.view import Masker

    masked = Masker(True).text(prefix + digits + suffix, digits)
    assert masked is not None and digits not in masked
    assert Masker(False).text(prefix + digits + suffix, digits) == prefix + digits + suffix
