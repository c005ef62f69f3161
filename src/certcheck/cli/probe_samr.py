"""``certcheck probe --source samr``: one live lookup of the special-equipment lookup, in full.

Nothing of that service has been seen by this project in a real answer: ``samr_mapping`` rests
on public client code and on assumptions, each field saying which. This prints every request
and answer (ID numbers masked, the slider's images left out), every field of every record with
the key that filled it and what that rests on (``公开代码所示`` public code, ``推定，未证实``
assumed), the keys nobody mapped, what ``verify`` would conclude, and what in the answer would
change that.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from certcheck import jsontext
from certcheck.cli.app import UserError
from certcheck.cli.exit_codes import ExitCode
from certcheck.cli.probe_review import Concern, verdict_line
from certcheck.dates import MonthDate
from certcheck.ids import mask_id
from certcheck.models import Answer, Failed, FailureKind, Finding, Found, NotFound, Outcome, Query
from certcheck.models import Status as VerdictStatus
from certcheck.sources import samr_mapping as api
from certcheck.sources.mem import scrub
from certcheck.sources.samr import Exchange, SamrSource, json_object, refusal
from certcheck.sources.samr_answer import (
    Kind,
    ListReading,
    RecordReading,
    SingleReading,
    read_list,
    read_single,
)

#: Characters of one body shown.
SHOWN_BODY = 4000
#: Words of an unknown key's name that say it may hold a status or a date (``zszt``, ``yxq``).
_DECIDING = ("zt", "yx", "rq", "date", "status", "state", "valid", "flag", "end", "sj")


def probe_samr(
    query: Query, samr_url: str, captcha: str | None, timeout: float, item: str | None,
    as_of: date, echo: Any,
) -> tuple[Outcome, list[Concern]]:
    """One lookup, printed through ``echo`` (probe's own line writer)."""
    from certcheck.cli.source_options import open_chosen_source

    source = open_chosen_source("samr", mem_url="", captcha=captcha, timeout=timeout,
                                samr_url=samr_url)
    assert isinstance(source, SamrSource)

    async def main() -> tuple[Outcome, list[Exchange]]:
        try:
            return await source.lookup_exchanges(query)
        finally:
            await source.aclose()

    echo(f"certcheck probe: one lookup at {source.base_url} (special-equipment lookup) for "
         f"{mask_id(query.id_number)} {query.name}\n")
    outcome, exchanges = asyncio.run(main())
    for number, exchange in enumerate(exchanges, start=1):
        _print_exchange(echo, number, exchange, query)
    single, listed = _readings(exchanges, query)
    if single is not None:
        _print_single(echo, single)
    if listed is not None:
        _print_list(echo, listed)
    _print_basis(echo)
    if isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED \
            and outcome.raw is None:
        _raise_tls_problem(source.base_url, timeout)
    _print_outcome(echo, outcome)
    findings = _verdicts(query, outcome, item, as_of, source)
    concerns = review(exchanges, single, listed, findings)
    _print_review(echo, findings, concerns, as_of)
    return outcome, concerns


def _readings(
    exchanges: Sequence[Exchange], query: Query
) -> tuple[SingleReading | None, ListReading | None]:
    single = listed = None
    for exchange in exchanges:
        data = json_object(exchange) if exchange.step in ("single", "list") else None
        if not isinstance(data, dict):
            continue
        if exchange.step == "single":
            single = read_single(data, query)
        else:
            listed = read_list(data, query)
    return single, listed


# --- the exchange ---------------------------------------------------------------------------


def _print_exchange(echo: Any, number: int, exchange: Exchange, query: Query) -> None:
    shown = "&".join(f"{k}={mask_id(v) if v == query.id_number else v}"
                     for k, v in exchange.params)
    where = exchange.path + (f"?{shown}" if shown and exchange.method == "GET" else "")
    form = f"  (form {shown})" if shown and exchange.method == "POST" else ""
    echo(f"{number}. {exchange.method} {where}{form}")
    refused = refusal(exchange)
    echo(f"   → HTTP {exchange.status}"
         + (f", Retry-After {exchange.retry_after:g} s" if exchange.retry_after else "")
         + (f"  ← 拒绝（refused: {scrub(refused)}）" if refused else ""))
    body = exchange.shown_body
    try:
        text = json.dumps(jsontext.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        text = body
    if len(text) > SHOWN_BODY:
        text = text[:SHOWN_BODY] + f"\n… ({len(text) - SHOWN_BODY} more characters)"
    echo("\n".join("   " + line for line in scrub(text).split("\n")) if text else "   (empty)")
    echo()


# --- the records ----------------------------------------------------------------------------


def _print_single(echo: Any, single: SingleReading) -> None:
    echo(f"The single answer (remotePubQuery, one certificate only): {single.kind.value}"
         + (f", message {single.message!r}" if single.message else ""))
    if single.problem:
        echo(f"  not understood: {scrub(single.problem)}")
    if single.record is not None:
        _print_record(echo, "single", single.record)


def _print_list(echo: Any, listed: ListReading) -> None:
    echo(f"\nThe full list (getPerInfoBySfzh): {listed.kind.value}, "
         f"{len(listed.records)} records" + (f" under {listed.where}" if listed.where else ""))
    if listed.problem:
        echo(f"  not understood: {scrub(listed.problem)}")
    if listed.unknown:
        echo("  keys of the answer samr_mapping does not know: " + ", ".join(listed.unknown))
    for number, reading in enumerate(listed.records, start=1):
        _print_record(echo, f"{number}/{len(listed.records)}", reading)


def _print_record(echo: Any, title: str, reading: RecordReading) -> None:
    echo(f"\nRecord {title}:")
    raw: Mapping[str, Any] = reading.raw or {}
    width = max(len(f.label) for f in api.RECORD_MAP)
    for mapped in api.RECORD_MAP:
        label = mapped.label.ljust(width, "\u3000")
        basis = f"[key: {mapped.key_basis.zh}; reading: {mapped.value_basis.zh}]"
        if mapped.attr in reading.missing or mapped.key not in raw:
            echo(f"  {label}  —  no value under {mapped.key}"
                 + ("  (required)" if mapped.required else "") + f"  {basis}")
            continue
        value = _shown(raw.get(mapped.key))
        read = getattr(reading.record, mapped.attr, None) if reading.record else None
        if read is not None and str(read) != str(raw.get(mapped.key)).strip():
            value += f" → {read}"
        if isinstance(read, MonthDate):
            value += " (month only)"
        echo(f"  {label}  {mapped.key} = {value}  {basis}")
    for attr in api.UNMAPPED_ATTRS:
        echo(f"  {attr}: no key in public code; left empty")
    for key, meaning in api.KNOWN_UNUSED_KEYS.items():
        if key in raw:
            echo(f"  known key {key} = {_shown(raw.get(key))}  (not used: {meaning})")
    for key in reading.unknown:
        echo(f"  unknown key {key} = {_shown(raw.get(key))}")
    for note in reading.notes:
        echo(f"  note: {scrub(note)}")
    if reading.problem:
        echo(f"  not usable: {scrub(reading.problem)}")


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return scrub(text if len(text) <= 120 else text[:120] + "…")


def _print_basis(echo: Any) -> None:
    echo("\nWhat the mapping rests on (nothing is confirmed against the real service yet):")
    for mapped in api.RECORD_MAP:
        echo(f"  {mapped.label} ← {mapped.key}: key {mapped.key_basis.zh}, reading "
             f"{mapped.value_basis.zh} ({mapped.reading})")
    echo(f"  moveLength: pixels of the background as sent ({api.Basis.ASSUMED.zh})")
    markers = ", ".join(api.NOT_FOUND_MARKERS)
    echo(f"  “nothing found” in the single answer: a message with {markers}"
         f" ({api.Basis.ASSUMED.zh})")


def _print_outcome(echo: Any, outcome: Outcome) -> None:
    if isinstance(outcome, Found):
        what = f"found: {len(outcome.records)} records (from the full list)"
    elif isinstance(outcome, NotFound):
        what = "nothing found (the single answer and the full list agree)"
    else:
        what = f"{outcome.reason.value}: {scrub(outcome.detail)}"
    echo(f"\nOutcome, as verify would use it: {what}")
    if isinstance(outcome, Found | NotFound) and outcome.detail:
        echo(f"  {scrub(outcome.detail)}")


# --- verdicts and concerns ----------------------------------------------------------------


def _verdicts(
    query: Query, outcome: Outcome, item: str | None, as_of: date, source: SamrSource
) -> list[Finding]:
    from certcheck.cli.lookup import make_worker
    from certcheck.rules import decide

    if item is not None:
        items: list[str | None] = [item]
    elif isinstance(outcome, Found):
        items = list(dict.fromkeys(r.item for r in outcome.records if r.item))
    else:
        items = []
    answer = Answer(outcome, source.name, datetime.now(UTC))
    return [
        decide(make_worker(query.id_number, query.name, each, None, as_of), answer, as_of,
               traits=source.traits)
        for each in items or [None]
    ]


def review(
    exchanges: Sequence[Exchange], single: SingleReading | None, listed: ListReading | None,
    findings: Sequence[Finding],
) -> list[Concern]:
    """What a person should know before trusting ``verify`` with this service."""
    concerns = [
        Concern(f"第 {n} 个回答是防火墙或限流的拒绝（a refusal, not an answer: "
                f"{scrub(refused)}）；verify 会放慢并重试", changes_verdict=False)
        for n, e in enumerate(exchanges, start=1) if (refused := refusal(e)) is not None
    ]
    for answer in (single, listed):
        if answer is not None and answer.kind is Kind.UNRECOGNIZED:
            concerns.append(Concern(
                f"回答无法识别（not understood）：{scrub(answer.problem or '')}；"
                "verify 会记为未核验", changes_verdict=True))
    records = listed.records if listed is not None else ()
    for number, record in enumerate(records, start=1):
        concerns += _record_concerns(number, record)
    concerns += [
        Concern(f"verify 的结论会是未核验（unverified）：{verdict_line(f)}", changes_verdict=True)
        for f in findings if f.status is VerdictStatus.UNVERIFIED
    ]
    return concerns


def _record_concerns(number: int, reading: RecordReading) -> list[Concern]:
    where = f"记录 {number}"
    raw: Mapping[str, Any] = reading.raw or {}
    concerns: list[Concern] = []
    for mapped in api.RECORD_MAP:
        if mapped.value_basis is api.Basis.ASSUMED and mapped.key in raw:
            concerns.append(Concern(
                f"{where}：{mapped.key}=“{_shown(raw.get(mapped.key))}” 按推定的含义读取"
                f"（an assumed reading: {mapped.reading}）；请对照网页", changes_verdict=False))
    for key in reading.unknown:
        lowered = key.lower()
        deciding = any(word in lowered for word in _DECIDING)
        concerns.append(Concern(
            f"{where}：未知字段 {key}=“{_shown(raw.get(key))[:40]}”"
            + ("，可能是证书状态或日期（an unknown key that may decide）；请对照网页，必要时写入 "
               "samr_mapping" if deciding else "（an unknown key）"),
            changes_verdict=deciding))
    return concerns


def _print_review(echo: Any, findings: list[Finding], concerns: list[Concern], as_of: date,
                  ) -> None:
    echo(f"\n核对结论（what verify would conclude, as of {as_of}）:")
    for finding in findings:
        echo(f"  {verdict_line(finding)}")
    if not concerns:
        echo("  回答中没有会改变结论的内容（nothing in the answer changes a verdict）")
        return
    echo("\n需要注意（concerns）:")
    for concern in concerns:
        echo(f"  {'!' if concern.changes_verdict else '-'} {concern.text}")
    if any(c.changes_verdict for c in concerns):
        echo("  （标 ! 的会改变 verify 的结论，probe 以 3 退出; items marked ! change a verdict: "
             "exit 3）")


def _raise_tls_problem(base_url: str, timeout: float) -> None:
    from certcheck.cli.probe import tls_problem

    problem = tls_problem(base_url, timeout)
    if problem is None:
        return
    raise UserError(
        f"无法与 {base_url} 建立安全连接（{problem}）。请检查电脑的日期和时间；"
        "公司代理检查 HTTPS 时，请把 SSL_CERT_FILE 指向代理的证书文件；并检查 --samr-url"
        "（cannot talk securely）",
        ExitCode.BAD_INPUT,
    )
