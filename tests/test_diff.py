"""``certcheck diff OLD NEW``: what changed between two registers of one enterprise.

The registers are written by ``certcheck verify`` over small rosters and registry files with
pinned as-of dates, as a safety officer's two checks would be.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import diff as _diff  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.ids import mask_id
from factories import make_id, nth_id
from test_cli_verify import write_registry, write_roster

OLD_DAY = "2026-12-01"
NEW_DAY = "2027-01-15"
ENTERPRISE = "重庆市江津区测试机械有限公司"
HEADER = ["姓名", "身份证号", "证号", "操作项目"]
ROOT = Path(__file__).resolve().parents[1]
#: The workers of the tests, by the number of their ID (``nth_id``).
NAMES = ["陈一", "林二", "黄三", "吴四", "郑五", "何六", "罗七"]


def record(name: str, id_number: str, *, item: str = "低压电工作业", until: str = "2029-01-01",
           due: str = "2027-06-01", reviewed: str = "") -> list[str]:
    """A row of a registry file: the national lookup's record of one certificate."""
    return [name, id_number, "T" + id_number, "电工作业", item, "2023-01-01", "2023-01-01",
            until, due, reviewed, "重庆市应急管理局"]


def worker(name: str, id_number: str, item: str = "低压电工", *, card: bool = True) -> list[object]:
    return [name, id_number, "T" + id_number if card else "", item]


def run(*args: str | Path, width: int = 160) -> Result:
    return CliRunner(env={"COLUMNS": str(width)}).invoke(
        cli, [str(a) for a in args], catch_exceptions=False)


def check(tmp_path: Path, name: str, rows: Sequence[Sequence[object]],
          records: Sequence[list[str]], as_of: str, *extra: str,
          suffixes: Sequence[str] = (".xlsx",), enterprise: str = ENTERPRISE) -> Path:
    """``certcheck verify`` over a roster of ``rows`` against ``records`` as of ``as_of``;
    the register written (the first suffix)."""
    roster = write_roster(tmp_path / f"{name}.xlsx", HEADER, [list(r) for r in rows])
    registry = write_registry(tmp_path / f"{name}-registry.csv", list(records))
    outs = [tmp_path / f"{name}.register{s}" for s in suffixes]
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", as_of,
                 "--enterprise", enterprise, "--no-progress", "--no-cache",
                 *[a for o in outs for a in ("-o", str(o))], *extra)
    assert result.exit_code in (0, 1, 3), result.output
    return outs[0]


def diff(*args: str | Path, width: int = 160) -> Result:
    return run("diff", *args, width=width)


def changes_of(path: Path) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    """name → (change, move, old status, new status), from the JSON the command wrote."""
    data = json.loads(path.read_text("utf-8"))
    found = {}
    for c in data["changes"]:
        row = c["new"] or c["old"]
        found[row["name"]] = (c["change"], c["move"], c["old"] and c["old"]["status"],
                              c["new"] and c["new"]["status"])
    return found


# --- the two checks of one enterprise ----------------------------------------------------------


