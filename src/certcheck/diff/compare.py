"""Two registers of one enterprise side by side: who came, who left, whose finding or dates
changed. Pure: two registers read back in, a :class:`RegisterDiff` out.

**Who is who.** When neither register was written with ``--mask-ids``, a person is their ID
number. When either was, the ID reads ``500381********1234`` and two people can share that
form, so a person is the masked ID *and* the name (the full ID of the other register is masked
the same way first). A row without an ID is its name. A row with neither cannot be matched.

**What is compared.** A person may stand on several rows (two items, two sheets of a roster
kept per trade). The unit compared is the *entry*: a person and an operation item, the item
being what the roster declared (else the official one), read through the catalog so that 低压电工
and 低压电工作业 are one item. A person with one row in each register is one entry whatever the
item says; a person whose rows do not pair up by item has rows added or removed (listed apart
from people who came or left). Same person, same item, several rows (a row entered twice): with
full IDs they are one person and pair in order; with masked IDs they may be two people, which
is an :class:`Ambiguity`.

**Never a change nobody can see.** Rows that cannot be told apart (two 张伟 with the same
masked digits, rows with neither name nor ID) are not paired: no change is claimed for any of
them. What *is* certain is reported: how many of them had each finding before and after, and
whether the count of a violation (逾期, 假证, 无证) rose, which means someone among them moved to it
or came with it.

**A corrected ID.** A person whose ID the old register could not read (no ID, invalid,
precision lost) and the new one can, or the reverse, would otherwise leave and come back as
someone new. When the name occurs once among the unmatched people of each register and one of
the two IDs was not understood, the two are paired by name, and the change says so.

**Dates** (有效期至, 应复审日期, 实际复审日期) are compared where both registers hold the
worker's own certificate (有效 or 逾期, not withdrawn, not another person's record): the dates a
fake or an uncertified worker's row shows belong to a record that is not theirs.

**Worse** (exit 1) is an entry that moved to 逾期, 假证 or 无证 from another finding, or came
(a new person, a new row) with one of them; and a group of indistinguishable rows whose count of
one of those rose. Anything becoming 未核验 is listed, never called worse: no verdict was made.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from certcheck.ids import ID_SHAPE, mask_id, masked_form, normalize_id
from certcheck.models import Reason, Status
from certcheck.names import name_key
from certcheck.register.model import Verdict
from certcheck.register.reader import RegisterData, RegisterInfo, RegisterRow

#: The findings that are violations: moving to one of them is getting worse.
VIOLATIONS = frozenset({Status.EXPIRED, Status.FAKE, Status.UNCERTIFIED})
#: The findings whose certificate dates are the worker's own.
_OWN_DATES = frozenset({Status.VALID, Status.EXPIRED})
#: The reasons that say the row's ID was not understood.
_ID_NOT_UNDERSTOOD = frozenset({Reason.INVALID_ID, Reason.ID_PRECISION_LOST})


class Matching(StrEnum):
    """How rows of the two registers were recognised as the same person."""

    FULL_ID = "id"
    MASKED_ID_AND_NAME = "masked_id_and_name"

    @property
    def zh(self) -> str:
        if self is Matching.FULL_ID:
            return "按身份证号（matched by full ID）"
        return ("按脱敏身份证号和姓名（登记表使用了 --mask-ids，只有脱敏号码可比；"
                "matched by masked ID and name）")


class ChangeKind(StrEnum):
    NEW = "new"
    LEFT = "left"
    STATUS = "status"
    DATES = "dates"
    ROW_ADDED = "row_added"
    ROW_REMOVED = "row_removed"
    #: Same ID, same finding and dates, another name: said, never taken for nothing.
    NAME = "name"

    @property
    def zh(self) -> str:
        return _KIND_ZH[self]


_KIND_ZH = {
    ChangeKind.NEW: "新增人员",
    ChangeKind.LEFT: "离开人员",
    ChangeKind.STATUS: "结果变化",
    ChangeKind.DATES: "证书日期变化",
    ChangeKind.ROW_ADDED: "新增登记行",
    ChangeKind.ROW_REMOVED: "不再列出的登记行",
    ChangeKind.NAME: "姓名变化",
}


class Move(StrEnum):
    """What a change of finding means for the enterprise."""

    NEWLY_EXPIRED = "newly_expired"
    NEWLY_FAKE = "newly_fake"
    NEWLY_UNCERTIFIED = "newly_uncertified"
    VALID_AFTER_REVIEW = "valid_after_review"
    VALID_AFTER_RENEWAL = "valid_after_renewal"
    NOW_VALID = "now_valid"
    NOW_UNVERIFIED = "now_unverified"

    @property
    def zh(self) -> str:
        return _MOVE_ZH[self]


_MOVE_ZH = {
    Move.NEWLY_EXPIRED: "新逾期",
    Move.NEWLY_FAKE: "新发现假证",
    Move.NEWLY_UNCERTIFIED: "新发现无证",
    Move.VALID_AFTER_REVIEW: "复审后恢复有效",
    Move.VALID_AFTER_RENEWAL: "换证后恢复有效",
    Move.NOW_VALID: "转为有效",
    Move.NOW_UNVERIFIED: "转为未核验",
}


class DateField(StrEnum):
    VALID_UNTIL = "valid_until"
    REVIEW_DUE = "review_due"
    REVIEWED = "reviewed"

    @property
    def zh(self) -> str:
        return _DATE_ZH[self]

    def of(self, row: RegisterRow) -> date | None:
        if self is DateField.VALID_UNTIL:
            return row.valid_until
        if self is DateField.REVIEW_DUE:
            return row.review_due
        return row.reviewed


_DATE_ZH = {
    DateField.VALID_UNTIL: "有效期至",
    DateField.REVIEW_DUE: "应复审日期",
    DateField.REVIEWED: "实际复审日期",
}


@dataclass(frozen=True, slots=True)
class DateChange:
    field: DateField
    old: date | None
    new: date | None


@dataclass(frozen=True, slots=True)
class Change:
    """One entry that differs: came, left, changed finding, changed dates, row added/removed."""

    kind: ChangeKind
    old: RegisterRow | None
    new: RegisterRow | None
    #: The worker's own certificate dates that differ (empty unless both rows hold them).
    dates: tuple[DateChange, ...] = ()
    #: Paired by name because one register could not read the ID.
    id_corrected: bool = False
    #: Paired although the declared item reads otherwise (one row each side for the person).
    item_changed: bool = False
    #: Paired on one full ID although the names differ: a new name (marriage, a typo
    #: corrected), or IDs swapped between two people. Which one, nobody can tell from here.
    name_changed: bool = False

    @property
    def row(self) -> RegisterRow:
        """The row that speaks for the entry now: the new one, else the old one."""
        row = self.new or self.old
        assert row is not None
        return row

    @property
    def move(self) -> Move | None:
        if self.kind is not ChangeKind.STATUS or self.old is None or self.new is None:
            return None
        return _move(self.old.status, self.new.status, self.dates)

    @property
    def worse(self) -> bool:
        if self.kind is ChangeKind.STATUS:
            assert self.old is not None and self.new is not None
            return self.new.status in VIOLATIONS and self.old.status is not self.new.status
        if self.kind in (ChangeKind.NEW, ChangeKind.ROW_ADDED):
            return self.row.status in VIOLATIONS
        return False

    @property
    def better(self) -> bool:
        return self.move in (Move.VALID_AFTER_REVIEW, Move.VALID_AFTER_RENEWAL, Move.NOW_VALID)


def _move(old: Status, new: Status, dates: Sequence[DateChange]) -> Move:
    if new is Status.EXPIRED:
        return Move.NEWLY_EXPIRED
    if new is Status.FAKE:
        return Move.NEWLY_FAKE
    if new is Status.UNCERTIFIED:
        return Move.NEWLY_UNCERTIFIED
    if new is Status.UNVERIFIED:
        return Move.NOW_UNVERIFIED
    if old is Status.EXPIRED:
        later = {d.field for d in dates
                 if d.new is not None and (d.old is None or d.new > d.old)}
        # A renewal brings a new end of validity (and a new review date with it); a review
        # only records the day it was done.
        if DateField.VALID_UNTIL in later:
            return Move.VALID_AFTER_RENEWAL
        if DateField.REVIEWED in later:
            return Move.VALID_AFTER_REVIEW
    return Move.NOW_VALID


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Rows the two registers hold under one key that cannot be told apart: no change is claimed
    for any of them, only how many had each finding."""

    old: tuple[RegisterRow, ...]
    new: tuple[RegisterRow, ...]
    #: Rows of one masked ID under other names on the two sides: one person renamed, or two
    #: people who mask alike; the masked ID cannot tell.
    names_differ: bool = False

    @property
    def row(self) -> RegisterRow:
        return (self.new or self.old)[0]

    @property
    def nameless(self) -> bool:
        """Rows with neither name nor ID, rather than people who share a masked ID and name."""
        return not self.row.name and not self.row.id_number

    def counts(self, rows: Sequence[RegisterRow]) -> tuple[tuple[Status, int], ...]:
        counted = Counter(r.status for r in rows)
        return tuple((s, counted[s]) for s in Status if counted[s])

    @property
    def worse_statuses(self) -> tuple[Status, ...]:
        """The violations more of these rows have now than before: certainly someone among
        them moved to it or came with it, though nobody can say who."""
        before = Counter(r.status for r in self.old)
        after = Counter(r.status for r in self.new)
        return tuple(s for s in Status if s in VIOLATIONS and after[s] > before[s])

    @property
    def worse(self) -> bool:
        return bool(self.worse_statuses)

    @property
    def counts_changed(self) -> bool:
        return Counter(r.status for r in self.old) != Counter(r.status for r in self.new)


