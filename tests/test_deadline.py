"""Every request to the national lookup has a deadline for its whole answer (issue 18).

httpx's timeouts count each read alone, so a body trickled one byte at a time never timed out
and hung the run. The stand-in server (tests/mem_server.py) trickles a whole answer a byte every
half second; the lookup gives up on it at ``--timeout``, asks again, and meanwhile neither the
rate limit nor the person answering captchas waits for it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from certcheck.check import EngineSettings
from certcheck.engine import lookup_all
from certcheck.models import Answer, Failed, Found, NotFound, Query, Reason
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import CaptchaSolver, CommandSolver
from certcheck.sources.mem import MemSource
from factories import StaticSolver, nth_id
from mem_server import MemServer, api_record

#: The old client would still be reading the trickled body after this long: the test fails
#: instead of hanging.
HARD_LIMIT = 30.0


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def lookups(server: MemServer, queries: list[Query], settings: EngineSettings, *,
            timeout: float, solver: CaptchaSolver | None = None) -> dict[Query, Answer]:
    source = MemSource(solver=solver or StaticSolver("abcd"), base_url=server.url,
                       timeout=timeout)

    async def main() -> dict[Query, Answer]:
        try:
            return await asyncio.wait_for(lookup_all(source, queries, settings), HARD_LIMIT)
        finally:
            await source.aclose()

    return asyncio.run(main())


def trickles(server: MemServer) -> list[Any]:
    return [e for e in server.log if e.fault == "trickle"]


def test_a_trickled_answer_is_given_up_at_the_deadline_and_asked_again() -> None:
    queries = people(2)
    registry = {queries[0].id_number: [api_record(queries[0].name, queries[0].id_number)]}
    # Every second query trickles: ~300 bytes at 2 a second would take minutes.
    with MemServer(registry, fault_every=2, faults=("trickle",), trickle_interval=0.5) as server:
        started = time.monotonic()
        answers = lookups(server, queries, EngineSettings(
            concurrency=1, retries=2, backoff_initial=0.01), timeout=1.5)
        elapsed = time.monotonic() - started
        trickled = trickles(server)
    assert len(trickled) == 1
    assert elapsed < 10.0
    assert isinstance(answers[queries[0]].outcome, Found)
    assert isinstance(answers[queries[1]].outcome, NotFound)


def test_a_trickle_every_time_is_a_timed_out_lookup_failure_never_a_verdict() -> None:
    query = people(1)[0]
    with MemServer({query.id_number: [api_record(query.name, query.id_number)]},
                   fault_every=1, faults=("trickle",), trickle_interval=0.5) as server:
        answers = lookups(server, [query], EngineSettings(
            concurrency=1, retries=1, backoff_initial=0.01), timeout=1.0)
    outcome = answers[query].outcome
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert "1 秒内未收到完整答复" in outcome.detail


def test_a_trickled_answer_holds_no_rate_permit_while_it_is_read() -> None:
    """At --rate 2 a request counts in the window until its answer is in: one answer that
    never ends used to stop every other request behind it."""
    queries = people(4)
    # The third query trickles; the fourth lookup's requests go on meanwhile.
    with MemServer({}, fault_every=3, faults=("trickle",), trickle_interval=0.5) as server:
        answers = lookups(server, queries, EngineSettings(
            concurrency=4, rate=2, retries=2, backoff_initial=0.01), timeout=2.5)
        trickled = trickles(server)[0]
        during = [e for e in server.log if trickled.at < e.at < trickled.at + 2.0]
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(during) >= 1  # half a second apart, as the rate allows


def test_the_person_answering_captchas_does_not_wait_for_a_trickled_answer(
    tmp_path: Path,
) -> None:
    log = tmp_path / "shown"
    program = tmp_path / "answer.py"
    program.write_text(f"import time\nopen({str(log)!r}, 'a').write(f'{{time.monotonic()}}\\n')\n"
                       "print('abcd')\n")
    queries = people(3)
    with MemServer({}, fault_every=2, faults=("trickle",), trickle_interval=0.5) as server:
        answers = lookups(server, queries, EngineSettings(
            concurrency=3, retries=2, backoff_initial=0.01), timeout=2.5,
            solver=CommandSolver([sys.executable, str(program)]))
        trickled = trickles(server)[0]
        queried = [e.at for e in server.log if e.path == api.QUERY_PATH]
    shown = [float(line) for line in log.read_text().split()]
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    # The third lookup's captcha was answered and its query sent while the second's answer
    # was still trickling in.
    assert any(trickled.at < t < trickled.at + 2.0 for t in shown)
    assert any(trickled.at < t < trickled.at + 2.0 for t in queried)
