"""What the terminal shows people: the verdict table, problem workers, mapped columns.

Full ID numbers never reach the terminal: every ID shown here goes through ``mask_id``, and
free text that may hold one (a name) through ``SCREEN``. Text from the roster goes through
``screen.cell`` / ``screen.plain``, so no control character of a file reaches the terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from certcheck.cli.screen import cell, plain
from certcheck.ids import mask_id
from certcheck.models import Finding, Reason, Status, WarningCode
from certcheck.register.model import Register
from certcheck.register.view import Masker, count_by_sheet, sheet_of

if TYPE_CHECKING:  # the roster reader is heavy, and lookup never reads a roster
    from certcheck.roster import Roster

STATUS_STYLE = {
    Status.VALID: "green",
    Status.EXPIRED: "dark_orange",
    Status.FAKE: "bold red",
    Status.UNCERTIFIED: "magenta",
    Status.UNVERIFIED: "grey62",
}
#: Masks anything ID-shaped in free text shown on the terminal.
SCREEN = Masker(True, grouped=True)
#: Problem workers listed on the terminal (and rows per warning); the rest are in the register.
MAX_LISTED = 15
#: Input issues listed on the terminal; all are in the register's 输入问题 sheet.
MAX_ISSUES = 5


#: How the roster fields are named to the person reading the terminal.
FIELD_ZH = {
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "证号",
    "category": "作业类别",
    "item": "操作项目",
    "job": "岗位",
    "first_issued": "初领日期",
    "valid_from": "有效期开始",
    "valid_until": "有效期结束",
    "review_due": "应复审日期",
    "reviewed": "实际复审日期",
    "issuer": "发证机关",
}


def sheets_read(roster: Roster) -> str:
    """``“电工” 12 人，“焊工” 8 人``: the sheets read with their workers, in workbook order."""
    counts = count_by_sheet(
        (w.sheet or (roster.sheets[0] if len(roster.sheets) == 1 else None)
         for w in roster.workers),
        roster.sheets,
    )
    return "，".join(f"“{sheet_name(name)}” {n} 人" for name, n in counts)


def sheet_name(name: str | None) -> str:
    """A sheet's name as the terminal shows it: a tab may be named after a person's ID."""
    return plain(SCREEN.text(name) or "")


def show_roster(console: Console, roster: Roster) -> None:
    # Field ← the header as the roster wrote it, so a wrong guess is visible at once.
    mapped = "，".join(
        f"{FIELD_ZH.get(field, field)}←“{plain(header)}”"
        for field, header in roster.columns.items()
    )
    # highlight=False: rich would colour the digits of sheet names and counts at random.
    if len(roster.sheets) > 1:
        console.print(
            f"读取 {plain(roster.file.name)}: {len(roster.workers)} 人，"
            f"{len(roster.sheets)} 个工作表"
            f"（{sheets_read(roster)}）；列: {mapped}",
            highlight=False, markup=False,
        )
    else:
        sheet = f" [{sheet_name(roster.sheet)}]" if roster.sheet else ""
        console.print(
            f"读取 {plain(roster.file.name)}{sheet}: {len(roster.workers)} 人；列: {mapped}",
            highlight=False, markup=False,
        )
    if roster.skipped:
        console.print(
            "未读取的工作表: "
            + "；".join(f"“{sheet_name(s.name)}”（{plain(SCREEN.text(s.why))}）"
                       for s in roster.skipped),
            highlight=False, markup=False,
        )
    if roster.issues:
        console.print(
            f"[yellow]输入问题 {len(roster.issues)} 项[/]（全部见登记表的“输入问题”工作表，"
            "或 JSON 的 input_issues）",
            highlight=False,
        )
        for issue in roster.issues[:MAX_ISSUES]:
            where = f"第 {issue.row} 行：" if issue.row is not None else ""
            # Indented as a list, the lines it wraps onto too.
            console.print(Padding(Text(f"{where}{plain(SCREEN.text(issue.message))}"),
                                  (0, 0, 0, 2), expand=False))
        if len(roster.issues) > MAX_ISSUES:
            console.print(f"  …… 另有 {len(roster.issues) - MAX_ISSUES} 项", highlight=False)


def _problem_rows(findings: tuple[Finding, ...]) -> list[Finding]:
    """The workers to act on: neither valid nor left out by the run's scope."""
    return [f for f in findings
            if f.status is not Status.VALID and f.reason is not Reason.OUT_OF_SCOPE]


