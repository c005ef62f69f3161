"""Reading the answers of a Java/RuoYi backend (issue 18): 证书状态 as a dictionary code, pages
cut short, other frameworks' envelopes, the captcha answer nested or switched off, and dates as
epoch numbers or Java's ``Date.toString()``.

The reading is pure (``mem_answer``); where it could change a verdict the rules are run on it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from certcheck.cache import AnswerCache
from certcheck.models import (
    Answer,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Query,
    Reason,
    Status,
    Worker,
)
from certcheck.rules import decide
from certcheck.sources import mem_mapping as api
from certcheck.sources.mem import Exchange, interpret_captcha, interpret_query
from certcheck.sources.mem_answer import AnswerKind, AnswerReading, read_answer, read_date
from certcheck.vetting import vetted
from factories import AS_OF, CHECKED_AT, make_id, number
from mem_server import CAPTCHA_PNG, api_record

ID = make_id()
QUERY = Query(ID, "张三")


def record(**changes: Any) -> dict[str, Any]:
    """One API record of a certificate in force on AS_OF, changed as given (None drops a key)."""
    base = api_record("张三", ID) | changes
    return {k: v for k, v in base.items() if v is not None}


def read(body: dict[str, Any]) -> AnswerReading:
    return read_answer(body, QUERY)


def only(reading: AnswerReading) -> CertRecord:
    assert reading.kind is AnswerKind.FOUND, (reading.kind, reading.problem)
    (cert,) = reading.cert_records
    return cert


def verdict(*records: CertRecord) -> tuple[Status, Reason, str | None]:
    worker = Worker(row=2, name="张三", id_number=ID,
                    declared=Declared(item="低压电工作业", cert_number=number("T" + ID)))
    finding = decide(worker, Answer(Found(records), "mem", CHECKED_AT), AS_OF)
    return finding.status, finding.reason, finding.detail


def ok(*records: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "msg": "查询成功", "data": list(records)}


# --- 1. 证书状态 as a code ---------------------------------------------------------------------


def test_a_cancelled_certificate_sent_as_a_code_with_its_name_is_not_valid() -> None:
    cert = only(read(ok(record(certStatus="05", certStatusName="注销"))))
    assert verdict(cert)[:2] == (Status.UNCERTIFIED, Reason.REVOKED)
    assert "05" in (verdict(cert)[2] or "") and "注销" in (verdict(cert)[2] or "")


@pytest.mark.parametrize("key", ["certStatusName", "certStatusLabel", "certStatusDesc",
                                 "statusName", "statusLabel", "certStatusText"])
def test_the_name_of_the_code_decides_under_any_spelling(key: str) -> None:
    cancelled = only(read(ok(record(certStatus="1", **{key: "已注销"}))))
    assert verdict(cancelled)[:2] == (Status.UNCERTIFIED, Reason.REVOKED)
    in_force = only(read(ok(record(certStatus="0", **{key: "正常"}))))
    assert verdict(in_force)[:2] == (Status.VALID, Reason.OK)


@pytest.mark.parametrize("key", ["certStatusName", "statusName", "status", "state"])
def test_a_cancellation_under_another_status_key_is_never_valid(key: str) -> None:
    # Read from ``certStatus`` only, this record had no status and was valid.
    cert = only(read(ok(record(certStatus=None, **{key: "注销"}))))
    assert verdict(cert)[:2] == (Status.UNCERTIFIED, Reason.REVOKED)


@pytest.mark.parametrize("code", ["0", "05", 5, "A"])
def test_a_code_alone_decides_nothing_and_is_shown(code: object) -> None:
    reading = read(ok(record(certStatus=code)))
    status, reason, detail = verdict(only(reading))
    assert (status, reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert f"“{code}”" in (detail or "")
    assert reading.unknown_statuses == (("certStatus", str(code)),)


def test_a_code_under_a_status_key_of_another_spelling_alone_decides_nothing() -> None:
    reading = read(ok(record(certStatus=None, status="2")))
    assert verdict(only(reading))[:2] == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_two_names_that_disagree_decide_nothing() -> None:
    cert = only(read(ok(record(certStatus="有效", certStatusName="注销"))))
    status, reason, detail = verdict(cert)
    assert (status, reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert "有效" in (detail or "") and "注销" in (detail or "")


def test_an_unknown_word_beside_a_known_one_decides_nothing() -> None:
    cert = only(read(ok(record(certStatus="有效", statusDesc="待核查"))))
    assert verdict(cert)[:2] == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_a_lapsed_word_under_a_name_key_needs_the_dates_to_show_it() -> None:
    cert = only(read(ok(record(certStatus="03", certStatusName="过期"))))
    assert verdict(cert)[:2] == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_a_code_the_mapping_knows_decides_and_one_that_contradicts_its_name_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "STATUS_CODES", {"certStatus": {"0": "有效", "05": "注销"}})
    alone = read(ok(record(certStatus="05")))
    assert alone.unknown_statuses == ()
    assert verdict(only(alone))[:2] == (Status.UNCERTIFIED, Reason.REVOKED)
    agreeing = only(read(ok(record(certStatus="0", certStatusName="有效"))))
    assert verdict(agreeing)[:2] == (Status.VALID, Reason.OK)
    contradicting = only(read(ok(record(certStatus="0", certStatusName="注销"))))
    status, reason, detail = verdict(contradicting)
    assert (status, reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert "0（有效）" in (detail or "") and "注销" in (detail or "")


def test_every_status_value_survives_the_cache(tmp_path: Path) -> None:
    cancelled = only(read(ok(record(certStatus="05", certStatusName="注销"))))
    cache = AnswerCache(tmp_path / "cache", max_age=timedelta(days=7),
                        now=lambda: datetime(2026, 11, 30, tzinfo=UTC))
    cache.put("mem", QUERY, Answer(Found((cancelled,)), "mem", CHECKED_AT))
    back = cache.get("mem", QUERY)
    assert back is not None and isinstance(back.outcome, Found)
    assert verdict(*back.outcome.records)[:2] == (Status.UNCERTIFIED, Reason.REVOKED)
    assert back.outcome.records == (cancelled,)


def test_the_register_record_lists_every_status_value() -> None:
    cert = only(read(ok(record(certStatus="05", certStatusName="注销"))))
    shown = cert.to_dict()
    assert (shown["证书状态"], shown["其他证书状态"]) == ("注销", "05")
    assert CertRecord.from_dict(shown) == cert


def test_a_plugin_record_whose_other_statuses_are_not_texts_is_refused() -> None:
    cert = only(read(ok(record())))
    bad = CertRecord(**{**{f: getattr(cert, f) for f in cert.__slots__},  # type: ignore[attr-defined]
                        "other_statuses": ["05"]})
    outcome, at_fault = vetted(Found((bad,)))
    assert at_fault and isinstance(outcome, Failed)
    assert outcome.kind is FailureKind.LOOKUP_FAILED


# --- 2. a page cut short -------------------------------------------------------------------


def page_of(count: int) -> list[dict[str, Any]]:
    return [record(certNum=f"T{n}{ID}") for n in range(count)]


@pytest.mark.parametrize("body", [
    {"code": 200, "msg": "查询成功", "total": 12, "rows": page_of(10)},
    {"code": 200, "msg": "查询成功", "total": "12", "rows": page_of(10)},
    {"code": 200, "msg": "查询成功", "data": {"rows": page_of(10), "total": 12}},
    {"code": 200, "data": {"records": page_of(10), "total": 12, "size": 10, "current": 1,
                           "pages": 2}},
    {"success": True, "code": 200, "message": "", "result": {"records": page_of(10),
                                                             "total": 12}},
])
def test_a_page_with_fewer_records_than_its_total_decides_nothing(body: dict[str, Any]) -> None:
    reading = read(body)
    assert reading.kind is AnswerKind.INCOMPLETE
    assert reading.incomplete == (12, 10)
    assert len(reading.records) == 10  # read, for probe to show
    outcome = interpret_query(Exchange("query", 200, json.dumps(body)), QUERY)
    assert isinstance(outcome, Failed)
    assert outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE and not outcome.transient
    assert "total 12, records 10" in outcome.detail


def test_a_page_past_its_end_is_not_nothing_found() -> None:
    reading = read({"code": 200, "msg": "查询成功", "total": 3, "rows": []})
    assert reading.kind is AnswerKind.INCOMPLETE and reading.incomplete == (3, 0)


@pytest.mark.parametrize("total", [10, 0, None])
def test_a_whole_page_is_read_as_usual(total: int | None) -> None:
    body: dict[str, Any] = {"code": 200, "msg": "查询成功", "rows": page_of(10 if total else 0)}
    if total is not None:
        body["total"] = total
    reading = read(body)
    assert reading.incomplete is None
    assert reading.kind is (AnswerKind.FOUND if total else AnswerKind.NOT_FOUND)


@pytest.mark.parametrize("total", ["many", -1, True, 1.5])
def test_a_total_that_is_no_count_is_not_understood(total: object) -> None:
    reading = read({"code": 200, "msg": "查询成功", "total": total, "rows": page_of(1)})
    assert reading.kind is AnswerKind.UNRECOGNIZED
    assert "'total'" in (reading.problem or "")


# --- 3. envelopes ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"code": 200, "msg": "查询成功", "data": json.dumps([record()], ensure_ascii=False)},
    {"code": 200, "msg": "查询成功",
     "data": json.dumps({"records": [record()], "total": 1}, ensure_ascii=False)},
    {"success": True, "message": "查询成功", "data": [record()]},
    {"code": "200", "success": True, "data": {"records": [record()], "total": 1, "size": 100,
                                              "current": 1, "pages": 1, "orders": [],
                                              "searchCount": True}},
    {"success": True, "message": "", "code": 200, "result": [record()], "timestamp": 1},
    {"success": True, "message": "", "code": 200, "timestamp": 1,
     "result": {"records": [record()], "total": 1, "size": 10, "current": 1, "pages": 1}},
    {"code": 200, "msg": "查询成功", "total": 1, "rows": [record()]},
])
def test_the_envelopes_of_common_java_frameworks_give_the_record(body: dict[str, Any]) -> None:
    reading = read(body)
    assert reading.unknown == ()
    assert verdict(only(reading))[:2] == (Status.VALID, Reason.OK)


@pytest.mark.parametrize("body", [
    {"success": True, "message": "查询成功", "data": []},
    {"success": True, "code": 200, "message": "", "result": {"records": [], "total": 0}},
    {"code": 200, "msg": "查询成功", "data": "[]"},
    {"success": False, "message": "未查询到相关信息"},
    {"code": 500, "message": "没有查询到相关证件信息"},
])
def test_nothing_found_in_other_envelopes(body: dict[str, Any]) -> None:
    assert read(body).kind is AnswerKind.NOT_FOUND


@pytest.mark.parametrize(("body", "kind"), [
    ({"success": False, "message": "系统繁忙，请稍后再试"}, AnswerKind.SERVICE_ERROR),
    ({"success": False, "code": 200, "message": "查询失败", "data": [record()]},
     AnswerKind.UNRECOGNIZED),
    ({"success": False}, AnswerKind.UNRECOGNIZED),
    ({"success": True, "code": 401, "message": "未授权"}, AnswerKind.UNRECOGNIZED),
    ({"success": False, "message": "验证码错误"}, AnswerKind.WRONG_CAPTCHA),
    ({"code": 500, "message": "验证码已失效"}, AnswerKind.WRONG_CAPTCHA),
    ({"code": 200, "msg": "查询成功", "message": "未查询到，数据库异常"}, AnswerKind.UNRECOGNIZED),
    ({"success": True, "message": "查询失败"}, AnswerKind.UNRECOGNIZED),
])
def test_success_false_and_message_are_read(body: dict[str, Any], kind: AnswerKind) -> None:
    assert read(body).kind is kind


def test_an_error_in_message_spoils_nothing_found_in_msg() -> None:
    reading = read({"code": 500, "msg": "未查询到", "message": "数据库连接超时"})
    assert reading.kind is AnswerKind.SERVICE_ERROR


@pytest.mark.parametrize("body", [
    {"status": "ok", "payload": [record()]},
    {"state": 1, "payload": []},
    {"status": "ok"},
    {"code": 200, "data": "{\"records\": ["},
    {"code": 200, "data": [record()], "result": [record()]},
    {"code": 200, "data": {"records": [record()], "current": {"page": 1}}},
])
def test_an_envelope_the_mapping_does_not_know_is_never_nothing_found(
    body: dict[str, Any],
) -> None:
    reading = read(body)
    assert reading.kind is AnswerKind.UNRECOGNIZED, reading.kind
    outcome = interpret_query(Exchange("query", 200, json.dumps(body)), QUERY)
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE
    assert not isinstance(outcome, NotFound)


# --- the captcha answer ----------------------------------------------------------------------

IMAGE = __import__("base64").b64encode(CAPTCHA_PNG).decode()


@pytest.mark.parametrize("body", [
    {"code": 200, "msg": "操作成功", "data": {"captchaEnabled": True, "uuid": "u1", "img": IMAGE}},
    {"code": 200, "data": json.dumps({"uuid": "u1", "img": IMAGE})},
    {"code": 200, "captchaOnOff": True, "uuid": "u1", "img": IMAGE},
])
def test_a_captcha_nested_under_data_is_answered(body: dict[str, Any]) -> None:
    exchange = Exchange("captcha", 200, json.dumps(body))
    captcha = interpret_captcha(exchange)
    assert not isinstance(captcha, Failed)
    assert (captcha.image, captcha.uuid) == (CAPTCHA_PNG, "u1")
    # The recording leaves the image out wherever it stood.
    assert IMAGE not in json.dumps(exchange.to_json(), ensure_ascii=False)


@pytest.mark.parametrize("body", [
    {"code": 200, "captchaOnOff": False},
    {"code": 200, "data": {"captchaOnOff": False}},
    {"code": 200, "data": {"captchaEnabled": False, "uuid": "u2"}},
    {"code": 200, "captchaEnabled": False, "captchaOnOff": False},
])
def test_a_captcha_switched_off_needs_no_answer(body: dict[str, Any]) -> None:
    captcha = interpret_captcha(Exchange("captcha", 200, json.dumps(body)))
    assert not isinstance(captcha, Failed) and captcha.image is None


def test_switches_that_disagree_ask_for_the_captcha() -> None:
    body = {"code": 200, "captchaEnabled": True, "captchaOnOff": False}
    captcha = interpret_captcha(Exchange("captcha", 200, json.dumps(body)))
    assert isinstance(captcha, Failed)  # a captcha is needed, and there is none
    assert captcha.kind is FailureKind.UNRECOGNIZED_RESPONSE


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "day"), [
    (1614528000, date(2021, 3, 1)),           # 2021-03-01 00:00 in China, epoch seconds
    ("1614528000", date(2021, 3, 1)),
    (1614528000000, date(2021, 3, 1)),        # the same in milliseconds
    (946656000, date(2000, 1, 1)),            # nine digits: seconds before 2001-09
    ("Mon Mar 01 00:00:00 CST 2021", date(2021, 3, 1)),
    ("Sun Feb 28 16:00:00 UTC 2021", date(2021, 3, 1)),
    ("Mon Mar 01 00:00:00 GMT+08:00 2021", date(2021, 3, 1)),
])
def test_java_dates_are_read_in_chinas_time_zone(value: str | int, day: date) -> None:
    assert read_date(value) == day


@pytest.mark.parametrize("value", [
    "16145280000",                            # eleven digits: seconds or milliseconds?
    "Tue Mar 01 00:00:00 CST 2021",           # 2021-03-01 was a Monday
    "Mon Mar 01 00:00:00 PST 2021",           # a zone the table does not know
    "Mon Mar 32 00:00:00 CST 2021",
])
def test_a_date_that_is_not_sure_is_not_read(value: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        read_date(value)


def test_a_record_with_epoch_second_dates_is_judged_by_them() -> None:
    def midnight(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - 8 * 3600

    ends_today = record(validBeginDate=midnight(date(2022, 5, 1)), validEndDate=midnight(AS_OF),
                        shouldReviewDate=midnight(date(2027, 5, 1)))
    assert verdict(only(read(ok(ends_today))))[:2] == (Status.VALID, Reason.OK)
    ended = ends_today | {"validEndDate": midnight(AS_OF - timedelta(days=1))}
    assert verdict(only(read(ok(ended))))[:2] == (Status.EXPIRED, Reason.VALIDITY_ENDED)