@dataclass(frozen=True, slots=True)
class Side:
    """One register as the comparison saw it."""

    path: Path
    info: RegisterInfo
    verdict: Verdict
    ids_masked: bool
    several_sheets: bool

    @classmethod
    def of(cls, data: RegisterData) -> Side:
        return cls(path=data.path, info=data.info, verdict=data.verdict,
                   ids_masked=data.ids_masked, several_sheets=data.several_sheets)


@dataclass(frozen=True, slots=True)
class RegisterDiff:
    old: Side
    new: Side
    matching: Matching
    #: New entries in the new register's order, then those only the old one holds.
    changes: tuple[Change, ...]
    ambiguous: tuple[Ambiguity, ...]

    def of(self, *kinds: ChangeKind) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind in kinds)

    @property
    def worse(self) -> bool:
        return any(c.worse for c in self.changes) or any(a.worse for a in self.ambiguous)

    @property
    def nothing_changed(self) -> bool:
        return not self.changes and not any(
            a.counts_changed or a.names_differ for a in self.ambiguous)

    @property
    def several_sheets(self) -> bool:
        return self.old.several_sheets or self.new.several_sheets

    @property
    def rate_points(self) -> float:
        """The change in 依法持证率, in percentage points."""
        return (self.new.verdict.rate - self.old.verdict.rate) * 100


