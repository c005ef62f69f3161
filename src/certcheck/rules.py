"""The rules: (worker, lookup outcome, as-of date, source traits) → finding. The only place a
rule lives.

``RULE_TABLE`` is the table the README prints, and ``decide`` runs it: every row is a
predicate, tried in order; the first that holds decides status and reason. The table has three
parts, and each part sees only what it may use:

- ``READING_RULES`` look at the row as the roster gave it (``Worker`` and ``Declared``):
  the run's ``--scope``, cells that could not be read, missing or broken IDs and names.
- ``PERSON_RULES`` look at one ``_Case``. A case is built only from ``_Claims``, the row's
  declared values once every one of them was understood, so no rule past the reading rules
  can read a cell nobody understood: an ``Unreadable`` field can only end as ``unverified``.
- ``ITEM_RULES`` look at one ``_Item`` for each operation item the row declares
  (``低压电工、焊工`` is two items), and the row gets the most serious result (fake,
  uncertified, expired, unverified, valid).

Warnings are added afterwards and never change the status. No I/O here.

With several sources in one run (``--source mem,samr``) a worker is decided once, from the
answers of every source asked about them read as one (``decide_jointly``): the same verdict a
single registry holding all their records would give. A source that failed leaves open only
what its records could change: the items of its regimes, and any verdict about the person as
a whole that rests on what the others did not find.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Generic, TypeVar

from certcheck.catalog import Catalog, Coverage, load_catalog, number_regime
from certcheck.dates import earliest_day, latest_day, same_day_or_month
from certcheck.ids import birth_date
from certcheck.models import (
    DEFAULT_WARN_DAYS,
    REGIME_SHORT_ZH,
    Answer,
    CertNumber,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Finding,
    Found,
    IdProblem,
    NotFound,
    OtherRow,
    Reason,
    Regime,
    SourceTraits,
    Status,
    Unreadable,
    WarningCode,
    Worker,
)
from certcheck.names import name_key, same_name
from certcheck.shown import Agreement, Legibility, Shown, cert_key, compare_name
from certcheck.text import garbled

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
    Reason.UNKNOWN_ITEM,
    Reason.UNREADABLE_CELL,
    Reason.OUT_OF_SCOPE,
)

# Reviews are applied for within 60 days before 应复审日期, and cycles are 3 (or 6) years
# apart, so a review recorded no more than one calendar year before the due date belongs to
# that cycle and an older one to the previous cycle.
REVIEW_LOOKBACK_YEARS = 1
# The first review falls due three years after the validity begins (Order No. 30).
REVIEW_CYCLE_YEARS = 3


@dataclass(frozen=True, slots=True)
class _Claims:
    """What the row declares, every value understood: the only form in which the person and
    item rules see the roster's declarations (built by ``claims_of``)."""

    #: The 证号 cell's numbers, and whether the cell claims a certificate at all.
    numbers: tuple[str, ...]
    number_claims: bool
    category: str | None
    item: str | None
    issuer: str | None
    first_issued: date | None
    valid_from: date | None
    valid_until: date | None
    review_due: date | None
    reviewed: date | None

    @property
    def dated(self) -> bool:
        return any(
            d is not None
            for d in (
                self.first_issued, self.valid_from, self.valid_until, self.review_due,
                self.reviewed,
            )
        )


_NO_NUMBER = CertNumber("", (), claims=False)


def claims_of(declared: Declared) -> _Claims | None:
    """The declarations as understood values, or None when any of them was not understood."""
    cert, category, item, issuer = (
        declared.cert_number, declared.category, declared.item, declared.issuer,
    )
    first, start, until, due, reviewed = (
        declared.first_issued, declared.valid_from, declared.valid_until,
        declared.review_due, declared.reviewed,
    )
    if (
        isinstance(cert, Unreadable)
        or isinstance(category, Unreadable)
        or isinstance(item, Unreadable)
        or isinstance(issuer, Unreadable)
        or isinstance(first, Unreadable)
        or isinstance(start, Unreadable)
        or isinstance(until, Unreadable)
        or isinstance(due, Unreadable)
        or isinstance(reviewed, Unreadable)
    ):
        return None
    number = cert or _NO_NUMBER
    return _Claims(
        number.numbers, number.claims, category, item, issuer,
        first, start, until, due, reviewed,
    )


@dataclass(slots=True)
class _Case:
    """Everything a person-level rule may look at, computed once per worker by ``_case``.

    Not frozen, though nothing changes it after ``_case``: a frozen dataclass pays one
    ``object.__setattr__`` per field, and a case is built for every worker of every run.
    """

    worker: Worker
    claims: _Claims
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
    #: Records whose holder's name cannot be read (? or �): perhaps the person's, but nothing
    #: can be decided on them.
    unsure: tuple[CertRecord, ...]
    #: Some declared number is none of the person's numbered records, nor of those that may
    #: be theirs (``unsure``), and none of these lacks a number (a record without one proves
    #: nothing about the roster's).
    number_mismatch: bool
    #: The declared numbers matched only history records: the roster names an older card.
    number_outdated: bool
    #: The regimes the run's ``--scope`` checks; None: all.
    scope: frozenset[Regime] | None = None
    #: Several sources: those asked about this person that could not answer, by the regimes
    #: they serve (``decide_jointly``).
    unanswered: tuple[Unanswered, ...] = ()


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A source of a run with several that was asked about the worker and could not answer:
    nothing in the regimes it serves can be decided, nor anything its records could change."""

    regimes: frozenset[Regime]
    failed: Failed


@dataclass(slots=True)
class _Item:
    """What a per-item rule looks at: one declared item of the case, and the person's
    certificates for it. Not frozen, for the reason ``_Case`` is not."""

    case: _Case
    #: The declared item being decided; None when the row declares none.
    coverage: Coverage | None
    #: Current certificates (not history, existing on the as-of date) that cover the item.
    covering: tuple[CertRecord, ...]
    #: No current certificate covers the item, but one may: a record that names only its
    #: category, or a history record (历史数据), which never decides.
    undecidable: tuple[CertRecord, ...]
    in_force: tuple[CertRecord, ...]
    #: The best certificate in force for the item, and its state on the as-of date.
    best: CertRecord | None
    best_reason: Reason | None


@dataclass(frozen=True, slots=True)
class _Row:
    """What a reading rule looks at: the row as the roster gave it, the as-of date, and the
    regimes the run checks (``--scope``; None: all)."""

    worker: Worker
    as_of: date
    scope: frozenset[Regime] | None = None
    catalog: Catalog | None = None


_C = TypeVar("_C", _Row, _Case, _Item)


@dataclass(frozen=True, slots=True)
class Rule(Generic[_C]):
    """One row of the README's rule table; what the row means is in the README."""

    number: int
    status: Status
    reason: Reason
    applies: Callable[[_C], bool]


