"""Several outputs at once: each complete, and one that fails does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from certcheck.register.formats import OutputError, OutputFormat, write_all
from certcheck.register.json_ import dumps
from register_sheet import register_table
from test_register import build_register


def _targets(*paths: Path) -> list[tuple[str | Path, OutputFormat]]:
    return [(p, OutputFormat.from_path(p)) for p in paths]


def test_every_output_is_complete(tmp_path: Path) -> None:
    reg = build_register()
    xlsx, js, csv = tmp_path / "r.xlsx", tmp_path / "r.json", tmp_path / "r.csv"
    write_all(reg, _targets(xlsx, js, csv))
    table = register_table(openpyxl.load_workbook(xlsx).worksheets[0])
    assert [r["行号"] for r in table.rows] == [f.worker.row for f in reg.findings]
    assert len(json.loads(js.read_text("utf-8"))["workers"]) == len(reg.findings)
    assert csv.read_text("utf-8-sig").count("\n") == 1 + len(reg.findings)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.xlsx"]


def test_a_failure_is_raised_and_the_rest_written(tmp_path: Path) -> None:
    reg = build_register()
    missing = tmp_path / "no-such-folder" / "r.xlsx"
    with pytest.raises(OutputError, match=r"r\.xlsx"):
        write_all(reg, _targets(missing, tmp_path / "r.json"))
    assert (tmp_path / "r.json").exists()
    assert not missing.parent.exists()


def test_a_failure_after_the_workbook_is_raised_too(tmp_path: Path) -> None:
    reg = build_register()
    missing = tmp_path / "no-such-folder" / "r.json"
    with pytest.raises(OutputError, match=r"r\.json"):
        write_all(reg, _targets(tmp_path / "r.xlsx", missing, tmp_path / "r.csv"))
    assert (tmp_path / "r.xlsx").exists() and (tmp_path / "r.csv").exists()


def test_standard_output_and_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = build_register()
    write_all(reg, [("-", OutputFormat.JSON), (tmp_path / "r.xlsx", OutputFormat.XLSX)])
    assert capsys.readouterr().out == dumps(reg) + "\n"
    assert (tmp_path / "r.xlsx").exists()
