"""Engine overhead and rate-limit accuracy, measured against floors taken in the same run.

1. 400 lookups through MemSource + engine (concurrency 16, no rate limit) against the local
   imitation server with 40 ms latency, versus the same 800 requests (captcha + query each) sent
   by a bare httpx.AsyncClient at 16 in flight. Target: ratio <= 1.2.
2. 100 lookups at --rate 20: every request (captcha and query) as the server saw it arrive; the
   most in any 1-second window (must be <= 20) and the achieved rate as a fraction of 20.
3. The same with rejected captchas: 30 lookups at --rate 10 whose first 15 answers the server
   turns down, so that each of those costs a new captcha and query; the most requests in any
   1-second window (must be <= 10).

Run: .venv/bin/python bench/bench_lookups.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from certcheck.check import EngineSettings
from certcheck.engine import lookup_all
from certcheck.models import Query
from certcheck.sources import mem_mapping as api
from certcheck.sources.mem import MemSource
from factories import StaticSolver, nth_id
from mem_server import MemServer, api_record

LOOKUPS = 400
IN_FLIGHT = 16
LATENCY = 0.040


def people(n: int) -> list[Query]:
    return [Query(nth_id(i, born=f"19{70 + i // 1000 % 30}0315"), f"工人{i}") for i in range(n)]


async def through_engine(url: str, queries: list[Query], settings: EngineSettings) -> float:
    source = MemSource(solver=StaticSolver("abcd"), base_url=url, timeout=10)
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
    """The most of ``times`` in any closed window [t, t + window]."""
    times = sorted(times)
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] > window:
            j += 1
        best = max(best, i - j + 1)
    return best


def rate_run(registry: dict[str, list[Any]], queries: list[Query], rate: float,
             reject: int = 0) -> tuple[list[float], int]:
    """Request arrival times at a fresh server (what a firewall counts), and captchas asked."""
    with MemServer(registry, latency=LATENCY, reject_captchas=reject) as server:
        settings = EngineSettings(concurrency=IN_FLIGHT, rate=rate, retries=4,
                                  backoff_initial=0.05)
        asyncio.run(through_engine(server.url, queries, settings))
        return server.times(), server.count(api.CAPTCHA_PATH)


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
    times, _ = rate_run(registry, people(100), 20)
    achieved = (len(times) - 1) / (max(times) - min(times))
    print(
        f"rate: 100 lookups at rate 20: {len(times)} requests, max {max_in_window(times)} "
        f"in any 1 s window as they arrived (limit 20), achieved {achieved:.2f}/s = "
        f"{achieved / 20:.3f} of 20 (a window counts from each answer, so every second loses "
        f"one round trip)"
    )
    times, captchas = rate_run(registry, people(30), 10, reject=15)
    print(
        f"rate with rejected captchas: 30 lookups at rate 10, 15 answers rejected: "
        f"{captchas} captchas, {len(times)} requests, max {max_in_window(times)} in any 1 s "
        f"window (limit 10)"
    )


if __name__ == "__main__":
    main()