# ---- the reading rules: the row as the roster gave it --------------------------------------


def _out_of_scope(row: _Row) -> bool:
    scope = row.scope
    if scope is None:
        return False
    claims = claims_of(row.worker.declared)
    if claims is None:  # an item not understood may be one the officer wants checked
        return False
    hint, coverages = _declared_work(claims, row.catalog or load_catalog())
    if coverages:
        return not any(_within(c, scope) for c in coverages)
    return hint is not None and hint not in scope


def _within(coverage: Coverage, scope: frozenset[Regime]) -> bool:
    """The declared item may be one the run's scope checks: its regime, or another it may
    belong to, is in the scope, or the catalog does not know it (its regime is then only a
    guess, and an item not understood is never left out)."""
    return (not coverage.known or coverage.regime in scope
            or bool(coverage.alternatives & scope))


def _person_cell_unreadable(row: _Row) -> bool:
    return bool(row.worker.unreadable)


def _missing(row: _Row) -> bool:
    w = row.worker
    return not w.name or not w.id_number or w.id_problem is IdProblem.MISSING


def _precision_lost(row: _Row) -> bool:
    return row.worker.id_problem is IdProblem.PRECISION_LOST


def _invalid_id(row: _Row) -> bool:
    worker = row.worker
    if worker.id_problem is IdProblem.INVALID:
        return True
    # The reader checked the birth date against its own day; the rules judge as of --as-of.
    born = birth_date(worker.id_number or "")
    return born is None or born > row.as_of


def _name_unreadable(row: _Row) -> bool:
    return row.worker.name_unreadable


def _declared_unreadable(row: _Row) -> bool:
    return bool(row.worker.declared.unreadable)


# ---- the person rules: one case, every declared value understood --------------------------


def _all_other_authority(case: _Case) -> bool:
    return _elsewhere(case.coverages, case.hint, case.traits.regimes)


def _elsewhere(
    coverages: tuple[Coverage, ...], hint: Regime | None, regimes: frozenset[Regime]
) -> bool:
    """Every declared item (or, with none declared, the row's hint) belongs to a regime
    outside ``regimes`` (those the source holds, or those the run's scope checks)."""
    if coverages:
        return all(c.regime not in regimes for c in coverages)
    return hint is not None and hint not in regimes


def _lookup_failed(case: _Case) -> bool:
    failed = case.failed
    return (
        case.answer is None
        or (failed is not None and failed.reason is Reason.LOOKUP_FAILED)
        or _partly_failed(case, Reason.LOOKUP_FAILED)
    )


def _failed(reason: Reason) -> Callable[[_Case], bool]:
    def applies(case: _Case) -> bool:
        failed = case.failed
        return (failed is not None and failed.reason is reason) or _partly_failed(case, reason)

    return applies


def _partly_failed(case: _Case, reason: Reason) -> bool:
    """Several sources: one asked about the person failed with ``reason``, and what the others
    answered decides nothing about the person by itself: nothing found, no record in their
    name, a declared number none of theirs. The records of the one that failed could change
    each of these, so no fake or uncertified verdict may rest on them."""
    unanswered = case.unanswered
    if not unanswered or not any(u.failed.reason is reason for u in unanswered):
        return False
    return (
        case.nothing_found
        or case.number_mismatch
        or _name_mismatch(case)
        or _id_of_another_row(case)
    )


def _too_recent(case: _Case) -> bool:
    if not case.nothing_found:
        return False
    regimes = {c.regime for c in case.coverages} or {Regime.MEM}
    return any(_declared_recently(case, regime) for regime in regimes)


def _declared_recently(case: _Case, regime: Regime) -> bool:
    """The row says the certificate was first issued (or its validity began) within the
    source's publication delay; with only an end date, the start is the end minus the
    regime's validity."""
    claims = case.claims
    start = claims.first_issued or claims.valid_from
    if start is None and claims.valid_until is not None:
        start = add_years(claims.valid_until, -regime.validity_years)
    return start is not None and start >= case.as_of - case.traits.publication_delay


def _not_found_unknown_item(case: _Case) -> bool:
    return (
        case.nothing_found
        and _claims_certificate_here(case)
        and any(not c.known for c in case.coverages)
    )


def _not_found_maybe_elsewhere(case: _Case) -> bool:
    if not case.nothing_found:
        return False
    if _claims_certificate_here(case) and any(
        _maybe_elsewhere(c, case.traits) for c in case.coverages
    ):
        return True
    # The row shows a card, every number it gives is shaped like another authority's (渝A01…,
    # TS…), and no declared item is that authority's: the card may be for the very item the
    # row declares (a 建筑电工 card beside 低压电工作业), and is not this source's to find. A
    # forklift card beside 叉车司机 is accounted for; the row's other items stand on their own.
    foreign = _foreign_numbers(case.claims.numbers, case.traits)
    declared = {c.regime for c in case.coverages}
    return (
        bool(foreign)
        and not declared.intersection(foreign)
        and not any(_number_comparable(n, case.traits) for n in case.claims.numbers)
    )


def _foreign_numbers(numbers: tuple[str, ...], traits: SourceTraits) -> tuple[Regime, ...]:
    """The regimes, not held by the source, that the declared numbers' shapes point to."""
    regimes = (number_regime(n) for n in numbers)
    return tuple(dict.fromkeys(r for r in regimes if r is not None and r not in traits.regimes))


def _maybe_elsewhere(coverage: Coverage, traits: SourceTraits) -> bool:
    return bool(coverage.alternatives - traits.regimes)


def _not_found_claimed(case: _Case) -> bool:
    return case.nothing_found and _claims_certificate_here(case)


def _nothing_found(case: _Case) -> bool:
    return case.nothing_found


def _id_of_another_row(case: _Case) -> bool:
    """No record carries the worker's name, but one carries the name of another row that
    gives the same ID: the ID was most likely pasted into the wrong row."""
    return _another_rows_record(case) is not None


def _another_rows_record(case: _Case) -> tuple[CertRecord, OtherRow] | None:
    """(a record in the name of another row that gives the worker's ID, that row), when no
    record is the worker's. A masked name (李*) is that row's only when what it shows agrees
    with that row's name and disagrees with the worker's: one that agrees with both (张* for
    张三 and 张四) cannot tell them apart."""
    worker = case.worker
    shared = worker.shared_with
    if not shared or any(_holds(r, worker) for r in case.records):
        return None
    for record in case.records:
        shown = record.holder
        if shown is None or shown.legibility is Legibility.GARBLED:
            continue
        if shown.masked and _holds(record, worker) is not False:
            continue
        for other in shared:
            if any(
                compare_name(shown, name) is Agreement.AGREE
                for name in (other.name, other.written_name or other.name)
            ):
                return record, other
    return None


