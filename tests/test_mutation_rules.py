"""Findings at the edges the rule-table tests leave open: the detail text a user reads, the
warnings, which record is decisive, and the boundary days (docs/mutation.md).

Every expected value is written out; none is read back from certcheck.rules.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from certcheck.models import (
    CertNumber,
    CertRecord,
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


# ---- the evidence gate: a cell not understood -------------------------------------------

_NOT_A_DATE = "不是可识别的日期"


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("cert_number", "证号"),
        ("category", "作业类别"),
        ("item", "操作项目"),
        ("issuer", "发证机关"),
        ("first_issued", "初领日期"),
        ("valid_from", "有效期开始日期"),
        ("valid_until", "有效期结束日期"),
        ("review_due", "应复审日期"),
        ("reviewed", "实际复审日期"),
    ],
)
def test_a_row_with_a_cell_not_understood_is_still_looked_up(field: str, column: str) -> None:
    # Without the cell, the row is another authority's (a forklift item, or a construction
    # number when the item is the cell not understood) and would not be asked for. With it, it
    # is: its verdict is unverified, and the records found help mend the cell.
    declared: dict[str, object] = (
        {"item": "叉车司机"} if field != "item" else {"cert_number": CONSTRUCTION_NUMBER}
    )
    assert needs_lookup(worker(**declared), SourceTraits()) is False
    cell = Unreadable(column, "2026.13.01", _NOT_A_DATE, row=2)
    assert needs_lookup(worker(**declared, **{field: cell}), SourceTraits()) is True


def test_a_row_decided_by_a_cell_not_understood_keeps_what_the_source_sent() -> None:
    item = Unreadable("操作项目", "#REF!", "是错误值", row=2)
    row = worker(item=item)
    held = record()
    sent = found(held)
    finding = decide(row, sent, AS_OF, duplicate=True)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNREADABLE_CELL)
    assert finding.detail == "操作项目“#REF!”是错误值"
    # the register shows the records found, which help mend the cell, and no record decides
    assert finding.certificates == (held,)
    assert finding.decisive is None
    assert finding.worker is row
    assert finding.answer is sent
    assert finding.warnings == (WarningCode.DUPLICATE_ID,)
    assert decide(row, sent, AS_OF).warnings == ()
    assert decide(row, not_found(), AS_OF).certificates == ()


def test_every_cell_not_understood_is_named_in_the_detail() -> None:
    row = worker(
        cert_number=Unreadable("证号", "#N/A", "是错误值", row=2),
        review_due=Unreadable("应复审日期", "2027.02.30", _NOT_A_DATE, row=2),
    )
    finding = decide(row, found(record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNREADABLE_CELL)
    assert finding.detail == "证号“#N/A”是错误值；应复审日期“2027.02.30”不是可识别的日期"


# ---- what the row claims ----------------------------------------------------------------


def test_a_review_date_alone_claims_a_certificate() -> None:
    for dates in ({"review_due": date(2027, 5, 1)}, {"reviewed": date(2024, 5, 1)}):
        finding = decide(worker(item="低压电工作业", **dates), not_found(), AS_OF)
        assert (finding.status, finding.reason) == (Status.FAKE, Reason.NOT_FOUND), dates
    finding = decide(worker(item="低压电工作业"), not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNCERTIFIED, Reason.NO_CERTIFICATE)


def test_an_end_date_alone_is_recent_when_its_validity_began_within_the_delay() -> None:
    # 特种作业 certificates run six years: ending 2032-11-26, this one began 2026-11-26, within
    # the seven days the national lookup may lag; ending 2032-11-21, it began before them.
    national = SourceTraits(publication_delay=timedelta(days=7))
    recent = worker(item="低压电工作业", valid_until=date(2032, 11, 26))
    finding = decide(recent, not_found(), AS_OF, traits=national)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.TOO_RECENT)
    older = worker(item="低压电工作业", valid_until=date(2032, 11, 21))
    finding = decide(older, not_found(), AS_OF, traits=national)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NOT_FOUND)


def test_an_item_of_a_four_year_regime_is_recent_by_its_own_validity() -> None:
    # A 特种设备 card runs four years: ending 2030-11-27, it began two days ago. The person's
    # other card does not cover the forklift, and the new one may not be published yet.
    traits = SourceTraits(
        regimes=frozenset({Regime.MEM, Regime.SPECIAL_EQUIPMENT}),
        publication_delay=timedelta(days=7),
    )
    row = worker(item="叉车司机", valid_until=date(2030, 11, 27))
    finding = decide(row, found(record()), AS_OF, traits=traits)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.TOO_RECENT)


# ---- another authority's number, or an item another authority may hold ------------------


def test_nothing_found_for_a_row_whose_number_is_another_authoritys() -> None:
    # 低压电工 is this source's item, but the card shown is a construction one: not found here
    # proves nothing, neither fake nor uncertified.
    row = worker(item="低压电工作业", cert_number=CONSTRUCTION_NUMBER)
    finding = decide(row, not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == (
        "证号形如建筑施工特种作业操作资格证（住房城乡建设部门）的证书，本数据源不能核验；"
        "请核对作业项目与所持证书"
    )
    # one of its numbers is comparable: the source should hold that card
    both = CertNumber(
        f"{CONSTRUCTION_NUMBER} T500381199001011232",
        (CONSTRUCTION_NUMBER, "T500381199001011232"),
    )
    finding = decide(worker(item="低压电工作业", cert_number=both), not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NOT_FOUND)


def test_numbers_of_two_other_authorities_are_both_named() -> None:
    numbers = CertNumber(
        f"{CONSTRUCTION_NUMBER} TS3150001", (CONSTRUCTION_NUMBER, "TS3150001")
    )
    finding = decide(worker(item="电工", cert_number=numbers), not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == (
        "证号形如建筑施工特种作业操作资格证（住房城乡建设部门）或特种设备作业人员证"
        "（市场监管部门）的证书，本数据源不能核验；请核对作业项目与所持证书"
    )


def test_nothing_found_for_items_other_authorities_may_hold_names_each() -> None:
    row = worker(item="电工、焊工", first_issued=date(2020, 1, 1))
    finding = decide(row, not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)
    assert finding.detail == (
        "电工：也可能是建筑施工特种作业操作资格证（住房城乡建设部门），本数据源不能核验；"
        "请在作业类别或证号中注明；"
        "焊工：也可能是建筑施工特种作业操作资格证（住房城乡建设部门）或特种设备作业人员证"
        "（市场监管部门），本数据源不能核验；请在作业类别或证号中注明"
    )


def test_nothing_found_for_unknown_items_names_them() -> None:
    row = worker(item="低压电工、管道疏通工、配电房值班", cert_number="T500381199001011232")
    finding = decide(row, not_found(), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNKNOWN_ITEM)
    assert finding.detail == (
        "作业项目“管道疏通工、配电房值班”不在目录中；查无记录，所持证书可能由其他部门核发"
    )


# ---- one ID on two rows -----------------------------------------------------------------


def test_an_id_shared_with_another_row_names_its_sheet() -> None:
    row = replace(worker(), sheet="一队", shared_with=(OtherRow(3, "李四", sheet="二队"),))
    finding = decide(row, found(record(name="李四")), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNREADABLE_CELL)
    assert finding.detail == (
        "身份证号与工作表“二队”第 3 行“李四”的相同，官方记录是“李四”的；多半是复制粘贴错了，请核对"
    )
    same_sheet = replace(row, shared_with=(OtherRow(3, "李四", sheet="一队"),))
    assert decide(same_sheet, found(record(name="李四")), AS_OF).detail == (
        "身份证号与第 3 行“李四”的相同，官方记录是“李四”的；多半是复制粘贴错了，请核对"
    )


def test_an_id_shared_with_a_row_whose_name_had_a_marker() -> None:
    # The other row's cell said 李娜（外协）, and so does the record.
    other = OtherRow(3, "李娜", written_name="李娜（外协）")
    row = replace(worker(), shared_with=(other,))
    finding = decide(row, found(record(name="李娜（外协）")), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNREADABLE_CELL)


def test_an_id_shared_with_another_row_is_judged_on_the_workers_own_record() -> None:
    row = replace(worker(), shared_with=(OtherRow(3, "李四"),))
    finding = decide(row, found(record(), record(name="李四")), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_an_id_shared_with_another_row_whose_record_names_a_third_person() -> None:
    # The record is neither this worker's nor the other row's: no pasting error explains it.
    row = replace(worker(), shared_with=(OtherRow(3, "李四"),))
    finding = decide(row, found(record(name="王五")), AS_OF)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NAME_MISMATCH)
    assert finding.detail == "记录姓名: 王五"


# ---- the declared number and the person's records ---------------------------------------


def test_the_card_the_roster_names_decides() -> None:
    named = record(cert_number="A002")
    later = record(cert_number="A003", valid_until=date(2030, 5, 1))
    finding = decide(worker(cert_number="A002"), found(named, later), AS_OF)
    assert (finding.status, finding.decisive) == (Status.VALID, named)
    assert finding.warnings == ()


def test_a_number_of_an_older_card_leaves_the_current_one_deciding() -> None:
    current = record(cert_number="A002")
    older = replace(
        record(cert_number="A001", valid_from=date(2016, 5, 1), valid_until=date(2022, 5, 1)),
        history=True,
    )
    finding = decide(worker(cert_number="A001"), found(current, older), AS_OF)
    assert (finding.status, finding.decisive) == (Status.VALID, current)
    assert finding.warnings == (WarningCode.ROSTER_OUTDATED,)
    finding = decide(worker(cert_number="A002"), found(current, older), AS_OF)
    assert (finding.status, finding.decisive, finding.warnings) == (Status.VALID, current, ())


def test_a_record_without_a_number_proves_no_number_wrong() -> None:
    row = worker(cert_number="T500381199001011232")
    for number in (None, "  "):
        finding = decide(row, found(replace(record(), cert_number=number)), AS_OF)
        assert (finding.status, finding.reason) == (Status.VALID, Reason.OK), number


def test_a_record_without_a_number_is_kept_beside_the_one_the_number_names() -> None:
    # The declared card is the electrician's; the welding card has no number to compare, so it
    # may be the card the row means as well, and it covers the declared item.
    electrician = record(cert_number="A002")
    welding = replace(
        record(item="熔化焊接与热切割作业", category="焊接与热切割作业"), cert_number=None
    )
    row = worker(cert_number="A002", item="熔化焊接与热切割作业")
    finding = decide(row, found(electrician, welding), AS_OF)
    assert (finding.status, finding.reason, finding.decisive) == (Status.VALID, Reason.OK, welding)


def test_an_older_cards_number_after_a_record_without_a_number() -> None:
    current = replace(record(), cert_number=None)
    older = replace(
        record(cert_number="A001", valid_from=date(2016, 5, 1), valid_until=date(2022, 5, 1)),
        history=True,
    )
    finding = decide(worker(cert_number="A001"), found(current, older), AS_OF)
    assert (finding.status, finding.decisive) == (Status.VALID, current)
    assert finding.warnings == (WarningCode.ROSTER_OUTDATED,)


def test_a_number_on_a_record_that_may_be_the_persons_is_no_mismatch_and_not_outdated() -> None:
    # The declared number is on a record whose holder's name was garbled: not a wrong number,
    # and not an older card either.
    own = record(cert_number="A003")
    maybe = record(name="张?", cert_number="A002")
    finding = decide(worker(cert_number="A002"), found(own, maybe), AS_OF)
    assert (finding.status, finding.reason, finding.decisive) == (Status.VALID, Reason.OK, own)
    assert finding.warnings == ()


# ---- whose record it is -----------------------------------------------------------------


def test_a_record_in_the_name_as_the_cell_wrote_it_is_the_workers() -> None:
    row = replace(worker(name="张伟"), written_name="张伟2")
    finding = decide(row, found(record(name="张伟2")), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_a_record_naming_one_of_two_pasted_names_decides_nothing() -> None:
    finding = decide(worker(name="王小明·李小红"), found(record(name="王小明")), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == (
        "官方记录的姓名“王小明”只是花名册姓名“王小明·李小红”的一部分（一格中可能写了两个人），"
        "不能判定"
    )
    # the second name of the cell is as much a part as the first
    finding = decide(worker(name="王小明·李小红"), found(record(name="李小红")), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    # a record in a name that is none of the parts is someone else's
    finding = decide(worker(name="阿依古丽·买买提"), found(record(name="李四")), AS_OF)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NAME_MISMATCH)


def test_records_in_other_names_beside_the_workers_are_named() -> None:
    welding = record(item="熔化焊接与热切割作业", category="焊接与热切割作业")
    answer = found(welding, record(name="张小三"), record(name="李三"))
    finding = decide(worker(item="低压电工作业"), answer, AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == (
        "覆盖该项目的官方记录登记的姓名是“张小三、李三”，不能确定是本人（曾用名？），不能判定"
    )


def test_a_record_in_a_garbled_name_decides_nothing() -> None:
    finding = decide(worker(item="低压电工作业"), found(record(name="张?")), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录中有乱码（? 或 �），不能判定"


@pytest.mark.parametrize("name", ["", " ", "·"])
def test_a_record_whose_name_has_no_letter_accuses_nobody(name: str) -> None:
    # A name with nothing in it to compare was not understood: never a name mismatch (fake).
    finding = decide(worker(item="低压电工作业"), found(record(name=name)), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_a_record_in_a_name_of_dots_alone_is_quoted() -> None:
    finding = decide(worker(item="低压电工作业"), found(record(name="·")), AS_OF)
    assert finding.detail == (
        "覆盖该项目的官方记录登记的姓名是“·”，不能确定是本人（曾用名？），不能判定"
    )


# ---- what a record covers ---------------------------------------------------------------


def test_a_garbled_official_item_or_category_covers_nothing_for_sure() -> None:
    garbled_item = record(item="低压电?作业")
    garbled_category = record(item=None, category="电工?业")
    for held in (garbled_item, garbled_category):
        finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
        assert (finding.status, finding.reason) == (
            Status.UNVERIFIED, Reason.RECORD_INCOMPLETE,
        ), held
        assert finding.detail == "官方记录中有乱码（? 或 �），不能判定"
    # nor does it match an unknown declared item written with the same lost character
    for held in (record(item="配电?值班", category=None), record(item=None, category="配电?值班")):
        finding = decide(worker(item="配电?值班"), found(held), AS_OF)
        assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNKNOWN_ITEM), held


def test_an_official_item_that_may_be_another_decides_nothing() -> None:
    unknown = decide(worker(item="低压电工作业"), found(record(item="配电房值班")), AS_OF)
    assert (unknown.status, unknown.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert unknown.detail == "官方记录的操作项目“配电房值班”不在目录中，不能判定是否覆盖该项目"
    two = found(record(item="配电房值班"), record(item="值班电工"))
    assert decide(worker(item="低压电工作业"), two, AS_OF).detail == (
        "官方记录的操作项目“值班电工、配电房值班”不在目录中，不能判定是否覆盖该项目"
    )
    broad = decide(worker(item="低压电工作业"), found(record(item="电工作业")), AS_OF)
    assert (broad.status, broad.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert broad.detail == "官方记录的操作项目“电工作业”可指多个作业项目，不能判定是否覆盖该项目"


def test_only_a_history_record_covers_the_item() -> None:
    older = replace(record(), history=True)
    finding = decide(worker(item="低压电工作业"), found(older), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "只有历史数据中的证书覆盖该项目，历史记录不作判定"


def test_an_unknown_item_is_covered_by_a_record_whose_category_has_its_name() -> None:
    held = record(item=None, category="管道疏通工")
    finding = decide(worker(item="管道疏通工"), found(held), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)
    assert finding.warnings == (WarningCode.UNKNOWN_ITEM,)


def test_a_record_of_another_item_listed_first_does_not_hide_the_covering_one() -> None:
    welding = record(item="熔化焊接与热切割作业", category="焊接与热切割作业")
    finding = decide(worker(item="低压电工作业"), found(welding, record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


# ---- a record's dates on the as-of day ----------------------------------------------------


def test_a_card_first_issued_after_the_as_of_day_did_not_exist_yet() -> None:
    later = record(valid_from=date(2027, 1, 1))
    no_start = replace(record(valid_from=None), first_issued=date(2027, 1, 1))
    for held in (later, no_start):
        finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
        assert (finding.status, finding.reason) == (
            Status.UNCERTIFIED, Reason.ITEM_NOT_COVERED,
        ), held
    # issued on the as-of day, it exists
    today = replace(record(), first_issued=AS_OF, valid_from=AS_OF)
    assert decide(worker(item="低压电工作业"), found(today), AS_OF).reason is Reason.OK
    # listed first, a card not issued yet does not hide the one the worker holds
    finding = decide(worker(item="低压电工作业"), found(later, record()), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_a_card_without_a_start_of_validity_decides() -> None:
    finding = decide(worker(item="低压电工作业"), found(record(valid_from=None)), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_a_card_issued_after_the_as_of_day_but_valid_from_before_contradicts_itself() -> None:
    held = replace(record(), first_issued=date(2027, 1, 1))
    finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == (
        "官方记录的初领日期 2027-01-01 晚于核验日，有效期却自 2022-05-01 起，记录自相矛盾，不能判定"
    )
    with_origin = replace(held, origin="registry.csv 第 12 行")
    assert decide(worker(item="低压电工作业"), found(with_origin), AS_OF).detail == (
        "官方记录的初领日期 2027-01-01 晚于核验日，有效期却自 2022-05-01 起，记录自相矛盾，"
        "不能判定（registry.csv 第 12 行）"
    )
    # valid from the as-of day itself, it still began by then
    from_today = replace(record(), first_issued=date(2026, 11, 30), valid_from=AS_OF)
    finding = decide(worker(item="低压电工作业"), found(from_today), AS_OF)
    assert finding.detail == (
        "官方记录的初领日期 2026-11-30 晚于核验日，有效期却自 2026-11-29 起，记录自相矛盾，不能判定"
    )


def test_a_card_of_an_unknown_item_issued_on_the_as_of_day_is_no_contradiction() -> None:
    held = replace(record(item="配电房值班", category=None), first_issued=AS_OF, valid_from=AS_OF)
    finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
    assert finding.detail == "官方记录的操作项目“配电房值班”不在目录中，不能判定是否覆盖该项目"


def test_a_card_valid_from_after_the_as_of_day_decides_nothing() -> None:
    held = replace(record(valid_from=date(2026, 12, 9)), first_issued=date(2020, 12, 9))
    finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录的有效期自 2026-12-09 起，核验日当时的状态未显示"
    # valid from the as-of day itself
    today = replace(record(valid_from=AS_OF, review_due=None), first_issued=date(2020, 12, 9))
    finding = decide(worker(item="低压电工作业"), found(today), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_a_lapsed_status_needs_the_dates_to_show_why() -> None:
    in_force = replace(record(valid_from=date(2025, 1, 1), review_due=None), status_text="失效")
    finding = decide(worker(item="低压电工作业"), found(in_force), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "证书状态“失效”，但官方记录的日期显示仍在有效期内，二者不符"
    ended = replace(
        record(valid_from=date(2020, 1, 1), valid_until=date(2026, 1, 1), review_due=None),
        status_text="失效",
    )
    finding = decide(worker(item="低压电工作业"), found(ended), AS_OF)
    assert (finding.status, finding.reason) == (Status.EXPIRED, Reason.VALIDITY_ENDED)


def test_dates_before_the_start_of_validity_contradict_the_record() -> None:
    ends_before = record(valid_from=date(2022, 5, 1), valid_until=date(2021, 5, 1), review_due=None)
    due_before = record(valid_from=date(2022, 5, 1), review_due=date(2021, 5, 1))
    for held in (ends_before, due_before):
        finding = decide(worker(item="低压电工作业"), found(held), AS_OF)
        assert (finding.status, finding.reason) == (
            Status.UNVERIFIED, Reason.RECORD_INCOMPLETE,
        ), held
        assert finding.detail == "官方记录的结束或应复审日期早于有效期开始日期，日期自相矛盾"
    # on the start day itself they do not
    due_on_start = record(valid_from=date(2022, 5, 1), review_due=date(2022, 5, 1))
    finding = decide(worker(item="低压电工作业"), found(due_on_start), AS_OF)
    assert (finding.status, finding.reason) == (Status.EXPIRED, Reason.REVIEW_OVERDUE)
    one_day = record(valid_from=AS_OF, valid_until=AS_OF, review_due=None)
    finding = decide(worker(item="低压电工作业"), found(one_day), AS_OF)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)


def test_a_lapsed_record_without_an_end_date_lacks_the_date() -> None:
    # 失效 beside dates that cannot show the state: the missing date is what is wrong, not a
    # contradiction between status and dates.
    lapsed = replace(record(valid_until=None), status_text="失效")
    finding = decide(worker(item="低压电工作业"), found(lapsed), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录缺少有效期结束日期"


def test_a_review_recorded_after_the_as_of_day_had_not_happened_then() -> None:
    later = record(review_due=date(2026, 5, 1), reviewed=date(2026, 12, 1))
    finding = decide(worker(), found(later), AS_OF)
    assert (finding.status, finding.reason) == (Status.EXPIRED, Reason.REVIEW_OVERDUE)
    on_the_day = record(review_due=date(2026, 5, 1), reviewed=AS_OF)
    assert decide(worker(), found(on_the_day), AS_OF).reason is Reason.OK
    # a review due in 20 days and recorded for five days on is still due soon on the as-of day
    soon = record(review_due=date(2026, 12, 19), reviewed=date(2026, 12, 4))
    finding = decide(worker(), found(soon), AS_OF)
    assert (finding.reason, finding.warnings) == (Reason.OK, (WarningCode.DUE_SOON,))


# ---- records of another regime ----------------------------------------------------------

WITH_SPECIAL_EQUIPMENT = SourceTraits(regimes=frozenset({Regime.MEM, Regime.SPECIAL_EQUIPMENT}))


def test_a_special_equipment_card_needs_no_review_date() -> None:
    # Only the item says it is a 特种设备 card; its regime has no 3-year review.
    forklift = record(item="叉车司机", category=None, review_due=None)
    finding = decide(worker(item="叉车司机"), found(forklift), AS_OF, traits=WITH_SPECIAL_EQUIPMENT)
    assert (finding.status, finding.reason, finding.decisive) == (Status.VALID, Reason.OK, forklift)


def test_of_two_special_equipment_cards_the_later_ending_one_decides() -> None:
    later = record(item="叉车司机", category=None, review_due=None, valid_until=date(2030, 1, 1))
    earlier = record(
        item="叉车司机", category=None, review_due=date(2027, 1, 1), valid_until=date(2029, 1, 1)
    )
    answer = found(earlier, later)
    finding = decide(worker(item="叉车司机"), answer, AS_OF, traits=WITH_SPECIAL_EQUIPMENT)
    assert (finding.status, finding.decisive) == (Status.VALID, later)


def test_a_special_equipment_category_spares_a_card_of_an_unknown_item_the_review() -> None:
    # 场车驾驶 is no catalog name, but the record's category is 特种设备's.
    held = record(item="场车驾驶", category="场（厂）内专用机动车辆作业", review_due=None)
    finding = decide(worker(item="场车驾驶"), found(held), AS_OF, traits=WITH_SPECIAL_EQUIPMENT)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)
