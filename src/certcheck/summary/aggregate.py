"""From registers (and the office's own lists) to the figures of 附件1. Pure: no I/O.

The form's figures, as the campaign notice defines them:

- 生产经营单位全面自查情况 comes from ``self-check`` registers: the enterprises that made one
  (开展自查), and the fake (假冒…) and uncertified (无…上岗数) workers they found.
- 开展专项执法检查 comes from ``inspection`` registers: the enterprises inspected (执法检查) and
  the fake, expired (逾期证件) and uncertified (未持证) workers found, plus the measures taken
  (责令整改, 停产整顿, 行政罚款), which no register holds and come from the actions list.

Enterprise names are compared after NFKC folding and removal of whitespace and invisible
characters, because the same name typed in two offices differs in exactly those ways; the
first spelling seen is the one shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from certcheck.models import Status
from certcheck.register.model import Kind
from certcheck.register.reader import RegisterData

#: Where registers that name no enterprise are counted, so their workers are not lost.
UNNAMED = "（未注明单位）"

#: The rows of 附件1, in form order. The keys are the JSON keys and the test's ground truth.
JURISDICTION = "辖区内生产经营单位（含央企子公司、分公司）数量（家）"
SELF_CHECKED = "开展自查（家）"
NOT_SELF_CHECKED = "未开展自查（家）"
SELF_FAKE = "假冒特种作业操作证（个）"
SELF_UNCERTIFIED = "无特种作业操作证上岗数（个）"
INSPECTED = "执法检查（家）"
RECTIFY = "责令整改（家）"
SUSPEND = "停产整顿（家）"
INSPECTION_FAKE = "发现假证（个）"
INSPECTION_EXPIRED = "逾期证件（个）"
INSPECTION_UNCERTIFIED = "未持证（个）"
FINES = "行政罚款（万元）"

SELF_CHECK_CATEGORY = "生产经营单位全面自查情况"
INSPECTION_CATEGORY = "开展专项执法检查"
INSPECTION_SUBJECT = "生产经营单位"

SELF_CHECK_ROWS: tuple[str, ...] = (
    JURISDICTION, SELF_CHECKED, NOT_SELF_CHECKED, SELF_FAKE, SELF_UNCERTIFIED,
)
INSPECTION_ROWS: tuple[str, ...] = (
    INSPECTED, RECTIFY, SUSPEND, INSPECTION_FAKE, INSPECTION_EXPIRED, INSPECTION_UNCERTIFIED,
    FINES,
)
FORM_ROWS: tuple[str, ...] = SELF_CHECK_ROWS + INSPECTION_ROWS

CENT = Decimal("0.01")

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")


class Measure(StrEnum):
    RECTIFY = "责令整改"
    SUSPEND = "停产整顿"


def enterprise_key(name: str) -> str:
    """The form in which two spellings of one enterprise's name compare equal."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    return "".join(folded.split())


@dataclass(frozen=True, slots=True)
class Action:
    """One line of the actions list: a measure taken against an enterprise, and/or a fine."""

    enterprise: str
    measures: tuple[Measure, ...]
    fine: Decimal
    #: Where the line was, for messages: "actions.csv 第3行".
    where: str = ""


@dataclass(frozen=True, slots=True)
class RegisterRef:
    """One register that was counted, for the traceability sheet."""

    file: str
    enterprise: str
    kind: Kind
    as_of: date
    workers: int
    fake: int
    expired: int
    uncertified: int
    unverified: int
    sampled: bool


@dataclass(frozen=True, slots=True)
class EnterpriseFigures:
    """The figures of one enterprise, whose columns add up to the form's totals."""

    name: str
    listed: bool
    self_checked: bool
    self_workers: int
    self_fake: int
    self_uncertified: int
    inspected: bool
    inspection_workers: int
    inspection_fake: int
    inspection_expired: int
    inspection_uncertified: int
    measures: tuple[Measure, ...]
    fine: Decimal
    sources: tuple[str, ...]
    #: Counted in 未开展自查: listed (or, without a list, inspected) but no self-check register.
    not_self_checked: bool

    @property
    def self_check_label(self) -> str:
        if self.self_checked:
            return "已自查"
        return "未开展自查" if self.not_self_checked else "—"