def _name_mismatch(case: _Case) -> bool:
    worker = case.worker
    return all(_holds(r, worker) is False for r in case.records)


def _number_mismatch(case: _Case) -> bool:
    return case.number_mismatch


# ---- the item rules ----------------------------------------------------------------------


def _other_authority_item(item: _Item) -> bool:
    return item.coverage is not None and item.coverage.regime not in item.case.traits.regimes


def _item_unanswered(reason: Reason) -> Callable[[_Item], bool]:
    def applies(item: _Item) -> bool:
        return _unanswered_for(item, reason) is not None

    return applies


def _unanswered_for(item: _Item, reason: Reason | None = None) -> Unanswered | None:
    """The failed source (with ``reason``, or any) that leaves the item open: the one serving
    the item's regime; with no item declared, any, unless another source's certificate is in
    force (any valid certificate of the person will do)."""
    coverage = item.coverage
    for unanswered in item.case.unanswered:
        if reason is not None and unanswered.failed.reason is not reason:
            continue
        if coverage is None:
            if item.best_reason is not Reason.OK:
                return unanswered
        elif coverage.regime in unanswered.regimes:
            return unanswered
    return None


def _unknown_item(item: _Item) -> bool:
    return not item.covering and item.coverage is not None and not item.coverage.known


def _item_maybe_elsewhere(item: _Item) -> bool:
    coverage = item.coverage
    return (
        not item.covering
        and coverage is not None
        and _maybe_elsewhere(coverage, item.case.traits)
    )


def _item_too_recent(item: _Item) -> bool:
    regime = item.coverage.regime if item.coverage is not None else Regime.MEM
    return not item.covering and _declared_recently(item.case, regime)


def _undecidable(item: _Item) -> bool:
    return not item.covering and bool(item.undecidable)


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

#: The rows that look at the row as the roster gave it, in the order they are tried.
READING_RULES: tuple[Rule[_Row], ...] = (
    Rule(0, U, Reason.OUT_OF_SCOPE, _out_of_scope),
    Rule(1, U, Reason.UNREADABLE_CELL, _person_cell_unreadable),
    Rule(2, U, Reason.MISSING_FIELD, _missing),
    Rule(3, U, Reason.ID_PRECISION_LOST, _precision_lost),
    Rule(4, U, Reason.INVALID_ID, _invalid_id),
    Rule(5, U, Reason.NAME_UNREADABLE, _name_unreadable),
    Rule(6, U, Reason.UNREADABLE_CELL, _declared_unreadable),
)
#: The rows decided once per worker, in the order they are tried.
PERSON_RULES: tuple[Rule[_Case], ...] = (
    Rule(7, U, Reason.OTHER_AUTHORITY, _all_other_authority),
    Rule(8, U, Reason.LOOKUP_FAILED, _lookup_failed),
    Rule(9, U, Reason.CAPTCHA_FAILED, _failed(Reason.CAPTCHA_FAILED)),
    Rule(10, U, Reason.UNRECOGNIZED_RESPONSE, _failed(Reason.UNRECOGNIZED_RESPONSE)),
    Rule(11, U, Reason.TOO_RECENT, _too_recent),
    Rule(12, U, Reason.UNKNOWN_ITEM, _not_found_unknown_item),
    Rule(13, U, Reason.OTHER_AUTHORITY, _not_found_maybe_elsewhere),
    Rule(14, F, Reason.NOT_FOUND, _not_found_claimed),
    Rule(15, N, Reason.NO_CERTIFICATE, _nothing_found),
    Rule(16, U, Reason.UNREADABLE_CELL, _id_of_another_row),
    Rule(17, F, Reason.NAME_MISMATCH, _name_mismatch),
    Rule(18, F, Reason.CERT_NUMBER_MISMATCH, _number_mismatch),
)
#: The rows decided for each declared item once no person-level row applied.
ITEM_RULES: tuple[Rule[_Item], ...] = (
    Rule(19, U, Reason.OTHER_AUTHORITY, _other_authority_item),
    Rule(20, U, Reason.LOOKUP_FAILED, _item_unanswered(Reason.LOOKUP_FAILED)),
    Rule(21, U, Reason.CAPTCHA_FAILED, _item_unanswered(Reason.CAPTCHA_FAILED)),
    Rule(22, U, Reason.UNRECOGNIZED_RESPONSE, _item_unanswered(Reason.UNRECOGNIZED_RESPONSE)),
    Rule(23, U, Reason.UNKNOWN_ITEM, _unknown_item),
    Rule(24, U, Reason.OTHER_AUTHORITY, _item_maybe_elsewhere),
    Rule(25, U, Reason.TOO_RECENT, _item_too_recent),
    Rule(26, U, Reason.RECORD_INCOMPLETE, _undecidable),
    Rule(27, N, Reason.ITEM_NOT_COVERED, _not_covered),
    Rule(28, N, Reason.REVOKED, _revoked),
    Rule(29, E, Reason.VALIDITY_ENDED, _ended),
    Rule(30, E, Reason.REVIEW_OVERDUE, _overdue),
    Rule(31, U, Reason.RECORD_INCOMPLETE, _incomplete),
    Rule(32, V, Reason.OK, _always),
)
#: The rule table, in the order the rules are tried. README's rule table is checked against it.
RULE_TABLE: tuple[Rule[_Row] | Rule[_Case] | Rule[_Item], ...] = (
    *READING_RULES, *PERSON_RULES, *ITEM_RULES,
)
_STATUS_OF: dict[Reason, Status] = {rule.reason: rule.status for rule in RULE_TABLE}
_MEM_ONLY = SourceTraits()
_FAILURE_REASONS = frozenset(kind.reason for kind in FailureKind)


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
    scope: frozenset[Regime] | None = None,
    unanswered: tuple[Unanswered, ...] = (),
) -> Finding:
    """Classify one worker. ``answer`` is None when the worker could not be looked up.

    ``scope``: the regimes the run checks (None: all); the items outside it are left out and
    named in the detail. ``unanswered``: with several sources, those asked that failed
    (``decide_jointly``)."""
    catalog = catalog or load_catalog()
    reading = _reading_row(worker, as_of, scope, catalog)
    claims = claims_of(worker.declared) if reading is None else None
    if reading is not None or claims is None:
        reason = reading or Reason.UNREADABLE_CELL
        finding = _unread_finding(worker, answer, reason, catalog, duplicate)
        if reason is Reason.OUT_OF_SCOPE:
            finding = replace(finding, detail=_scope_detail(worker, catalog, scope))
        return finding
    case = _case(worker, claims, answer, as_of, catalog, traits or _MEM_ONLY)
    if scope is not None or unanswered:
        case.scope, case.unanswered = scope, unanswered
    results = _person_rows(case)
    worst = min(results, key=_seriousness) if len(results) > 1 else results[0]
    detail = _detail(results, worst)
    if scope is not None:
        detail = _with_left_out(detail, case)
    return Finding(
        worker=worker,
        status=_STATUS_OF[worst.reason],
        reason=worst.reason,
        warnings=_warnings(case, results, worst, warn_days, duplicate),
        certificates=case.records,
        decisive=worst.decisive,
        answer=answer,
        detail=detail,
    )


