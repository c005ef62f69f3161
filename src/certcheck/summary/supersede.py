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


def choose(registers: Sequence[Counted]) -> Chosen:
    kept, warnings = _drop_same_runs(registers)
    groups: dict[tuple[str, Kind], list[Counted]] = {}
    for data in kept:
        name = data.info.enterprise
        if name and name.strip():
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
    """Keep the first of registers of one run: the same enterprise, kind, 核验日期 and 生成时间
    (the .xlsx and .json one run wrote). Two such registers that do not hold the same results
    were not written as they are: :class:`Undecidable`."""
    kept: list[Counted] = []
    warnings: list[str] = []
    seen: dict[tuple[str, Kind, date, datetime], Counted] = {}
    for data in registers:
        info = data.info
        # A register without a timestamp cannot be told from another run of the same
        # enterprise on the same day, so it is never taken for a copy.
        key = None if info.generated_at is None else (
            enterprise_key(info.enterprise or UNNAMED), info.kind, info.as_of,
            info.generated_at)
        first = seen.get(key) if key is not None else None
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
        if key is not None:
            seen[key] = data
        kept.append(data)
    return kept, warnings


def _instant(moment: datetime) -> datetime:
    # A time without a zone (a register edited by hand) is taken as this computer's local time,
    # so that it can be compared with the others.
    return moment if moment.tzinfo is not None else moment.astimezone()


def _latest(group: list[Counted]) -> Counted:
    """The register of the group that counts, or :class:`Undecidable`."""
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
        if name:
            spellings.setdefault(loose_key(name), {}).setdefault(enterprise_key(name), name)
    return [
        "、".join(f"“{n}”" for n in names.values())
        + " 名称相近，按不同单位分别计入；如是同一单位，请用相同的单位名称（verify --enterprise）"
        "重新生成登记表（similar names）"
        for names in spellings.values()
        if len(names) > 1
    ]
