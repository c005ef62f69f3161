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
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from certcheck.cli.probe import (
    Echo,
    print_body,
    print_header,
    print_outcome,
    print_review,
    raise_tls_problem,
    shown_value,
)
from certcheck.cli.probe_review import (
    Concern,
    refusal_concern,
    unknown_key_concern,
    unrecognized_concern,
    verdict_concern,
)
from certcheck.dates import MonthDate
from certcheck.ids import mask_id
from certcheck.models import Answer, Failed, FailureKind, Finding, Found, Outcome, Query
from certcheck.models import Status as VerdictStatus
from certcheck.sources import mem_mapping
from certcheck.sources import samr_mapping as api
from certcheck.sources.mem import scrub
from certcheck.sources.samr import SERVICE, Exchange, SamrSource, json_object, refusal
from certcheck.sources.samr_answer import (
    Kind,
    ListReading,
    RecordReading,
    SingleReading,
    read_list,
    read_single,
)

#: Words of an unknown key's name that say it may hold a status or a date (``zszt``, ``yxq``).
_DECIDING = ("zt", "yx", "rq", "date", "status", "state", "valid", "flag", "end", "sj")
#: What an answer said, Chinese first with the reading's code.
_KIND_WORDS = {
    Kind.FOUND: "查到（found）",
    Kind.NOT_FOUND: "未查到（not_found）",
    Kind.UNRECOGNIZED: "无法识别（unrecognized）",
}
#: The register's label of each field, for those the answer has no key for.
_LABELS = {f.attr: f.label for f in mem_mapping.RECORD_MAP}


