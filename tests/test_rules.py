"""Every row of the rule table, the order between rows, and the warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from certcheck.models import (
    Failed,
    FailureKind,
    IdProblem,
    OtherRow,
    Reason,
    Regime,
    SourceTraits,
    Status,
    Unreadable,
    WarningCode,
    Worker,
)
from certcheck.rules import (
    ITEM_RULES,
    PERSON_RULES,
    READING_RULES,
    RULE_TABLE,
    Unanswered,
    cert_key,
    decide,
)
from factories import AS_OF, failed, found, make_id, not_found, record, worker

MEM_ONLY = SourceTraits()
NATIONAL = SourceTraits(publication_delay=timedelta(days=7))
MEM_AND_SE = SourceTraits(frozenset({Regime.MEM, Regime.SPECIAL_EQUIPMENT}))
#: What a case needs beyond the worker, the answer and the traits: rule 0 a run's --scope,
#: rules 20-22 a second source (the special-equipment lookup) that failed for the person.
SPECIAL_EQUIPMENT = frozenset({Regime.SPECIAL_EQUIPMENT})
EXTRA: dict[int, dict[str, object]] = {
    0: {"scope": frozenset({Regime.MEM})},
    20: {"unanswered": (Unanswered(SPECIAL_EQUIPMENT, Failed(FailureKind.LOOKUP_FAILED, "x")),)},
    21: {"unanswered": (Unanswered(SPECIAL_EQUIPMENT, Failed(FailureKind.CAPTCHA_FAILED, "x")),)},
    22: {"unanswered": (
        Unanswered(SPECIAL_EQUIPMENT, Failed(FailureKind.UNRECOGNIZED_RESPONSE, "x")),)},
}

# One case per row of the rule table: (worker, answer, traits) decided by exactly that row,
# with the status and reason a user must see, written out rather than read from RULE_TABLE.
UNREAD_NAME = Unreadable("姓名", "#N/A", "是错误值（公式出错或引用失效）", 2, "name")
UNREAD_DATE = Unreadable("有效期至", "长期", "不是可识别的日期", 2, "valid_until")
# An ID as the 证号: says nothing of the regime (T + ID would say 特种作业).
PLAIN_ID = make_id("50038119880808123")
CASES: dict[int, tuple[Worker, object, SourceTraits, str, str]] = {
    0: (worker(item="叉车司机"), None, MEM_ONLY, "unverified", "out_of_scope"),
    1: (replace(worker(name=None), unreadable=(UNREAD_NAME,)), None, MEM_ONLY,
        "unverified", "unreadable_cell"),
    2: (worker(name=None), None, MEM_ONLY, "unverified", "missing_field"),
    3: (
        replace(worker(id_number="500381199001011000"), id_problem=IdProblem.PRECISION_LOST),
        None, MEM_ONLY, "unverified", "id_precision_lost",
    ),
    4: (
        replace(worker(id_number="500381199001011239"), id_problem=IdProblem.INVALID),
        None, MEM_ONLY, "unverified", "invalid_id",
    ),
    5: (worker(name="张?"), None, MEM_ONLY, "unverified", "name_unreadable"),
    6: (worker(valid_until=UNREAD_DATE), found(record()), MEM_ONLY,
        "unverified", "unreadable_cell"),
    7: (worker(item="叉车司机"), None, MEM_ONLY, "unverified", "other_authority"),
    8: (worker(), failed(FailureKind.LOOKUP_FAILED), MEM_ONLY, "unverified", "lookup_failed"),
    9: (worker(), failed(FailureKind.CAPTCHA_FAILED), MEM_ONLY, "unverified", "captcha_failed"),
    10: (
        worker(), failed(FailureKind.UNRECOGNIZED_RESPONSE), MEM_ONLY,
        "unverified", "unrecognized_response",
    ),
    11: (
        worker(first_issued=AS_OF - timedelta(days=2)), not_found(), NATIONAL,
        "unverified", "too_recent",
    ),
    12: (worker(item="管道疏通工", cert_number="T500381199001011234"), not_found(), MEM_ONLY,
         "unverified", "unknown_item"),
    13: (worker(item="架子工", cert_number=PLAIN_ID), not_found(), MEM_ONLY,
         "unverified", "other_authority"),
    14: (worker(cert_number="T500381199001011234"), not_found(), MEM_ONLY, "fake", "not_found"),
    15: (worker(), not_found(), MEM_ONLY, "uncertified", "no_certificate"),
    16: (replace(worker(), shared_with=(OtherRow(3, "李四"),)), found(record(name="李四")), MEM_ONLY,
         "unverified", "unreadable_cell"),
    17: (worker(), found(record(name="李四")), MEM_ONLY, "fake", "name_mismatch"),
    18: (worker(cert_number="T123456"), found(record()), MEM_ONLY, "fake", "cert_number_mismatch"),
    19: (
        worker(item="低压电工、叉车司机"), found(record()), MEM_ONLY,
        "unverified", "other_authority",
    ),
    20: (
        worker(item="低压电工、叉车司机"), found(record()), MEM_AND_SE,
        "unverified", "lookup_failed",
    ),
    21: (
        worker(item="低压电工、叉车司机"), found(record()), MEM_AND_SE,
        "unverified", "captcha_failed",
    ),
    22: (
        worker(item="低压电工、叉车司机"), found(record()), MEM_AND_SE,
        "unverified", "unrecognized_response",
    ),
    23: (worker(item="管道疏通工"), found(record()), MEM_ONLY, "unverified", "unknown_item"),
    24: (worker(item="架子工"), found(record()), MEM_ONLY, "unverified", "other_authority"),
    25: (
        worker(item="高压电工", first_issued=AS_OF - timedelta(days=2)), found(record()), NATIONAL,
        "unverified", "too_recent",
    ),
    26: (
        worker(item="高压电工"), found(record(item="", category="电工作业")), MEM_ONLY,
        "unverified", "record_incomplete",
    ),
    27: (
        worker(item="高压电工"), found(record(item="低压电工作业")), MEM_ONLY,
        "uncertified", "item_not_covered",
    ),
    28: (
        worker(item="低压电工"), found(replace(record(), status_text="注销")), MEM_ONLY,
        "uncertified", "revoked",
    ),
    29: (
        worker(), found(record(valid_until=AS_OF - timedelta(days=1))), MEM_ONLY,
        "expired", "validity_ended",
    ),
    30: (
        worker(),
        found(record(review_due=AS_OF - timedelta(days=1), reviewed=date(2020, 1, 1))),
        MEM_ONLY, "expired", "review_overdue",
    ),
    31: (
        worker(), found(record(valid_until=None)), MEM_ONLY, "unverified", "record_incomplete",
    ),
    32: (worker(item="电工"), found(record()), MEM_ONLY, "valid", "ok"),
}


def test_every_rule_has_a_case_and_every_reason_a_rule() -> None:
    assert sorted(CASES) == [rule.number for rule in RULE_TABLE]
    assert {rule.reason for rule in RULE_TABLE} == set(Reason)


@pytest.mark.parametrize("number", sorted(CASES))
def test_each_rule_row(number: int) -> None:
    w, ans, traits, status, reason = CASES[number]
    finding = decide(w, ans, AS_OF, traits=traits, **EXTRA.get(number, {}))  # type: ignore[arg-type]
    assert (finding.status.value, finding.reason.value) == (status, reason)


@pytest.mark.parametrize("number", sorted(CASES))
def test_the_row_that_decides_is_the_row_of_the_table(number: int) -> None:
    # decide runs RULE_TABLE: the row a case is written for is the first row that applies.
    _, _, _, status, reason = CASES[number]
    rule = next(r for r in RULE_TABLE if r.number == number)
    assert (rule.status.value, rule.reason.value) == (status, reason)


def _readme_rule_rows() -> list[tuple[int, str, str]]:
    text = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    section = text[text.index("## What each worker gets") :]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            status = cells[-2].split()[0]
            reason = cells[-1].strip("`")
            rows.append((int(cells[0]), status, reason))
        elif rows and not line.startswith("|"):
            break
    return rows


def test_readme_prints_the_table_decide_runs() -> None:
    expected = [(r.number, r.status.value, r.reason.value) for r in RULE_TABLE]
    assert _readme_rule_rows() == expected


def test_readme_marks_per_item_exactly_the_rows_decided_per_item() -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    section = text[text.index("## What each worker gets") :]
    per: dict[int, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            per[int(cells[0])] = cells[1]
    rows = {r.number: "row" for r in (*READING_RULES, *PERSON_RULES)}
    assert per == rows | {r.number: "item" for r in ITEM_RULES}


def test_failed_lookup_never_fake_even_when_row_claims_certificate() -> None:
    w = worker(cert_number="T" + make_id())
    for kind in FailureKind:
        finding = decide(w, failed(kind), AS_OF)
        assert finding.status is Status.UNVERIFIED


def test_not_looked_up_is_unverified() -> None:
    assert decide(worker(), None, AS_OF).reason is Reason.LOOKUP_FAILED


def test_dates_alone_claim_a_certificate() -> None:
    w = worker(valid_until=date(2027, 1, 1))
    assert decide(w, not_found(), AS_OF).reason is Reason.NOT_FOUND


def test_validity_ended_wins_over_review_overdue() -> None:
    r = record(valid_until=AS_OF - timedelta(days=3), review_due=AS_OF - timedelta(days=400))
    assert decide(worker(), found(r), AS_OF).reason is Reason.VALIDITY_ENDED


def test_last_valid_day_is_still_valid() -> None:
    r = record(valid_until=AS_OF)
    finding = decide(worker(), found(r), AS_OF)
    assert finding.status is Status.VALID
    assert WarningCode.DUE_SOON in finding.warnings


def test_review_done_for_the_cycle_keeps_it_valid() -> None:
    due = AS_OF - timedelta(days=30)
    r = record(review_due=due, reviewed=due - timedelta(days=40))
    assert decide(worker(), found(r), AS_OF).status is Status.VALID


def test_review_from_previous_cycle_does_not_count() -> None:
    due = AS_OF - timedelta(days=30)
    r = record(review_due=due, reviewed=due - timedelta(days=3 * 365))
    assert decide(worker(), found(r), AS_OF).reason is Reason.REVIEW_OVERDUE


def test_certificate_covering_the_item_decides_among_several() -> None:
    expired_hv = record(item="高压电工作业", valid_from=date(2014, 1, 1), valid_until=date(2020, 1, 1))
    valid_welding = record(item="熔化焊接与热切割作业", category="焊接与热切割作业")
    assert decide(worker(item="焊工"), found(expired_hv, valid_welding), AS_OF).status is Status.VALID
    finding = decide(worker(item="高压电工"), found(expired_hv, valid_welding), AS_OF)
    assert finding.reason is Reason.VALIDITY_ENDED
    assert finding.decisive == expired_hv
    assert len(finding.certificates) == 2


def test_valid_certificate_wins_over_expired_one_for_same_item() -> None:
    old = record(valid_until=date(2019, 1, 1))
    new = record(valid_until=date(2031, 1, 1), review_due=date(2028, 1, 1))
    finding = decide(worker(item="低压电工"), found(old, new), AS_OF)
    assert finding.status is Status.VALID
    assert finding.decisive == new


def test_no_item_declared_any_valid_certificate_will_do() -> None:
    r = record(item="司钻作业", category="石油天然气安全作业")
    assert decide(worker(), found(r), AS_OF).status is Status.VALID


def test_cert_number_matches_with_or_without_leading_t() -> None:
    id_number = make_id()
    r = record(cert_number="T" + id_number)
    assert decide(worker(cert_number=id_number), found(r), AS_OF).status is Status.VALID
    r2 = record(cert_number=id_number)
    assert decide(worker(cert_number="t" + id_number), found(r2), AS_OF).status is Status.VALID
    assert cert_key(" T5003 81 ") == "500381"


def test_empty_official_number_means_the_id_number() -> None:
    id_number = make_id()
    r = record(cert_number="")
    assert decide(worker(cert_number="T" + id_number), found(r), AS_OF).status is Status.VALID


def test_name_compared_after_normalising_middle_dots_and_spaces() -> None:
    r = record(name="买买提·艾力")
    assert decide(worker(name="买买提・艾力"), found(r), AS_OF).status is Status.VALID
    assert decide(worker(name="买买提 • 艾力"), found(r), AS_OF).status is Status.VALID


def test_name_mismatch_when_only_other_names_found() -> None:
    finding = decide(worker(), found(record(name="李四"), record(name="王五")), AS_OF)
    assert finding.status is Status.FAKE
    assert "李四" in (finding.detail or "")


def test_category_only_record_decides_no_particular_item() -> None:
    r = record(item="", category="电工作业")
    finding = decide(worker(item="高压电工"), found(r), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录只有作业类别，没有操作项目，不能判定是否覆盖该项目"
    # A category that does not hold the item rules it out: the person holds nothing for it.
    welding = record(item="", category="焊接与热切割作业")
    assert decide(worker(item="高压电工"), found(welding), AS_OF).reason is Reason.ITEM_NOT_COVERED
    # With no item declared, any certificate will do, a category-only one too.
    assert decide(worker(), found(r), AS_OF).status is Status.VALID


def test_unknown_item_is_never_judged_uncovered() -> None:
    finding = decide(worker(item="管道疏通工"), found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNKNOWN_ITEM)
    assert WarningCode.UNKNOWN_ITEM in finding.warnings
    assert finding.detail == "持有: 低压电工作业"
    # A record naming the very same item decides it, by its dates.
    same = record(item="管道疏通工", category="")
    assert decide(worker(item="管道疏通工"), found(same), AS_OF).status is Status.VALID


def test_due_soon_for_review_and_expiry_windows() -> None:
    soon = record(review_due=AS_OF + timedelta(days=59))
    assert WarningCode.DUE_SOON in decide(worker(), found(soon), AS_OF).warnings
    later = record(review_due=AS_OF + timedelta(days=61))
    assert WarningCode.DUE_SOON not in decide(worker(), found(later), AS_OF).warnings
    assert WarningCode.DUE_SOON in decide(worker(), found(later), AS_OF, warn_days=90).warnings
    reviewed = record(review_due=AS_OF + timedelta(days=10), reviewed=AS_OF - timedelta(days=5))
    assert WarningCode.DUE_SOON not in decide(worker(), found(reviewed), AS_OF).warnings


def test_roster_outdated_when_declared_dates_differ() -> None:
    r = record(valid_until=date(2028, 5, 1))
    assert WarningCode.ROSTER_OUTDATED in decide(
        worker(valid_until=date(2027, 5, 1)), found(r), AS_OF
    ).warnings
    assert WarningCode.ROSTER_OUTDATED not in decide(
        worker(valid_until=date(2028, 5, 1)), found(r), AS_OF
    ).warnings


def test_duplicate_warning_is_passed_through() -> None:
    finding = decide(worker(), found(record()), AS_OF, duplicate=True)
    assert finding.status is Status.VALID
    assert finding.warnings == (WarningCode.DUPLICATE_ID,)


def test_missing_id_is_missing_field() -> None:
    w = Worker(row=3, name="张三", id_number=None, id_problem=IdProblem.MISSING)
    assert decide(w, None, AS_OF).reason is Reason.MISSING_FIELD
