"""``certcheck summary``: registers → the district summary table (附件1 of the notice)."""

from __future__ import annotations

import glob
import json
import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from certcheck.atomic import atomic_write
from certcheck.cli.app import UserError, _guarded, cli, parse_as_of, same_file
from certcheck.cli.exit_codes import ExitCode
from certcheck.cli.match_key_option import match_key, match_key_option
from certcheck.cli.outputs import check_output
from certcheck.cli.quoting import MissingPath, found_hint, joined_path
from certcheck.cli.report import SCREEN
from certcheck.cli.screen import cell, plain
from certcheck.cli.screen import console as make_console
from certcheck.jsontext import mend
from certcheck.matchkey import MatchKey
from certcheck.summary import (
    FormHeader,
    Summary,
    SummaryInputError,
    load_registers,
    read_actions,
    read_enterprises,
    summarize,
    summary_to_dict,
    write_form,
)
from certcheck.summary.aggregate import (
    INSPECTION_CATEGORY,
    INSPECTION_ROWS,
    INSPECTION_SUBJECT,
    SELF_CHECK_CATEGORY,
    SELF_CHECK_ROWS,
)
from certcheck.summary.crossref import CrossCheck
from certcheck.summary.form import ATTACHMENT_LABEL, TITLE, cross_lead, figure_value
from certcheck.summary.supersede import Undecidable

_GLOB_CHARS = frozenset("*?[")


def expand_registers(patterns: tuple[str, ...]) -> list[Path]:
    """The register paths, with glob patterns expanded here for shells that do not (cmd.exe).

    A pattern that matches nothing, or a path that does not exist, is a usage error: a form
    filled from fewer registers than intended must not be produced silently.
    """
    paths: list[Path] = []
    for index, pattern in enumerate(patterns):
        if Path(pattern).exists():
            paths.append(Path(pattern))
            continue
        if _GLOB_CHARS & set(pattern):
            matched = sorted(glob.glob(pattern, recursive=True))
            if not matched:
                raise click.BadParameter(f"没有与 {pattern} 匹配的登记表（no match）",
                                         param_hint="REGISTER...")
            paths.extend(Path(m) for m in matched)
            continue
        # 我的 登记表.xlsx typed without quotes arrives as two names, 我的 and 登记表.xlsx; the
        # first may exist as well (a file named 我的), and only the second is missing.
        split = joined_path(patterns[index:])
        if split is None and index > 0:
            split = joined_path(patterns[index - 1:])
        hint = found_hint(split) if split is not None else ""
        raise MissingPath(f"找不到文件 {pattern}（no such file）{hint}", path=pattern,
                          param_hint="REGISTER...")
    for path in paths:
        if path.is_dir():
            raise click.BadParameter(f"{path} 是文件夹，请给出其中的登记表文件"
                                     f"（如 {path}/*.register.xlsx）", param_hint="REGISTER...")
    if not paths:
        raise click.UsageError("没有给出登记表（no registers given）")
    return paths


@cli.command()
@click.argument("registers", nargs=-1, metavar="REGISTER...")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), metavar="文件",
              help="汇总表写到此文件（.xlsx 或 .json），“-” 表示把 JSON 写到标准输出；"
                   "不给则显示在终端上（output）")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]),
              help="输出格式（默认按 -o 的扩展名）；json 且不给 -o 时把 JSON 写到标准输出"
                   "（format）")
@click.option("--enterprises", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              metavar="文件",
              help="含“单位名称”列的 CSV 或 XLSX：辖区内的单位（enterprises of the "
                   "jurisdiction）")
@click.option("--actions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              metavar="文件",
              help="含 单位名称、措施（责令整改/停产整顿）、罚款（万元）三列的 CSV 或 XLSX"
                   "（actions taken）")
@click.option("--unit", default="", metavar="单位", help="填报单位（the reporting office）")
@click.option("--filler", default="", metavar="姓名", help="填表人（who filled the form）")
@click.option("--phone", default="", metavar="电话", help="联系电话（the filler's phone）")
@click.option("--date", "fill_date", metavar="日期",
              help="填报日期，如 2026-12-01 或 2026年12月1日（默认今天；none 表示留空待手填；"
                   "date filled）")
@match_key_option("区县设定的比对密钥文件，与 verify 所用的相同：身份证号遮挡的登记表凭比对标记"
                  "跨单位比对（the district's match key）")
def summary(
    registers: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    enterprises: Path | None,
    actions: Path | None,
    unit: str,
    filler: str,
    phone: str,
    fill_date: str | None,
    match_key_file: Path | None,
) -> None:
    """汇总多份登记表，填写情况汇总表附件1（aggregate registers into 附件1）

    REGISTER... 是 verify 写出的 .xlsx 或 .json 登记表（企业自查的和执法检查的可以一起
    给出；通配符会展开）。同一份登记表给了两次或它的副本，只算一次。
    同一单位同一检查类型的多份登记表，只计核验时间最新的一份。
    """
    paths = expand_registers(registers)
    chosen = _format(output, fmt)
    day = None if fill_date == "none" else _fill_date(fill_date)
    if output is not None and str(output) != "-":
        for path in paths:
            if same_file(path, output):
                raise click.UsageError(f"-o {output} 是要汇总的登记表之一，请换一个文件名")
        for listed in (enterprises, actions):
            if listed is not None and same_file(listed, output):
                raise click.UsageError(f"-o {output} 是读取的名单之一，请换一个文件名")
    with _guarded():
        if output is not None and str(output) != "-":
            check_output(output)  # before any register is read
        key = match_key(match_key_file)
        # Text from a terminal in another encoding arrives with unpaired surrogates.
        header = FormHeader(unit=mend(unit.strip()), filler=mend(filler.strip()),
                            phone=mend(phone.strip()), date=day)
        _summary(paths, output, chosen, enterprises, actions, header, key)
    sys.exit(ExitCode.COMPLIANT)


