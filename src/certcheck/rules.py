"""The rules: (worker, lookup outcome, as-of date) → finding. The only place a rule lives.

Rules are tried in the order of ``RULE_TABLE``; the first that applies decides status and reason.
Warnings are added afterwards and never change the status. Nothing here does I/O.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from certcheck.catalog import Catalog, Coverage, load_catalog
from certcheck.models import (
    Answer,
    CertRecord,
    Declared,
    Failed,
    Finding,
    Found,
    IdProblem,
    NotFound,
    Reason,
    Status,
    WarningCode,
    Worker,
)
from certcheck.names import same_name


@dataclass(frozen=True, slots=True)
class Rule:
    number: int
    condition: str
    status: Status
    reason: Reason


#: The rule table, in the order the rules are tried. README's "Rules" section mirrors it.
RULE_TABLE: tuple[Rule, ...] = (
    Rule(1, "name or ID number missing", Status.UNVERIFIED, Reason.MISSING_FIELD),
    Rule(2, "ID cell held a number (digits lost)", Status.UNVERIFIED, Reason.ID_PRECISION_LOST),
    Rule(3, "ID fails the GB 11643 checksum or date", Status.UNVERIFIED, Reason.INVALID_ID),
    Rule(4, "lookup failed after retries", Status.UNVERIFIED, Reason.LOOKUP_FAILED),
    Rule(5, "captcha never accepted", Status.UNVERIFIED, Reason.CAPTCHA_FAILED),
    Rule(6, "lookup answer not understood", Status.UNVERIFIED, Reason.UNRECOGNIZED_RESPONSE),
    Rule(7, "nothing found, row claims a certificate", Status.FAKE, Reason.NOT_FOUND),
    Rule(8, "nothing found, row claims none", Status.UNCERTIFIED, Reason.NO_CERTIFICATE),
    Rule(9, "records found, none with the worker's name", Status.FAKE, Reason.NAME_MISMATCH),
    Rule(
        10,
        "declared certificate number is none of the person's",
        Status.FAKE,
        Reason.CERT_NUMBER_MISMATCH,
    ),
    Rule(
        11,
        "no certificate covers the declared operation item",
        Status.UNCERTIFIED,
        Reason.ITEM_NOT_COVERED,
    ),
    Rule(
        12, "best covering certificate past 有效期结束日期", Status.EXPIRED, Reason.VALIDITY_ENDED
    ),
    Rule(
        13,
        "best covering certificate past 应复审日期, no review for that cycle",
        Status.EXPIRED,
        Reason.REVIEW_OVERDUE,
    ),
    Rule(14, "otherwise", Status.VALID, Reason.OK),
)
_STATUS_OF = {rule.reason: rule.status for rule in RULE_TABLE}

# Reviews are applied for within 60 days before 应复审日期, and cycles are 3 (or 6) years
# apart, so a review recorded less than a year before the due date belongs to that cycle and
# an older one belongs to the previous cycle.
REVIEW_LOOKBACK = timedelta(days=365)


def decide(
    worker: Worker,
    answer: Answer | None,
    as_of: date,
    *,
    warn_days: int = 60,
    duplicate: bool = False,
    catalog: Catalog | None = None,
) -> Finding:
    """Classify one worker. ``answer`` is None when the worker could not be looked up."""
    catalog = catalog or load_catalog()
    coverage = catalog.coverage(worker.declared.category, worker.declared.item)
    warnings: list[WarningCode] = []
    if duplicate:
        warnings.append(WarningCode.DUPLICATE_ID)
    if coverage is not None and not coverage.known:
        warnings.append(WarningCode.UNKNOWN_ITEM)

    def finish(
        reason: Reason,
        certificates: tuple[CertRecord, ...] = (),
        decisive: CertRecord | None = None,
        detail: str | None = None,
    ) -> Finding:
        if decisive is not None:
            warnings.extend(_record_warnings(worker.declared, decisive, as_of, warn_days))
        return Finding(
            worker=worker,
            status=_STATUS_OF[reason],
            reason=reason,
            warnings=tuple(warnings),
            certificates=certificates,
            decisive=decisive,
            answer=answer,
            detail=detail,
        )

    early = _unlookable_reason(worker)
    if early is not None:
        return finish(early)
    if answer is None:
        return finish(Reason.LOOKUP_FAILED, detail="not looked up")
    outcome = answer.outcome
    if isinstance(outcome, Failed):
        return finish(outcome.reason, detail=outcome.detail)
    if isinstance(outcome, NotFound) or not outcome.records:
        claimed = worker.declared.claims_certificate
        return finish(Reason.NOT_FOUND if claimed else Reason.NO_CERTIFICATE)
    assert isinstance(outcome, Found)
    records = outcome.records
    name = worker.name or ""
    mine = [r for r in records if same_name(r.name, name)]
    if not mine:
        names = "、".join(sorted({r.name for r in records}))
        return finish(Reason.NAME_MISMATCH, records, detail=f"记录姓名: {names}")
    if worker.declared.cert_number:
        wanted = cert_key(worker.declared.cert_number)
        mine = [r for r in mine if cert_key(r.cert_number or r.id_number) == wanted]
        if not mine:
            return finish(Reason.CERT_NUMBER_MISMATCH, records)
    covering = [
        r for r in mine if coverage is None or catalog.covers(coverage, r.category, r.item)
    ]
    if not covering:
        held = "、".join(sorted({r.item or r.category or "?" for r in mine}))
        return finish(Reason.ITEM_NOT_COVERED, records, detail=f"持有: {held}")
    best = max(covering, key=lambda r: _rank(r, as_of))
    return finish(record_reason(best, as_of), records, decisive=best)


def _unlookable_reason(worker: Worker) -> Reason | None:
    if not worker.name or not worker.id_number or worker.id_problem is IdProblem.MISSING:
        return Reason.MISSING_FIELD
    if worker.id_problem is IdProblem.PRECISION_LOST:
        return Reason.ID_PRECISION_LOST
    if worker.id_problem is IdProblem.INVALID:
        return Reason.INVALID_ID
    return None


def record_reason(record: CertRecord, as_of: date) -> Reason:
    """Whether one official record is in force on ``as_of`` (validity first, then review)."""
    if record.valid_until is not None and record.valid_until < as_of:
        return Reason.VALIDITY_ENDED
    if review_outstanding(record) and record.review_due is not None and record.review_due < as_of:
        return Reason.REVIEW_OVERDUE
    return Reason.OK


def review_outstanding(record: CertRecord) -> bool:
    """True when the record's 应复审日期 has no 实际复审日期 recorded for that cycle."""
    if record.review_due is None:
        return False
    return record.reviewed is None or record.reviewed < record.review_due - REVIEW_LOOKBACK


