"""`certcheck lookup` for one person, and the spot-check and who/why options of `verify`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from factories import make_id, nth_id
from test_cli_verify import AS_OF, SAMPLES, official, write_registry, write_roster


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def registry(tmp_path: Path) -> tuple[Path, str, str]:
    holder, expired = make_id(), nth_id(5)
    path = write_registry(tmp_path / "reg.csv", [
        official("张三", holder, item="高压电工作业"),
        # An older card: its validity began in 2014 (official() dates every start 2023).
        ["张三", holder, "T" + holder, "电工作业", "低压电工作业", "2014-01-01", "2014-01-01",
         "2020-01-01", "2017-01-01", "", "重庆市应急管理局"],
        official("李四", expired, until="2026-01-01", due="2023-01-01"),
    ])
    return path, holder, expired


def test_lookup_shows_every_certificate_and_the_verdict(registry) -> None:
    path, holder, expired = registry
    result = run("lookup", "--id", holder, "--name", "张三", "--source", f"registry:{path}",
                 "--item", "高压电工", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "证书 1/2" in result.output and "证书 2/2" in result.output
    assert "高压电工作业" in result.output and "低压电工作业" in result.output
    assert "valid" in result.output
    assert holder not in result.output
    assert holder[:6] + "********" + holder[-4:] in result.output
    # The same person doing low-voltage work holds only an expired certificate for it.
    low = run("lookup", "--id", holder, "--name", "张三", "--source", f"registry:{path}",
              "--item", "低压电工", "--as-of", AS_OF)
    assert low.exit_code == 1
    assert "validity_ended" in low.output
    assert run("lookup", "--id", expired, "--name", "李四", "--source", f"registry:{path}",
               "--as-of", AS_OF).exit_code == 1


def test_lookup_json_and_show_id(registry) -> None:
    path, holder, _ = registry
    result = run("lookup", "--id", holder.lower(), "--name", "张三", "--source",
                 f"registry:{path}", "--as-of", AS_OF, "--json", "--show-id")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "valid" and data["id_number"] == holder
    assert len(data["certificates"]) == 2
    assert data["certificates"][0]["证件号码"] == holder
    masked = json.loads(run("lookup", "--id", holder, "--name", "张三", "--source",
                            f"registry:{path}", "--as-of", AS_OF, "--json").stdout)
    assert holder not in json.dumps(masked)


def test_lookup_exit_codes_for_problems(registry, tmp_path: Path) -> None:
    path, holder, _ = registry
    bad = holder[:17] + ("0" if holder[17] != "0" else "1")
    result = run("lookup", "--id", bad, "--name", "张三", "--source", f"registry:{path}",
                 "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "invalid_id" in result.output
    nobody = run("lookup", "--id", make_id("11010519491231002"), "--name", "王五",
                 "--source", f"registry:{path}", "--as-of", AS_OF)
    assert nobody.exit_code == 1 and "no_certificate" in nobody.output
    assert run("lookup", "--id", holder, "--name", "张三", "--source",
               f"registry:{tmp_path / 'none.csv'}").exit_code == 4
    assert run("lookup", "--name", "张三").exit_code == 2


def _sample_rows(tmp_path: Path, *extra: str) -> list[int]:
    out = tmp_path / f"s{len(list(tmp_path.iterdir()))}.json"
    result = run("verify", tmp_path / "roster.xlsx", "--source",
                 f"registry:{tmp_path / 'registry.csv'}", "--as-of", AS_OF, "-o", out, *extra)
    assert result.exit_code in (0, 1, 3), result.output
    data = json.loads(out.read_text("utf-8"))
    return [w["row"] for w in data["workers"]]


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    for name in ("roster.xlsx", "registry.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def test_sample_is_reproducible_and_in_roster_order(samples: Path) -> None:
    first = _sample_rows(samples, "--sample", "5", "--seed", "7")
    assert len(first) == 5 and first == sorted(first)
    assert _sample_rows(samples, "--sample", "5", "--seed", "7") == first
    assert _sample_rows(samples, "--sample", "5", "--seed", "8") != first
    everyone = _sample_rows(samples, "--sample", "500", "--seed", "1")
    assert len(everyone) == 30


def test_sample_register_says_of_how_many(samples: Path) -> None:
    out = samples / "s.json"
    xlsx = samples / "s.xlsx"
    result = run("verify", samples / "roster.xlsx", "--source",
                 f"registry:{samples / 'registry.csv'}", "--as-of", AS_OF, "--sample", "4",
                 "--seed", "3", "--kind", "inspection", "--enterprise", "某某公司",
                 "-o", out, "-o", xlsx)
    assert result.exit_code in (0, 1, 3)
    data = json.loads(out.read_text("utf-8"))
    assert data["sample"] == {"size": 4, "population": 30, "seed": 3}
    assert data["verdict"]["total"] == 4
    assert (data["kind"], data["enterprise"]) == ("inspection", "某某公司")
    summary = openpyxl.load_workbook(xlsx)["汇总"]
    text = " ".join(str(c) for row in summary.iter_rows(values_only=True) for c in row if c)
    assert "抽查 4 人 / 共 30 人" in text and "某某公司" in text and "执法检查" in text


def test_enterprise_missing_is_a_warning_not_an_error(tmp_path: Path) -> None:
    id_number = nth_id(1)
    roster = write_roster(tmp_path / "r.xlsx", ["姓名", "身份证号"], [["甲", id_number]])
    registry = write_registry(tmp_path / "reg.csv", [official("甲", id_number)])
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "o.json")
    assert result.exit_code == 0
    assert "未给出单位名称（--enterprise）" in result.output
    assert json.loads((tmp_path / "o.json").read_text("utf-8"))["enterprise"] is None