def two_checks(tmp_path: Path, *extra: str, suffix: str = ".xlsx") -> tuple[Path, Path]:
    """December and January of one enterprise.

    林二's certificate ends on 2026-12-20; 黄三's review, overdue in December, was done on
    2026-12-10; 吴四's card is not in the lookup any more; 郑五 left and 何六 came without a
    certificate; 罗七 renewed early (2029 → 2035); 陈一 is unchanged.
    """
    ids = [nth_id(i) for i in range(7)]
    before_records = [
        record("陈一", ids[0]),
        record("林二", ids[1], until="2026-12-20", due="2026-12-20"),
        record("黄三", ids[2], due="2026-06-01"),
        record("吴四", ids[3]),
        record("郑五", ids[4]),
        record("罗七", ids[6]),
    ]
    after_records = [
        record("陈一", ids[0]),
        record("林二", ids[1], until="2026-12-20", due="2026-12-20"),
        record("黄三", ids[2], due="2026-06-01", reviewed="2026-12-10"),
        record("罗七", ids[6], until="2035-01-01", due="2032-01-01"),
    ]
    old = check(tmp_path, "december", [worker(NAMES[i], ids[i]) for i in (0, 1, 2, 3, 4, 6)],
                before_records, OLD_DAY, *extra, suffixes=(suffix,))
    new = check(tmp_path, "january",
                [worker(NAMES[i], ids[i], card=i != 5) for i in (6, 5, 3, 2, 1, 0)],
                after_records, NEW_DAY, *extra, suffixes=(suffix,))
    return old, new


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_what_changed_between_two_checks(tmp_path: Path, suffix: str) -> None:
    old, new = two_checks(tmp_path, suffix=suffix)
    out = tmp_path / "changes.json"
    result = diff(old, new, "-o", out)
    assert result.exit_code == 1, result.output
    assert changes_of(out) == {
        "林二": ("status", "newly_expired", "valid", "expired"),
        "黄三": ("status", "valid_after_review", "expired", "valid"),
        "吴四": ("status", "newly_fake", "valid", "fake"),
        "郑五": ("left", None, "valid", None),
        "何六": ("new", None, None, "uncertified"),
        "罗七": ("dates", None, "valid", "valid"),
    }
    screen = result.stdout
    # 5 of 6 valid in December, 3 of 6 in January.
    assert "依法持证率 83.3% → 50.0%（-33.3 个百分点）" in screen
    assert "对应方式：按身份证号" in screen
    lines = {name: line for line in screen.splitlines()
             for name in NAMES[1:] if name in line}
    assert "新逾期，有效 → 逾期（超过有效期）" in lines["林二"]
    assert "复审后恢复有效，逾期 → 有效；实际复审日期 无 → 2026-12-10" in lines["黄三"]
    assert "新发现假证，有效 → 假证（查无此证）" in lines["吴四"]
    assert "原为有效" in lines["郑五"]
    assert "无证（未持证）" in lines["何六"]
    assert "有效期至 2029-01-01 → 2035-01-01；应复审日期 2027-06-01 → 2032-01-01" in lines["罗七"]
    sections = [line.split("（")[0] for line in screen.splitlines()
                if re.match(r"^\S+（\d+）\s*$", line)]
    assert sections == ["结果变差", "结果好转", "新增人员", "离开人员", "证书日期变化"]
    assert "结论：有人变为逾期、假证或无证，需处理（exit 1）" in screen
    for i in range(7):
        assert nth_id(i) not in screen


def test_reordered_workers_are_no_change(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(5)]
    records = [record(NAMES[i], ids[i]) for i in range(4)]
    rows = [worker(NAMES[i], ids[i], card=i != 4) for i in range(5)]
    old = check(tmp_path, "first", rows, records, OLD_DAY)
    new = check(tmp_path, "second", list(reversed(rows)), records, OLD_DAY)
    result = diff(old, new)
    assert result.exit_code == 0, result.output
    assert "结论：没有变化（exit 0）" in result.stdout
    assert "依法持证率 80.0% → 80.0%（持平）" in result.stdout


def test_xlsx_and_json_of_one_run_are_the_same(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(4)]
    rows = [worker(NAMES[i], ids[i], card=i != 3) for i in range(4)]
    records = [record(NAMES[0], ids[0]), record(NAMES[1], ids[1], until="2026-11-01"),
               record(NAMES[2], ids[2], due="2026-06-01")]
    xlsx = check(tmp_path, "both", rows, records, OLD_DAY, suffixes=(".xlsx", ".json"))
    for pair in ((xlsx, xlsx.with_suffix(".json")), (xlsx.with_suffix(".json"), xlsx)):
        result = diff(*pair)
        assert result.exit_code == 0, result.output
        assert "结论：没有变化（exit 0）" in result.stdout
        assert "依法持证率 25.0% → 25.0%（持平）" in result.stdout


def test_only_valid_newcomers_and_leavers_exit_0(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(3)]
    records = [record(NAMES[i], ids[i]) for i in range(3)]
    old = check(tmp_path, "old", [worker("陈一", ids[0]), worker("林二", ids[1])], records,
                OLD_DAY)
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("黄三", ids[2])], records,
                NEW_DAY)
    result = diff(old, new)
    assert result.exit_code == 0, result.output
    assert "新增人员（1）" in result.stdout and "离开人员（1）" in result.stdout
    assert "结论：没有人变为逾期、假证或无证（exit 0）" in result.stdout


def test_a_newcomer_without_a_certificate_is_worse(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(2)]
    records = [record("陈一", ids[0])]
    old = check(tmp_path, "old", [worker("陈一", ids[0])], records, OLD_DAY)
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("林二", ids[1], card=False)],
                records, NEW_DAY)
    result = diff(old, new)
    assert result.exit_code == 1
    assert "新增人员（1）" in result.stdout and "无证（未持证）" in result.stdout


