"""From registers (and the office's own lists) to the figures of 附件1. Pure: no I/O.

The form's figures, as the campaign notice defines them:

- 生产经营单位全面自查情况 comes from ``self-check`` registers: the enterprises that made one
  (开展自查), and the fake (假冒…) and uncertified (无…上岗数) workers they found.
- 开展专项执法检查 comes from ``inspection`` registers: the enterprises inspected (执法检查) and
  the fake, expired (逾期证件) and uncertified (未持证) workers found, plus the measures taken
  (责令整改, 停产整顿, 行政罚款), which no register holds and come from the actions list.

Enterprise names are compared after NFKC folding and removal of whitespace and invisible
characters, because the same name typed in two offices differs in exactly those ways; the
first spelling seen is the one shown (``enterprises``). Of one enterprise's registers of one
kind only the latest counts (``supersede``), and people found in the registers of two or more
enterprises are listed (``crossref``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from certcheck.matchkey import MatchKey
from certcheck.models import Status
from certcheck.register.model import Kind, Verdict
from certcheck.summary.crossref import CrossCheck, cross_check
from certcheck.summary.enterprises import UNNAMED, enterprise_key
from certcheck.summary.supersede import Counted, choose, named

__all__ = ["UNNAMED", "Counted", "enterprise_key"]

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



class Measure(StrEnum):
    RECTIFY = "责令整改"
    SUSPEND = "停产整顿"


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
    #: When ``verify`` wrote it (核验时间), if the register says.
    generated_at: datetime | None = None
    #: The file of the register that replaces this one, when it is superseded.
    superseded_by: str | None = None


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
    #: Registers not counted because a later one of the same enterprise and kind replaces them.
    superseded: tuple[RegisterRef, ...] = ()
    #: People in the registers of two or more enterprises, and what could not be compared.
    cross: CrossCheck = field(default_factory=CrossCheck)

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


@dataclass(slots=True)
class _Tally:
    """What counting needs besides the book: the jurisdiction's list and the warnings so far."""

    book: _Book
    #: Folded names of the enterprises list; None when the office gave none.
    listed: set[str] | None
    warnings: list[str]

    def unlisted(self, name: str) -> bool:
        return self.listed is not None and enterprise_key(name) not in self.listed


def summarize(
    registers: Sequence[Counted],
    enterprises: Sequence[str] | None = None,
    actions: Sequence[Action] = (),
    *,
    match_key: MatchKey | None = None,
) -> Summary:
    """The 附件1 figures and the per-enterprise breakdown behind them.

    ``registers`` should already be free of duplicate files (see ``load``); runs that appear
    twice by their metadata are dropped here, and of one enterprise's registers of one kind
    only the latest counts (``supersede.choose``, which raises ``Undecidable`` when nothing
    tells which). ``enterprises`` is the jurisdiction's list, when the office has one; without
    it the jurisdiction is every enterprise seen in a register. ``match_key`` is the district's
    key, to match people across registers with masked IDs.
    """
    chosen = choose(registers)
    warnings = list(chosen.warnings)
    tally = _Tally(book=_Book(), listed=None, warnings=warnings)
    if enterprises is not None:
        tally.listed = _enter_list(tally, enterprises)
    named = [(_register_enterprise(tally, data), data) for data in chosen.counted]
    refs = tuple(_count_register(tally, name, data) for name, data in named)
    superseded = tuple(
        _ref(r.old, _shown_name(r.old), superseded_by=r.by.path.name) for r in chosen.replaced
    )
    for action in actions:
        _count_action(tally, action)
    from_list = enterprises is not None
    per = tuple(acc.freeze(from_list) for acc in tally.book.by_key.values())
    # The name each register counts under is the book's (the first spelling seen).
    cross = cross_check([(tally.book.get(name).name, data) for name, data in named], match_key)
    warnings.extend(cross.notes)
    return Summary(
        figures=_figures(per, from_list, len(tally.listed or ())),
        per_enterprise=per,
        registers=refs,
        warnings=tuple(warnings),
        from_list=from_list,
        superseded=superseded,
        cross=cross,
    )


def _shown_name(data: Counted) -> str:
    name = data.info.enterprise
    return name.strip() if name and named(name) else UNNAMED


def _enter_list(tally: _Tally, enterprises: Sequence[str]) -> set[str]:
    """Mark the listed enterprises in the book, in list order; their folded names."""
    listed: set[str] = set()
    for name in enterprises:
        if not name.strip():
            continue
        key = enterprise_key(name)
        if key in listed:
            tally.warnings.append(f"单位名单中“{name.strip()}”出现了两次，只计一次")
            continue
        listed.add(key)
        tally.book.get(name).listed = True
    return listed


