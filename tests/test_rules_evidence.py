"""Verdicts the evidence must support: no false accusation, no false pass.

Each test states what a safety officer would see for one worker, with the expected status and
reason written out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from certcheck.models import (
    CertNumber,
    Failed,
    FailureKind,
    Reason,
    Regime,
    SourceTraits,
    WarningCode,
)
from certcheck.rules import decide, needs_lookup
from factories import AS_OF, answer, found, make_id, not_found, record, worker

MEM = SourceTraits()
WITH_SE = SourceTraits(regimes=frozenset({Regime.MEM, Regime.SPECIAL_EQUIPMENT}))
NATIONAL = SourceTraits(publication_delay=timedelta(days=7))


def verdict(w, ans, traits=MEM, **kw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    finding = decide(w, ans, AS_OF, traits=traits, **kw)
    return finding.status.value, finding.reason.value


# ---- several items in one cell -----------------------------------------------------------

LOW_VOLTAGE = record(item="低压电工作业", category="电工作业")
WELDING = record(item="熔化焊接与热切割作业", category="焊接与热切割作业")
HEIGHTS = record(item="登高架设作业", category="高处作业")


@pytest.mark.parametrize(
    "cell",
    ["低压电工作业、熔化焊接与热切割作业", "电工/焊工", "低压电工，焊工", "低压电工 焊工", "电工;焊工"],
)
def test_every_item_of_a_cell_must_be_covered(cell: str) -> None:
    assert verdict(worker(item=cell), found(LOW_VOLTAGE, WELDING)) == ("valid", "ok")
    # A T-number is a 特种作业 certificate's: 焊工 is then the 特种作业 item, and not covered.
    mem_card = worker(item=cell, cert_number="T" + make_id())
    finding = decide(mem_card, found(LOW_VOLTAGE), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("uncertified", "item_not_covered")
    # The detail names the item that is not covered.
    assert "焊" in (finding.detail or "")
    # With nothing on the row to say which welder's card (焊工 may hold 特种设备's or 建筑施工's),
    # a source of 特种作业 only cannot call the welder uncertified.
    if "熔化焊接" not in cell:
        assert verdict(worker(item=cell), found(LOW_VOLTAGE)) == ("unverified", "other_authority")


def test_most_serious_item_wins_expired_over_valid() -> None:
    old_welding = replace(WELDING, valid_until=AS_OF - timedelta(days=1))
    w = worker(item="低压电工、焊工")
    assert verdict(w, found(LOW_VOLTAGE, old_welding)) == ("expired", "validity_ended")


def test_most_serious_item_wins_uncertified_over_expired() -> None:
    old_welding = replace(WELDING, valid_until=AS_OF - timedelta(days=1))
    w = worker(item="焊工、登高架设")
    assert verdict(w, found(old_welding)) == ("uncertified", "item_not_covered")


def test_catalog_name_with_a_separator_inside_is_one_item() -> None:
    r = record(item="高处安装、维护、拆除作业", category="高处作业")
    assert verdict(worker(item="高处安装、维护、拆除作业"), found(r)) == ("valid", "ok")


# ---- item matching ---------------------------------------------------------------------


def test_no_cover_by_prefix() -> None:
    # 低压锅炉工 is a boiler operator, not a low-voltage electrician.
    assert verdict(worker(item="低压锅炉工"), found(LOW_VOLTAGE)) != ("valid", "ok")
    # 高处作业吊篮安装拆卸工 is a construction certificate, not 登高架设.
    assert verdict(worker(item="高处作业吊篮安装拆卸工"), found(HEIGHTS)) == (
        "unverified",
        "other_authority",
    )


@pytest.mark.parametrize(
    ("everyday", "official", "category"),
    [
        ("爆破工", "煤矿井下爆破作业", "煤矿安全作业"),
        ("爆破工", "金属非金属矿山爆破作业", "金属非金属矿山安全作业"),
        ("安全检查工", "煤矿安全检查作业", "煤矿安全作业"),
        ("安全检查工", "金属非金属矿山安全检查作业", "金属非金属矿山安全作业"),
        ("提升机司机", "煤矿提升机操作作业", "煤矿安全作业"),
        ("提升机司机", "金属非金属矿山提升机操作作业", "金属非金属矿山安全作业"),
    ],
)
def test_names_of_two_sectors_are_covered_by_either(
    everyday: str, official: str, category: str
) -> None:
    r = record(item=official, category=category)
    assert verdict(worker(item=everyday), found(r)) == ("valid", "ok")


# ---- other authorities ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "authority"),
    [
        ("叉车司机", "市场监管部门"),
        ("起重机司机", "市场监管部门"),
        ("锅炉工", "市场监管部门"),
        ("电梯维修工", "市场监管部门"),
        ("建筑电工", "住房城乡建设部门"),
        ("建筑架子工", "住房城乡建设部门"),
        ("塔吊司机", "住房城乡建设部门"),
    ],
)
def test_items_of_other_authorities_are_not_fakes(item: str, authority: str) -> None:
    w = worker(item=item, cert_number="T" + make_id())
    finding = decide(w, not_found(), AS_OF, traits=MEM)
    assert (finding.status.value, finding.reason.value) == ("unverified", "other_authority")
    assert authority in (finding.detail or "")
    assert not needs_lookup(w, MEM)


def test_a_registry_holding_the_regime_decides_it() -> None:
    forklift = record(item="叉车司机", category="场（厂）内专用机动车辆作业")
    w = worker(item="叉车司机")
    assert needs_lookup(w, WITH_SE)
    assert verdict(w, found(forklift), WITH_SE) == ("valid", "ok")
    assert verdict(w, not_found(), WITH_SE) == ("uncertified", "no_certificate")


def test_ambiguous_electrician_stays_with_mem() -> None:
    assert verdict(worker(item="电工"), found(LOW_VOLTAGE)) == ("valid", "ok")


@pytest.mark.parametrize(
    "declared",
    [
        {"item": "电工", "category": "建筑施工特种作业"},
        {"item": "电工", "cert_number": "渝A042021000123"},
        {"item": "电工", "issuer": "重庆市城乡建设委员会"},
        {"item": "焊工", "cert_number": "TS3150001"},
    ],
)
def test_category_number_or_issuer_sends_an_ambiguous_name_elsewhere(declared: dict) -> None:
    assert verdict(worker(**declared), not_found()) == ("unverified", "other_authority")


def test_mixed_row_looks_up_its_mem_item_and_stays_unverified_for_the_other() -> None:
    w = worker(item="低压电工、叉车司机")
    assert needs_lookup(w, MEM)
    finding = decide(w, found(LOW_VOLTAGE), AS_OF, traits=MEM)
    assert (finding.status.value, finding.reason.value) == ("unverified", "other_authority")
    assert finding.detail == (
        "低压电工：有效；叉车司机：未核验（证书归其他部门核发，本数据源不能核验） "
        "属于特种设备作业人员证，由市场监管部门核发，本数据源不能核验"
    )
    # The MEM item that is missing is still a violation.
    assert verdict(worker(item="高压电工、叉车司机"), found(LOW_VOLTAGE)) == (
        "uncertified",
        "item_not_covered",
    )


def test_foreign_number_is_not_compared_and_not_a_claim() -> None:
    # One row for an electrician who also drives a forklift, with the forklift card's number.
    w = worker(item="低压电工、叉车司机", cert_number="TS3150001")
    assert verdict(w, found(LOW_VOLTAGE)) == ("unverified", "other_authority")
    assert verdict(w, not_found()) == ("uncertified", "no_certificate")


# ---- revoked, incomplete, too recent ----------------------------------------------------


@pytest.mark.parametrize("state", ["吊销", "撤销", "注销", "无效", "已注销"])
def test_revoked_certificates_do_not_count(state: str) -> None:
    r = replace(LOW_VOLTAGE, status_text=state)
    assert verdict(worker(item="低压电工"), found(r)) == ("uncertified", "revoked")


def test_a_revoked_certificate_beside_a_valid_one_does_not_matter() -> None:
    revoked = replace(LOW_VOLTAGE, status_text="吊销", valid_until=date(2031, 1, 1))
    assert verdict(worker(), found(revoked, LOW_VOLTAGE)) == ("valid", "ok")


def test_status_text_valid_counts_as_valid() -> None:
    assert verdict(worker(), found(replace(LOW_VOLTAGE, status_text="有效"))) == ("valid", "ok")


def test_record_without_end_date_is_never_valid_forever() -> None:
    r = replace(LOW_VOLTAGE, valid_until=None, origin="registry.csv 第 7 行")
    finding = decide(worker(), found(r), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("unverified", "record_incomplete")
    assert finding.detail == "官方记录缺少有效期结束日期（registry.csv 第 7 行）"


def test_record_without_review_date_once_a_review_is_due() -> None:
    started = AS_OF - timedelta(days=4 * 365)
    r = replace(LOW_VOLTAGE, valid_from=started, first_issued=started, review_due=None)
    finding = decide(worker(), found(r), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("unverified", "record_incomplete")
    assert "应复审日期" in (finding.detail or "")


def test_record_without_review_date_in_its_first_three_years_is_valid() -> None:
    started = AS_OF - timedelta(days=365)
    r = replace(LOW_VOLTAGE, valid_from=started, first_issued=started, review_due=None)
    assert verdict(worker(), found(r)) == ("valid", "ok")


def test_an_ended_record_is_expired_even_without_review_date() -> None:
    r = replace(LOW_VOLTAGE, valid_until=AS_OF - timedelta(days=1), review_due=None)
    assert verdict(worker(), found(r)) == ("expired", "validity_ended")


def test_in_force_certificate_wins_over_a_later_ending_one_overdue_for_review() -> None:
    overdue = record(valid_until=date(2032, 1, 1), review_due=AS_OF - timedelta(days=10))
    in_force = record(valid_until=date(2029, 1, 1), review_due=date(2027, 6, 1))
    finding = decide(worker(), found(overdue, in_force), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("valid", "ok")
    assert finding.decisive == in_force


def test_too_recent_only_within_the_publication_delay() -> None:
    fresh = worker(first_issued=AS_OF - timedelta(days=7))
    assert verdict(fresh, not_found(), NATIONAL) == ("unverified", "too_recent")
    fresh_from = worker(valid_from=AS_OF - timedelta(days=1))
    assert verdict(fresh_from, not_found(), NATIONAL) == ("unverified", "too_recent")
    older = worker(first_issued=AS_OF - timedelta(days=8))
    assert verdict(older, not_found(), NATIONAL) == ("fake", "not_found")
    # A source that publishes at once has no such delay.
    assert verdict(fresh, not_found(), MEM) == ("fake", "not_found")


# ---- failures by type -------------------------------------------------------------------


def test_a_plugin_failure_with_a_verdict_reason_stays_a_failure() -> None:
    sneaky = Failed(Reason.NOT_FOUND, "plugin said so")  # type: ignore[arg-type]
    assert sneaky.kind is FailureKind.LOOKUP_FAILED
    w = worker(cert_number="T" + make_id())
    assert verdict(w, answer(sneaky)) == ("unverified", "lookup_failed")
    as_text = Failed("captcha_failed", "plugin")  # type: ignore[arg-type]
    assert verdict(w, answer(as_text)) == ("unverified", "captcha_failed")


# ---- dates and IDs ----------------------------------------------------------------------


def test_birth_after_as_of_is_invalid_even_if_the_reader_passed_it() -> None:
    born_later = make_id("50038120270101123")
    assert verdict(worker(id_number=born_later), found(record(id_number=born_later))) == (
        "unverified",
        "invalid_id",
    )


def test_review_lookback_is_one_calendar_year() -> None:
    # 2023-03-01 is a calendar year before 2024-03-01, though 366 days.
    due = date(2024, 3, 1)
    on_the_day = record(review_due=due, reviewed=date(2023, 3, 1), valid_until=date(2031, 1, 1))
    assert verdict(worker(), found(on_the_day)) == ("valid", "ok")
    too_early = replace(on_the_day, reviewed=date(2023, 2, 28))
    assert verdict(worker(), found(too_early)) == ("expired", "review_overdue")
    leap_due = record(review_due=date(2024, 2, 29), reviewed=date(2023, 2, 28),
                      valid_until=date(2031, 1, 1))
    assert verdict(worker(), found(leap_due)) == ("valid", "ok")


# ---- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["阿依古丽买买提", "阿依古丽.买买提", "阿依古丽．买买提", "阿依古丽-买买提", "阿依古丽•买买提"]
)
def test_dot_dropped_or_typed_otherwise_is_the_same_name(typed: str) -> None:
    r = record(name="阿依古丽·买买提")
    assert verdict(worker(name=typed), found(r)) == ("valid", "ok")


def test_latin_case_does_not_make_names_differ() -> None:
    assert verdict(worker(name="John SMITH"), found(record(name="JOHN SMITH"))) == ("valid", "ok")


@pytest.mark.parametrize("name", ["张?", "张\ufffd", "？伟"])
def test_unreadable_name_is_not_someone_elses_name(name: str) -> None:
    w = worker(name=name)
    assert w.lookup_key is None
    assert verdict(w, found(record(name="张伟"))) == ("unverified", "name_unreadable")


# ---- declared numbers that prove nothing --------------------------------------------------


def test_a_number_stored_as_a_number_is_not_compared() -> None:
    # The reader gives such a cell no number to compare, only the claim of a certificate.
    w = worker(cert_number=CertNumber("500381199001011000"))
    assert verdict(w, found(record())) == ("valid", "ok")
    assert verdict(w, not_found()) == ("fake", "not_found")


def test_due_soon_boundary_is_exactly_warn_days() -> None:
    at_edge = record(review_due=AS_OF + timedelta(days=60))
    past_edge = record(review_due=AS_OF + timedelta(days=61))
    assert WarningCode.DUE_SOON in decide(worker(), found(at_edge), AS_OF).warnings
    assert WarningCode.DUE_SOON not in decide(worker(), found(past_edge), AS_OF).warnings


# ---- records as the national lookup sends them -------------------------------------------


def test_a_record_without_a_name_is_the_queried_persons() -> None:
    nameless = replace(LOW_VOLTAGE, name=None)
    assert verdict(worker(name="张三"), found(nameless)) == ("valid", "ok")


def test_a_history_record_never_decides_over_a_current_one() -> None:
    current = record(valid_until=AS_OF - timedelta(days=5))
    older_but_listed_valid = replace(record(valid_until=date(2031, 1, 1)), history=True)
    assert verdict(worker(), found(current, older_but_listed_valid)) == (
        "expired", "validity_ended",
    )
    # With nothing but history, nothing decides: an older certificate says nothing certain
    # of today (issue 17: history records never decide).
    assert verdict(worker(), found(replace(current, history=True))) == (
        "unverified", "record_incomplete",
    )


# ---- official values that cannot be read (? or � from a lossy save) -----------------------


def test_an_official_name_that_cannot_be_read_is_no_mismatch_and_no_pass() -> None:
    garbled_name = record(name="张\ufffd")
    assert verdict(worker(), found(garbled_name)) == ("unverified", "record_incomplete")
    # Beside a record with the worker's own name, the readable one decides.
    assert verdict(worker(), found(garbled_name, record())) == ("valid", "ok")


def test_an_official_item_or_status_that_cannot_be_read_decides_nothing() -> None:
    assert verdict(worker(item="低压电工"), found(record(item="低压?电工作业"))) == (
        "unverified", "record_incomplete",
    )
    assert verdict(worker(), found(replace(record(), status_text="有效?"))) == (
        "unverified", "record_incomplete",
    )


def test_an_official_number_that_cannot_be_read_contradicts_nothing() -> None:
    w = worker(cert_number="T" + make_id())
    assert verdict(w, found(record(cert_number="T\ufffd500381"))) == ("valid", "ok")


def test_a_record_whose_holder_is_unsure_clears_a_number_only_if_it_may_carry_it() -> None:
    # The worker's own card is A002; the roster gives A009. A record of the same ID in a name
    # that cannot be read, or in another name, may be the worker's: it clears the mismatch
    # when it carries A009 or shows no number, not when its own number is another one.
    w = worker(cert_number="A009")
    own = record(cert_number="A002")
    for name in ("张?", "张小三"):
        other = record(name=name, cert_number="B001")
        assert verdict(w, found(own, other)) == ("fake", "cert_number_mismatch"), name
        carries = record(name=name, cert_number="A009")
        assert verdict(w, found(own, carries)) == ("valid", "ok"), name
        numberless = replace(record(name=name), cert_number=None)
        assert verdict(w, found(own, numberless)) == ("valid", "ok"), name
    # Alone, a record in a name that cannot be read may not be the worker's: its other number
    # accuses nobody.
    alone = record(name="张?", cert_number="B001")
    assert verdict(w, found(alone)) == ("unverified", "record_incomplete")


@pytest.mark.parametrize(
    "roster_name",
    [
        # 阿依古丽 买买提 and 李小红 pasted into one cell, the first without its dot
        "阿依古丽买买提·李小红",
        # the same with spaces for both: every space became a dot
        "阿依古丽·买买提·李小红",
    ],
)
def test_a_dotted_record_name_that_is_part_of_the_rosters_decides_nothing(
    roster_name: str,
) -> None:
    finding = decide(worker(name=roster_name), found(record(name="阿依古丽·买买提")), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("unverified", "record_incomplete")
    assert finding.detail == (
        f"官方记录的姓名“阿依古丽·买买提”只是花名册姓名“{roster_name}”的一部分"
        "（一格中可能写了两个人），不能判定"
    )
    # Parts in another order are no part of it: someone else's record.
    assert verdict(worker(name=roster_name), found(record(name="李小红·阿依古丽"))) == (
        "fake", "name_mismatch",
    )


def test_traditional_characters_name_the_same_person() -> None:
    # Typed on a traditional-character keyboard: 張偉 is the 张伟 of the ID card.
    assert verdict(worker(name="張偉"), found(record(name="张伟"))) == ("valid", "ok")
    assert verdict(worker(name="劉德華"), found(record(name="刘德华"))) == ("valid", "ok")
    # A different name is still a different name.
    assert verdict(worker(name="張偉"), found(record(name="张伟强"))) == ("fake", "name_mismatch")


def test_a_record_in_another_name_beside_ones_in_the_workers_name_decides_nothing() -> None:
    # The ID holds a low-voltage card in the worker's name and a welding card in another name
    # (a former name?): the welding item is not judged uncovered on that record.
    welding = record(name="张小三", item="熔化焊接与热切割作业", category="焊接与热切割作业")
    finding = decide(worker(item="低压电工、熔化焊接"), found(record(), welding), AS_OF)
    assert (finding.status.value, finding.reason.value) == ("unverified", "record_incomplete")
    assert "张小三" in (finding.detail or "")
    # Alone, a record in another name is someone else's: the ID is not theirs.
    assert verdict(worker(), found(welding)) == ("fake", "name_mismatch")


# ---- an unknown item beside a known category ------------------------------------------------


def test_an_unknown_item_is_not_replaced_by_the_category_beside_it() -> None:
    # 作业类别 电工作业 does not say which electrical work 管道疏通工 is: a low-voltage card
    # neither covers it (valid) nor fails to (expired, uncovered). The item stays unknown.
    w = worker(category="电工作业", item="管道疏通工", cert_number="T" + make_id())
    assert verdict(w, found(LOW_VOLTAGE)) == ("unverified", "unknown_item")
    expired = replace(LOW_VOLTAGE, valid_until=AS_OF - timedelta(days=1))
    assert verdict(w, found(expired)) == ("unverified", "unknown_item")
    assert verdict(w, found(WELDING)) == ("unverified", "unknown_item")
    # A record naming that very item decides it; with no item given, the category is the work.
    assert verdict(w, found(record(item="管道疏通工", category="电工作业"))) == ("valid", "ok")
    assert verdict(worker(category="电工作业"), found(LOW_VOLTAGE)) == ("valid", "ok")
    assert verdict(worker(category="电工作业"), found(WELDING)) == (
        "uncertified", "item_not_covered")
