"""Captcha solvers: the person at the terminal, an external program, or nobody."""

from __future__ import annotations

import asyncio
import contextlib
import io
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from certcheck.sources import captcha
from certcheck.sources.captcha import (
    CaptchaError,
    CommandSolver,
    NoSolver,
    NoSolverError,
    PromptSolver,
    load_solver,
    render_halfblocks,
)
from certcheck.sources.interface import SourceError
from mem_server import CAPTCHA_PNG


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "solver.py"
    path.write_text("import sys, os, time\n" + body)
    return f"{sys.executable} {path}"


def test_default_is_the_prompt_at_a_terminal_and_nobody_without_one() -> None:
    assert isinstance(load_solver(None, interactive=True), PromptSolver)
    assert isinstance(load_solver(None, interactive=False), NoSolver)
    unattended = load_solver("prompt", interactive=False)
    assert isinstance(unattended, NoSolver) and "command:PROGRAM" in unattended.problem


def test_command_and_unknown_solvers(tmp_path: Path) -> None:
    solver = load_solver(f"command:{sys.executable} -c pass", interactive=False)
    assert isinstance(solver, CommandSolver)
    assert solver.argv == [sys.executable, "-c", "pass"]
    with pytest.raises(SourceError, match="needs a program"):
        load_solver("command:", interactive=False)
    with pytest.raises(SourceError, match=r"unknown captcha solver .ocr.*command.*prompt"):
        load_solver("ocr", interactive=True)


def test_command_solver_gets_a_private_image_file_and_its_stdout_is_the_answer(
    tmp_path: Path,
) -> None:
    seen = tmp_path / "seen.txt"
    program = script(tmp_path, f"""
p = sys.argv[1]
mode = os.stat(p).st_mode & 0o777
data = open(p, 'rb').read()
open({str(seen)!r}, 'w').write(f"{{p}} {{mode:o}} {{data[:4]!r}}")
print('  ab12  ')
""")
    solver = load_solver(f"command:{program}", interactive=False)
    assert asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1)) == "ab12"
    path, mode, head = seen.read_text().split(" ", 2)
    assert path.endswith(".png") and mode == "600" and head == repr(CAPTCHA_PNG[:4])
    assert not Path(path).exists()  # removed once answered
    asyncio.run(solver.aclose())


@pytest.mark.parametrize(
    ("body", "message"),
    [("sys.exit(3)", "exited with 3"), ("pass", "printed nothing"),
     ("time.sleep(5)", "longer than")],
)
def test_command_solver_failures_are_captcha_errors(tmp_path: Path, body: str,
                                                    message: str) -> None:
    solver = CommandSolver.from_spec(script(tmp_path, body), interactive=False)
    assert isinstance(solver, CommandSolver)
    solver._timeout = 0.5
    with pytest.raises(CaptchaError, match=message) as caught:
        asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1))
    assert not isinstance(caught.value, NoSolverError)


def test_missing_program_means_no_solver(tmp_path: Path) -> None:
    solver = CommandSolver([str(tmp_path / "missing-program")])
    with pytest.raises(NoSolverError, match="cannot run"):
        asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1))


def test_halfblock_rendering_uses_truecolour_cells() -> None:
    pytest.importorskip("PIL")
    text = render_halfblocks(CAPTCHA_PNG)
    assert text is not None
    lines = text.split("\n")
    assert len(lines) == 10  # 20 pixel rows, two per character row
    assert lines[0].count("▀") == 60
    assert "\x1b[38;2;30;60;200m" in text and "\x1b[48;2;240;240;230m" in text
    assert render_halfblocks(b"not an image") is None


def test_prompt_shows_saves_and_reads_the_answer(tmp_path: Path) -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO(" x7Kp \n"), stream_out=out)
    assert asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1)) == "x7Kp"
    shown = out.getvalue()
    saved = Path(shown.split("captcha image saved at ")[1].split()[0])
    assert saved.read_bytes() == CAPTCHA_PNG
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert "验证码" in shown
    asyncio.run(solver.aclose())
    assert not saved.exists()


def test_prompts_are_one_at_a_time_and_end_of_input_stops_asking() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("aaaa\nbbbb\n"), stream_out=out)

    async def main() -> list[str | BaseException]:
        return await asyncio.gather(
            *(solver.solve(CAPTCHA_PNG, attempt=1) for _ in range(3)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert results[:2] == ["aaaa", "bbbb"]
    assert isinstance(results[2], NoSolverError)
    prompts = out.getvalue().split("验证码 / captcha: ")
    assert len(prompts) == 4  # three prompts, each complete before the next
    with pytest.raises(NoSolverError):
        asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1))


def test_prompt_asks_the_progress_bar_to_step_aside() -> None:
    events: list[str] = []

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        events.append("pause")
        yield
        events.append("resume")

    captcha.set_terminal_guard(guard)
    try:
        solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=io.StringIO())
        asyncio.run(solver.solve(CAPTCHA_PNG, attempt=2))
    finally:
        captcha.set_terminal_guard(None)
    assert events == ["pause", "resume"]


def test_no_solver_fails_every_time_but_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    solver = NoSolver("nobody here")
    for _ in range(3):
        with pytest.raises(NoSolverError, match="nobody here"):
            asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1))
    assert sum("nobody here" in r.getMessage() for r in caplog.records) == 1
