"""The command line: options → calls → messages and exit codes.

This is the only module that prints for people or picks an exit code. Everything below it
raises its own layer's exceptions, which are turned into one-line messages here.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from certcheck import __version__
from certcheck.dates import iso_date
from certcheck.register.model import ExitCode

F = TypeVar("F", bound=Callable[..., object])


class UserError(Exception):
    """A problem the user can fix; carries the exit code and a one-line message."""

    def __init__(self, message: str, code: int = ExitCode.BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int) -> NoReturn:
    click.secho(f"certcheck: {message}", fg="red", err=True)
    sys.exit(code)


@contextmanager
def _guarded() -> Iterator[None]:
    """Turn every expected failure into a message and a documented exit code."""
    from certcheck.atomic import WriteError
    from certcheck.register.formats import OutputError, UnsupportedFormat
    from certcheck.register.reader import RegisterFormatError
    from certcheck.roster import RosterError
    from certcheck.sources.interface import SourceError

    try:
        yield
    except KeyboardInterrupt:
        click.secho(
            "\ncertcheck: interrupted; answers received so far are kept, "
            "run the same command again to go on",
            fg="yellow",
            err=True,
        )
        sys.exit(ExitCode.INTERRUPTED)
    except UserError as exc:
        _fail(str(exc), exc.code)
    except UnsupportedFormat as exc:
        _fail(str(exc), ExitCode.USAGE)
    except (RosterError, SourceError, RegisterFormatError, OutputError, WriteError) as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    except OSError as exc:
        # Disk full, permission denied, a folder where a file was expected: the user can fix it.
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(f"{exc.strerror or exc}{where}", ExitCode.BAD_INPUT)
    except click.exceptions.Exit:
        raise
    except Exception as exc:
        if os.environ.get("CERTCHECK_DEBUG"):
            raise
        _fail(
            f"unexpected error: {type(exc).__name__}: {exc}. "
            "Please report it; set CERTCHECK_DEBUG=1 to see the details.",
            ExitCode.BAD_INPUT,
        )


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: also through symlinks, ``..`` and hard links."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


#: The dates a check can be made for. Date arithmetic near year 1 or 9999 overflows, and no
#: certificate of this system is dated outside these years (the serial dates of
#: ``certcheck.dates`` are bounded the same way).
AS_OF_RANGE = (date(1900, 1, 1), date(2199, 12, 31))
#: The longest window in days (--warn-days, --within, --max-age): a century, so that adding
#: it to any as-of date stays a date.
MAX_DAYS = 36_500


def parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        parsed = iso_date(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--as-of"
        ) from None
    first, last = AS_OF_RANGE
    if not first <= parsed <= last:
        raise click.BadParameter(
            f"{value} is outside {first.isoformat()} … {last.isoformat()}", param_hint="--as-of"
        )
    return parsed


class FiniteFloatRange(click.FloatRange):
    """A ``FloatRange`` that also refuses ``nan``, which passes every range comparison."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


class _Group(click.Group):
    """Lists every command with its whole first sentence, wrapped rather than cut off."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Group,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="certcheck")
def cli() -> None:
    """certcheck — 特种作业操作证核验 / check special-operations certificates.

    Reads a worker roster, looks every worker up in the national lookup (or a registry
    file), and writes the register with the verdict. Exit codes: 0 compliant, 1 violations,
    2 usage error, 3 incomplete (some workers unverified), 4 unusable input, 130 interrupted.
    """