def test_a_worker_who_became_unverified_is_listed_not_worse(tmp_path: Path) -> None:
    """An ID retyped wrongly cannot be judged: listed as 未核验, never called worse."""
    ids = [nth_id(i) for i in range(2)]
    old = check(tmp_path, "old", [worker("陈一", ids[0]), worker("林二", ids[1])],
                [record("陈一", ids[0]), record("林二", ids[1])], OLD_DAY)
    bad = ids[1][:-1] + ("0" if ids[1][-1] != "0" else "1")
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("林二", bad)],
                [record("陈一", ids[0]), record("林二", ids[1])], NEW_DAY)
    out = tmp_path / "d.json"
    result = diff(old, new, "-o", out)
    assert result.exit_code == 0, result.output
    # The ID is no longer readable: the two rows are one person by the name.
    assert changes_of(out) == {"林二": ("status", "now_unverified", "valid", "unverified")}
    assert "现登记表的身份证号无法识别，按姓名对应" in result.stdout


def test_an_id_corrected_between_the_checks_is_the_same_person(tmp_path: Path) -> None:
    good = nth_id(1)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    records = [record("李四", good)]
    old = check(tmp_path, "old", [worker("李四", bad)], records, OLD_DAY)
    new = check(tmp_path, "new", [worker("李四", good)], records, NEW_DAY)
    out = tmp_path / "d.json"
    result = diff(old, new, "-o", out)
    assert result.exit_code == 0, result.output
    assert changes_of(out) == {"李四": ("status", "now_valid", "unverified", "valid")}
    assert "原登记表的身份证号无法识别，现已更正，按姓名对应" in result.stdout


# --- masked registers ----------------------------------------------------------------------


def twin_ids() -> tuple[str, str]:
    """Two IDs that mask alike (500381********0019): same region, same last four."""
    first = nth_id(1)
    for year in range(1960, 2000):
        other = make_id(f"500381{year}0601001")
        if other != first and mask_id(other) == mask_id(first):
            return first, other
    raise AssertionError("no twin found")


def test_masked_registers_match_by_masked_id_and_name(tmp_path: Path) -> None:
    old, new = two_checks(tmp_path, "--mask-ids")
    out = tmp_path / "d.json"
    result = diff(old, new, "-o", out, "-o", tmp_path / "d.csv")
    assert result.exit_code == 1, result.output
    assert "对应方式：按脱敏身份证号和姓名" in result.stdout
    assert changes_of(out)["林二"] == ("status", "newly_expired", "valid", "expired")
    assert changes_of(out)["何六"] == ("new", None, None, "uncertified")
    everything = result.stdout + out.read_text("utf-8") + (tmp_path / "d.csv").read_text("utf-8")
    for i in range(7):
        assert nth_id(i) not in everything
    assert mask_id(nth_id(1)) in result.stdout


def test_masked_against_full_matches_by_the_masked_form(tmp_path: Path) -> None:
    old, _ = two_checks(tmp_path)
    masked = tmp_path / "masked"
    masked.mkdir()
    _, new = two_checks(masked, "--mask-ids")
    out = tmp_path / "d.json"
    result = diff(old, new, "-o", out)
    assert result.exit_code == 1, result.output
    assert "对应方式：按脱敏身份证号和姓名" in result.stdout
    assert set(changes_of(out)) == {"林二", "黄三", "吴四", "郑五", "何六", "罗七"}


def test_two_people_who_mask_alike_are_not_told_apart(tmp_path: Path) -> None:
    """Two 张伟 with the same shown digits: the change is said of the pair, never of one."""
    a, b = twin_ids()
    rows = [worker("张伟", a), worker("张伟", b), worker("陈一", nth_id(0))]
    before = [record("张伟", a), record("张伟", b), record("陈一", nth_id(0))]
    after = [record("张伟", a), record("张伟", b, until="2026-12-20", due="2026-12-20"),
             record("陈一", nth_id(0))]
    old = check(tmp_path, "old", rows, before, OLD_DAY, "--mask-ids")
    new = check(tmp_path, "new", rows, after, NEW_DAY, "--mask-ids")
    out = tmp_path / "d.json"
    result = diff(old, new, "-o", out)
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    assert data["changes"] == []
    assert [(g["name"], g["id_number"], g["worse_statuses"]) for g in data["ambiguous"]] == [
        ("张伟", mask_id(a), ["expired"])]
    line = next(x for x in result.stdout.splitlines() if "张伟" in x)
    assert mask_id(a) in line
    assert "同一脱敏身份证号和姓名，无法逐人对应：原 2 行（有效 2），现 2 行（有效 1、逾期 1）" in line
    assert "其中有人变为逾期，无法确定是谁" in line
    # Nothing changed for them: said so, and not worse.
    same = diff(old, old)
    assert same.exit_code == 0
    assert "结果分布未变" in same.stdout


