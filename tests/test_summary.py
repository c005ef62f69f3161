"""``certcheck summary``: registers of both kinds → the 附件1 form, every figure and label."""

from __future__ import annotations

import csv
import json
import shutil
import stat
import subprocess
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import summary as _summary  # noqa: F401  (attaches the command)
from certcheck.models import Declared, Finding, Reason, Status, Worker
from certcheck.register.formats import write
from certcheck.register.model import Kind, Register, RegisterMeta, Sample
from certcheck.register.reader import RegisterTally, read_register
from certcheck.summary import Action, Measure, load_registers, summarize
from certcheck.summary.aggregate import FORM_ROWS, UNNAMED
from certcheck.summary.form import DETAIL_HEADERS, TITLE
from factories import nth_id, number, record

CST = timezone(timedelta(hours=8))
AS_OF = date(2023, 8, 25)

A = "重庆江津甲建材有限公司"
B = "重庆江津乙机械厂"
C = "重庆江津丙化工有限公司"
D = "江津丁建筑劳务有限公司"
E = "江津戊物流有限公司"

FORM_LABELS = [
    "辖区内生产经营单位（含央企子公司、分公司）数量（家）",
    "开展自查（家）",
    "未开展自查（家）",
    "假冒特种作业操作证（个）",
    "无特种作业操作证上岗数（个）",
    "执法检查（家）",
    "责令整改（家）",
    "停产整顿（家）",
    "发现假证（个）",
    "逾期证件（个）",
    "未持证（个）",
    "行政罚款（万元）",
]

#: The figures the scenario below must give, in form order.
EXPECTED = {
    "辖区内生产经营单位（含央企子公司、分公司）数量（家）": 5,  # A B C D E from the list
    "开展自查（家）": 3,  # A B C
    "未开展自查（家）": 2,  # D (inspected only), E (no register)
    "假冒特种作业操作证（个）": 2,  # A 1 + C 1
    "无特种作业操作证上岗数（个）": 3,  # A 1 + B 2
    "执法检查（家）": 2,  # C D
    "责令整改（家）": 2,  # C, D (D twice in the list)
    "停产整顿（家）": 1,  # D
    "发现假证（个）": 1,  # C
    "逾期证件（个）": 3,  # C 1 + D 2
    "未持证（个）": 1,  # D
    "行政罚款（万元）": 2.05,  # 0.5 + 1.25 + 0.3
}


# --- building registers ---------------------------------------------------------------------


def _finding(n: int, status: Status) -> Finding:
    id_number = nth_id(n)
    w = Worker(row=n + 2, name=f"工人{n}", id_number=id_number,
               declared=Declared(cert_number=number("T" + id_number), item="低压电工作业"))
    if status is Status.VALID:
        rec = record(name=w.name or "", id_number=id_number)
        return Finding(w, Status.VALID, Reason.OK, (), (rec,), decisive=rec)
    if status is Status.EXPIRED:
        rec = record(name=w.name or "", id_number=id_number, valid_until=date(2023, 1, 1),
                     review_due=date(2022, 1, 1))
        return Finding(w, Status.EXPIRED, Reason.VALIDITY_ENDED, (), (rec,), decisive=rec)
    if status is Status.FAKE:
        return Finding(w, Status.FAKE, Reason.NOT_FOUND, (), ())
    if status is Status.UNCERTIFIED:
        return Finding(w, Status.UNCERTIFIED, Reason.NO_CERTIFICATE, (), ())
    return Finding(w, Status.UNVERIFIED, Reason.LOOKUP_FAILED, (), ())


_serial = iter(range(1, 10_000))


def make_register(
    enterprise: str | None,
    kind: Kind,
    *statuses: Status,
    generated_at: datetime | None = None,
    sample: Sample | None = None,
) -> Register:
    base = next(_serial) * 20
    findings = tuple(_finding(base + i, s) for i, s in enumerate(statuses))
    meta = RegisterMeta(
        version="0.1.0", as_of=AS_OF, source="registry", roster_file="roster.xlsx",
        sheets=("Sheet1",), enterprise=enterprise, kind=kind,
        generated_at=generated_at or datetime(2023, 8, 25, 9, 0, base % 60, tzinfo=CST)
        + timedelta(minutes=base),
        sample=sample,
    )
    return Register(meta=meta, findings=findings)


