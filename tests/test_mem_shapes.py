"""The national lookup's answers in every shape its public clients allow for (issue 11, 1–7).

Each shape and each fault goes through MemSource, against respx or the local stand-in server
(tests/mem_server.py) on 127.0.0.1; never the network. Where a shape could change a verdict, the
rules are run on the outcome too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from certcheck.cache import AnswerCache
from certcheck.check import EngineSettings
from certcheck.engine import lookup_all
from certcheck.models import (
    Answer,
    CertRecord,
    Declared,
    Failed,
    Found,
    NotFound,
    Outcome,
    Query,
    Reason,
    Status,
    Worker,
)
from certcheck.rules import decide
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import CaptchaSolver
from certcheck.sources.interface import SourceOptions
from certcheck.sources.mem import MemSource, captcha_answer, recording_path
from certcheck.sources.mem_names import name_variants
from certcheck.sources.replay import ReplaySource
from factories import AS_OF, CHECKED_AT, ListSolver, make_id, number
from mem_server import CAPTCHA_PNG, CHALLENGE_PAGE, NOT_FOUND_STYLES, MemServer, api_record

BASE = "https://cx.test"
ID = make_id()
QUERY = Query(ID, "张三")
FAST = EngineSettings(concurrency=4, retries=4, backoff_initial=0.01, backoff_max=0.05)


def source(base: str = BASE, solver: CaptchaSolver | None = None, **kwargs: Any) -> MemSource:
    return MemSource(solver=solver or ListSolver(), base_url=base, timeout=2.0, **kwargs)


def run(src: MemSource, query: Query = QUERY) -> Outcome:
    async def main() -> Outcome:
        try:
            return await src.lookup(query)
        finally:
            await src.aclose()

    return asyncio.run(main())


def engine_run(src: MemSource, query: Query = QUERY,
               settings: EngineSettings = FAST) -> Outcome:
    async def main() -> Outcome:
        try:
            return (await lookup_all(src, [query], settings))[query].outcome
        finally:
            await src.aclose()

    return asyncio.run(main())


def judged(outcome: Outcome, declared: Declared | None = None,
           name: str = "张三") -> tuple[Status, Reason]:
    worker = Worker(row=2, name=name, id_number=ID,
                    declared=declared or Declared(item="低压电工作业", cert_number=number("T" + ID)))
    answer = Answer(outcome, "mem", datetime(2026, 11, 29, tzinfo=UTC))
    finding = decide(worker, answer, AS_OF)
    return finding.status, finding.reason


@pytest.fixture
def mock() -> Any:
    tokens = iter(range(1000))

    def new_captcha(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"msg": "操作成功", "code": 200,
                                         "uuid": f"u-{next(tokens)}",
                                         "img": base64.b64encode(CAPTCHA_PNG).decode()})

    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get(api.CAPTCHA_PATH, name="captcha").mock(side_effect=new_captcha)
        yield router


def answer_with(*records: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    return {"code": 200, "msg": "查询成功", "data": list(records)} | envelope


def only_record(outcome: Outcome) -> CertRecord:
    assert isinstance(outcome, Found), outcome
    (record,) = outcome.records
    return record


# --- 1. records without a name ------------------------------------------------------------


def test_a_record_without_a_name_is_the_queried_persons_and_valid() -> None:
    with MemServer({ID: [api_record("张三", ID)]}, drop_keys=("name",)) as server:
        outcome = run(source(server.url))
    record = only_record(outcome)
    assert record.name is None
    assert record.item == "低压电工作业" and record.valid_until == date(2028, 5, 1)
    assert judged(outcome) == (Status.VALID, Reason.OK)


def test_a_name_in_the_record_is_kept_and_compared_by_the_rules() -> None:
    with MemServer({ID: [api_record("李四", ID)]}) as server:
        outcome = run(source(server.url))
    assert only_record(outcome).name == "李四"
    assert judged(outcome) == (Status.FAKE, Reason.NAME_MISMATCH)


# --- 2. key variants, empty values, unknown keys ------------------------------------------

ALTERNATIVE_KEYS = [
    {"certNum": "certNumber", "jobCategoryName": "jobTypeName", "operItemName": "allowItem",
     "validBeginDate": "validFrom", "validEndDate": "validUntil", "issueOrgName": "issueAuth"},
    {"certNum": "certNo", "jobCategoryName": "workType", "operItemName": "certItem",
     "validBeginDate": "certStartDate", "validEndDate": "certEndDate", "issueOrgName": "issueOrg"},
    {"certNum": "cardNo"},
]


@pytest.mark.parametrize("rename", ALTERNATIVE_KEYS)
def test_every_key_public_clients_use_fills_its_field(rename: dict[str, str]) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, rename=rename) as server:
        outcome = run(source(server.url))
    record = only_record(outcome)
    assert record.cert_number == "T" + ID
    assert (record.category, record.item) == ("电工作业", "低压电工作业")
    assert (record.valid_from, record.valid_until) == (date(2022, 5, 1), date(2028, 5, 1))
    assert record.issuer == "重庆市应急管理局"
    assert isinstance(outcome, Found) and outcome.detail is None  # no key left unknown
    assert judged(outcome) == (Status.VALID, Reason.OK)


def test_issue_date_is_the_first_issue_date(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=answer_with(api_record("张三", ID)
                                                      | {"issueDate": "2016-05-01"}))
    assert only_record(run(source())).first_issued == date(2016, 5, 1)


def test_a_key_with_an_empty_value_counts_as_absent(mock: Any) -> None:
    record = api_record("张三", ID) | {
        "certNum": "", "certNumber": "T" + ID,
        "operItemName": "  ", "allowItem": "高压电工作业",
        "validEndDate": None, "validUntil": "2029-01-31",
        "name": "",
    }
    mock.get(api.QUERY_PATH).respond(json=answer_with(record))
    got = only_record(run(source()))
    assert (got.cert_number, got.item, got.valid_until) == ("T" + ID, "高压电工作业",
                                                            date(2029, 1, 31))
    assert got.name is None


def test_a_record_without_an_end_date_is_read_and_never_valid(mock: Any) -> None:
    record = api_record("张三", ID)
    del record["validEndDate"]
    mock.get(api.QUERY_PATH).respond(json=answer_with(record))
    outcome = run(source())
    assert only_record(outcome).valid_until is None
    assert judged(outcome) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_a_record_without_any_operation_item_is_unrecognized_and_says_which_keys(
    mock: Any,
) -> None:
    record = api_record("张三", ID)
    del record["operItemName"]
    record["zyxm"] = "低压电工作业"  # the item under a key the table does not know
    mock.get(api.QUERY_PATH).respond(json=answer_with(record))
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE
    assert "record without 操作项目 (operItemName/allowItem/certItem)" in outcome.detail
    assert outcome.detail.endswith("对照表中没有的字段（keys mem_mapping does not know）：zyxm")
    assert judged(outcome)[0] is Status.UNVERIFIED


def test_unknown_keys_are_reported_in_the_detail_and_the_recording(tmp_path: Path) -> None:
    with MemServer({ID: [api_record("张三", ID)]},
                   extra_keys={"photoUrl": "/p/1.jpg", "trainOrg": "某培训中心"}) as server:
        outcome = run(source(server.url, record_dir=tmp_path))
    assert isinstance(outcome, Found)
    assert outcome.detail == ("对照表中没有的字段（keys mem_mapping does not know）："
                              "photoUrl, trainOrg")
    document = json.loads(recording_path(tmp_path, QUERY).read_text("utf-8"))
    audit = document["audit"]
    assert audit["unknown_keys"] == ["photoUrl", "trainOrg"]
    assert audit["fields"]["item"] == ["operItemName"]
    assert audit["fields"]["cert_number"] == ["certNum"]
    assert audit["missing"] == {"first_issued": 1, "reviewed": 1}
    assert (audit["answer"], audit["records"], audit["history_records"]) == ("found", 1, 0)
    assert document["outcome"]["detail"] == outcome.detail


def test_unknown_keys_are_logged_once_per_run(caplog: pytest.LogCaptureFixture) -> None:
    other = make_id("11010519491231002")
    registry = {ID: [api_record("张三", ID)], other: [api_record("李四", other)]}
    with MemServer(registry, extra_keys={"photoUrl": "/p/1.jpg"}) as server:
        src = source(server.url)

        async def main() -> None:
            try:
                for query in (QUERY, Query(other, "李四")):
                    await src.lookup(query)
            finally:
                await src.aclose()

        with caplog.at_level(logging.WARNING, logger="certcheck.sources.mem"):
            asyncio.run(main())
    warnings = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert warnings == ["国家查询平台发来了对照表中没有的字段（keys mem_mapping does not know）："
                        "photoUrl；用 certcheck probe 查看其内容"]


@pytest.mark.parametrize(
    "body",
    [
        # Records may hide under a key nobody knows: never "nothing found".
        {"code": 200, "msg": "查询成功", "result": [{"zsbh": "T1"}]},
        {"code": 200, "msg": "查询成功", "result": '[{"zsbh": "T1"}]'},
        {"code": 200, "msg": "查询成功", "data": {"zsbh": "T1", "xm": "张三"}},
        {"code": 200, "msg": "查询成功", "data": {"items": [{"zsbh": "T1"}]}},
        {"code": 200, "msg": "查询成功", "data": "T1"},
    ],
)
def test_an_answer_whose_records_may_be_under_unknown_keys_is_never_not_found(
    mock: Any, body: dict[str, Any]
) -> None:
    mock.get(api.QUERY_PATH).respond(json=body)
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE


def test_other_envelope_shapes_holding_records(mock: Any) -> None:
    shapes = [
        {"code": 200, "msg": "查询成功", "total": 1, "rows": [api_record("张三", ID)]},
        {"code": "200", "msg": "查询成功", "data": {"total": 1, "list": [api_record("张三", ID)]}},
        {"code": 200, "msg": "查询成功", "data": api_record("张三", ID)},
    ]
    mock.get(api.QUERY_PATH).mock(side_effect=[httpx.Response(200, json=b) for b in shapes])
    for _ in shapes:
        assert only_record(run(source())).item == "低压电工作业"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1651334400000, date(2022, 5, 1)),  # 2022-04-30T16:00Z = 2022-05-01 in China
        ("1651334400000", date(2022, 5, 1)),
        ("2022-04-30T16:00:00.000+0000", date(2022, 5, 1)),
        ("2022-05-01 00:00:00", date(2022, 5, 1)),
        ("2022/5/1", date(2022, 5, 1)),
        ("20220501", date(2022, 5, 1)),
    ],
)
def test_dates_in_the_forms_a_java_service_sends(mock: Any, value: object,
                                                 expected: date) -> None:
    mock.get(api.QUERY_PATH).respond(json=answer_with(api_record("张三", ID)
                                                      | {"validBeginDate": value}))
    assert only_record(run(source())).valid_from == expected


# --- 3. nothing found, said in every way; captcha messages --------------------------------


@pytest.mark.parametrize("style", sorted(NOT_FOUND_STYLES))
def test_nothing_found_in_every_shape_is_not_found(style: str) -> None:
    with MemServer({}, not_found=style) as server:
        outcome = engine_run(source(server.url))
        assert server.count(api.QUERY_PATH) == 1  # asked once: not retried as a failure
    assert isinstance(outcome, NotFound)
    assert judged(outcome) == (Status.FAKE, Reason.NOT_FOUND)


@pytest.mark.parametrize(
    "body",
    [{"code": 500, "msg": "查询无数据，系统异常"}, {"code": 500, "msg": "无数据库连接"}],
)
def test_a_not_found_word_inside_an_error_message_is_no_verdict(mock: Any,
                                                                body: dict[str, Any]) -> None:
    mock.get(api.QUERY_PATH).respond(json=body)
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert outcome.transient


@pytest.mark.parametrize("message", ["验证码错误", "验证码已失效", "验证码过期", "验证码不能为空"])
def test_a_rejected_captcha_in_every_wording_gets_a_new_captcha(message: str) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, reject_captchas=1,
                   wrong_captcha_msg=message) as server:
        outcome = run(source(server.url))
        queries = [e for e in server.log if e.path == api.QUERY_PATH]
    assert only_record(outcome).item == "低压电工作业"
    assert len(queries) == 2
    assert queries[0].params["uuid"] != queries[1].params["uuid"]


# --- 4. transport faults ------------------------------------------------------------------

GARBAGE = {
    "html at 200": httpx.Response(200, text=CHALLENGE_PAGE, headers={"Content-Type": "text/html"}),
    "403": httpx.Response(403, text=CHALLENGE_PAGE, headers={"Content-Type": "text/html"}),
    "truncated": httpx.Response(200, text='{"code": 200, "msg": "查询成功", "data": [{"na'),
    "empty": httpx.Response(200, text=""),
}


@pytest.mark.parametrize("fault", sorted(GARBAGE))
def test_a_garbage_answer_is_retried_with_a_new_captcha(mock: Any, fault: str) -> None:
    route = mock.get(api.QUERY_PATH).mock(side_effect=[
        GARBAGE[fault], httpx.Response(200, json=answer_with(api_record("张三", ID))),
    ])
    outcome = engine_run(source())
    assert only_record(outcome).item == "低压电工作业"
    uuids = [call.request.url.params["uuid"] for call in route.calls]
    assert len(uuids) == 2 and uuids[0] != uuids[1]


@pytest.mark.parametrize("fault", ["html at 200", "403", "truncated", "empty"])
def test_garbage_at_the_captcha_step_is_retried_too(mock: Any, fault: str) -> None:
    good = mock["captcha"].side_effect
    calls = iter(range(100))

    def captcha(request: httpx.Request) -> httpx.Response:
        return GARBAGE[fault] if next(calls) == 0 else good(request)

    mock["captcha"].mock(side_effect=captcha)
    mock.get(api.QUERY_PATH).respond(json=answer_with(api_record("张三", ID)))
    assert only_record(engine_run(source())).item == "低压电工作业"


def test_the_same_garbage_every_time_ends_unrecognized(mock: Any) -> None:
    route = mock.get(api.QUERY_PATH).mock(return_value=GARBAGE["html at 200"])
    outcome = engine_run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE
    assert "an HTML page" in outcome.detail and "gave up after 5 attempts" in outcome.detail
    assert route.call_count == 5


def test_garbage_mixed_with_other_faults_ends_as_lookup_failed(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[
        GARBAGE["html at 200"], httpx.Response(502, text="bad gateway"),
        GARBAGE["truncated"], GARBAGE["html at 200"], GARBAGE["html at 200"],
    ])
    outcome = engine_run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert "earlier tries failed otherwise" in outcome.detail


def test_refusals_every_time_end_as_lookup_failed(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(return_value=GARBAGE["403"])
    outcome = engine_run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert "HTTP 403" in outcome.detail


# --- 5. history (历史数据) ----------------------------------------------------------------


def history_registry() -> dict[str, list[dict[str, Any]]]:
    current = api_record("张三", ID, valid_from=date(2022, 5, 1), valid_until=date(2028, 5, 1))
    older = api_record("张三", ID, valid_from=date(2010, 5, 1), valid_until=date(2016, 5, 1),
                       review_due=None, history=True)
    blank = api_record("张三", ID, history=True) | {
        "validBeginDate": "", "validEndDate": None, "shouldReviewDate": "无", "certNum": ""}
    return {ID: [current, older, blank]}


@pytest.mark.parametrize("style", ["flag", "list", "nested"])
def test_history_records_in_every_shape_are_marked_and_never_decide(style: str) -> None:
    with MemServer(history_registry(), history=style) as server:
        outcome = run(source(server.url))
    assert isinstance(outcome, Found)
    assert [r.history for r in outcome.records] == [False, True, True]
    assert [r.valid_until for r in outcome.records] == [date(2028, 5, 1), date(2016, 5, 1), None]
    assert outcome.records[2].review_due is None  # "无" in a history record reads as none
    assert judged(outcome) == (Status.VALID, Reason.OK)


def test_only_history_records_still_answer(mock: Any) -> None:
    older = api_record("张三", ID, valid_until=date(2016, 5, 1), review_due=None)
    mock.get(api.QUERY_PATH).respond(json={"code": 200, "msg": "查询成功", "data": [],
                                           "historyData": [older]})
    outcome = run(source())
    assert only_record(outcome).history
    # An answer (not "nothing found", so nobody is called fake), but history never decides.
    assert judged(outcome) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


@pytest.mark.parametrize("flag", [{"isHistory": 1}, {"hisFlag": "Y"}, {"historyFlag": "是"},
                                  {"dataType": "历史数据"}])
def test_history_flags(mock: Any, flag: dict[str, Any]) -> None:
    mock.get(api.QUERY_PATH).respond(json=answer_with(api_record("张三", ID) | flag))
    outcome = run(source())
    assert only_record(outcome).history
    assert isinstance(outcome, Found) and outcome.detail is None


def test_a_current_record_with_a_bad_date_is_still_unrecognized(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=answer_with(api_record("张三", ID)
                                                      | {"shouldReviewDate": "无"}))
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE


def test_history_survives_the_cache(tmp_path: Path) -> None:
    with MemServer(history_registry(), history="list") as server:
        outcome = run(source(server.url))
    assert isinstance(outcome, Found)
    cache = AnswerCache(tmp_path, max_age=timedelta(days=30), now=lambda: CHECKED_AT)
    try:
        cache.put("mem", QUERY, Answer(outcome, "mem", CHECKED_AT))
        back = cache.get("mem", QUERY)
    finally:
        cache.close()
    assert back is not None and isinstance(back.outcome, Found)
    assert [r.history for r in back.outcome.records] == [False, True, True]


# --- 6. name variants ---------------------------------------------------------------------

DOTTED = "阿依古丽·买买提"


def test_variants_of_a_name_in_order() -> None:
    assert name_variants(DOTTED) == ("阿依古丽买买提", "阿依古丽•买买提")
    assert name_variants(DOTTED, limit=5) == ("阿依古丽买买提", "阿依古丽•买买提", "阿依古丽・买买提")
    assert name_variants("阿依古丽.买买提") == ("阿依古丽·买买提", "阿依古丽买买提")
    assert name_variants("JohnSmith") == ("JOHNSMITH",)
    assert name_variants("JOHNSMITH") == ()
    assert name_variants("张三") == ()
    assert name_variants("·张三") == ()


def names_asked(server: MemServer) -> list[str]:
    return [e.params[api.PARAM_NAME] for e in server.log if e.path == api.QUERY_PATH]


def test_a_dotted_name_stored_with_another_dot_is_found(tmp_path: Path) -> None:
    query = Query(ID, DOTTED)
    with MemServer({ID: [api_record("阿依古丽•买买提", ID)]}, match_names=True) as server:
        outcome = run(source(server.url, record_dir=tmp_path), query)
        asked = names_asked(server)
        uuids = {e.params["uuid"] for e in server.log if e.path == api.QUERY_PATH}
    assert asked == ["阿依古丽·买买提", "阿依古丽买买提", "阿依古丽•买买提"]
    assert len(uuids) == 3  # each query a new captcha
    assert isinstance(outcome, Found)
    assert outcome.detail == (
        "按 '阿依古丽·买买提', '阿依古丽买买提' 未查到，按 '阿依古丽•买买提' 查到"
        "（found under another spelling）")
    assert judged(outcome, name=DOTTED) == (Status.VALID, Reason.OK)
    document = json.loads(recording_path(tmp_path, query).read_text("utf-8"))
    assert document["audit"]["names_asked"] == ["阿依古丽·买买提", "阿依古丽买买提", "阿依古丽•买买提"]
    assert [e.get("asked_name") for e in document["exchanges"] if e["step"] == "query"] == [
        None, "阿依古丽买买提", "阿依古丽•买买提"]
    replayed = ReplaySource(tmp_path).lookup_now(query)
    assert replayed == outcome


def test_at_most_two_extra_queries_then_not_found() -> None:
    query = Query(ID, DOTTED)
    with MemServer({ID: [api_record("阿依古丽・买买提", ID)]}, match_names=True) as server:
        outcome = engine_run(source(server.url), query)
        asked = names_asked(server)
    assert asked == ["阿依古丽·买买提", "阿依古丽买买提", "阿依古丽•买买提"]
    assert isinstance(outcome, NotFound)
    assert outcome.detail == (
        "按 '阿依古丽·买买提', '阿依古丽买买提', '阿依古丽•买买提' 均未查到"
        "（nothing found under any spelling）")


def test_a_latin_name_is_asked_again_in_upper_case() -> None:
    query = Query(ID, "JohnSmith")
    with MemServer({ID: [api_record("JOHNSMITH", ID)]}, match_names=True) as server:
        outcome = run(source(server.url), query)
        assert names_asked(server) == ["JohnSmith", "JOHNSMITH"]
    assert only_record(outcome).name == "JOHNSMITH"


def test_a_plain_name_that_finds_nothing_is_asked_once() -> None:
    with MemServer({ID: [api_record("张三丰", ID)]}, match_names=True) as server:
        outcome = run(source(server.url))
        assert names_asked(server) == ["张三"]
    assert isinstance(outcome, NotFound) and outcome.detail is None


def test_a_failed_variant_query_is_retried_without_asking_the_first_name_again(
    mock: Any,
) -> None:
    answers = {
        DOTTED: [httpx.Response(200, json={"code": 200, "msg": "查询成功", "data": []})],
        "阿依古丽买买提": [httpx.Response(503, text="busy"),
                         httpx.Response(200, json=answer_with(api_record("阿依古丽买买提", ID)))],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return answers[request.url.params["name"]].pop(0)

    route = mock.get(api.QUERY_PATH).mock(side_effect=answer)
    outcome = engine_run(source(), Query(ID, DOTTED))
    assert [c.request.url.params["name"] for c in route.calls] == [
        DOTTED, "阿依古丽买买提", "阿依古丽买买提"]
    assert isinstance(outcome, Found)
    assert outcome.detail == ("按 '阿依古丽·买买提' 未查到，按 '阿依古丽买买提' 查到"
                              "（found under another spelling）")


@pytest.mark.parametrize(
    ("faults", "reason"),
    [(["html at 200"] * 5, Reason.UNRECOGNIZED_RESPONSE),
     (["html at 200", "502", "html at 200", "html at 200", "html at 200"],
      Reason.LOOKUP_FAILED)],
)
def test_garbage_while_asking_a_variant_is_judged_like_any_garbage(
    mock: Any, faults: list[str], reason: Reason
) -> None:
    left = list(faults)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["name"] == DOTTED:
            return httpx.Response(200, json={"code": 200, "msg": "查询成功", "data": []})
        fault = left.pop(0)
        return httpx.Response(502, text="bad gateway") if fault == "502" else GARBAGE[fault]

    route = mock.get(api.QUERY_PATH).mock(side_effect=answer)
    outcome = engine_run(source(), Query(ID, DOTTED))
    names = [c.request.url.params["name"] for c in route.calls]
    assert names == [DOTTED] + ["阿依古丽买买提"] * 5
    assert isinstance(outcome, Failed) and outcome.reason is reason
    assert "（按 '阿依古丽·买买提' 未查到后按 '阿依古丽买买提' 查询时；asking another spelling）" \
        in outcome.detail


def test_no_variants_when_switched_off() -> None:
    with MemServer({}, match_names=True) as server:
        outcome = run(source(server.url, name_variants=False), Query(ID, DOTTED))
        assert names_asked(server) == [DOTTED]
    assert isinstance(outcome, NotFound)


# --- 7. captcha answers as sent -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("abcd", "abcd"), (" ab cd\n", "abcd"), ("ａｂｃｄ", "abcd"), ("１２３４", "1234"),
     ("ab-c.d", "abcd"), ("AB\u3000CD", "ABCD")],
)
def test_captcha_answers_are_normalised_before_sending(typed: str, sent: str) -> None:
    assert captcha_answer(typed) == sent
    with MemServer({ID: [api_record("张三", ID)]}, captcha_answer=sent) as server:
        outcome = run(source(server.url, ListSolver(typed)))
        (query,) = [e for e in server.log if e.path == api.QUERY_PATH]
    assert query.params[api.PARAM_CAPTCHA] == sent
    assert isinstance(outcome, Found)


# --- replay of every shape ----------------------------------------------------------------


def test_recordings_of_new_shapes_replay_to_the_same_outcomes(tmp_path: Path) -> None:
    # The records carry their holder's ID: a record of another ID decides nothing.
    wang, zhao = make_id("31011519800101001"), make_id("31011519800101002")
    people = {
        Query(make_id("11010519491231002"), "李四"): ({}, {"not_found": "msg500"}),
        Query(wang, "王五"): (
            [api_record("王五", wang, history=True), api_record("王五", wang)],
            {"history": "nested", "drop_keys": ("name",), "extra_keys": {"zp": "1"}}),
        Query(zhao, "赵六"): (
            [api_record("赵六", zhao)], {"rename": ALTERNATIVE_KEYS[1]}),
    }
    registry = {q.id_number: r for q, (r, _) in people.items() if r}
    styles = {q.id_number: s for q, (_, s) in people.items()}
    with MemServer(registry, styles=styles) as server:
        src = source(server.url, record_dir=tmp_path)

        async def main() -> dict[Query, Outcome]:
            try:
                return {q: await src.lookup(q) for q in people}
            finally:
                await src.aclose()

        live = asyncio.run(main())
    replay = ReplaySource.from_spec(str(tmp_path), SourceOptions())
    kinds = []
    for query, outcome in live.items():
        assert replay.lookup_now(query) == outcome
        kinds.append(type(outcome).__name__)
    assert kinds == ["NotFound", "Found", "Found"]