# --- whether two registers can be compared --------------------------------------------------


class Concern(StrEnum):
    """Something about the pair of registers the user must hear before the changes."""

    #: Refused unless forced: the registers name two enterprises.
    OTHER_ENTERPRISE = "other_enterprise"
    #: Refused unless forced: NEW was checked as of an earlier day than OLD.
    NEW_BEFORE_OLD = "new_before_old"
    #: Same as-of date, but NEW was written before OLD: perhaps given the wrong way round.
    NEW_WRITTEN_FIRST = "new_written_first"
    #: A register does not name its enterprise, so the pair may be of two.
    ENTERPRISE_UNKNOWN = "enterprise_unknown"
    #: A register covers a random sample: people outside it are not "new" or "gone".
    SAMPLE = "sample"
    #: The registers checked different certificates (``verify --scope``): their totals and
    #: rates are over different workers, and a worker left out is no worse for it.
    OTHER_SCOPE = "other_scope"

    @property
    def refused(self) -> bool:
        return self in (Concern.OTHER_ENTERPRISE, Concern.NEW_BEFORE_OLD)


def enterprise_key(name: str) -> str:
    """Enterprise names compare without width, spaces or case: （ ）and ( ) are one."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def concerns(old: Side, new: Side) -> tuple[Concern, ...]:
    found: list[Concern] = []
    a, b = old.info.enterprise, new.info.enterprise
    if a and b and enterprise_key(a) != enterprise_key(b):
        found.append(Concern.OTHER_ENTERPRISE)
    elif not (a and b):
        found.append(Concern.ENTERPRISE_UNKNOWN)
    if new.info.as_of < old.info.as_of:
        found.append(Concern.NEW_BEFORE_OLD)
    elif new.info.as_of == old.info.as_of and _written_first(new.info, old.info):
        found.append(Concern.NEW_WRITTEN_FIRST)
    if old.info.sample is not None or new.info.sample is not None:
        found.append(Concern.SAMPLE)
    if old.info.scope != new.info.scope:
        found.append(Concern.OTHER_SCOPE)
    return tuple(found)


def _written_first(a: RegisterInfo, b: RegisterInfo) -> bool:
    if a.generated_at is None or b.generated_at is None:
        return False
    try:
        return a.generated_at < b.generated_at
    except TypeError:  # one with a time zone, one without (edited by hand): cannot tell
        return False


# --- matching ---------------------------------------------------------------------------------

#: Who a row is: ("id", ID) | ("masked", masked ID, name) | ("name", name) | ("nobody",).
PersonKey = tuple[str, ...]
#: A row with its place in its register, which orders the output.
_Placed = tuple[int, RegisterRow]


def compare(old: RegisterData, new: RegisterData) -> RegisterDiff:
    """What changed from ``old`` to ``new``."""
    masked = old.ids_masked or new.ids_masked
    matching = Matching.MASKED_ID_AND_NAME if masked else Matching.FULL_ID
    before = _grouped(old.rows, matching)
    after = _grouped(new.rows, matching)
    pairs: list[tuple[list[_Placed], list[_Placed], bool, bool]] = []
    out = _Collector()
    # Nobody can say who a row without name and ID is: such rows neither come nor leave.
    nobody = ("nobody",)
    if nobody in before or nobody in after:
        out.ambiguous(before.pop(nobody, []), after.pop(nobody, []))
    for key in after.keys() & before.keys():
        pairs.append((before[key], after[key], key[0] == "id", False))
    gone = {k: v for k, v in before.items() if k not in after}
    came = {k: v for k, v in after.items() if k not in before}
    for old_key, new_key in _corrected_ids(gone, came):
        pairs.append((gone.pop(old_key), came.pop(new_key), False, True))
    for old_keys, new_keys in _masked_alike(gone, came):
        out.ambiguous([r for k in old_keys for r in gone.pop(k)],
                      [r for k in new_keys for r in came.pop(k)], names_differ=True)
    for rows in came.values():
        out.alone(ChangeKind.NEW, rows, in_new=True)
    for rows in gone.values():
        out.alone(ChangeKind.LEFT, rows, in_new=False)
    for old_rows, new_rows, exact, corrected in pairs:
        _pair(out, old_rows, new_rows, exact=exact, corrected=corrected)
    return RegisterDiff(
        old=Side.of(old), new=Side.of(new), matching=matching,
        changes=out.changes(), ambiguous=out.ambiguities(),
    )


def _grouped(rows: Iterable[RegisterRow], matching: Matching) -> dict[PersonKey, list[_Placed]]:
    groups: dict[PersonKey, list[_Placed]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[person_key(row, matching)].append((index, row))
    return groups


def person_key(row: RegisterRow, matching: Matching) -> PersonKey:
    if row.id_number and matching is Matching.FULL_ID:
        return ("id", _normal_id(row.id_number))
    name = name_key(row.name) if row.name else ""
    if row.id_number:
        return ("masked", shown_id(row), name)
    return ("name", name) if name else ("nobody",)


def _normal_id(text: str) -> str:
    # Registers hold IDs as verify normalised them: the check is cheaper than doing it again.
    return text if ID_SHAPE.fullmatch(text) else normalize_id(text)


def shown_id(row: RegisterRow) -> str:
    """The row's ID as a person may see it anywhere: masked."""
    if not row.id_number:
        return ""
    return masked_form(row.id_number) or mask_id(_normal_id(row.id_number))


