"""Red-team findings on the special-equipment lookup, several sources and ``--scope``
(docs/red-team-samr.md): each test is one attack that once gave a verdict from a value the
tool did not understand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from certcheck.models import CertRecord, Query
from certcheck.sources.samr_answer import Kind, read_list, read_single
from factories import nth_id
from samr_server import lic_record
from test_several_sources import Lookups, stand_ins, verdicts, worker

__all__ = ["stand_ins"]  # the fixture, shared with the several-sources tests

FORKLIFT, OTHER = nth_id(41, born="19800101"), nth_id(42, born="19800101")
QUERY = Query(FORKLIFT, "甲")


def _record(status: str) -> CertRecord:
    return CertRecord(name="甲", id_number=FORKLIFT, cert_number="TS1", category=None,
                      item="叉车司机", first_issued=None, valid_from=date(2024, 1, 1),
                      valid_until=date(2028, 1, 1), review_due=None, reviewed=None,
                      issuer=None, status_text=status)


# --- validFlag --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["有效", "正常", "validFlag:有效"])
def test_a_status_shown_with_its_unmapped_key_says_nothing(flag: str) -> None:
    assert not _record(f"validFlag:{flag}").status_understood
    assert _record("有效").status_understood  # a plain status word still reads


def test_a_validflag_word_never_makes_a_forklift_driver_valid(
        stand_ins: Callable[..., Lookups]) -> None:
    lookups = stand_ins(samr_records={FORKLIFT: [lic_record("甲", FORKLIFT, flag="有效")]})
    code, data, said = lookups.verify([("甲", FORKLIFT, "", "叉车司机")], sources="samr")
    assert code == 3, said
    assert verdicts(data)["甲"] == ("unverified", "record_incomplete")
    assert "validFlag:有效" in worker(data, "甲")["detail"]


# --- an empty list is "none" only when nothing beside it says otherwise ----------------------


def test_an_empty_list_beside_a_captcha_expired_message_is_not_nothing_found(
        stand_ins: Callable[..., Lookups]) -> None:
    lookups = stand_ins(samr_records={OTHER: [lic_record("乙", OTHER)]})
    lookups.samr.raw = {FORKLIFT: {"list": {"licList": [], "errmsg": "验证码已过期，请重新验证"}}}
    code, data, said = lookups.verify([("甲", FORKLIFT, "", "叉车司机")], sources="samr")
    assert code == 3, said
    assert verdicts(data)["甲"] == ("unverified", "unrecognized_response")
    assert "验证码已过期" in worker(data, "甲")["detail"]


@pytest.mark.parametrize("errcode", ["ERR", "E01", True, 1.5])
def test_an_errcode_that_is_no_number_is_no_success(errcode: object) -> None:
    listed = read_list({"errcode": errcode, "licList": []}, QUERY)
    assert listed.kind is Kind.UNRECOGNIZED
    assert "errcode" in (listed.problem or "")
    single = read_single({"errcode": errcode, "messageText": "未查询到相关信息"}, QUERY)
    assert single.kind is Kind.UNRECOGNIZED


def test_an_empty_list_with_nothing_else_is_still_nothing_found() -> None:
    assert read_list({"errcode": 0, "errmsg": "", "licList": []}, QUERY).kind is Kind.NOT_FOUND
    assert read_list({"licList": [], "errmsg": "成功"}, QUERY).kind is Kind.NOT_FOUND


# --- --scope never leaves out an item it does not understand ---------------------------------


def test_an_item_the_catalog_does_not_know_is_never_out_of_scope(
        stand_ins: Callable[..., Lookups]) -> None:
    lookups = stand_ins(samr_records={FORKLIFT: [lic_record("甲", FORKLIFT)],
                                      OTHER: [lic_record("乙", OTHER)]})
    code, data, said = lookups.verify(
        [("甲", FORKLIFT, "", "叉车司机"), ("乙", OTHER, "", "N9")], "--scope", "特种设备",
        sources="samr")
    assert verdicts(data)["甲"] == ("valid", "ok")
    status, reason = verdicts(data)["乙"]
    assert (status, reason) != ("unverified", "out_of_scope")
    assert status == "unverified"
    assert data["verdict"]["total"] == 2 and data["verdict"]["out_of_scope"] == 0
    assert code == 3, said


def test_an_unknown_item_beside_an_in_scope_one_is_not_said_to_be_left_out(
        stand_ins: Callable[..., Lookups]) -> None:
    lookups = stand_ins(samr_records={OTHER: [lic_record("乙", OTHER)]})
    code, data, said = lookups.verify([("乙", OTHER, "", "叉车司机、N9")], "--scope", "特种设备",
                                      sources="samr")
    assert code == 3, said
    assert verdicts(data)["乙"][0] == "unverified"
    assert "不在本次核验范围" not in (worker(data, "乙")["detail"] or "")
