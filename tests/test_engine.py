"""The lookup engine: de-duplication, concurrency, rate, retries, cache, progress, Ctrl-C."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from certcheck.check import Answer, EngineSettings, run_lookups
from certcheck.cli.progress import RichProgress
from certcheck.engine import LookupEngine, lookup_all
from certcheck.models import Failed, FailureKind, Found, NotFound, Outcome, Query, Reason
from certcheck.sources.interface import ImmediateSource, LookupSource, SourceOptions
from factories import nth_id, record

FAST = EngineSettings(concurrency=4, retries=3, backoff_initial=0.01, backoff_max=0.02)


def q(n: int, name: str = "张三") -> Query:
    return Query(nth_id(n), name)


class FakeSource(LookupSource):
    """Answers from a script per query (the last outcome repeats) and watches how it is used."""

    name = "fake"

    def __init__(
        self,
        script: dict[Query, list[Outcome]] | None = None,
        *,
        delay: float = 0.0,
        default: Outcome | None = None,
    ) -> None:
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.delay = delay
        self.default = default or NotFound(raw="{}")
        self.calls: list[Query] = []
        self.starts: list[tuple[Query, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> FakeSource:
        return cls()

    async def lookup(self, query: Query) -> Outcome:
        self.starts.append((query, time.monotonic()))
        self.calls.append(query)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            outcomes = self.script.get(query)
            if not outcomes:
                return self.default
            return outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        self.closed = True


class MemoryStore:
    def __init__(self) -> None:
        self.data: dict[tuple[str, Query], Answer] = {}
        self.gets: list[Query] = []

    def get(self, source_id: str, query: Query) -> Answer | None:
        self.gets.append(query)
        return self.data.get((source_id, query))

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        self.data[(source_id, query)] = answer


class Recorder:
    def __init__(self) -> None:
        self.total: int | None = None
        self.answers: list[tuple[Query, Answer]] = []
        self.finished = False

    def on_start(self, total: int) -> None:
        self.total = total

    def on_answer(self, query: Query, answer: Answer) -> None:
        self.answers.append((query, answer))

    def on_finish(self) -> None:
        self.finished = True


class FakeClock:
    """Real loop, but sleeps only recorded: retry waits are asserted without waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._t = 0.0

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._t += seconds
        await asyncio.sleep(0)

    def now(self) -> datetime:
        return datetime(2026, 11, 29, 10).astimezone()


def transient(retry_after: float | None = None) -> Failed:
    return Failed(FailureKind.LOOKUP_FAILED, "HTTP 503", transient=True, retry_after=retry_after)


def test_identical_queries_are_looked_up_once() -> None:
    source = FakeSource()
    answers = run_lookups(source, [q(1), q(2), q(1), q(1)], FAST)
    assert sorted(source.calls, key=str) == sorted([q(1), q(2)], key=str)
    assert set(answers) == {q(1), q(2)}
    assert source.closed  # run_lookups owns the loop the source's connections belong to


def test_identical_queries_in_flight_share_one_lookup() -> None:
    source = FakeSource(delay=0.05)

    async def main() -> list[Answer]:
        engine = LookupEngine(source, FAST)
        first = asyncio.create_task(engine.answer(q(1)))
        await asyncio.sleep(0.01)  # the first is in flight when the second asks
        try:
            return await asyncio.gather(first, engine.answer(q(1)), engine.answer(q(1)))
        finally:
            await engine.aclose()

    a, b, c = asyncio.run(main())
    assert source.calls == [q(1)]
    assert a is b is c


def test_same_person_with_another_name_is_another_query() -> None:
    source = FakeSource()
    run_lookups(source, [q(1, "张三"), q(1, "李四")], FAST)
    assert len(source.calls) == 2


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_concurrency_cap(limit: int) -> None:
    source = FakeSource(delay=0.01)
    run_lookups(source, [q(n) for n in range(30)], EngineSettings(concurrency=limit))
    assert source.max_in_flight == limit


