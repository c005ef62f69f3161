"""The captcha prompt: the image drawn in the terminal, the person's answer read back.

Only the CLI talks to people, so the solver that asks them lives here; the national lookup is
handed it as a ``CaptchaSolver`` and never prints. The prompt shares the terminal with the
progress bar through a ``SharedTerminal`` it is given (the bar steps aside while the person
types, and tells the prompt how many lookups are left), not through anything global.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO, cast

from certcheck.sources.captcha import (
    GROUP,
    CaptchaError,
    CaptchaSolver,
    ImageFiles,
    NoSolver,
    NoSolverError,
)
from certcheck.sources.plugins import construct, load_plugin

log = logging.getLogger(__name__)


class SharedTerminal(Protocol):
    """What else draws on the terminal while a person answers a captcha (the progress bar)."""

    def suspended(self) -> AbstractContextManager[None]:
        """Off the screen while the prompt uses the terminal; back afterwards."""

    def status_line(self) -> str | None:
        """How many lookups are left and when the run should end, or None to say nothing."""


#: The widest the image is drawn, in terminal columns (one pixel per column).
MAX_PICTURE_WIDTH = 100
#: Narrower than this, the image would be unreadable: only its file is offered.
MIN_PICTURE_WIDTH = 24
#: An image from the network larger than this is not decoded for the terminal at all.
MAX_PICTURE_PIXELS = 4_000_000


def render_halfblocks(
    image: bytes, max_width: int = MAX_PICTURE_WIDTH, *, colours: str = "truecolor"
) -> str | None:
    """The image as rows of "▀" with the upper pixel as foreground and the lower one as
    background, or None when it cannot be decoded (a broken or oversized image).

    ``colours`` is ``"truecolor"`` (24-bit escapes) or ``"256"`` for terminals that only know
    the xterm palette. Transparent pixels are drawn on white, as a browser shows them, and an
    image wider than ``max_width`` is scaled down to it.
    """
    # Imported here: Pillow is a dependency, but only a captcha needs it.
    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.width * opened.height > MAX_PICTURE_PIXELS:
                return None  # no captcha is that large; not worth decoding for a terminal
            opened.load()
            rgba = opened.convert("RGBA")
    except Exception:  # any decoder error: the saved file is still there to open
        return None
    picture = Image.new("RGB", rgba.size, (255, 255, 255))
    picture.paste(rgba, mask=rgba.getchannel("A"))
    width, height = picture.size
    max_width = max(1, max_width)
    if width > max_width:
        height = max(1, round(height * max_width / width))
        width = max_width
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    pixels = picture.load()
    if pixels is None:
        return None
    fg, bg = _escapes(colours)
    lines = []
    for y in range(0, height, 2):
        cells = []
        for x in range(width):
            top = pixels[x, y]
            assert isinstance(top, tuple)
            if y + 1 < height:
                bottom = pixels[x, y + 1]
                assert isinstance(bottom, tuple)
                cells.append(f"{fg(top)}{bg(bottom)}▀")
            else:  # an odd last row: its lower half is the terminal's own background
                cells.append(f"{fg(top)}\x1b[49m▀")
        lines.append("".join(cells) + "\x1b[0m")
    return "\n".join(lines)


def _escapes(
    colours: str,
) -> tuple[Callable[[tuple[int, ...]], str], Callable[[tuple[int, ...]], str]]:
    if colours == "256":
        from rich.color import Color, ColorSystem

        def number(rgb: tuple[int, ...]) -> int:
            downgraded = Color.from_rgb(*rgb[:3]).downgrade(ColorSystem.EIGHT_BIT)
            return downgraded.number or 0

        return (lambda rgb: f"\x1b[38;5;{number(rgb)}m"), (lambda rgb: f"\x1b[48;5;{number(rgb)}m")
    return (
        lambda rgb: "\x1b[38;2;{};{};{}m".format(*rgb[:3]),
        lambda rgb: "\x1b[48;2;{};{};{}m".format(*rgb[:3]),
    )


def _colours_of(stream: TextIO) -> str:
    """24-bit colour where the terminal says it has it, else the 256-colour palette (a
    terminal that misreads 24-bit escapes shows garbage; nearly every one knows 256)."""
    from rich.console import Console

    system = Console(file=stream, force_terminal=True).color_system
    return "truecolor" if system in ("truecolor", "windows") else "256"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _columns_of(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size().columns


def _console_stream(stream: TextIO) -> TextIO:
    """The real stream behind a rich ``FileProxy``: the proxy holds text back until a newline
    and then adds one, which would move the answer to the line under the prompt."""
    inner = getattr(stream, "rich_proxied_file", None)
    return cast("TextIO", inner) if inner is not None else stream


# --- the system image viewer, where there is a desktop -------------------------------------


def desktop_opener(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> list[str] | None:
    """The command that shows a file in the desktop's own viewer, or None where no desktop is
    at hand: a server console, or an SSH session without a forwarded display (a viewer opened
    there would appear on the remote machine's screen, not the person's)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    remote = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))
    if platform == "darwin":
        return None if remote else ["open"]
    if platform.startswith(("win32", "cygwin")):
        return None if remote else ["start"]
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        found = shutil.which("xdg-open", path=env.get("PATH"))
        return [found] if found else None
    return None


