"""The command line: options → calls → messages and exit codes.

This is the only module that prints for people or picks an exit code. Everything below it
raises its own layer's exceptions, which are turned into one-line messages here.
"""

from __future__ import annotations

import errno
import importlib
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from click.exceptions import NoArgsIsHelpError, NoSuchCommand

from certcheck.cli.exit_codes import MEANINGS, ExitCode
from certcheck.cli.help_format import COMMANDS as COMMANDS_HEADING
from certcheck.cli.help_format import Command as HelpCommand
from certcheck.cli.screen import plain
from certcheck.dates import parse_date

if TYPE_CHECKING:
    from pathlib import Path

    from certcheck.sources.interface import SourceUnreachable

F = TypeVar("F", bound=Callable[..., object])


class UserError(Exception):
    """A problem the user can fix; carries the exit code and a one-line message."""

    def __init__(self, message: str, code: int = ExitCode.BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _fail(message: str, code: int) -> NoReturn:
    # One line, whatever the message quotes from a file (a sheet name, a cell).
    click.secho(_for_terminal(f"certcheck: {plain(message)}"), fg="red", err=True)
    sys.exit(code)


def _for_terminal(line: str) -> str:
    """A message for stderr: at a terminal, broken into lines by the rules of Chinese text
    (``linebreak``) rather than wherever the terminal runs out of room; elsewhere (a pipe, a
    log) one line, as it is."""
    if not sys.stderr.isatty():
        return line
    import shutil

    from certcheck.cli.linebreak import wrap

    return "\n".join(wrap(line, shutil.get_terminal_size().columns - 1))


#: Said when memory ran out: the input is too large or crafted to be processed.
OUT_OF_MEMORY = ("内存不足，无法处理该输入；输入可能过大或被特意构造，未给出任何结论"
                 "（out of memory; no verdict）")


def _out_of_memory() -> NoReturn:
    # Free what can be freed before printing: the message itself needs a little memory.
    import gc

    gc.collect()
    _fail(OUT_OF_MEMORY, ExitCode.BAD_INPUT)


#: Said on Ctrl-C when answers are kept in the cache.
INTERRUPTED_KEPT = ("已中断；已收到的查询结果保存在缓存中，再次运行同一命令即从中断处继续"
                    "（interrupted）")
#: Said on Ctrl-C when nothing was kept (--no-cache, or a command that keeps nothing).
INTERRUPTED_NO_CACHE = ("已中断；使用了 --no-cache，已收到的查询结果没有保存，再次运行将从头查询"
                        "（interrupted）")
#: Said on Ctrl-C when the source's answers never go into the cache (a registry file, read
#: again in full each run; a plugin that asks for none).
INTERRUPTED_NOT_CACHED = ("已中断；此数据源的结果不进缓存，没有保存任何结果，再次运行将从头核对"
                          "（interrupted; this source is not cached）")
INTERRUPTED = "已中断（interrupted）"


def unreachable_message(exc: SourceUnreachable, outcome: str = "未核验（nothing was checked）",
                        advice: str = "请检查网络连接后再运行") -> str:
    """What a person is told when the source could not be reached (exit 3): where and why,
    that no check took place (``outcome``), and what to do."""
    return f"{exc.detail}；{outcome}；{advice}"


def _terminated(signum: int, frame: object) -> None:
    import signal

    # Passed on as SIGINT so that whoever handles Ctrl-C now handles it: inside asyncio.run that
    # is the runner, which cancels the lookups in order; a KeyboardInterrupt raised here would
    # land in whichever task was running and be reported as its unretrieved exception.
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
        raise KeyboardInterrupt  # Ctrl-C is ignored (a background job): stop all the same
    signal.raise_signal(signal.SIGINT)


def _stop_on_sigterm() -> None:
    """``kill`` (SIGTERM: a service manager, a CI job's timeout) stops a run as Ctrl-C does:
    the answers so far stay in the cache, the temporary files are removed, exit 130. By
    default SIGTERM ends Python at once, leaving half-written files with ID numbers in them."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)


@contextmanager
def _guarded(interrupted: str | Callable[[], str] = INTERRUPTED) -> Iterator[None]:
    """Turn every expected failure into a message and a documented exit code.

    ``interrupted`` is what Ctrl-C says: whether the answers so far were kept; a function when
    that is only known once the command has opened its source and cache.
    """
    from certcheck.atomic import WriteError
    from certcheck.register.errors import RegisterFormatError
    from certcheck.register.formats import OutputError, UnsupportedFormat
    from certcheck.sources.interface import SourceError, SourceUnreachable
    from certcheck.tablefile.errors import UnusableFile as RosterError

    try:
        yield
    except SourceUnreachable as exc:
        _fail(unreachable_message(exc), ExitCode.INCOMPLETE)
    except KeyboardInterrupt:
        said = interrupted() if callable(interrupted) else interrupted
        click.secho(f"\ncertcheck: {said}", fg="yellow", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except UserError as exc:
        _fail(str(exc), exc.code)
    except UnsupportedFormat as exc:
        _fail(str(exc), ExitCode.USAGE)
    except (RosterError, SourceError, RegisterFormatError, OutputError, WriteError) as exc:
        _fail(str(exc), ExitCode.BAD_INPUT)
    except BrokenPipeError:
        raise  # the reader of the output went away (`| head`): not a failure to report
    except OSError as exc:
        # Disk full, permission denied, a folder where a file was expected: the user can fix it.
        where = f"{exc.filename}：" if exc.filename else ""
        _fail(f"{where}{os_error_zh(exc)}", ExitCode.BAD_INPUT)
    except click.exceptions.Exit:
        raise
    except MemoryError:
        _out_of_memory()
    except SystemExit as exc:
        # The CLI ends the process only outside this block (and in the handlers above), so
        # this one comes from other code, a plugin's: let through, SystemExit(0) would read
        # as "compliant" with nothing checked.
        _fail(f"运行中的代码（插件？）要求退出，已停止；没有得出结论"
              f"（unexpected SystemExit({plain(repr(exc.code))[:80]}) during the command）",
              ExitCode.BAD_INPUT)
    except GeneratorExit:
        raise
    except BaseException as exc:
        if os.environ.get("CERTCHECK_DEBUG"):
            raise
        from certcheck.sources.plugins import quoted

        _fail(
            f"意外错误，请报告此问题；设置 CERTCHECK_DEBUG=1 可看到详细信息"
            f"（unexpected error: {quoted(exc, None)}）",
            ExitCode.BAD_INPUT,
        )


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: also through symlinks, ``..`` and hard links."""
    from certcheck.tablefile.guards import resolved

    if resolved(a) == resolved(b):
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


#: The forms a date option accepts, as the error message lists them: those of a roster's date
#: cells, since both go through ``certcheck.dates.parse_date``.
DATE_FORMS = "2026-12-01、2026/12/01、2026.12.01、2026年12月1日 或 20261201"
#: Quotes a shell leaves on a value (cmd.exe keeps '…'), and those a roster cell may carry.
_QUOTES = "'\"`‘’“”"


def parse_as_of(value: str | None, option: str = "--as-of") -> date:
    """A date option's value (``--as-of``, ``summary --date``) in any form a roster's date cell
    may take, within ``AS_OF_RANGE``; today when not given. A bad value is exit 2 with a
    message that lists the forms accepted."""
    if value is None:
        return date.today()
    try:
        parsed = parse_date(value.strip().strip(_QUOTES))
    except ValueError:
        parsed = None
    if parsed is None:
        raise click.BadParameter(
            f"“{value}” 不是日期；可写成 {DATE_FORMS}（not a date）", param_hint=option
        )
    first, last = AS_OF_RANGE
    if not first <= parsed <= last:
        raise click.BadParameter(
            f"{value} 不在 {first.isoformat()} … {last.isoformat()} 之内（out of range）",
            param_hint=option,
        )
    return parsed


class FiniteFloatRange(click.FloatRange):
    """A ``FloatRange`` that also refuses ``nan``, which passes every range comparison."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"“{value}” 不是数（not a number）", param, ctx)
        return number


#: What an OSError means, for the person reading it (errno → Chinese); the system's own text
#: follows in parentheses.
_ERRNO_ZH = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许此操作",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统是只读的",
    errno.EISDIR: "这是文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EEXIST: "文件已存在",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EMFILE: "打开的文件太多",
    errno.EDQUOT: "超出磁盘配额",
    errno.EIO: "读写出错（磁盘或网络盘故障）",
}


def os_error_zh(exc: OSError) -> str:
    """``磁盘空间不足（No space left on device）``."""
    english = exc.strerror or str(exc)
    zh = _ERRNO_ZH.get(exc.errno) if exc.errno is not None else None
    return f"{zh}（{english}）" if zh else english


# A pattern, compiled by ``re`` on first use: only an error message needs it, not ``--help``.
_CJK = "[\u3400-\u9fff\uff00-\uffef]"


def _value_problem(exc: click.BadParameter) -> str:
    """What is wrong with an option's value, in Chinese, from the option's type."""
    # Our own messages are Chinese; click's are English, quoting the value in ASCII quotes (a
    # file name in Chinese is still click's English message).
    if re.search(_CJK, re.sub(r"'[^']*'|\"[^\"]*\"", "", exc.message)):
        return exc.message
    kind = exc.param.type if exc.param is not None else None
    if isinstance(kind, click.Path) and "does not exist" in exc.message:
        zh = "文件不存在"
    elif isinstance(kind, click.Path) and "is a directory" in exc.message:
        zh = "这是文件夹，不是文件"
    elif isinstance(kind, click.Path) and "is a file" in exc.message:
        zh = "这是文件，不是文件夹"
    elif isinstance(kind, click.Choice):
        zh = "须为以下之一：" + "、".join(str(c) for c in kind.choices)
    elif isinstance(kind, click.IntRange | click.FloatRange):
        zh = f"须在 {kind._describe_range()} 范围内"
    elif kind is click.INT:
        zh = "须为整数"
    elif kind is click.FLOAT:
        zh = "须为数"
    elif isinstance(kind, click.Path):
        zh = "路径不可用"
    else:
        zh = "值不可用"
    return f"{zh}（{exc.message.rstrip('.')}）"


def usage_zh(exc: click.UsageError, argv: Sequence[str] = ()) -> str:
    """A click usage error as one Chinese line, click's English in parentheses, with where to
    read the usage: ``没有选项 --sourse，是否想用 --source？（No such option）；用 certcheck verify
    --help 查看用法``. Given the command line, a path the shell split at a space is shown quoted.
    """
    text = _unknown_name(exc) or _bad_parameter(exc) or _bad_arguments(exc)
    if argv:
        from certcheck.cli.quoting import space_hint

        text += space_hint(argv, exc)
    path = exc.ctx.command_path if exc.ctx is not None else "certcheck"
    return f"{text}；用 {path} --help 查看用法"


def _did_you_mean(possibilities: Sequence[str] | None) -> str:
    return f"，是否想用 {'、'.join(possibilities)}？" if possibilities else ""


def _unknown_name(exc: click.UsageError) -> str | None:
    """An option or command that does not exist, with the likely ones."""
    if isinstance(exc, click.NoSuchOption):
        maybe = _did_you_mean(sorted(exc.possibilities or ()))
        return f"没有选项 {exc.option_name}{maybe}（No such option）"
    if isinstance(exc, NoSuchCommand):
        return f"没有命令 {exc.command_name}{_did_you_mean(exc.possibilities)}（No such command）"
    return None


def _bad_parameter(exc: click.UsageError) -> str | None:
    """A parameter that is missing, has a bad value, or is given a value wrongly."""
    if isinstance(exc, click.MissingParameter):
        hint = _hint(exc)
        if exc.param is not None and exc.param.param_type_name == "argument":
            return f"缺少参数 {hint}（Missing argument）"
        return f"缺少选项 {hint}（Missing option）"
    if isinstance(exc, click.BadParameter):
        return f"{_hint(exc)} 的值无效：{_value_problem(exc)}"
    if isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        return f"选项 {exc.option_name} 后面缺少值（requires an argument）"
    if isinstance(exc, click.BadOptionUsage) and "does not take a value" in exc.message:
        return f"选项 {exc.option_name} 不带值（does not take a value）"
    return None


def _bad_arguments(exc: click.UsageError) -> str:
    """Any other usage error: extra arguments, one already in Chinese, or click's own words."""
    if exc.message.startswith("Got unexpected extra argument"):
        extra = exc.message[exc.message.find("(") + 1:exc.message.rfind(")")]
        return f"多余的参数 {extra}（unexpected extra argument）"
    if re.search(_CJK, exc.message):
        return exc.message
    return f"用法错误（{exc.message}）"


def _hint(exc: click.BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if exc.param is not None:
        return " / ".join(exc.param.opts) if exc.param.param_type_name == "option" else (
            exc.param.human_readable_name
        )
    return "参数"


def _show_warnings() -> None:
    from certcheck.cli.log_lines import show_warnings

    show_warnings()


#: Each command's module and the first sentence of its help. ``certcheck --help`` lists the
#: commands from here, and a command's module (with httpx, rich, the readers and writers it
#: needs) is imported only when that command runs; tests/test_help.py checks that each line
#: is the command's own first sentence.
COMMANDS: dict[str, tuple[str, str]] = {
    "diff": ("certcheck.cli.diff",
             "对比同一单位的两份登记表，列出变化（compare two registers of one enterprise）。"),
    "due": ("certcheck.cli.due",
            "到期提醒：列出复审或有效期在 --within 天内到期的人员（reviews and expiries due）"),
    "lookup": ("certcheck.cli.lookup",
               "现场查证：查询一个人，列出其全部证书和结论（look one person up）"),
    "probe": ("certcheck.cli.probe",
              "接口核对：做一次真实查询并完整显示，核对字段对照（check the API mapping）"),
    "sources": ("certcheck.cli.sources",
                "列出已安装的数据源和验证码识别方式，内置的与插件的（sources and solvers）"),
    "summary": ("certcheck.cli.summary",
                "汇总多份登记表，填写情况汇总表附件1（aggregate registers into 附件1）"),
    "verify": ("certcheck.cli.verify",
               "核验花名册中的每名人员，写出登记表并给出结论（check a roster）"),
}


class _Group(HelpCommand, click.Group):
    """Lists every command with its whole first sentence, wrapped rather than cut off, and
    loads a command's module only when that command is asked for. Its help, and that of every
    command made with ``@cli.command()``, is Chinese first (``help_format``)."""

    command_class = HelpCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            # The module attaches its command to this group (``@cli.command``) as it loads.
            importlib.import_module(COMMANDS[cmd_name][0])
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except NoSuchCommand as exc:
            # click suggests from the commands loaded so far; suggest from all of them.
            raise NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                ctx=ctx) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """click's own errors as one ``certcheck:`` line in Chinese, exit 2, like every other
        error: no "Usage: … Try --help" block."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        given = kwargs.get("args", args[0] if args else None)
        argv = list(given) if given is not None else sys.argv[1:]
        self.warnings_on_screen = True
        _stop_on_sigterm()
        try:
            result = super().main(*args, **kwargs)
        except NoArgsIsHelpError as exc:
            # No command at all: the help is the answer.
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            _fail(usage_zh(exc, argv), exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.exceptions.Abort:
            click.secho(f"\ncertcheck: {INTERRUPTED}", fg="yellow", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # `certcheck … | head`: the reader went away
                # Whatever is still buffered goes nowhere, not into an error at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
            raise
        except MemoryError:
            # Wherever it struck (outside a command's guard too): never a traceback and exit 1,
            # which a script would take for "violations found".
            _out_of_memory()
        sys.exit(result if isinstance(result, int) else 0)

    #: Set by ``main``: logged warnings are shown once a command runs (not for ``--help``,
    #: which would only pay for loading logging).
    warnings_on_screen = False

    def invoke(self, ctx: click.Context) -> Any:
        if self.warnings_on_screen:
            _show_warnings()
        return super().invoke(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None and name in COMMANDS:
                rows.append((name, COMMANDS[name][1]))
            elif command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section(COMMANDS_HEADING):
                formatter.write_dl(rows)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        HelpCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The exit codes, as a list of their own after the commands."""
        with formatter.section("退出码（exit codes）"):
            formatter.write_dl([(str(code), meaning) for code, meaning in MEANINGS])


def _show_version(ctx: click.Context, value: bool) -> None:
    """``certcheck, version 0.1.0``, as click's own version option says it; the version is
    looked up only here, not for every command."""
    if not value or ctx.resilient_parsing:
        return
    from certcheck import __version__

    click.echo(f"certcheck, version {__version__}", color=ctx.color)
    ctx.exit()


@click.group(cls=_Group, subcommand_metavar="命令 [参数]...",
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _, value: _show_version(ctx, value),
              help="显示版本并退出（show the version）")
def cli() -> None:
    """certcheck — 特种作业操作证核验（check special-operations certificates）

    读取人员花名册，逐人到应急管理部特种作业操作证查询平台（或本地登记文件、插件数据源）
    核验证书，写出带核验结果的登记表，并以退出码给出结论；可汇总多家单位的登记表，
    填写情况汇总表（附件1）。每个命令的选项见 certcheck 命令 --help。
    """