def _max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        # A closed window [start, start + 1]: the strictest reading of "1-second window".
        best = max(best, sum(1 for t in times[i:] if t <= start + 1.0))
    return best


def test_rate_limit_holds_and_is_reached() -> None:
    source = FakeSource()
    started = time.monotonic()
    run_lookups(source, [q(n) for n in range(60)], EngineSettings(concurrency=16, rate=20))
    elapsed = time.monotonic() - started
    times = [t for _, t in source.starts]
    assert _max_in_any_second(times) <= 20
    achieved = (len(times) - 1) / (max(times) - min(times))
    assert achieved >= 0.95 * 20
    assert elapsed < 4


def test_rate_limit_spreads_starts_instead_of_bursting() -> None:
    source = FakeSource()
    run_lookups(source, [q(n) for n in range(10)], EngineSettings(concurrency=10, rate=50))
    times = sorted(t for _, t in source.starts)
    # Even pacing: a burst would start all ten at once; spaced starts span 9 intervals.
    assert times[-1] - times[0] >= 9 * 0.02 * 0.98
    assert sum(1 for t in times if t - times[0] < 0.05) <= 3


def test_transient_failure_is_retried_then_succeeds() -> None:
    found = Found((record(),))
    source = FakeSource({q(1): [transient(), transient(), found]})
    answers = run_lookups(source, [q(1)], FAST)
    assert answers[q(1)].outcome == found
    assert len(source.calls) == 3


def test_after_the_last_retry_the_answer_is_the_failure() -> None:
    source = FakeSource({q(1): [transient()]})
    outcome = run_lookups(source, [q(1)], FAST)[q(1)].outcome
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert outcome.detail.startswith("HTTP 503") and "4 attempts" in outcome.detail
    assert len(source.calls) == 4


def test_definitive_failures_are_not_retried() -> None:
    bad = Failed(FailureKind.UNRECOGNIZED_RESPONSE, "html page", raw="<html>")
    source = FakeSource({q(1): [bad]})
    assert run_lookups(source, [q(1)], FAST)[q(1)].outcome == bad
    assert len(source.calls) == 1


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    clock = FakeClock()
    settings = EngineSettings(retries=4, backoff_initial=1.0, backoff_max=3.0)
    source = FakeSource({q(1): [transient(), transient(), transient(7.5), transient(), NotFound()]})

    async def main() -> dict[Query, Answer]:
        return await lookup_all(source, [q(1)], settings, clock=clock)

    answers = asyncio.run(main())
    assert isinstance(answers[q(1)].outcome, NotFound)
    s = clock.sleeps
    assert len(s) == 4
    assert 0.5 <= s[0] <= 1.0 and 1.0 <= s[1] <= 2.0
    assert s[2] == 7.5  # Retry-After beats a shorter backoff
    assert 1.5 <= s[3] <= 3.0  # capped by backoff_max
    assert answers[q(1)].checked_at == clock.now()


def test_retry_after_beyond_the_limit_gives_up_at_once() -> None:
    source = FakeSource({q(1): [transient(3600)]})
    clock = FakeClock()
    settings = EngineSettings(retries=4, retry_after_max=60)
    outcome = asyncio.run(lookup_all(source, [q(1)], settings, clock=clock))[q(1)].outcome
    assert isinstance(outcome, Failed) and "3600" in outcome.detail
    assert len(source.calls) == 1 and clock.sleeps == []


def test_retry_sleep_does_not_hold_a_slot() -> None:
    source = FakeSource({q(1): [transient(retry_after=0.3), NotFound()]}, delay=0.01)
    settings = EngineSettings(concurrency=1, retries=2, backoff_initial=0.01)
    answers = run_lookups(source, [q(1), q(2), q(3)], settings)
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    order = [query for query, _ in source.starts]
    assert order == [q(1), q(2), q(3), q(1)]
    first, retry = (t for query, t in source.starts if query == q(1))
    others = [t for query, t in source.starts if query != q(1)]
    assert retry - first >= 0.3
    assert max(others) - first < 0.2  # they ran while q(1) waited