def _fill_date(value: str | None) -> date:
    return parse_as_of(value, "--date")


def _format(output: Path | None, fmt: str | None) -> str:
    """'xlsx', 'json' or 'table' (terminal)."""
    if output is None:
        if fmt == "xlsx":
            raise click.UsageError("--format xlsx 需要 -o 文件名.xlsx")
        return fmt or "table"
    if str(output) == "-":
        if fmt == "xlsx":
            raise click.UsageError(".xlsx 表格不能输出到标准输出，请用 -o 文件名.xlsx")
        return "json"
    if fmt:
        return fmt
    suffix = output.suffix.lower()
    if suffix in (".xlsx", ".json"):
        return suffix[1:]
    raise click.UsageError(f"-o {output}：汇总表请写成 .xlsx 或 .json 文件")


def _summary(
    paths: list[Path],
    output: Path | None,
    fmt: str,
    enterprises_file: Path | None,
    actions_file: Path | None,
    header: FormHeader,
    key: MatchKey | None,
) -> None:
    from certcheck.cli.status import status_line

    errors = make_console(stderr=True)
    try:
        with status_line(errors, f"正在读取 {len(paths)} 份登记表"):
            loaded = load_registers(paths)
        names = read_enterprises(enterprises_file) if enterprises_file else None
        measures = read_actions(actions_file) if actions_file else []
        result = summarize(loaded.registers, names, measures, match_key=key)
    except (SummaryInputError, Undecidable) as exc:
        raise UserError(str(exc), ExitCode.BAD_INPUT) from None
    for message in (*loaded.warnings, *result.warnings):
        errors.print(f"[yellow]提示：[/]{cell(SCREEN.text(message))}", highlight=False)
    _show_cross(errors, result.cross)

    if fmt == "json":
        text = json.dumps(summary_to_dict(result, header), ensure_ascii=False, indent=2)
        if output is None or str(output) == "-":
            click.echo(text)
        else:
            atomic_write(output, text + "\n")
            errors.print(f"已写入 {plain(output)}", highlight=False, markup=False)
        return
    if fmt == "xlsx":
        assert output is not None
        write_form(result, header, output)
        replaced = f"，另有 {len(result.superseded)} 份已被替代" if result.superseded else ""
        errors.print(f"已写入 {output}（{len(result.registers)} 份登记表{replaced}，"
                     f"{len(result.per_enterprise)} 家单位）")
        return
    _show(make_console(), result, header)


def _show(console: Console, result: Summary, header: FormHeader) -> None:
    table = Table(title=TITLE)
    # The category wraps as in the printed form so the labels keep their full width.
    table.add_column("类别", max_width=14, overflow="fold")
    table.add_column("项目", overflow="fold")
    table.add_column("汇总数据", justify="right", no_wrap=True)
    for i, label in enumerate(SELF_CHECK_ROWS):
        table.add_row(SELF_CHECK_CATEGORY if i == 0 else "", label,
                      _shown(figure_value(result.figures[label])))
    table.add_section()
    for i, label in enumerate(INSPECTION_ROWS):
        category = f"{INSPECTION_CATEGORY}（{INSPECTION_SUBJECT}）" if i == 0 else ""
        table.add_row(category, label, _shown(figure_value(result.figures[label])))
    table.add_section()
    table.add_row("填表人", f"{cell(header.filler)}    联系电话：{cell(header.phone)}", "")
    console.print(f"{ATTACHMENT_LABEL}")
    console.print(f"填报单位：{cell(header.unit)}    填报日期：{header.date_text}")
    console.print(table)
    replaced = f"（另有 {len(result.superseded)} 份已被替代，未计入）" if result.superseded else ""
    console.print(
        f"{len(result.registers)} 份登记表{replaced}，{len(result.per_enterprise)} 家单位；"
        "写入表格请加 -o 汇总表.xlsx（含分单位明细）"
    )


def _show_cross(errors: Console, cross: CrossCheck) -> None:
    """The people found in two or more enterprises, one line each, IDs masked."""
    if cross.enterprises < 2:
        return
    errors.print(f"跨单位比对：{cross_lead(cross)}", highlight=False, markup=False,
                 soft_wrap=True)
    for person in cross.people:
        where = "；".join(f"{a.enterprise}（{a.kind.zh}：{a.status.zh}）"
                         for a in person.appearances)
        errors.print(plain(SCREEN.text(f"  {'／'.join(person.names)} {person.id_shown}：{where}")),
                     highlight=False, markup=False, soft_wrap=True)


def _shown(value: int | float) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
