"""Captcha solvers: the person at the terminal, an external program, or nobody."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO, cast

import pytest

from certcheck.cli import prompt as captcha
from certcheck.cli.prompt import PromptSolver, load_solver, render_halfblocks
from certcheck.sources.captcha import (
    CaptchaError,
    CommandSolver,
    NoSolver,
    NoSolverError,
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
    assert isinstance(unattended, NoSolver) and "command:程序" in unattended.problem
    assert unattended.problem.startswith("--captcha prompt 需要在终端中显示图片")


def test_command_and_unknown_solvers(tmp_path: Path) -> None:
    solver = load_solver(f"command:{sys.executable} -c pass", interactive=False)
    assert isinstance(solver, CommandSolver)
    assert solver.argv == [sys.executable, "-c", "pass"]
    with pytest.raises(SourceError, match="needs a program"):
        load_solver("command:", interactive=False)
    with pytest.raises(SourceError, match=r"没有名为 ocr 的验证码识别方式（unknown captcha solver）；已安装：.*command.*prompt"):
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
     ("time.sleep(5)", "超过 0.5 秒未答")],
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
    saved = Path(shown.split(captcha.SAVED)[1].split()[0])
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
    prompts = out.getvalue().split(captcha.PROMPT)
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

    class Bar:
        def suspended(self) -> contextlib.AbstractContextManager[None]:
            return guard()

        def status_line(self) -> str | None:
            return None

    solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=io.StringIO(),
                          terminal=Bar())
    asyncio.run(solver.solve(CAPTCHA_PNG, attempt=2))
    assert events == ["pause", "resume"]


def test_no_solver_fails_every_time_but_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    solver = NoSolver("nobody here")
    for _ in range(3):
        with pytest.raises(NoSolverError, match="nobody here"):
            asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1))
    assert sum("nobody here" in r.getMessage() for r in caplog.records) == 1


# --- the prompt as a person at a terminal meets it ----------------------------------------


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Captcha image folders of solvers a test does not close stay in its own tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def letters_png(size: tuple[int, int] = (160, 60), mode: str = "RGB") -> bytes:
    """A captcha-like image: four dark glyphs on a light (or transparent) background."""
    image_module = pytest.importorskip("PIL.Image")
    draw_module = pytest.importorskip("PIL.ImageDraw")
    background = (0, 0, 0, 0) if mode == "RGBA" else (235, 240, 245)
    picture = image_module.new(mode, size, background)
    draw = draw_module.Draw(picture)
    for i in range(4):
        x = 10 + i * 36
        draw.rectangle((x, 12, x + 20, 48), fill=(20, 40, 160) if mode == "RGB" else (20, 40, 160, 255))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def ask(solver: PromptSolver, image: bytes = CAPTCHA_PNG, attempt: int = 1) -> str:
    return asyncio.run(solver.solve(image, attempt=attempt))


def picture_lines(shown: str) -> list[str]:
    return [line for line in shown.split("\n") if "▀" in line]


def test_picture_fits_a_narrow_terminal() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=out, width=60,
                          colours="truecolor")
    assert ask(solver, letters_png()) == "abcd"
    lines = picture_lines(out.getvalue())
    assert lines and all(line.count("▀") == 59 for line in lines)  # never wraps
    assert len(lines) == 11  # 160x60 scaled to 59x22, two pixel rows per line
    asyncio.run(solver.aclose())


def test_too_narrow_for_a_picture_offers_the_file() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=out, width=20)
    assert ask(solver, letters_png()) == "abcd"
    shown = out.getvalue()
    assert "▀" not in shown and "终端太窄，无法显示图片" in shown and captcha.SAVED in shown
    asyncio.run(solver.aclose())


def test_wide_terminal_keeps_the_picture_at_most_100_columns() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=out, width=300,
                          colours="truecolor")
    ask(solver, letters_png((200, 50)))
    assert {line.count("▀") for line in picture_lines(out.getvalue())} == {100}
    asyncio.run(solver.aclose())


def test_256_colour_terminals_get_palette_escapes() -> None:
    pytest.importorskip("PIL")
    text = render_halfblocks(CAPTCHA_PNG, colours="256")
    assert text is not None
    assert "\x1b[38;5;" in text and "\x1b[48;5;" in text and "38;2;" not in text


def test_transparent_background_is_drawn_white_and_an_odd_last_row_is_left_open() -> None:
    pytest.importorskip("PIL")
    text = render_halfblocks(letters_png((40, 15), mode="RGBA"), colours="truecolor")
    assert text is not None
    assert "\x1b[48;2;255;255;255m" in text and "\x1b[48;2;0;0;0m" not in text
    assert "\x1b[49m▀" in text.split("\n")[-1]  # 15 pixel rows: the last line is half


def test_help_once_then_what_happened_to_the_last_answer() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("wxyz\n\nabcd\n"), stream_out=out, width=80)

    async def one_lookup() -> list[str | BaseException]:
        results: list[str | BaseException] = []
        async with solver.turn():
            for attempt in (1, 2, 3):
                try:
                    results.append(await solver.solve(CAPTCHA_PNG, attempt=attempt))
                except CaptchaError as exc:
                    results.append(exc)
                if attempt == 1:
                    solver.rejected()  # what the source says when the service turns it down
        return results

    results = asyncio.run(one_lookup())
    assert results[0] == "wxyz" and isinstance(results[1], CaptchaError) and results[2] == "abcd"
    first, second, third = out.getvalue().split(captcha.PROMPT)[:3]
    assert captcha.HELP in first and captcha.HELP not in second + third
    assert captcha.REJECTED in second  # the service turned "wxyz" down
    assert captcha.SKIPPED in third and captcha.REJECTED not in third  # Enter alone
    asyncio.run(solver.aclose())


def test_full_width_and_spaced_answers_are_what_the_person_meant() -> None:
    assert captcha.normalize_answer(" ａＢ １２ \n") == "aB12"
    solver = PromptSolver(stream_in=io.StringIO("ｘ７ Ｋp\n"), stream_out=io.StringIO())
    assert ask(solver) == "x7Kp"
    asyncio.run(solver.aclose())


def test_end_of_input_is_said_once_on_the_terminal() -> None:
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO(""), stream_out=out)
    for _ in range(3):
        with pytest.raises(NoSolverError, match="closed"):
            ask(solver)
    shown = out.getvalue()
    assert shown.count("input closed") == 1 and shown.count(captcha.PROMPT) == 1
    asyncio.run(solver.aclose())


def test_a_lookup_keeps_the_turn_so_prompts_never_interleave() -> None:
    solver = PromptSolver(stream_in=io.StringIO("a1\na2\nb1\n"), stream_out=io.StringIO())
    order: list[str] = []

    async def lookup(name: str, tries: int) -> None:
        async with solver.turn():
            for attempt in range(1, tries + 1):
                order.append(f"{name}:{await solver.solve(CAPTCHA_PNG, attempt=attempt)}")
                await asyncio.sleep(0.01)  # the query; another lookup must not cut in

    async def main() -> None:
        await asyncio.gather(lookup("A", 2), lookup("B", 1))

    asyncio.run(main())
    assert order == ["A:a1", "A:a2", "B:b1"]
    asyncio.run(solver.aclose())


def test_prompt_reaches_the_terminal_not_the_progress_bars_proxy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """While rich's bar is live, sys.stderr is a proxy that adds a newline to unfinished
    text; the prompt must be written after the bar stepped aside, on the real stream."""
    from rich.console import Console

    from certcheck.cli.progress import RichProgress

    bar_output = io.StringIO()
    bar = RichProgress(Console(file=bar_output, force_terminal=True, width=80))
    bar.on_start(1)
    try:
        solver = PromptSolver(stream_in=io.StringIO("abcd\n"), width=80, terminal=bar)
        assert ask(solver) == "abcd"
    finally:
        bar.on_finish()
    err = capsys.readouterr().err
    assert err.endswith(captcha.PROMPT)  # the answer is typed on the prompt's line
    assert "▀" in err and captcha.PROMPT not in bar_output.getvalue()
    asyncio.run(solver.aclose())


def test_console_stream_unwraps_a_rich_proxy() -> None:
    from rich.console import Console
    from rich.file_proxy import FileProxy

    real = io.StringIO()
    proxy = FileProxy(Console(file=io.StringIO()), real)
    assert captcha._console_stream(cast("TextIO", proxy)) is real
    assert captcha._console_stream(real) is real


@pytest.mark.parametrize("width", [40, 60, 79, 120])
def test_progress_bar_stays_on_one_line_in_narrow_terminals(width: int) -> None:
    from rich.cells import cell_len
    from rich.console import Console

    from certcheck.cli.progress import RichProgress
    from certcheck.models import Status

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width, color_system=None)
    bar = RichProgress(console)
    bar.on_start(600)
    bar.on_statuses([Status.VALID] * 300 + [Status.FAKE] * 20 + [Status.UNVERIFIED] * 7
                    + [Status.EXPIRED] * 9 + [Status.UNCERTIFIED] * 3)
    bar.on_finish()
    frames = [f for f in re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buffer.getvalue()))
              if f.strip()]
    assert frames and all(cell_len(frame) <= width for frame in frames)
    assert any("/600" in frame for frame in frames)


def test_command_solver_output_is_bounded(tmp_path: Path) -> None:
    import asyncio

    from certcheck.sources.captcha import MAX_PROGRAM_OUTPUT, CaptchaError, CommandSolver

    program = tmp_path / "flood.py"
    program.write_text("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    solver = CommandSolver([sys.executable, str(program)])
    with pytest.raises(CaptchaError, match=str(MAX_PROGRAM_OUTPUT)):
        asyncio.run(solver.solve(b"\x89PNG", attempt=1))
