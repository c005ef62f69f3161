"""Who answers the national lookup's image captcha, as a source sees it.

The captcha exists to keep robots out, and certcheck does not break it. A source is handed a
``CaptchaSolver`` and only calls it: the person at the terminal (``certcheck.cli.prompt``, the
CLI's, since only the CLI talks to people), ``command:PROGRAM``, or a plugin in the
``certcheck.captcha_solvers`` entry-point group, as the user chose. Nothing here prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from certcheck.leftovers import make_scratch
from certcheck.sources.interface import SourceError

GROUP = "certcheck.captcha_solvers"
log = logging.getLogger(__name__)


class CaptchaError(Exception):
    """This attempt produced no answer; a new captcha may do better."""


class NoSolverError(CaptchaError):
    """No answer can come from this solver at all; every lookup would fail the same way."""


class SolverBase:
    """What every solver shares, whatever its puzzle: the image captcha's (``CaptchaSolver``)
    and the slider's (``certcheck.sources.slider``). Lookups take turns at a solver that
    answers one puzzle at a time (a person), and the solver hears how its answers fared.
    """

    #: Answers one captcha at a time (a person, or a program that asks one): lookups take
    #: turns (``turn``), and the next image is fetched while it works on the current one.
    one_at_a_time: ClassVar[bool] = False
    # Set up lazily, so that a plugin's subclass need not call ``__init__``.
    _turn_holder: asyncio.Task[Any] | None = None
    _turn_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

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
        # ``asyncio.run``). The table is changed in place: solvers that share turns
        # (``share_turns``) share it.
        loop = asyncio.get_running_loop()
        locks = self._turn_locks
        if locks is None:
            locks = self._turn_locks = {}
        if loop not in locks:
            locks.clear()  # an earlier loop's lock is of no more use
            locks[loop] = asyncio.Lock()
        return locks[loop]

    def rejected(self) -> None:
        """The service turned down the last answer this solver gave (the lookup asks again
        with a new image). A person is told at the next prompt."""

    def expired(self) -> None:
        """The captcha of the last answer expired before the answer could be used: no fault of
        the answer (the lookup asks again with a new image). A person is told at the next
        prompt, so that they do not think they typed it wrong."""

    async def aclose(self) -> None:
        """Remove temporary files."""


def share_turns(solvers: Iterable[SolverBase]) -> None:
    """Make lookups take turns across these solvers, not only at each one: the solvers of two
    sources that ask one person (the national lookup's captcha, the special-equipment lookup's
    slider) then show one puzzle at a time. Only solvers that answer one at a time take turns
    at all (``one_at_a_time``)."""
    shared: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
    for solver in solvers:
        solver._turn_locks = shared


class CaptchaSolver(SolverBase, ABC):
    """Turns a captcha image into the characters it shows."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        """Build from the part of ``--captcha`` after the colon; SourceError when unusable."""

    @abstractmethod
    async def solve(self, image: bytes, *, attempt: int) -> str:
        """The answer for ``image``; ``attempt`` counts from 1 for the same query.

        Raises CaptchaError for this image only, NoSolverError when no answer can ever come.
        """


def image_suffix(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return ".png"
    if image.startswith(b"GIF8"):
        return ".gif"
    if image.startswith(b"\xff\xd8"):
        return ".jpg"
    return ".img"


class ImageFiles:
    """A private (0700) directory for captcha images, each file 0600: they may be shown to
    other programs, but not to other users."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._count = 0
        self._lock = threading.Lock()

    def write(self, image: bytes) -> Path:
        with self._lock:
            if self._dir is None:
                self._dir = make_scratch()
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
    description = ("运行程序识别验证码：command:程序，程序得到图片文件路径，输出的文字即答案"
                   "（a program, e.g. OCR）")
    one_at_a_time = True
    timeout: ClassVar[float] = 60.0

    def __init__(self, argv: list[str], *, timeout: float | None = None) -> None:
        self.argv = argv
        self._timeout = timeout if timeout is not None else self.timeout
        self._files = ImageFiles()

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
        return program_answer(process.returncode, stdout, stderr, "验证码程序", "captcha program")

    async def aclose(self) -> None:
        self._files.remove()


def program_answer(
    returncode: int | None, stdout: bytes, stderr: bytes, what: str, english: str
) -> str:
    """The answer a solver program printed, or CaptchaError saying why there is none."""
    if returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip()[-200:]
        raise CaptchaError(
            f"{what}出错退出，代码 {returncode}（{english} exited with {returncode}）：{tail}"
        )
    answer = stdout.decode("utf-8", "replace").strip()
    if not answer:
        raise CaptchaError(f"{what}没有输出（{english} printed nothing）")
    return answer


class NoSolver(CaptchaSolver):
    """Stands in when nothing can answer: every lookup fails at once instead of hanging."""

    name = "none"

    def __init__(self, problem: str) -> None:
        self.problem = problem
        self._said = False

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        return cls(arg or "没有设置验证码输入方式（no captcha solver configured）")

    async def solve(self, image: bytes, *, attempt: int) -> str:
        if not self._said:
            # Once, not once per worker: the same cause applies to all of them.
            self._said = True
            log.warning("没有可用的验证码输入方式（no captcha solver）：%s", self.problem)
        raise NoSolverError(self.problem)


# --- the next captcha, fetched while the solver works on this one --------------------------

#: A captcha lives about two minutes on the national service (DOMAIN.md).
CAPTCHA_LIFETIME = 120.0
#: One fetched ahead is shown only while younger than this (else a new one is fetched), leaving
#: half a minute to type it. Its age is checked again when the answer is sent (``mem``).
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
        solver: SolverBase,
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
        #: Whether the next captcha is fetched while this one is answered (``fetch_late``).
        self.ahead = True
        self._drop_ahead = False
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
        if self.ahead and self.solver.one_at_a_time and self._waiting > 0 and self._ahead is None:
            self._ahead = asyncio.get_running_loop().create_task(
                self._fetch_timed(), name="certcheck-captcha-ahead"
            )
            self.fetched_ahead += 1
        return got

    def fetch_late(self) -> None:
        """Fetch each captcha only when it is taken, and drop one already fetched ahead: for
        when captchas keep expiring before their answers are sent (a slow answerer, or a
        service whose captchas live less long than assumed)."""
        self.ahead = False
        self._drop_ahead = self._ahead is not None

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
        if not self._usable(got) or self._drop_ahead:
            self._drop_ahead = False
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
