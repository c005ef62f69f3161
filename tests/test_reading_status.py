"""A roster being read says so at once, in a real terminal, and nowhere else.

Reading is made slow in a controlled way: the roster reader waits for a gate file that the test
creates only once it has seen the status line on the screen, so the line is shown to appear
while the reading is still going on, however fast or loaded the machine. Once reading ends the
line is gone from the screen (tmux renders it, as a person's terminal would), and the roster's
own summary starts on a line of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from factories import nth_id
from test_cli_verify import official, write_registry, write_roster
from test_prompt_pty import Terminal
from test_terminal import Tmux, needs_tmux

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals only")

#: certcheck with its roster reader waiting for the file named by CERTCHECK_TEST_GATE (after
#: logging the warning CERTCHECK_TEST_WARN, when set).
SLOW_READER = """
import logging, os, sys, time
import certcheck.roster as roster
real = roster.read_roster
def waiting(*args, **kwargs):
    if os.environ.get("CERTCHECK_TEST_WARN"):
        logging.getLogger("certcheck.test").warning(os.environ["CERTCHECK_TEST_WARN"])
    while not os.path.exists(os.environ["CERTCHECK_TEST_GATE"]):
        time.sleep(0.02)
    return real(*args, **kwargs)
roster.read_roster = waiting
sys.argv[0] = "certcheck"
from certcheck.cli import main
main()
"""
STATUS = "正在读取 roster.xlsx"


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    ids = [nth_id(i) for i in range(3)]
    path = write_roster(tmp_path / "roster.xlsx", ["姓名", "身份证号", "操作项目"],
                        [[f"工人{i}", ids[i], "低压电工"] for i in range(3)])
    write_registry(tmp_path / "registry.csv", [official(f"工人{i}", ids[i]) for i in range(3)])
    return path


def _argv(roster: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", SLOW_READER, "verify", str(roster), "--source",
            f"registry:{roster.parent / 'registry.csv'}", "--as-of", "2026-12-01", "--no-cache",
            "-o", str(roster.parent / "out.json"), *extra]


@needs_tmux
def test_the_status_line_shows_while_reading_and_is_gone_after(roster: Path) -> None:
    gate = roster.parent / "gate"
    term = Tmux(80, ["env", f"CERTCHECK_TEST_GATE={gate}", *_argv(roster)], height=30)
    try:
        started = time.monotonic()
        deadline = started + 30
        while STATUS not in term.screen():
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.05)
        shown_after = time.monotonic() - started
        reading = term.screen()
        # Still reading (the gate is shut) and nothing else on the screen yet.
        assert "EXIT=" not in reading and "读取 roster.xlsx [" not in reading
        assert [line for line in reading.splitlines() if line.strip()] == [f"{STATUS} …"]
        gate.touch()
        screen, code = term.wait()
    finally:
        term.close()
    assert code == 0, screen
    assert "正在读取" not in screen and "正在打开数据源" not in screen
    lines = [line for line in screen.splitlines() if line.strip()]
    assert lines[0].startswith("读取 roster.xlsx [Sheet]: 3 人；列:")
    # From the start of a Python process on a loaded machine: generous, but seconds at most.
    assert shown_after < 10


@needs_tmux
def test_a_warning_while_reading_goes_above_the_status_line(roster: Path) -> None:
    gate = roster.parent / "gate"
    warning = "读取时的一条提示"
    term = Tmux(80, ["env", f"CERTCHECK_TEST_GATE={gate}", f"CERTCHECK_TEST_WARN={warning}",
                     *_argv(roster)], height=30)
    try:
        deadline = time.monotonic() + 30
        while STATUS not in term.screen() or warning not in term.screen():
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.05)
        time.sleep(0.5)  # a redraw or two of the status line
        assert [line for line in term.screen().splitlines() if line.strip()] == [
            f"certcheck: 提示：{warning}", f"{STATUS} …"]
        gate.touch()
        screen, code = term.wait()
    finally:
        term.close()
    assert code == 0, screen
    lines = [line for line in screen.splitlines() if line.strip()]
    assert lines[0] == f"certcheck: 提示：{warning}"
    assert lines[1].startswith("读取 roster.xlsx [Sheet]: 3 人；列:")
    assert "正在读取" not in screen


def test_no_status_line_when_stderr_is_not_a_terminal(roster: Path) -> None:
    gate = roster.parent / "gate"
    gate.touch()
    done = subprocess.run(_argv(roster), capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CERTCHECK_TEST_GATE": str(gate)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "正在" not in done.stderr and "正在" not in done.stdout
    assert "读取 roster.xlsx [Sheet]: 3 人" in done.stdout


def test_no_status_line_with_no_progress(roster: Path) -> None:
    gate = roster.parent / "gate"
    gate.touch()
    term = Terminal(_argv(roster, "--no-progress"),
                    env={**os.environ, "CERTCHECK_TEST_GATE": str(gate), "TERM": "xterm"})
    assert term.finish() == 0
    # Everything the terminal was sent, erased lines included.
    assert "正在" not in term.screen
    assert "读取 roster.xlsx [Sheet]: 3 人" in term.screen
