"""Who answers the special-equipment lookup's slider captcha, as a source sees it.

The lookup shows a background with a gap and a piece at a given height; the answer is how far
the piece must slide to the right to fill the gap (its x offset in pixels of the background).
The slider is there to keep robots out, and certcheck does not solve it by itself: the solvers
it ships ask a person (``slider-web``: a page in the browser with a slider to drag;
``slider-prompt``: the background in the terminal with a numbered ruler), or run a program the
user names (``command:PROGRAM``). Plugins may add solvers in the ``certcheck.slider_solvers``
entry-point group through ``SliderSolver``. Nothing here prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shlex
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from certcheck.sources.captcha import (
    CaptchaError,
    ImageFiles,
    NoSolverError,
    OutputTooLong,
    SolverBase,
    _bounded_output,
    program_answer,
)
from certcheck.sources.interface import SourceError

#: The entry-point group of slider solvers (``--captcha`` for a source with a slider).
SLIDER_GROUP = "certcheck.slider_solvers"


@dataclass(frozen=True, slots=True)
class SliderPuzzle:
    """One slider captcha: the images as the service sent them (decoded from base64) and their
    sizes as read from them."""

    #: The background with the gap (``bigImage``).
    background: bytes
    #: The piece to slide (``smallImage``).
    piece: bytes
    #: How far down the piece stands, in pixels of the background (``yHeight``).
    y: int
    width: int
    height: int
    piece_width: int
    piece_height: int

    @property
    def max_offset(self) -> int:
        """The farthest the piece can slide and stay on the background."""
        return max(0, self.width - self.piece_width)


class SliderSolver(SolverBase, ABC):
    """Turns a slider puzzle into the piece's x offset."""

    name: ClassVar[str]
    #: One line for ``certcheck sources``.
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> SliderSolver:
        """Build from the part of ``--captcha`` after the colon; SourceError when unusable."""

    @abstractmethod
    async def solve(self, puzzle: SliderPuzzle, *, attempt: int) -> int:
        """The offset for ``puzzle``; ``attempt`` counts from 1 for the same query.

        Raises CaptchaError for this puzzle only (a new one is fetched), NoSolverError when no
        answer can ever come.
        """


def offset_of(text: str, puzzle: SliderPuzzle) -> int:
    """An offset as typed or printed (``123``, ``123.0``, full-width digits), within the
    background; CaptchaError otherwise."""
    folded = unicodedata.normalize("NFKC", text).strip()
    try:
        number = float(folded)
    except ValueError:
        raise CaptchaError(f"“{folded[:40]}”不是数字（not a number）") from None
    if not math.isfinite(number) or not 0 <= number <= puzzle.width:
        raise CaptchaError(
            f"{folded[:40]} 不在 0 … {puzzle.width} 之内（outside the image）"
        )
    return round(number)


class CommandSliderSolver(SliderSolver):
    """``command:PROGRAM``: PROGRAM gets the background's path, the piece's path and the
    piece's height (``yHeight``) as its three arguments and prints the offset.

    One puzzle at a time, as a person answers: PROGRAM may be one that asks somebody.
    """

    name = "command"
    description = ("运行程序拖动滑块：command:程序，程序收到背景图和拼图块的文件路径及 yHeight，"
                   "输出滑块位置（a program）")
    one_at_a_time = True
    timeout: ClassVar[float] = 120.0

    def __init__(self, argv: list[str], *, timeout: float | None = None) -> None:
        self.argv = argv
        self._timeout = timeout if timeout is not None else self.timeout
        self._files = ImageFiles()

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> SliderSolver:
        problem = SourceError(
            "--captcha command:程序 需要给出程序（--captcha command:PROGRAM needs a program）"
        )
        if not arg or not arg.strip():
            raise problem
        argv = [arg] if Path(arg).is_file() else shlex.split(arg)
        if not argv:
            raise problem
        return cls(argv)

    async def solve(self, puzzle: SliderPuzzle, *, attempt: int) -> int:
        async with self.turn():
            return await self._run(puzzle)

    async def _run(self, puzzle: SliderPuzzle) -> int:
        background = self._files.write(puzzle.background)
        piece = self._files.write(puzzle.piece)
        try:
            return offset_of(await self._output(background, piece, puzzle.y), puzzle)
        finally:
            for path in (background, piece):
                with contextlib.suppress(OSError):
                    path.unlink()

    async def _output(self, background: Path, piece: Path, y: int) -> str:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv, str(background), str(piece), str(y),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise NoSolverError(
                f"无法运行滑块程序 {self.argv[0]!r}（cannot run slider program: {exc}）"
            ) from None
        try:
            stdout, stderr = await asyncio.wait_for(_bounded_output(process), self._timeout)
        except OutputTooLong:
            raise CaptchaError("滑块程序输出过多（slider program printed too much）") from None
        except TimeoutError:
            process.kill()
            await process.wait()
            raise CaptchaError(
                f"滑块程序超过 {self._timeout:g} 秒未答（slider program took too long）"
            ) from None
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
            raise
        return program_answer(process.returncode, stdout, stderr, "滑块程序", "slider program")

    async def aclose(self) -> None:
        self._files.remove()


class NoSliderSolver(SliderSolver):
    """Stands in when nothing can answer: every lookup fails at once instead of hanging."""

    name = "none"

    def __init__(self, problem: str) -> None:
        self.problem = problem

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> SliderSolver:
        return cls(arg or "没有设置滑块验证方式（no slider solver configured）")

    async def solve(self, puzzle: SliderPuzzle, *, attempt: int) -> int:
        raise NoSolverError(self.problem)
