"""``--rate`` counts every request to the service, and refusals slow the whole run down.

Most of these run on a virtual clock (tests/virtual_time.py), so that every time they measure
is exact and minutes of waiting take milliseconds; one runs against the stand-in server in real
time, counting requests where a firewall counts them: as they arrive.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from certcheck.check import EngineSettings
from certcheck.engine import RateLimiter, lookup_all
from certcheck.models import Failed, FailureKind, NotFound, Outcome, Query
from certcheck.sources.interface import LookupSource, SourceOptions
from certcheck.sources.mem import MemSource
from factories import StaticSolver, nth_id
from mem_server import MemServer
from virtual_time import LoopClock, VirtualService, most_in_any_second, now, run

#: Retries that wait little, so that the limiter alone sets the pace.
QUICK = {"retries": 4, "backoff_initial": 0.01, "backoff_max": 0.02}


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def mem_run(service: VirtualService, queries: list[Query], settings: EngineSettings,
            **source: Any) -> dict[Query, Any]:
    async def main() -> dict[Query, Any]:
        src = MemSource(solver=StaticSolver("abcd"), base_url="http://mem.test",
                        transport=service.transport(), **source)
        try:
            return await lookup_all(src, queries, settings, clock=LoopClock())
        finally:
            await src.aclose()

    return run(main())


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


# --- the limiter -----------------------------------------------------------------------------


def test_a_window_counts_from_the_answer_so_network_delays_cannot_squeeze_it() -> None:
    """A request counts until its answer is in: the request ``rate`` places later goes a
    second after that answer, so however late the earlier one arrived, no second holds more."""
    spans: list[tuple[float, float]] = []

    async def main() -> None:
        limiter = RateLimiter(2, LoopClock())

        async def one(latency: float) -> None:
            async with limiter.request():
                start = now()
                await asyncio.sleep(latency)
            spans.append((start, now()))

        await asyncio.gather(*(one(0.3 if i % 2 else 0.05) for i in range(6)))

    run(main())
    spans.sort()
    starts = [s for s, _ in spans]
    assert starts[:3] == [0.0, 0.5, 1.052]  # 1.052: the first answer (0.05) + 1 s + margin
    assert all(starts[k + 2] >= spans[k][1] + 1.0 for k in range(len(spans) - 2))
    # Any moment between a request's start and its answer is when it may arrive; none of those
    # choices can put three in one second.
    assert most_in_any_second([end for _, end in spans]) <= 2


def test_refusals_in_a_row_slow_every_request_and_answers_bring_the_pace_back() -> None:
    async def main() -> list[float]:
        limiter = RateLimiter(10, LoopClock())
        seen = [limiter.interval]
        limiter.refused()  # one refusal alone is one lookup's trouble
        seen.append(limiter.interval)
        for _ in range(3):
            limiter.refused()
            seen.append(limiter.interval)
        for _ in range(4):
            limiter.answered()
        seen.append(limiter.interval)
        for _ in range(8):
            limiter.answered()
        # The run is over, but 4 of the last 16 requests were refused: a fifth of a window.
        seen.append(limiter.interval)
        for _ in range(7):
            limiter.answered()
        # They have left the last 20.
        seen.append(limiter.interval)
        return [round(s, 3) for s in seen]

    assert run(main()) == [0.1, 0.1, 0.2, 0.4, 0.8, 0.4, 0.4, 0.1]


def test_scattered_refusals_slow_every_request_by_their_share_of_the_last_twenty() -> None:
    """Never two in a row, yet one request in ten refused halves the pace, one in five
    quarters it; answers bring it back as they push the refusals out of the last 20."""

    async def main() -> list[float]:
        limiter = RateLimiter(10, LoopClock())
        seen = []
        for every in (10, 5):
            for n in range(40):
                if n % every == every - 1:
                    limiter.refused()
                else:
                    limiter.answered()
            seen.append(limiter.interval)
        for _ in range(15):
            limiter.answered()
        seen.append(limiter.interval)  # one refusal left among the last 20
        return [round(s, 3) for s in seen]

    assert run(main()) == [0.2, 0.4, 0.1]


def test_slowing_down_an_unlimited_run_starts_from_ten_a_second_and_stops_at_a_minute() -> None:
    async def main() -> list[float]:
        limiter = RateLimiter(None, LoopClock())
        seen = [limiter.interval]
        for _ in range(3):
            limiter.refused()
        seen.append(limiter.interval)
        for _ in range(20):
            limiter.refused()
        seen.append(limiter.interval)
        return [round(s, 3) for s in seen]

    assert run(main()) == [0.0, 0.4, 60.0]


# --- every request of the national lookup counts --------------------------------------------


def test_first_two_requests_at_rate_1_are_a_second_apart() -> None:
    service = VirtualService(latency=0.04)
    mem_run(service, people(3), EngineSettings(concurrency=4, rate=1))
    times = service.times()
    assert len(times) == 6
    # Each a second after the answer to the one before (40 ms) and the 2 ms margin.
    assert gaps(times) == [1.042] * 5


def test_rejected_captchas_are_new_requests_within_the_rate() -> None:
    service = VirtualService(latency=0.04, reject=5)
    answers = mem_run(service, people(8), EngineSettings(concurrency=4, rate=3, **QUICK))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(service.times("captcha")) == 8 + 5
    assert len(service.times("query")) == 8 + 5
    assert most_in_any_second(service.times()) == 3


def test_rate_holds_at_the_stand_in_server_with_rejected_captchas() -> None:
    """Real time, real sockets: arrivals as the server logs them."""
    queries = people(6)
    with MemServer(reject_captchas=3) as server:
        source = MemSource(solver=StaticSolver("abcd"), base_url=server.url, timeout=5)
        settings = EngineSettings(concurrency=4, rate=10, retries=2, backoff_initial=0.01)

        async def main() -> dict[Query, Any]:
            try:
                return await lookup_all(source, queries, settings)
            finally:
                await source.aclose()

        answers = asyncio.run(main())
        times = server.times()
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(times) == 2 * (6 + 3)
    assert most_in_any_second(times) <= 10


# --- a firewall that refuses slows everyone --------------------------------------------------


def test_a_run_of_refusals_slows_every_lookup_then_the_pace_recovers() -> None:
    service = VirtualService(latency=0.0, refuse=4, refuse_status=429)
    answers = mem_run(service, people(14), EngineSettings(concurrency=4, rate=10, **QUICK))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    spacing = gaps(service.times())
    # Four refusals: the second doubles the spacing for every request, each further one
    # doubles it again; each proper answer then takes back a quarter of a doubling (the
    # request after the first answer was already waiting at the slowest pace) …
    assert spacing[:8] == [0.1, 0.2, 0.4, 0.8, 0.8, 0.673, 0.566, 0.476]
    # … down to the pace that 4 refused among the last 20 requests call for (two doublings),
    # until they leave the last 20 one by one.
    assert spacing[8:24] == [0.4] * 13 + [0.283, 0.2, 0.1]
    assert spacing[-5:] == [0.1] * 5
    assert len(spacing) == 4 + 28 - 1


def test_challenge_pages_and_403_count_as_refusals() -> None:
    for status in (200, 403):
        service = VirtualService(latency=0.0, refuse=3, refuse_status=status)
        mem_run(service, people(4), EngineSettings(concurrency=2, rate=10, **QUICK))
        assert gaps(service.times())[:3] == [0.1, 0.2, 0.4], status


def test_retry_after_in_a_run_of_refusals_pauses_every_lookup() -> None:
    service = VirtualService(latency=0.0, refuse=2, refuse_status=429, retry_after=5)
    mem_run(service, people(4), EngineSettings(concurrency=4, rate=10, **QUICK))
    times = service.times()
    assert times[1] == 0.1 and times[2] >= times[1] + 5.0


def test_a_single_refusal_slows_only_its_own_lookup() -> None:
    service = VirtualService(latency=0.0, refuse=1, refuse_status=429, retry_after=5)
    mem_run(service, people(4), EngineSettings(concurrency=4, rate=10, **QUICK))
    assert gaps(service.times())[:4] == [0.1, 0.1, 0.1, 0.1]


class Refusing(LookupSource):
    """A source that does not take permits itself: the engine paces its lookups."""

    name = "refusing"

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.starts: list[float] = []

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> Refusing:
        return cls(0)

    async def lookup(self, query: Query) -> Outcome:
        self.starts.append(now())
        if self.refusals > 0:
            self.refusals -= 1
            return Failed(FailureKind.LOOKUP_FAILED, "HTTP 429", transient=True, retry_after=0.5)
        return NotFound()


def test_the_engine_takes_429s_of_a_source_without_a_gate_as_refusals() -> None:
    source = Refusing(3)

    async def main() -> None:
        await lookup_all(source, people(6), EngineSettings(concurrency=6, rate=10, **QUICK),
                         clock=LoopClock())

    run(main())
    spacing = gaps(source.starts)
    assert spacing[:3] == [0.1, 0.5, 0.5]  # from the second refusal in a row: a pause for all
    assert max(spacing) <= 0.5
