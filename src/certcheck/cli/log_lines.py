"""Warnings logged below the CLI, shown to the person as ``certcheck: 提示：`` lines.

Apart from ``app`` so that logging is loaded when a command runs, not to say ``--help``.
While the progress bar is drawn it owns the terminal's last line, so a warning then goes through
the bar's console (``drawn_on``), which prints it on a line of its own above the bar; written
straight to stderr it would land on the bar's line and be redrawn over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from certcheck.cli.screen import plain

#: Where warnings go while a line is drawn on the terminal that they must not land on (the
#: status line of ``cli.status``): that display's own printer, which puts them above it.
_DIVERTED: list[Callable[[str], None]] = []

if TYPE_CHECKING:  # rich is loaded when something is drawn
    from rich.console import Console

#: The console of the live progress bar, while one is drawn.
_live: Console | None = None


class ScreenLog(logging.Handler):
    """Warnings logged below the CLI (a cache that cannot be read, a service that is down),
    shown as one ``certcheck: 提示：`` line each, their text escaped like any cell: a logged
    exception may quote a name from the roster."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the warning
            message = str(record.msg)
        line = f"certcheck: 提示：{plain(message)}"
        if _DIVERTED:
            _DIVERTED[-1](line)
        elif _live is not None:
            _live.print(line, style="yellow", markup=False, highlight=False)
        else:
            click.secho(line, fg="yellow", err=True)


def divert(printer: Callable[[str], None]) -> Callable[[], None]:
    """Send warnings to ``printer`` until the function returned is called."""
    _DIVERTED.append(printer)
    return lambda: _DIVERTED.remove(printer)


def drawn_on(console: Console | None) -> None:
    """Warnings go through ``console`` from now on (a progress bar is drawn on it), or straight
    to stderr again (None: the bar is gone or stepped aside)."""
    global _live
    _live = console


def show_warnings() -> None:
    """Put the handler on certcheck's logger, once however often the CLI runs in a process."""
    logger = logging.getLogger("certcheck")
    if not any(isinstance(h, ScreenLog) for h in logger.handlers):
        logger.addHandler(ScreenLog(logging.WARNING))
