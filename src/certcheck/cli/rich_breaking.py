"""rich taught to break lines by the rules of ``linebreak``, in messages and in table cells.

rich breaks a line at spaces and cuts a word that does not fit anywhere in it; to rich a run of
Chinese is one long word. ``BreakingConsole`` hands every text it draws — a printed string or
``Text``, a table cell, a title — to ``BreakingText``, whose ``wrap`` asks ``linebreak`` where
lines may break, and whose measure tells a table how narrow a column may get without cutting a
unit. Everything else rich does (styles, markup, justification, cropping) stays rich's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import DEFAULT_JUSTIFY, DEFAULT_OVERFLOW, Text

from certcheck.cli.linebreak import breaks, narrowest

if TYPE_CHECKING:
    from rich.console import (
        ConsoleOptions,
        HighlighterType,
        JustifyMethod,
        OverflowMethod,
        RenderableType,
    )
    from rich.segment import Segment
    from rich.style import Style


class BreakingText(Text):
    """A rich ``Text`` that breaks its lines by the Chinese rules (``linebreak.breaks``)."""

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        """As ``Text.wrap``, with the break offsets of ``linebreak`` instead of rich's."""
        unwrapped = no_wrap if no_wrap is not None else bool(self.no_wrap)
        if unwrapped or overflow == "ignore":
            return super().wrap(console, width, justify=justify, overflow=overflow,
                                tab_size=tab_size, no_wrap=True)
        how_justify = justify or self.justify or DEFAULT_JUSTIFY
        how_overflow = overflow or self.overflow or DEFAULT_OVERFLOW
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            pieces = line.divide(breaks(line.plain, width, measure=cell_len,
                                        fold=how_overflow == "fold"))
            for piece in pieces:
                piece.rstrip_end(width)
            if how_justify:
                pieces.justify(console, width, justify=how_justify, overflow=how_overflow)
            for piece in pieces:
                piece.truncate(width, overflow=how_overflow)
            lines.extend(pieces)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self.plain.splitlines()
        widest = max((cell_len(line) for line in lines), default=0)
        if self.no_wrap:
            return Measurement(widest, widest)
        return Measurement(min(narrowest(self.plain, measure=cell_len), widest), widest)


def breaking(text: Text) -> BreakingText:
    """``text`` as a ``BreakingText``: the same characters, styles and settings."""
    if isinstance(text, BreakingText):
        return text
    copy = BreakingText(text.plain, style=text.style, justify=text.justify,
                        overflow=text.overflow, no_wrap=text.no_wrap, end=text.end,
                        tab_size=text.tab_size)
    copy.spans = list(text.spans)
    return copy


class BreakingConsole(Console):
    """A console on which every text breaks by the Chinese rules: strings it is given (to print
    or as table cells) and ``Text`` made elsewhere alike."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        # Strings become text here, for printing and for measuring a table's columns alike.
        return breaking(super().render_str(
            text, style=style, justify=justify, overflow=overflow, emoji=emoji, markup=markup,
            highlight=highlight, highlighter=highlighter,
        ))

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        # Every renderable is drawn through here, also each cell of a table: a ``Text`` made
        # elsewhere (a printed message joined by rich, a cell) is broken by the rules too.
        if type(renderable) is Text:
            renderable = breaking(renderable)
        return super().render(renderable, options)