def _rank(record: CertRecord, as_of: date) -> tuple[int, date]:
    # A record in force beats one that is not; among equals the later end date wins.
    in_force = record_reason(record, as_of) is Reason.OK
    return (1 if in_force else 0, record.valid_until or date.min)


def _record_warnings(
    declared: Declared, record: CertRecord, as_of: date, warn_days: int
) -> list[WarningCode]:
    found: list[WarningCode] = []
    horizon = as_of + timedelta(days=warn_days)
    until = record.valid_until
    due = record.review_due if review_outstanding(record) else None
    if (until is not None and as_of <= until <= horizon) or (
        due is not None and as_of <= due <= horizon
    ):
        found.append(WarningCode.DUE_SOON)
    if declared.claims_certificate:
        pairs = (
            (declared.first_issued, record.first_issued),
            (declared.valid_from, record.valid_from),
            (declared.valid_until, record.valid_until),
            (declared.review_due, record.review_due),
            (declared.reviewed, record.reviewed),
        )
        for mine, official in pairs:
            if mine is not None and mine != official:
                found.append(WarningCode.ROSTER_OUTDATED)
                break
    return found


def next_due(record: CertRecord) -> tuple[date, str] | None:
    """The next date the holder must act on (review or expiry), with its label."""
    candidates: list[tuple[date, str]] = []
    if record.valid_until is not None:
        candidates.append((record.valid_until, "有效期结束"))
    if review_outstanding(record) and record.review_due is not None:
        candidates.append((record.review_due, "应复审"))
    return min(candidates) if candidates else None


def cert_key(number: str) -> str:
    """Certificate numbers compare without spaces, case, or the leading T some are written with."""
    if not number.isascii():
        number = unicodedata.normalize("NFKC", number)
    key = "".join(number.split()).upper()
    return key[1:] if key.startswith("T") else key


def coverage_of(worker: Worker, catalog: Catalog | None = None) -> Coverage | None:
    return (catalog or load_catalog()).coverage(worker.declared.category, worker.declared.item)
