"""``certcheck due``: whose review or expiry falls within the next N days (or has passed)."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime
from pathlib import Path

import click
import xlsxwriter
from rich.console import Console
from rich.table import Table

from certcheck.atomic import atomic_write
from certcheck.cli.app import MAX_DAYS, UserError, _guarded, cli, parse_as_of, same_file
from certcheck.cli.due_notify import notify_due
from certcheck.cli.exit_codes import ExitCode
from certcheck.cli.notify import NotifyRequest, notify_options
from certcheck.cli.outputs import check_output
from certcheck.cli.report import SCREEN
from certcheck.cli.screen import cell, plain
from certcheck.cli.screen import console as make_console
from certcheck.due import (
    Dates,
    DueItem,
    DueList,
    dates_from_register,
    dates_from_roster,
    due_within,
)
from certcheck.ids import mask_id
from certcheck.models import DEFAULT_WARN_DAYS
from certcheck.register.csv_ import neutralise
from certcheck.register.layout import footer_text, print_landscape
from certcheck.register.view import Masker

HEADERS = ("行", "姓名", "身份证号", "核验结果", "作业项目", "事项", "日期", "剩余天数", "状态")
#: The last column of the files: whose worker each row is. Last, so that the columns before it
#: stay where programs reading the list expect them.
UNIT_HEADER = "单位"
#: The narrowest a wrapping column of the terminal list gets (the days: "-478").
_MIN_WIDTH = {"姓名": 4, "剩余天数": 5}
#: Put before HEADERS when the roster had several sheets, whose rows are numbered per sheet.
SHEET_HEADER = "工作表"
_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@cli.command()
# Not exists=True: a missing or unusable file is exit 4 with the readers' message, as for verify.
@click.argument("path", metavar="REGISTER-or-ROSTER", type=click.Path(path_type=Path))
@click.option("--within", type=click.IntRange(0, MAX_DAYS), default=DEFAULT_WARN_DAYS,
              show_default=True, metavar="天数",
              help="向后看的天数：从起算日到起算日加 N 天，含两端（days ahead）")
@click.option("--as-of", metavar="日期",
              help="起算日期，如 2026-12-01 或 2026年12月1日（默认今天；date to count from）")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="文件",
              help="把清单写到 .xlsx 或 .csv 文件，而不显示在终端上（output）")
@click.option("--show-id", is_flag=True,
              help="在终端上显示完整身份证号（show ID numbers in full）")
@click.option("--no-overdue", is_flag=True,
              help="不列已过的日期（默认列为“已逾期”；leave out overdue dates）")
@click.option("--sheet", metavar="工作表",
              help="要读取的花名册工作表（默认读每个含花名册的工作表；sheet）")
@notify_options()
def due(
    path: Path,
    within: int,
    as_of: str | None,
    output: Path | None,
    show_id: bool,
    no_overdue: bool,
    sheet: str | None,
    notify: NotifyRequest,
) -> None:
    """到期提醒：列出复审或有效期在 --within 天内到期的人员（reviews and expiries due）

    读取 verify 写出的登记表（官方日期，不再查询），不是登记表时读取花名册（花名册申报的
    日期）。从登记表只列有效和逾期人员本人证书的日期；其余人员（假证、无证、未核验）按
    结果计数。已过的日期列为“已逾期”，剩余天数为负数。有人列出时退出码为 1，无人时为 0。
    花名册有多个工作表时，清单注明每行所在的工作表。
    加 --notify 时清单同时发到工作群机器人，每条提醒只发一次；有机器人无法送达时
    退出码为 4。
    """
    as_of_date = parse_as_of(as_of)
    if output is not None and output.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError(f"-o {output}：清单请写成 .xlsx 或 .csv 文件")
    if output is not None and same_file(output, path):
        raise click.UsageError(f"-o {output} 就是输入文件本身，请换一个文件名")
    with _guarded():
        if output is not None:
            check_output(output)  # before a large file is read
        from certcheck.cli.status import reading, status_line

        with status_line(make_console(stderr=True), reading(path)):
            people, what, several = _read(path, sheet, as_of_date)
        result = due_within(people, as_of_date, within, include_overdue=not no_overdue)
        if output is None:
            _show(make_console(), result, what, show_id, several)
        else:
            _write(result, output, several)
            make_console(stderr=True).print(
                f"{len(result.items)} 项到期提醒，已写入 {plain(output)}",
                highlight=False, markup=False,
            )
        delivered = notify_due(notify, result, path=path, sheet=sheet, source=what)
    if not delivered:
        sys.exit(ExitCode.BAD_INPUT)
    sys.exit(ExitCode.VIOLATIONS if result.items else ExitCode.COMPLIANT)


def _read(path: Path, sheet: str | None, as_of: date) -> tuple[list[Dates], str, bool]:
    """The people's dates, what they come from, and whether the roster had several sheets."""
    from certcheck.register.errors import NotARegister
    from certcheck.register.reader import read_register
    from certcheck.roster import RosterError, read_roster
    from certcheck.tablefile.opening import ForeignFile

    if not path.exists():
        raise UserError(f"找不到文件 {path}（no such file）")
    try:
        data = read_register(path)
        return (dates_from_register(data.rows, data.info.enterprise), "登记表（官方日期）",
                data.several_sheets)
    except NotARegister as not_register:
        # Only a file that is no register at all may be a roster. A damaged or edited register
        # (and any JSON: rosters are spreadsheets) must not be re-read as a roster, which could
        # find nobody due and exit 0 on a register that says otherwise.
        if path.suffix.lower() == ".json":
            raise
        try:
            # Birth dates in IDs are judged as of --as-of, as verify judges them.
            roster = read_roster(path, sheet, today=as_of)
        except ForeignFile as foreign:
            # A Word file or a photo is neither; say what it is, once.
            raise UserError(str(foreign)) from None
        except RosterError as not_roster:
            raise UserError(
                f"{path} 既不是 certcheck 登记表（{_tail(not_register, path)}），"
                f"也不是花名册（{_tail(not_roster, path)}）"
            ) from None
    from certcheck.pipeline import enterprise_from_title

    several = len(roster.sheets) > 1 or len({w.sheet for w in roster.workers} - {None}) > 1
    people = dates_from_roster(roster.workers, enterprise_from_title(roster.title))
    return people, "花名册（申报日期，未核验）", several