# --- rosters of several sheets ---------------------------------------------------------------


def two_sheets(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        if first:
            ws = wb.active
            assert ws is not None
            ws.title = title
            first = False
        else:
            ws = wb.create_sheet(title)
        ws.append(HEADER)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_rosters_of_several_sheets_compare_per_person_and_item(tmp_path: Path) -> None:
    """王一 is an electrician on one sheet and a welder on the other; his welding card ends
    in December. Only that item changed, and the sheet is named."""
    wang, li = nth_id(0), nth_id(1)
    weld = "熔化焊接与热切割作业"
    records = [record("王一", wang), record("李二", li),
               record("王一", wang, item=weld, until="2026-12-20", due="2026-12-20")]
    records[2][3] = "焊接与热切割作业"
    registry = write_registry(tmp_path / "registry.csv", records)
    electricians = [worker("王一", wang), worker("李二", li)]
    welders = [worker("王一", wang, "电焊工")]
    old_roster = two_sheets(tmp_path / "old.xlsx", {"电工": electricians, "焊工": welders})
    # A month later the welders' sheet comes first and the rows are in another order.
    new_roster = two_sheets(tmp_path / "new.xlsx",
                            {"焊工": welders, "电工": list(reversed(electricians))})
    registers = []
    for roster, day in ((old_roster, OLD_DAY), (new_roster, NEW_DAY)):
        out = roster.with_suffix(".register.xlsx")
        done = run("verify", roster, "--source", f"registry:{registry}", "--as-of", day,
                   "--enterprise", ENTERPRISE, "--no-progress", "--no-cache", "-o", out)
        assert done.exit_code in (0, 1), done.output
        registers.append(out)
    out = tmp_path / "d.json"
    result = diff(*registers, "-o", out)
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    assert [(c["new"]["sheet"], c["new"]["name"], c["new"]["item"], c["move"])
            for c in data["changes"]] == [("焊工", "王一", weld, "newly_expired")]
    line = next(x for x in result.stdout.splitlines() if "王一" in x)
    assert line.split()[:3] == ["焊工", "2", "王一"]
    assert "工作表" in result.stdout


# --- refusals --------------------------------------------------------------------------------


def test_registers_of_two_enterprises_are_refused(tmp_path: Path) -> None:
    rows = [worker("陈一", nth_id(0))]
    records = [record("陈一", nth_id(0))]
    old = check(tmp_path, "a", rows, records, OLD_DAY)
    new = check(tmp_path, "b", rows, records, NEW_DAY, enterprise="江津区另一家有限公司")
    result = diff(old, new)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "certcheck: 两份登记表不是同一单位：旧 a.register.xlsx 是“重庆市江津区测试机械有限公司”，"
        "新 b.register.xlsx 是“江津区另一家有限公司”（different enterprises）。确要照此对比，请加 --force"]
    forced = diff(old, new, "--force")
    assert forced.exit_code == 0, forced.output
    assert "提示：两份登记表不是同一单位" in forced.stdout


def test_registers_given_newest_first_are_refused_with_the_swap(tmp_path: Path) -> None:
    old, new = two_checks(tmp_path)
    result = diff(new, old)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.startswith(
        "certcheck: 新登记表 december.register.xlsx 的核验基准日 2026-12-01 早于旧登记表 "
        "january.register.xlsx 的 2027-01-15，两个文件的顺序可能反了")
    assert f"请交换两个文件：certcheck diff {old} {new}" in message
    assert "--force" in message
    forced = diff(new, old, "--force")
    # Read backwards 何六 left and 郑五 came with a valid card; 黄三 went back to 逾期.
    assert forced.exit_code == 1
    assert "新逾期，有效 → 逾期（逾期未复审）" in forced.stdout


def test_same_day_registers_written_the_wrong_way_round_are_named(tmp_path: Path) -> None:
    rows = [worker("陈一", nth_id(0))]
    records = [record("陈一", nth_id(0))]
    first = check(tmp_path, "first", rows, records, OLD_DAY)
    second = check(tmp_path, "second", rows, records, OLD_DAY)
    result = diff(second, first)
    assert result.exit_code == 0
    assert ("提示：两份登记表核验基准日相同，但新登记表 first.register.xlsx 生成得比旧登记表 "
            "second.register.xlsx 早，顺序可能反了") in result.stdout