def id_not_understood(row: RegisterRow) -> bool:
    """The register could not read the row's ID: none, invalid, or cut by a spreadsheet."""
    return row.id_number is None or row.reason in _ID_NOT_UNDERSTOOD


def _id_unsure(rows: Sequence[_Placed]) -> bool:
    return any(id_not_understood(r) for _, r in rows)


def _sole_name(rows: Sequence[_Placed]) -> str | None:
    names = {name_key(r.name) for _, r in rows if r.name}
    return names.pop() if len(names) == 1 else None


def _corrected_ids(
    gone: dict[PersonKey, list[_Placed]], came: dict[PersonKey, list[_Placed]]
) -> list[tuple[PersonKey, PersonKey]]:
    """Pairs of an old-only and a new-only person with one name between them, when one of
    the two IDs was not understood: the ID was corrected (or lost) in between."""
    def by_name(groups: dict[PersonKey, list[_Placed]]) -> dict[str, list[PersonKey]]:
        names: dict[str, list[PersonKey]] = defaultdict(list)
        for key, rows in groups.items():
            if key[0] != "nobody" and (name := _sole_name(rows)):
                names[name].append(key)
        return names

    old_names, new_names = by_name(gone), by_name(came)
    found = []
    for name, old_keys in old_names.items():
        new_keys = new_names.get(name, [])
        if len(old_keys) == 1 and len(new_keys) == 1 and (
            _id_unsure(gone[old_keys[0]]) or _id_unsure(came[new_keys[0]])
        ):
            found.append((old_keys[0], new_keys[0]))
    return found


