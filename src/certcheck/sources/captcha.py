"""Who answers the national lookup's image captcha.

The captcha exists to keep robots out, and certcheck does not break it: the default solver shows
the image to the person at the terminal. Other solvers (``command:PROGRAM`` or plugins in the
``certcheck.captcha_solvers`` entry-point group) are the user's own choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TextIO, TypeVar, cast

from certcheck.sources.interface import SourceError
from certcheck.sources.plugins import load_plugin

GROUP = "certcheck.captcha_solvers"
log = logging.getLogger(__name__)


class CaptchaError(Exception):
    """This attempt produced no answer; a new captcha may do better."""


class NoSolverError(CaptchaError):
    """No answer can come from this solver at all; every lookup would fail the same way."""


class CaptchaSolver(ABC):
    """Turns a captcha image into the characters it shows."""

    name: ClassVar[str]
    #: Answers one captcha at a time (a person, or a program that asks one): lookups take
    #: turns (``turn``), and the next image is fetched while it works on the current one.
    one_at_a_time: ClassVar[bool] = False
    # Set up lazily, so that a plugin's subclass need not call ``__init__``.
    _turn_holder: asyncio.Task[Any] | None = None
    _turn_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @classmethod
    @abstractmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        """Build from the part of ``--captcha`` after the colon; SourceError when unusable."""

    @abstractmethod
    async def solve(self, image: bytes, *, attempt: int) -> str:
        """The answer for ``image``; ``attempt`` counts from 1 for the same query.

        Raises CaptchaError for this image only, NoSolverError when no answer can ever come.
        """

    def turn(self) -> AbstractAsyncContextManager[None]:
        """Held by one lookup from taking its captcha until the solver has answered it.

        A solver that answers one captcha at a time (``one_at_a_time``) makes lookups take
        turns, so that images are shown one by one, each fresh; an image skipped without an
        answer is followed at once by the next one for the same lookup. The turn is reentrant
        for the task holding it. By default lookups run freely.
        """
        if not self.one_at_a_time:
            return contextlib.nullcontext()
        return self._turn()

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._turn_holder is task:
            yield  # ``solve`` inside a lookup's turn
            return
        async with self._turn_lock():
            self._turn_holder = task
            try:
                yield
            finally:
                self._turn_holder = None

    def _turn_lock(self) -> asyncio.Lock:
        # One lock per event loop, since a lock cannot be shared between loops (one per
        # ``asyncio.run``).
        loop = asyncio.get_running_loop()
        locks = self._turn_locks
        if locks is None or loop not in locks:
            locks = self._turn_locks = {loop: asyncio.Lock()}
        return locks[loop]

    def rejected(self) -> None:  # noqa: B027 - optional hook
        """The service turned down the last answer this solver gave (the lookup asks again
        with a new image). A person is told at the next prompt."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Remove temporary files."""


