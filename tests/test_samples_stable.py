"""samples/make_samples.py and docs/make_pictures.py leave the tree as it was when nothing
changed: run twice, they write the same bytes (no time of the run in a workbook's zip entries or
properties, in a register's 核验时间 or generated_at, or in a picture).

Each runs on a copy of the scripts in a temporary folder, so the test never touches the
repository's own samples or pictures.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lo_render

ROOT = Path(__file__).resolve().parent.parent


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".lo-profile" not in p.parts}


def _run(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr


def _copy_samples(tmp_path: Path) -> Path:
    (tmp_path / "samples").mkdir()
    shutil.copy(ROOT / "samples" / "make_samples.py", tmp_path / "samples")
    return tmp_path / "samples" / "make_samples.py"


def test_make_samples_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    from certcheck.register.reader import read_register

    script = _copy_samples(tmp_path)
    _run(script)
    first = _files(tmp_path / "samples")
    assert {"roster.xlsx", "registry.csv", "registers/德感机械-自查.register.xlsx"} <= set(first)
    # Checked at a pinned moment, not at the time of the run.
    register = read_register(tmp_path / "samples" / "registers" / "德感机械-自查.register.xlsx")
    assert register.info.generated_at is not None
    assert register.info.generated_at.isoformat() == "2026-12-01T09:00:00+08:00"
    _run(script)
    assert _files(tmp_path / "samples") == first


def test_make_pictures_twice_draws_the_same_pictures(tmp_path: Path) -> None:
    lo_render.require()
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is needed to draw the pictures")
    # The repository's samples as they are (make_pictures only reads them), with the script
    # whose pinned clock it runs certcheck under.
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "make_pictures.py", tmp_path / "docs")
    _run(tmp_path / "docs" / "make_pictures.py")
    first = _files(tmp_path / "docs" / "img")
    # Every picture the guide shows of the register and the form is drawn (the robots'
    # pictures come from their own script).
    shown = set(re.findall(r"\(img/([^)]+\.png)\)", (ROOT / "docs" / "使用说明.md").read_text("utf-8")))
    assert {p for p in shown if not p.startswith("提醒-")} <= set(first)
    _run(tmp_path / "docs" / "make_pictures.py")
    assert _files(tmp_path / "docs" / "img") == first