def _masked_alike(
    gone: dict[PersonKey, list[_Placed]], came: dict[PersonKey, list[_Placed]]
) -> list[tuple[list[PersonKey], list[PersonKey]]]:
    """People only the old register holds and people only the new one holds who show the same
    masked ID under another name. A masked ID is shared by many people, so they may be two; a
    name changes (a marriage, a typo corrected), so they may be one. Either way they are not
    someone who left and someone who came: only their counts can be compared."""
    def by_shown(groups: dict[PersonKey, list[_Placed]]) -> dict[str, list[PersonKey]]:
        shown: dict[str, list[PersonKey]] = defaultdict(list)
        for key in groups:
            if key[0] == "masked":
                shown[key[1]].append(key)
        return shown

    old_shown, new_shown = by_shown(gone), by_shown(came)
    return [(keys, new_shown[shown]) for shown, keys in old_shown.items() if shown in new_shown]


def _item_key(row: RegisterRow) -> tuple[str, ...]:
    """The operation item of a row, as the catalog reads it: 低压电工 = 低压电工作业."""
    text = row.declared_item or row.item or row.declared_category or row.category
    return _item_text_key(text) if text else ()


@lru_cache(maxsize=4096)
def _item_text_key(text: str) -> tuple[str, ...]:
    # A roster names a few dozen items, written the same way on thousands of rows.
    from certcheck.catalog import fold, load_catalog

    items = load_catalog().resolve(text)
    return tuple(sorted(items)) if items else ("?", fold(text))


