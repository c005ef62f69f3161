"""``certcheck diff OLD NEW``: what changed between two registers of one enterprise."""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from shlex import quote

import click
from rich.console import Console
from rich.table import Table

from certcheck.cli.app import UserError, _guarded, cli, same_file
from certcheck.cli.exit_codes import ExitCode
from certcheck.cli.notify import NotifyRequest, notify_options, run_notify
from certcheck.cli.report import SCREEN
from certcheck.cli.screen import cell, plain
from certcheck.cli.screen import console as make_console
from certcheck.diff.compare import (
    Change,
    Concern,
    RegisterDiff,
    Side,
    compare,
    concerns,
    shown_id,
)
from certcheck.diff.digest import (
    AMBIGUOUS_TITLE,
    ambiguity_text,
    change_text,
    concern_text,
    conclusion,
    enterprise_text,
    grouped,
    item_of,
    name_of,
    rate_text,
)
from certcheck.diff.files import SUFFIXES, write
from certcheck.register.reader import RegisterData, read_register
from certcheck.tablefile.guards import resolved

#: The narrowest a wrapping column of a change list gets.
_MIN_WIDTH = {"姓名": 4, "作业项目": 4, "变化": 10, "工作表": 4}


@cli.command()
# Not exists=True: a missing or unusable register is exit 4 with the reader's message.
@click.argument("old", metavar="OLD", type=click.Path(path_type=Path))
@click.argument("new", metavar="NEW", type=click.Path(path_type=Path))
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path),
              help="把变化写入文件：.xlsx、.json 或 .csv，可重复（write the changes to a file; "
                   "repeatable）。")
@click.option("--force", is_flag=True,
              help="两份登记表单位不同或顺序颠倒时仍照给出的顺序对比（compare anyway: other "
                   "enterprises, NEW older than OLD）。")
@click.option("--mask-ids", is_flag=True,
              help="文件中的身份证号也脱敏显示；终端总是脱敏（mask ID numbers in the files too; "
                   "the terminal always masks them）。")
# Not remembered: a diff reports two given files, and is sent in full each time it is asked.
@notify_options(remember=False)
def diff(old: Path, new: Path, outputs: tuple[Path, ...], force: bool, mask_ids: bool,
         notify: NotifyRequest) -> None:
    """对比同一单位的两份登记表，列出变化（compare two registers of one enterprise）。

    \b
    OLD、NEW：verify 写出的 .xlsx 或 .json 登记表，旧的在前。
    列出新增和离开的人员、核验结果的变化（新逾期、复审后恢复有效、
    新发现假证……）、证书日期（有效期至、应复审日期）的变化和依法持证率的变化。

    \b
    人员按身份证号对应；有登记表使用了 --mask-ids 时按脱敏身份证号和姓名对应，
    同号同名无法区分的人员不判定变化，只说明无法区分。

    \b
    两份登记表单位不同（退出 4）或 NEW 的核验基准日早于 OLD（退出 2）时
    拒绝对比，除非加 --force。

    \b
    加 --notify 时把同样的变化发到工作群机器人（钉钉、企业微信、飞书），
    身份证号打码；每次运行都完整发送一次，不记录。

    \b
    退出码：0 没有人变差；1 有人变为逾期、假证或无证（含新增的此类人员）；
    2 用法错误；4 登记表无法使用，或有机器人没有发送成功（优先于 0 和 1）。

    (Who came, who left, whose finding or certificate dates changed, and the change in
    依法持证率; exit 1 when anyone became expired, fake or uncertified.)
    """
    _check_outputs(outputs, (old, new))
    with _guarded():
        before, after = _read(old), _read(new)
        found = concerns(Side.of(before), Side.of(after))
        _refuse(found, Side.of(before), Side.of(after), force)
        result = compare(before, after)
        _show(make_console(), result, found)
        for out in outputs:
            write(result, out, found, mask=mask_ids)
        if outputs:
            make_console(stderr=True).print(
                "已写入 " + "、".join(plain(o) for o in outputs), highlight=False, markup=False)
        # The terminal and the files come first: a robot that fails loses none of them.
        delivered = _notify(notify, result, found)
    if not delivered:
        sys.exit(ExitCode.BAD_INPUT)
    sys.exit(ExitCode.VIOLATIONS if result.worse else ExitCode.COMPLIANT)


def _notify(request: NotifyRequest, result: RegisterDiff, found: tuple[Concern, ...]) -> bool:
    """Send the changes as ``request`` asks; False when a robot was not reached (exit 4)."""
    from certcheck.diff.notify_message import diff_document

    if not request:
        return True
    document = diff_document(result, found)
    if not document.lines:
        # A message saying that nothing changed would read as a call to do something.
        click.secho("两份登记表没有变化，未发送到工作群（nothing changed, nothing sent）",
                    fg="yellow", err=True)
        return True
    return run_notify(request, document, as_of=result.new.info.as_of)


