"""Findings at the edges the rule-table tests leave open: the detail text a user reads, the
warnings, which record is decisive, and the boundary days (docs/mutation.md).

Every expected value is written out; none is read back from certcheck.rules.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from certcheck.models import (
    CertRecord,
    IdProblem,
    Reason,
    Regime,
    SourceTraits,
    Status,
    WarningCode,
    Worker,
)
from certcheck.rules import cert_key, decide, needs_lookup, record_reason, review_outstanding
from factories import AS_OF, failed, found, not_found, record, worker

WITH_CONSTRUCTION = SourceTraits(regimes=frozenset({Regime.MEM, Regime.CONSTRUCTION}))
CONSTRUCTION_NUMBER = "渝A042021000123"


def _bare(**fields: object) -> CertRecord:
    """A record with nothing but what the test gives."""
    base: dict[str, object] = dict(
        name="张三", id_number="500381199001011232", cert_number=None, category=None, item=None,
        first_issued=None, valid_from=None, valid_until=None, review_due=None, reviewed=None,
        issuer=None,
    )
    base.update(fields)
    return CertRecord(**base)  # type: ignore[arg-type]


# ---- person-level rows and their details ------------------------------------------------


def test_missing_id_number_is_missing_field_without_detail() -> None:
    finding = decide(Worker(row=2, name="张三", id_number=None), None, AS_OF)
    assert (finding.status, finding.reason, finding.detail) == (
        Status.UNVERIFIED, Reason.MISSING_FIELD, None,
    )
    finding = decide(Worker(row=2, name="张三", id_number=""), not_found(), AS_OF)
    assert finding.reason is Reason.MISSING_FIELD


def test_missing_marked_id_is_missing_field() -> None:
    marked = replace(worker(), id_problem=IdProblem.MISSING)
    assert decide(marked, None, AS_OF).reason is Reason.MISSING_FIELD


def test_born_on_the_as_of_day_is_a_valid_id() -> None:
    baby = worker(id_number="50038120261129123X")
    finding = decide(baby, not_found(), date(2026, 11, 29))
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.NO_CERTIFICATE)
    assert decide(baby, not_found(), date(2026, 11, 28)).reason is Reason.INVALID_ID


def test_a_foreign_number_alone_sends_the_row_to_another_authority() -> None:
    finding = decide(worker(cert_number=CONSTRUCTION_NUMBER), None, AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == "属于建筑施工特种作业操作资格证，由住房城乡建设部门核发，本数据源不能核验"
    # a source that holds construction certificates looks it up
    finding = decide(worker(cert_number=CONSTRUCTION_NUMBER), None, AS_OF, traits=WITH_CONSTRUCTION)
    assert finding.reason is Reason.LOOKUP_FAILED


def test_other_authority_detail_names_every_item() -> None:
    finding = decide(worker(item="叉车司机、塔吊司机"), None, AS_OF)
    assert finding.reason is Reason.OTHER_AUTHORITY
    assert finding.detail == (
        "叉车司机：属于特种设备作业人员证，由市场监管部门核发，本数据源不能核验；"
        "塔吊司机：属于建筑施工特种作业操作资格证，由住房城乡建设部门核发，本数据源不能核验"
    )


def test_not_looked_up_says_so_and_a_failure_gives_its_own_detail() -> None:
    finding = decide(worker(), None, AS_OF)
    assert (finding.reason, finding.detail) == (Reason.LOOKUP_FAILED, "not looked up")
    finding = decide(worker(), failed(), AS_OF)
    assert (finding.reason, finding.detail) == (Reason.LOOKUP_FAILED, "boom")


def test_unreadable_name_detail() -> None:
    finding = decide(worker(name="张?"), None, AS_OF)
    assert finding.detail == "姓名含 ? 或 � （另存时丢失的汉字），请按身份证核对后重新录入"


def test_too_recent_detail_gives_the_delay() -> None:
    traits = SourceTraits(publication_delay=timedelta(days=7))
    finding = decide(worker(first_issued=date(2026, 11, 25)), not_found(), AS_OF, traits=traits)
    assert finding.reason is Reason.TOO_RECENT
    assert finding.detail == "花名册所填发证日期在 7 天内，新证书可能尚未能在数据源中查到"


def test_nothing_found_has_no_detail() -> None:
    finding = decide(worker(), not_found(), AS_OF)
    assert (finding.reason, finding.detail) == (Reason.NO_CERTIFICATE, None)
    finding = decide(worker(cert_number="T500381199001011232"), not_found(), AS_OF)
    assert (finding.reason, finding.detail) == (Reason.NOT_FOUND, None)


def test_name_mismatch_lists_the_names_on_record() -> None:
    finding = decide(worker(), found(record(name="王五"), record(name="李四")), AS_OF)
    assert finding.reason is Reason.NAME_MISMATCH
    assert finding.detail == "记录姓名: 李四、王五"


def test_dates_of_a_mem_item_claim_a_certificate() -> None:
    row = worker(item="低压电工", valid_until=date(2028, 5, 1))
    finding = decide(row, not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NOT_FOUND)


# ---- per-item rows and their details ----------------------------------------------------


def test_not_covered_lists_what_the_person_holds() -> None:
    held = (
        record(item="高压电工作业", category="电工作业"),
        _bare(category="焊接与热切割作业", valid_until=date(2028, 5, 1)),
        _bare(valid_until=date(2028, 5, 1)),
    )
    finding = decide(worker(item="登高架设"), found(*held), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.ITEM_NOT_COVERED)
    assert finding.detail == "持有: ?、焊接与热切割作业、高压电工作业"
    assert finding.decisive is None


def test_revoked_detail_gives_every_status_and_the_revoked_record_decides() -> None:
    first = replace(record(), status_text="吊销")
    second = replace(record(valid_until=date(2029, 1, 1)), status_text="注销")
    finding = decide(worker(item="低压电工"), found(first, second), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.REVOKED)
    assert finding.detail == "证书状态: 吊销、注销"
    assert finding.decisive == first


def test_expired_has_no_detail() -> None:
    ended = record(valid_until=date(2026, 11, 28))
    finding = decide(worker(), found(ended), AS_OF)
    assert (finding.reason, finding.detail, finding.decisive) == (
        Reason.VALIDITY_ENDED, None, ended,
    )


def test_incomplete_detail_without_origin() -> None:
    old = record(review_due=None, valid_from=date(2020, 1, 1))
    finding = decide(worker(), found(old), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录缺少应复审日期"
    with_origin = replace(old, origin="registry.csv 第 3 行")
    assert decide(worker(), found(with_origin), AS_OF).detail == (
        "官方记录缺少应复审日期（registry.csv 第 3 行）"
    )


def test_several_items_each_get_their_own_verdict_in_the_detail() -> None:
    finding = decide(worker(item="低压电工、熔化焊接"), found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.ITEM_NOT_COVERED)
    assert finding.detail == (
        "低压电工：有效；熔化焊接：无证（所持证书不含该作业项目） 持有: 低压电工作业"
    )


def test_an_item_another_authority_may_hold_names_them_in_the_detail() -> None:
    finding = decide(worker(item="低压电工、架子工"), found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == (
        "低压电工：有效；架子工：未核验（证书归其他部门核发，本数据源不能核验） "
        "架子工：也可能是建筑施工特种作业操作资格证（住房城乡建设部门），本数据源不能核验；"
        "请在作业类别或证号中注明"
    )


def test_a_foreign_item_beside_a_mem_item_names_its_authority() -> None:
    finding = decide(worker(item="低压电工、叉车司机"), found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == (
        "低压电工：有效；叉车司机：未核验（证书归其他部门核发，本数据源不能核验） "
        "属于特种设备作业人员证，由市场监管部门核发，本数据源不能核验"
    )


def test_the_declared_category_alone_is_an_item() -> None:
    finding = decide(worker(category="焊接与热切割作业"), found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.ITEM_NOT_COVERED)


def test_an_unknown_item_is_covered_by_a_record_of_the_same_name() -> None:
    finding = decide(
        worker(item="管道疏通工"), found(record(item="管道疏通工", category=None)), AS_OF
    )
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)
    assert finding.warnings == (WarningCode.UNKNOWN_ITEM,)


# ---- which record decides ---------------------------------------------------------------


def test_of_two_valid_records_the_later_ending_one_decides() -> None:
    earlier = record(valid_until=date(2027, 6, 1))
    later = record(valid_until=date(2028, 6, 1))
    finding = decide(worker(), found(earlier, later), AS_OF)
    assert finding.decisive == later
    assert decide(worker(), found(later, earlier), AS_OF).decisive == later


def test_a_valid_record_wins_over_a_later_ending_incomplete_one() -> None:
    valid = record(valid_until=date(2027, 6, 1))
    incomplete = record(valid_until=date(2030, 6, 1), review_due=None, valid_from=date(2020, 1, 1))
    finding = decide(worker(), found(incomplete, valid), AS_OF)
    assert (finding.reason, finding.decisive) == (Reason.OK, valid)


def test_an_incomplete_record_wins_over_an_overdue_one() -> None:
    incomplete = record(valid_until=None)
    overdue = record(valid_until=date(2030, 6, 1), review_due=date(2026, 1, 1))
    finding = decide(worker(), found(overdue, incomplete), AS_OF)
    assert (finding.reason, finding.decisive) == (Reason.RECORD_INCOMPLETE, incomplete)


# ---- record_reason and review_outstanding at their boundary days ------------------------


def test_review_due_on_the_as_of_day_is_not_yet_overdue() -> None:
    due_today = record(review_due=AS_OF)
    assert record_reason(due_today, AS_OF) is Reason.OK
    assert record_reason(due_today, AS_OF + timedelta(days=1)) is Reason.REVIEW_OVERDUE


def test_first_review_falls_due_three_years_after_the_start() -> None:
    started = _bare(valid_from=date(2023, 11, 29), valid_until=date(2029, 11, 29))
    assert record_reason(started, date(2026, 11, 28)) is Reason.OK
    assert record_reason(started, date(2026, 11, 29)) is Reason.RECORD_INCOMPLETE
    # only the first issue date known
    issued = _bare(first_issued=date(2025, 1, 1), valid_until=date(2031, 1, 1))
    assert record_reason(issued, AS_OF) is Reason.OK
    # only the start of validity known
    begun = _bare(valid_from=date(2025, 1, 1), valid_until=date(2031, 1, 1))
    assert record_reason(begun, AS_OF) is Reason.OK


def test_no_review_date_means_no_review_outstanding() -> None:
    assert review_outstanding(record(review_due=None)) is False
    assert review_outstanding(record(review_due=date(2027, 5, 1))) is True


# ---- warnings ---------------------------------------------------------------------------


def test_due_soon_on_the_last_day_of_the_window() -> None:
    ends = record(valid_until=date(2027, 1, 28), review_due=date(2027, 5, 1))
    assert decide(worker(), found(ends), AS_OF).warnings == (WarningCode.DUE_SOON,)
    review = record(review_due=date(2026, 11, 29))
    assert decide(worker(), found(review), AS_OF).warnings == (WarningCode.DUE_SOON,)


def test_a_plain_valid_finding_has_no_warning_and_keeps_its_inputs() -> None:
    row, answer = worker(), found(record())
    finding = decide(row, answer, AS_OF)
    assert (finding.status, finding.warnings) == (Status.VALID, ())
    assert finding.worker is row
    assert finding.answer is answer


def test_an_expired_finding_still_warns_of_an_outdated_roster() -> None:
    ended = record(valid_until=date(2026, 5, 1))
    row = worker(valid_until=date(2025, 5, 1))
    finding = decide(row, found(ended), AS_OF)
    assert finding.reason is Reason.VALIDITY_ENDED
    assert finding.warnings == (WarningCode.ROSTER_OUTDATED,)


def test_no_record_warnings_when_the_worst_item_has_no_record() -> None:
    soon = record(valid_until=date(2026, 12, 20))
    finding = decide(worker(item="低压电工、熔化焊接"), found(soon), AS_OF)
    assert finding.reason is Reason.ITEM_NOT_COVERED
    assert finding.warnings == ()


# ---- certificate numbers ----------------------------------------------------------------


def test_full_width_certificate_numbers_compare_equal() -> None:
    assert cert_key("Ｔ５００３８１ １９９００１０１１２３２") == "500381199001011232"
    assert cert_key("t500381199001011232") == "500381199001011232"
    row = worker(cert_number="Ｔ５００３８１１９９００１０１１２３２")
    assert decide(row, found(record()), AS_OF).reason is Reason.OK


def test_a_construction_number_is_compared_by_a_source_that_holds_it() -> None:
    held = record(item="建筑电工", category="建筑电工", cert_number=CONSTRUCTION_NUMBER)
    row = worker(item="建筑电工", cert_number="渝A042021000999")
    finding = decide(row, found(held), AS_OF, traits=WITH_CONSTRUCTION)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.CERT_NUMBER_MISMATCH)
    row = worker(item="建筑电工", cert_number=CONSTRUCTION_NUMBER)
    assert decide(row, found(held), AS_OF, traits=WITH_CONSTRUCTION).reason is Reason.OK


# ---- needs_lookup -----------------------------------------------------------------------


def test_needs_lookup() -> None:
    mem = SourceTraits()
    assert needs_lookup(worker(item="低压电工"), mem) is True
    assert needs_lookup(worker(name=None), mem) is False
    assert needs_lookup(worker(item="叉车司机"), mem) is False
    # the number points elsewhere, but the declared category is a MEM one
    assert needs_lookup(worker(category="电工作业", cert_number=CONSTRUCTION_NUMBER), mem) is True
    # nothing declared but a foreign number
    assert needs_lookup(worker(cert_number=CONSTRUCTION_NUMBER), mem) is False
    # the issuer makes 电工 the construction certificate
    assert needs_lookup(worker(item="电工", issuer="重庆市住房和城乡建设委员会"), mem) is False
    assert needs_lookup(
        worker(item="电工", issuer="重庆市住房和城乡建设委员会"), WITH_CONSTRUCTION
    ) is True
