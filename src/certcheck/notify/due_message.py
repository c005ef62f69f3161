"""The ``due`` list as a notification: who must review or renew, by when, most urgent first.
Pure.

Entries are grouped by urgency — 已逾期, 7 天内, 30 天内, 90 天内 (and 90 天以后 when the window
reaches further) — and each says the person (masked ID only), the item, the errand (应复审 or
证书到期) with its date and the days left or past. An entry's key for the record of what was
sent is the person, the item and the errand; what it says is the deadline and the tier, so a
person is reminded again when they enter a more urgent tier or their deadline changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from certcheck.due import DueItem, DueList, Event
from certcheck.ids import mask_id
from certcheck.notify.document import Document, Line, Section, Tone, md_text

TITLE = "特种作业操作证到期提醒"
#: The last line of every message; "到期提醒" (or "certcheck") is the keyword to give a robot
#: whose security setting is 自定义关键词.
CLOSING = "certcheck 到期提醒 · 身份证号已打码"


@dataclass(frozen=True, slots=True)
class Tier:
    code: str
    heading: str
    tone: Tone
    #: The most days left an entry of this tier has (None: no bound).
    until: int | None


TIERS = (
    Tier("overdue", "已逾期", Tone.DANGER, -1),
    Tier("7", "7 天内", Tone.WARNING, 7),
    Tier("30", "30 天内", Tone.NOTICE, 30),
    Tier("90", "90 天内", Tone.INFO, 90),
    Tier("later", "90 天以后", Tone.INFO, None),
)


def tier_of(days_left: int) -> Tier:
    return next(t for t in TIERS if t.until is None or days_left <= t.until)


def due_document(result: DueList, *, enterprise: str | None, source: str) -> Document:
    """``result`` as a document; ``source`` says where the dates come from (a register's
    official dates, a roster's declared ones)."""
    grouped: dict[str, list[Line]] = {t.code: [] for t in TIERS}
    for item in result.items:
        grouped[tier_of(item.days_left).code].append(_line(item))
    sections = tuple(Section(t.heading, tuple(grouped[t.code]), t.tone)
                     for t in TIERS if grouped[t.code])
    intro = (
        f"**单位：**{md_text(enterprise, limit=60, empty='（未填单位名称）')}",
        f"**基准日：**{result.as_of.isoformat()}，列出 {result.within} 天内及已逾期的复审和到期",
        f"**日期来源：**{source}",
    )
    return Document(TITLE, intro, sections, _footer(result), (CLOSING,))


def _line(item: DueItem) -> Line:
    who = md_text(item.name, limit=20, empty="（无姓名）")
    id_shown = md_text(mask_id(item.id_number), limit=24, empty="（无身份证号）")
    what = md_text(item.item, limit=40, empty="（作业项目未填）")
    errand = "应复审" if item.event is Event.REVIEW else "证书到期"
    text = f"{who}　{id_shown}　{what}：**{errand}** {item.when.isoformat()}，{_days(item)}"
    return Line(text, key=_key(item), version=f"{item.when.isoformat()}|"
                                               f"{tier_of(item.days_left).code}")


def _days(item: DueItem) -> str:
    if item.days_left < 0:
        return f"已逾期 {-item.days_left} 天"
    if item.days_left == 0:
        return "今日到期"
    return f"还剩 {item.days_left} 天"


def _key(item: DueItem) -> str:
    """The person, the certificate's item and the errand; the row only when the person has
    neither ID nor name (rows move between rosters, people do not)."""
    person = f"{item.id_number or ''}\x1f{item.name or ''}"
    if not (item.id_number or item.name):
        person = f"row\x1f{item.sheet or ''}\x1f{item.row}"
    return f"due\x1f{person}\x1f{item.item or ''}\x1f{item.event.name}"


def _footer(result: DueList) -> tuple[str, ...]:
    lines = []
    if result.not_listed:
        counts = "、".join(f"{status.zh} {n} 人" for status, n in result.not_listed)
        lines.append(f"未列入：{counts}，请先按登记表的核验结果处理。")
    if result.undated:
        lines.append(f"另有 {result.undated} 人无有效期或复审日期可查，未列入。")
    return tuple(lines)
