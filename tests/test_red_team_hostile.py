"""Red-team attacks of issue 19 that the earlier attack tests did not cover: each builds its
hostile input here and runs certcheck in a child under the memory and time limits
(``confined``). Every one must end in exit 4 with one clear line, never in "unexpected error",
a hang, or a changed file of the user's."""

from __future__ import annotations

import csv
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from confined import run_confined
from factories import nth_id

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="links, FIFOs and RLIMIT_AS")

AS_OF = "2026-12-01"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关", "证书状态",
]


def certcheck(*args: object, cwd: Path) -> tuple[int, str]:
    done = run_confined([sys.executable, "-m", "certcheck", *(str(a) for a in args)],
                        env={**os.environ, "COLUMNS": "200"})
    del cwd
    return done.returncode, done.stderr


def one_clear_line(code: int, stderr: str, *words: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == 4, (code, stderr[-2000:])
    assert "Traceback" not in stderr and "意外错误" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert re.search("[\u4e00-\u9fff]", lines[0]), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def roster_csv(folder: Path) -> Path:
    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号", "作业类别", "操作项目"])
        writer.writerow(["工人", nth_id(0), "电工作业", "低压电工作业"])
    return path


def registry_csv(folder: Path) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_HEADER)
        writer.writerow(["工人", nth_id(0), "T1", "电工作业", "低压电工作业", "2022-01-01",
                         "2022-01-01", "2028-01-01", "2025-01-01", "2025-01-01", "重庆市应急管理局",
                         "有效"])
    return path


def link_loop(folder: Path, name: str) -> Path:
    loop, other = folder / name, folder / f"other-{name}"
    loop.symlink_to(other)
    other.symlink_to(loop)
    return loop


# --- a path that is a link loop ----------------------------------------------------------------


def test_a_roster_that_is_a_link_loop_is_a_missing_file_not_an_unexpected_error(
    tmp_path: Path,
) -> None:
    # Python 3.11 raised RuntimeError from Path.resolve while -o was compared with the roster.
    code, stderr = certcheck("verify", link_loop(tmp_path, "roster.csv"), "--source",
                             f"registry:{registry_csv(tmp_path)}", "--as-of", AS_OF,
                             "--no-progress", "--no-cache", cwd=tmp_path)
    one_clear_line(code, stderr, "roster.csv")


# --- the cache file replaced by something else --------------------------------------------------


def _verify_with_cache(folder: Path, cache: Path) -> tuple[int, str]:
    # A national lookup nobody answers: the cache is opened before the roster is read.
    return certcheck("verify", roster_csv(folder), "--source", "mem", "--mem-url",
                     "http://127.0.0.1:9", "--captcha", "command:true", "--as-of", AS_OF,
                     "--no-progress", "--timeout", "2", "--cache-dir", cache, cwd=folder)


def _planted(tmp_path: Path) -> Path:
    from certcheck.cache import FILE_NAME, OWN_DIR

    own = tmp_path / "cache" / OWN_DIR
    own.mkdir(parents=True, mode=0o700)
    return own / FILE_NAME


def test_a_cache_file_that_is_a_link_changes_nothing_of_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.db"
    victim.write_bytes(b"precious")
    victim.chmod(0o644)
    _planted(tmp_path).symlink_to(victim)
    code, stderr = _verify_with_cache(tmp_path, tmp_path / "cache")
    one_clear_line(code, stderr, "不是普通文件")
    assert victim.read_bytes() == b"precious"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_cache_file_that_is_no_file_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    planted = _planted(tmp_path)
    if kind == "fifo":
        os.mkfifo(planted)
    elif kind == "folder":
        planted.mkdir()
    else:
        planted.symlink_to("/dev/zero")
    code, stderr = _verify_with_cache(tmp_path, tmp_path / "cache")
    # Before: "disk I/O error … check the disk space", which sent the user the wrong way.
    one_clear_line(code, stderr, "不是普通文件")
