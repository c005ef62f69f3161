"""MemSource against a mocked national lookup (respx): each answer the service can give."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import stat
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from certcheck.check import EngineSettings
from certcheck.cli.source_options import open_chosen_source
from certcheck.engine import lookup_all
from certcheck.models import Failed, FailureKind, Found, NotFound, Outcome, Query, Reason
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import CaptchaError, CaptchaSolver, NoSolver
from certcheck.sources.interface import SourceError, SourceOptions
from certcheck.sources.mem import MemSource, parse_retry_after, recording_path
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.replay import ReplaySource
from factories import ListSolver, make_id
from mem_server import CAPTCHA_PNG, api_record

BASE = "https://cx.test"
ID = make_id()
QUERY = Query(ID, "张三")
FAST = EngineSettings(concurrency=4, retries=4, backoff_initial=0.01, backoff_max=0.05)


def source(solver: CaptchaSolver | None = None, **kwargs: Any) -> MemSource:
    return MemSource(solver=solver or ListSolver(), base_url=BASE, timeout=2.0, **kwargs)


def captcha_json(token: str = "u-1") -> dict[str, Any]:
    return {"msg": "操作成功", "code": 200, "uuid": token,
            "img": base64.b64encode(CAPTCHA_PNG).decode()}


def found_json(*records: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "msg": "查询成功", "data": list(records)}


def run(src: MemSource, query: Query = QUERY) -> Outcome:
    async def main() -> Outcome:
        try:
            return await src.lookup(query)
        finally:
            await src.aclose()

    return asyncio.run(main())


def engine_run(src: MemSource, settings: EngineSettings = FAST) -> Outcome:
    async def main() -> Outcome:
        try:
            return (await lookup_all(src, [QUERY], settings))[QUERY].outcome
        finally:
            await src.aclose()

    return asyncio.run(main())


@pytest.fixture
def mock() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get(api.CAPTCHA_PATH, name="captcha").respond(json=captcha_json())
        yield router


def test_found_maps_every_field_and_keeps_the_raw_answer(mock: Any) -> None:
    body = found_json(api_record("张三", ID, with_time=True, reviewed=date(2027, 3, 1)))
    route = mock.get(api.QUERY_PATH, name="query").respond(json=body)
    solver = ListSolver("abcd")
    outcome = run(source(solver))
    assert isinstance(outcome, Found)
    (rec,) = outcome.records
    assert (rec.name, rec.id_number, rec.cert_number) == ("张三", ID, "T" + ID)
    assert (rec.category, rec.item, rec.issuer) == ("电工作业", "低压电工作业", "重庆市应急管理局")
    assert rec.valid_from == date(2022, 5, 1) and rec.valid_until == date(2028, 5, 1)
    assert rec.review_due == date(2027, 5, 1) and rec.reviewed == date(2027, 3, 1)
    assert rec.first_issued is None  # the key is a guess; absent here
    assert outcome.raw is not None and json.loads(outcome.raw) == body
    assert solver.images == [CAPTCHA_PNG]
    request = route.calls.last.request
    params = dict(request.url.params)
    assert params == {"name": "张三", "searchType": "1", "idcardNum": ID, "idcardTypeCode": "01",
                      "code": "abcd", "uuid": "u-1", "personTypeCode": "03",
                      # one large page, so that a paged answer is not cut at 10 records
                      "pageNum": "1", "pageSize": "100"}
    assert request.headers["Referer"] == BASE + "/special?index=0"
    assert "Mozilla/5.0" in request.headers["User-Agent"]


def test_certificate_status_is_kept_and_a_cancelled_one_is_revoked(mock: Any) -> None:
    cancelled = {**api_record("张三", ID), "certStatus": "注销"}
    mock.get(api.QUERY_PATH).respond(json=found_json(cancelled))
    outcome = run(source())
    assert isinstance(outcome, Found)
    (rec,) = outcome.records
    assert rec.status_text == "注销"
    assert rec.revoked


def test_nothing_found_is_not_found_with_raw(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json={"code": 200, "msg": "查询成功", "data": []})
    outcome = run(source())
    assert isinstance(outcome, NotFound)
    assert outcome.raw is not None and json.loads(outcome.raw)["data"] == []


def test_record_with_another_name_is_returned_as_found(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=found_json(api_record("李四", ID)))
    outcome = run(source())
    assert isinstance(outcome, Found)
    assert [r.name for r in outcome.records] == ["李四"]


def test_masked_id_in_the_answer_is_replaced_by_the_queried_one(mock: Any) -> None:
    masked = ID[:6] + "********" + ID[-4:]
    mock.get(api.QUERY_PATH).respond(json=found_json(api_record("张三", masked)))
    outcome = run(source())
    assert isinstance(outcome, Found) and outcome.records[0].id_number == ID


def test_masked_id_showing_another_persons_digits_is_not_an_answer(mock: Any) -> None:
    other = "500381********" + ("0000" if ID[-4:] != "0000" else "1111")
    mock.get(api.QUERY_PATH).respond(json=found_json(api_record("张三", other)))
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE
    assert "记录不是此人的" in outcome.detail


def test_wrong_captcha_then_right_one(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[
        httpx.Response(200, json={"code": 500, "msg": "验证码错误"}),
        httpx.Response(200, json=found_json(api_record("张三", ID))),
    ])
    solver = ListSolver("xxxx", "abcd")
    outcome = run(source(solver))
    assert isinstance(outcome, Found)
    assert solver.attempts == [1, 2]
    assert mock["captcha"].call_count == 2


def test_captcha_never_accepted_is_captcha_failed(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json={"code": 500, "msg": "验证码已失效"})
    outcome = run(source(ListSolver("zzzz")))
    assert isinstance(outcome, Failed) and outcome.reason is Reason.CAPTCHA_FAILED
    assert not outcome.transient
    assert mock["captcha"].call_count == 3


def test_solver_error_uses_a_try_and_a_fresh_captcha(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=found_json(api_record("张三", ID)))
    solver = ListSolver(CaptchaError("unreadable"), "abcd")
    assert isinstance(run(source(solver)), Found)
    assert solver.attempts == [1, 2]


def test_no_solver_fails_every_lookup_at_once_and_says_so_once(
    mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    query_route = mock.get(api.QUERY_PATH).respond(json=found_json())
    src = source(NoSolver("nobody at a terminal"))
    queries = [Query(make_id(f"5003811990010112{n}"), "张三") for n in range(5)]

    async def main() -> dict[Query, Any]:
        try:
            return await lookup_all(src, queries, FAST)
        finally:
            await src.aclose()

    with caplog.at_level(logging.WARNING):
        answers = asyncio.run(main())
    for answer in answers.values():
        assert isinstance(answer.outcome, Failed)
        assert answer.outcome.reason is Reason.CAPTCHA_FAILED
        assert answer.outcome.detail.startswith(
            "没有可用的验证码输入方式（no captcha solver）：nobody at a terminal")
    assert sum("no captcha solver" in r.getMessage() for r in caplog.records) == 1
    assert query_route.call_count == 0


def test_500_then_200_succeeds_through_engine_retry(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[
        httpx.Response(500, text="<html>Internal Server Error</html>"),
        httpx.Response(200, json=found_json(api_record("张三", ID))),
    ])
    assert isinstance(engine_run(source()), Found)


def test_429_retry_after_is_honoured(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0.4"}, text="slow down"),
        httpx.Response(200, json=found_json()),
    ])
    src = source()
    first = run(source())
    # Seen by itself the 429 is a transient failure carrying the wait.
    assert isinstance(first, Failed)
    assert first.transient and first.retry_after == pytest.approx(0.4)
    assert first.reason is Reason.LOOKUP_FAILED
    mock.get(api.QUERY_PATH).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0.4"}, text="slow down"),
        httpx.Response(200, json=found_json()),
    ])
    loop_time: list[float] = []

    async def main() -> Outcome:
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            outcome = (await lookup_all(src, [QUERY], FAST))[QUERY].outcome
        finally:
            await src.aclose()
        loop_time.append(loop.time() - start)
        return outcome

    outcome = asyncio.run(main())
    assert isinstance(outcome, NotFound)
    assert loop_time[0] >= 0.4


def test_timeout_is_a_transient_lookup_failure(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=httpx.ReadTimeout("timed out"))
    outcome = run(source())
    assert isinstance(outcome, Failed)
    assert outcome.reason is Reason.LOOKUP_FAILED and outcome.transient
    assert "timed out" in outcome.detail


def test_malformed_json_is_unrecognized_and_kept(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(200, text='{"code": 200, "data": [{"name": ')
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE
    assert outcome.raw == '{"code": 200, "data": [{"name": '
    # A truncated body is a transport fault: the engine asks again (tests/test_mem_shapes.py).
    assert outcome.transient


@pytest.mark.parametrize(
    ("status", "reason"),
    [(200, Reason.UNRECOGNIZED_RESPONSE), (403, Reason.LOOKUP_FAILED)],
)
def test_html_error_page_is_kept_and_retried(mock: Any, status: int, reason: Reason) -> None:
    page = "<!DOCTYPE html><html><body>访问受限</body></html>"
    mock.get(api.QUERY_PATH).respond(status, text=page, headers={"Content-Type": "text/html"})
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is reason
    assert outcome.raw == page
    assert outcome.transient  # a web firewall's page: asked again with a new captcha


@pytest.mark.parametrize(
    "change",
    [
        {"validEndDate": "2028/13/45"},
        {"validEndDate": "soon"},
        {"operItemName": None, "allowItem": "", "certItem": " "},
        {"jobCategoryName": ["x"]},
    ],
)
def test_records_that_do_not_fit_the_mapping_are_unrecognized(mock: Any, change: dict[str, Any],
                                                              ) -> None:
    record = api_record("张三", ID) | change
    mock.get(api.QUERY_PATH).respond(json=found_json(record))
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE
    assert outcome.raw is not None and ID not in outcome.detail


# Only the operation item is required; without a name or an end date a record is still read
# (tests/test_mem_shapes.py), and the rules make the latter record_incomplete.
@pytest.mark.parametrize("missing", ["operItemName"])
def test_record_without_a_required_key_is_unrecognized(mock: Any, missing: str) -> None:
    record = api_record("张三", ID)
    del record[missing]
    mock.get(api.QUERY_PATH).respond(json=found_json(record))
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE


@pytest.mark.parametrize(
    "body", [{"code": 200, "data": {"x": 1}}, [1, 2], {"code": 403, "msg": "禁止访问"}],
)
def test_unexpected_shapes_are_unrecognized_never_not_found(mock: Any, body: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=body)
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE


def test_error_code_in_the_body_is_transient(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json={"code": 500, "msg": "系统繁忙"})
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.transient
    assert outcome.reason is Reason.LOOKUP_FAILED


def test_bad_captcha_answer_shape_is_unrecognized(mock: Any) -> None:
    mock["captcha"].respond(json={"msg": "ok"})
    outcome = run(source())
    assert isinstance(outcome, Failed) and outcome.reason is Reason.UNRECOGNIZED_RESPONSE


def test_captcha_switched_off_needs_no_solver(mock: Any) -> None:
    mock["captcha"].respond(json={"captchaEnabled": False, "code": 200})
    mock.get(api.QUERY_PATH).respond(json=found_json())
    assert isinstance(run(source(NoSolver("none"))), NotFound)


def test_service_down_is_lookup_failed_after_retries_never_not_found(
    mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    mock["captcha"].mock(
        side_effect=httpx.ConnectError(f"cannot connect to {BASE}/?idcardNum={ID}")
    )
    with caplog.at_level(logging.DEBUG):
        outcome = engine_run(source())
    assert isinstance(outcome, Failed)
    assert outcome.reason is Reason.LOOKUP_FAILED
    assert "gave up after 5 attempts" in outcome.detail
    assert mock["captcha"].call_count == 5
    assert ID not in outcome.detail
    assert all(ID not in r.getMessage() for r in caplog.records)


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None


def test_from_spec_uses_options_and_rejects_bad_urls() -> None:
    src = MemSource.from_spec(None, MemOptions(mem_url="http://127.0.0.1:9", solver=None))
    assert src.base_url == "http://127.0.0.1:9"
    assert src.cache_identity == "mem:http://127.0.0.1:9"
    assert isinstance(src.solver, NoSolver)
    with pytest.raises(SourceError):
        MemSource.from_spec(None, MemOptions(mem_url="ftp://x"))
    with pytest.raises(SourceError):
        open_chosen_source("mem", mem_url=api.DEFAULT_BASE_URL, captcha="no-such-solver")


def test_recordings_are_private_masked_and_replay_to_the_same_outcomes(
    mock: Any, tmp_path: Path
) -> None:
    record_dir = tmp_path / "rec"
    people = {
        Query(ID, "张三"): httpx.Response(200, json=found_json(api_record("张三", ID))),
        Query(make_id("11010519491231002"), "李四"): httpx.Response(200, json=found_json()),
        Query(make_id("31011519800101001"), "王五"): httpx.Response(200, text="<html>维护</html>"),
        Query(make_id("31011519800101002"), "赵六"): httpx.Response(503, text="busy"),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["idcardNum"]
        return next(r for q, r in people.items() if q.id_number == wanted)

    mock.get(api.QUERY_PATH).mock(side_effect=answer)
    src = source(record_dir=record_dir)
    live: dict[Query, Outcome] = {}

    async def main() -> None:
        try:
            for q in people:
                live[q] = await src.lookup(q)
        finally:
            await src.aclose()

    asyncio.run(main())
    assert stat.S_IMODE(record_dir.stat().st_mode) == 0o700
    files = sorted(record_dir.iterdir())
    assert len(files) == 4
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not any(q.id_number in path.name for q in people)
    assert recording_path(record_dir, QUERY).name.startswith("500381xxxxxxxx")
    # The captcha image is not kept; the answers are.
    assert CAPTCHA_PNG.hex()[:20] not in files[0].read_text()

    replay = ReplaySource.from_spec(str(record_dir), SourceOptions())

    async def replayed() -> dict[Query, Outcome]:
        return {q: await replay.lookup(q) for q in people}

    again = asyncio.run(replayed())
    for q, outcome in live.items():
        if isinstance(outcome, Failed):
            other = again[q]
            assert isinstance(other, Failed)
            assert (other.reason, other.raw) == (outcome.reason, outcome.raw)
            assert not other.transient  # a recording does not change by asking again
        else:
            assert again[q] == outcome
    missing = asyncio.run(replay.lookup(Query(ID, "张三丰")))
    assert isinstance(missing, Failed) and missing.reason is Reason.LOOKUP_FAILED


def test_replay_needs_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        ReplaySource.from_spec(None, SourceOptions())
    with pytest.raises(SourceError):
        ReplaySource.from_spec(str(tmp_path / "nope"), SourceOptions())


def test_once_the_solver_can_never_answer_no_more_captchas_are_fetched(mock: Any) -> None:
    mock.get(api.QUERY_PATH).respond(json=found_json())
    src = source(NoSolver("nobody at a terminal"))
    queries = [Query(make_id(f"5003811990010112{n}"), "张三") for n in range(5)]

    async def main() -> dict[Query, Any]:
        try:
            return await lookup_all(src, queries, EngineSettings(concurrency=1, retries=0))
        finally:
            await src.aclose()

    answers = asyncio.run(main())
    assert all(a.outcome.reason is Reason.CAPTCHA_FAILED for a in answers.values())
    assert mock["captcha"].call_count == 1


@pytest.mark.parametrize(
    "url", ["http://", "http://exa mple.com", "http://127.0.0.1:99999", "http://[::1", "ftp://x"]
)
def test_unusable_mem_url_is_a_source_error(url: str) -> None:
    from certcheck.cli.source_options import open_chosen_source
    from certcheck.sources.interface import SourceError

    with pytest.raises(SourceError, match="not a usable URL"):
        open_chosen_source("mem", mem_url=url, captcha="command:true")