def _several(register: Register) -> bool:
    # With one sheet the row number finds the worker; with several it needs the sheet too.
    return register.meta.several_sheets or (
        len({f.worker.sheet for f in register.findings} - {None}) > 1
    )


def print_table(console: Console, title: str, table: Table, note: str | None = None) -> None:
    """A table with its title (and a note under it) as lines of their own: a table's title
    would be padded with spaces to the table's width, in a file as on the screen."""
    console.print(Text(title, style="table.title"))
    console.print(table, highlight=False)
    if note:
        console.print(Text(note, style="table.caption"))


def _people_table(several: bool, extra: tuple[str, ...] = ()) -> Table:
    """Rows of workers: the masked ID is never cut (it is what tells two 张伟 apart), the
    name and the reason wrap instead."""
    table = Table()
    if several:
        table.add_column("工作表", overflow="fold", min_width=4)
    table.add_column("行", justify="right", no_wrap=True)
    table.add_column("姓名", overflow="fold", min_width=4)
    table.add_column("身份证号", no_wrap=True, min_width=18)
    for header in extra:
        table.add_column(header, overflow="fold", min_width=4)
    return table


def _who(finding: Finding, several: bool, sheets: tuple[str, ...]) -> tuple[str, ...]:
    w = finding.worker
    return (
        *((cell(SCREEN.text(sheet_of(finding, sheets)) or ""),) if several else ()),
        str(w.row),
        # A name cell may hold an ID (columns swapped in the roster).
        cell(SCREEN.text(w.shown_name) or ""),
        mask_id(w.id_number),
    )


def show_warnings(console: Console, register: Register) -> None:
    """Each warning with its count and the rows concerned, as the workers to act on are."""
    several = _several(register)
    sheets = register.meta.sheets
    for code in WarningCode:
        concerned = [f for f in register.findings if code in f.warnings]
        if not concerned:
            continue
        # An unknown item is best fixed knowing what the roster wrote.
        item = code is WarningCode.UNKNOWN_ITEM
        table = _people_table(several, ("结果", "作业项目") if item else ("结果",))
        for finding in concerned[:MAX_LISTED]:
            table.add_row(
                *_who(finding, several, sheets),
                f"[{STATUS_STYLE[finding.status]}]{finding.status.zh}[/]",
                *((cell(SCREEN.text(finding.worker.declared.item_shown)),) if item else ()),
            )
        more = len(concerned) - MAX_LISTED
        print_table(console, f"提示：{code.zh} ({code.value}) {len(concerned)} 人", table,
                    f"…… 另有 {more} 人，见登记表" if more > 0 else None)


def show_register(console: Console, register: Register, outputs: list[Path]) -> None:
    verdict = register.verdict
    problems = _problem_rows(register.findings)
    sheets = register.meta.sheets
    several = _several(register)
    if problems:
        table = _people_table(several, ("结果", "原因"))
        for finding in problems[:MAX_LISTED]:
            table.add_row(
                *_who(finding, several, sheets),
                f"[{STATUS_STYLE[finding.status]}]{finding.status.zh}[/]",
                finding.reason.zh,
            )
        more = len(problems) - MAX_LISTED
        print_table(console, f"需处理的人员 / workers to act on：{len(problems)} 人", table,
                    f"…… 另有 {more} 人，见登记表" if more > 0 else None)
    show_warnings(console, register)

    summary = Table(show_header=True)
    summary.add_column("")
    summary.add_column("人数", justify="right")
    for status in Status:
        summary.add_row(
            f"[{STATUS_STYLE[status]}]{status.zh} {status.value}[/]", str(verdict.counts[status])
        )
    summary.add_row("合计 total", str(verdict.total))
    meta = register.meta
    if not meta.scope.everything:
        # Listed in the register, counted in none of the rows above.
        summary.add_row(f"{Reason.OUT_OF_SCOPE.zh} out of scope", str(verdict.out_of_scope))
    summary.add_row("依法持证率 rate", f"{verdict.rate:.1%}")
    style = "green" if verdict.compliant else ("red" if verdict.violations else "yellow")
    summary.add_row("结论 verdict", f"[{style}]{verdict.label_zh}[/]")
    if not meta.scope.everything:
        summary.add_row("核验范围 scope", f"{meta.scope.zh}（{meta.scope.name}）")
    if meta.sample is not None:
        summary.add_row("抽查 sample", f"{meta.sample.size} / {meta.sample.population}")
    print_table(console, "核验结果 / verdict", summary)
    for path in outputs:
        console.print(f"已写入登记表：{plain(path)}", highlight=False, markup=False)
