"""``--captcha slider-prompt``: the slider answered at the terminal.

The background is drawn in the terminal (as the image captcha is) with the piece's band marked
and a numbered ruler under it, in pixels of the background; the person types the number under
the gap's left edge. A close-up then shows the piece placed there, with a finer ruler, to
adjust the number or accept it with Enter. The background with the ruler drawn in is also
saved as a file, which ``?`` opens in the desktop's viewer. Nothing is solved automatically.
"""

from __future__ import annotations

import io
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Literal, TextIO

from certcheck.cli.prompt import (
    MAX_PICTURE_WIDTH,
    MIN_PICTURE_WIDTH,
    NO_DESKTOP,
    TOO_NARROW,
    VIEWER_FAILED,
    VIEWER_KEY,
    VIEWER_OPENED,
    SharedTerminal,
    _colours_of,
    _columns_of,
    _console_stream,
    _fitted,
    _is_terminal,
    _read_line,
    desktop_opener,
    normalize_answer,
    open_in_viewer,
    render_halfblocks,
)
from certcheck.sources.captcha import CaptchaError, ImageFiles, NoSolverError
from certcheck.sources.slider import NoSliderSolver, SliderPuzzle, SliderSolver, offset_of

PROMPT = "滑块位置（slider offset）： "
REFINE_PROMPT = ("微调：输入新位置，或直接回车确认 {offset}"
                 "（adjust, or Enter to accept {offset}）： ")
HELP = (
    "在刻度上找到缺口的左边缘，输入它下方的数字后回车；直接回车换一张；输入 ? 回车用看图程序打开；"
    "Ctrl-C 停止（type the number under the gap's left edge, then Enter）\n"
)
REJECTED = ("✗ 上一次的位置没有通过验证，请在这张新图片上重新对准（the last position was not "
            "accepted）\n")
EXPIRED = ("上一张在送达前已过期（不是对准的问题），请对准这一张（the last one expired before it "
           "could be used）\n")
INPUT_CLOSED = (
    "\n输入已结束（Ctrl-D），不再询问滑块；其余人员记为未核验（input closed）\n"
)
#: Why no more sliders are asked once the person closed the input.
CLOSED = "询问滑块时输入已结束（standard input closed）"
#: Before the path of the picture with its ruler.
SAVED = "带刻度的图片（the picture with its ruler）："
#: The marks on the picture: the piece's band, and the piece's outline in the close-up.
BAND_COLOUR = (230, 40, 40, 255)
#: Pixels of the background around the piece shown in the close-up, each side, at most.
CLOSE_UP_MARGIN = 30
#: Pixels above and below the piece in the close-up.
CLOSE_UP_BAND = 4