class Exploding(FakeSource):
    async def lookup(self, query: Query) -> Outcome:
        if query == q(1):
            raise RuntimeError(f"parser broke on {query.id_number}")
        return await super().lookup(query)


def test_a_source_that_raises_gives_a_failure_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    answers = run_lookups(Exploding(), [q(1), q(2)], FAST)
    broken = answers[q(1)].outcome
    assert isinstance(broken, Failed) and broken.reason is Reason.LOOKUP_FAILED
    assert "RuntimeError" in broken.detail and q(1).id_number not in broken.detail
    assert "500381********" in broken.detail
    assert isinstance(answers[q(2)].outcome, NotFound)
    assert all(q(1).id_number not in r.getMessage() for r in caplog.records)


def test_answers_carry_source_time_and_cached_flag() -> None:
    answer = run_lookups(FakeSource(), [q(1)], FAST)[q(1)]
    assert answer.source == "fake" and not answer.cached
    assert answer.checked_at.tzinfo is not None
    assert abs((datetime.now().astimezone() - answer.checked_at).total_seconds()) < 5


def test_store_is_consulted_first_and_gets_definitive_answers_only() -> None:
    store = MemoryStore()
    old = Answer(NotFound(raw="old"), "fake", datetime(2026, 1, 1).astimezone())
    store.put("fake", q(1), old)
    source = FakeSource({q(2): [Found((record(),))], q(3): [Failed(FailureKind.CAPTCHA_FAILED, "x")],
                         q(4): [transient()]})
    answers = run_lookups(source, [q(1), q(2), q(3), q(4)], FAST, store=store)
    assert q(1) not in source.calls
    assert answers[q(1)].cached and answers[q(1)].outcome == old.outcome
    assert set(store.gets) == {q(1), q(2), q(3), q(4)}
    assert set(k[1] for k in store.data) == {q(1), q(2)}
    assert not answers[q(2)].cached
    assert store.data[("fake", q(2))] == answers[q(2)]


def test_progress_hears_every_distinct_answer() -> None:
    recorder = Recorder()
    run_lookups(FakeSource(), [q(1), q(2), q(1)], FAST, progress=recorder)
    assert recorder.total == 2
    assert sorted(str(x) for x, _ in recorder.answers) == sorted(str(x) for x in (q(1), q(2)))
    assert recorder.finished


def test_cancellation_stops_cleanly_and_keeps_what_was_stored() -> None:
    store = MemoryStore()
    recorder = Recorder()
    source = FakeSource(delay=0.05)
    leftover: list[asyncio.Task[object]] = []

    async def main() -> None:
        run = asyncio.create_task(
            lookup_all(source, [q(n) for n in range(40)], EngineSettings(concurrency=2),
                       store=store, progress=recorder)
        )
        # Cancelled once a few answers are stored, however busy the machine (a fixed sleep
        # could end before the first two answers on a loaded CI runner).
        for _ in range(1000):
            if len(store.data) >= 2:
                break
            await asyncio.sleep(0.005)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        leftover.extend(t for t in asyncio.all_tasks() if t is not asyncio.current_task())

    asyncio.run(main())
    assert leftover == []
    assert 2 <= len(store.data) < 40
    assert recorder.finished


def test_ctrl_c_leaves_no_noise_and_keeps_stored_answers(tmp_path: Path) -> None:
    script = tmp_path / "interrupt.py"
    script.write_text(textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_engine import FakeSource, MemoryStore, q
        from certcheck.check import EngineSettings, run_lookups
        store = MemoryStore()
        source = FakeSource(delay=0.05)
        print("ready", flush=True)
        try:
            run_lookups(source, [q(n) for n in range(400)], EngineSettings(concurrency=2),
                        store=store)
        except KeyboardInterrupt:
            print("interrupted", len(store.data), source.closed, flush=True)
            sys.exit(130)
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130, err
    words = out.split()
    assert words[0] == "interrupted" and int(words[1]) > 0 and words[2] == "True"
    assert "Task was destroyed" not in err and "Traceback" not in err, err


def test_settings_are_checked_and_default_to_the_source_rate() -> None:
    with pytest.raises(ValueError):
        EngineSettings(concurrency=0)
    with pytest.raises(ValueError):
        EngineSettings(rate=0)

    class Polite(FakeSource):
        default_rate = 1.0

    assert EngineSettings.for_source(Polite()).rate == 1.0
    assert EngineSettings.for_source(Polite(), rate=5, concurrency=2) == EngineSettings(
        concurrency=2, rate=5
    )


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=160), buffer


