"""A progress bar for lookups on stderr: done/total, lookups per second, ETA, and outcomes so far.

It shows counts only, never who was looked up: ID numbers are personal data.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from certcheck.models import Answer, Failed, Found, NotFound, Query, Status
from certcheck.sources import captcha

_STYLE = {
    Status.VALID: "green",
    Status.EXPIRED: "dark_orange",
    Status.FAKE: "bold red",
    Status.UNCERTIFIED: "magenta",
    Status.UNVERIFIED: "grey62",
}


#: Below this many columns the bar leaves out the speed and time left.
NARROW = 80
#: The time left is estimated from the pace of this many last answers.
ETA_WINDOW = 20


def duration_zh(seconds: float) -> str:
    """``45秒``, ``2分10秒``, ``1小时05分``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分"
    if minutes:
        return f"{minutes}分{secs:02d}秒"
    return f"{secs}秒"


def duration_en(seconds: float) -> str:
    """``45 s``, ``2 min 10 s``, ``1 h 05 min``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _cell() -> Column:
    return Column(no_wrap=True)


class _CountsColumn(ProgressColumn):
    """The outcomes so far: the one column that gives way, cut short with "…", when the
    terminal is too narrow for the whole line (the table narrows wrappable columns first)."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=False, min_width=1))

    def render(self, task: Task) -> Text:
        text = Text.from_markup(task.fields["counts"], overflow="ellipsis")
        text.no_wrap = True
        return text


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("  -  /s" if speed is None else f"{speed:5.1f}/s", style="progress.data.speed")


class RichProgress:
    """A ``ProgressListener`` drawing a rich progress bar on stderr.

    It stays silent when stderr is not a terminal or ``enabled`` is False, and it steps aside
    while a person answers a captcha prompt.
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
        # A narrow terminal (an inspector's laptop split in two) gets the counts, not the speed.
        narrow = self.console.width < NARROW
        columns: list[ProgressColumn] = [
            TextColumn("[progress.description]{task.description}", table_column=_cell()),
            # The counts come first: the bar gets what the other columns leave, 10 to 40.
            BarColumn(bar_width=max(10, min(40, self.console.width - 96))),
            MofNCompleteColumn(table_column=_cell()),
        ]
        if not narrow:
            columns += [_RateColumn(table_column=_cell()), TimeRemainingColumn()]
        columns.append(_CountsColumn())
        self._progress = Progress(*columns, console=self.console, transient=False)
        self._task = self._progress.add_task(
            "查询" if narrow else "查询 lookups", total=total, counts=self._counts()
        )
        self._progress.start()
        captcha.set_terminal_guard(self.suspended)
        captcha.set_status_line(self.status_line)

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
            captcha.set_terminal_guard(None)
            captcha.set_status_line(None)
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
        (the bar steps aside while the person types, so the prompt says it)."""
        left = self.total - self.answered
        if left <= 0:
            return None
        seconds = self.seconds_left()
        if seconds is None:
            return f"还剩 {left} 次查询，完成时间估算中 / {left} lookups left, estimating the time"
        return (
            f"还剩 {left} 次查询，预计约 {duration_zh(seconds)}后完成 / "
            f"{left} lookups left, about {duration_en(seconds)} to go"
        )

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """The bar off the screen while something else (a captcha prompt) uses the terminal."""
        progress = self._progress
        if progress is None:
            yield
            return
        progress.stop()
        try:
            yield
        finally:
            progress.start()

    def _counts(self) -> str:
        if self.statuses:
            text = " · ".join(
                f"[{_STYLE[s]}]{s.zh} {self.statuses[s]}[/]" for s in Status if self.statuses[s]
            )
            return text + (f" · 缓存 {self.cached}" if self.cached else "")
        text = (
            f"[green]found {self.found}[/] · [yellow]not found {self.not_found}[/]"
            f" · [red]failed {self.failed}[/]"
        )
        return text + (f" · cached {self.cached}" if self.cached else "")
