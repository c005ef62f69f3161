"""The captcha prompt in a real terminal: ``certcheck verify --source mem`` in a pseudo-terminal
against the stand-in server, with a person typing (the test writes keys to the terminal, as a
keyboard would): an answer, a wrong answer, Ctrl-C, Ctrl-D, and the image viewer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from certcheck.cli import prompt as captcha
from certcheck.cli.prompt import PromptSolver, desktop_opener
from factories import nth_id
from mem_server import CAPTCHA_PNG, MemServer, api_record

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals only")

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>]")
AS_OF = "2026-11-29"


class Terminal:
    """A process on the slave side of a pty; what it draws is read from the master side."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 110, 0, 0))

        def controlling_terminal() -> None:  # the pty becomes the session's terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        self._raw = b""

    @property
    def screen(self) -> str:
        return ANSI.sub("", self._raw.decode("utf-8", "replace")).replace("\r", "")

    def read_until(self, text: str, timeout: float = 20.0) -> str:
        """Everything drawn so far (escape codes removed), once ``text`` is on the screen."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen}")
            if not self._read(min(left, 0.2)) and self.process.poll() is not None:
                self._read(0.1)
                if text not in self.screen:
                    raise AssertionError(f"exited before {text!r}; the screen:\n{self.screen}")
        return self.screen

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the other side is closed
            return False
        self._raw += data
        return bool(data)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def prompts(self) -> int:
        return self.screen.count(captcha.PROMPT.strip())

    def wait_for_prompt(self, number: int, timeout: float = 20.0) -> str:
        """The screen once the ``number``-th captcha prompt is on it."""
        deadline = time.monotonic() + timeout
        while self.prompts() < number:
            if time.monotonic() > deadline or (
                not self._read(0.2) and self.process.poll() is not None
            ):
                raise AssertionError(f"no prompt {number}; the screen:\n{self.screen}")
        return self.screen

    def finish(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.process.poll() is None:
            self.process.kill()
            raise AssertionError(f"still running; the screen:\n{self.screen}")
        while self._read(0.05):
            pass
        os.close(self.master)
        return self.process.returncode


@pytest.fixture
def server() -> Iterator[MemServer]:
    registry = {nth_id(i): [api_record(f"工人{i}", nth_id(i))] for i in range(2)}
    with MemServer(registry) as running:
        yield running


def verify(tmp_path: Path, server: MemServer, *extra: str, env: dict[str, str] | None = None,
           ) -> Terminal:
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"工人{i},{nth_id(i)},T{nth_id(i)},低压电工\n" for i in range(2)), "utf-8")
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY")}
    base.update(TERM="xterm-256color", COLUMNS="110", LINES="40", **(env or {}))
    return Terminal([
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
        "--mem-url", server.url, "--as-of", AS_OF, "--enterprise", "测试公司",
        "--cache-dir", str(tmp_path / "cache"), "--rate", "20", "--timeout", "5",
        "-o", str(tmp_path / "out.json"), *extra,
    ], base)


def test_typing_the_answers_checks_everyone(tmp_path: Path, server: MemServer) -> None:
    term = verify(tmp_path, server)
    first = term.read_until(captcha.PROMPT.strip())
    assert "▀" in first  # the picture, drawn in the terminal
    assert captcha.HELP.splitlines()[0] in first
    assert "还剩 2 次查询" in first and "2 lookups left" in first
    assert captcha.SAVED in first
    term.type("abcd\r")
    term.read_until(captcha.PROMPT.strip() + " abcd\n")  # the answer echoed on the prompt line
    term.wait_for_prompt(2)
    term.type("ａｂｃｄ\r")  # a Chinese input method in full-width mode
    assert term.finish() == 0, term.screen
    assert term.prompts() == 2
    assert captcha.REJECTED.splitlines()[0].split(" / ")[0] not in term.screen
    assert "Traceback" not in term.screen


def test_a_wrong_answer_is_said_and_asked_again(tmp_path: Path, server: MemServer) -> None:
    term = verify(tmp_path, server, "--concurrency", "1")
    term.read_until(captcha.PROMPT.strip())
    term.type("zzzz\r")
    term.wait_for_prompt(2)
    second = term.screen.split(captcha.PROMPT.strip())[1]
    assert "前面输入的一个验证码不正确" in second and "not accepted" in second
    term.type("abcd\r")
    term.wait_for_prompt(3)
    term.type("abcd\r")
    assert term.finish() == 0, term.screen
    assert term.screen.count("前面输入的一个验证码不正确") == 1


def test_ctrl_c_at_the_prompt_stops_with_130(tmp_path: Path, server: MemServer) -> None:
    term = verify(tmp_path, server)
    term.read_until(captcha.PROMPT.strip())
    term.type("\x03")
    assert term.finish() == 130
    (said,) = [line for line in term.screen.splitlines() if line.startswith("certcheck:")]
    assert "interrupted" in said
    assert "Traceback" not in term.screen
    assert not (tmp_path / "out.json").exists()


def test_ctrl_d_at_the_prompt_leaves_the_rest_unverified(tmp_path: Path, server: MemServer) -> None:
    term = verify(tmp_path, server)
    term.read_until(captcha.PROMPT.strip())
    term.type("\x04")
    assert term.finish() == 3  # incomplete: nobody found wrong, but nobody verified
    assert "输入已结束（Ctrl-D）" in term.screen and "（input closed）" in term.screen
    assert term.screen.count("input closed") == 1
    assert term.prompts() == 1
    assert "Traceback" not in term.screen


def fake_desktop(tmp_path: Path) -> dict[str, str]:
    """A display and an ``xdg-open`` that notes what it was asked to open."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(f"#!/bin/sh\necho \"$1\" >> {tmp_path / 'opened'}\n")
    opener.chmod(0o755)
    return {"DISPLAY": ":99", "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def opened(tmp_path: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 10
    log = tmp_path / "opened"
    while time.monotonic() < deadline:
        lines = log.read_text().split() if log.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"the viewer was not opened {count} times")


