"""Metamorphic tests: a roster transformed the way offices transform rosters keeps every verdict,
and a roster damaged in one deciding cell moves that row to unverified and no row anywhere else.

Three base rosters, each with a registry file as the source and ``--as-of`` pinned, cover every
status and most reasons; their expected verdicts are written out below, once. Every
transformation (``office_transforms.TRANSFORMS``: reordered columns, synonym headers, notes in
names, ditto marks, split tables, other file formats …) must leave each row's (status, reason)
as written; every degradation (``office_transforms.DEGRADATIONS``: an error value, a formula
never calculated, words in a date, a deleted ID …) may only make the damaged row unverified.
Rows are found again by where the writer put them (sheet and row, left to right for tables
side by side), which is stricter than matching by ID and item: a row that moves keeps its
verdict, and a row that is lost, or a title, footer or example that becomes a worker, fails the
test. Beyond the verdict, each undamaged row's name, ID, 证号 numbers and dates must be read as
the row says them, so a column silently dropped fails even where no verdict rests on it.
Hypothesis draws combinations of one to four transformations and up to two degradations.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certcheck.check import EngineSettings
from certcheck.cli import cli
from certcheck.models import CertNumber, Worker
from certcheck.names import name_key
from certcheck.pipeline import RunSettings, run_verify
from certcheck.roster import read_roster
from certcheck.sources.registry import RegistrySource
from factories import nth_id
from office_transforms import (
    DEGRADATIONS,
    TRANSFORMS,
    Degradation,
    Doc,
    Entry,
    degrade,
    grids,
    one_table_doc,
    write_doc,
)

AS_OF = date(2026, 11, 29)
REGISTRY_HEADER = ["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
                   "有效期结束日期", "应复审日期", "实际复审日期", "签发机关", "证书状态"]
ISSUER = "重庆市应急管理局"
ELECTRIC = ("电工作业", "低压电工作业")
HIGH_VOLTAGE = ("电工作业", "高压电工作业")
WELDING = ("焊接与热切割作业", "熔化焊接与热切割作业")
HEIGHTS = ("高处作业", "登高架设作业")
COOLING = ("制冷与空调作业", "制冷与空调设备运行操作作业")
D = date.fromisoformat


def official(name: str, id_number: str, kind: tuple[str, str] = ELECTRIC, *,
             first: str = "2020-05-01", start: str = "2023-05-01", until: str = "2029-05-01",
             review: str = "2027-05-01", reviewed: str = "", status: str = "",
             number: str | None = None) -> list[str]:
    """One record of the registry (the national lookup's labels)."""
    return [name, id_number, "T" + id_number if number is None else number, *kind, first, start,
            until, review, reviewed, ISSUER, status]


@dataclass(frozen=True)
class Base:
    name: str
    doc: Doc
    records: tuple[list[str], ...]
    expected: dict[str, tuple[str, str]]

    def registry(self, folder: Path) -> Path:
        path = folder / "registry.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(REGISTRY_HEADER)
            out.writerows(self.records)
        return path


def entries(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[Entry]:
    """Entries from (tag, person, value per column …) rows; the person's number is 序号."""
    made = []
    people: list[str] = []
    for tag, person, *values in rows:
        if person not in people:
            people.append(person)
        cells = dict(zip(columns, values, strict=True))
        if "seq" in cells:
            cells["seq"] = people.index(person) + 1
        made.append(Entry(tag, person, dict(cells), cells))
    return made


# ---- base A: a company's full roster, every column, every status -----------------------------

A = {n: nth_id(n) for n in range(101, 120)}
A_X = nth_id(6)  # 50038119850315006X: an ID ending in X
A_BAD = A[110][:-1] + ("1" if A[110][-1] != "1" else "2")  # the check character is wrong
A_OTHER_NUMBER = "T" + nth_id(199)
A_COLUMNS = ("seq", "name", "id", "category", "item", "cert", "first", "until", "review")
A_ROWS = [
    # tag, person, 序号, 姓名, 身份证号, 作业类别, 操作项目, 证号, 初领日期, 有效期至, 应复审日期
    ("a01", "p01", 0, "张伟", A[101], *ELECTRIC, A[101], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a02", "p02", 0, "王芳", A[102], *WELDING, "T" + A[102], D("2014-06-30"), D("2026-06-30"), D("2023-06-30")),
    ("a03", "p03", 0, "李娜", A[103], *HIGH_VOLTAGE, "T" + A[103], D("2022-03-01"), D("2028-03-01"), D("2025-03-01")),
    ("a04", "p04", 0, "刘洋", A[104], *ELECTRIC, "T" + A[104], D("2021-04-01"), D("2027-04-01"), D("2024-04-01")),
    ("a05", "p05", 0, "陈静", A[105], *ELECTRIC, "T" + A[105], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a06", "p06", 0, "杨帆", A[106], *ELECTRIC, A_OTHER_NUMBER, D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a07", "p07", 0, "赵磊", A[107], *ELECTRIC, None, None, None, None),
    ("a08", "p08", 0, "黄敏", A[108], *WELDING, "T" + A[108], D("2021-07-01"), D("2027-07-01"), D("2024-07-01")),
    ("a09", "p09", 0, "周杰", A[109], *ELECTRIC, "T" + A[109], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a10", "p10", 0, "吴昊", A_BAD, *ELECTRIC, "T" + A_BAD, D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a11", "p11", 0, "徐丽", A[111], *ELECTRIC, "T" + A[111], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a12", "p12", 0, "孙强", A[112], "场（厂）内专用机动车辆作业", "叉车司机", None, None, None, None),
    ("a13", "p13", 0, "马超", A[113], None, "管道疏通工", "T" + A[113], None, None, None),
    ("a14", "p14", 0, "郭倩", A[114], *ELECTRIC, "T" + A[114], D("2026-11-25"), D("2032-11-25"), D("2029-11-25")),
    ("a15", "p15", 0, "罗刚", A[115], *ELECTRIC, A[115], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a16", "p15", 0, "罗刚", A[115], *WELDING, A[115], D("2020-08-01"), D("2026-08-01"), D("2023-08-01")),
    ("a17", "p16", 0, "胡斌", A[116], *WELDING, "T" + A[116], D("2016-09-01"), D("2028-09-01"), D("2025-09-01")),
    ("a18", "p17", 0, "郑洁", A[117], *HEIGHTS, A[117], D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a19", "p18", 0, "冯军", A_X, *ELECTRIC, "T" + A_X, D("2020-05-01"), D("2029-05-01"), D("2027-05-01")),
    ("a20", "p19", 0, "何平", None, *ELECTRIC, None, None, None, None),
    ("a21", "p20", 0, "钱敏", A[118], *COOLING, "T" + A[118], D("2021-01-10"), D("2027-01-10"), D("2027-01-10")),
]
A_RECORDS = (
    official("张伟", A[101]),
    official("王芳", A[102], WELDING, first="2014-06-30", start="2020-06-30", until="2026-06-30",
             review="2023-06-30", reviewed="2023-05-10"),
    official("李娜", A[103], HIGH_VOLTAGE, first="2022-03-01", start="2022-03-01",
             until="2028-03-01", review="2025-03-01"),
    official("陈晶", A[105]),
    official("杨帆", A[106]),
    official("黄敏", A[108]),
    official("周杰", A[109], status="注销"),
    official("徐丽", A[111], until=""),
    official("马超", A[113]),
    official("罗刚", A[115]),
    official("罗刚", A[115], WELDING, first="2020-08-01", start="2020-08-01", until="2026-08-01",
             review="2023-08-01", reviewed="2023-07-20"),
    official("胡斌", A[116], WELDING, first="2016-09-01", start="2022-09-01", until="2028-09-01",
             review="2025-09-01", reviewed="2025-08-15"),
    official("郑洁", A[117], HEIGHTS),
    official("冯军", A_X),
    official("钱敏", A[118], COOLING, first="2021-01-10", start="2021-01-10", until="2027-01-10",
             review="2027-01-10", reviewed="2024-01-05"),
)
A_EXPECTED = {
    "a01": ("valid", "ok"),
    "a02": ("expired", "validity_ended"),
    "a03": ("expired", "review_overdue"),
    "a04": ("fake", "not_found"),
    "a05": ("fake", "name_mismatch"),
    "a06": ("fake", "cert_number_mismatch"),
    "a07": ("uncertified", "no_certificate"),
    "a08": ("uncertified", "item_not_covered"),
    "a09": ("uncertified", "revoked"),
    "a10": ("unverified", "invalid_id"),
    "a11": ("unverified", "record_incomplete"),
    "a12": ("unverified", "other_authority"),
    "a13": ("unverified", "unknown_item"),
    "a14": ("unverified", "too_recent"),
    "a15": ("valid", "ok"),
    "a16": ("expired", "validity_ended"),
    "a17": ("valid", "ok"),
    "a18": ("valid", "ok"),
    "a19": ("valid", "ok"),
    "a20": ("unverified", "missing_field"),
    "a21": ("valid", "ok"),
}

# ---- base B: a crew's list by 工种, everyday names, one end date ---------------------------

B = {n: nth_id(n) for n in range(201, 220)}
B_X = nth_id(14)  # 50038119850315014X
B_COLUMNS = ("seq", "name", "id", "item", "cert", "until")
B_LABELS = {"item": "工种", "cert": "证书编号", "until": "有效期至"}
B_ROWS = [
    # tag, person, 序号, 姓名, 身份证号, 工种, 证书编号, 有效期至
    ("b01", "q01", 0, "周明", B[201], "电焊工", "T" + B[201], D("2029-05-01")),
    ("b02", "q02", 0, "吴刚", B[202], "低压电工", B[202], D("2029-05-01")),
    ("b03", "q03", 0, "郑伟", B[203], "架子工", "T" + B[203], D("2025-12-31")),
    ("b04", "q04", 0, "王磊", B[204], "电焊工", "T" + B[204], D("2029-01-15")),
    ("b05", "q05", 0, "冯涛", B[205], "低压电工", "T" + B[205], D("2028-03-01")),
    ("b06", "q06", 0, "陈晨", B[206], "低压电工", "T" + nth_id(299), D("2029-05-01")),
    ("b07", "q07", 0, "褚红", B[207], "电焊工", "培训中", None),
    ("b08", "q08", 0, "卫东", B[208], "高压电工", "T" + B[208], D("2029-05-01")),
    ("b09", "q09", 0, "蒋平", B[209], "低压电工", "T" + B[209], D("2027-01-01")),
    ("b10", "q10", 0, "沈阳", B[210], "建筑电工", None, D("2027-06-30")),
    ("b11", "q11", 0, "韩梅", B[211], "制冷工", B[211], D("2029-05-01")),
    ("b12", "q12", 0, "杨光", B[212], "低压电工", "T" + B[212], D("2029-05-01")),
    ("b13", "q13", 0, "朱丽", B[213], "电焊工", "T" + B[213], D("2029-05-01")),
    ("b14", "q14", 0, "秦汉", B_X, "低压电工", "T" + B_X, D("2029-05-01")),
    ("b15", "q15", 0, "尤佳", B[215], "低压电工、登高架设", "T" + B[215], D("2029-05-01")),
]
B_RECORDS = (
    official("周明", B[201], WELDING),
    official("吴刚", B[202]),
    official("郑伟", B[203], HEIGHTS, first="2019-12-31", start="2019-12-31", until="2025-12-31",
             review="2022-12-31", reviewed="2022-12-01"),
    official("王磊", B[204], WELDING, first="2023-01-15", start="2023-01-15", until="2029-01-15",
             review="2026-01-15"),
    official("陈晨", B[206]),
    official("卫东", B[208]),
    official("蒋平", B[209], first="2021-01-01", start="2021-01-01", until="2027-01-01", review=""),
    official("韩梅", B[211], COOLING),
    official("杨广", B[212]),
    official("朱丽", B[213], WELDING, status="吊销"),
    official("秦汉", B_X),
    official("尤佳", B[215]),
    official("尤佳", B[215], HEIGHTS, first="2019-03-01", start="2019-03-01", until="2025-03-01",
             review="2022-03-01", reviewed="2022-02-10"),
)
B_EXPECTED = {
    "b01": ("valid", "ok"),
    "b02": ("valid", "ok"),
    "b03": ("expired", "validity_ended"),
    "b04": ("expired", "review_overdue"),
    "b05": ("fake", "not_found"),
    "b06": ("fake", "cert_number_mismatch"),
    "b07": ("uncertified", "no_certificate"),
    "b08": ("uncertified", "item_not_covered"),
    "b09": ("unverified", "record_incomplete"),
    "b10": ("unverified", "other_authority"),
    "b11": ("valid", "ok"),
    "b12": ("fake", "name_mismatch"),
    "b13": ("uncertified", "revoked"),
    "b14": ("valid", "ok"),
    "b15": ("expired", "validity_ended"),
}

# ---- base C: the bare minimum, people over several item rows ------------------------------

C = {n: nth_id(n, born="19900101") for n in range(301, 320)}
C_COLUMNS = ("name", "id", "item", "cert")
C_LABELS = {"item": "准操项目", "cert": "操作证号"}
C_ROWS = [
    # tag, person, 姓名, 身份证号, 准操项目, 操作证号
    ("c01", "r01", "李雷", C[301], "低压电工作业", C[301]),
    ("c02", "r01", "李雷", C[301], "高压电工作业", C[301]),
    ("c03", "r02", "韩梅梅", C[302], "熔化焊接与热切割作业", "同身份证号"),
    ("c04", "r03", "林涛", C[303], "登高架设作业", "T" + C[303]),
    ("c05", "r04", "吉姆·格林", C[304], "低压电工作业", "T" + C[304]),
    ("c06", "r05", "露西", C[305], "低压电工作业", "T" + nth_id(399)),
    ("c07", "r06", "莉莉", C[306], "熔化焊接与热切割作业", None),
    ("c08", "r07", "汤姆", C[307], "低压电工作业", "T" + C[307]),
    ("c09", "r08", "王小明", C[308], "低压电工作业", "T" + C[308]),
    ("c10", "r08", "王小明", C[308], "登高架设作业", "T" + C[308]),
    ("c11", "r09", "赵大", C[309], "低压电工作业", "T" + C[309]),
    ("c12", "r10", "钱二", C[310], "低压电工作业", "遗失补办中"),
]
C_RECORDS = (
    official("李雷", C[301]),
    official("韩梅梅", C[302], WELDING),
    official("林涛", C[303], HEIGHTS, first="2018-06-01", start="2018-06-01", until="2024-06-01",
             review="2021-06-01", reviewed="2021-05-01"),
    official("吉姆格林", C[304]),
    official("露西", C[305]),
    official("王小明", C[308], first="2022-02-01", start="2022-02-01", until="2028-02-01",
             review="2025-02-01"),
    official("王小明", C[308], HEIGHTS),
    official("赵大", C[309], status="暂扣"),
    official("钱二", C[310]),
)
C_EXPECTED = {
    "c01": ("valid", "ok"),
    "c02": ("uncertified", "item_not_covered"),
    "c03": ("valid", "ok"),
    "c04": ("expired", "validity_ended"),
    "c05": ("valid", "ok"),
    "c06": ("fake", "cert_number_mismatch"),
    "c07": ("uncertified", "no_certificate"),
    "c08": ("fake", "not_found"),
    "c09": ("expired", "review_overdue"),
    "c10": ("valid", "ok"),
    "c11": ("uncertified", "revoked"),
    "c12": ("valid", "ok"),
}

BASES = {
    "A": Base("A", one_table_doc(entries(A_COLUMNS, A_ROWS), A_COLUMNS), A_RECORDS, A_EXPECTED),
    "B": Base("B", one_table_doc(entries(B_COLUMNS, B_ROWS), B_COLUMNS, B_LABELS, sheet="焊工班"),
              B_RECORDS, B_EXPECTED),
    "C": Base("C", one_table_doc(entries(C_COLUMNS, C_ROWS), C_COLUMNS, C_LABELS, sheet="Sheet1"),
              C_RECORDS, C_EXPECTED),
}


# ---- running verify ---------------------------------------------------------------------------


def verdicts(doc: Doc, base: Base, folder: Path,
             damaged: frozenset[str] = frozenset()) -> dict[str, tuple[str, str]]:
    """Every tagged row's (status, reason), from ``verify`` run in process on the written doc.

    A worker found at a row the writer put no tagged row on (a title, a footer, an example read
    as a person), or a tagged row found twice or not at all, fails here; so does a row, not
    ``damaged``, whose name, ID, 证号 or dates are read otherwise than the row says."""
    folder.mkdir(parents=True, exist_ok=True)
    path, where = write_doc(doc, folder)
    roster = read_roster(path, today=AS_OF)
    register = run_verify(roster, RegistrySource(base.registry(folder)),
                          RunSettings(as_of=AS_OF), EngineSettings())
    facts = {entry.tag: entry.facts for entry in doc.entries()}
    found: dict[str, tuple[str, str]] = {}
    misread: dict[str, tuple[Any, Any]] = {}
    # Tables side by side share row numbers: the left table's worker comes first.
    unclaimed = {key: list(tags) for key, tags in where.items()}
    for finding in register.findings:
        worker = finding.worker
        tags = unclaimed.get((worker.sheet, worker.row))
        assert tags, (
            f"{path.name}: a worker at sheet {worker.sheet!r} row {worker.row} "
            f"({worker.shown_name}) that is no roster row; rows: {sorted(where, key=str)}")
        tag = tags.pop(0)
        found[tag] = (finding.status.value, finding.reason.value)
        if tag not in damaged and understood(worker) != meant(facts[tag]):
            misread[tag] = (meant(facts[tag]), understood(worker))
    missing = sorted({t for tags in unclaimed.values() for t in tags})
    assert not missing, f"{path.name}: rows never read as workers: {missing}"
    assert not misread, f"{path.name}: rows read otherwise than they say: {misread}"
    return found


def understood(worker: Worker) -> tuple[Any, ...]:
    """What the reader made of a row's person, 证号 and dates."""
    declared = worker.declared
    cert = declared.cert_number
    return (
        name_key(worker.name) if worker.name else None,
        worker.id_number,
        cert.numbers if isinstance(cert, CertNumber) else cert,
        declared.first_issued,
        declared.valid_until,
        declared.review_due,
    )


#: 证号 texts of the bases that are no number: the ID's, or a card without a number.
WORDS_FOR_NUMBERS = {"同身份证号": "id", "培训中": None, "遗失补办中": None}


def meant(facts: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a row of a base says, as ``understood`` gives it."""
    cert = facts.get("cert")
    if cert is None:
        numbers: tuple[str, ...] | None = None
    elif cert in WORDS_FOR_NUMBERS:
        key = WORDS_FOR_NUMBERS[cert]
        numbers = (facts[key],) if key else ()
    else:
        numbers = (cert,)
    return (name_key(facts["name"]), facts["id"], numbers, facts.get("first"),
            facts.get("until"), facts.get("review"))


def differences(got: dict[str, tuple[str, str]],
                want: dict[str, tuple[str, str]]) -> dict[str, tuple[Any, Any]]:
    return {tag: (want[tag], got.get(tag)) for tag in want if got.get(tag) != want[tag]}


def apply(base: Base, names: Sequence[str], seed: int) -> Doc:
    doc = base.doc
    for step, name in enumerate(names):
        doc = TRANSFORMS[name](doc, random.Random(f"{seed}|{step}|{name}"))
    return doc


# ---- the bases themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BASES))
def test_base_roster_gets_the_verdicts_written_out(name: str, tmp_path: Path) -> None:
    """Through the command line once per base, so the in-process runs below stand for it."""
    base = BASES[name]
    path, where = write_doc(base.doc, tmp_path)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli, ["verify", str(path), "--source", f"registry:{base.registry(tmp_path)}",
              "--as-of", AS_OF.isoformat(), "-o", str(out), "--no-progress"])
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    got = {where[(w["sheet"], w["row"])][0]: (w["status"], w["reason"]) for w in data["workers"]}
    assert got == base.expected
    assert verdicts(base.doc, base, tmp_path / "again") == base.expected


def test_the_bases_cover_every_status_and_most_reasons() -> None:
    seen = {v for base in BASES.values() for v in base.expected.values()}
    assert {status for status, _ in seen} == {"valid", "expired", "fake", "uncertified",
                                              "unverified"}
    assert {reason for _, reason in seen} >= {
        "ok", "validity_ended", "review_overdue", "not_found", "name_mismatch",
        "cert_number_mismatch", "no_certificate", "item_not_covered", "revoked", "invalid_id",
        "missing_field", "other_authority", "record_incomplete", "too_recent", "unknown_item"}


# ---- each transformation alone ---------------------------------------------------------------


@pytest.mark.parametrize("base_name", sorted(BASES))
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transformation_keeps_every_verdict(transform: str, base_name: str,
                                            tmp_path: Path) -> None:
    base = BASES[base_name]
    doc = apply(base, [transform], seed=1)
    assert differences(verdicts(doc, base, tmp_path), base.expected) == {}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_every_transformation_changes_how_some_base_is_written(transform: str) -> None:
    """No transformation passes by doing nothing."""
    assert any(written(apply(base, [transform], seed=1)) != written(base.doc)
               for base in BASES.values())


def written(doc: Doc) -> tuple[Any, ...]:
    sheets = [(g.name, g.hidden, g.rows, g.merges) for g in grids(doc)]
    return doc.fmt, doc.date_style, doc.excel_text, repr(sheets)


# ---- each degradation alone ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "base_name"), [
    (name, base_name) for name in sorted(DEGRADATIONS) for base_name in sorted(BASES)
    if DEGRADATIONS[name].key in BASES[base_name].doc.tables()[0].columns])
def test_degradation_only_makes_the_damaged_row_unverified(name: str, base_name: str,
                                                           tmp_path: Path) -> None:
    base = BASES[base_name]
    degradation = DEGRADATIONS[name]
    damaged = degrade(base.doc, degradation, random.Random(name),
                      allowed=lambda e: _decided_by(degradation, base.expected[e.tag]))
    assert damaged is not None
    doc, targets = damaged
    got = verdicts(doc, base, tmp_path, targets)
    assert {t: got[t] for t in targets} == {t: ("unverified", degradation.reason) for t in targets}
    assert differences(got, {t: v for t, v in base.expected.items() if t not in targets}) == {}


@pytest.mark.parametrize("fmt", ["xlsxwriter", "xls", "ods", "html", "csv-gbk", "csv-utf8"])
@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_degradation_in_other_formats(name: str, fmt: str, tmp_path: Path) -> None:
    """The same damage to base A saved as Excel saves it (xlsxwriter: a failed VLOOKUP with its
    cached #N/A), as .xls (xlwt: error cells, formulas without a value), .ods, an HTML .xls and
    CSV (where a failed lookup shows as the text #N/A)."""
    base = BASES["A"]
    degradation = DEGRADATIONS[name]
    damaged = degrade(replace(base.doc, fmt=fmt), degradation, random.Random(name),
                      allowed=lambda e: _decided_by(degradation, base.expected[e.tag]))
    assert damaged is not None
    doc, targets = damaged
    got = verdicts(doc, base, tmp_path, targets)
    assert {t: got[t] for t in targets} == {t: ("unverified", degradation.reason) for t in targets}
    assert differences(got, {t: v for t, v in base.expected.items() if t not in targets}) == {}


def _decided_by(degradation: Degradation, verdict: tuple[str, str]) -> bool:
    return verdict[0] != "unverified" and degradation.decides(verdict)


# ---- combinations -------------------------------------------------------------------------


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base_name=st.sampled_from(sorted(BASES)),
       steps=st.lists(st.sampled_from(sorted(TRANSFORMS)), min_size=1, max_size=4),
       damage=st.lists(st.sampled_from(sorted(DEGRADATIONS)), max_size=2),
       seed=st.integers(0, 2**16))
def test_combinations_keep_verdicts_or_only_unverify(
        base_name: str, steps: list[str], damage: list[str], seed: int,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    base = BASES[base_name]
    doc = apply(base, steps, seed)
    # Each damaged row, and whether the damaged cell decides its verdict.
    targets: dict[str, bool] = {}
    for number, name in enumerate(damage):
        degradation = DEGRADATIONS[name]
        damaged = degrade(doc, degradation, random.Random(f"{seed}|d{number}"),
                          allowed=lambda e, hit=frozenset(targets): e.tag not in hit)
        if damaged is not None:
            doc, hit = damaged
            targets |= {t: _decided_by(degradation, base.expected[t]) for t in hit}
    got = verdicts(doc, base, tmp_path_factory.mktemp("combo"), frozenset(targets))
    story = f"{steps} then {damage}"
    for tag, want in base.expected.items():
        if tag not in targets:
            assert got[tag] == want, f"{story}: undamaged {tag} moved from {want} to {got[tag]}"
        elif targets[tag] or want[0] == "unverified":
            assert got[tag][0] == "unverified", f"{story}: damaged {tag} got {got[tag]}"
        else:
            # The damaged cell does not decide this verdict (an unknown item beside a name
            # that is another person's): it stays, or the row is unverified.
            assert got[tag] == want or got[tag][0] == "unverified", (
                f"{story}: damaged {tag} moved from {want} to {got[tag]}")
