"""The ``--notify`` options of a command, and what a run with them prints.

``notify_options()`` adds ``--notify``, ``--notify-secret``, ``--dry-run`` and (with
``remember``) ``--notify-all`` and ``--cache-dir`` to a command, checks them before the
command does any work (an address that is no group robot is exit 2), and hands the command one
``notify: NotifyRequest``. ``run_notify`` sends a document as asked and says what happened;
it returns False when a robot was not reached, for which the command exits 4 (an output that
could not be written).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from certcheck.cli.screen import plain
from certcheck.notify.document import Document
from certcheck.notify.robots import (
    Robot,
    RobotError,
    parse_robot,
    unique,
    warnings,
    with_secrets,
)

if TYPE_CHECKING:  # sending needs httpx, which --help need not load
    from certcheck.notify.run import Outcome
    from certcheck.notify.send import SendError
    from certcheck.notify.split import Message
    from certcheck.notify.state import SentState

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class NotifyRequest:
    robots: tuple[Robot, ...] = ()
    dry_run: bool = False
    #: Send every entry, also those already sent.
    send_all: bool = False
    #: The folder the user chose for the cache (None: CERTCHECK_CACHE_DIR or the default).
    cache_dir: Path | None = None
    #: Whether what was sent is recorded (``due``), or everything is sent each time.
    remember: bool = True

    def __bool__(self) -> bool:
        return bool(self.robots)


def notify_options(*, remember: bool = True) -> Callable[[F], F]:
    """The options, as a decorator put under ``@cli.command()``."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = _request(
                kwargs.pop("notify"), kwargs.pop("notify_secret"), kwargs.pop("dry_run"),
                kwargs.pop("notify_all", False), kwargs.pop("cache_dir", None), remember,
            )
            return command(*args, notify=request, **kwargs)

        options = [
            click.option("--notify", "notify", multiple=True, metavar="URL",
                         help="发到工作群机器人：钉钉、企业微信或飞书机器人的 Webhook 地址，"
                              "按地址识别平台；可重复，发到几个群（post to a group robot; "
                              "repeatable）。"),
            click.option("--notify-secret", "notify_secret", multiple=True, metavar="SECRET",
                         help="第 n 个钉钉或飞书机器人的加签密钥（signing secret；企业微信不需要，"
                              "'' 表示不加签）。最好放在环境变量 CERTCHECK_DINGTALK_SECRET、"
                              "CERTCHECK_FEISHU_SECRET 或 CERTCHECK_NOTIFY_SECRET 中，"
                              "不留在命令历史里。"),
            click.option("--dry-run", "dry_run", is_flag=True,
                         help="与 --notify 一起用：只显示将要发送的消息，不发送，也不记录为已发送"
                              "（print the messages instead of sending them）。"),
        ]
        if remember:
            options += [
                click.option("--notify-all", "notify_all", is_flag=True,
                             help="与 --notify 一起用：全部发送，包括已经提醒过的；默认每条提醒"
                                  "只发一次，档次或期限变了才再发（send every entry, also "
                                  "those already sent）。"),
                click.option("--cache-dir", "cache_dir",
                             type=click.Path(path_type=Path, file_okay=False),
                             envvar="CERTCHECK_CACHE_DIR", show_envvar=True,
                             help="提醒发送记录所在的文件夹，记录放在其中的 certcheck "
                                  "私有文件夹里，与核验缓存相同；默认为用户缓存文件夹"
                                  "（folder of the record of reminders sent）。"),
            ]
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def _request(urls: tuple[str, ...], secrets: tuple[str, ...], dry_run: bool, send_all: bool,
             cache_dir: Path | None, remember: bool) -> NotifyRequest:
    if not urls:
        alone = [name for name, given in (("--dry-run", dry_run), ("--notify-all", send_all),
                                          ("--notify-secret", bool(secrets))) if given]
        if alone:
            raise click.UsageError(f"{alone[0]} 只能与 --notify 一起使用"
                                   "（only with --notify）")
        return NotifyRequest(remember=remember)
    try:
        robots = with_secrets([parse_robot(url) for url in urls], secrets, os.environ)
    except RobotError as exc:
        raise click.UsageError(str(exc)) from None
    kept, again = unique(robots)
    for robot in again:
        _say(f"提示：{robot.label} 给了不止一次，只发送一次（given twice）")
    for robot in kept:
        for warning in warnings(robot):
            _say(f"提示：{warning}")
    return NotifyRequest(tuple(kept), dry_run, send_all, cache_dir, remember)


def _say(text: str) -> None:
    click.secho(plain(text), fg="yellow", err=True)


