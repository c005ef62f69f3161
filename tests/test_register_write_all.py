"""Several outputs at once: a large workbook is written by a forked process meanwhile."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from certcheck.register import formats
from certcheck.register.formats import OutputError, OutputFormat, write_all
from test_register import build_register


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "PARALLEL_MIN_WORKERS", 1)


def _targets(*paths: Path) -> list[tuple[str | Path, OutputFormat]]:
    return [(p, OutputFormat.from_path(p)) for p in paths]


def test_every_output_is_complete_when_written_in_parallel(tmp_path: Path, parallel: None) -> None:
    reg = build_register()
    xlsx, js, csv = tmp_path / "r.xlsx", tmp_path / "r.json", tmp_path / "r.csv"
    write_all(reg, _targets(xlsx, js, csv))
    rows = list(openpyxl.load_workbook(xlsx).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + len(reg.findings)
    assert len(json.loads(js.read_text("utf-8"))["workers"]) == len(reg.findings)
    assert csv.read_text("utf-8-sig").count("\n") == 1 + len(reg.findings)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.xlsx"]


def test_a_failure_in_the_child_is_raised_and_the_rest_written(
    tmp_path: Path, parallel: None
) -> None:
    reg = build_register()
    missing = tmp_path / "no-such-folder" / "r.xlsx"
    with pytest.raises(OutputError, match=r"r\.xlsx"):
        write_all(reg, _targets(missing, tmp_path / "r.json"))
    assert (tmp_path / "r.json").exists()
    assert not missing.parent.exists()


def test_small_registers_are_written_in_process(tmp_path: Path, monkeypatch) -> None:
    def no_fork(*args: object, **kwargs: object) -> None:
        raise AssertionError("forked for a small register")

    monkeypatch.setattr(formats.multiprocessing, "get_context", no_fork)
    write_all(build_register(), _targets(tmp_path / "r.xlsx", tmp_path / "r.json"))
    assert (tmp_path / "r.xlsx").exists() and (tmp_path / "r.json").exists()
