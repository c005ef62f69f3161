"""Which workers must act soon: a review (复审) or the end of validity within a window. Pure.

A safety officer asks "whose certificate needs attention in the next N days?". The answer
lists every review or expiry date from the as-of date to N days after it, and also the dates
already passed (已逾期, with negative days left): such a worker is working without a valid
certificate today, which is more urgent than anything upcoming, so leaving them out of a
"due" list would hide the worst case. ``include_overdue=False`` leaves them out for those
who only want what is coming.

A review counts only while it is outstanding, by the same rule the checker uses
(:func:`certcheck.rules.review_outstanding`): no review recorded for that cycle. A worker
with both dates in the window is listed twice, once per date, because each is a separate
errand (the review at the training centre, the renewal of the card).

From a register, only valid (有效) and expired (逾期) workers are listed: theirs is the one
certificate the register found to be their own. The others are not reminded of a date that is
not theirs to keep — a fake (假证) worker's record belongs to the person whose ID they used, an
uncertified (无证) one holds no certificate for the work, an unverified (未核验) one's record
could not be judged — and are given as a count per status instead: they need the register's
finding acted on first. As a second guard, a record the official status marks withdrawn (吊销,
注销 …) or one under another person's name never gives a date.

A roster has no findings: every row's declared dates are listed, marked as not verified.

Each date carries the enterprise whose worker it is (the register's, or the roster title's), so
a list handed to someone else still says whose people it names. A review is said as one (应复审,
逾期未复审); 即将到期 and 已逾期 are only said of the end of validity, which is another errand.

A roster of several sheets numbers rows per sheet, so every date carries its sheet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from certcheck.models import CertRecord, Reason, Status, Worker, understood_date
from certcheck.register.reader import RegisterRow
from certcheck.rules import review_outstanding


class Event(StrEnum):
    REVIEW = "复审"
    EXPIRY = "有效期结束"


#: What a date's state is called, per event: (passed, today, ahead).
_STATES = {
    Event.REVIEW: ("逾期未复审", "今日应复审", "应复审"),
    Event.EXPIRY: ("已逾期", "今日到期", "即将到期"),
}


@dataclass(frozen=True, slots=True)
class Dates:
    """One worker's certificate dates, whichever file they came from."""

    row: int
    name: str | None
    id_number: str | None
    item: str | None
    valid_until: date | None
    review_due: date | None
    reviewed: date | None
    #: The roster sheet of ``row`` (None for a CSV roster or an old register).
    sheet: str | None = None
    #: The register's finding; None for a roster's declared, unchecked dates.
    status: Status | None = None
    #: The enterprise (单位) the worker is listed for; None when the file does not name it.
    enterprise: str | None = None
    #: The run's ``--scope`` left the worker out: nothing of theirs was looked at.
    out_of_scope: bool = False


#: The findings whose worker is listed: their certificate is their own.
LISTED = frozenset({Status.VALID, Status.EXPIRED})
#: The status column of a row from a roster, whose dates nobody has checked.
DECLARED = "未核验（花名册申报）"


@dataclass(frozen=True, slots=True)
class DueItem:
    row: int
    name: str | None
    id_number: str | None
    item: str | None
    event: Event
    when: date
    days_left: int
    sheet: str | None = None
    status: Status | None = None
    enterprise: str | None = None

    @property
    def status_zh(self) -> str:
        return self.status.zh if self.status is not None else DECLARED

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def state(self) -> str:
        """``应复审`` / ``逾期未复审`` for a review, ``即将到期`` / ``已逾期`` for the expiry."""
        passed, today, ahead = _STATES[self.event]
        if self.days_left < 0:
            return passed
        return today if self.days_left == 0 else ahead


@dataclass(frozen=True, slots=True)
class DueList:
    as_of: date
    within: int
    items: tuple[DueItem, ...]
    #: Listed workers with no date at all to go by (a roster row without dates, a record
    #: without them); the report says how many.
    undated: int
    #: Workers not listed because of their finding, per status in the order of ``Status``.
    not_listed: tuple[tuple[Status, int], ...] = ()
    #: The enterprises the people read belong to, in the order met (none when unnamed).
    enterprises: tuple[str, ...] = ()
    #: Workers the register's ``--scope`` left out (不在本次核验范围), not among ``not_listed``.
    out_of_scope: int = 0


