"""What a user sees of the cache and of ID numbers: at a terminal, on a full disk, with a link."""

from __future__ import annotations

import json
import os
import pty
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from confined import MEMORY_LIMIT, TIME_LIMIT, run_confined

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AS_OF = "2026-12-01"
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _samples(tmp_path: Path) -> Path:
    for name in ("roster.xlsx", "registry.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def _verify(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "certcheck", "verify", str(folder / "roster.xlsx"), "--source",
            f"registry:{folder / 'registry.csv'}", "--as-of", AS_OF, "--no-progress", *extra]


def _at_a_terminal(cmd: list[str]) -> tuple[str, str, int]:
    """``cmd`` with its stdout on a real terminal (a pty): what the screen shows, stderr, and
    the exit code."""
    main, child_end = pty.openpty()
    proc = subprocess.Popen(
        cmd, stdout=child_end, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT,) * 2),
    )
    os.close(child_end)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    return shown.decode("utf-8", "replace"), stderr, proc.wait(timeout=TIME_LIMIT)


def test_json_on_a_terminal_shows_no_full_id(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    shown, stderr, code = _at_a_terminal(_verify(folder, "-o", "-"))
    assert code == 1, stderr
    assert FULL_ID.search(shown) is None
    workers = json.loads(shown)["workers"]
    assert len(workers) == 30
    assert any(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", w["id_number"] or "") for w in workers)


def test_json_on_a_terminal_shows_full_ids_when_asked(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    shown, stderr, code = _at_a_terminal(_verify(folder, "-o", "-", "--show-id"))
    assert code == 1, stderr
    assert FULL_ID.search(shown) is not None


def test_json_through_a_pipe_keeps_full_ids_and_files_are_unchanged(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    out = folder / "register.json"
    shown, _, code = _at_a_terminal(_verify(folder, "-o", "-", "-o", str(out)))
    piped = run_confined(_verify(folder, "-o", "-"))
    assert code == piped.returncode == 1
    assert FULL_ID.search(shown) is None
    full = {w["id_number"] for w in json.loads(piped.stdout)["workers"] if w["id_number"]}
    assert full and all(FULL_ID.fullmatch(i) for i in full)
    # The file written beside the terminal output holds the IDs in full, as without -o -.
    in_file = {w["id_number"] for w in json.loads(out.read_text("utf-8"))["workers"]}
    assert full <= in_file


def test_a_cache_folder_that_is_a_link_is_refused_before_the_roster_is_read(
    tmp_path: Path,
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "cache-link"
    link.symlink_to(real)
    missing_roster = tmp_path / "no-such-roster.xlsx"
    done = run_confined([sys.executable, "-m", "certcheck", "verify", str(missing_roster),
                         "--source", "mem", "--mem-url", "http://127.0.0.1:9",
                         "--captcha", "command:true", "--cache-dir", str(link), "-o",
                         str(tmp_path / "out.json")])
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "是一个链接" in lines[0] and "no-such-roster" not in lines[0]
    assert list(real.iterdir()) == []


def _full_disk() -> None:
    # Nothing can be written past the first byte: what a full disk does to SQLite. SIGXFSZ is
    # ignored, as it is kept ignored across exec, so the write fails instead of killing.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT,) * 2)


def test_a_full_disk_is_said_without_advice_to_delete_the_cache(tmp_path: Path) -> None:
    folder = _samples(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "certcheck", "verify", str(folder / "roster.xlsx"), "--source",
         "mem", "--mem-url", "http://127.0.0.1:9", "--captcha", "command:true",
         "--cache-dir", str(tmp_path / "cache"), "-o", str(tmp_path / "out.json")],
        capture_output=True, text=True, timeout=TIME_LIMIT, preexec_fn=_full_disk,
    )
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "缓存" in lines[0] and "磁盘空间" in lines[0] and "--no-cache" in lines[0]
    assert "删除" not in lines[0]
    assert not (tmp_path / "out.json").exists()