def _pair(
    out: _Collector, old: list[_Placed], new: list[_Placed], *, exact: bool, corrected: bool
) -> None:
    """Pair the rows of one person (or of one key) entry by entry."""
    if len(old) == 1 and len(new) == 1:
        out.paired(old[0], new[0], id_corrected=corrected,
                   item_changed=_item_key(old[0][1]) != _item_key(new[0][1]))
        return
    before: dict[tuple[str, ...], list[_Placed]] = defaultdict(list)
    after: dict[tuple[str, ...], list[_Placed]] = defaultdict(list)
    for placed in old:
        before[_item_key(placed[1])].append(placed)
    for placed in new:
        after[_item_key(placed[1])].append(placed)
    spare_old: list[_Placed] = []
    spare_new: list[_Placed] = []
    for item in before.keys() & after.keys():
        a, b = before[item], after[item]
        if exact or (len(a) == 1 and len(b) == 1):
            # One person: rows of one item are the same claim; extra ones were added/removed.
            for x, y in zip(a, b, strict=False):
                out.paired(x, y, id_corrected=corrected)
            out.alone(ChangeKind.ROW_REMOVED, a[len(b):], in_new=False)
            out.alone(ChangeKind.ROW_ADDED, b[len(a):], in_new=True)
        else:
            out.ambiguous(a, b)
    for item, rows in before.items():
        if item not in after:
            spare_old.extend(rows)
    for item, rows in after.items():
        if item not in before:
            spare_new.extend(rows)
    if len(spare_old) == 1 and len(spare_new) == 1:
        out.paired(spare_old[0], spare_new[0], id_corrected=corrected, item_changed=True)
        return
    out.alone(ChangeKind.ROW_REMOVED, spare_old, in_new=False)
    out.alone(ChangeKind.ROW_ADDED, spare_new, in_new=True)


class _Collector:
    """The changes and ambiguities found, kept with their place to be put in order."""

    def __init__(self) -> None:
        self._changes: list[tuple[tuple[int, int], Change]] = []
        self._ambiguous: list[tuple[tuple[int, int], Ambiguity]] = []

    def alone(self, kind: ChangeKind, rows: Sequence[_Placed], *, in_new: bool) -> None:
        for index, row in rows:
            change = Change(kind, None if in_new else row, row if in_new else None)
            self._changes.append(((0 if in_new else 1, index), change))

    def paired(self, old: _Placed, new: _Placed, *, id_corrected: bool = False,
               item_changed: bool = False) -> None:
        (_, a), (index, b) = old, new
        dates = _date_changes(a, b)
        renamed = _renamed(a, b)
        if a.status is not b.status:
            kind = ChangeKind.STATUS
        elif dates:
            kind = ChangeKind.DATES
        elif renamed:
            kind = ChangeKind.NAME
        else:
            return
        self._changes.append(((0, index), Change(kind, a, b, dates, id_corrected, item_changed,
                                                 renamed)))

    def ambiguous(self, old: Sequence[_Placed], new: Sequence[_Placed], *,
                  names_differ: bool = False) -> None:
        place = (0, new[0][0]) if new else (1, old[0][0])
        group = Ambiguity(tuple(r for _, r in old), tuple(r for _, r in new), names_differ)
        self._ambiguous.append((place, group))

    def changes(self) -> tuple[Change, ...]:
        return tuple(c for _, c in sorted(self._changes, key=lambda p: p[0]))

    def ambiguities(self) -> tuple[Ambiguity, ...]:
        return tuple(a for _, a in sorted(self._ambiguous, key=lambda p: p[0]))


def _renamed(a: RegisterRow, b: RegisterRow) -> bool:
    """Both rows name someone, and not the same name."""
    return bool(a.name and b.name) and name_key(a.name or "") != name_key(b.name or "")


def own_dates(row: RegisterRow) -> bool:
    """The row's certificate dates are the worker's own and still count (see ``due``)."""
    return (row.status in _OWN_DATES and not row.revoked
            and row.reason is not Reason.NAME_MISMATCH)


def _date_changes(a: RegisterRow, b: RegisterRow) -> tuple[DateChange, ...]:
    if not (own_dates(a) and own_dates(b)):
        return ()
    return tuple(
        DateChange(f, f.of(a), f.of(b)) for f in DateField if f.of(a) != f.of(b)
    )