def test_captcha_viewer_opens_each_image_and_still_draws_it(tmp_path: Path,
                                                            server: MemServer) -> None:
    term = verify(tmp_path, server, "--captcha", "viewer", env=fake_desktop(tmp_path))
    first = term.read_until(captcha.PROMPT.strip())
    assert "▀" in first and captcha.VIEWER_HELP.strip() in first
    (image,) = opened(tmp_path, 1)
    assert Path(image).read_bytes() == CAPTCHA_PNG
    term.type("abcd\r")
    term.wait_for_prompt(2)
    assert len(opened(tmp_path, 2)) == 2
    term.type("abcd\r")
    assert term.finish() == 0, term.screen


def test_question_mark_opens_the_viewer_and_asks_again(tmp_path: Path, server: MemServer) -> None:
    term = verify(tmp_path, server, env=fake_desktop(tmp_path))
    term.read_until(captcha.PROMPT.strip())
    assert not (tmp_path / "opened").exists()  # the plain prompt opens nothing by itself
    term.type("?\r")
    term.read_until(captcha.VIEWER_OPENED.strip())
    assert len(opened(tmp_path, 1)) == 1
    term.type("abcd\r")
    term.wait_for_prompt(3)  # the first prompt, once more after "?", the second worker
    term.type("abcd\r")
    assert term.finish() == 0, term.screen


def test_over_ssh_without_a_display_the_picture_stays_in_the_terminal(
    tmp_path: Path, server: MemServer,
) -> None:
    term = verify(tmp_path, server, "--captcha", "viewer",
                  env={"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"})
    first = term.read_until(captcha.PROMPT.strip())
    assert "▀" in first and captcha.NO_DESKTOP.strip() in first
    term.type("?\r")
    term.read_until(captcha.NO_DESKTOP.strip() + "\n" + captcha.PROMPT.strip(), timeout=5)
    term.process.send_signal(signal.SIGTERM)
    term.finish()


# --- where a desktop is -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", None),  # a server console
        ({"SSH_CONNECTION": "a b c d"}, "linux", None),
        ({"DISPLAY": ":0"}, "linux", "xdg-open"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", "xdg-open"),
        ({"DISPLAY": "localhost:10.0", "SSH_CONNECTION": "a b c d"}, "linux", "xdg-open"),
        ({}, "darwin", "open"),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", None),  # the Mac's screen is not the person's
        ({}, "win32", "start"),
    ],
)
def test_desktop_detection(tmp_path: Path, env: dict[str, str], platform: str,
                           expected: str | None) -> None:
    (tmp_path / "xdg-open").write_text("#!/bin/sh\n")
    (tmp_path / "xdg-open").chmod(0o755)
    found = desktop_opener({**env, "PATH": str(tmp_path)}, platform)
    assert (Path(found[0]).name if found else None) == expected


def test_no_xdg_open_means_no_viewer(tmp_path: Path) -> None:
    assert desktop_opener({"DISPLAY": ":0", "PATH": str(tmp_path)}, "linux") is None


def test_a_viewer_that_cannot_start_is_said_and_the_prompt_goes_on(tmp_path: Path) -> None:
    import asyncio
    import io

    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("?\nabcd\n"), stream_out=out, width=80,
                          opener=[str(tmp_path / "missing-viewer")])
    assert asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1)) == "abcd"
    assert captcha.VIEWER_FAILED in out.getvalue()
    assert out.getvalue().count(captcha.PROMPT) == 2
    asyncio.run(solver.aclose())


class _LongStatus:
    """A progress bar that has stepped aside and says a long line of how the run stands."""

    def suspended(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def status_line(self) -> str:
        return ("还剩 12 次查询，预计约 2分10秒后完成（12 lookups left, about 2 min 10 s to go）；"
                "其中 3 人的证号需要人工核对，请在核验结束后查看登记表的“输入问题”工作表")


@pytest.mark.parametrize("columns", [60, 80])
def test_the_prompt_breaks_its_lines_by_the_chinese_rules_in_a_narrow_terminal(
    columns: int,
) -> None:
    import asyncio
    import io

    from certcheck.cli.linebreak import cells

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    drawn: list[bytes] = []

    def drain() -> None:  # the terminal's side: a pty holds only a few kilobytes unread
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side is closed
                return
            if not chunk:
                return
            drawn.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with open(slave, "w", encoding="utf-8", closefd=True) as out:
        solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=out,
                              terminal=_LongStatus(), opener=None)
        solver.rejected()
        assert asyncio.run(solver.solve(CAPTCHA_PNG, attempt=2)) == "abcd"
        asyncio.run(solver.aclose())
    reader.join(timeout=10)
    os.close(master)
    shown = b"".join(drawn)
    text = ANSI.sub("", shown.decode("utf-8")).replace("\r", "")
    said = text.split("▀")[-1].split("\n", 1)[1]  # the lines under the picture
    lines = said.splitlines()
    assert lines[-1] == captcha.PROMPT
    for line in lines:
        assert cells(line) < columns, line
        assert not line or line[0] not in "，。、；：”）】！？》」』", line
        assert not line or line[-1] not in "（【“《「『", line
    flat = "".join(lines)
    assert "“输入问题”工作表" in flat
    assert "还剩 12 次查询" in flat and "2分10秒" in flat
    assert any(line.startswith("✗ 前面输入的一个验证码不正确") for line in lines)