@dataclass(frozen=True, slots=True)
class Summary:
    figures: dict[str, int | Decimal]
    per_enterprise: tuple[EnterpriseFigures, ...]
    registers: tuple[RegisterRef, ...]
    warnings: tuple[str, ...]
    #: Whether the jurisdiction count came from the enterprises list or from the registers.
    from_list: bool

    @property
    def not_self_checked(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.per_enterprise if e.not_self_checked)

    def rows(self) -> list[tuple[str, int | Decimal]]:
        return [(label, self.figures[label]) for label in FORM_ROWS]


@dataclass(slots=True)
class _Acc:
    """Mutable tally of one enterprise while counting; frozen into EnterpriseFigures."""

    name: str
    listed: bool = False
    self_checked: bool = False
    self_workers: int = 0
    self_fake: int = 0
    self_uncertified: int = 0
    inspected: bool = False
    inspection_workers: int = 0
    inspection_fake: int = 0
    inspection_expired: int = 0
    inspection_uncertified: int = 0
    measures: list[Measure] = field(default_factory=list)
    fine: Decimal = Decimal(0)
    sources: list[str] = field(default_factory=list)

    def freeze(self, from_list: bool) -> EnterpriseFigures:
        in_jurisdiction = self.listed if from_list else (self.self_checked or self.inspected)
        return EnterpriseFigures(
            name=self.name, listed=self.listed, self_checked=self.self_checked,
            self_workers=self.self_workers, self_fake=self.self_fake,
            self_uncertified=self.self_uncertified, inspected=self.inspected,
            inspection_workers=self.inspection_workers, inspection_fake=self.inspection_fake,
            inspection_expired=self.inspection_expired,
            inspection_uncertified=self.inspection_uncertified,
            measures=tuple(m for m in Measure if m in self.measures),
            fine=self.fine.quantize(CENT), sources=tuple(self.sources),
            not_self_checked=in_jurisdiction and not self.self_checked,
        )


class _Book:
    """Enterprises by folded name, in the order first seen."""

    def __init__(self) -> None:
        self.by_key: dict[str, _Acc] = {}

    def get(self, name: str) -> _Acc:
        key = enterprise_key(name)
        acc = self.by_key.get(key)
        if acc is None:
            acc = self.by_key[key] = _Acc(name=name.strip())
        return acc

    def has(self, name: str) -> bool:
        return enterprise_key(name) in self.by_key


def metadata_key(data: RegisterData) -> tuple[str, Kind, date, datetime] | None:
    """What identifies one run: two files that share it are two copies of one register.

    A register without a timestamp cannot be told from another run of the same enterprise on
    the same day, so it is never taken for a copy.
    """
    info = data.info
    if info.generated_at is None:
        return None
    return (enterprise_key(info.enterprise or UNNAMED), info.kind, info.as_of, info.generated_at)


def drop_metadata_duplicates(
    registers: Sequence[RegisterData],
) -> tuple[list[RegisterData], list[str]]:
    """Keep the first of registers with the same (enterprise, kind, as-of, generated-at)."""
    kept: list[RegisterData] = []
    warnings: list[str] = []
    seen: dict[tuple[str, Kind, date, datetime], RegisterData] = {}
    for data in registers:
        key = metadata_key(data)
        if key is not None and key in seen:
            warnings.append(
                f"{data.path.name}：与 {seen[key].path.name} 是同一次核验（单位、检查类型、核验日期"
                "和生成时间都相同），只计一次（same run）"
            )
            continue
        if key is not None:
            seen[key] = data
        kept.append(data)
    return kept, warnings


