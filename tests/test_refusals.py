"""A web firewall or the service's own limiter refusing, in every shape (issue 18).

Each refusal is retried with a new captcha, counted by the engine's limiter so that the whole
run slows down, and never read as anything about a person. Scattered refusals slow the run in
proportion to their share, and a service that refuses everything is given up within a minute.
Timings run on a virtual clock (tests/virtual_time.py); the cookie and the whole run use the
stand-in server (tests/mem_server.py) on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from certcheck.check import EngineSettings, run_lookups
from certcheck.engine import lookup_all
from certcheck.models import Answer, Failed, Found, NotFound, Outcome, Query, Reason
from certcheck.sources import mem_mapping as api
from certcheck.sources.mem import MemSource
from factories import ListSolver, StaticSolver, nth_id
from mem_server import CHALLENGE_PAGE, REFUSAL_SHAPES, MemServer, api_record
from test_mem import BASE, ID, QUERY, captcha_json
from test_mem import engine_run as through_engine
from test_mem import run as once
from virtual_time import LoopClock, VirtualService, most_in_any_second, run

HTML = {"Content-Type": "text/html"}


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


#: Every shape of refusal as the service or a firewall in front of it sends it.
REFUSALS: dict[str, Any] = {
    "302 to a challenge": lambda: httpx.Response(
        302, headers={"Location": f"/waf/challenge?ref=/netQuery?idcardNum={ID}"}),
    "405": lambda: httpx.Response(405, text=CHALLENGE_PAGE, headers=HTML),
    "412": lambda: httpx.Response(412, text=CHALLENGE_PAGE, headers=HTML),
    "468": lambda: httpx.Response(468, text=CHALLENGE_PAGE, headers=HTML),
    "503, Retry-After as an HTTP date": lambda: httpx.Response(
        503, text="Service Unavailable", headers={"Retry-After": http_date(1)}),
    "503, Retry-After in seconds": lambda: httpx.Response(
        503, text="Service Unavailable", headers={"Retry-After": "0.2"}),
    "403": lambda: httpx.Response(403, text=CHALLENGE_PAGE, headers=HTML),
    "429": lambda: httpx.Response(429, text="Too Many Requests"),
    "JSON 访问过于频繁 at code 500": lambda: httpx.Response(
        200, json={"code": 500, "msg": "访问过于频繁，请稍后再试"}),
    "JSON code 429": lambda: httpx.Response(200, json={"code": 429, "msg": "Too Many Requests"}),
    "JSON 请求过于频繁 at code 200": lambda: httpx.Response(
        200, json={"code": 200, "msg": "请求过于频繁"}),
    "JSON 操作频繁": lambda: httpx.Response(200, json={"code": 500, "msg": "操作频繁"}),
    "JSON 限流": lambda: httpx.Response(200, json={"code": 500, "msg": "接口限流"}),
    # Read as an answer, this one would say nothing was found: a false accusation.
    "JSON 访问过于频繁 with an empty data": lambda: httpx.Response(
        200, json={"code": 200, "msg": "访问过于频繁", "data": []}),
}
#: Refusals that are also garbage: kept apart for ``unrecognized_response`` (tests/test_mem_shapes.py).
PAGE_AT_200 = {"HTML at 200": lambda: httpx.Response(200, text=CHALLENGE_PAGE, headers=HTML)}


class Gate:
    """The engine's limiter as a source sees it, counting what it is told."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.waits: list[float | None] = []

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        yield

    def refused(self, retry_after: float | None = None) -> None:
        self.told.append("refused")
        self.waits.append(retry_after)

    def answered(self) -> None:
        self.told.append("answered")



def found() -> httpx.Response:
    return httpx.Response(200, json={"code": 200, "msg": "查询成功",
                                     "data": [api_record("张三", ID)]})


def source(**kwargs: Any) -> MemSource:
    return MemSource(solver=ListSolver(), base_url=BASE, timeout=2.0, **kwargs)




@pytest.fixture
def mock() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get(api.CAPTCHA_PATH, name="captcha").respond(json=captcha_json())
        yield router


# --- each shape -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(REFUSALS))
def test_each_refusal_is_a_retried_lookup_failure_that_the_gate_counts(
    mock: Any, shape: str
) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[REFUSALS[shape]()])
    src = source()
    gate = Gate()
    assert src.use_gate(gate)
    outcome = once(src)
    assert isinstance(outcome, Failed)
    assert outcome.reason is Reason.LOOKUP_FAILED and outcome.transient
    assert "refused the request" in outcome.detail
    assert ID not in outcome.detail  # the redirect's target repeats the ID number
    assert gate.told == ["answered", "refused"]  # the captcha was answered, the query refused


