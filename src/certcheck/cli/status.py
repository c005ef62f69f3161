"""A one-line status on stderr while a large file is read: ``正在读取 花名册.xlsx（1.6 MB）… 3秒``.

Reading a roster of 50,000 rows takes seconds and opening a registry file of as many records
about one more, with nothing on the screen: a person takes that for a hang. The line is drawn at
once, says how long it has been, and is erased when the work ends, before anything else is
printed (the roster's summary, the progress bar, an error), so nothing lands on its line. It is
drawn only at a terminal: a pipe or a log file gets no status lines.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from certcheck.cli.log_lines import divert
from certcheck.cli.progress import duration_zh
from certcheck.cli.screen import plain

#: Seconds before the time taken is added to the line: a quick read shows no counter at all.
SHOW_SECONDS_AFTER = 2.0


class _Line:
    """What the line says, redrawn a few times a second with the time taken so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.started = time.monotonic()

    def __rich__(self) -> Text:
        taken = time.monotonic() - self.started
        tail = f" {duration_zh(taken)}" if taken >= SHOW_SECONDS_AFTER else ""
        line = Text(f"{self.text} …{tail}", style="cyan", no_wrap=True, overflow="ellipsis")
        return line


@contextlib.contextmanager
def status_line(console: Console, text: str, *, enabled: bool = True) -> Iterator[None]:
    """Show ``text`` on ``console`` (stderr) until the block ends, then erase it. Nothing is
    drawn when ``enabled`` is False (``--no-progress``) or the console is not a terminal."""
    if not (enabled and console.is_terminal):
        yield
        return
    line = _Line(text)
    # Transient: erased at the end. Output of other code meanwhile goes above the line.
    live = Live(line, console=console, transient=True, refresh_per_second=4)
    live.start(refresh=True)  # drawn now, not at the first tick
    # A warning logged meanwhile (written to stderr past rich) would land on the line and
    # leave it behind: printed through the display instead, it goes above the line.
    undivert = divert(lambda warning: console.print(Text(warning, style="yellow")))
    try:
        yield
    finally:
        undivert()
        live.stop()


def reading(path: Path) -> str:
    """``正在读取 花名册.xlsx（1.6 MB）``: the file by name, and its size when it is large."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    shown = f"（{size / 1_000_000:.1f} MB）" if size >= 1_000_000 else ""
    return f"正在读取 {plain(path.name)}{shown}"
