"""The rules: (worker, lookup outcome, as-of date, source traits) → finding. The only place a
rule lives.

``RULE_TABLE`` is the table the README prints, and ``decide`` runs it: every row is a
predicate, tried in order; the first that holds decides status and reason. The person-level
rows (``PERSON_RULES``) look at one ``_Case``, built once per worker. The per-item rows
(``ITEM_RULES``) look at one ``_Item`` for each operation item the row declares
(``低压电工、焊工`` is two items), and the row gets the most serious result (fake, uncertified,
expired, unverified, valid). Warnings are added afterwards and never change the status. No
I/O here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Generic, TypeVar

from certcheck.catalog import Catalog, Coverage, load_catalog, number_regime
from certcheck.ids import birth_date
from certcheck.models import (
    DEFAULT_WARN_DAYS,
    Answer,
    CertRecord,
    Declared,
    Failed,
    Finding,
    Found,
    IdProblem,
    Reason,
    Regime,
    SourceTraits,
    Status,
    WarningCode,
    Worker,
)
from certcheck.names import same_name

#: The order of seriousness between items of one row, most serious first (SPEC.md).
SEVERITY: tuple[Status, ...] = (
    Status.FAKE,
    Status.UNCERTIFIED,
    Status.EXPIRED,
    Status.UNVERIFIED,
    Status.VALID,
)
#: Within one status, the reason listed first in SPEC.md wins.
REASON_ORDER: tuple[Reason, ...] = (
    Reason.OK,
    Reason.VALIDITY_ENDED,
    Reason.REVIEW_OVERDUE,
    Reason.NOT_FOUND,
    Reason.NAME_MISMATCH,
    Reason.CERT_NUMBER_MISMATCH,
    Reason.NO_CERTIFICATE,
    Reason.ITEM_NOT_COVERED,
    Reason.REVOKED,
    Reason.INVALID_ID,
    Reason.ID_PRECISION_LOST,
    Reason.MISSING_FIELD,
    Reason.NAME_UNREADABLE,
    Reason.OTHER_AUTHORITY,
    Reason.LOOKUP_FAILED,
    Reason.CAPTCHA_FAILED,
    Reason.UNRECOGNIZED_RESPONSE,
    Reason.RECORD_INCOMPLETE,
    Reason.TOO_RECENT,
)

# Reviews are applied for within 60 days before 应复审日期, and cycles are 3 (or 6) years
# apart, so a review recorded no more than one calendar year before the due date belongs to
# that cycle and an older one to the previous cycle.
REVIEW_LOOKBACK_YEARS = 1
# The first review falls due three years after the validity begins (Order No. 30).
REVIEW_CYCLE_YEARS = 3


@dataclass(slots=True)
class _Case:
    """Everything a person-level rule may look at, computed once per worker by ``_case``.

    Not frozen, though nothing changes it after ``_case``: a frozen dataclass pays one
    ``object.__setattr__`` per field, and a case is built for every worker of every run.
    """

    worker: Worker
    answer: Answer | None
    as_of: date
    traits: SourceTraits
    catalog: Catalog
    #: One entry per declared item; empty when the row declares none.
    coverages: tuple[Coverage, ...]
    #: The regime the row's category, number or issuer points to.
    hint: Regime | None
    #: The failure the source reported, if it did.
    failed: Failed | None
    #: The source answered, and had no record for the ID.
    nothing_found: bool
    #: Every record the source returned for the ID.
    records: tuple[CertRecord, ...]
    #: The records of this person (name matches), after the declared-number filter.
    mine: tuple[CertRecord, ...]


@dataclass(slots=True)
class _Item:
    """What a per-item rule looks at: one declared item of the case, and the person's
    certificates for it. Not frozen, for the reason ``_Case`` is not."""

    case: _Case
    #: The declared item being decided; None when the row declares none.
    coverage: Coverage | None
    covering: tuple[CertRecord, ...]
    in_force: tuple[CertRecord, ...]
    #: The best certificate in force for the item, and its state on the as-of date.
    best: CertRecord | None
    best_reason: Reason | None


_C = TypeVar("_C", _Case, _Item)


@dataclass(frozen=True, slots=True)
class Rule(Generic[_C]):
    """One row of the README's rule table; what the row means is in the README."""

    number: int
    status: Status
    reason: Reason
    applies: Callable[[_C], bool]


# ---- the predicates, one per row -------------------------------------------------------