@pytest.mark.parametrize("shape", sorted(REFUSALS | PAGE_AT_200))
def test_after_each_refusal_the_lookup_asks_again_and_gets_the_answer(
    mock: Any, shape: str
) -> None:
    shapes = REFUSALS | PAGE_AT_200
    route = mock.get(api.QUERY_PATH).mock(side_effect=[shapes[shape](), found()])
    outcome = through_engine(source())
    assert isinstance(outcome, Found) and outcome.records[0].item == "低压电工作业"
    uuids = [call.request.url.params["uuid"] for call in route.calls]
    assert len(uuids) == 2  # with a new captcha each time


@pytest.mark.parametrize("shape", sorted(REFUSALS | PAGE_AT_200))
def test_a_refusal_every_time_is_never_a_verdict(mock: Any, shape: str) -> None:
    shapes = REFUSALS | PAGE_AT_200
    mock.get(api.QUERY_PATH).mock(side_effect=lambda request: shapes[shape]())
    outcome = through_engine(source())
    assert isinstance(outcome, Failed)
    assert outcome.reason in (Reason.LOOKUP_FAILED, Reason.UNRECOGNIZED_RESPONSE)


def test_the_html_page_at_200_is_counted_as_a_refusal(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[PAGE_AT_200["HTML at 200"]()])
    src = source()
    gate = Gate()
    src.use_gate(gate)
    outcome = once(src)
    assert isinstance(outcome, Failed) and outcome.transient
    assert gate.told == ["answered", "refused"]


@pytest.mark.parametrize(("as_date", "low", "high"), [
    (True, 1.5, 3.5),  # whole seconds: the date may be up to one early
    (False, 0.2, 0.2),
])
def test_retry_after_of_a_503_is_honoured_as_a_date_and_as_seconds(
    mock: Any, as_date: bool, low: float, high: float
) -> None:
    header = http_date(3) if as_date else "0.2"
    mock.get(api.QUERY_PATH).mock(side_effect=[
        httpx.Response(503, text="busy", headers={"Retry-After": header})])
    src = source()
    gate = Gate()
    src.use_gate(gate)
    outcome = once(src)
    assert isinstance(outcome, Failed) and outcome.retry_after is not None
    assert low <= outcome.retry_after <= high
    assert gate.waits == [outcome.retry_after]


def test_a_503_that_does_not_say_when_to_come_back_is_a_fault_not_a_refusal(mock: Any) -> None:
    mock.get(api.QUERY_PATH).mock(side_effect=[httpx.Response(503, text="busy")])
    src = source()
    gate = Gate()
    src.use_gate(gate)
    outcome = once(src)
    assert isinstance(outcome, Failed) and outcome.transient
    assert "refused" not in outcome.detail and gate.told == ["answered"]


@pytest.mark.parametrize("body", [
    {"code": 500, "msg": "访问过于频繁，请稍后再试"},
    {"code": 429, "msg": "请求过多"},
])
def test_the_services_limiter_on_the_captcha_endpoint_is_a_refusal_too(
    mock: Any, body: dict[str, Any]
) -> None:
    mock["captcha"].mock(side_effect=[httpx.Response(200, json=body),
                                      httpx.Response(200, json=captcha_json())])
    mock.get(api.QUERY_PATH).mock(side_effect=[found()])
    src = source()
    gate = Gate()
    src.use_gate(gate)
    first = once(src)
    assert isinstance(first, Failed) and first.transient
    assert first.detail.startswith("国家查询平台拒绝了获取验证码请求（refused the request）")
    assert gate.told == ["refused"]
    assert isinstance(through_engine(source()), Found)


def test_a_message_that_merely_mentions_nothing_found_is_still_read_as_before(mock: Any) -> None:
    """The markers are the limiter's words only: 没有查询到 stays "nothing found"."""
    mock.get(api.QUERY_PATH).respond(json={"code": 500, "msg": "没有查询到相关证件信息"})
    assert isinstance(once(source()), NotFound)


# --- a firewall's cookie ------------------------------------------------------------------------