def _count_register(tally: _Tally, name: str, data: Counted) -> RegisterRef:
    info, verdict, file = data.info, data.verdict, data.path.name
    _add_figures(tally.book.get(name), info.kind, verdict, file)
    unverified = verdict.counts[Status.UNVERIFIED]
    if unverified:
        tally.warnings.append(
            f"{file}：{unverified} 人未核验，未计入各项数字；请重新运行 verify 补全登记表"
        )
    if verdict.out_of_scope:
        tally.warnings.append(
            f"{file}：{verdict.out_of_scope} 人不在本次核验范围（核验范围：{info.scope.zh}），"
            "未计入各项数字"
        )
    if info.kind is Kind.SELF_CHECK and info.sample is not None:
        tally.warnings.append(
            f"{file}：自查登记表只抽查了 {info.sample.size} 人"
            f"（共 {info.sample.population} 人）；企业自查应覆盖全部人员"
        )
    return _ref(data, name)


def _ref(data: Counted, name: str, superseded_by: str | None = None) -> RegisterRef:
    info, verdict = data.info, data.verdict
    counts = verdict.counts
    return RegisterRef(
        file=data.path.name, enterprise=name, kind=info.kind, as_of=info.as_of,
        workers=verdict.total, fake=counts[Status.FAKE], expired=counts[Status.EXPIRED],
        uncertified=counts[Status.UNCERTIFIED], unverified=counts[Status.UNVERIFIED],
        sampled=info.sample is not None, generated_at=info.generated_at,
        superseded_by=superseded_by,
    )


def _register_enterprise(tally: _Tally, data: Counted) -> str:
    """The enterprise a register counts for, warning when it names none or one not listed."""
    name = (data.info.enterprise or "").strip()
    if not named(name):
        tally.warnings.append(
            f"{data.path.name}：登记表没有注明单位名称（核验时用 verify --enterprise 注明），"
            f"计入“{UNNAMED}”"
        )
        return UNNAMED
    if tally.unlisted(name):
        tally.warnings.append(
            f"{data.path.name}：“{name}”不在单位名单中，请核对名称（其人数已计入，"
            "但不计入辖区单位数）"
        )
    return name


def _add_figures(acc: _Acc, kind: Kind, verdict: Verdict, file: str) -> None:
    counts = verdict.counts
    if kind is Kind.SELF_CHECK:
        acc.self_checked = True
        acc.self_workers += verdict.total
        acc.self_fake += counts[Status.FAKE]
        acc.self_uncertified += counts[Status.UNCERTIFIED]
    else:
        acc.inspected = True
        acc.inspection_workers += verdict.total
        acc.inspection_fake += counts[Status.FAKE]
        acc.inspection_expired += counts[Status.EXPIRED]
        acc.inspection_uncertified += counts[Status.UNCERTIFIED]
    acc.sources.append(file)


def _count_action(tally: _Tally, action: Action) -> None:
    where = action.where or "处罚名单"
    if tally.unlisted(action.enterprise):
        tally.warnings.append(f"{where}：“{action.enterprise.strip()}”不在单位名单中，请核对名称")
    elif tally.listed is None and not tally.book.has(action.enterprise):
        tally.warnings.append(f"{where}：“{action.enterprise.strip()}”没有登记表")
    acc = tally.book.get(action.enterprise)
    acc.measures.extend(m for m in action.measures if m not in acc.measures)
    acc.fine += action.fine


def _figures(
    per: Sequence[EnterpriseFigures], from_list: bool, listed: int
) -> dict[str, int | Decimal]:
    def count(test: Callable[[EnterpriseFigures], bool]) -> int:
        return sum(1 for e in per if test(e))

    def total(value: Callable[[EnterpriseFigures], int]) -> int:
        return sum(value(e) for e in per)

    seen = count(lambda e: e.self_checked or e.inspected)
    figures: dict[str, int | Decimal] = {
        JURISDICTION: listed if from_list else seen,
        SELF_CHECKED: count(lambda e: e.self_checked),
        NOT_SELF_CHECKED: count(lambda e: e.not_self_checked),
        SELF_FAKE: total(lambda e: e.self_fake),
        SELF_UNCERTIFIED: total(lambda e: e.self_uncertified),
        INSPECTED: count(lambda e: e.inspected),
        RECTIFY: count(lambda e: Measure.RECTIFY in e.measures),
        SUSPEND: count(lambda e: Measure.SUSPEND in e.measures),
        INSPECTION_FAKE: total(lambda e: e.inspection_fake),
        INSPECTION_EXPIRED: total(lambda e: e.inspection_expired),
        INSPECTION_UNCERTIFIED: total(lambda e: e.inspection_uncertified),
        FINES: sum((e.fine for e in per), Decimal(0)).quantize(CENT),
    }
    assert tuple(figures) == FORM_ROWS
    return figures