def run_notify(request: NotifyRequest, document: Document, *, as_of: date) -> bool:
    """Send ``document`` as ``request`` asks and say what happened (stdout: the messages of a
    dry run; stderr: what was sent or why not). False when some robot was not reached."""
    from certcheck.cache import cache_dir
    from certcheck.notify.run import send_document
    from certcheck.notify.state import SentState, locked

    if not request.robots:
        return True
    if not document.lines:
        _say("没有需要提醒的人员，未发送（nothing to send）")
        return True
    if not request.remember:
        outcomes = send_document(document, request.robots, as_of=as_of,
                                 dry_run=request.dry_run, show=_show)
        return _report(outcomes, request)
    if request.dry_run:
        # Read only: a dry run neither makes the folder nor takes the lock.
        state = SentState(_folder_as_is(request.cache_dir))
        _state_note(state)
        outcomes = send_document(document, request.robots, as_of=as_of, state=state,
                                 send_all=request.send_all, dry_run=True, show=_show)
        return _report(outcomes, request)
    folder = cache_dir(request.cache_dir)
    with locked(folder):
        state = SentState(folder)
        _state_note(state)
        outcomes = send_document(document, request.robots, as_of=as_of, state=state,
                                 send_all=request.send_all)
    return _report(outcomes, request)


def _folder_as_is(chosen: Path | None) -> Path:
    """Where ``cache_dir`` puts the record, without making or checking anything."""
    from certcheck.cache import ENV_DIR, OWN_DIR, default_dir

    if chosen is None and os.environ.get(ENV_DIR):
        chosen = Path(os.environ[ENV_DIR])
    return chosen / OWN_DIR if chosen is not None else default_dir()


def _state_note(state: SentState) -> None:
    if state.unreadable:
        _say(f"提示：提醒记录 {state.path} 无法读取（{state.unreadable}），本次按均未发送处理；"
             "发送成功后将重写（the record of sent reminders was not understood）")


def _show(robot: Robot, message: Message, k: int, n: int) -> None:
    click.echo(f"\n── {robot.label}：第 {k}/{n} 条（--dry-run，未发送）──")
    click.echo(f"标题：{plain(message.title)}")
    for line in message.text.split("\n"):
        click.echo(plain(line))


def _report(outcomes: list[Outcome], request: NotifyRequest) -> bool:
    from certcheck.cli.app import os_error_zh

    ok = True
    for outcome in outcomes:
        robot = outcome.robot
        skipped = (f"；此前已提醒、无变化的 {outcome.skipped} 项未重复"
                   if outcome.skipped else "")
        if request.dry_run:
            count = sum(len(m.lines) for m in outcome.shown)
            what = (f"{outcome.messages} 条消息，提醒 {count} 项" if outcome.messages
                    else "没有新的提醒")
            _say(f"--dry-run：{robot.label} 将收到 {what}{skipped}；未发送，未记录")
        elif outcome.record_error is not None:
            ok = False
            left = outcome.messages - outcome.delivered
            rest = f"；其余 {left} 条未发送，下次运行时再发送" if left else ""
            click.secho(
                f"certcheck: {robot.label}：已送达 {outcome.delivered}/{outcome.messages} 条（提醒 "
                f"{outcome.entries} 项），但提醒记录无法写入"
                f"（{plain(os_error_zh(outcome.record_error))}），已送达的最后一条未记下，下次运行时会"
                f"再发一次{rest}（record not written）",
                fg="red", err=True)
        elif outcome.error is not None:
            ok = False
            click.secho(
                f"certcheck: {robot.label} 发送失败：{plain(_reason(outcome.error))}。"
                f"已送达 {outcome.delivered}/{outcome.messages} 条（提醒 {outcome.entries} 项"
                f"{'，已记下' if request.remember else ''}）；"
                f"{'其余的下次运行时再发送' if request.remember else '其余的未发送'}"
                "（notification failed）",
                fg="red", err=True)
        elif outcome.messages == 0:
            _say(f"{robot.label}：没有新的提醒，未发送{skipped}")
        else:
            waited = (f"（按每分钟 20 条的限制等待了 {outcome.waited:.0f} 秒）"
                      if outcome.waited >= 1 else "")
            click.echo(f"已发送到 {robot.label}：{outcome.delivered} 条消息，提醒 "
                       f"{outcome.entries} 项{skipped}{waited}", err=True)
    return ok


def _reason(error: SendError) -> str:
    # The robot's label starts the message already.
    text = str(error)
    label = error.robot.label
    return text[len(label) + 1:] if text.startswith(label) else text
