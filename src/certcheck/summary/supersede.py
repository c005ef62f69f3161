"""Which registers count: each run once, and of one enterprise's registers of one kind, the
latest. Pure: no I/O.

An office sends a register, finds a mistake in the roster, runs ``verify`` again and sends the
new one; or the same check is run twice. Adding both would count the enterprise's workers twice
(a fake certificate would become two). So registers of one enterprise (``enterprise_key``) and
one kind (企业自查 or 执法检查) are merged: the one with the latest 核验时间 counts, the others
are *superseded* (已被替代) and named.

A register's 核验时间 is its 生成时间 (``generated_at``): the moment ``verify`` wrote it, to the
microsecond, with its time zone. That is when its lookups were made, whatever ``--as-of`` date
the rules used. Registers written by a certcheck too old to record it have none; in a group
where one lacks it, the latest 核验日期 (``as_of``) decides instead. When nothing decides — two
registers of the same 核验日期 and one without a 生成时间, or two with the same 生成时间 but not
the same content — no register is picked: :class:`Undecidable` names them, for the office to
give only the one that counts.

A repeat inspection on another day is merged too: the district reports each enterprise's
situation once, as last found. The superseded inspection stays listed, with its figures, in
来源登记表. Registers that name no enterprise are never merged, since nothing says they are one
enterprise's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from certcheck.register.model import Kind
from certcheck.register.reader import RegisterData, RegisterTally
from certcheck.summary.enterprises import UNNAMED, enterprise_key, loose_key

#: A register as counted: a tally (what ``load_registers`` gives) or one read in full.
Counted = RegisterTally | RegisterData


class Undecidable(Exception):
    """Registers of which any could be the one to count, and nothing tells which; the message
    names them and says what to do."""


@dataclass(frozen=True, slots=True)
class Replaced:
    old: Counted
    by: Counted


@dataclass(frozen=True, slots=True)
class Chosen:
    #: The registers that count, in the order given.
    counted: tuple[Counted, ...]
    replaced: tuple[Replaced, ...]
    warnings: tuple[str, ...]


def checked_text(data: Counted) -> str:
    """核验时间 as the messages show it: ``2026-12-07 10:31:05``, or the 核验日期 without one."""
    info = data.info
    if info.generated_at is None:
        return f"核验日期 {info.as_of.isoformat()}，无生成时间"
    return f"生成于 {info.generated_at:%Y-%m-%d %H:%M:%S}"


def named(name: str | None) -> bool:
    """Whether ``name`` names an enterprise: something is left of it once spaces and invisible
    characters are gone (a name of zero-width spaces names nobody, and two such must never be
    taken for one enterprise)."""
    return bool(name) and bool(enterprise_key(name or ""))


def choose(registers: Sequence[Counted]) -> Chosen:
    kept, warnings = _drop_same_runs(registers)
    groups: dict[tuple[str, Kind], list[Counted]] = {}
    for data in kept:
        name = data.info.enterprise
        if name and named(name):
            groups.setdefault((enterprise_key(name), data.info.kind), []).append(data)
    replaced: list[Replaced] = []
    for group in groups.values():
        if len(group) < 2:
            continue
        latest = _latest(group)
        replaced.extend(Replaced(old, latest) for old in group if old is not latest)
    gone = {id(r.old) for r in replaced}
    counted = tuple(d for d in kept if id(d) not in gone)
    warnings.extend(_replaced_message(r) for r in replaced)
    warnings.extend(_similar_names(counted))
    return Chosen(counted, tuple(replaced), tuple(warnings))


def _same_content(a: Counted, b: Counted) -> bool:
    pa, pb = a.people, b.people
    return a.verdict == b.verdict and pa.ids == pb.ids and pa.tokens == pb.tokens


def _drop_same_runs(registers: Sequence[Counted]) -> tuple[list[Counted], list[str]]:
    """Keep the first of registers of one run: the same 核验日期 and 生成时间 (the .xlsx and .json
    one run wrote). Two such registers that do not hold the same results were not written as
    they are, nor are two that hold the same results under another enterprise or kind (one of
    the pair relabelled by hand, which would count its workers twice): :class:`Undecidable`."""
    kept: list[Counted] = []
    warnings: list[str] = []
    seen: dict[tuple[date, datetime], list[Counted]] = {}
    for data in registers:
        info = data.info
        if info.generated_at is None:
            # A register without a timestamp cannot be told from another run of the same
            # enterprise on the same day, so it is never taken for a copy.
            kept.append(data)
            continue
        earlier = seen.setdefault((info.as_of, info.generated_at), [])
        first = next((d for d in earlier if _same_label(d, data)), None)
        if first is not None:
            if not _same_content(first, data):
                raise Undecidable(
                    f"{first.path.name} 与 {data.path.name}：单位、检查类型、核验日期和生成时间都"
                    "相同，核验结果却不同（登记表可能被改动过），无法判断应计入哪一份；"
                    "请只给出应计入的一份（conflicting registers）"
                )
            warnings.append(
                f"{data.path.name}：与 {first.path.name} 是同一次核验（单位、检查类型、核验日期"
                "和生成时间都相同），只计一次（same run）"
            )
            continue
        twin = next((d for d in earlier if _same_content(d, data)), None)
        if twin is not None:
            raise Undecidable(
                f"{twin.path.name} 与 {data.path.name}：核验日期、生成时间和核验结果都相同，"
                f"是同一次核验，单位或检查类型却不同（“{_label_text(twin)}”与“{_label_text(data)}”，登记表"
                "可能被改动过），无法判断应计入哪一份；请只给出应计入的一份（relabelled copy）"
            )
        earlier.append(data)
        kept.append(data)
    return kept, warnings


def _same_label(a: Counted, b: Counted) -> bool:
    return (enterprise_key(a.info.enterprise or UNNAMED), a.info.kind) == (
        enterprise_key(b.info.enterprise or UNNAMED), b.info.kind)


def _label_text(data: Counted) -> str:
    return f"{(data.info.enterprise or UNNAMED).strip()}，{data.info.kind.zh}"


def _instant(moment: datetime) -> datetime:
    # A time without a zone (a register edited by hand) is taken as this computer's local time,
    # so that it can be compared with the others.
    return moment if moment.tzinfo is not None else moment.astimezone()


def _latest(group: list[Counted]) -> Counted:
    """The register of the group that counts, or :class:`Undecidable`."""
    latest = _newest(group)
    for other in group:
        if other is not latest and not _covers(latest, other):
            raise Undecidable(_not_covered(latest, other))
    return latest


def _covers(later: Counted, earlier: Counted) -> bool:
    """Whether ``later`` checked everyone ``earlier`` did: a full check covers any, a sample
    only the same draw again (same size, population and seed). A sample of 5 that replaced a
    self-check of 300 would drop the findings of the other 295 from the form."""
    drawn = later.info.sample
    if drawn is None:
        return True
    before = earlier.info.sample
    return before is not None and drawn.seed is not None and (
        drawn.size, drawn.population, drawn.seed) == (before.size, before.population, before.seed)


def _not_covered(later: Counted, earlier: Counted) -> str:
    info, drawn = later.info, later.info.sample
    assert drawn is not None
    before = earlier.info.sample
    what = "全部人员" if before is None else f"另一次抽查的 {before.size} 人"
    return (
        f"{later.path.name}（{checked_text(later)}）只抽查了 {drawn.size} 人（共 "
        f"{drawn.population} 人），而 {earlier.path.name}（{checked_text(earlier)}）"
        f"核验的是{what}："
        f"同一单位“{(info.enterprise or '').strip()}”的{info.kind.zh}登记表中，较晚的抽查不能"
        "代替其他人员的核验结果，无法判断应计入哪一份；请只给出应计入的一份"
        "（a sample does not replace another check）"
    )


def _newest(group: list[Counted]) -> Counted:
    timed = [d for d in group if d.info.generated_at is not None]
    if len(timed) == len(group):
        # Two different registers never share a 生成时间 here: _drop_same_runs saw to that.
        return max(group, key=lambda d: _instant(d.info.generated_at))  # type: ignore[arg-type]
    newest = max(d.info.as_of for d in group)
    tied = [d for d in group if d.info.as_of == newest]
    if len(tied) == 1:
        return tied[0]
    info = tied[0].info
    files = "、".join(d.path.name for d in tied)
    untimed = "、".join(d.path.name for d in tied if d.info.generated_at is None)
    raise Undecidable(
        f"{files}：都是“{(info.enterprise or '').strip()}”的{info.kind.zh}登记表，核验日期都是 "
        f"{newest.isoformat()}，而 {untimed} 没有生成时间（较早版本的 certcheck 写入），"
        "无法判断哪一份较新；请只给出应计入的一份（cannot tell which is newer）"
    )


def _replaced_message(r: Replaced) -> str:
    info = r.old.info
    return (
        f"{r.old.path.name}（{checked_text(r.old)}）已被 {r.by.path.name}（{checked_text(r.by)}）"
        f"替代：同一单位“{(info.enterprise or '').strip()}”的{info.kind.zh}登记表以核验时间"
        "最晚的一份为准，已被替代的不计入汇总（superseded）"
    )


def _similar_names(counted: Sequence[Counted]) -> list[str]:
    """Names that are probably one enterprise's, written two ways, which stay two enterprises."""
    spellings: dict[str, dict[str, str]] = {}
    for data in counted:
        name = (data.info.enterprise or "").strip()
        if named(name):
            spellings.setdefault(loose_key(name), {}).setdefault(enterprise_key(name), name)
    return [
        "、".join(f"“{n}”" for n in names.values())
        + " 名称相近，按不同单位分别计入；如是同一单位，请用相同的单位名称（verify --enterprise）"
        "重新生成登记表（similar names）"
        for names in spellings.values()
        if len(names) > 1
    ]