def image_suffix(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return ".png"
    if image.startswith(b"GIF8"):
        return ".gif"
    if image.startswith(b"\xff\xd8"):
        return ".jpg"
    return ".img"


class _ImageFiles:
    """A private (0700) directory for captcha images, each file 0600: they may be shown to
    other programs, but not to other users."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._count = 0
        self._lock = threading.Lock()

    def write(self, image: bytes) -> Path:
        with self._lock:
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="certcheck-captcha-"))
            self._count += 1
            path = self._dir / f"captcha-{self._count}{image_suffix(image)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(image)
        return path

    def remove(self) -> None:
        with self._lock:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None


# --- the terminal is shared with the progress bar -----------------------------------------

_terminal_guard: Callable[[], AbstractContextManager[None]] | None = None


def set_terminal_guard(guard: Callable[[], AbstractContextManager[None]] | None) -> None:
    """Register what must step aside (a live progress bar) while a person answers a captcha."""
    global _terminal_guard
    _terminal_guard = guard


@contextlib.contextmanager
def _terminal() -> Iterator[None]:
    guard = _terminal_guard
    if guard is None:
        yield
    else:
        with guard():
            yield


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
    background, or None when it cannot be decoded (Pillow missing or a broken image).

    ``colours`` is ``"truecolor"`` (24-bit escapes) or ``"256"`` for terminals that only know
    the xterm palette. Transparent pixels are drawn on white, as a browser shows them, and an
    image wider than ``max_width`` is scaled down to it.
    """
    try:
        from PIL import Image
    except ImportError:
        return None
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


# --- what the person at the prompt is told of the run -------------------------------------

_status_line: Callable[[], str | None] | None = None


def set_status_line(provider: Callable[[], str | None] | None) -> None:
    """Register what tells the person at the prompt how many lookups are left and when the
    run should end (the progress bar, which steps aside while they type)."""
    global _status_line
    _status_line = provider


def _status() -> str | None:
    provider = _status_line
    if provider is None:
        return None
    try:
        return provider()
    except Exception:  # a status line is never worth a lookup
        log.debug("status line failed", exc_info=True)
        return None


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


PROMPT = "验证码 / captcha: "
HELP = (
    "输入图中字符后回车；直接回车换一张；Ctrl-C 停止\n"
    "Type the characters, Enter. Empty: new image. Ctrl-C: stop\n"
)
#: Typed alone at the prompt: show the image in the desktop's viewer.
VIEWER_KEY = "?"
VIEWER_HELP = "输入 ? 回车：用看图程序打开 / ? then Enter: open it in the image viewer\n"
VIEWER_OPENED = "已在看图程序中打开 / opened in the image viewer\n"
NO_DESKTOP = (
    "没有桌面，无法用看图程序打开；图片画在终端里 / "
    "no desktop here to open a viewer on; the image is drawn in the terminal\n"
)
REJECTED = (
    "✗ 前面输入的一个验证码不正确，将换一张重查 / "
    "an earlier answer was not accepted; that lookup asks again with a new image\n"
)
SKIPPED = "换一张 / a new image\n"
INPUT_CLOSED = (
    "\n输入已结束（Ctrl-D），不再询问验证码；其余人员记为未核验\n"
    "input closed (Ctrl-D): no more captchas are asked; the rest stay unverified\n"
)


class PromptSolver(CaptchaSolver):
    """Shows the captcha in the terminal (and as a file) and asks the person for it.

    One person answers one captcha at a time: lookups take turns (``turn``), and the source
    fetches the next image while the person types. A rejected answer is said at the next
    prompt. Where a desktop is at hand, ``?`` opens the image in the system viewer;
    ``viewer=True`` (``--captcha viewer``) opens every image there as well.
    """

    name = "prompt"
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
    ) -> None:
        self._in = stream_in
        self._out = stream_out
        self._width = width
        self._colours = colours
        self._viewer = viewer
        self._opener = desktop_opener() if opener == "detect" else opener
        self._files = _ImageFiles()
        self._closed_reason: str | None = None
        self._prompts = 0
        self._skipped = False
        self._rejections = 0

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        if not interactive:
            return NoSolver(
                f"--captcha {cls.name} needs a terminal to show the image and ask; "
                "use --captcha command:PROGRAM when running unattended"
            )
        return cls()

    def rejected(self) -> None:
        self._rejections += 1

    async def solve(self, image: bytes, *, attempt: int) -> str:
        async with self.turn():
            if self._closed_reason is not None:
                raise NoSolverError(self._closed_reason)
            path = self._files.write(image)
            with _terminal():
                # Looked up only now: while a progress bar is live, sys.stderr is its proxy.
                out = _console_stream(self._out or sys.stderr)
                self._show(out, image, path, attempt)
                line = await self._ask(out, path)
                if line is None:
                    out.write(INPUT_CLOSED)
                    out.flush()
            if line is None:
                self._closed_reason = "standard input closed while asking for a captcha"
                raise NoSolverError(self._closed_reason)
            answer = normalize_answer(line)
            self._skipped = not answer
            if not answer:
                raise CaptchaError("未输入验证码，已换一张新图片（no captcha answer typed）")
            return answer

    async def _ask(self, out: TextIO, path: Path) -> str | None:
        """The person's line, after as many ``?`` (open in the viewer) as they like."""
        if self._viewer and self._opener is not None:
            self._open(out, path, quiet=True)
        while True:
            line = await _read_line(self._in or sys.stdin)
            if line is None or normalize_answer(line) != VIEWER_KEY:
                return line
            if self._opener is None:
                out.write(NO_DESKTOP)
            else:
                self._open(out, path)
            out.write(PROMPT)
            out.flush()

    def _open(self, out: TextIO, path: Path, *, quiet: bool = False) -> None:
        assert self._opener is not None
        problem = open_in_viewer(self._opener, path)
        if problem is not None:
            out.write(f"看图程序打不开 / the image viewer did not start: {problem}\n")
        elif not quiet:
            out.write(VIEWER_OPENED)
        out.flush()

    def _show(self, out: TextIO, image: bytes, path: Path, attempt: int) -> None:
        columns = self._width if self._width is not None else _columns_of(out)
        width = min(MAX_PICTURE_WIDTH, columns - 1)
        picture = None
        if width >= MIN_PICTURE_WIDTH:
            colours = self._colours or _colours_of(out)
            picture = render_halfblocks(image, width, colours=colours)
        parts = ["\n"]
        if picture is not None:
            parts.append(picture + "\n")
        elif width < MIN_PICTURE_WIDTH:
            parts.append("终端太窄，无法显示图片 / the terminal is too narrow to draw the image\n")
        if self._rejections:
            parts.append(REJECTED)
            self._rejections = 0
        elif attempt > 1 and self._skipped:
            parts.append(SKIPPED)
        parts.append(f"图片文件 / captcha image saved at {path}\n")
        if self._prompts == 0:
            parts.append(HELP)
            if self._opener is not None:
                parts.append(VIEWER_HELP)
            elif self._viewer:
                parts.append(NO_DESKTOP)
        status = _status()
        if status:
            parts.append(status + "\n")
        parts.append(PROMPT)
        self._prompts += 1
        out.write("".join(parts))
        out.flush()

    async def aclose(self) -> None:
        self._files.remove()