def summarize(
    registers: Sequence[RegisterData],
    enterprises: Sequence[str] | None = None,
    actions: Sequence[Action] = (),
) -> Summary:
    """The 附件1 figures and the per-enterprise breakdown behind them.

    ``registers`` should already be free of duplicate files (see ``load``); runs that appear
    twice by their metadata are dropped here. ``enterprises`` is the jurisdiction's list, when
    the office has one; without it the jurisdiction is every enterprise seen in a register.
    """
    registers, warnings = drop_metadata_duplicates(registers)
    book = _Book()
    listed_keys: set[str] = set()
    for name in enterprises or ():
        if not name.strip():
            continue
        key = enterprise_key(name)
        if key in listed_keys:
            warnings.append(f"单位名单中“{name.strip()}”出现了两次，只计一次")
            continue
        listed_keys.add(key)
        book.get(name).listed = True

    refs: list[RegisterRef] = []
    for data in registers:
        info = data.info
        name = (info.enterprise or "").strip()
        if not name:
            warnings.append(
                f"{data.path.name}：登记表没有注明单位名称（核验时用 verify --enterprise 注明），"
                f"计入“{UNNAMED}”"
            )
            name = UNNAMED
        elif enterprises is not None and enterprise_key(name) not in listed_keys:
            warnings.append(
                f"{data.path.name}：“{name}”不在单位名单中，请核对名称（其人数已计入，"
                "但不计入辖区单位数）"
            )
        acc = book.get(name)
        counts = data.verdict.counts
        fake, expired = counts[Status.FAKE], counts[Status.EXPIRED]
        uncertified, unverified = counts[Status.UNCERTIFIED], counts[Status.UNVERIFIED]
        if info.kind is Kind.SELF_CHECK:
            acc.self_checked = True
            acc.self_workers += len(data.rows)
            acc.self_fake += fake
            acc.self_uncertified += uncertified
        else:
            acc.inspected = True
            acc.inspection_workers += len(data.rows)
            acc.inspection_fake += fake
            acc.inspection_expired += expired
            acc.inspection_uncertified += uncertified
        acc.sources.append(data.path.name)
        if unverified:
            warnings.append(
                f"{data.path.name}：{unverified} 人未核验，未计入各项数字；"
                "请重新运行 verify 补全登记表"
            )
        if info.kind is Kind.SELF_CHECK and info.sample is not None:
            warnings.append(
                f"{data.path.name}：自查登记表只抽查了 {info.sample.size} 人"
                f"（共 {info.sample.population} 人）；企业自查应覆盖全部人员"
            )
        refs.append(
            RegisterRef(
                file=data.path.name, enterprise=name, kind=info.kind, as_of=info.as_of,
                workers=len(data.rows), fake=fake, expired=expired, uncertified=uncertified,
                unverified=unverified, sampled=info.sample is not None,
            )
        )

    for action in actions:
        if enterprises is not None and enterprise_key(action.enterprise) not in listed_keys:
            warnings.append(
                f"{action.where or '处罚名单'}：“{action.enterprise.strip()}”不在单位名单中，"
                "请核对名称"
            )
        elif enterprises is None and not book.has(action.enterprise):
            warnings.append(
                f"{action.where or '处罚名单'}：“{action.enterprise.strip()}”没有登记表"
            )
        acc = book.get(action.enterprise)
        acc.measures.extend(m for m in action.measures if m not in acc.measures)
        acc.fine += action.fine

    per = tuple(acc.freeze(enterprises is not None) for acc in book.by_key.values())
    return Summary(
        figures=_figures(per, enterprises is not None, len(listed_keys)),
        per_enterprise=per,
        registers=tuple(refs),
        warnings=tuple(warnings),
        from_list=enterprises is not None,
    )


def _figures(
    per: Iterable[EnterpriseFigures], from_list: bool, listed: int
) -> dict[str, int | Decimal]:
    per = list(per)
    jurisdiction = listed if from_list else sum(1 for e in per if e.self_checked or e.inspected)
    figures: dict[str, int | Decimal] = {
        JURISDICTION: jurisdiction,
        SELF_CHECKED: sum(1 for e in per if e.self_checked),
        NOT_SELF_CHECKED: sum(1 for e in per if e.not_self_checked),
        SELF_FAKE: sum(e.self_fake for e in per),
        SELF_UNCERTIFIED: sum(e.self_uncertified for e in per),
        INSPECTED: sum(1 for e in per if e.inspected),
        RECTIFY: sum(1 for e in per if Measure.RECTIFY in e.measures),
        SUSPEND: sum(1 for e in per if Measure.SUSPEND in e.measures),
        INSPECTION_FAKE: sum(e.inspection_fake for e in per),
        INSPECTION_EXPIRED: sum(e.inspection_expired for e in per),
        INSPECTION_UNCERTIFIED: sum(e.inspection_uncertified for e in per),
        FINES: sum((e.fine for e in per), Decimal(0)).quantize(CENT),
    }
    assert tuple(figures) == FORM_ROWS
    return figures
