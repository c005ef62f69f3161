"""The changes between two registers in words: a title and sections of lines. Pure.

This is what a person reads wherever it is shown: the terminal's tables take their cell texts
from here, and :func:`digest` gives the whole summary as a title and sections of plain lines,
ready to be rendered as Markdown (``### section`` and ``- line``) by whoever sends it to a
group robot. Every ID is masked (``500381********1234``), also inside names and items, and
text from the registers has its control characters shown escaped. Lines are plain text:
Markdown escaping is the renderer's, since each platform escapes its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from certcheck.cli.screen import plain
from certcheck.diff.compare import (
    Ambiguity,
    Change,
    ChangeKind,
    Concern,
    DateChange,
    RegisterDiff,
    Side,
    id_not_understood,
    shown_id,
)
from certcheck.models import Status
from certcheck.register.reader import RegisterRow
from certcheck.register.view import Masker

_MASK = Masker(True)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """The summary of a comparison: what a group robot posts, what a log keeps."""

    title: str
    sections: tuple[Section, ...]


# --- pieces ---------------------------------------------------------------------------------


def name_of(row: RegisterRow) -> str:
    return plain(_MASK.text(row.name, row.id_number)) if row.name else "（无姓名）"


def item_of(row: RegisterRow) -> str:
    text = row.item or row.declared_item or row.category or row.declared_category
    return plain(_MASK.text(text)) if text else ""


def place_of(row: RegisterRow, several_sheets: bool, *, old: bool = False) -> str:
    """``电工 第 3 行`` when the roster had several sheets, else ``第 3 行``; ``原第 3 行`` for a
    row only the old register holds."""
    sheet = f"{plain(row.sheet)} " if several_sheets and row.sheet else ""
    return f"{sheet}{'原' if old else ''}第 {row.row} 行"


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else "无"


def dates_text(dates: Sequence[DateChange]) -> str:
    """``有效期至 2026-12-20 → 2032-12-20；实际复审日期 无 → 2027-01-05``."""
    return "；".join(f"{d.field.zh} {day(d.old)} → {day(d.new)}" for d in dates)


def finding_text(row: RegisterRow) -> str:
    """``有效``, or ``逾期（超过有效期）`` with the reason when it is not valid."""
    if row.status is Status.VALID:
        return row.status.zh
    return f"{row.status.zh}（{row.reason.zh}）"


def change_text(change: Change) -> str:
    """What happened to the entry, in one phrase."""
    kind = change.kind
    if kind in (ChangeKind.NEW, ChangeKind.ROW_ADDED):
        text = finding_text(change.row)
    elif kind in (ChangeKind.LEFT, ChangeKind.ROW_REMOVED):
        text = f"原为{finding_text(change.row)}"
    elif kind is ChangeKind.DATES:
        text = dates_text(change.dates)
    elif kind is ChangeKind.NAME:
        text = "结果和证书日期未变"
    else:
        assert change.old is not None and change.new is not None and change.move is not None
        text = f"{change.move.zh}，{change.old.status.zh} → {finding_text(change.new)}"
        if change.dates:
            text += f"；{dates_text(change.dates)}"
    return text + "".join(f"；{n}" for n in notes(change))


def notes(change: Change) -> list[str]:
    found = []
    if change.id_corrected:
        if change.old is not None and id_not_understood(change.old):
            found.append("原登记表的身份证号无法识别，现已更正，按姓名对应")
        else:
            found.append("现登记表的身份证号无法识别，按姓名对应")
    if change.item_changed and change.old is not None and change.new is not None:
        found.append(f"作业项目 {item_of(change.old) or '无'} → {item_of(change.new) or '无'}")
    if change.name_changed and change.old is not None and change.new is not None:
        found.append(f"姓名 {name_of(change.old)} → {name_of(change.new)}：身份证号相同而姓名不同"
                     "（改名，或身份证号填错、互换），请核对")
    return found


def counts_text(counts: Sequence[tuple[Status, int]]) -> str:
    return "、".join(f"{s.zh} {n}" for s, n in counts) or "无"


def ambiguity_text(group: Ambiguity) -> str:
    """How many rows, with which findings, and what is certain about them."""
    if group.nameless:
        what = "无姓名和身份证号的行，无法对应"
    elif group.names_differ:
        names = "、".join(dict.fromkeys(name_of(r) for r in (*group.old, *group.new)))
        what = f"同一脱敏身份证号、姓名不同（{names}），无法确定是否同一人"
    else:
        what = "同一脱敏身份证号和姓名，无法逐人对应"
    text = (f"{what}：原 {len(group.old)} 行（{counts_text(group.counts(group.old))}），"
            f"现 {len(group.new)} 行（{counts_text(group.counts(group.new))}）")
    if group.worse:
        text += f"；其中有人变为{'、'.join(s.zh for s in group.worse_statuses)}，无法确定是谁"
    elif not group.counts_changed:
        text += "；结果分布未变"
    return text


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def points(value: float) -> str:
    """``+6.7 个百分点``; ``持平`` when the rate is unchanged to the shown decimal."""
    rounded = round(value, 1)
    if rounded == 0:
        return "持平"
    return f"{rounded:+.1f} 个百分点"


def rate_text(diff: RegisterDiff) -> str:
    """``依法持证率 50.0% → 56.7%（+6.7 个百分点）``."""
    old, new = diff.old.verdict.rate, diff.new.verdict.rate
    return f"依法持证率 {percent(old)} → {percent(new)}（{points(diff.rate_points)}）"


def side_text(side: Side) -> str:
    """``德感机械-自查.register.xlsx（核验基准日 2026-12-01，30 人）``."""
    sample = "，抽查" if side.info.sample is not None else ""
    return (f"{plain(side.path.name)}（核验基准日 {side.info.as_of.isoformat()}，"
            f"{side.verdict.total} 人{sample}）")


def enterprise_text(diff: RegisterDiff) -> str:
    old, new = diff.old.info.enterprise, diff.new.info.enterprise
    if old and new and old != new:
        return f"{plain(old)} / {plain(new)}"
    return plain(new or old) or "（登记表未记录单位名称）"


def concern_text(concern: Concern, old: Side, new: Side) -> str:
    """The concern in one Chinese sentence naming both registers."""
    a, b = plain(old.path.name), plain(new.path.name)
    if concern is Concern.OTHER_ENTERPRISE:
        return (f"两份登记表不是同一单位：旧 {a} 是“{plain(old.info.enterprise)}”，"
                f"新 {b} 是“{plain(new.info.enterprise)}”（different enterprises）")
    if concern is Concern.NEW_BEFORE_OLD:
        return (f"新登记表 {b} 的核验基准日 {new.info.as_of.isoformat()} 早于旧登记表 {a} 的 "
                f"{old.info.as_of.isoformat()}，两个文件的顺序可能反了（NEW is older than OLD）")
    if concern is Concern.NEW_WRITTEN_FIRST:
        return (f"两份登记表核验基准日相同，但新登记表 {b} 生成得比旧登记表 {a} 早，"
                "顺序可能反了（NEW was written first）")
    if concern is Concern.ENTERPRISE_UNKNOWN:
        return "有登记表未记录单位名称，无法确认两份是同一单位（enterprise not recorded）"
    if concern is Concern.OTHER_SCOPE:
        return (f"两份登记表的核验范围不同（{old.info.scope.zh} → {new.info.scope.zh}）："
                "人数和依法持证率按各自范围计算，“不在本次核验范围”的人员不是结果变差"
                "（different --scope）")
    return ("有登记表是随机抽查，只含部分人员：新增和离开反映的是抽样，不一定是人员变动"
            "（a sample register）")


def conclusion(diff: RegisterDiff) -> str:
    if diff.worse:
        return "有人变为逾期、假证或无证，需处理"
    if diff.nothing_changed:
        return "没有变化"
    return "没有人变为逾期、假证或无证"


# --- the sections ---------------------------------------------------------------------------

#: The sections in the order they are shown, each with the changes it holds.
SECTION_TITLES = (
    "结果变差", "结果好转", "其他结果变化", "新增人员", "离开人员", "登记行增减", "证书日期变化",
    "姓名变化",
)


def section_of(change: Change) -> str:
    kind = change.kind
    if kind is ChangeKind.STATUS:
        return "结果变差" if change.worse else "结果好转" if change.better else "其他结果变化"
    if kind is ChangeKind.NEW:
        return "新增人员"
    if kind is ChangeKind.LEFT:
        return "离开人员"
    if kind in (ChangeKind.ROW_ADDED, ChangeKind.ROW_REMOVED):
        return "登记行增减"
    if kind is ChangeKind.NAME:
        return "姓名变化"
    return "证书日期变化"


def grouped(diff: RegisterDiff) -> list[tuple[str, list[Change]]]:
    """The non-empty sections with their changes, in the order of ``SECTION_TITLES``."""
    by_title: dict[str, list[Change]] = {title: [] for title in SECTION_TITLES}
    for change in diff.changes:
        by_title[section_of(change)].append(change)
    return [(title, changes) for title, changes in by_title.items() if changes]


AMBIGUOUS_TITLE = "无法逐人对应"


def change_line(change: Change, several_sheets: bool) -> str:
    """``周静 500381********0107（第 12 行）低压电工作业：新逾期，有效 → 逾期（逾期未复审）``."""
    row = change.row
    prefix = "+ " if change.kind is ChangeKind.ROW_ADDED else (
        "− " if change.kind is ChangeKind.ROW_REMOVED else "")
    item = item_of(row)
    place = place_of(row, several_sheets, old=change.new is None)
    return (f"{prefix}{name_of(row)} {shown_id(row)}（{place}）"
            f"{item}：{change_text(change)}")


def ambiguity_line(group: Ambiguity) -> str:
    row = group.row
    who = f"{name_of(row)} {shown_id(row)}".strip() if not group.nameless else "无姓名的行"
    return f"{who}：{ambiguity_text(group)}"


def digest(diff: RegisterDiff, concerns: Sequence[Concern] = ()) -> Digest:
    """The whole comparison as a title and sections of lines, masked IDs only."""
    old, new = diff.old, diff.new
    title = (f"登记表变化：{enterprise_text(diff)}（{old.info.as_of.isoformat()} → "
             f"{new.info.as_of.isoformat()}）")
    overview = [
        rate_text(diff),
        f"人数 {old.verdict.total} → {new.verdict.total}",
        f"对应方式：{diff.matching.zh}",
        *(concern_text(c, old, new) for c in concerns),
        f"结论：{conclusion(diff)}",
    ]
    sections = [Section("概况", tuple(overview))]
    several = diff.several_sheets
    for heading, changes in grouped(diff):
        sections.append(Section(f"{heading}（{len(changes)}）",
                                tuple(change_line(c, several) for c in changes)))
    if diff.ambiguous:
        sections.append(Section(f"{AMBIGUOUS_TITLE}（{len(diff.ambiguous)}）",
                                tuple(ambiguity_line(a) for a in diff.ambiguous)))
    return Digest(title=title, sections=tuple(sections))