def _tail(exc: Exception, path: Path) -> str:
    # Both messages start with the file name, which the combined message already gives.
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for prefix in (str(path), path.name):
        if text.startswith(prefix):
            return text[len(prefix):].lstrip(":： ")
    return text


def unit_line(result: DueList, what: str) -> str:
    """``单位：重庆某某有限公司``: whose workers the list names, or that the file does not say."""
    if result.enterprises:
        # An enterprise's name is text from a file: an ID typed into it is not shown whole.
        return "单位：" + "、".join(plain(SCREEN.text(name)) for name in result.enterprises)
    where = "登记表" if what.startswith("登记表") else "花名册标题"
    return f"单位：未注明（{where}中没有单位名称）"


def _show(console: Console, result: DueList, what: str, show_id: bool, several: bool) -> None:
    window = f"{result.as_of.isoformat()} 起 {result.within} 天内"
    console.print(unit_line(result, what), highlight=False, markup=False)
    if not result.items:
        console.print(f"{window}无复审或到期（{what}）。")
    else:
        console.print(_due_table(result, f"到期提醒：{window}（{what}）", show_id, several))
        overdue = sum(1 for i in result.items if i.overdue)
        console.print(f"共 {len(result.items)} 项，其中已逾期 {overdue} 项。")
    _show_left_out(console, result)


def _due_table(result: DueList, title: str, show_id: bool, several: bool) -> Table:
    masker = Masker(not show_id)
    table = Table(title=title, title_justify="left", box=None, pad_edge=False,
                  padding=(0, 1, 0, 0), header_style="bold underline")
    for h in _headers(several)[:-1]:
        # Names and items may wrap; numbers, dates and IDs must stay whole to be read.
        # The row, the masked ID and the date are never cut; the rest wrap in a narrow
        # terminal ("-478 已逾期" puts the state under the days).
        wraps = h in ("姓名", "作业项目", SHEET_HEADER, "核验结果", "事项", "剩余天数")
        table.add_column(h, justify="right" if h in ("行", "剩余天数") else "left",
                         no_wrap=not wraps, overflow="fold" if wraps else "ellipsis",
                         min_width=_MIN_WIDTH.get(h, 4) if wraps else None)
    for item in result.items:
        table.add_row(
            *((cell(item.sheet),) if several else ()),
            # Free text may hold an ID too (a roster with its columns swapped).
            str(item.row), cell(masker.text(item.name)),
            (item.id_number or "") if show_id else mask_id(item.id_number),
            item.status_zh,
            cell(masker.text(item.item)), item.event.value, item.when.isoformat(),
            _days_text(item),
            style=_row_style(item),
        )
    return table