@pytest.mark.parametrize("wall_with", ["302", "challenge"])
def test_a_firewalls_cookie_is_learnt_from_its_refusal_and_sent_from_then_on(
    wall_with: str,
) -> None:
    people = [Query(nth_id(i), f"工人{i}") for i in range(4)]
    registry = {q.id_number: [api_record(q.name, q.id_number)] for q in people[:2]}
    with MemServer(registry, cookie_wall=True, wall_with=wall_with) as server:
        src = MemSource(solver=StaticSolver("abcd"), base_url=server.url, timeout=5)
        # One at a time: lookups started together would all meet the wall before it spoke.
        answers = run_lookups(src, people, EngineSettings(concurrency=1, retries=2,
                                                          backoff_initial=0.01))
        refusals = server.refusals()
        requests = len(server.log)
    assert refusals == ["cookie-wall"]  # the first request only: every later one had it
    assert requests == 1 + 2 * len(people)
    assert [type(answers[q].outcome) for q in people] == [Found, Found, NotFound, NotFound]


# --- the pace -----------------------------------------------------------------------------------


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def virtual_run(service: VirtualService, n: int, settings: EngineSettings,
                store: Any = None) -> dict[Query, Answer]:
    async def main() -> dict[Query, Answer]:
        src = MemSource(solver=StaticSolver("abcd"), base_url="http://mem.test",
                        transport=service.transport())
        try:
            return await lookup_all(src, people(n), settings, clock=LoopClock(), store=store)
        finally:
            await src.aclose()

    return run(main())


def per_second(times: list[float], start: float, end: float) -> float:
    return sum(1 for t in times if start <= t < end) / (end - start)


def test_scattered_refusals_slow_the_run_in_proportion_and_it_recovers_when_they_stop() -> None:
    """10 % of requests refused at random for the first minute, at --rate 10: refusals never
    come two in a row long, yet the service sees the pace fall, and come back after."""
    service = VirtualService(latency=0.04, refuse_share=0.1, refuse_until=60.0, seed=3)
    answers = virtual_run(service, 500, EngineSettings(concurrency=4, rate=10))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    times = service.times()
    assert len(service.refused_at) >= 20
    during = per_second(times, 5.0, 60.0)
    after = per_second(times, 70.0, 90.0)
    assert during <= 6.0  # about half of the 9.6 a second the rate allows at 40 ms latency
    assert after >= 9.0  # back to the full pace once answers have pushed the refusals out
    assert most_in_any_second(times) <= 10


def test_a_single_refusal_now_and_then_does_not_slow_anyone() -> None:
    service = VirtualService(latency=0.04, refuse=1, refuse_status=429)
    virtual_run(service, 20, EngineSettings(concurrency=4, rate=10))
    assert per_second(service.times(), 0.0, 3.0) >= 9.0


def test_more_refusals_slow_more() -> None:
    paces = []
    for share in (0.05, 0.1, 0.25):
        service = VirtualService(latency=0.04, refuse_share=share, refuse_until=40.0, seed=5)
        virtual_run(service, 300, EngineSettings(concurrency=4, rate=10, retries=8))
        paces.append(per_second(service.times(), 5.0, 40.0))
    assert paces == sorted(paces, reverse=True)
    assert paces[-1] <= 3.0


# --- a service that refuses everything ----------------------------------------------------------


class Store:
    def __init__(self) -> None:
        self.put_count = 0

    def get(self, source_id: str, query: Query) -> Answer | None:
        return None

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        self.put_count += 1


@pytest.mark.parametrize(("rate", "status", "retry_after"), [
    (1, 429, None), (10, 403, None), (None, 200, None), (1, 429, 10.0), (10, 503, 5.0),
])
def test_a_service_refusing_everything_is_given_up_within_a_minute_and_said_once(
    caplog: pytest.LogCaptureFixture, rate: float | None, status: int,
    retry_after: float | None,
) -> None:
    service = VirtualService(latency=0.04, refuse=10**9, refuse_status=status,
                             retry_after=retry_after)
    store = Store()
    with caplog.at_level(logging.WARNING):
        answers = virtual_run(service, 30, EngineSettings(concurrency=4, rate=rate), store)
    assert max(service.times()) <= 60.0
    assert len(service.times()) <= 12
    outcomes = [a.outcome for a in answers.values()]
    assert all(isinstance(o, Failed) and o.reason is Reason.LOOKUP_FAILED for o in outcomes)
    assert sum(o.detail.startswith("未查询（not asked）：最近")  # type: ignore[union-attr]
               and "全被拒绝" in o.detail for o in outcomes) >= 26
    said = [r.getMessage() for r in caplog.records if "拒绝了所有请求" in r.getMessage()]
    assert len(said) == 1 and "可能被防火墙拦截" in said[0]
    assert store.put_count == 0  # nothing cached: the next run asks them all