def _missing(case: _Case) -> bool:
    w = case.worker
    return not w.name or not w.id_number or w.id_problem is IdProblem.MISSING


def _precision_lost(case: _Case) -> bool:
    return case.worker.id_problem is IdProblem.PRECISION_LOST


def _invalid_id(case: _Case) -> bool:
    if case.worker.id_problem is IdProblem.INVALID:
        return True
    # The reader checked the birth date against its own day; the rules judge as of --as-of.
    born = birth_date(case.worker.id_number or "")
    return born is None or born > case.as_of


def _name_unreadable(case: _Case) -> bool:
    return case.worker.name_unreadable


def _all_other_authority(case: _Case) -> bool:
    return _elsewhere(case.coverages, case.hint, case.traits)


def _elsewhere(
    coverages: tuple[Coverage, ...], hint: Regime | None, traits: SourceTraits
) -> bool:
    """Every declared item (or, with none declared, the row's hint) belongs to a regime the
    source does not hold."""
    regimes = traits.regimes
    if coverages:
        return all(c.regime not in regimes for c in coverages)
    return hint is not None and hint not in regimes


def _lookup_failed(case: _Case) -> bool:
    failed = case.failed
    return case.answer is None or (failed is not None and failed.reason is Reason.LOOKUP_FAILED)


def _failed(reason: Reason) -> Callable[[_Case], bool]:
    def applies(case: _Case) -> bool:
        failed = case.failed
        return failed is not None and failed.reason is reason

    return applies


def _too_recent(case: _Case) -> bool:
    if not case.nothing_found:
        return False
    declared = case.worker.declared
    earliest = case.as_of - case.traits.publication_delay
    return any(
        d is not None and d >= earliest for d in (declared.first_issued, declared.valid_from)
    )


def _not_found_claimed(case: _Case) -> bool:
    return case.nothing_found and _claims_certificate_here(case)


def _nothing_found(case: _Case) -> bool:
    return case.nothing_found


def _name_mismatch(case: _Case) -> bool:
    name = case.worker.name or ""
    return not any(_holder(r, name) for r in case.records)


def _number_mismatch(case: _Case) -> bool:
    return not case.mine


def _other_authority_item(item: _Item) -> bool:
    return item.coverage is not None and item.coverage.regime not in item.case.traits.regimes


def _not_covered(item: _Item) -> bool:
    return not item.covering


def _revoked(item: _Item) -> bool:
    return not item.in_force


def _ended(item: _Item) -> bool:
    return item.best_reason is Reason.VALIDITY_ENDED


def _overdue(item: _Item) -> bool:
    return item.best_reason is Reason.REVIEW_OVERDUE


def _incomplete(item: _Item) -> bool:
    return item.best_reason is Reason.RECORD_INCOMPLETE


def _always(item: _Item) -> bool:
    return True


U, F, N, E, V = Status.UNVERIFIED, Status.FAKE, Status.UNCERTIFIED, Status.EXPIRED, Status.VALID

#: The rows decided once per worker, in the order they are tried.
PERSON_RULES: tuple[Rule[_Case], ...] = (
    Rule(1, U, Reason.MISSING_FIELD, _missing),
    Rule(2, U, Reason.ID_PRECISION_LOST, _precision_lost),
    Rule(3, U, Reason.INVALID_ID, _invalid_id),
    Rule(4, U, Reason.NAME_UNREADABLE, _name_unreadable),
    Rule(5, U, Reason.OTHER_AUTHORITY, _all_other_authority),
    Rule(6, U, Reason.LOOKUP_FAILED, _lookup_failed),
    Rule(7, U, Reason.CAPTCHA_FAILED, _failed(Reason.CAPTCHA_FAILED)),
    Rule(8, U, Reason.UNRECOGNIZED_RESPONSE, _failed(Reason.UNRECOGNIZED_RESPONSE)),
    Rule(9, U, Reason.TOO_RECENT, _too_recent),
    Rule(10, F, Reason.NOT_FOUND, _not_found_claimed),
    Rule(11, N, Reason.NO_CERTIFICATE, _nothing_found),
    Rule(12, F, Reason.NAME_MISMATCH, _name_mismatch),
    Rule(13, F, Reason.CERT_NUMBER_MISMATCH, _number_mismatch),
)
#: The rows decided for each declared item once no person-level row applied.
ITEM_RULES: tuple[Rule[_Item], ...] = (
    Rule(14, U, Reason.OTHER_AUTHORITY, _other_authority_item),
    Rule(15, N, Reason.ITEM_NOT_COVERED, _not_covered),
    Rule(16, N, Reason.REVOKED, _revoked),
    Rule(17, E, Reason.VALIDITY_ENDED, _ended),
    Rule(18, E, Reason.REVIEW_OVERDUE, _overdue),
    Rule(19, U, Reason.RECORD_INCOMPLETE, _incomplete),
    Rule(20, V, Reason.OK, _always),
)
#: The rule table, in the order the rules are tried. README's rule table is checked against it.
RULE_TABLE: tuple[Rule[_Case] | Rule[_Item], ...] = (*PERSON_RULES, *ITEM_RULES)
_STATUS_OF: dict[Reason, Status] = {rule.reason: rule.status for rule in RULE_TABLE}
_MEM_ONLY = SourceTraits()