def _dates_count(r: RegisterRow) -> bool:
    """Whether the register row's official dates are the worker's and still count."""
    return not r.revoked and r.reason is not Reason.NAME_MISMATCH


def _register_dates(r: RegisterRow, enterprise: str | None) -> Dates:
    counts = _dates_count(r)
    return Dates(
        row=r.row, name=r.name, id_number=r.id_number,
        item=r.item or r.declared_item or r.category or r.declared_category,
        valid_until=r.valid_until if counts else None,
        review_due=r.review_due if counts else None,
        reviewed=r.reviewed if counts else None,
        sheet=r.sheet, status=r.status, enterprise=enterprise,
        out_of_scope=r.reason is Reason.OUT_OF_SCOPE,
    )


def dates_from_register(rows: Iterable[RegisterRow], enterprise: str | None = None) -> list[Dates]:
    """The official record's dates, which are the ones that count, of ``enterprise``'s
    workers (the register's 单位)."""
    return [_register_dates(r, enterprise) for r in rows]


def dates_from_roster(workers: Iterable[Worker], enterprise: str | None = None) -> list[Dates]:
    """The dates the roster declares: unchecked, but what an enterprise has before verify. A
    date cell that could not be read counts as no date (the worker is listed as undated)."""
    return [
        Dates(
            row=w.row, name=w.shown_name, id_number=w.id_number,
            item=w.declared.item_shown or w.declared.category_shown,
            valid_until=understood_date(w.declared.valid_until),
            review_due=understood_date(w.declared.review_due),
            reviewed=understood_date(w.declared.reviewed), sheet=w.sheet, enterprise=enterprise,
        )
        for w in workers
    ]


def _outstanding(d: Dates) -> bool:
    # Asked through the rules module so "reviewed for this cycle" has one definition.
    record = CertRecord(
        name="", id_number="", cert_number=None, category=None, item=None, first_issued=None,
        valid_from=None, valid_until=d.valid_until, review_due=d.review_due, reviewed=d.reviewed,
        issuer=None,
    )
    return review_outstanding(record)


def due_within(
    people: Iterable[Dates], as_of: date, within: int, *, include_overdue: bool = True
) -> DueList:
    """Reviews and expiries on or before ``as_of + within`` days, soonest first.

    Both ends of the window count: a date on ``as_of`` (0 days left) and one exactly ``within``
    days later are listed.
    """
    if within < 0:
        raise ValueError("within must be 0 or more days")
    horizon = as_of + timedelta(days=within)
    items: list[tuple[int, DueItem]] = []
    undated = 0
    left_out: Counter[Status] = Counter()
    out_of_scope = 0
    enterprises: dict[str, None] = {}
    # Ties on a date go in roster order (sheet by sheet, row by row), the review first.
    for order, d in enumerate(people):
        if d.enterprise:
            enterprises.setdefault(d.enterprise)
        if d.out_of_scope:
            out_of_scope += 1
            continue
        if d.status is not None and d.status not in LISTED:
            left_out[d.status] += 1
            continue
        if d.valid_until is None and d.review_due is None:
            undated += 1
        for event, when in _events(d):
            if when > horizon or (when < as_of and not include_overdue):
                continue
            items.append((order, DueItem(
                row=d.row, name=d.name, id_number=d.id_number, item=d.item, event=event,
                when=when, days_left=(when - as_of).days, sheet=d.sheet, status=d.status,
                enterprise=d.enterprise,
            )))
    items.sort(key=lambda p: (p[1].when, p[0], p[1].event != Event.REVIEW))
    return DueList(
        as_of=as_of, within=within, items=tuple(i for _, i in items), undated=undated,
        not_listed=tuple((status, left_out[status]) for status in Status if left_out[status]),
        enterprises=tuple(enterprises), out_of_scope=out_of_scope,
    )


def _events(d: Dates) -> list[tuple[Event, date]]:
    """The worker's dates that call for an errand: an outstanding review, the end of validity."""
    events: list[tuple[Event, date]] = []
    if d.review_due is not None and _outstanding(d):
        events.append((Event.REVIEW, d.review_due))
    if d.valid_until is not None:
        events.append((Event.EXPIRY, d.valid_until))
    return events