def _check_outputs(outputs: tuple[Path, ...], inputs: tuple[Path, Path]) -> None:
    """Every output is refused before a register is read: a typo costs nothing."""
    for out in outputs:
        if out.suffix.lower() not in SUFFIXES:
            raise click.UsageError(
                f"-o {plain(out)}：变化清单请写成 {'、'.join(SUFFIXES)} 文件（unknown format）")
        for given in inputs:
            if same_file(out, given):
                raise click.UsageError(f"-o {plain(out)} 就是要对比的登记表，请换一个文件名"
                                       "（an input file）")
        folder = resolved(out).parent
        if not folder.is_dir():
            raise click.UsageError(f"-o {plain(out)}：文件夹 {plain(folder)} 不存在"
                                   "（no such folder）")
        if out.is_dir():
            raise click.UsageError(f"-o {plain(out)} 是文件夹，请给出文件名（a folder）")
        if not os.access(folder, os.W_OK):
            raise UserError(f"无法写入 {out}：文件夹 {folder} 是只读的或没有写入权限"
                            "（not writable）", ExitCode.BAD_INPUT)


def _read(path: Path) -> RegisterData:
    if not path.exists():
        raise UserError(f"找不到文件 {path}（no such file）")
    return read_register(path)


def _refuse(found: tuple[Concern, ...], old: Side, new: Side, force: bool) -> None:
    """Registers of two enterprises, or given newest first, are named, not compared."""
    refused = [c for c in found if c.refused]
    if not refused or force:
        return
    text = "；".join(concern_text(c, old, new) for c in refused)
    if Concern.NEW_BEFORE_OLD in refused:
        text += f"。请交换两个文件：certcheck diff {quote(str(new.path))} {quote(str(old.path))}"
    text += "。确要照此对比，请加 --force"
    code = ExitCode.BAD_INPUT if Concern.OTHER_ENTERPRISE in refused else ExitCode.USAGE
    raise UserError(text, code)


# --- the terminal ----------------------------------------------------------------------------


def _side(label: str, side: Side) -> str:
    sample = "，抽查" if side.info.sample is not None else ""
    return (f"{label}：{cell(side.path)}（核验基准日 {side.info.as_of.isoformat()}，"
            f"{side.verdict.total} 人{sample}）")


def _show(console: Console, result: RegisterDiff, found: tuple[Concern, ...]) -> None:
    say = partial(console.print, highlight=False)
    say("[bold]登记表对比（certcheck diff）[/]")
    say(f"单位：{cell(SCREEN.text(enterprise_text(result)))}")
    say(_side("旧", result.old))
    say(_side("新", result.new))
    say(f"对应方式：{result.matching.zh}")
    say(f"[bold]{rate_text(result)}[/]")
    for concern in found:
        say(f"[yellow]提示：{cell(concern_text(concern, result.old, result.new))}[/]")
    several = result.several_sheets
    for title, changes in grouped(result):
        console.print()
        console.print(_table(f"{title}（{len(changes)}）", changes, several))
    if result.ambiguous:
        console.print()
        say(f"[bold]{AMBIGUOUS_TITLE}（{len(result.ambiguous)}）[/]")
        for group in result.ambiguous:
            who = "无姓名的行" if group.nameless else (
                f"{cell(name_of(group.row))} {shown_id(group.row)}")
            style = "bold red" if group.worse else "default"
            say(f"[{style}]{who}：{cell(ambiguity_text(group))}[/]")
    console.print()
    style = "bold red" if result.worse else "green"
    code = ExitCode.VIOLATIONS if result.worse else ExitCode.COMPLIANT
    say(f"[{style}]结论：{conclusion(result)}[/]（exit {code}）")


def _table(title: str, changes: list[Change], several: bool) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None,
                  pad_edge=False, padding=(0, 1, 0, 0), header_style="bold underline")
    # People who left are found by their row in the old register.
    number = "原行" if all(c.new is None for c in changes) else "行"
    headers = (("工作表",) if several else ()) + (number, "姓名", "身份证号", "作业项目", "变化")
    for h in headers:
        # Names, items and the change wrap; the row and the masked ID are never cut, since its
        # last four digits are what tell two 张伟 apart.
        wraps = h in _MIN_WIDTH
        table.add_column(h, justify="right" if h == number else "left", no_wrap=not wraps,
                         overflow="fold" if wraps else "ellipsis",
                         min_width=_MIN_WIDTH.get(h) if wraps else None)
    for change in changes:
        row = change.row
        style = "bold red" if change.worse else "green" if change.better else None
        table.add_row(
            *((cell(row.sheet),) if several else ()),
            str(row.row), cell(name_of(row)), shown_id(row), cell(item_of(row)),
            cell(change_text(change)), style=style,
        )
    return table