V, X, F, U = Status.VALID, Status.EXPIRED, Status.FAKE, Status.UNCERTIFIED


def scenario(tmp_path: Path) -> list[Path]:
    """3 self-check enterprises, 2 inspection registers; C is in both."""
    regs = {
        "a.register.xlsx": make_register(A, Kind.SELF_CHECK, *[V] * 8, F, U),
        "b.register.json": make_register(B, Kind.SELF_CHECK, V, V, V, U, U),
        "c.register.xlsx": make_register(C, Kind.SELF_CHECK, V, V, F, X),
        "c-inspection.register.xlsx": make_register(
            C, Kind.INSPECTION, F, X, V, sample=Sample(3, 40, 7)),
        "d-inspection.register.json": make_register(
            D, Kind.INSPECTION, X, X, U, V, sample=Sample(4, 25, 1)),
    }
    paths = []
    for name, reg in regs.items():
        write(reg, tmp_path / name)
        paths.append(tmp_path / name)
    return paths


def enterprises_csv(tmp_path: Path, encoding: str = "gbk") -> Path:
    path = tmp_path / "enterprises.csv"
    # A title row, a header with stray spaces, a name typed with full-width and extra spaces,
    # and a footer: what an office's own list looks like.
    rows = [
        ["江津区某镇辖区生产经营单位名单", ""],
        ["序号", " 单位名称 "],
        ["1", A],
        ["2", "重庆江津乙机械厂\u3000"],
        ["3", " " + C],
        ["4", D],
        ["5", E],
        ["", ""],
        ["填表人：张某", ""],
    ]
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def actions_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "actions.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["单位名称", "措施", "罚款（万元）"])
    ws.append([C, "责令整改", 0.5])
    ws.append([D, "停产整顿", 1.25])
    ws.append([D, "责令整改", "0.3"])
    wb.save(path)
    return path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["summary", *(str(a) for a in args)], catch_exceptions=False)


def read_form(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


# --- the form -------------------------------------------------------------------------------


def test_labels_are_the_notice_s_in_order() -> None:
    assert list(FORM_ROWS) == FORM_LABELS
    assert TITLE == "特种作业人员持假证和无证上岗专项治理行动情况汇总表"


def test_form_workbook_every_label_merge_and_figure(tmp_path: Path) -> None:
    registers = scenario(tmp_path)
    out = tmp_path / "table.xlsx"
    result = run(*registers, "-o", out, "--enterprises", enterprises_csv(tmp_path),
                 "--actions", actions_xlsx(tmp_path), "--unit", "江津区某镇人民政府",
                 "--filler", "李某", "--phone", "023-47559676", "--date", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    wb = read_form(out)
    assert wb.sheetnames[:2] == ["汇总表", "分单位明细"]
    ws = wb["汇总表"]
    # The 附件1 label and the title as the notice sets them, then 填报单位 and 填报日期.
    assert ws["A1"].value == "附件1"
    assert ws["A2"].value == "特种作业人员持假证和无证上岗\n专项治理行动情况汇总表"
    assert ws["A3"].value == "填报单位：江津区某镇人民政府"
    assert ws["D3"].value == "填报日期：2026年12月1日"
    grid = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=17, max_col=4)]
    assert grid[0][0].replace("\n", "") == TITLE
    assert grid[1][0] == "填报单位：江津区某镇人民政府"
    assert [grid[2][0], grid[2][1], grid[2][3]] == ["类别", "项目", "汇总数据"]
    # Self-check block: 类别 in A (merged), 项目 in B (merged B:C), figure in D.
    assert grid[3][0] == "生产经营单位全面自查情况"
    assert [grid[r][1] for r in range(3, 8)] == FORM_LABELS[:5]
    # Enforcement block: 类别 in A, 生产经营单位 in B (both merged), 项目 in C.
    assert grid[8][0] == "开展专项执法检查"
    assert grid[8][1] == "生产经营单位"
    assert [grid[r][2] for r in range(8, 15)] == FORM_LABELS[5:]
    assert [grid[r][3] for r in range(3, 15)] == [EXPECTED[k] for k in FORM_LABELS]
    assert grid[15] == ["填表人", "李某", "联系电话", "023-47559676"]

    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A2:D2", "A3:C3", "B4:C4", "A5:A9", "A10:A16", "B10:B16"} <= merged
    assert {f"B{r}:C{r}" for r in range(5, 10)} <= merged
    # Prints like the official form: A4 portrait, one page wide.
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # xlsxwriter leaves out fitToWidth="1" because 1 is the default; 0 tall = as many as needed.
    assert ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws["D16"].number_format == "0.00"
    assert ws["A5"].border.left.style == "thin"

    detail = wb["分单位明细"]
    rows = [[c.value for c in row] for row in detail.iter_rows()]
    assert tuple(rows[0]) == DETAIL_HEADERS
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name[A][1:9] == ["已自查", 10, 1, 1, 0, 0, 0, 0]
    assert by_name[B][1:5] == ["已自查", 5, 0, 2]
    assert by_name[C][1:12] == ["已自查", 4, 1, 0, 3, 1, 1, 0, "责令整改", 0.5,
                                "c.register.xlsx、c-inspection.register.xlsx"]
    assert by_name[D][1:11] == ["未开展自查", 0, 0, 0, 4, 0, 2, 1, "责令整改、停产整顿", 1.55]
    assert by_name[E][1:3] == ["未开展自查", 0]
    total = rows[-1]
    assert total[0] == "合计" and total[2:9] == [19, 2, 3, 7, 1, 3, 1] and total[10] == 2.05
    # Full names as the list spells them, not as a register did (first spelling seen).
    assert list(by_name) == [A, B, C, D, E, "合计"]