def decide_jointly(
    worker: Worker,
    parts: Sequence[tuple[SourceTraits, Answer | None]],
    as_of: date,
    *,
    run_traits: SourceTraits,
    warn_days: int = DEFAULT_WARN_DAYS,
    duplicate: bool = False,
    catalog: Catalog | None = None,
    scope: frozenset[Regime] | None = None,
) -> Finding:
    """Classify one worker of a run with several sources, from the answer of each source it
    was asked of (``parts``: the regimes that source serves in the run, and its answer).

    The answers are read as one source holding every regime of the sources asked: what a
    registry file holding all their records would give. Only regimes whose source was asked
    count as held, so nothing rests on a source that was not asked about the person (a TS
    number stays another authority's when the special-equipment lookup was not asked). A part
    that failed leaves its regimes' items open, and any verdict on the person as a whole that
    its records could change (rules 8-10, 20-22). With no part, the run's sources together
    (``run_traits``) say what no source holds.
    """
    answer, traits, unanswered = joint_answer(parts, run_traits)
    return decide(worker, answer, as_of, warn_days=warn_days, duplicate=duplicate,
                  catalog=catalog, traits=traits, scope=scope, unanswered=unanswered)


def joint_answer(
    parts: Sequence[tuple[SourceTraits, Answer | None]], run_traits: SourceTraits
) -> tuple[Answer | None, SourceTraits, tuple[Unanswered, ...]]:
    """(the answers of the parts as one, what that one source holds, the parts that failed).

    One part is taken as it is. Several: the records of those that answered, together (or
    "nothing found" when none found any); when every one failed, the first failure.
    """
    if not parts:
        return None, run_traits, ()
    if len(parts) == 1:
        traits, answer = parts[0]
        return answer, traits, ()
    traits = SourceTraits(
        frozenset().union(*(t.regimes for t, _ in parts)),
        max(t.publication_delay for t, _ in parts),
    )
    answered: list[Answer] = []
    failed: list[tuple[SourceTraits, Answer | None]] = []
    for part_traits, answer in parts:
        if answer is not None and isinstance(answer.outcome, Found | NotFound):
            answered.append(answer)
        else:
            failed.append((part_traits, answer))
    if not answered:
        return failed[0][1], traits, ()
    unanswered = tuple(
        Unanswered(t.regimes, a.outcome if a is not None and isinstance(a.outcome, Failed)
                   else Failed(FailureKind.LOOKUP_FAILED, "not looked up"))
        for t, a in failed
    )
    return _merged(answered, [a for _, a in parts if a is not None]), traits, unanswered


def _merged(answered: list[Answer], asked: list[Answer]) -> Answer:
    """The answers of several sources as one: their records together, the sources named in
    the run's order (``mem,samr``), cached only when every answer came from the cache."""
    if len(answered) == 1 and len(asked) == 1:
        return answered[0]
    records: list[CertRecord] = []
    details: list[str] = []
    for one in answered:
        outcome = one.outcome
        if isinstance(outcome, Found):
            records.extend(outcome.records)
        if isinstance(outcome, Found | NotFound) and outcome.detail:
            details.append(f"{one.source}: {outcome.detail}")
    detail = "；".join(details) or None
    joined: Found | NotFound = (
        Found(tuple(records), detail=detail) if records else NotFound(detail=detail)
    )
    return Answer(
        outcome=joined,
        source=",".join(dict.fromkeys(a.source for a in asked)),
        checked_at=max(a.checked_at for a in answered),
        cached=all(a.cached for a in answered),
    )


def wanted_regimes(worker: Worker, catalog: Catalog | None = None) -> frozenset[Regime] | None:
    """The regimes whose sources a run with several asks about the worker: those of the
    declared items (or of the row's hint, with none declared). None when the row points to
    no regime, or a declared cell was not understood: every source may help."""
    claims = claims_of(worker.declared)
    if claims is None:
        return None
    hint, coverages = _declared_work(claims, catalog or load_catalog())
    if any(not c.known for c in coverages):
        return None  # an item the catalog does not know: its regime is only a guess
    if coverages:
        return frozenset(c.regime for c in coverages)
    return frozenset({hint}) if hint is not None else None


def _reading_row(
    worker: Worker, as_of: date, scope: frozenset[Regime] | None = None,
    catalog: Catalog | None = None,
) -> Reason | None:
    """The reason of the first reading rule that applies, if one does."""
    row = _Row(worker, as_of, scope, catalog)
    for rule in READING_RULES:
        if rule.applies(row):
            return rule.reason
    return None


def _scope_detail(
    worker: Worker, catalog: Catalog, scope: frozenset[Regime] | None
) -> str:
    """Rule 0's detail: what the row declares, whose it is, and what the run checks."""
    checked = "、".join(REGIME_SHORT_ZH[r] for r in Regime if scope is not None and r in scope)
    claims = claims_of(worker.declared)
    assert claims is not None  # rule 0 applies only to a row whose declarations were read
    hint, coverages = _declared_work(claims, catalog)
    if coverages:
        what = "；".join(f"{c.shown}：{c.regime.zh}（{c.regime.authority}）" for c in coverages)
    else:
        regime = hint or Regime.MEM
        what = f"{regime.zh}（{regime.authority}）"
    return f"{what}；本次只核验{checked}（--scope）"


def _with_left_out(detail: str | None, case: _Case) -> str | None:
    """The detail, and the declared items the scope left out (checked for the others only)."""
    scope = case.scope
    left = [c for c in case.coverages if scope is not None and not _within(c, scope)]
    if not left:
        return detail
    said = "；".join(f"{c.shown}：{Reason.OUT_OF_SCOPE.zh}（{c.regime.zh}）" for c in left)
    return f"{detail}；{said}" if detail else said


