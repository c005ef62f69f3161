"""The rules: (worker, lookup outcome, as-of date, source traits) → finding. The only place a
rule lives.

``RULE_TABLE`` is the table the README prints, and ``decide`` runs it: every row is a
predicate over one ``_Case``, tried in order; the first that holds decides status and reason.
Rows marked per-item are tried for each operation item the row declares (``低压电工、焊工``
is two items), and the row gets the most serious result (fake, uncertified, expired,
unverified, valid). Warnings are added afterwards and never change the status. No I/O here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from certcheck.catalog import Catalog, Coverage, load_catalog, number_regime
from certcheck.ids import birth_date
from certcheck.models import (
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
DEFAULT_WARN_DAYS = 60


@dataclass(frozen=True, slots=True)
class _Case:
    """Everything one rule may look at, computed once per worker."""

    worker: Worker
    answer: Answer | None
    as_of: date
    traits: SourceTraits
    catalog: Catalog
    coverages: tuple[Coverage, ...]
    #: The regime the row's category, number or issuer points to (computed once per worker).
    hint: Regime | None
    #: Every record the source returned for the ID.
    records: tuple[CertRecord, ...] = ()
    #: The records of this person (name matches), after the declared-number filter.
    mine: tuple[CertRecord, ...] = ()
    #: The declared item being decided, for per-item rows; None when the row declares none.
    coverage: Coverage | None = None
    covering: tuple[CertRecord, ...] = ()
    in_force: tuple[CertRecord, ...] = ()
    #: The best certificate in force for the item, and its state on the as-of date.
    best: CertRecord | None = None
    best_reason: Reason | None = None

    @property
    def failed(self) -> Failed | None:
        outcome = self.answer.outcome if self.answer is not None else None
        return outcome if isinstance(outcome, Failed) else None

    @property
    def nothing_found(self) -> bool:
        return self.answer is not None and self.failed is None and not self.records


@dataclass(frozen=True, slots=True)
class Rule:
    number: int
    #: What the README says the row means.
    condition: str
    status: Status
    reason: Reason
    #: True when the row is decided per declared operation item.
    per_item: bool
    applies: Callable[[_Case], bool]


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
    foreign = [c for c in case.coverages if c.regime not in case.traits.regimes]
    if case.coverages:
        return len(foreign) == len(case.coverages)
    hint = case.hint
    return hint is not None and hint not in case.traits.regimes


def _not_looked_up(case: _Case) -> bool:
    return case.answer is None


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


def _not_covered(case: _Case) -> bool:
    return not case.covering


def _other_authority_item(case: _Case) -> bool:
    return case.coverage is not None and case.coverage.regime not in case.traits.regimes


def _revoked(case: _Case) -> bool:
    return not case.in_force


def _ended(case: _Case) -> bool:
    return case.best_reason is Reason.VALIDITY_ENDED


def _overdue(case: _Case) -> bool:
    return case.best_reason is Reason.REVIEW_OVERDUE


def _incomplete(case: _Case) -> bool:
    return case.best_reason is Reason.RECORD_INCOMPLETE


def _always(case: _Case) -> bool:
    return True


U, F, N, E, V = Status.UNVERIFIED, Status.FAKE, Status.UNCERTIFIED, Status.EXPIRED, Status.VALID

#: The rule table, in the order the rules are tried. README's rule table is checked against it.
RULE_TABLE: tuple[Rule, ...] = (
    Rule(1, "name or ID number missing", U, Reason.MISSING_FIELD, False, _missing),
    Rule(2, "the ID cell held a number, so its last digits are lost", U,
         Reason.ID_PRECISION_LOST, False, _precision_lost),
    Rule(3, "the ID fails the GB 11643 checksum, or its birth date is after --as-of", U,
         Reason.INVALID_ID, False, _invalid_id),
    Rule(4, "the name holds ? or \ufffd left by a lossy save", U, Reason.NAME_UNREADABLE, False,
         _name_unreadable),
    Rule(5, "every declared item belongs to an authority the source does not cover", U,
         Reason.OTHER_AUTHORITY, False, _all_other_authority),
    Rule(6, "the lookup failed after its retries (or was not made)", U, Reason.LOOKUP_FAILED,
         False, lambda c: _not_looked_up(c) or _failed(Reason.LOOKUP_FAILED)(c)),
    Rule(7, "the captcha was never accepted", U, Reason.CAPTCHA_FAILED, False,
         _failed(Reason.CAPTCHA_FAILED)),
    Rule(8, "the lookup's answer was not understood", U, Reason.UNRECOGNIZED_RESPONSE, False,
         _failed(Reason.UNRECOGNIZED_RESPONSE)),
    Rule(9, "nothing found, and the row dates the certificate within the source's "
         "publication delay", U, Reason.TOO_RECENT, False, _too_recent),
    Rule(10, "nothing found, and the row claims a certificate (a number or a date)", F,
         Reason.NOT_FOUND, False, _not_found_claimed),
    Rule(11, "nothing found, and the row claims none", N, Reason.NO_CERTIFICATE, False,
         _nothing_found),
    Rule(12, "records found for the ID, none with the worker's name", F,
         Reason.NAME_MISMATCH, False, _name_mismatch),
    Rule(13, "the declared certificate number is none of the person's", F,
         Reason.CERT_NUMBER_MISMATCH, False, _number_mismatch),
    Rule(14, "the item belongs to an authority the source does not cover", U,
         Reason.OTHER_AUTHORITY, True, _other_authority_item),
    Rule(15, "no certificate of the person covers the item", N, Reason.ITEM_NOT_COVERED,
         True, _not_covered),
    Rule(16, "every covering certificate is marked revoked or cancelled", N, Reason.REVOKED,
         True, _revoked),
    Rule(17, "the best covering certificate is past 有效期结束日期", E, Reason.VALIDITY_ENDED,
         True, _ended),
    Rule(18, "the best covering certificate is past 应复审日期 with no review for that cycle",
         E, Reason.REVIEW_OVERDUE, True, _overdue),
    Rule(19, "the best covering record lacks a date the decision needs", U,
         Reason.RECORD_INCOMPLETE, True, _incomplete),
    Rule(20, "otherwise", V, Reason.OK, True, _always),
)
_STATUS_OF: dict[Reason, Status] = {rule.reason: rule.status for rule in RULE_TABLE}
_PERSON_RULES = tuple(rule for rule in RULE_TABLE if not rule.per_item)
_ITEM_RULES = tuple(rule for rule in RULE_TABLE if rule.per_item)
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
    catalog = catalog or load_catalog()
    outcome = answer.outcome if answer is not None else None
    records = outcome.records if isinstance(outcome, Found) else ()
    hint = _declared_hint(worker, catalog)
    case = _Case(
        worker,
        answer,
        as_of,
        traits or _MEM_ONLY,
        catalog,
        catalog.coverages(worker.declared.category, worker.declared.item, hint),
        hint,
        records,
        _mine(worker, records, traits or _MEM_ONLY) if records else (),
    )
    results = _person_rows(case)
    warnings: list[WarningCode] = []
    if duplicate:
        warnings.append(WarningCode.DUPLICATE_ID)
    if any(not c.known for c in case.coverages):
        warnings.append(WarningCode.UNKNOWN_ITEM)
    worst = min(results, key=_seriousness)
    decisive = worst.decisive
    if worst.reason is Reason.OK or decisive is not None:
        warnings.extend(_record_warnings(worker.declared, results, as_of, warn_days))
    return Finding(
        worker=worker,
        status=_STATUS_OF[worst.reason],
        reason=worst.reason,
        warnings=tuple(dict.fromkeys(warnings)),
        certificates=case.records,
        decisive=decisive,
        answer=answer,
        detail=_detail(results, worst),
    )


def _person_rows(case: _Case) -> list[_Result]:
    """The person-level rows in order; past them, one result per declared item."""
    for rule in _PERSON_RULES:
        if rule.applies(case):
            return [_Result(rule.reason, detail=_person_detail(rule.reason, case))]
    items: tuple[Coverage | None, ...] = case.coverages or (None,)
    return [_item_result(case, coverage) for coverage in items]


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


def _item_result(case: _Case, coverage: Coverage | None) -> _Result:
    covering = tuple(
        r
        for r in case.mine
        if coverage is None or case.catalog.covers(coverage, r.category, r.item)
    )
    if any(r.history for r in covering) and not all(r.history for r in covering):
        # An older certificate (历史数据) never decides over a current one.
        covering = tuple(r for r in covering if not r.history)
    in_force = tuple(r for r in covering if not r.revoked)
    best = max(in_force, key=lambda r: _rank(r, case.as_of)) if in_force else None
    item_case = _Case(
        case.worker, case.answer, case.as_of, case.traits, case.catalog, case.coverages,
        case.hint, case.records, case.mine, coverage, covering, in_force, best,
        record_reason(best, case.as_of) if best is not None else None,
    )
    for rule in _ITEM_RULES:
        if rule.applies(item_case):
            decisive = best if best is not None else (covering[0] if covering else None)
            return _Result(rule.reason, coverage, decisive, _item_detail(rule.reason, item_case))
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


def _declared_hint(worker: Worker, catalog: Catalog) -> Regime | None:
    declared = worker.declared
    return catalog.hint(declared.category, declared.cert_number, declared.issuer)


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
    catalog = catalog or load_catalog()
    hint = _declared_hint(worker, catalog)
    case = _Case(
        worker=worker,
        answer=None,
        as_of=date.max,
        traits=traits,
        catalog=catalog,
        coverages=catalog.coverages(worker.declared.category, worker.declared.item, hint),
        hint=hint,
    )
    return not _all_other_authority(case)


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


def _item_detail(reason: Reason, case: _Case) -> str | None:
    if reason is Reason.OTHER_AUTHORITY and case.coverage is not None:
        # Shown after the item's own name in the row's detail.
        return _authority_text(None, case.coverage.regime)
    if reason is Reason.ITEM_NOT_COVERED:
        held = "、".join(sorted({r.item or r.category or "?" for r in case.mine}))
        return f"持有: {held}"
    if reason is Reason.REVOKED:
        states = "、".join(sorted({r.status_text or "?" for r in case.covering}))
        return f"证书状态: {states}"
    if reason is Reason.RECORD_INCOMPLETE and case.best is not None:
        record = case.best
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
