"""The pace the service sees while a firewall refuses some requests, and after it stops.

1. 120 lookups through MemSource + engine at --rate 10 against the local imitation server
   (40 ms latency): first with no refusals (the floor, in the same run), then with 10 % of the
   first 160 requests refused at random, in every shape in turn (a redirect to a challenge,
   403, 405, 412, 429, 468, 503 with Retry-After, a challenge page, the service's own limiter
   in JSON). Requests as the server saw them arrive: their rate while refusals came, as a ratio
   of the floor's, the most in any 1-second window (must be <= 10), and how long after the last
   refusal the pace was back to 90 % of the floor's.
2. ``certcheck verify --source mem`` (a real process, the default --rate 1) against a server
   that refuses every request: how long until certcheck stops asking (target <= 60 s), and its
   exit code (3: unverified).

Run: .venv/bin/python bench/bench_refusals.py
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_lookups import max_in_window  # noqa: E402

from certcheck.check import EngineSettings  # noqa: E402
from certcheck.engine import lookup_all  # noqa: E402
from certcheck.models import Failed, Query  # noqa: E402
from certcheck.sources.mem import MemSource  # noqa: E402
from factories import StaticSolver, nth_id  # noqa: E402
from mem_server import MemServer, api_record  # noqa: E402

RATE = 10
LATENCY = 0.040
LOOKUPS = 120
SHARE = 0.10
REFUSING_FOR = 160
ALL_REFUSED_TARGET = 60.0


def people(n: int) -> list[Query]:
    return [Query(nth_id(i, born=f"19{70 + i // 1000 % 30}0315"), f"工人{i}") for i in range(n)]


def run(server: MemServer, queries: list[Query]) -> None:
    source = MemSource(solver=StaticSolver("abcd"), base_url=server.url, timeout=10)
    settings = EngineSettings(concurrency=16, rate=RATE, retries=6, backoff_initial=0.2)

    async def main() -> None:
        try:
            answers = await lookup_all(source, queries, settings)
        finally:
            await source.aclose()
        failed = [a for a in answers.values() if isinstance(a.outcome, Failed)]
        assert not failed, failed[:1]

    asyncio.run(main())


def pace(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def recovered_after(times: list[float], last_refusal: float, floor: float) -> tuple[float, int]:
    """Seconds (and requests) from the last refusal until a 2-second window first holds 90 %
    of the floor's pace."""
    later = [t for t in times if t > last_refusal]
    for i, start in enumerate(later):
        window = [t for t in later[i:] if t < start + 2.0]
        if len(window) >= 0.9 * floor * 2.0:
            return start - last_refusal, i
    return float("inf"), len(later)


def scattered() -> None:
    queries = people(LOOKUPS)
    registry = {q.id_number: [api_record(q.name, q.id_number)] for q in queries[::2]}
    with MemServer(registry, latency=LATENCY) as server:
        run(server, queries)
        plain = sorted(server.times())
    with MemServer(registry, latency=LATENCY, refuse_rate=SHARE, refuse_for=REFUSING_FOR,
                   retry_after="1", seed=7) as server:
        run(server, queries)
        times = sorted(server.times())
        refused_at = sorted(e.at for e in server.log if e.fault is not None)
    floor = pace(plain)
    while_refusing = [t for t in times if t <= refused_at[-1]]
    seen = pace(while_refusing)
    back, requests = recovered_after(times, refused_at[-1], floor)
    print(
        f"refusals: {SHARE:.0%} of the first {REFUSING_FOR} requests refused at random, every "
        f"shape, --rate {RATE}, {LATENCY * 1000:.0f} ms latency: the server saw {seen:.2f} "
        f"requests/s while refused ({len(refused_at)} refusals), against {floor:.2f}/s with "
        f"none (floor, same run): ratio {seen / floor:.2f}; max {max_in_window(times)} in any "
        f"1 s window (limit {RATE}); back to 90 % of the floor's pace {back:.1f} s "
        f"({requests} requests) after the last refusal", flush=True,
    )


def refusing_everything() -> None:
    with tempfile.TemporaryDirectory(prefix="certcheck-bench-") as folder:
        work = Path(folder)
        roster = work / "roster.csv"
        ids = [nth_id(i) for i in range(30)]
        roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
            f"工人{i},{n},T{n},低压电工\n" for i, n in enumerate(ids)), "utf-8")
        with MemServer({}, latency=LATENCY, refuse_rate=1.0, refuse_shapes=("403",)) as server:
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
                 "--mem-url", server.url, "--captcha", "command:echo abcd", "--no-cache",
                 "--no-progress", "--as-of", "2026-11-29", "-o", str(work / "out.json")],
                capture_output=True, text=True, stdin=subprocess.DEVNULL)
            elapsed = time.perf_counter() - began
            requests = len(server.times())
    said = "拒绝了所有请求" in done.stderr
    print(
        f"refusing everything: 30 workers at the default --rate 1 against a server that "
        f"refuses every request: certcheck stopped after {elapsed:.1f} s and {requests} "
        f"requests (target <= {ALL_REFUSED_TARGET:g} s: "
        f"{'met' if elapsed <= ALL_REFUSED_TARGET else 'MISSED'}), exit {done.returncode}, "
        f"{'said so once' if done.stderr.count('拒绝了所有请求') == 1 else 'NOT said'}"
        + ("" if said else f"; stderr: {done.stderr[-500:]}"), flush=True,
    )


def main() -> None:
    # The slowing-down notice is for a person at a terminal, not for this report.
    logging.getLogger("certcheck").setLevel(logging.ERROR)
    scattered()
    refusing_everything()


if __name__ == "__main__":
    main()
