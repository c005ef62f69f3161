"""Engine overhead and rate-limit accuracy, measured against floors taken in the same run.

1. 400 lookups through MemSource + engine (concurrency 16, no rate limit) against the local
   imitation server with 40 ms latency, versus the same 800 requests (captcha + query each) sent
   by a bare httpx.AsyncClient at 16 in flight. Target: ratio <= 1.2.
2. 100 lookups at --rate 20: the most starts in any 1-second window (must be <= 20) and the
   achieved rate as a fraction of 20.

Run: /work/venv/bin/python bench/bench_lookups.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from certcheck.check import EngineSettings, lookup_all
from certcheck.models import Outcome, Query
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import StaticSolver
from certcheck.sources.mem import MemSource
from factories import nth_id
from mem_server import MemServer, api_record

LOOKUPS = 400
IN_FLIGHT = 16
LATENCY = 0.040


def people(n: int) -> list[Query]:
    return [Query(nth_id(i, born=f"19{70 + i // 1000 % 30}0315"), f"工人{i}") for i in range(n)]


async def through_engine(
    url: str, queries: list[Query], settings: EngineSettings, starts: list[float] | None = None
) -> float:
    source = MemSource(solver=StaticSolver("abcd"), base_url=url, timeout=10)
    if starts is not None:
        original = source.lookup

        async def timed(query: Query) -> Outcome:
            starts.append(time.monotonic())
            return await original(query)

        source.lookup = timed  # type: ignore[method-assign]
    began = time.perf_counter()
    try:
        answers = await lookup_all(source, queries, settings)
    finally:
        await source.aclose()
    elapsed = time.perf_counter() - began
    failed = [a for a in answers.values() if type(a.outcome).__name__ == "Failed"]
    assert not failed, failed[:1]
    return elapsed


async def bare(url: str, queries: list[Query]) -> float:
    slots = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=url, timeout=10, limits=httpx.Limits(max_connections=64)
    ) as client:

        async def one(query: Query) -> None:
            async with slots:
                captcha = (await client.get(api.CAPTCHA_PATH)).json()
                response = await client.get(
                    api.QUERY_PATH,
                    params={
                        api.PARAM_NAME: query.name,
                        api.PARAM_ID: query.id_number,
                        api.PARAM_CAPTCHA: "abcd",
                        api.PARAM_UUID: captcha["uuid"],
                        **api.QUERY_FIXED_PARAMS,
                    },
                )
                assert response.json()["code"] == 200

        began = time.perf_counter()
        await asyncio.gather(*(one(q) for q in queries))
        return time.perf_counter() - began


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] > window:
            j += 1
        best = max(best, i - j + 1)
    return best


def main() -> None:
    queries = people(LOOKUPS)
    registry = {q.id_number: [api_record(q.name, q.id_number)] for q in queries[::2]}
    with MemServer(registry, latency=LATENCY) as server:
        # Warm-up: threads, connections, imports.
        asyncio.run(bare(server.url, queries[:32]))
        floor = asyncio.run(bare(server.url, queries))
        engine = asyncio.run(
            through_engine(server.url, queries, EngineSettings(concurrency=IN_FLIGHT, rate=None))
        )
        print(
            f"lookups: {LOOKUPS} x (captcha+query) @ {LATENCY * 1000:.0f} ms latency, "
            f"{IN_FLIGHT} in flight: engine {engine:.2f} s, bare httpx {floor:.2f} s, "
            f"ratio {engine / floor:.3f} (target <= 1.2)"
        )
        starts: list[float] = []
        rate_queries = people(100)
        asyncio.run(
            through_engine(
                server.url, rate_queries, EngineSettings(concurrency=IN_FLIGHT, rate=20), starts
            )
        )
        achieved = (len(starts) - 1) / (max(starts) - min(starts))
        print(
            f"rate: 100 lookups at rate 20: max {max_in_window(starts)} starts in any 1 s "
            f"window (limit 20), achieved {achieved:.2f}/s = {achieved / 20:.3f} of 20"
        )


if __name__ == "__main__":
    main()
