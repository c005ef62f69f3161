"""``--captcha slider-prompt`` in a real terminal: ``certcheck verify --source samr`` in a
pseudo-terminal against the stand-in lookup, a person reading the ruler under the background and
typing the number under the gap, then accepting (or correcting) it in the close-up.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from certcheck.cli import slider_prompt as slider
from factories import nth_id
from samr_server import SamrServer, lic_record
from test_prompt_pty import Terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals only")

AS_OF = "2026-12-01"
PROMPT = slider.PROMPT.strip()
REFINE = "adjust, or Enter to accept"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SamrServer]:
    people = {nth_id(i): [lic_record(f"工人{i}", nth_id(i), "叉车司机")] for i in range(2)}
    with SamrServer(people, answer_file=tmp_path / "gap.json") as running:
        yield running


def verify(tmp_path: Path, server: SamrServer, *extra: str) -> Terminal:
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"工人{i},{nth_id(i)},{nth_id(i)},叉车司机\n" for i in range(2)), "utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY", "BROWSER")}
    env.update(TERM="xterm-256color", COLUMNS="110", LINES="40")
    return Terminal([
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "samr",
        "--samr-url", server.url, "--as-of", AS_OF, "--enterprise", "测试公司",
        "--no-cache", "--rate", "50", "--timeout", "5", "--concurrency", "1",
        "-o", str(tmp_path / "out.json"), *extra,
    ], env)


def wait_for(term: Terminal, text: str, count: int, timeout: float = 30.0) -> str:
    """The screen once ``text`` is on it ``count`` times."""
    deadline = time.monotonic() + timeout
    while term.screen.count(text) < count:
        if time.monotonic() > deadline or (
            not term._read(0.2) and term.process.poll() is not None
        ):
            raise AssertionError(f"{text!r} not {count} times; the screen:\n{term.screen}")
    return term.screen


def gap(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "gap.json").read_text())["x"])


def results(tmp_path: Path) -> list[tuple[str, str]]:
    data = json.loads((tmp_path / "out.json").read_text("utf-8"))
    return [(w["status"], w["reason"]) for w in data["workers"]]


def test_reading_the_ruler_and_accepting_checks_everyone(tmp_path: Path,
                                                         server: SamrServer) -> None:
    term = verify(tmp_path, server)  # no --captcha, no desktop: the terminal asks
    first = term.read_until(PROMPT)
    assert "▀" in first  # the background, drawn in the terminal
    # Broken into lines by the Chinese rules at the terminal's width: read without them.
    assert re.sub(r"\s", "", slider.HELP) in re.sub(r"\s", "", first)
    ruler = [line for line in first.splitlines() if line.startswith("┼")]
    labels = first.splitlines()[first.splitlines().index(ruler[0]) + 1]
    assert re.match(r"0 +5\d +1\d\d +", labels), labels  # pixels of the 500-pixel background
    term.type(f"{gap(tmp_path)}\r")
    close_up = wait_for(term, REFINE, 1).split(PROMPT)[-1]
    assert f"the piece placed at {gap(tmp_path)}" in close_up and "▀" in close_up
    term.type("\r")
    wait_for(term, PROMPT, 2)
    term.type(f"{gap(tmp_path)}\r")
    wait_for(term, REFINE, 2)
    term.type("\r")
    assert term.finish() == 0, term.screen
    assert results(tmp_path) == [("valid", "ok"), ("valid", "ok")]
    assert server.violations == []
    assert "Traceback" not in term.screen


def test_a_number_corrected_in_the_close_up_is_sent_and_a_miss_is_said(
    tmp_path: Path, server: SamrServer,
) -> None:
    term = verify(tmp_path, server, "--captcha", "slider-prompt")
    wait_for(term, PROMPT, 1)
    term.type(f"{gap(tmp_path) - 15}\r")
    wait_for(term, REFINE, 1)
    term.type(f"{gap(tmp_path)}\r")  # the close-up showed the piece short of the gap
    corrected = wait_for(term, REFINE, 2).split(PROMPT)[-1]
    assert f"accept {gap(tmp_path)}" in corrected
    term.type("\r")
    wait_for(term, PROMPT, 2)
    term.type(f"{gap(tmp_path) + 30}\r")  # the second worker: a miss, accepted
    wait_for(term, REFINE, 3)
    term.type("\r")
    again = wait_for(term, PROMPT, 3).split(REFINE)[-1]
    assert slider.REJECTED.split("（")[0] in again  # said at the next picture
    term.type(f"{gap(tmp_path)}\r")
    wait_for(term, REFINE, 4)
    term.type("\r")
    assert term.finish() == 0, term.screen
    assert results(tmp_path) == [("valid", "ok"), ("valid", "ok")]
    assert server.counts.rejected == 1
    assert term.screen.count(slider.REJECTED.split("（")[0]) == 1


def test_ctrl_d_at_the_slider_leaves_everyone_unverified(tmp_path: Path,
                                                         server: SamrServer) -> None:
    term = verify(tmp_path, server, "--captcha", "slider-prompt")
    wait_for(term, PROMPT, 1)
    term.type("\x04")
    assert term.finish() == 3, term.screen
    assert "输入已结束（Ctrl-D），不再询问滑块" in term.screen
    assert results(tmp_path) == [("unverified", "captcha_failed")] * 2
    assert server.counts.single == 0  # nothing asked about anyone without a passed slider