def open_in_viewer(opener: list[str], path: Path) -> str | None:
    """Show ``path`` with ``opener`` without waiting for it; the problem, or None."""
    try:
        if opener == ["start"] and hasattr(os, "startfile"):
            os.startfile(str(path))  # the Windows shell's own association
            return None
        process = subprocess.Popen(
            [*opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        return f"{opener[0]}: {exc.strerror or exc}"
    # Reaped in the background: xdg-open and open return at once, a viewer may stay.
    threading.Thread(target=process.wait, name="certcheck-viewer", daemon=True).start()
    return None


PROMPT = "验证码（captcha）： "
HELP = "输入图中字符后回车；直接回车换一张；Ctrl-C 停止（type the characters, then Enter）\n"
#: Typed alone at the prompt: show the image in the desktop's viewer.
VIEWER_KEY = "?"
VIEWER_HELP = "输入 ? 回车：用看图程序打开（? then Enter: open it in the image viewer）\n"
VIEWER_FAILED = "看图程序打不开（the image viewer did not start）："
VIEWER_OPENED = "已在看图程序中打开（opened in the image viewer）\n"
NO_DESKTOP = "没有桌面，无法用看图程序打开；图片画在终端里（no desktop to open a viewer on）\n"
REJECTED = (
    "✗ 前面输入的一个验证码不正确，该查询将换一张图片重查（an earlier answer was not "
    "accepted）\n"
)
#: Said when an answer could not be used because its captcha had expired meanwhile.
EXPIRED = (
    "验证码在答案送达前已过期（不是输入错误），请输入这一张新的（an earlier captcha expired "
    "before its answer could be used）\n"
)
SKIPPED = "换一张（a new image）\n"
TOO_NARROW = "终端太窄，无法显示图片（the terminal is too narrow to draw the image）\n"
#: Before the path of the image file.
SAVED = "图片文件（captcha image）："
INPUT_CLOSED = (
    "\n输入已结束（Ctrl-D），不再询问验证码；其余人员记为未核验（input closed）\n"
)
#: Why no more captchas are asked once the person closed the input.
CLOSED = "询问验证码时输入已结束（standard input closed）"


def _fitted(text: str, columns: int) -> str:
    """``text`` broken into lines for a terminal ``columns`` wide, by the rules of Chinese text
    (``linebreak``), rather than wherever the terminal runs out of room."""
    from certcheck.cli.linebreak import wrap

    return "\n".join(wrap(text, max(columns - 1, 20)))


class PromptSolver(CaptchaSolver):
    """Shows the captcha in the terminal (and as a file) and asks the person for it.

    One person answers one captcha at a time: lookups take turns (``turn``), and the source
    fetches the next image while the person types. A rejected answer is said at the next
    prompt. Where a desktop is at hand, ``?`` opens the image in the system viewer;
    ``viewer=True`` (``--captcha viewer``) opens every image there as well.
    """

    name = "prompt"
    description = ("在终端显示验证码图片，由人输入；在终端运行时默认使用，输入 ? 用看图程序打开"
                   "（a person at the terminal）")
    one_at_a_time = True

    def __init__(
        self,
        *,
        stream_in: TextIO | None = None,
        stream_out: TextIO | None = None,
        width: int | None = None,
        colours: str | None = None,
        viewer: bool = False,
        opener: list[str] | Literal["detect"] | None = "detect",
        terminal: SharedTerminal | None = None,
    ) -> None:
        self._in = stream_in
        self._terminal = terminal
        self._out = stream_out
        self._width = width
        self._colours = colours
        self._viewer = viewer
        self._opener = desktop_opener() if opener == "detect" else opener
        self._files = ImageFiles()
        self._closed_reason: str | None = None
        self._prompts = 0
        self._skipped = False
        self._rejections = 0
        self._expirations = 0

    @classmethod
    def from_spec(
        cls, arg: str | None, *, interactive: bool, terminal: SharedTerminal | None = None
    ) -> CaptchaSolver:
        if not interactive:
            return NoSolver(
                f"--captcha {cls.name} 需要在终端中显示图片并询问；无人值守时请用 "
                "--captcha command:程序（needs a terminal）"
            )
        return cls(terminal=terminal)

    def rejected(self) -> None:
        self._rejections += 1

    def expired(self) -> None:
        self._expirations += 1

    async def solve(self, image: bytes, *, attempt: int) -> str:
        async with self.turn():
            if self._closed_reason is not None:
                raise NoSolverError(self._closed_reason)
            path = self._files.write(image)
            with self._step_aside():
                # Looked up only now: while a progress bar is live, sys.stderr is its proxy.
                out = _console_stream(self._out or sys.stderr)
                self._show(out, image, path, attempt)
                line = await self._ask(out, path)
                if line is None:
                    out.write(self._fit(out, INPUT_CLOSED))
                    out.flush()
            if line is None:
                self._closed_reason = CLOSED
                raise NoSolverError(self._closed_reason)
            answer = normalize_answer(line)
            self._skipped = not answer
            if not answer:
                raise CaptchaError("未输入验证码，已换一张新图片（no captcha answer typed）")
            return answer

    def _step_aside(self) -> AbstractContextManager[None]:
        return self._terminal.suspended() if self._terminal is not None else nullcontext()

    def _status(self) -> str | None:
        if self._terminal is None:
            return None
        try:
            return self._terminal.status_line()
        except Exception:  # a status line is never worth a lookup
            log.debug("status line failed", exc_info=True)
            return None

    async def _ask(self, out: TextIO, path: Path) -> str | None:
        """The person's line, after as many ``?`` (open in the viewer) as they like."""
        if self._viewer and self._opener is not None:
            self._open(out, path, quiet=True)
        while True:
            line = await _read_line(self._in or sys.stdin)
            if line is None or normalize_answer(line) != VIEWER_KEY:
                return line
            if self._opener is None:
                out.write(self._fit(out, NO_DESKTOP))
            else:
                self._open(out, path)
            out.write(PROMPT)
            out.flush()

    def _open(self, out: TextIO, path: Path, *, quiet: bool = False) -> None:
        assert self._opener is not None
        problem = open_in_viewer(self._opener, path)
        if problem is not None:
            out.write(self._fit(out, f"{VIEWER_FAILED}{problem}\n"))
        elif not quiet:
            out.write(self._fit(out, VIEWER_OPENED))
        out.flush()

    def _fit(self, out: TextIO, text: str, columns: int | None = None) -> str:
        """``text`` broken for the terminal by the Chinese rules; as it is when ``out`` is no
        terminal (nothing will break its lines there)."""
        if not _is_terminal(out):
            return text
        return _fitted(text, columns if columns is not None else (
            self._width if self._width is not None else _columns_of(out)))

    def _show(self, out: TextIO, image: bytes, path: Path, attempt: int) -> None:
        columns = self._width if self._width is not None else _columns_of(out)
        width = min(MAX_PICTURE_WIDTH, columns - 1)
        picture = None
        if width >= MIN_PICTURE_WIDTH:
            colours = self._colours or _colours_of(out)
            picture = render_halfblocks(image, width, colours=colours)
        drawn = "\n" + (picture + "\n" if picture is not None else "")
        said = [TOO_NARROW] if picture is None and width < MIN_PICTURE_WIDTH else []
        rejected, expired = self._rejections, self._expirations
        self._rejections = self._expirations = 0
        if rejected:
            said.append(REJECTED)
        if expired:
            said.append(EXPIRED)
        if not (rejected or expired) and attempt > 1 and self._skipped:
            said.append(SKIPPED)
        said.append(f"{SAVED}{path}\n")
        if self._prompts == 0:
            said.append(HELP)
            if self._opener is not None:
                said.append(VIEWER_HELP)
            elif self._viewer:
                said.append(NO_DESKTOP)
        status = self._status()
        if status:
            said.append(status + "\n")
        self._prompts += 1
        out.write(drawn + self._fit(out, "".join(said), columns) + PROMPT)
        out.flush()

    async def aclose(self) -> None:
        self._files.remove()


class ViewerSolver(PromptSolver):
    """``--captcha viewer``: the prompt, with every image also opened in the desktop's viewer
    (where there is none, as over SSH, the terminal drawing alone)."""

    name = "viewer"
    description = "同 prompt，并把每张图片在桌面的看图程序中打开（prompt + the image viewer）"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("viewer", True)
        super().__init__(**kwargs)


def normalize_answer(text: str) -> str:
    """What a person typed, as the service compares it: NFKC (a Chinese input method in
    full-width mode types ``ａｂ１２``) and no spaces anywhere."""
    return "".join(unicodedata.normalize("NFKC", text).split())


async def _read_line(stream: TextIO) -> str | None:
    """One line from ``stream`` without blocking the event loop, or None at end of input.

    A daemon thread rather than ``asyncio.to_thread``: on Ctrl-C the loop's default executor is
    joined at shutdown, which would wait for the person to press Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def deliver(value: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def read() -> None:
        try:
            line = stream.readline()
        except BaseException as exc:  # handed to the awaiting task, not lost in the thread
            loop.call_soon_threadsafe(deliver, None, exc)
            return
        loop.call_soon_threadsafe(deliver, line if line else None, None)

    threading.Thread(target=read, name="certcheck-captcha-input", daemon=True).start()
    return await future


def load_solver(
    spec: str | None, interactive: bool, *, terminal: SharedTerminal | None = None
) -> CaptchaSolver:
    """``prompt``, ``command:PROGRAM`` or a plugin's name → a solver.

    With no spec the person at the terminal is asked, or, with nobody there, a NoSolver that
    makes every lookup fail with ``captcha_failed`` saying why. ``terminal`` is what the prompt
    shares the screen with. Raises SourceError for an unknown or broken solver.
    """
    if spec is None or not spec.strip():
        if interactive:
            return PromptSolver(terminal=terminal)
        from certcheck.sources.mem import NO_SOLVER

        return NoSolver(NO_SOLVER)
    name, sep, arg = spec.strip().partition(":")
    entry, found = load_plugin(GROUP, name, CaptchaSolver)
    loaded = cast("type[CaptchaSolver]", found)
    given = arg if sep else None
    if issubclass(loaded, PromptSolver):
        prompting = loaded
        return construct(entry, lambda: prompting.from_spec(
            given, interactive=interactive, terminal=terminal), CaptchaSolver)
    return construct(entry, lambda: loaded.from_spec(given, interactive=interactive),
                     CaptchaSolver)
