"""How ``diff`` pairs the rows of two registers: by person and item, never by guess."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from certcheck.diff.compare import ChangeKind, Matching, compare
from certcheck.diff.digest import change_text
from certcheck.ids import mask_id
from certcheck.models import Reason, Status
from certcheck.register.model import Kind
from certcheck.register.reader import RegisterData, RegisterInfo, RegisterRow
from factories import nth_id

_REASON = {Status.VALID: Reason.OK, Status.EXPIRED: Reason.VALIDITY_ENDED,
           Status.FAKE: Reason.NOT_FOUND, Status.UNCERTIFIED: Reason.NO_CERTIFICATE,
           Status.UNVERIFIED: Reason.MISSING_FIELD}


def row(n: int, name: str | None, id_number: str | None, item: str = "低压电工",
        status: Status = Status.VALID, sheet: str | None = "花名册") -> RegisterRow:
    return RegisterRow(
        row=n, name=name, id_number=id_number, status=status, reason=_REASON[status],
        warnings=(), declared_cert_number=None, declared_category=None, declared_item=item,
        cert_number=None, category=None, item=None, valid_until=date(2029, 1, 1),
        review_due=date(2027, 6, 1), reviewed=None, issuer=None, source="registry",
        cached=False, sheet=sheet,
    )


def register(day: date, *rows: RegisterRow) -> RegisterData:
    info = RegisterInfo(version="0", as_of=day, source="registry", enterprise="某公司",
                        kind=Kind.SELF_CHECK, roster_file="r.xlsx", sheets=("花名册",),
                        sample=None, generated_at=None)
    return RegisterData(path=Path(f"{day}.register.xlsx"), info=info, rows=rows)


OLD = date(2026, 12, 1)
NEW = date(2027, 1, 15)


def masked(r: RegisterRow) -> RegisterRow:
    return replace(r, id_number=mask_id(r.id_number))


def test_a_row_entered_twice_then_once_is_a_row_removed_not_a_person_gone() -> None:
    a = nth_id(1)
    result = compare(register(OLD, row(2, "王一", a), row(3, "王一", a)),
                     register(NEW, row(2, "王一", a)))
    assert [(c.kind, c.row.row) for c in result.changes] == [(ChangeKind.ROW_REMOVED, 3)]
    assert not result.worse


def test_one_person_two_items_pairs_item_by_item() -> None:
    a = nth_id(1)
    old = register(OLD, row(2, "王一", a, "低压电工"), row(3, "王一", a, "电焊工"))
    new = register(NEW, row(5, "王一", a, "电焊工", Status.EXPIRED),
                   row(9, "王一", a, "低压电工作业"))
    result = compare(old, new)
    assert [(c.kind, c.row.row, c.old and c.old.row) for c in result.changes] == [
        (ChangeKind.STATUS, 5, 3)]
    assert result.worse


def test_an_item_dropped_for_a_person_still_there_is_a_row_removed() -> None:
    a = nth_id(1)
    old = register(OLD, row(2, "王一", a, "低压电工"), row(3, "王一", a, "电焊工", Status.EXPIRED))
    result = compare(old, register(NEW, row(2, "王一", a, "低压电工")))
    assert [(c.kind, c.row.row) for c in result.changes] == [(ChangeKind.ROW_REMOVED, 3)]
    assert change_text(result.changes[0]) == "原为逾期（超过有效期）"


def test_a_person_whose_item_reads_otherwise_is_one_entry_with_a_note() -> None:
    a = nth_id(1)
    result = compare(register(OLD, row(2, "王一", a, "电工")),
                     register(NEW, row(2, "王一", a, "登高架设", Status.UNCERTIFIED)))
    assert [c.kind for c in result.changes] == [ChangeKind.STATUS]
    assert change_text(result.changes[0]) == (
        "新发现无证，有效 → 无证（未持证）；作业项目 电工 → 登高架设")


def test_masked_same_key_but_distinct_items_pair_by_item() -> None:
    a = nth_id(1)
    old = register(OLD, masked(row(2, "张伟", a, "低压电工")), masked(row(3, "张伟", a, "电焊工")))
    new = register(NEW, masked(row(2, "张伟", a, "低压电工")),
                   masked(row(3, "张伟", a, "电焊工", Status.EXPIRED)))
    result = compare(old, new)
    assert result.matching is Matching.MASKED_ID_AND_NAME
    assert [(c.kind, c.row.row) for c in result.changes] == [(ChangeKind.STATUS, 3)]
    assert result.ambiguous == ()


def test_masked_rows_of_one_key_and_item_are_never_paired() -> None:
    a = nth_id(1)
    old = register(OLD, masked(row(2, "张伟", a)), masked(row(3, "张伟", a)))
    new = register(NEW, masked(row(2, "张伟", a)), masked(row(3, "张伟", a, status=Status.FAKE)),
                   masked(row(4, "张伟", a)))
    result = compare(old, new)
    assert result.changes == ()
    [group] = result.ambiguous
    assert (len(group.old), len(group.new)) == (2, 3)
    assert group.worse_statuses == (Status.FAKE,)


def test_the_same_name_with_other_shown_digits_is_another_person() -> None:
    result = compare(register(OLD, masked(row(2, "张伟", nth_id(1)))),
                     register(NEW, masked(row(2, "张伟", nth_id(2)))))
    assert [c.kind for c in result.changes] == [ChangeKind.NEW, ChangeKind.LEFT]


def test_rows_without_name_or_id_neither_come_nor_leave() -> None:
    nobody = row(4, None, None, status=Status.UNVERIFIED)
    result = compare(register(OLD, row(2, "王一", nth_id(1))),
                     register(NEW, row(2, "王一", nth_id(1)), nobody))
    assert result.changes == ()
    [group] = result.ambiguous
    assert group.nameless and group.new == (nobody,)
    assert not result.worse


def test_an_id_changed_between_two_valid_ids_is_not_guessed() -> None:
    """Both IDs were read: two people, however alike their names."""
    result = compare(register(OLD, row(2, "王一", nth_id(1))),
                     register(NEW, row(2, "王一", nth_id(2))))
    assert [c.kind for c in result.changes] == [ChangeKind.NEW, ChangeKind.LEFT]


def test_a_name_shared_by_two_unmatched_people_is_not_paired_by_name() -> None:
    unread = replace(row(2, "王一", "123", status=Status.UNVERIFIED), reason=Reason.INVALID_ID)
    result = compare(
        register(OLD, unread, replace(unread, row=3, id_number="456")),
        register(NEW, row(2, "王一", nth_id(1))),
    )
    assert sorted(c.kind for c in result.changes) == [
        ChangeKind.LEFT, ChangeKind.LEFT, ChangeKind.NEW]


def test_dates_of_a_record_not_the_workers_own_are_not_compared() -> None:
    a = nth_id(1)
    before = replace(row(2, "王一", a, status=Status.FAKE), reason=Reason.NAME_MISMATCH)
    after = replace(before, valid_until=date(2035, 1, 1))
    assert compare(register(OLD, before), register(NEW, after)).changes == ()