def test_refusing_everything_is_seen_also_when_the_refusal_is_of_a_captcha_fetched_ahead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a person answering, a captcha is fetched ahead: its refusal reaches no lookup."""
    service = VirtualService(latency=0.04, refuse=10**9, refuse_status=403)

    class Person(StaticSolver):
        one_at_a_time = True

    async def main() -> dict[Query, Answer]:
        src = MemSource(solver=Person("abcd"), base_url="http://mem.test",
                        transport=service.transport())
        try:
            return await lookup_all(src, people(30), EngineSettings(concurrency=4, rate=1),
                                    clock=LoopClock())
        finally:
            await src.aclose()

    with caplog.at_level(logging.WARNING):
        answers = run(main())
    assert max(service.times()) <= 40.0
    assert all(isinstance(a.outcome, Failed) for a in answers.values())
    assert sum("拒绝了所有请求" in r.getMessage() for r in caplog.records) == 1


def test_a_firewall_that_refuses_for_twenty_seconds_is_waited_out() -> None:
    service = VirtualService(latency=0.04, refuse_share=1.0, refuse_until=20.0)
    answers = virtual_run(service, 10, EngineSettings(concurrency=4, rate=1))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(service.refused_at) >= 4


def test_a_firewall_allowing_less_than_the_rate_slows_the_run_and_never_stops_it() -> None:
    """A firewall that lets one request a second through, against --rate 3: two requests in
    three are refused at first; the run slows down to about the firewall's pace, tries the
    full pace again once the refusals have left the last 20 requests, and slows again."""
    service = VirtualService(latency=0.04, allow_per_second=1.0)
    answers = virtual_run(service, 30, EngineSettings(concurrency=4, rate=3))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    times = service.times()
    refused = service.refused_at
    assert 4 <= len(refused) <= len(times) // 4
    assert 0.7 <= (len(times) - 1) / (max(times) - min(times)) <= 1.0


@pytest.mark.parametrize("shape", REFUSAL_SHAPES)
def test_the_stand_in_refuses_in_each_shape(shape: str) -> None:
    """Each shape the stand-in serves is one certcheck takes as a refusal."""
    with MemServer({ID: [api_record("张三", ID)]}, refuse_first=1, refuse_with=shape,
                   retry_after="0.1") as server:
        src = MemSource(solver=StaticSolver("abcd"), base_url=server.url, timeout=5)
        gate = Gate()
        src.use_gate(gate)

        async def main() -> Outcome:
            try:
                return await src.lookup(QUERY)
            finally:
                await src.aclose()

        outcome = asyncio.run(main())
    assert gate.told == ["refused"]
    assert isinstance(outcome, Failed) and outcome.transient


# --- a whole run, as a person starts it -----------------------------------------------------------


def test_verify_against_a_firewall_refusing_in_every_shape_gives_every_worker_their_verdict(
    tmp_path: Path,
) -> None:
    """``certcheck verify --source mem``: a firewall that first sets its cookie, then refuses
    every fifth request in every shape in turn, captchas and queries alike."""
    rows, truth, registry = [], {}, {}
    for i in range(12):
        id_number = nth_id(i, born="19800101")
        name = f"工人{i}"
        if i % 3 == 0:
            registry[id_number] = [api_record(name, id_number)]
            truth[id_number] = ("valid", "ok")
            rows.append(f"{name},{id_number},T{id_number},低压电工")
        elif i % 3 == 1:
            truth[id_number] = ("fake", "not_found")
            rows.append(f"{name},{id_number},T{id_number},低压电工")
        else:
            truth[id_number] = ("uncertified", "no_certificate")
            rows.append(f"{name},{id_number},,低压电工")
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "\n".join(rows) + "\n", "utf-8")
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    out = tmp_path / "out.json"
    with MemServer(registry, cookie_wall=True, fault_every=5, faults=REFUSAL_SHAPES,
                   fault_steps=("captcha", "query"), retry_after="0.2") as server:
        done = subprocess.run(
            [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
             "--mem-url", server.url, "--captcha", f"command:{sys.executable} {program}",
             "--as-of", "2026-11-29", "--no-cache", "--rate", "20", "--timeout", "5",
             "--no-progress", "-o", str(out)],
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        refusals = server.refusals()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert {w["id_number"]: (w["status"], w["reason"]) for w in workers} == truth
    assert refusals[0] == "cookie-wall" and refusals.count("cookie-wall") == 1
    assert len(set(refusals)) >= 7  # most shapes were served along the way
    assert "放慢" in done.stderr  # the person is told the run slows down