def test_a_sample_register_is_named(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(4)]
    rows = [worker(NAMES[i], ids[i]) for i in range(4)]
    records = [record(NAMES[i], ids[i]) for i in range(4)]
    full = check(tmp_path, "full", rows, records, OLD_DAY)
    sample = check(tmp_path, "sample", rows, records, NEW_DAY, "--sample", "2", "--seed", "1",
                   "--kind", "inspection")
    result = diff(full, sample)
    assert result.exit_code == 0
    assert "提示：有登记表是随机抽查，只含部分人员" in result.stdout
    assert "离开人员（2）" in result.stdout


# --- inputs and outputs ----------------------------------------------------------------------


def test_outputs_read_back(tmp_path: Path) -> None:
    old, new = two_checks(tmp_path)
    outs = [tmp_path / "变化.xlsx", tmp_path / "变化.json", tmp_path / "变化.csv"]
    result = diff(old, new, *[a for o in outs for a in ("-o", str(o))])
    assert result.exit_code == 1, result.output
    assert "已写入" in result.stderr
    for out in outs:
        assert out.stat().st_mode & 0o777 == 0o600
    wb = openpyxl.load_workbook(outs[0])
    ws = wb["变化"]
    header = [c.value for c in ws[1]]
    assert header[:8] == ["变化", "工作表", "行号", "原工作表", "原行号", "姓名", "身份证号", "作业项目"]
    rows = {r[5].value: r for r in ws.iter_rows(min_row=2)}
    assert rows["林二"][0].value == "新逾期"
    assert rows["林二"][8].value == "有效" and rows["林二"][9].value == "逾期"
    id_cell = rows["林二"][6]
    assert id_cell.value == nth_id(1) and id_cell.data_type == "s"  # text, all 18 digits
    assert rows["罗七"][10].value.date().isoformat() == "2029-01-01"
    assert rows["罗七"][11].value.date().isoformat() == "2035-01-01"
    overview = {r[0].value: r[1].value for r in wb["概况"].iter_rows()}
    assert overview["旧依法持证率"] == "83.3%" and overview["新依法持证率"] == "50.0%"
    assert overview["依法持证率变化"] == "-33.3 个百分点"
    assert overview["结论"] == "有人变为逾期、假证或无证，需处理"
    with outs[2].open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.DictReader(fh))
    by_name = {line["姓名"]: line for line in lines}
    assert by_name["郑五"]["变化"] == "离开人员" and by_name["郑五"]["行号"] == ""
    assert by_name["郑五"]["原行号"] == "6"
    assert by_name["黄三"]["新实际复审日期"] == "2026-12-10"
    assert by_name["林二"]["身份证号"] == nth_id(1)
    data = json.loads(outs[1].read_text("utf-8"))
    assert data["old"]["rate"] == round(5 / 6, 4) and data["new"]["rate"] == 0.5
    assert data["rate_change_points"] == -33.3
    assert data["worse"] is True
    masked = tmp_path / "masked.csv"
    assert diff(old, new, "-o", masked, "--mask-ids").exit_code == 1
    text = masked.read_text("utf-8-sig")
    assert mask_id(nth_id(1)) in text and nth_id(1) not in text


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    ids = [nth_id(0), nth_id(1)]
    old = check(tmp_path, "old", [worker("陈一", ids[0])], [record("陈一", ids[0])], OLD_DAY)
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("林二", ids[1], "=1+2")],
                [record("陈一", ids[0])], NEW_DAY)
    out = tmp_path / "d.csv"
    assert diff(old, new, "-o", out).exit_code in (0, 1)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        items = [line["作业项目"] for line in csv.DictReader(fh)]
    assert items == ["'=1+2"]


@pytest.mark.parametrize(("output", "said"), [
    ("nowhere/d.xlsx", "不存在（no such folder）"),
    ("d.txt", "变化清单请写成 .xlsx、.json、.csv 文件"),
])
def test_a_bad_output_is_a_usage_error_before_anything_is_read(
    tmp_path: Path, output: str, said: str
) -> None:
    # The registers do not even exist: the output is refused first.
    result = diff(tmp_path / "a.xlsx", tmp_path / "b.xlsx", "-o", tmp_path / output)
    assert result.exit_code == 2
    assert said in result.stderr