def ruler(columns: int, pixels_per_column: float, origin: int = 0) -> str:
    """Two lines under a picture ``columns`` wide whose first column shows pixel ``origin`` of
    the background: ticks, and under the column where each round number of pixels falls (every
    10, 20, 50 or 100, as wide as the labels need), that number."""
    step = next((s for s in (10, 20, 50, 100) if s / pixels_per_column >= 8), 200)
    ticks, labels = ["─"] * columns, [" "] * columns
    for c in range(columns):
        start, end = origin + c * pixels_per_column, origin + (c + 1) * pixels_per_column
        whole = -(-start // step) * step  # the first multiple of ``step`` from ``start`` on
        half = -(-start // (step / 2)) * (step / 2)
        if whole < end:
            ticks[c] = "┼"
            text = str(int(whole))
            if c + len(text) <= columns and all(x == " " for x in labels[max(0, c - 1):c]):
                labels[c:c + len(text)] = list(text)
        elif half < end:
            ticks[c] = "┬"
    return "".join(ticks) + "\n" + "".join(labels)


def _png(image: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


def marked_background(puzzle: SliderPuzzle) -> bytes:
    """The background with the piece's band marked by two lines (the gap lies between them)."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(puzzle.background)) as opened:
        picture = opened.convert("RGBA")
    draw = ImageDraw.Draw(picture)
    for y in (puzzle.y - 1, puzzle.y + puzzle.piece_height):
        if 0 <= y < puzzle.height:
            draw.line([(0, y), (puzzle.width - 1, y)], fill=BAND_COLOUR)
    return _png(picture)


def ruled_file(puzzle: SliderPuzzle) -> bytes:
    """The marked background with a ruler in pixels drawn under it, for the image viewer."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(marked_background(puzzle))) as marked:
        background = marked.convert("RGBA")
    sheet = Image.new("RGBA", (puzzle.width, puzzle.height + 26), (255, 255, 255, 255))
    sheet.paste(background, (0, 0))
    draw = ImageDraw.Draw(sheet)
    base = puzzle.height
    for x in range(0, puzzle.width, 5):
        length = 8 if x % 50 == 0 else 5 if x % 10 == 0 else 2
        draw.line([(x, base), (x, base + length)], fill=(0, 0, 0, 255))
        if x % 50 == 0:
            draw.text((x + 1, base + 10), str(x), fill=(0, 0, 0, 255))
    return _png(sheet)


def close_up(puzzle: SliderPuzzle, offset: int, columns: int) -> tuple[bytes, int]:
    """The background around ``offset`` with the piece placed there, one pixel a column where
    ``columns`` allow, and the x it starts at."""
    from PIL import Image

    margin = max(0, min(CLOSE_UP_MARGIN, (columns - puzzle.piece_width) // 2))
    left = max(0, offset - margin)
    right = min(puzzle.width, offset + puzzle.piece_width + margin)
    top = max(0, puzzle.y - CLOSE_UP_BAND)
    bottom = min(puzzle.height, puzzle.y + puzzle.piece_height + CLOSE_UP_BAND)
    with Image.open(io.BytesIO(puzzle.background)) as opened:
        picture = opened.convert("RGBA").crop((left, top, right, bottom))
    with Image.open(io.BytesIO(puzzle.piece)) as opened:
        piece = opened.convert("RGBA")
    picture.alpha_composite(piece, (offset - left, puzzle.y - top))
    return _png(picture), left


class PromptSliderSolver(SliderSolver):
    """Asks the person at the terminal for the slider's offset, with a ruler to read it off."""

    name = "slider-prompt"
    description = ("在终端中显示背景图和刻度，由人输入缺口左边缘下方的数字"
                   "（a person at the terminal, with a ruler）")
    one_at_a_time = True

    def __init__(
        self,
        *,
        stream_in: TextIO | None = None,
        stream_out: TextIO | None = None,
        width: int | None = None,
        colours: str | None = None,
        opener: list[str] | Literal["detect"] | None = "detect",
        terminal: SharedTerminal | None = None,
    ) -> None:
        self._in = stream_in
        self._out = stream_out
        self._width = width
        self._colours = colours
        self._opener = desktop_opener() if opener == "detect" else opener
        self._terminal = terminal
        self._files = ImageFiles()
        self._closed_reason: str | None = None
        self._prompts = 0
        self._rejections = 0
        self._expirations = 0

    @classmethod
    def from_spec(
        cls, arg: str | None, *, interactive: bool, terminal: SharedTerminal | None = None
    ) -> SliderSolver:
        if not interactive:
            return NoSliderSolver(
                f"--captcha {cls.name} 需要在终端中显示滑块并询问；无人值守时请用 "
                "--captcha slider-web 或 --captcha command:程序（needs a terminal）"
            )
        return cls(terminal=terminal)

    def rejected(self) -> None:
        self._rejections += 1

    def expired(self) -> None:
        self._expirations += 1

    async def solve(self, puzzle: SliderPuzzle, *, attempt: int) -> int:
        async with self.turn():
            if self._closed_reason is not None:
                raise NoSolverError(self._closed_reason)
            path = self._files.write(ruled_file(puzzle))
            with self._step_aside():
                out = _console_stream(self._out or sys.stderr)
                offset = await self._ask(out, puzzle, path)
            return offset

    async def _ask(self, out: TextIO, puzzle: SliderPuzzle, path: Path) -> int:
        """The offset the person typed and then accepted in the close-up."""
        self._show(out, puzzle, path)
        offset: int | None = None
        first = True
        while offset is None:
            text = normalize_answer(await self._line(out, path, PROMPT, first=first))
            first = False
            if not text:
                raise CaptchaError("未输入位置，已换一张新图片（no offset typed）")
            offset = self._offset(out, text, puzzle)
        while True:
            offset = min(offset, puzzle.max_offset)
            self._show_close_up(out, puzzle, offset)
            prompt = REFINE_PROMPT.format(offset=offset)
            text = normalize_answer(await self._line(out, path, prompt, first=False))
            if not text:
                return offset
            offset = self._offset(out, text, puzzle) or offset

    def _offset(self, out: TextIO, text: str, puzzle: SliderPuzzle) -> int | None:
        """The number typed, or None (said) when it is none within the picture."""
        try:
            return offset_of(text, puzzle)
        except CaptchaError as exc:
            out.write(self._fit(out, f"{exc}\n"))
            return None

    def _fit(self, out: TextIO, text: str) -> str:
        """``text`` broken for the terminal by the Chinese rules; as it is when ``out`` is no
        terminal (nothing will break its lines there)."""
        if not _is_terminal(out):
            return text
        return _fitted(text, self._width if self._width is not None else _columns_of(out))

    async def _line(self, out: TextIO, path: Path, prompt: str, *, first: bool = True) -> str:
        """The person's line, after as many ``?`` (open in the viewer) as they like."""
        if not first:
            out.write(prompt)
            out.flush()
        while True:
            line = await _read_line(self._in or sys.stdin)
            if line is None:
                out.write(self._fit(out, INPUT_CLOSED))
                out.flush()
                self._closed_reason = CLOSED
                raise NoSolverError(self._closed_reason)
            if normalize_answer(line) != VIEWER_KEY:
                return line
            if self._opener is None:
                out.write(self._fit(out, NO_DESKTOP))
            else:
                problem = open_in_viewer(self._opener, path)
                out.write(self._fit(out, VIEWER_OPENED if problem is None
                                    else f"{VIEWER_FAILED}{problem}\n"))
            out.write(prompt)
            out.flush()

    def _picture_width(self, out: TextIO) -> int:
        columns = self._width if self._width is not None else _columns_of(out)
        return min(MAX_PICTURE_WIDTH, columns - 1)

    def _draw(self, out: TextIO, image: bytes, width: int,
              narrowest: int = MIN_PICTURE_WIDTH) -> bool:
        if width < narrowest:
            out.write(self._fit(out, TOO_NARROW))
            return False
        picture = render_halfblocks(image, width, colours=self._colours or _colours_of(out))
        if picture is None:
            return False
        out.write(picture + "\n")
        return True

    def _show(self, out: TextIO, puzzle: SliderPuzzle, path: Path) -> None:
        out.write("\n")
        width = min(self._picture_width(out), puzzle.width)
        if self._draw(out, marked_background(puzzle), width):
            out.write(ruler(width, puzzle.width / width) + "\n")
        piece_columns = max(1, round(puzzle.piece_width * width / puzzle.width))
        if width >= MIN_PICTURE_WIDTH:
            out.write("拼图块（the piece）：\n")
            self._draw(out, puzzle.piece, piece_columns, narrowest=1)
        said = [REJECTED] if self._rejections else []
        if self._expirations:
            said.append(EXPIRED)
        self._rejections = self._expirations = 0
        said.append(f"{SAVED}{path}\n")
        if self._prompts == 0:
            said.append(HELP)
        status = self._status()
        if status:
            said.append(status + "\n")
        out.write(self._fit(out, "".join(said)) + PROMPT)
        self._prompts += 1
        out.flush()

    def _show_close_up(self, out: TextIO, puzzle: SliderPuzzle, offset: int) -> None:
        columns = self._picture_width(out)
        image, left = close_up(puzzle, offset, columns)
        from PIL import Image

        with Image.open(io.BytesIO(image)) as opened:
            span = opened.width
        width = min(columns, span)
        out.write("\n" + self._fit(out, f"拼图块放在 {offset} 处的近景（the piece placed at "
                                        f"{offset}, close up）：\n"))
        if self._draw(out, image, width):
            out.write(ruler(width, span / width, origin=left) + "\n")

    def _status(self) -> str | None:
        if self._terminal is None:
            return None
        try:
            return self._terminal.status_line()
        except Exception:  # a status line is never worth a lookup
            return None

    def _step_aside(self) -> AbstractContextManager[None]:
        return self._terminal.suspended() if self._terminal is not None else nullcontext()

    async def aclose(self) -> None:
        self._files.remove()
