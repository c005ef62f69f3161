"""What reaches the terminal: cell text made harmless, and consoles that fit the screen.

A roster is somebody else's file. A cell holding ``ESC[2J`` would clear the screen and one
holding ``ESC]0;…BEL`` would set the window title, so every piece of text that comes from a file
(names, sheet names, headers, items, input-issue messages, lookup details, error messages that
quote them) goes through ``plain`` — or ``cell`` where rich markup is on — before it is printed.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich is loaded when something is drawn, not to say ``--help``
    from rich.console import Console

#: C0 controls (but tab and newline, handled below), DEL, C1 controls, the Unicode controls
#: that reorder or hide text (bidi overrides and isolates, line/paragraph separators), and
#: unpaired surrogates, which no terminal encoding can carry (writing one raises).
_CONTROL = (
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_BREAKS = "[\t\n]+"
#: Width given to a console that writes to a file or a pipe: lines are never wrapped there.
UNWRAPPED = 10_000


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object) -> str:
    """``text`` with every control character shown escaped (``ESC`` → ``\\x1b``) and tabs and
    line breaks as one space, so that a cell can neither drive the terminal nor break a line."""
    if text is None:
        return ""
    # Patterns compiled on first use (``re`` keeps them): ``--help`` never needs them.
    return re.sub(_CONTROL, _escaped, re.sub(_BREAKS, " ", str(text)))


def cell(text: object) -> str:
    """``plain`` for a string printed with rich markup on: ``[red]`` in a cell stays text."""
    from rich.markup import escape

    return escape(plain(text))


def console(*, stderr: bool = False, file: TextIO | None = None) -> Console:
    """A console for people. At a terminal it takes the terminal's width and breaks lines by
    the rules of Chinese text (``rich_breaking``); written to a file or a pipe it neither
    wraps lines nor pads them to a width nobody chose."""
    from certcheck.cli.rich_breaking import BreakingConsole

    class _Console(BreakingConsole):
        def on_broken_pipe(self) -> None:
            # `certcheck due … | head`: the reader went away. rich would raise SystemExit(1),
            # which the CLI cannot tell from a plugin's; the pipe's own error it can.
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    stream = file or (sys.stderr if stderr else sys.stdout)
    probe = _Console(file=stream)
    if probe.is_terminal:
        return probe
    return _Console(file=stream, width=UNWRAPPED, soft_wrap=False)