def test_an_output_over_an_input_is_refused(tmp_path: Path) -> None:
    old, new = two_checks(tmp_path)
    before = new.read_bytes()
    result = diff(old, new, "-o", new)
    assert result.exit_code == 2
    assert "就是要对比的登记表" in result.stderr
    assert new.read_bytes() == before


def test_unusable_inputs_are_exit_4(tmp_path: Path) -> None:
    old, _ = two_checks(tmp_path)
    missing = diff(old, tmp_path / "missing.xlsx")
    assert missing.exit_code == 4
    assert "找不到文件" in missing.stderr
    roster = tmp_path / "december.xlsx"  # the roster, not a register
    result = diff(old, roster)
    assert result.exit_code == 4
    assert "不是 certcheck 登记表" in result.stderr


# --- the samples and the terminal ------------------------------------------------------------

SAMPLE_OLD = ROOT / "samples" / "registers" / "德感机械-自查.register.xlsx"
SAMPLE_NEW = ROOT / "samples" / "2027-03" / "德感机械-自查.register.xlsx"


def test_the_sample_shows_every_kind_of_change(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    result = diff(SAMPLE_OLD, SAMPLE_NEW, "-o", out)
    assert result.exit_code == 1, result.output
    assert changes_of(out) == {
        "王芳": ("dates", None, "valid", "valid"),
        "赵磊": ("dates", None, "valid", "valid"),
        "周静": ("status", "newly_expired", "valid", "expired"),
        "马超": ("status", "valid_after_renewal", "expired", "valid"),
        "朱琳": ("status", "valid_after_review", "expired", "valid"),
        "罗斌": ("status", "newly_fake", "uncertified", "fake"),
        "韩冰": ("status", "now_valid", "unverified", "valid"),
        "严明": ("new", None, None, "valid"),
        "梁秀英": ("left", None, "uncertified", None),
    }
    # 15 of 30 valid on 2026-12-01; 18 of 30 on 2027-03-01.
    assert "依法持证率 50.0% → 60.0%（+10.0 个百分点）" in result.stdout


def test_the_digest_has_sections_and_masked_ids_only() -> None:
    from certcheck.diff.compare import compare, concerns
    from certcheck.diff.digest import digest
    from certcheck.register.reader import read_register

    result = compare(read_register(SAMPLE_OLD), read_register(SAMPLE_NEW))
    told = digest(result, concerns(result.old, result.new))
    assert told.title == "登记表变化：重庆市江津区德感机械制造有限公司（2026-12-01 → 2027-03-01）"
    assert [s.title for s in told.sections] == [
        "概况", "结果变差（2）", "结果好转（3）", "新增人员（1）", "离开人员（1）", "证书日期变化（2）"]
    assert told.sections[0].lines[0] == "依法持证率 50.0% → 60.0%（+10.0 个百分点）"
    assert told.sections[0].lines[-1] == "结论：有人变为逾期、假证或无证，需处理"
    worse = told.sections[1].lines
    assert worse[0] == ("周静 500381********0107（第 12 行）低压电工作业：新逾期，有效 → 逾期"
                        "（逾期未复审）")
    # A person who left is found by the old register's row.
    assert told.sections[4].lines == ("梁秀英 500381********022X（原第 24 行）架子工：原为无证（未持证）",)
    text = "\n".join([told.title, *(line for s in told.sections for line in s.lines)])
    assert not re.search(r"\d{17}[\dX]", text), "a full ID in the digest"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("width", [60, 80])
def test_the_terminal_at_60_and_80_columns(width: int) -> None:
    from test_terminal import Tmux, _cells, _certcheck

    term = Tmux(width, _certcheck("diff", str(SAMPLE_OLD), str(SAMPLE_NEW)))
    try:
        screen, code = term.wait()
    finally:
        term.close()
    assert code == 1, screen
    lines = screen.splitlines()
    assert all(_cells(line) <= width for line in lines)
    rows = [line for line in lines if re.match(r"^\s*\d+ \S+ ", line)]
    assert len(rows) == 9  # the nine changes of the sample
    for line in rows:
        assert re.search(r" \d{6}\*{8}\d{3}[\dX] ", line), line  # the masked ID whole
    assert not re.search(r"\d{17}[\dX]", screen)
    flat = re.sub(r"\s", "", screen)
    assert "新逾期，有效→逾期（逾期未复审）" in flat
    assert "依法持证率50.0%→60.0%（+10.0个百分点）" in flat