class ViewerSolver(PromptSolver):
    """``--captcha viewer``: the prompt, with every image also opened in the desktop's viewer
    (where there is none, as over SSH, the terminal drawing alone)."""

    name = "viewer"

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


#: An answer is four characters; a program printing more than this is broken, and reading
#: all of it (``command:cat /dev/zero``) would fill memory.
MAX_PROGRAM_OUTPUT = 4096


class OutputTooLong(Exception):
    pass


async def _read_at_most(stream: asyncio.StreamReader | None, limit: int) -> bytes:
    if stream is None:
        return b""
    data = bytearray()
    while chunk := await stream.read(limit + 1 - len(data)):
        data += chunk
        if len(data) > limit:
            raise OutputTooLong
    return bytes(data)


async def _drain(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.read(65536):
        pass


async def _bounded_output(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """stdout and stderr of a program that must print little; OutputTooLong kills it."""
    readers = [
        asyncio.ensure_future(_read_at_most(stream, MAX_PROGRAM_OUTPUT))
        for stream in (process.stdout, process.stderr)
    ]
    try:
        stdout, stderr = await asyncio.gather(*readers)
    except OutputTooLong:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        process.kill()
        # asyncio's wait() also waits for the pipes to reach EOF, so what the killed program
        # left in them is read and dropped.
        await asyncio.gather(_drain(process.stdout), _drain(process.stderr))
        await process.wait()
        raise
    await process.wait()
    return stdout, stderr


class CommandSolver(CaptchaSolver):
    """``command:PROGRAM``: PROGRAM gets the image file's path and prints the answer.

    One image at a time, as a person answers: PROGRAM may be one that asks somebody (a
    dialog), and while it works the source fetches the next image and sends the last answer.
    """

    name = "command"
    one_at_a_time = True
    timeout: ClassVar[float] = 60.0

    def __init__(self, argv: list[str], *, timeout: float | None = None) -> None:
        self.argv = argv
        self._timeout = timeout if timeout is not None else self.timeout
        self._files = _ImageFiles()

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        if not arg or not arg.strip():
            raise SourceError(
                "--captcha command:程序 需要给出程序（--captcha command:PROGRAM needs a program）"
            )
        # A program path with spaces in it is taken whole; otherwise extra words are arguments.
        argv = [arg] if Path(arg).is_file() else shlex.split(arg)
        if not argv:
            raise SourceError(
                "--captcha command:程序 需要给出程序（--captcha command:PROGRAM needs a program）"
            )
        return cls(argv)

    async def solve(self, image: bytes, *, attempt: int) -> str:
        async with self.turn():
            return await self._run(image)

    async def _run(self, image: bytes) -> str:
        path = self._files.write(image)
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                str(path),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise NoSolverError(
                f"无法运行验证码程序 {self.argv[0]!r}（cannot run captcha program: {exc}）"
            ) from None
        try:
            stdout, stderr = await asyncio.wait_for(_bounded_output(process), self._timeout)
        except OutputTooLong:
            raise CaptchaError(
                f"验证码程序输出超过 {MAX_PROGRAM_OUTPUT} 字节（captcha program printed too much）"
            ) from None
        except TimeoutError:
            process.kill()
            await process.wait()
            raise CaptchaError(
                f"验证码程序超过 {self._timeout:g} 秒未答（captcha program took too long）"
            ) from None
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
            raise
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        if process.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip()[-200:]
            raise CaptchaError(
                f"验证码程序出错退出，代码 {process.returncode}"
                f"（captcha program exited with {process.returncode}）：{tail}"
            )
        answer = stdout.decode("utf-8", "replace").strip()
        if not answer:
            raise CaptchaError("验证码程序没有输出（captcha program printed nothing）")
        return answer

    async def aclose(self) -> None:
        self._files.remove()


class NoSolver(CaptchaSolver):
    """Stands in when nothing can answer: every lookup fails at once instead of hanging."""

    name = "none"

    def __init__(self, problem: str) -> None:
        self.problem = problem
        self._said = False

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        return cls(arg or "no captcha solver configured")

    async def solve(self, image: bytes, *, attempt: int) -> str:
        if not self._said:
            # Once, not once per worker: the same cause applies to all of them.
            self._said = True
            log.warning("没有可用的验证码输入方式（no captcha solver）：%s", self.problem)
        raise NoSolverError(self.problem)


class StaticSolver(CaptchaSolver):
    """Answers every captcha with the same text: for tests and local imitation servers."""

    name = "static"

    def __init__(self, answer: str) -> None:
        self.answer = answer

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        if not arg:
            raise SourceError(
                "--captcha static:文本 需要给出文本（--captcha static:TEXT needs the text）"
            )
        return cls(arg)

    async def solve(self, image: bytes, *, attempt: int) -> str:
        return self.answer


# --- the next captcha, fetched while the solver works on this one --------------------------

#: A captcha lives about two minutes on the national service. One fetched ahead is shown only
#: while younger than this (else a new one is fetched), leaving half a minute to type it.
CAPTCHA_MAX_AGE = 90.0

T = TypeVar("T")


class CaptchaTurns(Generic[T]):
    """Lookups taking turns at a one-at-a-time solver, the next image always ready.

    The lookup holding the turn ``take``s its captcha: the one fetched ahead if it is still
    fresh, else a new one. When another lookup is waiting for the turn, the next captcha is
    fetched at once, in the background, so that it is there when the person has typed this
    one. Nothing is fetched ahead for nobody (the last lookup of a run), nor for a solver
    that runs lookups side by side (each fetches its own image).
    """

    def __init__(
        self,
        solver: CaptchaSolver,
        fetch: Callable[[], Awaitable[T]],
        *,
        max_age: float = CAPTCHA_MAX_AGE,
        monotonic: Callable[[], float] | None = None,
        usable: Callable[[T], bool] = lambda got: True,
    ) -> None:
        self.solver = solver
        self.max_age = max_age
        self._fetch = fetch
        # A captcha fetched ahead that is no captcha (a fault) is dropped, not handed to the
        # next lookup as its failure: that lookup fetches its own.
        self._usable = usable
        # The event loop's clock by default (time.monotonic, unless a test's loop says else).
        self._monotonic = monotonic or (lambda: asyncio.get_running_loop().time())
        self._waiting = 0
        self._ahead: asyncio.Task[tuple[T, float]] | None = None
        #: Captchas fetched ahead, and those of them thrown away, too old or faulty.
        self.fetched_ahead = 0
        self.discarded = 0

    @property
    def waiting(self) -> int:
        """Lookups waiting for the turn."""
        return self._waiting

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        self._waiting += 1
        holding = False
        try:
            async with self.solver.turn():
                self._waiting -= 1
                holding = True
                yield
        finally:
            if not holding:
                self._waiting -= 1

    async def take(self) -> T:
        """The captcha for the lookup holding the turn."""
        got = await self._take_ahead()
        if got is None:
            got = await self._fetch()
        if self.solver.one_at_a_time and self._waiting > 0 and self._ahead is None:
            self._ahead = asyncio.get_running_loop().create_task(
                self._fetch_timed(), name="certcheck-captcha-ahead"
            )
            self.fetched_ahead += 1
        return got

    async def _fetch_timed(self) -> tuple[T, float]:
        got = await self._fetch()
        return got, self._monotonic()

    async def _take_ahead(self) -> T | None:
        task = self._ahead
        if task is None:
            return None
        try:
            # Not cancelled along with a lookup that gives up: the next one takes it then.
            got, fetched_at = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                self._ahead = None
            raise
        except Exception:  # the fetch's own trouble: fetch again, now
            self._ahead = None
            log.debug("captcha fetched ahead failed", exc_info=True)
            return None
        self._ahead = None
        if not self._usable(got):
            self.discarded += 1
            return None
        if self._monotonic() - fetched_at > self.max_age:
            self.discarded += 1
            log.debug("captcha fetched ahead is %.0f s old; fetching a new one",
                      self._monotonic() - fetched_at)
            return None
        return got

    async def aclose(self) -> None:
        task, self._ahead = self._ahead, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def available_solvers() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_solver(spec: str | None, interactive: bool) -> CaptchaSolver:
    """``prompt``, ``command:PROGRAM`` or a plugin's name → a solver.

    With no spec the person at the terminal is asked, or, with nobody there, a NoSolver that
    makes every lookup fail with ``captcha_failed`` saying why. Raises SourceError for an
    unknown or broken solver.
    """
    if spec is None or not spec.strip():
        if interactive:
            return PromptSolver()
        return NoSolver(
            "nobody at a terminal to answer it (没有终端可显示验证码); run certcheck in a "
            "terminal, or give --captcha command:PROGRAM"
        )
    name, sep, arg = spec.strip().partition(":")
    loaded = cast(
        "type[CaptchaSolver]", load_plugin(GROUP, name, CaptchaSolver, "captcha solver")
    )
    return loaded.from_spec(arg if sep else None, interactive=interactive)