def _days_text(item: DueItem) -> str:
    """The days left with the state, which says what is due: ``19 应复审``, ``62 即将到期``,
    ``-478 已逾期``."""
    return f"{item.days_left} {item.state}"


def _row_style(item: DueItem) -> str | None:
    """Red for overdue, orange within 30 days, plain otherwise."""
    style = "bold red" if item.overdue else ("dark_orange" if item.days_left <= 30 else "")
    return style or None


def _show_left_out(console: Console, result: DueList) -> None:
    """Who is not listed, and why: another verdict than valid or overdue, or no date to go by."""
    if result.not_listed:
        counts = "、".join(f"{status.zh} {n} 人" for status, n in result.not_listed)
        console.print(f"未列入：{counts}。只列有效和逾期人员本人证书的日期；"
                      "这些人员请先按登记表的核验结果处理。")
    if result.out_of_scope:
        console.print(f"另有 {result.out_of_scope} 人不在本次核验范围（verify --scope），未列入。",
                      highlight=False)
    if result.undated:
        console.print(f"[grey62]{result.undated} 人无有效期或复审日期可查（证书已吊销或注销、"
                      "官方记录或花名册未填日期），未列入。[/]")


def _headers(several: bool) -> tuple[str, ...]:
    return (SHEET_HEADER, *HEADERS) if several else HEADERS


def _file_headers(several: bool) -> tuple[str, ...]:
    return (*_headers(several), UNIT_HEADER)


def _row(item: DueItem) -> tuple[int, str, str, str, str, str, date, int, str]:
    return (item.row, item.name or "", item.id_number or "", item.status_zh, item.item or "",
            item.event.value, item.when, item.days_left, item.state)


def _write(result: DueList, output: Path, several: bool = False) -> None:
    if output.suffix.lower() == ".csv":
        atomic_write(output, lambda tmp: _write_csv(result, tmp, several))
    else:
        atomic_write(output, lambda tmp: _write_xlsx(result, tmp, several))


def _write_csv(result: DueList, tmp: Path, several: bool) -> None:
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(_file_headers(several))
        for item in result.items:
            sheet: tuple[str, ...] = (item.sheet or "",) if several else ()
            values: tuple[str | int | date, ...] = (*sheet, *_row(item), item.enterprise or "")
            out.writerow(
                neutralise(v.isoformat()) if isinstance(v, date)
                else str(v) if isinstance(v, int) else neutralise(v)
                for v in values
            )


def _write_xlsx(result: DueList, tmp: Path, several: bool) -> None:
    wb = xlsxwriter.Workbook(str(tmp), _WORKBOOK_OPTIONS)
    try:
        ws = wb.add_worksheet("到期提醒")
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        text = wb.add_format({"border": 1})
        when = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        late = wb.add_format({"border": 1, "font_color": "#C00000", "bold": True})
        headers = _file_headers(several)
        widths = ((12,) if several else ()) + (6, 10, 22, 10, 26, 12, 12, 10, 10, 30)
        for col, (h, width) in enumerate(zip(headers, widths, strict=True)):
            ws.set_column(col, col, width)
            ws.write_string(0, col, h, head)
        first = 1 if several else 0
        for r, item in enumerate(result.items, start=1):
            if several:
                ws.write_string(r, 0, item.sheet or "", text)
            row, name, id_number, status, op_item, event, day, days, state = _row(item)
            ws.write_number(r, first, row, text)
            ws.write_string(r, first + 1, name, text)
            # Text, so an 18-digit ID keeps its last digits.
            ws.write_string(r, first + 2, id_number, text)
            ws.write_string(r, first + 3, status, text)
            ws.write_string(r, first + 4, op_item, text)
            ws.write_string(r, first + 5, event, text)
            ws.write_datetime(r, first + 6, _midnight(day), when)
            ws.write_number(r, first + 7, days, late if item.overdue else text)
            ws.write_string(r, first + 8, state, late if item.overdue else text)
            ws.write_string(r, first + 9, item.enterprise or "", text)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(result.items), 1), len(headers) - 1)
        units = "、".join(result.enterprises)
        print_landscape(ws, footer=footer_text(
            f"到期提醒：{result.as_of.isoformat()} 起 {result.within} 天内",
            f"单位：{units}" if units else ""))
    finally:
        wb.close()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
