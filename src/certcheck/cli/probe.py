"""``certcheck probe``: one live lookup, shown in full, to confirm or correct ``mem_mapping``.

The national lookup's API is known only from public client code that disagrees with itself.
The first user with access runs this once for a person with a certificate: it prints the
exchange (ID numbers masked), says for each field which API key filled it, which keys the
mapping does not know and which expected fields stayed empty, and writes a recording that
``--source replay:DIR`` reads, so that a corrected ``mem_mapping`` can be tried on the real
answer without asking the service again.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import httpx

from certcheck import jsontext
from certcheck.cli import option_help
from certcheck.cli.app import FiniteFloatRange, UserError, _guarded, cli, parse_as_of
from certcheck.cli.exit_codes import ExitCode
from certcheck.cli.outputs import check_folder_to_make
from certcheck.cli.probe_review import Concern, review, verdict_line
from certcheck.cli.screen import plain
from certcheck.ids import is_valid_id, mask_id, normalize_id
from certcheck.models import (
    Answer,
    Failed,
    FailureKind,
    Finding,
    Found,
    NotFound,
    Outcome,
    Query,
)
from certcheck.names import normalize_name
from certcheck.sources import mem_mapping as api
from certcheck.sources import samr_mapping as samr_api
from certcheck.sources.mem import Exchange, MemSource, read_query, recording_path, scrub
from certcheck.sources.mem_answer import AnswerReading, RecordReading
from certcheck.sources.mem_refusal import refusal_of

#: Characters of one body shown; the recording holds all of it.
SHOWN_BODY = 4000
#: Before the keys of an answer that the mapping does not know.
UNKNOWN_KEYS = "mem_mapping 不认识的字段（unknown keys）"

#: Writes one or more of probe's lines (``_echo``; the report of each source takes it).
Echo = Callable[..., None]


def _echo(text: str = "") -> None:
    """One or more of probe's lines. Whatever in them came from the service (bodies, keys,
    values, messages, headers) is somebody else's text: each line goes through ``plain`` as file
    text does, so an escape sequence in an answer is shown (``\\x1b``), never obeyed."""
    click.echo("\n".join(plain(line) for line in text.split("\n")))


def print_header(base_url: str, query: Query, service: str = "", echo: Echo = _echo) -> None:
    """The report's first line: where the one lookup goes (``service`` names it), and for whom
    (the ID masked)."""
    echo(f"certcheck probe：向{service} {base_url} 查询一次（one lookup）："
         f"{mask_id(query.id_number)} {query.name}\n")


@cli.command()
@click.option("--id", "id_text", required=True, metavar="身份证号",
              help="要查询的人的身份证号（ID number）")
@click.option("--name", required=True, metavar="姓名",
              help="其姓名，与身份证上一致（name, as on the ID card）")
@click.option("--mem-url", default=api.DEFAULT_BASE_URL, show_default=True, metavar="网址",
              help=option_help.MEM_URL)
@click.option("--source", "source_name", type=click.Choice(["mem", "samr"]), default="mem",
              show_default=True, metavar="数据源",
              help="要检查的平台：mem（国家特种作业操作证查询平台）或 samr"
                   "（全国特种设备公示信息查询平台，不写录制文件；the lookup to probe）")
@click.option("--samr-url", default=samr_api.DEFAULT_BASE_URL, show_default=True, metavar="网址",
              help="特种设备查询平台的地址（--source samr；镜像 https://cnse.e-cqs.cn；"
                   "special-equipment lookup URL）")
@click.option("--captcha", metavar="方式",
              help="验证码识别方式：prompt（在终端运行时默认）、command:程序，或插件名"
                   "（captcha solver）")
@click.option("--timeout", type=FiniteFloatRange(min=0, min_open=True, max=3600), default=20,
              show_default=True, metavar="秒",
              help="一次请求最长可用的秒数，直到收完答复（timeout）")
@click.option("--record", "record_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("certcheck-probe"), show_default=True, metavar="文件夹",
              help="录下的答复保存在此，可用 --source replay:文件夹 读回（recording）")
@click.option("--item", metavar="操作项目",
              help="要判定的操作项目（默认：答复中的每个项目；operation item）")
@click.option("--as-of", metavar="日期",
              help="判定所依据的日期，如 2026-12-01 或 2026年12月1日（默认今天；as-of date）")
def probe(
    id_text: str, name: str, mem_url: str, captcha: str | None, timeout: float, record_dir: Path,
    item: str | None, as_of: str | None, source_name: str = "mem",
    samr_url: str = samr_api.DEFAULT_BASE_URL,
) -> None:
    """接口核对：做一次真实查询并完整显示，核对字段对照（check the API mapping）

    显示请求和答复（身份证号打码）、每个字段由哪个接口字段填入、certcheck 不认识的字段、
    应有却为空的字段，以及 verify 会得出的结论和答复中会改变结论的一切（防火墙的拒绝、
    状态代码、被遮盖或无法解码的值、被截断的页面）。答复读懂且没有会改变结论的内容时
    退出码为 0，有则为 3，无法安全连接服务时为 4。
    """
    as_of_date = parse_as_of(as_of)
    with _guarded():
        id_number = normalize_id(id_text)
        if not is_valid_id(id_number, as_of_date):
            raise UserError(
                f"--id {mask_id(id_number)} 不是有效的身份证号（not a valid ID number）",
                ExitCode.USAGE,
            )
        query = Query(id_number, normalize_name(name))
        if not query.name:
            raise UserError("--name 是空的（empty）", ExitCode.USAGE)
        # Before the lookup: a captcha typed for a recording that cannot be written is wasted.
        check_folder_to_make(record_dir, "--record")
        if source_name == "samr":
            from certcheck.cli.probe_samr import probe_samr

            outcome, concerns = probe_samr(query, samr_url, captcha, timeout, item, as_of_date,
                                           _echo)
        else:
            outcome, concerns = _probe(query, mem_url, captcha, timeout, record_dir, item,
                                       as_of_date)
    understood = isinstance(outcome, Found | NotFound)
    changes = any(c.changes_verdict for c in concerns)
    sys.exit(ExitCode.COMPLIANT if understood and not changes else ExitCode.INCOMPLETE)


def _probe(
    query: Query, mem_url: str, captcha: str | None, timeout: float, record_dir: Path,
    item: str | None, as_of: date,
) -> tuple[Outcome, list[Concern]]:
    from certcheck.cli.source_options import open_chosen_source

    source = open_chosen_source("mem", mem_url=mem_url, captcha=captcha, timeout=timeout,
                                record_dir=record_dir)
    assert isinstance(source, MemSource)
    source.name_variants = False  # one lookup: the name exactly as given

    async def main() -> tuple[Outcome, list[Exchange]]:
        try:
            return await _ask(source, query)
        finally:
            await source.aclose()

    print_header(source.base_url, query)
    outcome, exchanges = asyncio.run(main())
    for number, exchange in enumerate(exchanges, start=1):
        _print_exchange(number, exchange, query)
    last = next((e for e in reversed(exchanges) if e.step == "query"), None)
    reading = read_query(last, query) if last is not None else None
    if isinstance(reading, AnswerReading):
        _print_reading(reading)
    if isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED \
            and outcome.raw is None:
        raise_tls_problem(source.base_url, timeout, "--mem-url")
    _print_outcome(outcome)
    findings = _verdicts(query, outcome, item, as_of, source)
    concerns = review(exchanges, reading, findings)
    print_review(findings, concerns, as_of)
    path = recording_path(record_dir, query)
    if path.exists():
        _echo(f"\n已录下（recorded）：{path}；可用 --source replay:{record_dir} 读回")
    return outcome, concerns


def _verdicts(
    query: Query, outcome: Outcome, item: str | None, as_of: date, source: MemSource
) -> list[Finding]:
    """What verify would conclude for the person: for ``item``, or for each item the answer's
    current records hold (as if the roster declared what the page shows)."""
    from certcheck.cli.lookup import make_worker
    from certcheck.rules import decide

    if item is not None:
        items: list[str | None] = [item]
    elif isinstance(outcome, Found):
        items = list(dict.fromkeys(r.item for r in outcome.records if not r.history and r.item))
    else:
        items = []
    answer = Answer(outcome, source.name, datetime.now(UTC))
    return [
        decide(make_worker(query.id_number, query.name, each, None, as_of), answer, as_of,
               traits=source.traits)
        for each in items or [None]
    ]


def print_review(findings: list[Finding], concerns: list[Concern], as_of: date,
                 echo: Echo = _echo) -> None:
    """What verify would conclude for each item, and what in the answer a person should know."""
    echo(f"\n核对结论（what verify would conclude），核验日期 {as_of}：")
    for finding in findings:
        echo(f"  {verdict_line(finding)}")
    if not concerns:
        echo("  回答中没有会改变结论的内容（nothing in the answer changes a verdict）")
        return
    echo("\n需要注意（concerns）：")
    for concern in concerns:
        mark = "!" if concern.changes_verdict else "-"
        echo(f"  {mark} {concern.text}")
    if any(c.changes_verdict for c in concerns):
        echo("  （标 ! 的会改变 verify 的结论，probe 以 3 退出；items marked ! change a verdict）")


#: Further tries after a firewall's refusal, as verify would make them: a challenge often sets a
#: cookie that lets the next request through.
RETRIES_AFTER_REFUSAL = 2
#: The longest wait before such a try, whatever ``Retry-After`` asks.
LONGEST_RETRY_WAIT = 5.0


async def _ask(source: MemSource, query: Query) -> tuple[Outcome, list[Exchange]]:
    """The lookup, tried again (at most twice) when a refusal stopped it, so the report shows
    both the refusal and the answer behind it."""
    outcome, exchanges = await source.lookup_exchanges(query)
    for _ in range(RETRIES_AFTER_REFUSAL):
        refusals = [e for e in exchanges if refusal_of(e) is not None]
        if not (isinstance(outcome, Failed) and outcome.transient and refusals):
            break
        await asyncio.sleep(min(refusals[-1].retry_after or 1.0, LONGEST_RETRY_WAIT))
        outcome, more = await source.lookup_exchanges(query)
        exchanges += more
    return outcome, exchanges


# --- the exchange ---------------------------------------------------------------------------


def _print_exchange(number: int, exchange: Exchange, query: Query) -> None:
    if exchange.step == "captcha":
        request = f"GET {api.CAPTCHA_PATH}"
    else:
        params = {api.PARAM_NAME: exchange.name or query.name,
                  api.PARAM_ID: mask_id(query.id_number), api.PARAM_CAPTCHA: "<answer>",
                  api.PARAM_UUID: "<uuid>", **api.QUERY_FIXED_PARAMS}
        request = f"GET {api.QUERY_PATH}?" + "&".join(f"{k}={v}" for k, v in params.items())
    _echo(f"{number}. {request}")
    refused = "  ← 拒绝（refused by a firewall or limiter）" if refusal_of(exchange) else ""
    _echo(f"   → HTTP {exchange.status}"
               + (f", Retry-After {exchange.retry_after:g} s" if exchange.retry_after else "")
               + refused)
    print_body(exchange.to_json()["body"])


def print_body(body: str, echo: Echo = _echo) -> None:
    """An answer's body under its request: JSON indented, at most ``SHOWN_BODY`` characters."""
    try:
        shown = json.dumps(jsontext.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        shown = body
    if len(shown) > SHOWN_BODY:
        more = len(shown) - SHOWN_BODY
        shown = shown[:SHOWN_BODY] + f"\n…（另有 {more} 个字符，more characters）"
    # Split at line feeds only: other separators (\x1c, \u2028) are shown escaped.
    echo("\n".join("   " + line for line in scrub(shown).split("\n")) if shown
         else "   （空，empty）")
    echo()


# --- the field report -------------------------------------------------------------------


def _print_reading(reading: AnswerReading) -> None:
    _echo(f"答复（answer）：{reading.kind.value}（code {reading.code!r}，msg {reading.message!r}）")
    if reading.problem:
        _echo(f"  无法识别（not understood）：{scrub(reading.problem)}")
    if reading.unknown:
        _echo(f"  {UNKNOWN_KEYS}：" + ", ".join(reading.unknown))
    for number, record in enumerate(reading.records, start=1):
        _print_record(number, len(reading.records), record)
    if reading.records:
        _print_summary(reading)


def _print_record(number: int, total: int, reading: RecordReading) -> None:
    kind = "历史数据（history）" if reading.history else "当前（current）"
    _echo(f"\n记录 {number}/{total}，{kind}：")
    raw: Mapping[str, Any] = reading.raw or {}
    filled = dict(reading.filled)
    label_width = max(len(f.label) for f in api.RECORD_MAP)
    for field in api.RECORD_MAP:
        label = field.label.ljust(label_width, "\u3000")
        key = filled.get(field.attr)
        if key is None:
            _echo(f"  {label}  —  无值（no value under {' / '.join(field.keys)}）"
                  + ("  必填（required）" if field.required else ""))
            continue
        value = shown_value(raw.get(key))
        read = getattr(reading.record, field.attr, None) if reading.record is not None else None
        if field.is_date and read is not None and str(read) != str(raw.get(key)).strip():
            value += f" → {read}"
        _echo(f"  {label}  {key} = {value}")
    for key in reading.unknown:
        _echo(f"  未知字段（unknown key） {key} = {shown_value(raw.get(key))}")
    for note in reading.notes:
        _echo(f"  注（note）：{scrub(note)}")
    if reading.problem:
        _echo(f"  不可用（not usable）：{scrub(reading.problem)}")


def shown_value(value: object) -> str:
    """A value of an answer on one line: JSON unless it is text, cut at 120 characters."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return scrub(text if len(text) <= 120 else text[:120] + "…")


def _print_summary(reading: AnswerReading) -> None:
    records = reading.records
    _echo("\n本次答复的字段对照（summary of the mapping）：")
    for field in api.RECORD_MAP:
        keys = sorted({k for r in records for attr, k in r.filled if attr == field.attr})
        empty = sum(1 for r in records if field.attr in r.missing)
        where = ", ".join(keys) if keys else "无字段（no key）"
        gap = f"；{len(records)} 条记录中 {empty} 条为空（empty）" if empty else ""
        _echo(f"  {field.attr:<13} ← {where}{gap}")
    unknown = reading.unknown_keys
    _echo(f"  {UNKNOWN_KEYS}：" + (", ".join(unknown) if unknown else "无（none）"))


def _print_outcome(outcome: Outcome) -> None:
    found = ""
    if isinstance(outcome, Found):
        history = sum(1 for r in outcome.records if r.history)
        found = f"查到 {len(outcome.records)} 条记录，其中历史数据 {history} 条（found）"
    print_outcome(outcome, found=found,
                  nothing="未查到（nothing found；网页会显示“没有查询到相关证件信息”）")


def print_outcome(outcome: Outcome, *, found: str, nothing: str, echo: Echo = _echo) -> None:
    """The outcome verify would use: ``found`` or ``nothing`` in the source's words, or the
    failure with its reason."""
    if isinstance(outcome, Found):
        what = found
    elif isinstance(outcome, NotFound):
        what = nothing
    else:
        what = f"{outcome.reason.zh}（{outcome.reason.value}）：{scrub(outcome.detail)}"
    echo(f"\nverify 会采用的结果（outcome）：{what}")
    detail = outcome.detail if isinstance(outcome, Found | NotFound) else None
    if detail:
        echo(f"  {scrub(detail)}")


# --- TLS --------------------------------------------------------------------------------------


def raise_tls_problem(base_url: str, timeout: float, url_option: str) -> None:
    """When the service could not be reached, say plainly if TLS is why (exit 4);
    ``url_option`` is the option that gave ``base_url``."""
    problem = tls_problem(base_url, timeout)
    if problem is None:
        return
    raise UserError(
        f"无法与 {base_url} 建立安全连接（{problem}）。请检查电脑的日期和时间；"
        f"公司代理检查 HTTPS 时，请把 SSL_CERT_FILE 指向代理的证书文件；并检查 {url_option}"
        "（cannot talk securely）",
        ExitCode.BAD_INPUT,
    )


def tls_problem(base_url: str, timeout: float) -> str | None:
    """The TLS error a handshake with the service meets, made as certcheck's HTTP client makes
    it (same certificate store), or None when the handshake succeeds or cannot be tried."""
    url = httpx.URL(base_url)
    if url.scheme != "https" or not url.host:
        return None
    port = url.port or 443
    context = httpx.create_ssl_context()
    try:
        with socket.create_connection((url.host, port), timeout=timeout) as raw_socket, \
                context.wrap_socket(raw_socket, server_hostname=url.host):
            return None
    except ssl.SSLCertVerificationError as exc:
        return f"its certificate is not trusted ({exc.verify_message or exc.reason})"
    except ssl.SSLError as exc:
        return f"the TLS handshake failed ({exc.reason or exc})"
    except OSError:
        return None  # not a TLS problem: the plain failure says what happened
