"""What the terminal shows people: the verdict table, problem workers, mapped columns.

Full ID numbers never reach the terminal: every ID shown here goes through ``mask_id``, and
free text that may hold one (a name) through ``SCREEN``.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from certcheck.ids import mask_id
from certcheck.models import Finding, Status
from certcheck.register.model import Register
from certcheck.register.view import Masker, count_by_sheet, sheet_of
from certcheck.roster import Roster

STATUS_STYLE = {
    Status.VALID: "green",
    Status.EXPIRED: "dark_orange",
    Status.FAKE: "bold red",
    Status.UNCERTIFIED: "magenta",
    Status.UNVERIFIED: "grey62",
}
#: Masks anything ID-shaped in free text shown on the terminal.
SCREEN = Masker(True)
#: Problem workers listed on the terminal; the rest are in the register.
MAX_LISTED = 15


#: How the roster fields are named to the person reading the terminal.
FIELD_ZH = {
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "证号",
    "category": "作业类别",
    "item": "操作项目",
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
    return "，".join(f"“{name}” {n} 人" for name, n in counts)


def show_roster(console: Console, roster: Roster) -> None:
    # Field ← the header as the roster wrote it, so a wrong guess is visible at once.
    mapped = "，".join(
        f"{FIELD_ZH.get(field, field)}←“{header}”" for field, header in roster.columns.items()
    )
    # highlight=False: rich would colour the digits of sheet names and counts at random.
    if len(roster.sheets) > 1:
        console.print(
            f"读取 {roster.file.name}: {len(roster.workers)} 人，{len(roster.sheets)} 个工作表"
            f"（{sheets_read(roster)}）；列: {mapped}",
            highlight=False, markup=False,
        )
    else:
        sheet = f" [{roster.sheet}]" if roster.sheet else ""
        console.print(
            f"读取 {roster.file.name}{sheet}: {len(roster.workers)} 人；列: {mapped}",
            highlight=False, markup=False,
        )
    if roster.skipped:
        console.print(
            "未读取的工作表: "
            + "；".join(f"“{s.name}”（{s.why}）" for s in roster.skipped),
            highlight=False, markup=False,
        )
    if roster.issues:
        console.print(
            f"[yellow]输入问题 {len(roster.issues)} 项[/] (details: the register's 输入问题 "
            "sheet, or input_issues in the JSON)"
        )


def _problem_rows(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.status is not Status.VALID]


def show_register(console: Console, register: Register, outputs: list[Path]) -> None:
    verdict = register.verdict
    problems = _problem_rows(register.findings)
    sheets = register.meta.sheets
    # With one sheet the row number finds the worker; with several it needs the sheet too.
    several = register.meta.several_sheets or (
        len({f.worker.sheet for f in register.findings} - {None}) > 1
    )
    if problems:
        table = Table(title="需处理的人员 / workers to act on", title_justify="left")
        for column in (("工作表",) if several else ()) + ("行", "姓名", "身份证号", "结果", "原因"):
            table.add_column(column)
        for finding in problems[:MAX_LISTED]:
            w = finding.worker
            table.add_row(
                *((escape(sheet_of(finding, sheets) or ""),) if several else ()),
                str(w.row),
                # A name cell may hold an ID (columns swapped in the roster).
                escape(SCREEN.text(w.name) or ""),
                mask_id(w.id_number),
                f"[{STATUS_STYLE[finding.status]}]{finding.status.zh}[/]",
                finding.reason.zh,
            )
        if len(problems) > MAX_LISTED:
            table.caption = f"… and {len(problems) - MAX_LISTED} more in the register"
        console.print(table)

    summary = Table(title="核验结果 / verdict", title_justify="left", show_header=True)
    summary.add_column("")
    summary.add_column("人数", justify="right")
    for status in Status:
        summary.add_row(
            f"[{STATUS_STYLE[status]}]{status.zh} {status.value}[/]", str(verdict.counts[status])
        )
    summary.add_row("合计 total", str(verdict.total))
    summary.add_row("依法持证率 rate", f"{verdict.rate:.1%}")
    style = "green" if verdict.compliant else ("red" if verdict.violations else "yellow")
    summary.add_row("结论 verdict", f"[{style}]{verdict.label_zh}[/]")
    meta = register.meta
    if meta.sample is not None:
        summary.add_row("抽查 sample", f"{meta.sample.size} / {meta.sample.population}")
    console.print(summary)
    for path in outputs:
        console.print(f"登记表 written: {path}")