def test_rich_progress_counts_outcomes_and_never_shows_ids() -> None:
    console, buffer = _console(True)
    bar = RichProgress(console)
    failing: Callable[[], Outcome] = lambda: Failed(FailureKind.LOOKUP_FAILED, "x")  # noqa: E731
    source = FakeSource({q(2): [Found((record(),))], q(3): [failing()]})
    run_lookups(source, [q(1), q(2), q(3)], FAST, progress=bar)
    assert (bar.found, bar.not_found, bar.failed) == (1, 1, 1)
    text = buffer.getvalue()
    assert "3/3" in text and "查到 1" in text and "失败 1" in text
    assert all(q(n).id_number not in text for n in (1, 2, 3))


def test_rich_progress_is_silent_off_a_terminal_or_when_disabled() -> None:
    for terminal, enabled in ((False, True), (True, False)):
        console, buffer = _console(terminal)
        run_lookups(FakeSource(), [q(1)], FAST, progress=RichProgress(console, enabled=enabled))
        assert buffer.getvalue() == ""


def test_rich_progress_steps_aside_for_captcha_prompts() -> None:
    console, _ = _console(True)
    bar = RichProgress(console)
    bar.on_start(2)
    try:
        assert bar.status_line() is not None
        with bar.suspended():
            assert bar._progress is not None and not bar._progress.live.is_started
        assert bar._progress.live.is_started
    finally:
        bar.on_finish()
    with bar.suspended():  # nothing left to step aside once the run is over
        assert bar._progress is None
    assert bar.status_line() is None


class BrokenStore:
    """A cache whose file went bad (disk full, locked, corrupted) after it was opened."""

    def __init__(self, *, reads: bool, writes: bool) -> None:
        self.reads, self.writes = reads, writes

    def get(self, source_id: str, query: Query) -> Answer | None:
        if self.reads:
            raise OSError(f"database disk image is malformed while reading {query.id_number}")
        return None

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        if self.writes:
            raise OSError(f"disk full while keeping {query.id_number}")


class LocalSource(ImmediateSource):
    """Answers at once from memory: the engine asks it in a plain loop."""

    name = "local"
    cacheable = True

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> LocalSource:
        return cls()

    def lookup_now(self, query: Query) -> Outcome:
        return Found((record(),)) if query == q(1) else NotFound()


@pytest.mark.parametrize("source", [FakeSource, LocalSource], ids=["async", "immediate"])
@pytest.mark.parametrize(("reads", "writes", "said"), [
    (True, False, "读取缓存失败（cache read failed）"),
    (False, True, "写入缓存失败（cache write failed）"),
])
def test_a_broken_cache_costs_a_warning_not_the_run(
    source: Callable[[], LookupSource], reads: bool, writes: bool, said: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both the engine's loop for local sources and its async path answer every query when
    the cache fails, and say so without the person's full ID number."""
    answers = run_lookups(source(), [q(1), q(2)], FAST, store=BrokenStore(reads=reads,
                                                                            writes=writes))
    assert set(answers) == {q(1), q(2)}
    assert all(isinstance(a.outcome, Found | NotFound) for a in answers.values())
    assert not any(a.cached for a in answers.values())
    warnings = [r.getMessage() for r in caplog.records if said in r.getMessage()]
    assert len(warnings) == 2
    assert all(q(n).id_number not in w for w in warnings for n in (1, 2))
    assert all("500381********" in w for w in warnings)
