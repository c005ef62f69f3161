"""What in one probed answer would change what ``verify`` concludes, in words for a person.

``probe`` shows the exchange and the mapping; this judges them. A service that disguises its
data (a status sent as a code, masked names and numbers, text its encoder lost, a page cut
short) or a firewall that answers in its place makes ``verify`` give ``unverified`` instead of a
verdict, or compares less than the person's full data. Each such thing is a ``Concern``; one that
changes a verdict makes ``probe`` exit non-zero, so a first probe warns before a whole roster is
checked against a service that does not answer the way the mapping expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from certcheck.dates import parse_date_text
from certcheck.models import Failed, Finding, Status, status_class
from certcheck.shown import (
    Legibility,
    disguised,
    official_id,
    official_name,
    official_number,
)
from certcheck.sources.mem import Exchange, scrub
from certcheck.sources.mem_answer import AnswerKind, AnswerReading, RecordReading
from certcheck.sources.mem_refusal import refusal_of
from certcheck.text import garbled

#: Words of an unknown key's name (split at capitals, digits and underscores) that say it may
#: hold a status or a date the rules would need: ``validFlag``, ``cert_end_date``, ``yxqz``.
_DECIDING_WORDS = frozenset({
    "status", "state", "valid", "validity", "invalid", "expire", "expired", "expiry", "end",
    "begin", "start", "date", "deadline", "revoke", "revoked", "cancel", "zt", "yxq", "yxqz",
    "yxqs", "zszt",
})
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
#: Keys every RuoYi entity carries (BaseEntity) that say nothing about a certificate.
_ENTITY_KEYS = frozenset({
    "searchValue", "createBy", "createTime", "updateBy", "updateTime", "remark", "params",
    "delFlag", "tenantId", "version", "id",
})

_STATUS_WORDS = {
    Status.VALID: "有效（valid）",
    Status.EXPIRED: "过期（expired）",
    Status.FAKE: "假证（fake）",
    Status.UNCERTIFIED: "无证（uncertified）",
    Status.UNVERIFIED: "未核验（unverified）",
}


@dataclass(frozen=True, slots=True)
class Concern:
    """One thing in the answer a person should know before trusting ``verify`` with it."""

    text: str
    #: ``verify`` would conclude differently from what the service holds: unverified, or a
    #: comparison it could not make.
    changes_verdict: bool


def review(
    exchanges: Sequence[Exchange],
    reading: AnswerReading | Failed | None,
    findings: Sequence[Finding],
) -> list[Concern]:
    """Every concern about one probed lookup, in the order a person reads them."""
    concerns = [_refusal(number, e) for number, e in enumerate(exchanges, start=1)]
    found = [c for c in concerns if c is not None]
    if isinstance(reading, AnswerReading):
        found += _answer_concerns(reading)
    found += [verdict_concern(f) for f in findings if f.status is Status.UNVERIFIED]
    return found


def verdict_line(finding: Finding) -> str:
    """What ``verify`` would conclude for the person and one item, as one line."""
    item = finding.worker.declared.item or "（未填项目）"
    line = f"{item}：{_STATUS_WORDS[finding.status]}"
    if finding.reason.zh != finding.status.zh:  # 有效 needs no reason beside it
        line += f"，{finding.reason.zh}（{finding.reason.value}）"
    return line + (f" — {scrub(finding.detail)}" if finding.detail else "")


def _refusal(number: int, exchange: Exchange) -> Concern | None:
    refusal = refusal_of(exchange)
    return refusal_concern(number, refusal.what) if refusal is not None else None


def refusal_concern(number: int, what: str) -> Concern:
    """The ``number``-th answer was a firewall's or a limiter's refusal, saying ``what``."""
    return Concern(
        f"第 {number} 个回答是防火墙或限流的拒绝页面，不是查询结果（a refusal, not an answer: "
        f"{scrub(what)}）；verify 会放慢所有查询并重试，不会据此下结论",
        changes_verdict=False,
    )


def unrecognized_concern(problem: str | None) -> Concern:
    """An answer the mapping could not read."""
    return Concern(
        f"回答无法识别（not understood）：{scrub(problem or '')}；verify 会记为未核验",
        changes_verdict=True,
    )


def _answer_concerns(reading: AnswerReading) -> list[Concern]:
    concerns: list[Concern] = []
    if reading.kind is AnswerKind.INCOMPLETE and reading.incomplete is not None:
        total, carried = reading.incomplete
        concerns.append(Concern(
            f"回答不完整（a page cut short）：total 为 {total}，却只带了 {carried} 条记录；"
            "缺的记录可能改变结论，verify 会记为未核验",
            changes_verdict=True,
        ))
    elif reading.kind is AnswerKind.UNRECOGNIZED:
        concerns.append(unrecognized_concern(reading.problem))
    for number, record in enumerate(reading.records, start=1):
        concerns += _record_concerns(number, record)
    return concerns


def _record_concerns(number: int, record: RecordReading) -> list[Concern]:
    where = f"记录 {number}"
    concerns: list[Concern] = []
    # A code beside a word is read as that word's code; only a status left unknown as a whole
    # keeps verify from a verdict.
    undecided = record.record is not None and not record.record.status_understood
    for key, value in record.unknown_statuses:
        if undecided:
            text = (f"{where}：证书状态 {key}=“{scrub(value)}” 无法识别（a status nobody mapped）；"
                    "它可能是“注销”，verify 不会据此记为有效")
        else:
            text = (f"{where}：证书状态代码 {key}=“{scrub(value)}” 与状态文字并列，按文字判定"
                    "（a code read by the word beside it）")
        concerns.append(Concern(text, changes_verdict=undecided))
    raw: Mapping[str, Any] = record.raw or {}
    filled = dict(record.filled)
    concerns += _masked(where, raw, filled)
    concerns += _undecodable(where, raw, filled)
    concerns += _unknown_keys(where, raw, record.unknown)
    return concerns


def _masked(where: str, raw: Mapping[str, Any], filled: Mapping[str, str]) -> list[Concern]:
    """Values the service masked (脱敏): compared only on what they show."""
    concerns = []
    readers = (("name", "姓名", official_name), ("cert_number", "证号", official_number),
               ("id_number", "证件号码", official_id))
    for attr, label, read in readers:
        key = filled.get(attr)
        value = raw.get(key) if key is not None else None
        if not isinstance(value, str):
            continue
        shown = read(value)
        if shown.legibility is not Legibility.MASKED:
            continue
        shown_text = scrub(value) if attr != "id_number" else _masked_id_text(value)
        if shown.tells_nothing:
            concerns.append(Concern(
                f"{where}：{label}“{shown_text}”整个被遮盖（masked whole），无法核对；"
                "verify 不会据此判定不符",
                changes_verdict=False,
            ))
        else:
            concerns.append(Concern(
                f"{where}：{label}“{shown_text}”经遮盖（脱敏, masked）；verify 只比较显示出的字，"
                "被遮住的字核对不了",
                changes_verdict=False,
            ))
    return concerns


def _masked_id_text(value: str) -> str:
    """A masked ID as shown, with any digits it still shows beyond an ordinary mask hidden."""
    text = scrub(value)
    return text if len(text) < 8 else text[:6] + "…" + text[-4:]


def _undecodable(where: str, raw: Mapping[str, Any], filled: Mapping[str, str]) -> list[Concern]:
    """Text in which characters were lost on the way: U+FFFD anywhere, or ``?`` in a field the
    mapping reads as text (a ``?`` in a link or a note is just a question mark); or a value the
    service disguised (``shown.disguised``: mojibake, ``&#24352;``, ``\\u5f20``, ``null``)."""
    text_keys = {filled[a]: a for a in _TEXT_ATTRS if a in filled}
    concerns = []
    for key, value in raw.items():
        if not isinstance(value, str):
            continue
        attr = text_keys.get(key)
        if "\ufffd" not in value and not (attr is not None and _not_legible(attr, value)):
            continue
        deciding = attr in _DECIDING_TEXT
        what = ("含 ? 或 �，是无法解码的字（undecodable text）" if garbled(value)
                else "是乱码、转义或占位符，不是原值（disguised text）")
        concerns.append(Concern(
            f"{where}：{key}“{scrub(value)[:40]}”{what}；"
            + ("verify 不会据此判定不符，会记为未核验" if deciding
               else "verify 当作没有此值，不会据此判定不符" if attr in _NUMBER_ATTRS
               else "此字段不影响结论"),
            changes_verdict=deciding,
        ))
    return concerns


def _not_legible(attr: str, value: str) -> bool:
    if attr == "name":
        return official_name(value).legibility is Legibility.GARBLED
    return garbled(value) or disguised(value)


#: Attributes read as text, and those of them a verdict rests on (a 证号 or an ID that cannot be
#: read is taken as none: the record stays the queried person's).
_TEXT_ATTRS = ("name", "category", "item", "issuer", "status_text", "cert_number", "id_number")
_NUMBER_ATTRS = frozenset({"cert_number", "id_number"})
_DECIDING_TEXT = frozenset({"name", "category", "item", "status_text"})


def _unknown_keys(where: str, raw: Mapping[str, Any], unknown: Sequence[str]) -> list[Concern]:
    concerns = []
    for key in unknown:
        if key in _ENTITY_KEYS:
            continue
        value = raw.get(key)
        words = {w.lower() for w in _KEY_WORDS.findall(key)}
        deciding = bool(words & _DECIDING_WORDS) or _looks_deciding(value)
        concerns.append(unknown_key_concern(where, key, str(value), deciding, "mem_mapping"))
    return concerns


def unknown_key_concern(where: str, key: str, value: str, deciding: bool,
                        mapping: str) -> Concern:
    """A key nobody mapped; one that may hold a status or a date (``deciding``) changes a
    verdict until it is written into ``mapping``."""
    shown = scrub(value)[:40]
    if deciding:
        return Concern(
            f"{where}：未知字段 {key}=“{shown}” 可能是证书状态或日期（an unknown key that "
            f"may decide）；请对照网页，必要时写入 {mapping}",
            changes_verdict=True,
        )
    return Concern(f"{where}：未知字段 {key}=“{shown}”（an unknown key）", changes_verdict=False)


def _looks_deciding(value: object) -> bool:
    """A value that reads as a status word or a date."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return False
    text = str(value).strip()
    if not text:
        return False
    if status_class(text) is not None:
        return True
    try:
        parse_date_text(text)
    except ValueError:
        return False
    return True


def verdict_concern(finding: Finding) -> Concern:
    """verify would leave the person unverified for one item."""
    return Concern(f"verify 的结论会是未核验（unverified）：{verdict_line(finding)}",
                   changes_verdict=True)
