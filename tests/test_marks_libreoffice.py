"""Error values and emptied lookups in .ods and .xls files as LibreOffice writes them.

An openpyxl workbook of VLOOKUPs (never calculated) is opened and saved by LibreOffice headless,
which calculates them: found codes give the item, a missing code gives #N/A, an IFERROR around
a failed lookup gives an empty text. These tests need LibreOffice (soffice); they skip with the
reason when it is missing, except under CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from certcheck.tablefile.grid import Mark
from certcheck.tablefile.opening import read_first_sheet

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
MISSING = "LibreOffice (soffice) is needed; install libreoffice-calc-nogui (.ci/run does)"

# What calamine gives for the roster sheet in both formats: errors and empty results as "".
ROWS = [
    ["特种作业人员花名册", "", "", ""],
    ["姓名", "代码", "操作项目", "有效期至"],
    ["张三", "X1", "低压电工作业", "2027-05-01"],
    ["李四", "X9", "", ""],
    ["王五", "X2", "高压电工作业", 0.0],
    ["钱七", "X1", "", ""],
]


def _require() -> None:
    if SOFFICE:
        return
    if os.environ.get("CI"):
        pytest.fail(MISSING)
    pytest.skip(MISSING)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _require()
    assert SOFFICE is not None
    folder = tmp_path_factory.mktemp("lo")
    source = folder / "roster.xlsx"
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "花名册"
    ws["A1"] = "特种作业人员花名册"
    ws.append(["姓名", "代码", "操作项目", "有效期至"])
    for row, (name, code) in enumerate([("张三", "X1"), ("李四", "X9"), ("王五", "X2")], start=3):
        ws.append([
            name, code, f"=VLOOKUP(B{row},代码!$A$1:$B$9,2,FALSE)",
            f'=IFERROR(VLOOKUP(B{row},代码!$A$1:$C$9,3,FALSE),"")',
        ])
    ws.append(["钱七", "X1", "=1/0", "=NA()"])
    codes = workbook.create_sheet("代码")
    codes.append(["X1", "低压电工作业", "2027-05-01"])
    codes.append(["X2", "高压电工作业"])  # no date: VLOOKUP of an empty cell gives 0
    workbook.save(source)
    profile = (folder / ".profile").resolve().as_uri()
    for fmt in ("ods", "xls"):
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(folder), str(source)],
            capture_output=True, timeout=300, check=True,
        )
    return {fmt: folder / f"roster.{fmt}" for fmt in ("ods", "xls")}


def test_ods_errors_and_emptied_lookup(converted: dict[str, Path]) -> None:
    grid = read_first_sheet(converted["ods"])

    assert grid.rows == ROWS
    assert grid.marks == {
        (3, 2): Mark("error", "#N/A"),
        (3, 3): Mark("formula", '=IFERROR(VLOOKUP(B4,代码!$A$1:$C$9,3,FALSE()),"")'),
        (5, 2): Mark("error", "#DIV/0!"),
        (5, 3): Mark("error", "#N/A"),
    }


def test_xls_errors_and_emptied_lookup(converted: dict[str, Path]) -> None:
    grid = read_first_sheet(converted["xls"])

    assert grid.rows == ROWS
    # BIFF stores formulas as tokens; the mark names the lookup function it found in them.
    assert grid.marks == {
        (3, 2): Mark("error", "#N/A"),
        (3, 3): Mark("formula", "=…VLOOKUP(…)…"),
        (5, 2): Mark("error", "#DIV/0!"),
        (5, 3): Mark("error", "#N/A"),
    }
