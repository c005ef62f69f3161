"""``certcheck lookup``: one person, for an inspector on site."""

from __future__ import annotations

import json
import sys
from datetime import date

import click
from rich.table import Table

from certcheck.cli import option_help
from certcheck.cli.app import _guarded, cli, parse_as_of
from certcheck.cli.report import STATUS_STYLE
from certcheck.cli.screen import cell
from certcheck.cli.screen import console as make_console
from certcheck.ids import is_valid_id, mask_id, normalize_id
from certcheck.jsontext import mend
from certcheck.models import (
    DEFAULT_WARN_DAYS,
    CertNumber,
    CertRecord,
    Declared,
    Failed,
    Finding,
    IdProblem,
    Reason,
    Worker,
)
from certcheck.names import normalize_name
from certcheck.register.view import Masker


def make_worker(
    id_text: str, name: str, item: str | None, cert_number: str | None, as_of: date | None = None
) -> Worker:
    id_number = normalize_id(id_text)
    problem = None if is_valid_id(id_number, as_of) else IdProblem.INVALID
    return Worker(
        row=1,
        name=normalize_name(name) or None,
        id_number=id_number or None,
        id_problem=problem if id_number else IdProblem.MISSING,
        # The inspector types the number from the card in hand: compared as typed.
        declared=Declared(
            cert_number=CertNumber(cert_number, (cert_number,)) if cert_number else None,
            item=item or None,
        ),
    )


@cli.command()
@click.option("--id", "id_text", required=True, metavar="身份证号",
              help="被查询人的身份证号（ID number）")
@click.option("--name", required=True, metavar="姓名", help="被查询人的姓名（name）")
@click.option("--source", "source_specs", multiple=True, default=("mem",), show_default=True,
              metavar="数据源", help=option_help.SOURCE)
@click.option("--item", metavar="操作项目",
              help="此人正在从事的操作项目或工种（operation item）")
@click.option("--cert-number", metavar="证号", help="此人出示的证号（certificate number）")
@click.option("--as-of", metavar="日期", help=option_help.AS_OF)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果（print JSON）")
@click.option("--show-id", is_flag=True,
              help="显示完整身份证号（默认打码；show ID numbers in full）")
@click.option("--mem-url", default="https://cx.mem.gov.cn", show_default=True, metavar="网址",
              help=option_help.MEM_URL)
@click.option("--samr-url", default="https://cnse.samr.gov.cn", show_default=True, metavar="网址",
              help="特种设备查询平台的地址（--source samr；镜像 https://cnse.e-cqs.cn；"
                   "special-equipment lookup URL）")
@click.option("--captcha", "captchas", multiple=True, metavar="方式", help=option_help.CAPTCHA)
def lookup(
    id_text: str,
    name: str,
    source_specs: tuple[str, ...],
    item: str | None,
    cert_number: str | None,
    as_of: str | None,
    as_json: bool,
    show_id: bool,
    mem_url: str,
    samr_url: str,
    captchas: tuple[str, ...],
) -> None:
    """现场查证：查询一个人，列出其全部证书和结论（look one person up）

    给出证号（--cert-number）时核对证号，给出操作项目（--item）时核对项目；退出码与 verify
    相同。
    """
    as_of_date = parse_as_of(as_of)
    with _guarded():
        finding = _lookup(make_worker(id_text, name, item, cert_number, as_of_date),
                          source_specs, as_of_date, mem_url, captchas, samr_url)
        if as_json:
            _print_json(finding, as_of_date, show_id)
        else:
            _print_table(finding, show_id)
    from certcheck.cli.exit_codes import exit_code_of
    from certcheck.register.model import verdict_of

    sys.exit(exit_code_of(verdict_of([finding])))


def _lookup(
    worker: Worker, source_specs: tuple[str, ...], as_of: date, mem_url: str,
    captchas: tuple[str, ...], samr_url: str | None = None,
) -> Finding:
    from certcheck.check import EngineSettings, run_lookups
    from certcheck.cli.source_options import open_chosen_sources
    from certcheck.models import Query
    from certcheck.rules import decide, needs_lookup
    from certcheck.sources.samr_mapping import DEFAULT_BASE_URL as SAMR_URL

    key = worker.lookup_key
    if key is None:
        return decide(worker, None, as_of)
    # One ID: a registry file keeps only that person's records.
    sources = open_chosen_sources(source_specs, mem_url=mem_url, captchas=captchas,
                                  ids=frozenset({key[0]}), samr_url=samr_url or SAMR_URL)
    if len(sources.sources) > 1:
        from certcheck.joint import check_jointly
        from certcheck.models import EVERY_REGIME

        # Each source asked about the person for the regimes it serves, one lookup at a time.
        (finding,) = check_jointly([worker], sources, as_of=as_of, warn_days=DEFAULT_WARN_DAYS,
                                   scope=EVERY_REGIME, engine=EngineSettings(concurrency=1))
        return finding
    (source,) = sources.sources
    traits = source.traits
    if not needs_lookup(worker, traits):
        return decide(worker, None, as_of, traits=traits)
    query = Query(*key)
    # The source's polite rate: a rejected captcha costs another captcha and query.
    answers = run_lookups(source, [query], EngineSettings.for_source(source, concurrency=1))
    return decide(worker, answers.get(query), as_of, traits=traits)


