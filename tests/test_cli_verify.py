"""``certcheck verify`` end to end on the samples and on small rosters: outputs and exit codes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import lookup as _lookup  # noqa: F401  (attaches the command)
from certcheck.cli import sources as _sources  # noqa: F401
from certcheck.cli import verify as _verify  # noqa: F401
from factories import make_id, nth_id

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AS_OF = "2026-12-01"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关",
]

# What a safety officer must see for each sample worker (see samples/make_samples.py).
EXPECTED = {
    "张伟": ("valid", "ok"), "王芳": ("valid", "ok"), "李强": ("valid", "ok"),
    "刘洋": ("valid", "ok"), "陈杰": ("valid", "ok"), "杨敏": ("valid", "ok"),
    "赵磊": ("valid", "ok"), "黄丽": ("valid", "ok"), "买买提·艾力": ("valid", "ok"),
    "周静": ("valid", "ok"), "吴刚": ("valid", "ok"), "徐娜": ("valid", "ok"),
    "孙涛": ("expired", "validity_ended"), "马超": ("expired", "validity_ended"),
    "朱琳": ("expired", "review_overdue"), "胡军": ("expired", "review_overdue"),
    "郭鹏": ("fake", "not_found"), "何洁": ("fake", "not_found"),
    "高明": ("fake", "name_mismatch"), "林峰": ("fake", "cert_number_mismatch"),
    "罗斌": ("uncertified", "no_certificate"), "梁秀英": ("uncertified", "no_certificate"),
    "宋健": ("uncertified", "item_not_covered"), "郑霞": ("uncertified", "item_not_covered"),
    "谢勇": ("unverified", "invalid_id"), "韩冰": ("unverified", "id_precision_lost"),
    "唐亮": ("unverified", "missing_field"), "冯雪": ("valid", "ok"), "邓超": ("valid", "ok"),
}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    for name in ("roster.xlsx", "registry.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def write_registry(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(rows)
    return path


def write_roster(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def official(name: str, id_number: str, item: str = "低压电工作业", until: str = "2029-01-01",
             due: str = "2027-06-01") -> list[str]:
    return [name, id_number, "T" + id_number, "电工作业", item, "2023-01-01", "2023-01-01",
            until, due, "", "重庆市应急管理局"]


def test_samples_give_every_status_and_exit_1(samples: Path) -> None:
    out = samples / "out.json"
    before = (samples / "roster.xlsx").read_bytes()
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "--as-of", AS_OF, "-o", out,
                 "-o", samples / "out.xlsx", "-o", samples / "out.csv")
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text("utf-8"))
    got = {w["name"]: (w["status"], w["reason"]) for w in data["workers"]}
    assert got == EXPECTED
    assert [w["row"] for w in data["workers"]] == list(range(3, 3 + len(data["workers"])))
    assert data["verdict"]["counts"] == {
        "valid": 15, "expired": 4, "fake": 4, "uncertified": 4, "unverified": 3}
    assert data["verdict"]["rate"] == round(15 / 30, 4)
    assert data["enterprise"] == "重庆市江津区德感机械制造有限公司"
    warnings = {w["name"]: w["warnings"] for w in data["workers"]}
    assert "due_soon" in warnings["周静"]
    assert "roster_outdated" in warnings["吴刚"]
    assert warnings["冯雪"] == ["duplicate_id"]
    assert (samples / "roster.xlsx").read_bytes() == before, "the roster must never be modified"
    assert "依法持证率" in result.output
    assert "50.0%" in result.output


def test_default_output_is_beside_the_roster(samples: Path) -> None:
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "--as-of", AS_OF)
    assert result.exit_code == 1
    register = samples / "roster.register.xlsx"
    assert register.is_file()
    wb = openpyxl.load_workbook(register)
    assert len(wb.worksheets) >= 2


def test_terminal_never_shows_a_full_id(samples: Path) -> None:
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "--as-of", AS_OF, "-o",
                 samples / "x.json")
    ids = {w["id_number"] for w in json.loads((samples / "x.json").read_text("utf-8"))["workers"]
           if w["id_number"]}
    assert ids
    for id_number in ids:
        assert id_number not in result.output


def test_stdout_json(samples: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(samples / "roster.xlsx"), "--source",
                                      f"registry:{samples / 'registry.csv'}", "--as-of", AS_OF,
                                      "-o", "-"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["verdict"]["total"] == 30


def test_compliant_roster_exits_0(tmp_path: Path) -> None:
    ids = [nth_id(i) for i in range(3)]
    roster = write_roster(tmp_path / "r.xlsx", ["姓名", "身份证号", "操作项目"],
                          [[f"工人{i}", ids[i], "电工"] for i in range(3)])
    registry = write_registry(tmp_path / "reg.csv", [official(f"工人{i}", ids[i]) for i in range(3)])
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "o.json")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "o.json").read_text("utf-8"))
    assert data["verdict"]["compliant"] is True
    assert data["verdict"]["rate"] == 1.0


def test_only_unverified_exits_3(tmp_path: Path) -> None:
    good = nth_id(1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    roster = write_roster(tmp_path / "r.xlsx", ["姓名", "身份证号"],
                          [["甲", good], ["乙", bad]])
    registry = write_registry(tmp_path / "reg.csv", [official("甲", good)])
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "o.json")
    assert result.exit_code == 3, result.output
    data = json.loads((tmp_path / "o.json").read_text("utf-8"))
    assert data["verdict"]["complete"] is False


def test_row_missing_name_is_kept_as_missing_field(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(f"姓名,身份证号\n,{make_id()}\n张三,\n", "utf-8")
    registry = write_registry(tmp_path / "reg.csv", [])
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "o.json")
    assert result.exit_code == 3
    workers = json.loads((tmp_path / "o.json").read_text("utf-8"))["workers"]
    assert [(w["row"], w["reason"]) for w in workers] == [(2, "missing_field"), (3, "missing_field")]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.xlsx", "not found"),
        (lambda d: (d / "notes.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
         and d / "notes.xlsx", ""),
        (lambda d: write_roster(d / "noid.xlsx", ["姓名", "电话"], [["张三", "123"]]), ""),
    ],
    ids=["missing", "not-a-spreadsheet", "no-id-column"],
)
def test_bad_roster_exits_4_with_one_line(tmp_path: Path, make, message: str) -> None:
    registry = write_registry(tmp_path / "reg.csv", [])
    roster = make(tmp_path)
    result = run("verify", roster, "--source", f"registry:{registry}", "-o", tmp_path / "o.json")
    assert result.exit_code == 4
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("certcheck:")]
    assert len(lines) == 1
    assert message in lines[0]
    assert not (tmp_path / "o.json").exists()


def test_bad_registry_and_unknown_source_exit_4(samples: Path) -> None:
    bad = samples / "bad.csv"
    bad.write_text("姓名,证号\n张三,1\n", "utf-8")
    result = run("verify", samples / "roster.xlsx", "--source", f"registry:{bad}")
    assert result.exit_code == 4
    assert "bad.csv" in result.output and "missing column" in result.output
    result = run("verify", samples / "roster.xlsx", "--source", "nosuchsource")
    assert result.exit_code == 4
    assert "unknown source" in result.output


def test_usage_errors_exit_2(samples: Path) -> None:
    roster = samples / "roster.xlsx"
    assert run("verify", roster, "--as-of", "yesterday").exit_code == 2
    assert run("verify", roster, "--concurrency", "0").exit_code == 2
    assert run("verify", roster, "--kind", "audit").exit_code == 2
    result = run("verify", roster, "--source", f"registry:{samples / 'registry.csv'}",
                 "-o", roster)
    assert result.exit_code == 2
    assert "roster itself" in result.output
    result = run("verify", roster, "--source", f"registry:{samples / 'registry.csv'}",
                 "-o", samples / "out.pdf")
    assert result.exit_code == 2


def test_installed_console_script_has_no_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("certcheck")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    done = subprocess.run([str(exe), "verify", str(tmp_path / "nope.xlsx")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("certcheck:")


def test_output_folder_must_exist_before_anything_is_looked_up(samples: Path) -> None:
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "-o", samples / "nope" / "r.xlsx")
    assert result.exit_code == 2
    assert "不存在（no such folder）" in result.output
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "-o", samples)
    assert result.exit_code == 2


def test_roster_with_a_header_and_no_workers_exits_4(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", ["姓名", "身份证号"], [])
    registry = write_registry(tmp_path / "reg.csv", [])
    result = run("verify", roster, "--source", f"registry:{registry}")
    assert result.exit_code == 4
    assert "no worker rows" in result.output