def test_figures_pure(tmp_path: Path) -> None:
    registers = [read_register(p) for p in scenario(tmp_path)]
    actions = [
        Action(C, (Measure.RECTIFY,), Decimal("0.5")),
        Action(D, (Measure.SUSPEND,), Decimal("1.25")),
        Action(" " + D, (Measure.RECTIFY,), Decimal("0.3")),
    ]
    summary = summarize(registers, [A, B, C, D, E], actions)
    assert [label for label, _ in summary.rows()] == FORM_LABELS
    assert {k: float(v) for k, v in summary.figures.items()} == EXPECTED
    assert summary.not_self_checked == (D, E)
    # Inspection registers are samples, which is fine; unverified workers are warned about.
    assert not any("抽查" in w for w in summary.warnings)


def test_loaded_registers_keep_counts_and_sum_up_as_full_reads(tmp_path: Path) -> None:
    paths = scenario(tmp_path)
    loaded = load_registers(paths)
    # Thousands of registers fit in memory because only their counts are kept.
    assert all(isinstance(r, RegisterTally) for r in loaded.registers)
    actions = [Action(C, (Measure.RECTIFY,), Decimal("0.5"))]
    from_tallies = summarize(loaded.registers, [A, B, C, D, E], actions)
    from_rows = summarize([read_register(p) for p in paths], [A, B, C, D, E], actions)
    assert from_tallies == from_rows


def test_json_output(tmp_path: Path) -> None:
    registers = scenario(tmp_path)
    result = run(*registers, "--format", "json", "--enterprises",
                 enterprises_csv(tmp_path, "utf-8-sig"), "--actions", actions_xlsx(tmp_path),
                 "--unit", "江津区某镇", "--date", "2026-12-01")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["填报单位", "填报日期", *FORM_LABELS, "填表人", "联系电话",
                          "per_enterprise", "registers", "warnings", "superseded",
                          "cross_enterprise"]
    assert data["填报单位"] == "江津区某镇"
    assert data["填报日期"] == "2026-12-01"
    assert {k: data[k] for k in FORM_LABELS} == EXPECTED
    assert [e["单位名称"] for e in data["per_enterprise"]] == [A, B, C, D, E]
    assert [e["自查情况"] for e in data["per_enterprise"]][-2:] == ["未开展自查", "未开展自查"]
    assert sorted(r["file"] for r in data["registers"]) == sorted(p.name for p in registers)
    assert {r["kind"] for r in data["registers"]} == {"self-check", "inspection"}
    assert data["warnings"] == []
    assert not (tmp_path / "table.xlsx").exists()