def _unread_finding(
    worker: Worker, answer: Answer | None, reason: Reason, catalog: Catalog, duplicate: bool
) -> Finding:
    """The finding of a row a reading rule decided: unverified, with the records the source
    sent (the register shows them, which helps mend the cell) and no other warning."""
    outcome = answer.outcome if answer is not None else None
    records = outcome.records if isinstance(outcome, Found) else ()
    return Finding(
        worker=worker,
        status=_STATUS_OF[reason],
        reason=reason,
        warnings=(WarningCode.DUPLICATE_ID,) if duplicate else (),
        certificates=records,
        decisive=None,
        answer=answer,
        detail=_reading_detail(reason, worker),
    )


def _case(
    worker: Worker,
    claims: _Claims,
    answer: Answer | None,
    as_of: date,
    catalog: Catalog,
    traits: SourceTraits,
) -> _Case:
    outcome = answer.outcome if answer is not None else None
    records = outcome.records if isinstance(outcome, Found) else ()
    failed = outcome if isinstance(outcome, Failed) else None
    hint, coverages = _declared_work(claims, catalog)
    held = [(r, _holds(r, worker)) for r in records]
    persons = tuple(r for r, h in held if h)
    # Beside records in the worker's name, a record of the same ID in another name may be
    # theirs under a former name: it decides nothing either way. Alone, it is someone else's.
    unsure = tuple(r for r, h in held if h is None or (persons and not h))
    mine, mismatch, outdated = _by_number(persons, claims.numbers, traits)
    if mismatch and unsure:
        # A record that may be the person's clears the mismatch only if it may carry a
        # declared number: it has one of them, or no number to compare.
        mismatch = _by_number((*persons, *unsure), claims.numbers, traits)[1]
    return _Case(
        worker, claims, answer, as_of, traits, catalog, coverages, hint, failed,
        answer is not None and failed is None and not records,
        records, mine, unsure, mismatch, outdated,
    )


def _declared_work(claims: _Claims, catalog: Catalog) -> tuple[Regime | None, tuple[Coverage, ...]]:
    """The regime the row points to, and what each declared item requires."""
    hint = catalog.hint(claims.category, claims.numbers, claims.issuer)
    return hint, catalog.coverages(claims.category, claims.item, hint)


def _by_number(
    persons: tuple[CertRecord, ...], numbers: tuple[str, ...], traits: SourceTraits
) -> tuple[tuple[CertRecord, ...], bool, bool]:
    """(the person's records the declared numbers point to, a number is none of theirs, the
    numbers point only to history records).

    Each number is compared on its own. A record without a number proves nothing about the
    roster's number, so it is kept, and a number none of theirs is a mismatch only when every
    record of theirs has one. A number that matches only a history record (an older card) does
    not narrow anything: the current records decide, and the roster is outdated.
    """
    wanted = {cert_key(n) for n in numbers if _number_comparable(n, traits)}
    if not wanted or not persons:
        return persons, False, False
    # One pass: each record's number is read once (this runs for every worker).
    matched: list[CertRecord] = []
    numberless: list[CertRecord] = []
    # The declared numbers some record has, or may have where its number is masked.
    held: set[str] = set()
    for record in persons:
        shown = record.number_shown
        if shown is None or shown.tells_nothing:
            numberless.append(record)
            continue
        if shown.masked:
            # Compared only on the characters it shows (T500116********017X).
            fits = {key for key in wanted if shown.fits(key)}
        else:
            key = shown.parts[0]
            fits = {key} if key in wanted else set()
        if fits:
            held |= fits
            matched.append(record)
    if not numberless and held != wanted:
        return persons, True, False
    if any(not r.history for r in matched):
        return (*matched, *numberless), False, False
    return persons, False, bool(matched)


def _warnings(
    case: _Case, results: list[_Result], worst: _Result, warn_days: int, duplicate: bool
) -> tuple[WarningCode, ...]:
    warnings: list[WarningCode] = []
    if duplicate:
        warnings.append(WarningCode.DUPLICATE_ID)
    if any(not c.known for c in case.coverages):
        warnings.append(WarningCode.UNKNOWN_ITEM)
    if worst.reason is Reason.OK or worst.decisive is not None:
        warnings.extend(_record_warnings(case, results, warn_days))
    return tuple(dict.fromkeys(warnings))


def _person_rows(case: _Case) -> list[_Result]:
    """The person-level rows in order; past them, one result per declared item."""
    for rule in PERSON_RULES:
        if rule.applies(case):
            return [_Result(rule.reason, detail=_person_detail(rule.reason, case))]
    coverages = case.coverages
    scope = case.scope
    if scope is not None and coverages:
        # Rule 0 took the rows whose every item lies outside: some are inside.
        coverages = tuple(c for c in coverages if _within(c, scope))
    items: tuple[Coverage | None, ...] = coverages or (None,)
    return [_item_result(_item(case, coverage)) for coverage in items]


def _holds(record: CertRecord, worker: Worker) -> bool | None:
    """The record is the worker's: it carries their name (as read, or as the cell wrote it
    before a marker was taken off), or no name at all (the source matched name and ID
    itself). None when its name cannot be read (? or �) or has no letter in it (``·``, a blank
    sent as a name): it may be theirs or not, and no name mismatch can rest on it. A name the
    source masked (张*) counts by the characters it shows (``_holds_masked``)."""
    shown = record.holder
    if shown is None:
        return True
    if shown.legibility is Legibility.GARBLED or (not shown.masked and not name_key(shown.text)):
        return None
    if shown.masked:
        return _holds_masked(shown, worker)
    held = shown.text
    written = worker.written_name
    if same_name(held, worker.name or "") or (written is not None and same_name(held, written)):
        return True
    # Two names pasted into one cell (王小明 李小红) read as one dotted name: a record naming
    # one of its parts may be that person's, or not.
    return None if _part_of(held, worker.name or "") else False


def _holds_masked(shown: Shown, worker: Worker) -> bool | None:
    """Whether a record whose holder's name the source masked (张*, *三, 阿******逊) is the
    worker's: compared only on the characters it shows, it is theirs when those agree with
    their name, as a record without a name is, and someone else's only when one of them
    differs. None when it cannot tell them apart from others it would fit as well: a part of
    a dotted name (two people pasted into one cell), or another roster row that gives the same
    ID (张* fits 张三 and 张四 alike)."""
    name = worker.name or ""
    written = worker.written_name
    mine = compare_name(shown, name) is not Agreement.DISAGREE or (
        written is not None and compare_name(shown, written) is not Agreement.DISAGREE
    )
    if _masked_part_of(shown, name):
        return None
    if mine and any(
        compare_name(shown, other_name) is not Agreement.DISAGREE
        for other in worker.shared_with
        for other_name in (other.name, other.written_name or other.name)
    ):
        return None
    return mine


