"""``--help`` in Chinese first: headings, option extras, and lines broken by Chinese rules.

click writes its help in English (``Usage:``, ``Options:``, ``[default: 4]``) and wraps it with
``textwrap``, which counts characters, not terminal cells, and breaks only at spaces: a line of
Chinese help came out twice as wide as the terminal and was broken anywhere. Here the same
layout is written with widths in cells and lines broken by ``linebreak``. Commands made with
``@cli.command()`` get this class (``_Group.command_class``), so a command added later does too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import click

from certcheck.cli.linebreak import cells, wrap

#: What ``-h/--help`` says of itself.
HELP_OPTION = "显示本帮助并退出（show this help）"
USAGE = "用法（Usage）："
OPTIONS = "选项（Options）"
COMMANDS = "命令（Commands）"
#: The fewest cells a definition gets beside its term; in a narrower terminal it goes under.
NARROW = 36


class HelpFormatter(click.HelpFormatter):
    """click's help layout, measured in terminal cells and broken by the Chinese rules."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        head = " " * self.current_indent + (USAGE if prefix is None else prefix) + prog
        if not args:
            self.write(head + "\n")
            return
        head += " "
        room = self.width - cells(head)
        if room >= 20:
            lines = wrap(args, room)
            self.write(head + lines[0] + "\n")
            self.write("".join(" " * cells(head) + line + "\n" for line in lines[1:]))
            return
        indent = " " * (self.current_indent + 4)
        self.write(head.rstrip() + "\n")
        self.write("".join(indent + line + "\n"
                           for line in wrap(args, self.width - len(indent))))

    def write_heading(self, heading: str) -> None:
        self.write(" " * self.current_indent + heading + "：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write("\n".join(_filled(text, self.width - self.current_indent, indent)) + "\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """As click's; a definition may have parts on lines of their own (``\n``), each of
        which follows the line before after two spaces where it fits (an option's extras).
        Where the definitions would get fewer than ``NARROW`` cells beside the terms, each
        goes under its term instead."""
        rows = list(rows)
        if not rows:
            return
        first_col = min(max(cells(first) for first, _ in rows), col_max) + col_spacing
        stacked = self.width - first_col - 2 < NARROW
        if stacked:
            first_col = 4
        hang = " " * (first_col + self.current_indent)
        width = max(self.width - first_col - (self.current_indent if stacked else 2), 10)
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            if not second:
                self.write("\n")
                continue
            if not stacked and cells(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells(first)))
            else:
                self.write("\n" + hang)
            lines: list[str] = []
            for part in second.split("\n"):
                if lines and cells(lines[-1]) + 2 + cells(part) <= width:
                    lines[-1] += "  " + part
                else:
                    lines += _filled(part, width, "")
            self.write(lines[0] + "\n" if lines else "\n")
            self.write("".join((hang + line if line else "") + "\n" for line in lines[1:]))


def _filled(text: str, width: int, indent: str) -> Iterator[str]:
    """The paragraphs of ``text`` (separated by blank lines) filled to ``width`` cells, each
    line after ``indent``. A paragraph that starts with a ``\\b`` line keeps its lines as they
    are (click's mark for a list); a line of it that is too wide still wraps, under itself."""
    for number, paragraph in enumerate(_paragraphs(text)):
        if number:
            yield ""
        if paragraph[0] == "\b":
            for line in paragraph[1:]:
                body = line.lstrip()
                lead = " " * (len(line) - len(body))
                for piece in wrap(body, width - len(lead)):
                    yield indent + lead + piece
            continue
        lead = " " * (len(paragraph[0]) - len(paragraph[0].lstrip()))
        for piece in wrap(_joined(line.strip() for line in paragraph), width - len(lead)):
            yield indent + lead + piece


def _paragraphs(text: str) -> Iterator[list[str]]:
    paragraph: list[str] = []
    for line in text.expandtabs().splitlines():
        if line.strip():
            paragraph.append(line.rstrip())
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


def _joined(lines: Iterable[str]) -> str:
    """Lines of one paragraph as one: a line break in a Chinese docstring is no space between
    two Chinese characters, nor beside a Chinese mark (，。（）), and a space elsewhere."""
    text = ""
    for line in lines:
        if text and line and not _closed_up(text[-1], line[0]):
            text += " "
        text += line
    return text


def _closed_up(before: str, after: str) -> bool:
    wide_before, wide_after = cells(before) == 2, cells(after) == 2
    if wide_before and wide_after:
        return True
    return (wide_before and unicodedata.category(before).startswith("P")) or (
        wide_after and unicodedata.category(after).startswith("P"))


def option_help(param: click.Option, ctx: click.Context) -> str:
    """An option's help with what click adds (the default, the environment variable, the
    range, whether it is required) said in Chinese: ``[默认：4；范围：1<=x<=64]``."""
    text = param.help or ""
    extra_of = getattr(param, "get_help_extra", None)
    if extra_of is None:  # an older click: its own words
        record = param.get_help_record(ctx)
        return record[1] if record is not None else text
    extra: dict[str, Any] = dict(extra_of(ctx))
    said = []
    if "envvars" in extra:
        said.append("环境变量：" + "、".join(extra["envvars"]))
    if "default" in extra:
        said.append(f"默认：{extra['default']}")
    if "range" in extra:
        said.append(f"范围：{extra['range']}")
    if "required" in extra:
        said.append("必填")
    return f"{text}\n[{'；'.join(said)}]" if said else text


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    """A command whose ``--help`` is Chinese first (headings, the help option, the extras)."""

    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              prefix=USAGE)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or isinstance(param, click.Argument):
                continue
            text = option_help(param, ctx) if isinstance(param, click.Option) else record[1]
            rows.append((record[0], text))
        if rows:
            with formatter.section(OPTIONS):
                formatter.write_dl(rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION
        return option