def test_without_date_the_form_is_dated_the_day_it_is_made(tmp_path: Path) -> None:
    # The one place the real today is the expected value: it is the default being tested. The
    # day is read before and after the run, so a run across midnight passes too.
    registers = scenario(tmp_path)
    before = date.today().isoformat()
    result = run(*registers, "--format", "json")
    after = date.today().isoformat()
    assert result.exit_code == 0
    assert json.loads(result.stdout)["填报日期"] in {before, after}
    none = run(*registers, "--format", "json", "--date", "none")
    assert json.loads(none.stdout)["填报日期"] is None

def test_without_enterprises_list(tmp_path: Path) -> None:
    result = run(*scenario(tmp_path), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # Jurisdiction = every enterprise seen; 未开展自查 = seen only in inspection registers (D).
    assert data[FORM_LABELS[0]] == 4
    assert data["开展自查（家）"] == 3 and data["未开展自查（家）"] == 1
    assert data["责令整改（家）"] == 0 and data["行政罚款（万元）"] == 0


def test_terminal_table_writes_nothing(tmp_path: Path) -> None:
    registers = scenario(tmp_path)
    before = sorted(tmp_path.iterdir())
    result = run(*registers, "--unit", "江津区某镇")
    assert result.exit_code == 0
    assert sorted(tmp_path.iterdir()) == before
    out = result.stdout
    for label in ("类别", "汇总数据", "执法检查（家）", "填报单位：江津区某镇"):
        assert label in out
    assert TITLE in out.replace("\n", "").replace(" ", "")


def test_unnamed_register_is_counted_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "anon.register.json"
    write(make_register(None, Kind.SELF_CHECK, V, F), path)
    result = run(path, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["per_enterprise"][0]["单位名称"] == UNNAMED
    assert data["假冒特种作业操作证（个）"] == 1
    assert UNNAMED in result.stderr and "没有注明单位名称" in result.stderr


def test_unverified_workers_are_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "r.register.xlsx"
    write(make_register(A, Kind.SELF_CHECK, V, Status.UNVERIFIED), path)
    result = run(path, "--format", "json")
    assert result.exit_code == 0
    assert "r.register.xlsx：1 人未核验，未计入各项数字" in result.stderr


def test_unlisted_enterprise_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "r.register.xlsx"
    write(make_register("某未登记公司", Kind.SELF_CHECK, V), path)
    result = run(path, "--format", "json", "--enterprises", enterprises_csv(tmp_path))
    assert result.exit_code == 0
    assert "“某未登记公司”不在单位名单中，请核对名称" in result.stderr


# --- duplicates, foreign files, usage -------------------------------------------------------


def test_same_file_twice_and_a_copy_count_once(tmp_path: Path) -> None:
    path = tmp_path / "a.register.xlsx"
    write(make_register(A, Kind.SELF_CHECK, V, F, U), path)
    copy = tmp_path / "a-copy.xlsx"
    shutil.copy(path, copy)
    result = run(path, path, copy, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["假冒特种作业操作证（个）"] == 1 and data["开展自查（家）"] == 1
    assert len(data["registers"]) == 1
    assert "同一文件给了两次，只计一次" in result.stderr
    assert f"a-copy.xlsx：与 {path} 内容相同，是副本，只计一次" in result.stderr


def test_xlsx_and_json_of_one_run_count_once(tmp_path: Path) -> None:
    reg = make_register(A, Kind.SELF_CHECK, V, F)
    write(reg, tmp_path / "a.register.xlsx")
    write(reg, tmp_path / "a.register.json")
    result = run(tmp_path / "a.register.xlsx", tmp_path / "a.register.json", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["假冒特种作业操作证（个）"] == 1 and len(data["registers"]) == 1
    assert "a.register.json：与 a.register.xlsx 是同一次核验" in result.stderr


def _one_line_error(result: Result, name: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.output


def test_foreign_xlsx_exit_4(tmp_path: Path) -> None:
    good = tmp_path / "a.register.xlsx"
    write(make_register(A, Kind.SELF_CHECK, V), good)
    foreign = tmp_path / "budget.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["项目", "金额"])
    wb.save(foreign)
    result = run(good, foreign)
    assert result.exit_code == 4
    _one_line_error(result, "budget.xlsx")


def test_foreign_json_exit_4(tmp_path: Path) -> None:
    foreign = tmp_path / "data.json"
    foreign.write_text(json.dumps({"hello": [1, 2, 3]}), encoding="utf-8")
    result = run(foreign)
    assert result.exit_code == 4
    _one_line_error(result, "data.json")


def test_garbage_bytes_exit_4(tmp_path: Path) -> None:
    foreign = tmp_path / "broken.xlsx"
    foreign.write_bytes(b"\x00\x01not a zip at all")
    result = run(foreign)
    assert result.exit_code == 4
    _one_line_error(result, "broken.xlsx")


def test_no_registers_is_a_usage_error(tmp_path: Path) -> None:
    assert run().exit_code == 2
    assert run(str(tmp_path / "*.register.xlsx")).exit_code == 2
    assert run(tmp_path / "missing.xlsx").exit_code == 2


def test_glob_pattern_is_expanded(tmp_path: Path) -> None:
    scenario(tmp_path)
    result = run(str(tmp_path / "*.register.*"), "--format", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["registers"]) == 5


def test_bad_action_is_exit_4_naming_the_row(tmp_path: Path) -> None:
    good = tmp_path / "a.register.xlsx"
    write(make_register(A, Kind.SELF_CHECK, V), good)
    actions = tmp_path / "actions.csv"
    actions.write_text("单位名称,措施,罚款（万元）\n" + A + ",吊销执照,1\n", encoding="utf-8-sig")
    result = run(good, "--actions", actions)
    assert result.exit_code == 4
    _one_line_error(result, "actions.csv 第 2 行")


def test_fine_in_yuan_is_converted(tmp_path: Path) -> None:
    from certcheck.summary.inputs import read_actions

    actions = tmp_path / "actions.csv"
    actions.write_text(" 单位名称 ,措施,罚款(元)\n" + A + ",,25000\n" + B + ",责令整改、停产整顿,\n",
                       encoding="gb18030")
    parsed = read_actions(actions)
    assert parsed[0].fine == Decimal("2.5") and parsed[0].measures == ()
    assert parsed[1].measures == (Measure.RECTIFY, Measure.SUSPEND) and parsed[1].fine == 0


def test_output_must_not_be_a_register(tmp_path: Path) -> None:
    path = tmp_path / "a.register.xlsx"
    write(make_register(A, Kind.SELF_CHECK, V), path)
    result = run(path, "-o", path)
    assert result.exit_code == 2
    assert read_register(path).info.enterprise == A


def test_enterprises_xlsx_with_hidden_sheet(tmp_path: Path) -> None:
    from certcheck.summary.inputs import read_enterprises

    path = tmp_path / "list.xlsx"
    wb = openpyxl.Workbook()
    hidden = wb.active
    assert hidden is not None
    hidden.title = "old"
    hidden.append(["单位名称"])
    hidden.append(["旧公司"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("名单")
    ws.append(["辖区企业名单"])
    ws.append(["企业名称 "])
    ws.append([A])
    ws.append([B])
    wb.active = 1
    wb.save(path)
    assert read_enterprises(path) == [A, B]


# --- printing -------------------------------------------------------------------------------


def test_form_prints_through_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    out = tmp_path / "table.xlsx"
    assert run(*scenario(tmp_path), "-o", out, "--unit", "江津区某镇").exit_code == 0
    pdf_dir = tmp_path / "pdf"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
         "--convert-to", "pdf", "--outdir", str(pdf_dir), str(out)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = pdf_dir / "table.pdf"
    assert pdf.exists() and pdf.stat().st_size > 0
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, "-l", "1", str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "汇总数据" in text
