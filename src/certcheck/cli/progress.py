"""A progress bar for lookups on stderr: done/total, lookups per second, ETA, and outcomes so far.

It shows counts only, never who was looked up: ID numbers are personal data. The engine hears
it as a ``ProgressListener``; the captcha prompt is handed it as its ``SharedTerminal``, so the
bar steps aside while a person types and the prompt says how many lookups are left.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.progress import Progress, ProgressColumn, Task, TaskID
from rich.progress_bar import ProgressBar
from rich.table import Column, Table
from rich.text import Text

from certcheck.cli import log_lines
from certcheck.models import Answer, Failed, Found, NotFound, Query, Status

_STYLE = {
    Status.VALID: "green",
    Status.EXPIRED: "dark_orange",
    Status.FAKE: "bold red",
    Status.UNCERTIFIED: "magenta",
    Status.UNVERIFIED: "grey62",
}


#: The time left is estimated from the pace of this many last answers.
ETA_WINDOW = 20
#: The bar's width: at least this many columns when it is shown at all, at most the other.
BAR_MIN, BAR_MAX = 10, 40


def _duration(seconds: float, hour: str, minute: str, second: str) -> str:
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{hour}{minutes:02d}{minute}"
    if minutes:
        return f"{minutes}{minute}{secs:02d}{second}"
    return f"{secs}{second}"


def duration_zh(seconds: float) -> str:
    """``45秒``, ``2分10秒``, ``1小时05分``."""
    return _duration(seconds, "小时", "分", "秒")


def duration_en(seconds: float) -> str:
    """``45 s``, ``2 min 10 s``, ``1 h 05 min``."""
    return _duration(seconds, " h ", " min ", " s").rstrip()


class _LineColumn(ProgressColumn):
    """The whole line, laid out for the terminal's width at every redraw.

    What must be read comes first and is never cut: 查询, done/total and the counts. The bar,
    the time left, the speed and the longer label are added, in that order, only where the
    width leaves room for them, so at 80 columns the counts stand whole and a wider terminal
    gets the rest. Only below about 50 columns are the counts cut, with "…".
    """

    def __init__(self, owner: RichProgress) -> None:
        super().__init__(table_column=Column(no_wrap=True))
        self.owner = owner

    def render(self, task: Task) -> RenderableType:
        width = max(1, self.owner.console.width - 1)
        total = int(task.total or 0)
        digits = len(str(total))
        done = Text(f"{int(task.completed):>{digits}}/{total}", style="progress.download")
        counts = Text.from_markup(task.fields["counts"])
        used = cell_len("查询") + 1 + done.cell_len + 1 + counts.cell_len
        show_label = used <= width
        if not show_label:
            # Too narrow for everything that matters: the counts keep what is left, cut "…".
            used -= cell_len("查询") + 1
            counts.truncate(max(1, width - done.cell_len - 1), overflow="ellipsis")
        left = self.owner.seconds_left()
        eta = Text(f"剩 {duration_zh(left)}" if left is not None else "剩 --",
                   style="progress.remaining")
        speed = task.finished_speed or task.speed
        rate = Text("-/s" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")
        extras = _fit_extras(width - used, eta, rate)
        cells: list[RenderableType] = (
            [Text(extras.label, style="progress.description")] if show_label else []
        )
        if extras.bar_width:
            cells.append(ProgressBar(total=task.total, completed=task.completed,
                                     width=extras.bar_width, pulse=not task.started))
        cells.append(done)
        if extras.show_rate:
            cells.append(rate)
        if extras.show_eta:
            cells.append(eta)
        counts.no_wrap = True
        counts.overflow = "ellipsis"
        cells.append(counts)
        return _one_line(cells)


class _Extras(NamedTuple):
    """What the room left beside the counts holds."""

    bar_width: int
    show_eta: bool
    show_rate: bool
    label: str


def _fit_extras(room: int, eta: Text, rate: Text) -> _Extras:
    """The bar, the time left, the speed and the longer label, in that order, as far as
    ``room`` columns go (each but the label with a column between it and the next)."""
    bar_width = 0
    if room - 1 >= BAR_MIN:
        bar_width = min(BAR_MAX, room - 1)
        room -= bar_width + 1
    show_eta = room - 1 >= eta.cell_len + 2  # the time left grows as it changes
    if show_eta:
        room -= eta.cell_len + 3
    show_rate = room - 1 >= rate.cell_len + 2
    if show_rate:
        room -= rate.cell_len + 3
    label = "查询 lookups" if room >= cell_len(" lookups") else "查询"
    return _Extras(bar_width, show_eta, show_rate, label)


def _one_line(cells: list[RenderableType]) -> Table:
    """The cells side by side on one line: the last one cut with "…", the others cropped."""
    grid = Table.grid(padding=(0, 1))
    for index, _ in enumerate(cells):
        last = index == len(cells) - 1
        grid.add_column(no_wrap=True, overflow="ellipsis" if last else "crop")
    grid.add_row(*cells)
    return grid


class RichProgress:
    """A ``ProgressListener`` drawing a rich progress bar on stderr.

    It stays silent when stderr is not a terminal or ``enabled`` is False, and it steps aside
    while a person answers a captcha prompt it was given to (``SharedTerminal``).
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.total = 0
        self._clock = clock
        self._started = 0.0
        # When the last answers that took a lookup came (cached ones come at once).
        self._recent: deque[float] = deque(maxlen=ETA_WINDOW)
        self.found = 0
        self.not_found = 0
        self.failed = 0
        self.cached = 0
        #: Workers decided so far by status, when the run reports them (``on_statuses``).
        self.statuses: Counter[Status] = Counter()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def on_start(self, total: int) -> None:
        self.total = total
        self._started = self._clock()
        if not self.enabled:
            return
        # One line whatever the width: a wrapped bar is redrawn over itself and leaves debris.
        # The line is laid out for the width at every redraw (_LineColumn).
        self._progress = Progress(_LineColumn(self), console=self.console, transient=False)
        self._task = self._progress.add_task(
            "查询", total=total, counts=self._counts()
        )
        self._progress.start()
        log_lines.drawn_on(self.console)

    def on_answer(self, query: Query, answer: Answer) -> None:
        outcome = answer.outcome
        if isinstance(outcome, Found):
            self.found += 1
        elif isinstance(outcome, NotFound):
            self.not_found += 1
        elif isinstance(outcome, Failed):
            self.failed += 1
        if answer.cached:
            self.cached += 1
        else:
            self._recent.append(self._clock())
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, counts=self._counts())

    def on_statuses(self, statuses: Iterable[Status]) -> None:
        """The statuses of the workers an answer just decided; shown instead of outcomes."""
        self.statuses.update(statuses)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, counts=self._counts())

    def on_finish(self) -> None:
        if self._progress is not None:
            log_lines.drawn_on(None)
            self._progress.stop()
            self._progress = None

    @property
    def answered(self) -> int:
        return self.found + self.not_found + self.failed

    def seconds_left(self) -> float | None:
        """The time the lookups left should take at the pace of the last answers (the pace of
        the person at the captcha prompt), or None before the first answer."""
        left = self.total - self.answered
        recent = self._recent
        if left <= 0:
            return 0.0
        if not recent:
            return None
        if len(recent) >= 2:
            each = (recent[-1] - recent[0]) / (len(recent) - 1)
        else:
            each = recent[0] - self._started
        return left * max(each, 0.0)

    def status_line(self) -> str | None:
        """How many lookups are left and when they should be done, for the captcha prompt
        (the bar steps aside while the person types, so the prompt says it). None while no bar
        is drawn (not started, finished, switched off): the prompt then says nothing of the run."""
        left = self.total - self.answered
        if self._progress is None or left <= 0:
            return None
        seconds = self.seconds_left()
        lookups = f"{left} lookup" + ("" if left == 1 else "s")
        if seconds is None:
            return f"还剩 {left} 次查询，完成时间估算中（{lookups} left, estimating the time）"
        return (f"还剩 {left} 次查询，预计约 {duration_zh(seconds)}后完成"
                f"（{lookups} left, about {duration_en(seconds)} to go）")

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """The bar off the screen while something else (a captcha prompt) uses the terminal."""
        progress = self._progress
        if progress is None:
            yield
            return
        log_lines.drawn_on(None)
        progress.stop()
        try:
            yield
        finally:
            progress.start()
            log_lines.drawn_on(self.console)

    def _counts(self) -> str:
        """Workers by status so far (they add up to the workers checked when the run ends:
        pipeline._Tally counts those never looked up too), else the answers by outcome."""
        if self.statuses:
            text = " ".join(
                f"[{_STYLE[s]}]{s.zh} {self.statuses[s]}[/]" for s in Status if self.statuses[s]
            )
            return text + (f" · 缓存 {self.cached}" if self.cached else "")
        text = (
            f"[green]查到 {self.found}[/] [yellow]未查到 {self.not_found}[/]"
            f" [red]失败 {self.failed}[/]"
        )
        return text + (f" · 缓存 {self.cached}" if self.cached else "")
