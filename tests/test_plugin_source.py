"""The README's plugin example, installed through its entry point and used by `certcheck`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from factories import make_id

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_block(language: str, first_line: str) -> str:
    for block in re.findall(rf"```{language}\n(.*?)```", README.read_text("utf-8"), re.S):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"README has no {language} block starting {first_line!r}")


def _install(site: Path) -> None:
    (site / "myplugin.py").write_text(_readme_block("python", "# myplugin.py"), "utf-8")
    toml = _readme_block("toml", "# the plugin's pyproject.toml")
    entry = re.search(r"^(\w+) = \"([\w.:]+)\"$", toml, re.M)
    assert entry is not None
    dist = site / "myplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[certcheck.sources]\n{entry.group(1)} = {entry.group(2)}\n"
    )


def _certcheck(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "certcheck", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_readme_plugin_is_listed_and_answers(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    listed = _certcheck(site, "sources")
    assert listed.returncode == 0, listed.stderr
    assert "table" in listed.stdout and "myplugin" in listed.stdout

    holder, stranger = make_id(), make_id("11010519491231002")
    table = tmp_path / "table.json"
    table.write_text(json.dumps({holder: [{
        "姓名": "张三", "证件号码": holder, "证号": "T" + holder, "作业类别": "电工作业",
        "操作项目": "低压电工作业", "有效期结束日期": "2030-01-01", "应复审日期": "2027-01-01",
    }]}, ensure_ascii=False), "utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"姓名,身份证号,操作项目\n张三,{holder},电工\n李四,{stranger},焊工\n", "utf-8")
    out = tmp_path / "out.json"
    done = _certcheck(site, "verify", str(roster), "--source", f"table:{table}",
                      "--as-of", "2026-11-29", "-o", str(out))
    assert done.returncode == 1, done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert [(w["status"], w["reason"]) for w in workers] == [
        ("valid", "ok"), ("uncertified", "no_certificate")]
    assert json.loads(out.read_text("utf-8"))["source"] == "table"

    missing = _certcheck(site, "verify", str(roster), "--source", "table")
    assert missing.returncode == 4
    assert "needs a JSON file" in missing.stderr
