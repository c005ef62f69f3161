"""The person at the captcha never waits for the network.

While they type one captcha the next is already fetched (never so early that it expires), and
the answer is sent while they read the next image. Timings run on a virtual clock
(tests/virtual_time.py): a person taking 2 s per captcha, 40 ms of latency, ``--rate 1``.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import sys
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from certcheck.check import EngineSettings
from certcheck.cli import prompt
from certcheck.cli.progress import RichProgress, duration_en, duration_zh
from certcheck.cli.prompt import PromptSolver
from certcheck.engine import lookup_all
from certcheck.models import Answer, NotFound, Query
from certcheck.sources import captcha
from certcheck.sources.captcha import (
    CaptchaSolver,
    CaptchaTurns,
    CommandSolver,
)
from certcheck.sources.mem import MemSource
from factories import StaticSolver, nth_id
from mem_server import CAPTCHA_PNG
from virtual_time import LoopClock, VirtualService, most_in_any_second, now, run


class Typist(CaptchaSolver):
    """A person who takes ``seconds`` (one figure per image, the last repeating) per captcha."""

    name = "typist"
    one_at_a_time = True

    def __init__(self, *seconds: float) -> None:
        self.seconds = list(seconds) or [2.0]
        self.shown: list[float] = []

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        return cls()

    async def solve(self, image: bytes, *, attempt: int) -> str:
        self.shown.append(now())
        await asyncio.sleep(self.seconds.pop(0) if len(self.seconds) > 1 else self.seconds[0])
        return "abcd"


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def pipeline(service: VirtualService, solver: CaptchaSolver, n: int,
             rate: float | None = 1) -> tuple[float, dict[Query, Answer], MemSource]:
    src = MemSource(solver=solver, base_url="http://mem.test", transport=service.transport())

    async def main() -> tuple[float, dict[Query, Answer]]:
        try:
            answers = await lookup_all(src, people(n), EngineSettings(concurrency=4, rate=rate),
                                       clock=LoopClock())
            return now(), answers
        finally:
            await src.aclose()

    elapsed, answers = run(main())
    return round(elapsed, 3), answers, src


def test_the_person_types_without_a_pause_and_rate_1_holds() -> None:
    service = VirtualService(latency=0.04)
    typist = Typist(2.0)
    elapsed, answers, src = pipeline(service, typist, 10)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    # 10 captchas of 2 s each is the floor: 20 s. The first image takes one round trip, the
    # last answer another.
    assert elapsed == 20.08
    assert [round(b - a, 3) for a, b in itertools.pairwise(typist.shown)] == [2.0] * 9
    assert most_in_any_second(service.times()) == 1
    # Fetched ahead for every lookup but the first, none for nobody after the last.
    assert src.captchas.fetched_ahead == 9 and len(service.times("captcha")) == 10


def test_each_answer_is_sent_while_the_person_reads_the_next_image() -> None:
    service = VirtualService(latency=0.04)
    typist = Typist(2.0)
    pipeline(service, typist, 6, rate=None)
    queries = service.times("query")
    for k in range(5):
        assert typist.shown[k + 1] <= queries[k] < typist.shown[k + 1] + 2.0


def test_a_captcha_fetched_ahead_is_never_shown_when_it_may_have_expired() -> None:
    service = VirtualService(latency=0.04)
    typist = Typist(100.0, 2.0)  # away from the keyboard on the first image
    _, answers, src = pipeline(service, typist, 3)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert captcha.CAPTCHA_MAX_AGE == 90.0
    assert src.captchas.discarded == 1  # 99 s old when wanted: a new one was fetched
    assert [verdict for _, verdict in service.verdicts] == ["nothing"] * 3
    assert len(service.times("captcha")) == 4


def test_a_captcha_fetched_ahead_is_used_while_young_enough() -> None:
    service = VirtualService(latency=0.04)
    _, _, src = pipeline(service, Typist(80.0, 2.0), 3)
    assert src.captchas.discarded == 0 and len(service.times("captcha")) == 3
    assert [verdict for _, verdict in service.verdicts] == ["nothing"] * 3


def test_a_captcha_fetched_ahead_that_failed_costs_no_lookup_an_attempt() -> None:
    service = VirtualService(latency=0.04, broken_captchas=(2,))  # the first one fetched ahead
    typist = Typist(2.0)
    _, answers, src = pipeline(service, typist, 3)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert src.captchas.discarded == 1 and len(service.times("captcha")) == 4
    assert len(typist.shown) == 3  # nobody was asked twice


def test_without_a_person_nothing_is_fetched_ahead() -> None:
    """A solver that answers many at once (a plugin, a test) has each lookup fetch its own."""
    service = VirtualService(latency=0.04)
    _, _, src = pipeline(service, StaticSolver("abcd"), 5, rate=None)
    assert src.captchas.fetched_ahead == 0 and len(service.times("captcha")) == 5


def test_a_wrong_answer_is_said_at_a_later_prompt_and_asked_again() -> None:
    service = VirtualService(latency=0.0)

    async def judge(request: httpx.Request) -> httpx.Response:
        return await service.handle(request)

    out = io.StringIO()
    solver = PromptSolver(stream_in=io.StringIO("wxyz\nabcd\nabcd\n"), stream_out=out, width=80)
    src = MemSource(solver=solver, base_url="http://mem.test",
                    transport=httpx.MockTransport(judge))

    async def main() -> dict[Query, Answer]:
        try:
            return await lookup_all(src, people(2), EngineSettings(concurrency=2))
        finally:
            await src.aclose()

    answers = asyncio.run(main())
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    prompts = out.getvalue().split(prompt.PROMPT)
    assert len(prompts) == 4  # three images: one answer was wrong
    assert sum(prompt.REJECTED in p for p in prompts) == 1
    assert prompt.REJECTED not in prompts[0]
    assert [v for _, v in service.verdicts] == ["wrong", "nothing", "nothing"]


def test_the_prompt_says_how_many_are_left_and_when_the_run_ends() -> None:
    clock = iter([0.0, 2.1, 4.1, 6.1, 8.1])
    bar = RichProgress(Console(file=io.StringIO(), force_terminal=True, width=100),
                       clock=lambda: next(clock))
    bar.on_start(10)
    try:
        assert bar.status_line() == (
            "还剩 10 次查询，完成时间估算中（10 lookups left, estimating the time）")
        for n in range(3):
            bar.on_answer(Query(nth_id(n), "张三"), Answer(NotFound(), "mem", None))  # type: ignore[arg-type]
        # Three answers 2 s apart: seven left, 14 s.
        assert bar.status_line() == "还剩 7 次查询，预计约 14秒后完成（7 lookups left, about 14 s to go）"
        out = io.StringIO()
        solver = PromptSolver(stream_in=io.StringIO("abcd\n"), stream_out=out, width=80,
                              terminal=bar)
        assert asyncio.run(solver.solve(CAPTCHA_PNG, attempt=1)) == "abcd"
        shown = out.getvalue()
        assert shown.endswith("还剩 7 次查询，预计约 14秒后完成（7 lookups left, about 14 s to go）\n"
                              + prompt.PROMPT)
        asyncio.run(solver.aclose())
    finally:
        bar.on_finish()
    assert bar.status_line() is None  # the bar is gone: the prompt says nothing of the run


def test_durations_read_naturally() -> None:
    assert [duration_zh(s) for s in (14, 130, 3900)] == ["14秒", "2分10秒", "1小时05分"]
    assert [duration_en(s) for s in (14, 130, 3900)] == ["14 s", "2 min 10 s", "1 h 05 min"]


def test_turns_count_who_waits() -> None:
    seen: list[int] = []

    async def fetch() -> str:
        return "image"

    turns: CaptchaTurns[str] = CaptchaTurns(Typist(), fetch)

    async def lookup() -> None:
        async with turns.turn():
            await asyncio.sleep(0)  # the others are queued by now
            seen.append(turns.waiting)
            await turns.take()
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(*(lookup() for _ in range(3)))
        await turns.aclose()

    asyncio.run(main())
    assert seen == [2, 1, 0]
    assert turns.fetched_ahead == 2


def test_a_captcha_program_answers_one_image_at_a_time(tmp_path: Path) -> None:
    log = tmp_path / "log"
    program = tmp_path / "solver.py"
    program.write_text(
        "import sys, time\n"
        f"log = open({str(log)!r}, 'a')\n"
        "log.write('start\\n'); log.flush(); time.sleep(0.2)\n"
        "log.write('end\\n'); print('abcd')\n"
    )
    solver = CommandSolver([sys.executable, str(program)])
    assert solver.one_at_a_time

    async def main() -> list[Any]:
        return await asyncio.gather(*(solver.solve(CAPTCHA_PNG, attempt=1) for _ in range(2)))

    assert asyncio.run(main()) == ["abcd", "abcd"]
    assert log.read_text().split() == ["start", "end", "start", "end"]


def test_one_lookup_left_is_said_in_the_singular() -> None:
    clock = iter([0.0, *(2.0 * n + 0.1 for n in range(1, 10))])
    bar = RichProgress(Console(file=io.StringIO(), force_terminal=True, width=100),
                       clock=lambda: next(clock))
    bar.on_start(10)
    try:
        for n in range(9):
            bar.on_answer(Query(nth_id(n), "张三"), Answer(NotFound(), "mem", None))  # type: ignore[arg-type]
        line = bar.status_line()
        assert line is not None and line.startswith("还剩 1 次查询，预计约 ")
        assert "（1 lookup left, about " in line and "lookups" not in line
    finally:
        bar.on_finish()