# ---- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
    reason: Reason
    coverage: Coverage | None = None
    decisive: CertRecord | None = None
    detail: str | None = None


def decide(
    worker: Worker,
    answer: Answer | None,
    as_of: date,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    duplicate: bool = False,
    catalog: Catalog | None = None,
    traits: SourceTraits | None = None,
) -> Finding:
    """Classify one worker. ``answer`` is None when the worker could not be looked up."""
    case = _case(worker, answer, as_of, catalog or load_catalog(), traits or _MEM_ONLY)
    results = _person_rows(case)
    worst = min(results, key=_seriousness) if len(results) > 1 else results[0]
    return Finding(
        worker=worker,
        status=_STATUS_OF[worst.reason],
        reason=worst.reason,
        warnings=_warnings(case, results, worst, warn_days, duplicate),
        certificates=case.records,
        decisive=worst.decisive,
        answer=answer,
        detail=_detail(results, worst),
    )


def _case(
    worker: Worker, answer: Answer | None, as_of: date, catalog: Catalog, traits: SourceTraits
) -> _Case:
    outcome = answer.outcome if answer is not None else None
    records = outcome.records if isinstance(outcome, Found) else ()
    failed = outcome if isinstance(outcome, Failed) else None
    hint, coverages = _declared_work(worker, catalog)
    return _Case(
        worker,
        answer,
        as_of,
        traits,
        catalog,
        coverages,
        hint,
        failed,
        answer is not None and failed is None and not records,
        records,
        _mine(worker, records, traits) if records else (),
    )


def _declared_work(worker: Worker, catalog: Catalog) -> tuple[Regime | None, tuple[Coverage, ...]]:
    """The regime the row points to, and what each declared item requires."""
    declared = worker.declared
    numbers = (declared.cert_number,) if declared.cert_number else ()
    hint = catalog.hint(declared.category, numbers, declared.issuer)
    return hint, catalog.coverages(declared.category, declared.item, hint)


def _warnings(
    case: _Case, results: list[_Result], worst: _Result, warn_days: int, duplicate: bool
) -> tuple[WarningCode, ...]:
    warnings: list[WarningCode] = []
    if duplicate:
        warnings.append(WarningCode.DUPLICATE_ID)
    if any(not c.known for c in case.coverages):
        warnings.append(WarningCode.UNKNOWN_ITEM)
    if worst.reason is Reason.OK or worst.decisive is not None:
        warnings.extend(_record_warnings(case.worker.declared, results, case.as_of, warn_days))
    return tuple(dict.fromkeys(warnings))


def _person_rows(case: _Case) -> list[_Result]:
    """The person-level rows in order; past them, one result per declared item."""
    for rule in PERSON_RULES:
        if rule.applies(case):
            return [_Result(rule.reason, detail=_person_detail(rule.reason, case))]
    items: tuple[Coverage | None, ...] = case.coverages or (None,)
    return [_item_result(_item(case, coverage)) for coverage in items]


def _holder(record: CertRecord, name: str) -> bool:
    """The record is the worker's: it carries their name, or no name at all (the source
    matched name and ID itself)."""
    return record.name is None or same_name(record.name, name)


def _mine(
    worker: Worker, records: tuple[CertRecord, ...], traits: SourceTraits
) -> tuple[CertRecord, ...]:
    name = worker.name or ""
    mine = tuple(r for r in records if _holder(r, name))
    declared = worker.declared
    number = declared.cert_number
    if number and declared.cert_number_exact and _number_comparable(number, traits):
        wanted = cert_key(number)
        mine = tuple(r for r in mine if cert_key(r.cert_number or r.id_number) == wanted)
    return mine