def probe_samr(
    query: Query, samr_url: str, captcha: str | None, timeout: float, item: str | None,
    as_of: date, echo: Echo,
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

    print_header(source.base_url, query, SERVICE, echo)
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
        raise_tls_problem(source.base_url, timeout, "--samr-url")
    found = f"查到 {len(outcome.records)} 条记录，以完整列表为准（found）" \
        if isinstance(outcome, Found) else ""
    print_outcome(outcome, found=found,
                  nothing="未查到（nothing found；单条查询和完整列表都没有证书）", echo=echo)
    findings = _verdicts(query, outcome, item, as_of, source)
    concerns = review(exchanges, single, listed, findings)
    print_review(findings, concerns, as_of, echo)
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


def _print_exchange(echo: Echo, number: int, exchange: Exchange, query: Query) -> None:
    shown = "&".join(f"{k}={mask_id(v) if v == query.id_number else v}"
                     for k, v in exchange.params)
    where = exchange.path + (f"?{shown}" if shown and exchange.method == "GET" else "")
    form = f"（表单，form：{shown}）" if shown and exchange.method == "POST" else ""
    echo(f"{number}. {exchange.method} {where}{form}")
    refused = refusal(exchange)
    echo(f"   → HTTP {exchange.status}"
         + (f", Retry-After {exchange.retry_after:g} s" if exchange.retry_after else "")
         + (f"  ← 拒绝（refused：{scrub(refused)}）" if refused else ""))
    print_body(exchange.shown_body, echo)


# --- the records ----------------------------------------------------------------------------


def _print_single(echo: Echo, single: SingleReading) -> None:
    echo(f"单条查询（remotePubQuery，只显示一张证书）：{_KIND_WORDS[single.kind]}"
         + (f"，消息（message）{single.message!r}" if single.message else ""))
    if single.problem:
        echo(f"  无法识别（not understood）：{scrub(single.problem)}")
    if single.record is not None:
        _print_record(echo, "单条查询的记录（the single answer's record）", single.record)


def _print_list(echo: Echo, listed: ListReading) -> None:
    echo(f"\n完整列表（getPerInfoBySfzh）：{_KIND_WORDS[listed.kind]}，"
         f"{len(listed.records)} 条记录" + (f"，位于 {listed.where}" if listed.where else ""))
    if listed.problem:
        echo(f"  无法识别（not understood）：{scrub(listed.problem)}")
    if listed.unknown:
        echo("  samr_mapping 不认识的字段（unknown keys）：" + ", ".join(listed.unknown))
    for number, reading in enumerate(listed.records, start=1):
        _print_record(echo, f"记录 {number}/{len(listed.records)}", reading)


def _print_record(echo: Echo, title: str, reading: RecordReading) -> None:
    echo(f"\n{title}：")
    raw: Mapping[str, Any] = reading.raw or {}
    width = max(len(f.label) for f in api.RECORD_MAP)
    for mapped in api.RECORD_MAP:
        label = mapped.label.ljust(width, "\u3000")
        basis = f"[字段：{mapped.key_basis.zh}；读法：{mapped.value_basis.zh}]"
        if mapped.attr in reading.missing or mapped.key not in raw:
            echo(f"  {label}  —  无值（no value under {mapped.key}）"
                 + ("  必填（required）" if mapped.required else "") + f"  {basis}")
            continue
        value = shown_value(raw.get(mapped.key))
        read = getattr(reading.record, mapped.attr, None) if reading.record else None
        if read is not None and str(read) != str(raw.get(mapped.key)).strip():
            value += f" → {read}"
        if isinstance(read, MonthDate):
            value += "（只写到月份，month only）"
        echo(f"  {label}  {mapped.key} = {value}  {basis}")
    for attr in api.UNMAPPED_ATTRS:
        echo(f"  {_LABELS.get(attr, attr)}（{attr}）：公开代码中没有对应字段，留空"
             "（no key in public code）")
    for key, meaning in api.KNOWN_UNUSED_KEYS.items():
        if key in raw:
            echo(f"  已知字段，不使用（known key, not used） {key} = {shown_value(raw.get(key))}"
                 f"；{meaning}")
    for key in reading.unknown:
        echo(f"  未知字段（unknown key） {key} = {shown_value(raw.get(key))}")
    for note in reading.notes:
        echo(f"  注（note）：{scrub(note)}")
    if reading.problem:
        echo(f"  不可用（not usable）：{scrub(reading.problem)}")


def _print_basis(echo: Echo) -> None:
    echo("\n字段对照的依据（what the mapping rests on），都尚未经真实服务证实；[字段：…] 是字段名"
         "（key）的依据，[读法：…] 是读取其值的依据（reading）：")
    for mapped in api.RECORD_MAP:
        echo(f"  {mapped.label} ← {mapped.key}  [字段：{mapped.key_basis.zh}；读法："
             f"{mapped.value_basis.zh}]  {mapped.reading}")
    echo(f"  moveLength：按收到的背景图的像素计（pixels of the background as sent）；"
         f"{api.Basis.ASSUMED.zh}")
    markers = "、".join(api.NOT_FOUND_MARKERS)
    echo(f"  单条查询的“查无结果”：消息中含 {markers} 之一（“nothing found”）；"
         f"{api.Basis.ASSUMED.zh}")


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
    concerns = [refusal_concern(n, refused) for n, e in enumerate(exchanges, start=1)
                if (refused := refusal(e)) is not None]
    concerns += [unrecognized_concern(answer.problem) for answer in (single, listed)
                 if answer is not None and answer.kind is Kind.UNRECOGNIZED]
    records = listed.records if listed is not None else ()
    for number, record in enumerate(records, start=1):
        concerns += _record_concerns(number, record)
    concerns += [verdict_concern(f) for f in findings if f.status is VerdictStatus.UNVERIFIED]
    return concerns


def _record_concerns(number: int, reading: RecordReading) -> list[Concern]:
    where = f"记录 {number}"
    raw: Mapping[str, Any] = reading.raw or {}
    concerns: list[Concern] = []
    for mapped in api.RECORD_MAP:
        if mapped.value_basis is api.Basis.ASSUMED and mapped.key in raw:
            concerns.append(Concern(
                f"{where}：{mapped.key}=“{shown_value(raw.get(mapped.key))}” 按推定的含义读取"
                f"（an assumed reading）：{mapped.reading}；请对照网页", changes_verdict=False))
    for key in reading.unknown:
        lowered = key.lower()
        deciding = any(word in lowered for word in _DECIDING)
        concerns.append(unknown_key_concern(where, key, shown_value(raw.get(key)), deciding,
                                            "samr_mapping"))
    return concerns