def _shown(value: str | None, show_id: bool) -> str:
    return (value or "") if show_id else mask_id(value)


def _record_values(record: CertRecord, show_id: bool) -> dict[str, str | None]:
    """The record's labels and values, with the ID masked wherever it occurs unless shown."""
    masker = Masker(not show_id)
    values = {label: masker.text(value) for label, value in record.to_dict().items()}
    values["证件号码"] = masker.id(record.id_number)
    values["证号"] = masker.text(record.cert_number, record.id_number)
    return values


def _print_table(finding: Finding, show_id: bool) -> None:
    # One small label/value table per certificate: it stays readable on a narrow terminal,
    # which is what an inspector on site has.
    console = make_console()
    w = finding.worker
    masker = Masker(not show_id)
    # The name and the detail are free text that may hold an ID (--name and --id swapped).
    who = cell(f"{masker.text(w.name) or ''} {_shown(w.id_number, show_id)}")
    if not finding.certificates:
        console.print(f"{who}: {_no_record_line(finding)}")
    for index, record in enumerate(finding.certificates, start=1):
        decisive = record == finding.decisive
        title = f"{who} — 证书 {index}/{len(finding.certificates)}" + (
            " (据此判定)" if decisive else ""
        )
        table = Table(title=title, title_justify="left", show_header=False,
                      border_style="bold" if decisive else "dim")
        table.add_column(style="cyan", no_wrap=True)
        table.add_column()
        values = _record_values(record, show_id)
        for label, value in values.items():
            table.add_row(label, cell(value))
        console.print(table)
    warnings = "；".join(code.zh for code in finding.warnings)
    console.print(
        f"结论: [{STATUS_STYLE[finding.status]}]{finding.status.zh} {finding.status.value}[/] — "
        f"{finding.reason.zh} ({finding.reason.value})"
        + (f"；{warnings}" if warnings else "")
        + (f"；{cell(masker.text(finding.detail))}" if finding.detail else "")
    )


#: What the line above the verdict says when no record is shown and the person was not
#: looked up, by the reason that stopped the lookup.
NOT_ASKED = {
    Reason.INVALID_ID: "身份证号无效，未查询 (invalid ID, not looked up)",
    Reason.MISSING_FIELD: "缺少姓名或身份证号，未查询 (not looked up)",
    Reason.ID_PRECISION_LOST: "身份证号末位已丢失，未查询 (not looked up)",
    Reason.NAME_UNREADABLE: "姓名含乱码，未查询 (name unreadable, not looked up)",
    Reason.OTHER_AUTHORITY: "证书归其他部门核发，未向本数据源查询 (other authority, not looked up)",
}


def _no_record_line(finding: Finding) -> str:
    """What happened when no record is shown: not looked up (and why), the lookup failed, or
    the source answered that it holds nothing.

    "No certificate" is said only when the source answered so; a person who was not looked up
    (unreadable name, bad ID, another authority's certificate) or whose lookup failed must not
    read as holding none.
    """
    answer = finding.answer
    if answer is None:
        return NOT_ASKED.get(finding.reason, "未查询 (not looked up)")
    if isinstance(answer.outcome, Failed):
        if finding.reason is Reason.LOOKUP_FAILED:
            return "查询失败 (lookup failed)"
        return f"查询失败：{finding.reason.zh} (lookup failed: {finding.reason.value})"
    return "未查询到证书 (no certificate found)"


def _print_json(finding: Finding, as_of: date, show_id: bool) -> None:
    w = finding.worker
    certificates = [_record_values(record, show_id) for record in finding.certificates]
    masker = Masker(not show_id)
    data = {
        "as_of": as_of.isoformat(),
        "name": masker.text(w.name),
        "id_number": _shown(w.id_number, show_id),
        "status": finding.status.value,
        "status_zh": finding.status.zh,
        "reason": finding.reason.value,
        "reason_zh": finding.reason.zh,
        "warnings": [code.value for code in finding.warnings],
        "detail": masker.text(finding.detail),
        "source": finding.answer.source if finding.answer else None,
        "checked_at": finding.answer.checked_at.isoformat() if finding.answer else None,
        "certificates": certificates,
    }
    # mend: a name given on the command line in another encoding must not crash the print.
    click.echo(mend(json.dumps(data, ensure_ascii=False, indent=2)))