def _item(case: _Case, coverage: Coverage | None) -> _Item:
    """The person's certificates for one declared item, and the best of those in force."""
    covering = _covering(case, coverage)
    in_force = tuple(r for r in covering if not r.revoked)
    as_of = case.as_of
    if len(in_force) > 1:
        best: CertRecord | None = max(in_force, key=lambda r: _rank(r, as_of))
    else:
        best = in_force[0] if in_force else None
    return _Item(
        case, coverage, covering, in_force, best,
        record_reason(best, as_of) if best is not None else None,
    )


def _covering(case: _Case, coverage: Coverage | None) -> tuple[CertRecord, ...]:
    catalog = case.catalog
    covering = tuple(
        r for r in case.mine if coverage is None or catalog.covers(coverage, r.category, r.item)
    )
    if any(r.history for r in covering) and not all(r.history for r in covering):
        # An older certificate (历史数据) never decides over a current one.
        covering = tuple(r for r in covering if not r.history)
    return covering


def _item_result(item: _Item) -> _Result:
    for rule in ITEM_RULES:
        if rule.applies(item):
            best = item.best
            decisive = best if best is not None else (item.covering[0] if item.covering else None)
            return _Result(rule.reason, item.coverage, decisive, _item_detail(rule.reason, item))
    raise AssertionError("the last rule always applies")  # pragma: no cover


def _seriousness(result: _Result) -> tuple[int, int]:
    return (SEVERITY.index(_STATUS_OF[result.reason]), REASON_ORDER.index(result.reason))


def _rank(record: CertRecord, as_of: date) -> tuple[int, date]:
    """Among the covering certificates in force: one valid today wins, then one whose state
    is unknown (incomplete), then the one with the latest end date."""
    reason = record_reason(record, as_of)
    standing = {Reason.OK: 2, Reason.RECORD_INCOMPLETE: 1}.get(reason, 0)
    return (standing, record.valid_until or date.min)


def record_reason(record: CertRecord, as_of: date) -> Reason:
    """Whether one official record is in force on ``as_of`` (validity first, then review).

    The last day of validity is still valid. A record that lacks the date a decision needs
    is ``record_incomplete``, never valid by default.
    """
    until = record.valid_until
    if until is None:
        return Reason.RECORD_INCOMPLETE
    if until < as_of:
        return Reason.VALIDITY_ENDED
    due = record.review_due
    if due is None:
        if _first_review_not_yet_due(record, as_of):
            return Reason.OK
        return Reason.RECORD_INCOMPLETE
    if review_outstanding(record) and due < as_of:
        return Reason.REVIEW_OVERDUE
    return Reason.OK


def _first_review_not_yet_due(record: CertRecord, as_of: date) -> bool:
    start = record.valid_from or record.first_issued
    return start is not None and as_of < add_years(start, REVIEW_CYCLE_YEARS)


def review_outstanding(record: CertRecord) -> bool:
    """True when the record's 应复审日期 has no 实际复审日期 recorded for that cycle."""
    if record.review_due is None:
        return False
    earliest = add_years(record.review_due, -REVIEW_LOOKBACK_YEARS)
    return record.reviewed is None or record.reviewed < earliest


@lru_cache(maxsize=8192)
def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ---- regimes and certificate numbers ----------------------------------------------------


def _number_comparable(number: str, traits: SourceTraits) -> bool:
    """A number shaped like another authority's certificate says nothing about this source's
    records (渝A04… next to a 低压电工 item belongs to the 建筑电工 certificate)."""
    regime = number_regime(number)
    return regime is None or regime in traits.regimes


def _claims_certificate_here(case: _Case) -> bool:
    """The row claims a certificate this source should hold.

    A number claims one unless it is shaped like another authority's; dates claim one only
    when every declared item is of a covered regime (otherwise they may be the other
    certificate's dates).
    """
    declared = case.worker.declared
    if declared.cert_number and _number_comparable(declared.cert_number, case.traits):
        return True
    dated = any(
        d is not None
        for d in (
            declared.first_issued,
            declared.valid_from,
            declared.valid_until,
            declared.review_due,
            declared.reviewed,
        )
    )
    return dated and all(c.regime in case.traits.regimes for c in case.coverages)