def _masked_part_of(shown: Shown, name: str) -> bool:
    """A masked name may be one part of a dotted name, or several parts in a row."""
    parts = [part for part in name.split("·") if part]
    return any(
        compare_name(shown, "·".join(parts[start:end])) is not Agreement.DISAGREE
        for start in range(len(parts))
        for end in range(start + 1, len(parts) + 1)
        if end - start < len(parts)
    )


def _part_of(held: str, name: str) -> bool:
    """The record's name is a part of a dotted name, or several parts in a row, with or
    without its own dots: 王小明 of 王小明·李小红; 阿依古丽·买买提 of 阿依古丽买买提·李小红 or of
    阿依古丽·买买提·李小红 (two names pasted into one cell, one of them transliterated)."""
    parts = [part for part in name.split("·") if part]
    return any(
        same_name(held, "·".join(parts[start:end]))
        for start in range(len(parts))
        for end in range(start + 1, len(parts) + 1)
        if end - start < len(parts)
    )


def _item(case: _Case, coverage: Coverage | None) -> _Item:
    """The person's certificates for one declared item, and the best of those in force."""
    covering, undecidable = _covering(case, coverage)
    in_force = tuple(r for r in covering if not r.revoked)
    as_of = case.as_of
    catalog = case.catalog
    if len(in_force) > 1:
        best: CertRecord | None = max(in_force, key=lambda r: _rank(r, as_of, catalog))
    else:
        best = in_force[0] if in_force else None
    return _Item(
        case, coverage, covering, undecidable, in_force, best,
        record_reason(best, as_of, _regime_of(best, catalog)) if best is not None else None,
    )


def _covering(
    case: _Case, coverage: Coverage | None
) -> tuple[tuple[CertRecord, ...], tuple[CertRecord, ...]]:
    """(current certificates that cover the item, records that may cover it but cannot
    decide: category-only records, history records).

    A certificate first issued after the as-of date did not exist yet and is set aside, unless
    its validity shown began before: that record contradicts itself and decides nothing.
    """
    covering: list[CertRecord] = []
    undecidable: list[CertRecord] = []
    as_of = case.as_of
    unsure = case.unsure
    for record in (*case.mine, *unsure) if unsure else case.mine:
        issued_later = _issued_after(record, as_of)
        if issued_later and not _began_by(record, as_of):
            continue
        match = _covers(case.catalog, coverage, record)
        if match is False:
            continue
        if match is None or record.history or issued_later or (unsure and record in unsure):
            undecidable.append(record)
        else:
            covering.append(record)
    return tuple(covering), tuple(undecidable)


def _issued_after(record: CertRecord, as_of: date) -> bool:
    issued = record.first_issued
    return issued is not None and issued > as_of


def _began_by(record: CertRecord, as_of: date) -> bool:
    start = record.valid_from
    return start is not None and start <= as_of


def _covers(catalog: Catalog, coverage: Coverage | None, record: CertRecord) -> bool | None:
    """Whether the record covers the declared item: True, False, or None when it cannot
    tell (a record that names only its category, one of whose items is the declared one)."""
    if coverage is None:
        return True
    item = record.item
    if item and item.strip():
        if garbled(item):
            return None
        if not coverage.known:
            return catalog.covers(coverage, None, item)
        held = catalog.resolve(item)
        if held and held <= coverage.items:
            return True
        # An official item the catalog does not know may be the declared one by another name;
        # a broad one (电工, 电工作业) is one of several items, which may not be the declared one.
        return None if not held or held & coverage.items else False
    category = record.category
    if not (category and category.strip()):
        return False
    if garbled(category):
        return None
    if not coverage.known:
        return catalog.covers(coverage, category, None)
    return None if catalog.resolve(category) & coverage.items else False


def _item_result(item: _Item) -> _Result:
    for rule in ITEM_RULES:
        if rule.applies(item):
            best = item.best
            decisive = best if best is not None else (item.covering[0] if item.covering else None)
            return _Result(rule.reason, item.coverage, decisive, _item_detail(rule.reason, item))
    raise AssertionError("the last rule always applies")  # pragma: no cover


def _seriousness(result: _Result) -> tuple[int, int]:
    return (SEVERITY.index(_STATUS_OF[result.reason]), REASON_ORDER.index(result.reason))


def _rank(record: CertRecord, as_of: date, catalog: Catalog) -> tuple[int, date]:
    """Among the covering certificates in force: one valid today wins, then one whose state
    cannot be told (incomplete), then the one with the latest end date."""
    reason = record_reason(record, as_of, _regime_of(record, catalog))
    standing = {Reason.OK: 2, Reason.RECORD_INCOMPLETE: 1}.get(reason, 0)
    return (standing, record.valid_until or date.min)


def _regime_of(record: CertRecord, catalog: Catalog) -> Regime:
    return catalog.record_regime(record.category, record.item)


def record_reason(record: CertRecord, as_of: date, regime: Regime = Regime.MEM) -> Reason:
    """Whether one official record is in force on ``as_of`` (validity first, then review).

    The last day of validity is still valid. A record that lacks the date a decision needs,
    whose 证书状态 is a code nobody knows the meaning of, or whose validity shown begins after
    the as-of date (so its state then is not shown) is ``record_incomplete``, never valid by
    default. Only 特种作业 certificates need a 应复审日期 (a 3-year review); a forklift's does not.
    A status saying the card ran out (失效, 过期) beside dates that show it in force is not
    explained by them: ``record_incomplete``, never valid.
    """
    reason = _dated_reason(record, as_of, regime)
    if reason is Reason.OK and record.lapsed:
        return Reason.RECORD_INCOMPLETE
    return reason


def _dated_reason(record: CertRecord, as_of: date, regime: Regime) -> Reason:
    """What the record's dates (and a status code nobody knows) say on ``as_of``.

    A date the record gives to the month only (``MonthDate``) decides only where every day of
    its month would: an end month wholly before the as-of date has ended, one wholly after it
    has not, and one that contains it decides nothing; a start month that may still lie ahead
    of the as-of date shows no state for it.
    """
    until = record.valid_until
    if until is None or not record.status_understood or _dates_contradict(record):
        return Reason.RECORD_INCOMPLETE
    start = record.valid_from
    if start is not None and latest_day(start) > as_of:
        return Reason.RECORD_INCOMPLETE
    if latest_day(until) < as_of:
        return Reason.VALIDITY_ENDED
    if earliest_day(until) < as_of:
        return Reason.RECORD_INCOMPLETE
    due = record.review_due
    if due is None:
        if not regime.reviewed_every_three_years or _first_review_not_yet_due(record, as_of):
            return Reason.OK
        return Reason.RECORD_INCOMPLETE
    if review_outstanding(record, as_of) and due < as_of:
        return Reason.REVIEW_OVERDUE
    return Reason.OK


