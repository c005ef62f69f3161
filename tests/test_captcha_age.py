"""A captcha's age counts when its answer is sent, not when it is shown (issue 18).

A captcha fetched ahead and then answered slowly, or one whose query waited long for a permit,
would reach the service expired, and the person would be told they typed it wrong. Such a
captcha is not sent: the person gets a new image, and is told it was no typing error. When
captchas keep expiring (a slow answerer, or a service whose captchas live less long than
assumed), none is fetched ahead any more. Timings run on a virtual clock
(tests/virtual_time.py), where the service's captchas live 120 s unless a test says otherwise;
one test runs the stand-in server with a captcha program.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from certcheck.check import EngineSettings
from certcheck.cli import prompt
from certcheck.cli.prompt import PromptSolver
from certcheck.engine import lookup_all
from certcheck.models import Answer, NotFound, Query
from certcheck.sources.captcha import CaptchaSolver, CommandSolver
from certcheck.sources.mem import MemSource
from factories import StaticSolver, nth_id
from mem_server import MemServer, api_record
from virtual_time import LoopClock, VirtualService, now, run


class Typist(CaptchaSolver):
    """A person taking the listed seconds per captcha (the last repeating), who notices being
    told an answer was wrong or came too late."""

    name = "typist"
    one_at_a_time = True

    def __init__(self, *seconds: float) -> None:
        self.seconds = list(seconds)
        self.shown: list[float] = []
        self.blamed = 0
        self.told_expired = 0

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        return cls(2.0)

    async def solve(self, image: bytes, *, attempt: int) -> str:
        self.shown.append(now())
        await asyncio.sleep(self.seconds.pop(0) if len(self.seconds) > 1 else self.seconds[0])
        return "abcd"

    def rejected(self) -> None:
        self.blamed += 1

    def expired(self) -> None:
        self.told_expired += 1


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def pipeline(service: VirtualService, solver: CaptchaSolver, n: int, *,
             settings: EngineSettings | None = None, **source: Any) -> dict[Query, Answer]:
    src = MemSource(solver=solver, base_url="http://mem.test", transport=service.transport(),
                    **source)

    async def main() -> dict[Query, Answer]:
        try:
            return await lookup_all(src, people(n), settings or EngineSettings(
                concurrency=4, rate=1), clock=LoopClock())
        finally:
            await src.aclose()

    return run(main())


def said(service: VirtualService) -> list[str]:
    return [verdict for _, verdict in service.verdicts]


def test_a_captcha_fetched_ahead_and_answered_slowly_is_replaced_not_sent() -> None:
    """The second image was fetched at 1 s, shown at 80 s (young enough to show) and answered
    at 140 s: sent then, it would arrive expired."""
    service = VirtualService(latency=0.04)
    typist = Typist(80.0, 60.0, 2.0)
    answers = pipeline(service, typist, 3)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert said(service) == ["nothing"] * 3  # none arrived expired
    assert typist.blamed == 0 and typist.told_expired == 1
    assert len(typist.shown) == 4  # the person saw one more image, and was told why


def test_a_query_that_waited_past_its_captchas_life_for_a_permit_is_not_sent() -> None:
    """Two refusals in a row ask everyone to wait 200 s; the captcha answered before that
    would be 200 s old when its query could go."""
    service = VirtualService(latency=0.04, refuse_requests=(3, 4), refuse_status=429,
                             retry_after=200.0)
    solver = Typist(0.0)
    answers = pipeline(service, solver, 4, settings=EngineSettings(
        concurrency=4, rate=10, backoff_initial=0.01, backoff_max=0.02))
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert "expired" not in said(service)
    assert solver.told_expired >= 1 and solver.blamed == 0


def test_when_captchas_keep_expiring_none_is_fetched_ahead_any_more() -> None:
    """The service's captchas live 60 s, not the 120 s assumed, and the person takes 40 s:
    fetched ahead, a captcha is 80 s old when answered. After it has happened, each captcha
    is fetched when it is shown, and every answer arrives in time."""
    service = VirtualService(latency=0.04, captcha_lifetime=60.0)
    typist = Typist(40.0)
    answers = pipeline(service, typist, 6)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert said(service).count("expired") == 1
    assert said(service).count("nothing") == 6
    assert typist.blamed == 0
    # From the switch on, a captcha is fetched as each image is shown.
    captchas = service.times("captcha")
    assert all(any(abs(c - s) < 1.0 for c in captchas) for s in typist.shown[-3:])


def test_an_expired_captcha_is_not_blamed_on_the_person(tmp_path: Path) -> None:
    """The prompt says a new image is no typing error, and not that the answer was wrong."""
    service = VirtualService(latency=0.0, captcha_lifetime=0.0)
    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("abcd\n" * 4), stream_out=out, width=80)
    src = MemSource(solver=solver, base_url="http://mem.test", transport=service.transport())

    async def main() -> dict[Query, Answer]:
        try:
            return await lookup_all(src, people(1), EngineSettings(concurrency=1, retries=0))
        finally:
            await src.aclose()

    asyncio.run(main())
    shown = out.getvalue()
    assert prompt.EXPIRED in shown and prompt.REJECTED not in shown


def test_a_slow_captcha_program_against_captchas_that_expire_soon(tmp_path: Path) -> None:
    """The stand-in's captchas live 2 s; the program takes 1.2 s per answer. Fetched ahead,
    an image would be about 2.4 s old when answered: it is replaced, never sent expired."""
    program = tmp_path / "answer.sh"
    program.write_text("#!/bin/sh\nsleep 1.2\necho abcd\n")
    program.chmod(0o700)
    queries = people(4)
    registry = {q.id_number: [api_record(q.name, q.id_number)] for q in queries[::2]}
    with MemServer(registry, captcha_lifetime=2.0) as server:
        src = MemSource(solver=CommandSolver([str(program)]), base_url=server.url, timeout=5,
                        captcha_lifetime=2.0)

        async def main() -> dict[Query, Answer]:
            try:
                return await lookup_all(src, queries, EngineSettings(concurrency=4))
            finally:
                await src.aclose()

        answers = asyncio.run(main())
        expired = server.expired_answers
    assert expired == 0
    assert [type(answers[q].outcome).__name__ for q in queries] == [
        "Found", "NotFound", "Found", "NotFound"]


def test_answers_in_time_are_sent_as_before() -> None:
    service = VirtualService(latency=0.04)
    answers = pipeline(service, StaticSolver("abcd"), 5)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(service.times("captcha")) == 5