def needs_lookup(
    worker: Worker, traits: SourceTraits, catalog: Catalog | None = None
) -> bool:
    """Whether asking the source can help decide this worker: it can be looked up and at
    least one declared item belongs to a regime the source holds."""
    if worker.lookup_key is None:
        return False
    hint, coverages = _declared_work(worker, catalog or load_catalog())
    return not _elsewhere(coverages, hint, traits)


def cert_key(number: str) -> str:
    """Certificate numbers compare without spaces, case, or the leading T some are written with."""
    if not number.isascii():
        number = unicodedata.normalize("NFKC", number)
    key = "".join(number.split()).upper()
    return key[1:] if key.startswith("T") else key


# ---- details and warnings ---------------------------------------------------------------


def _person_detail(reason: Reason, case: _Case) -> str | None:
    if reason is Reason.NAME_MISMATCH:
        return "记录姓名: " + "、".join(sorted({r.name or "" for r in case.records}))
    if reason is Reason.OTHER_AUTHORITY:
        if not case.coverages:
            return _authority_text(None, case.hint or Regime.MEM)
        return "；".join(_authority_text(c.shown, c.regime) for c in case.coverages)
    if reason is Reason.TOO_RECENT:
        delay = case.traits.publication_delay.days
        return f"花名册所填发证日期在 {delay} 天内，新证书可能尚未能在数据源中查到"
    if reason is Reason.NAME_UNREADABLE:
        return "姓名含 ? 或 � （另存时丢失的汉字），请按身份证核对后重新录入"
    failed = case.failed
    if failed is not None:
        return failed.detail
    if case.answer is None and reason is Reason.LOOKUP_FAILED:
        return "not looked up"
    return None


def _authority_text(shown: str | None, regime: Regime) -> str:
    what = f"{shown}：" if shown else ""
    return f"{what}属于{regime.zh}，由{regime.authority}核发，本数据源不能核验"


def _item_detail(reason: Reason, item: _Item) -> str | None:
    if reason is Reason.OTHER_AUTHORITY and item.coverage is not None:
        # Shown after the item's own name in the row's detail.
        return _authority_text(None, item.coverage.regime)
    if reason is Reason.ITEM_NOT_COVERED:
        held = "、".join(sorted({r.item or r.category or "?" for r in item.case.mine}))
        return f"持有: {held}"
    if reason is Reason.REVOKED:
        states = "、".join(sorted({r.status_text or "?" for r in item.covering}))
        return f"证书状态: {states}"
    if reason is Reason.RECORD_INCOMPLETE and item.best is not None:
        record = item.best
        missing = "有效期结束日期" if record.valid_until is None else "应复审日期"
        where = f"（{record.origin}）" if record.origin else ""
        return f"官方记录缺少{missing}{where}"
    return None


def _detail(results: list[_Result], worst: _Result) -> str | None:
    if len(results) == 1:
        return worst.detail
    parts = []
    for result in results:
        item = result.coverage.shown if result.coverage is not None else "?"
        status = _STATUS_OF[result.reason]
        text = f"{item}：{status.zh}"
        if result.reason is not Reason.OK:
            text += f"（{result.reason.zh}）"
        if result.detail:
            text += f" {result.detail}"
        parts.append(text)
    return "；".join(parts)


def _record_warnings(
    declared: Declared, results: list[_Result], as_of: date, warn_days: int
) -> list[WarningCode]:
    found: list[WarningCode] = []
    records = [r.decisive for r in results if r.decisive is not None]
    horizon = as_of + timedelta(days=warn_days)
    for record in records:
        until = record.valid_until
        due = record.review_due if review_outstanding(record) else None
        if (until is not None and as_of <= until <= horizon) or (
            due is not None and as_of <= due <= horizon
        ):
            found.append(WarningCode.DUE_SOON)
            break
    if declared.claims_certificate and records and all(
        _outdated(declared, r) for r in records
    ):
        found.append(WarningCode.ROSTER_OUTDATED)
    return found


def _outdated(declared: Declared, record: CertRecord) -> bool:
    pairs = (
        (declared.first_issued, record.first_issued),
        (declared.valid_from, record.valid_from),
        (declared.valid_until, record.valid_until),
        (declared.review_due, record.review_due),
        (declared.reviewed, record.reviewed),
    )
    return any(mine is not None and mine != official for mine, official in pairs)