def _dates_contradict(record: CertRecord) -> bool:
    """The record ends, or falls due for review, before its validity began: a date typed
    wrong, or one left from an older card. It cannot say the card ended or missed a review."""
    start = record.valid_from
    if start is None:
        return False
    # Only what every day of a month-only date would say: March does not end before 15 March.
    begun = earliest_day(start)
    until, due = record.valid_until, record.review_due
    ends_before = until is not None and latest_day(until) < begun
    return ends_before or (due is not None and latest_day(due) < begun)


def _first_review_not_yet_due(record: CertRecord, as_of: date) -> bool:
    start = record.valid_from or record.first_issued
    return start is not None and as_of < add_years(start, REVIEW_CYCLE_YEARS)


def review_outstanding(record: CertRecord, as_of: date | None = None) -> bool:
    """True when the record's 应复审日期 has no 实际复审日期 recorded for that cycle; a review
    dated after ``as_of`` had not happened yet on that day."""
    if record.review_due is None:
        return False
    earliest = add_years(record.review_due, -REVIEW_LOOKBACK_YEARS)
    reviewed = record.reviewed
    if reviewed is not None and as_of is not None and reviewed > as_of:
        reviewed = None
    return reviewed is None or reviewed < earliest


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

    A number claims one unless it is shaped like another authority's; a 证号 cell that claims
    a card without a comparable number (a card being reissued, a number stored as a float)
    and dates claim one only when every declared item is of a covered regime (otherwise they
    may be the other certificate's).
    """
    claims = case.claims
    traits = case.traits
    if any(_number_comparable(n, traits) for n in claims.numbers):
        return True
    if claims.numbers:
        return False
    claimed = claims.number_claims or claims.dated
    return claimed and all(c.regime in traits.regimes for c in case.coverages)


def needs_lookup(
    worker: Worker, traits: SourceTraits, catalog: Catalog | None = None,
    scope: frozenset[Regime] | None = None,
) -> bool:
    """Whether asking the source can help decide this worker or mend its row: it can be
    looked up and its declared items do not all belong to regimes the source lacks, nor all
    lie outside the run's ``scope``. A row
    with a cell that could not be read is still asked for: its verdict is unverified, and the
    records shown in the register help mend the cell."""
    if worker.lookup_key is None:
        return False
    claims = claims_of(worker.declared)
    if claims is None:
        return True
    hint, coverages = _declared_work(claims, catalog or load_catalog())
    if _elsewhere(coverages, hint, traits.regimes):
        return False
    if scope is None:
        return True
    if coverages:
        return any(_within(c, scope) for c in coverages)
    return hint is None or hint in scope


# ---- details and warnings ---------------------------------------------------------------


def _reading_detail(reason: Reason, worker: Worker) -> str | None:
    if reason is Reason.UNREADABLE_CELL:
        cells = worker.unreadable or worker.declared.unreadable
        return "；".join(f"{u.column}“{u.text}”{u.why}" for u in cells)
    if reason is Reason.NAME_UNREADABLE:
        return "姓名含 ? 或 � （另存时丢失的汉字），请按身份证核对后重新录入"
    if reason is Reason.LOOKUP_FAILED:
        return "not looked up"
    return None


def _person_detail(reason: Reason, case: _Case) -> str | None:
    if reason is Reason.NAME_MISMATCH:
        return "记录姓名: " + "、".join(sorted({r.name or "" for r in case.records}))
    if reason is Reason.UNREADABLE_CELL:
        return _shared_id_detail(case)
    if reason is Reason.OTHER_AUTHORITY:
        return _other_authority_detail(case)
    if reason is Reason.UNKNOWN_ITEM:
        unknown = "、".join(c.shown for c in case.coverages if not c.known)
        return f"作业项目“{unknown}”不在目录中；查无记录，所持证书可能由其他部门核发"
    if reason is Reason.TOO_RECENT:
        delay = case.traits.publication_delay.days
        return f"花名册所填发证日期在 {delay} 天内，新证书可能尚未能在数据源中查到"
    failed = case.failed
    if failed is not None:
        return failed.detail
    partly = next((u for u in case.unanswered if u.failed.reason is reason), None)
    if partly is not None:
        return _unanswered_text(partly)
    if case.answer is None and reason is Reason.LOOKUP_FAILED:
        return "not looked up"
    return None


def _unanswered_text(unanswered: Unanswered) -> str:
    kinds = "、".join(r.zh for r in Regime if r in unanswered.regimes)
    return f"{kinds}的查询未完成（{unanswered.failed.detail}）"


def _shared_id_detail(case: _Case) -> str:
    """Rule 16's detail: whose the record is, and which row gives the same ID."""
    found = _another_rows_record(case)
    record, other = found if found is not None else (None, case.worker.shared_with[0])
    where = f"工作表“{other.sheet}”" if other.sheet and other.sheet != case.worker.sheet else ""
    holder = record.holder if record is not None else None
    if holder is not None and holder.masked:
        whose = f"官方记录的姓名“{holder.text}”（已遮盖）与“{other.name}”相符，与本行姓名不符"
    else:
        whose = f"官方记录是“{other.name}”的"
    return (f"身份证号与{where}第 {other.row} 行“{other.name}”的相同，{whose}；"
            "多半是复制粘贴错了，请核对")


def _other_authority_detail(case: _Case) -> str:
    if not case.coverages:
        return _authority_text(None, case.hint or Regime.MEM)
    if _all_other_authority(case):
        return "；".join(_authority_text(c.shown, c.regime) for c in case.coverages)
    # Nothing found, and an item's name may be another authority's, or the card's number is
    # shaped like another authority's (row 13).
    traits = case.traits
    maybe = [_maybe_text(c, traits) for c in case.coverages if _maybe_elsewhere(c, traits)]
    if maybe and _claims_certificate_here(case):
        return "；".join(maybe)
    kinds = "或".join(
        f"{r.zh}（{r.authority}）" for r in _foreign_numbers(case.claims.numbers, traits)
    )
    return f"证号形如{kinds}的证书，本数据源不能核验；请核对作业项目与所持证书"


def _authority_text(shown: str | None, regime: Regime) -> str:
    what = f"{shown}：" if shown else ""
    return f"{what}属于{regime.zh}，由{regime.authority}核发，本数据源不能核验"


def _maybe_text(coverage: Coverage, traits: SourceTraits) -> str:
    others = sorted(coverage.alternatives - traits.regimes)
    kinds = "或".join(f"{r.zh}（{r.authority}）" for r in others)
    return f"{coverage.shown}：也可能是{kinds}，本数据源不能核验；请在作业类别或证号中注明"


def _item_detail(reason: Reason, item: _Item) -> str | None:
    coverage = item.coverage
    if reason in _FAILURE_REASONS:
        unanswered = _unanswered_for(item, reason)
        return _unanswered_text(unanswered) if unanswered is not None else None
    if reason is Reason.OTHER_AUTHORITY and coverage is not None:
        # Shown after the item's own name in the row's detail.
        if coverage.regime not in item.case.traits.regimes:
            return _authority_text(None, coverage.regime)
        return _maybe_text(coverage, item.case.traits)
    if reason in (Reason.ITEM_NOT_COVERED, Reason.UNKNOWN_ITEM):
        held = "、".join(sorted({r.item or r.category or "?" for r in item.case.mine}))
        return f"持有: {held}"
    if reason is Reason.REVOKED:
        states = "、".join(sorted({r.status_shown or "?" for r in item.covering}))
        return f"证书状态: {states}"
    if reason is Reason.RECORD_INCOMPLETE:
        return _incomplete_detail(item)
    return None


def _incomplete_detail(item: _Item) -> str | None:
    record = item.best
    if record is None:
        return _undecidable_detail(item)
    where = f"（{record.origin}）" if record.origin else ""
    if not record.status_understood:
        return f"证书状态“{record.status_shown}”无法识别{where}"
    regime = _regime_of(record, item.case.catalog)
    if record.lapsed and _dated_reason(record, item.case.as_of, regime) is Reason.OK:
        return f"证书状态“{record.status_shown}”，但官方记录的日期显示仍在有效期内，二者不符{where}"
    start = record.valid_from
    if _dates_contradict(record):
        return f"官方记录的结束或应复审日期早于有效期开始日期，日期自相矛盾{where}"
    as_of = item.case.as_of
    if record.valid_until is not None and start is not None and latest_day(start) > as_of:
        return f"官方记录的有效期自 {start.isoformat()} 起，核验日当时的状态未显示{where}"
    until = record.valid_until
    if until is not None and earliest_day(until) < as_of <= latest_day(until):
        return (f"官方记录的有效期结束日期只写到月份（{until.isoformat()}），核验日 "
                f"{as_of.isoformat()} 在该月内，不能判定是否已过期{where}")
    missing = "有效期结束日期" if record.valid_until is None else "应复审日期"
    return f"官方记录缺少{missing}{where}"


def _undecidable_detail(item: _Item) -> str:
    """Why the records that might cover the item decide nothing."""
    records, unsure = item.undecidable, item.case.unsure
    if any(r in unsure or garbled(r.item) or garbled(r.category) for r in records):
        return _unsure_detail(records, unsure, item.case.worker)
    contradiction = _issue_contradiction(records, item.case.as_of)
    if contradiction is not None:
        return contradiction
    named = sorted({r.item.strip() for r in records if r.item and r.item.strip() and not r.history})
    if named:
        shown = "、".join(named)
        if all(item.case.catalog.resolve(name) for name in named):
            return f"官方记录的操作项目“{shown}”可指多个作业项目，不能判定是否覆盖该项目"
        return f"官方记录的操作项目“{shown}”不在目录中，不能判定是否覆盖该项目"
    if any(r.history for r in records):
        return "只有历史数据中的证书覆盖该项目，历史记录不作判定"
    return "官方记录只有作业类别，没有操作项目，不能判定是否覆盖该项目"


def _unsure_detail(
    records: tuple[CertRecord, ...], unsure: tuple[CertRecord, ...], worker: Worker
) -> str:
    """Why records that may or may not be the person's decide nothing."""
    masked = next(
        (shown for r in records if r in unsure and (shown := r.holder) is not None
         and shown.masked and _holds(r, worker) is None),
        None,
    )
    if masked is not None:
        return _masked_unsure_detail(masked, worker)
    named = [r.name for r in records if r in unsure and r.name and not garbled(r.name)]
    part = next((name for name in named if _part_of(name, worker.name or "")), None)
    if named and part is None:
        return (f"覆盖该项目的官方记录登记的姓名是“{'、'.join(sorted(set(named)))}”，"
                "不能确定是本人（曾用名？），不能判定")
    if part is not None:
        return (
            f"官方记录的姓名“{part}”只是花名册姓名“{worker.name}”的一部分（一格中可能写了两个人），"
            "不能判定"
        )
    return "官方记录中有乱码（? 或 �），不能判定"


def _masked_unsure_detail(shown: Shown, worker: Worker) -> str:
    """Why a record whose holder's name is masked cannot be told to be the worker's."""
    what = f"官方记录的姓名“{shown.text}”已遮盖（脱敏），所显示的字"
    if _masked_part_of(shown, worker.name or ""):
        return f"{what}也合花名册姓名“{worker.name}”的一部分（一格中可能写了两个人），不能判定"
    others = "、".join(
        f"第 {other.row} 行“{other.name}”" for other in worker.shared_with
        if any(compare_name(shown, name) is not Agreement.DISAGREE
               for name in (other.name, other.written_name or other.name))
    )
    return f"{what}与本行和{others}（身份证号相同）都相符，不能确定是谁的，不能判定"


def _issue_contradiction(records: tuple[CertRecord, ...], as_of: date) -> str | None:
    """The detail of a record first issued after the as-of date but valid from before it."""
    for record in records:
        issued, start = record.first_issued, record.valid_from
        if issued is not None and start is not None and issued > as_of:
            where = f"（{record.origin}）" if record.origin else ""
            return (
                f"官方记录的初领日期 {issued.isoformat()} 晚于核验日，有效期却自 "
                f"{start.isoformat()} 起，记录自相矛盾，不能判定{where}"
            )
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


def _record_warnings(case: _Case, results: list[_Result], warn_days: int) -> list[WarningCode]:
    found: list[WarningCode] = []
    as_of = case.as_of
    records = [r.decisive for r in results if r.decisive is not None]
    horizon = as_of + timedelta(days=warn_days)
    for record in records:
        until = record.valid_until
        due = record.review_due if review_outstanding(record, as_of) else None
        if (until is not None and as_of <= until <= horizon) or (
            due is not None and as_of <= due <= horizon
        ):
            found.append(WarningCode.DUE_SOON)
            break
    claims = case.claims
    claimed = bool(claims.numbers) or claims.dated
    if case.number_outdated or (
        claimed and records and all(_outdated(claims, r) for r in records)
    ):
        found.append(WarningCode.ROSTER_OUTDATED)
    return found


def _outdated(claims: _Claims, record: CertRecord) -> bool:
    pairs = (
        (claims.first_issued, record.first_issued),
        (claims.valid_from, record.valid_from),
        (claims.valid_until, record.valid_until),
        (claims.review_due, record.review_due),
        (claims.reviewed, record.reviewed),
    )
    return any(
        mine is not None and (official is None or not same_day_or_month(mine, official))
        for mine, official in pairs
    )
