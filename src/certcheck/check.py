"""Asking a source for every person: the engine's contract and the plain loop for local sources.

Each distinct query is asked once, the cache answers when it can, and a failing cache or source
never takes the run down. Whatever a source returns is vetted (``certcheck.vetting``) before
anything else sees it: only a well-formed outcome reaches the rules and the cache. A local
source (``ImmediateSource``, e.g. a registry file) is asked in a plain loop; any other source
goes through the asynchronous engine (``certcheck.engine``: concurrency, rate limit, retries),
which is only loaded when one does, so that a local lookup starts without asyncio or tenacity.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Protocol, runtime_checkable

from certcheck.ids import mask_id
from certcheck.models import (
    Answer,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
    Status,
)
from certcheck.sources.interface import ImmediateSource, LookupSource
from certcheck.vetting import SOURCE_ERROR, vetted

__all__ = [
    "AnswerStore",
    "Clock",
    "EngineSettings",
    "Job",
    "ProgressListener",
    "StatusListener",
    "SystemClock",
    "run_lookups",
    "run_lookups_together",
]

log = logging.getLogger(__name__)

_FULL_ID = re.compile(r"\d{17}[\dXx]")


@dataclass(frozen=True)
class EngineSettings:
    concurrency: int = 4
    #: Requests per second to the service (lookup starts for a source that does not take
    #: permits itself); None = unlimited.
    rate: float | None = None
    #: Further tries after the first, for transient failures only.
    retries: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    #: A server asking to wait longer than this is not asked again for that query.
    retry_after_max: float = 300.0
    #: Attempts in a row that failed transiently (no answer, no Retry-After) after which the
    #: source is taken to be down and the queries left are not asked. None: the retries of
    #: two whole queries, so that one person's trouble alone never trips it.
    unreachable_after: int | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.rate is not None and not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError("rate must be a positive number")
        if self.retries < 0:
            raise ValueError("retries must not be negative")
        if self.unreachable_after is not None and self.unreachable_after < 1:
            raise ValueError("unreachable_after must be at least 1")

    @property
    def failures_before_giving_up(self) -> int:
        if self.unreachable_after is not None:
            return self.unreachable_after
        return 2 * (self.retries + 1)

    @classmethod
    def for_source(
        cls, source: LookupSource, *, concurrency: int | None = None, rate: float | None = None
    ) -> EngineSettings:
        """Settings from the user's options, falling back to the source's polite default rate."""
        return cls(
            concurrency=concurrency if concurrency is not None else cls.concurrency,
            rate=rate if rate is not None else source.default_rate,
        )


class ProgressListener(Protocol):
    def on_start(self, total: int) -> None: ...

    def on_answer(self, query: Query, answer: Answer) -> None: ...

    def on_finish(self) -> None: ...


@runtime_checkable
class StatusListener(Protocol):
    """A progress listener that also wants the statuses of workers as their answers arrive."""

    def on_statuses(self, statuses: Iterable[Status]) -> None: ...


class AnswerStore(Protocol):
    """The cache: only definitive answers (Found, NotFound) are put."""

    def get(self, source_id: str, query: Query) -> Answer | None: ...

    def put(self, source_id: str, query: Query, answer: Answer) -> None: ...


class Turn(Enum):
    """What a shared store says right before a question is asked, when it has no answer."""

    #: Nobody else is asking: this run asks, and the store marks the question as being asked.
    ASK = "ask"
    #: Another run sharing the store is asking this person now: wait for its answer.
    WAIT = "wait"


@runtime_checkable
class SharedStore(AnswerStore, Protocol):
    """A store several runs share (the SQLite cache): looked at again right before each
    question is asked, so that one run's answer spares the others the question."""

    def take_turn(self, source_id: str, query: Query) -> Answer | Turn: ...

    def done_asking(self, source_id: str, query: Query) -> None: ...


def take_turn(store: SharedStore, identity: str, query: Query) -> Answer | Turn:
    """The store's word right before asking; a failing store means ask (a lookup, not the
    run, is what a broken cache costs)."""
    try:
        said = store.take_turn(identity, query)
    except Exception as exc:
        log.warning("读取缓存失败（cache read failed）：%s",
                    scrub_ids(f"{type(exc).__name__}: {exc}", query))
        return Turn.ASK
    if isinstance(said, Answer) and isinstance(said.outcome, Found) and not said.outcome.records:
        return Turn.ASK
    return replace(said, cached=True) if isinstance(said, Answer) else said


def done_asking(store: SharedStore, identity: str, query: Query) -> None:
    try:
        store.done_asking(identity, query)
    except Exception as exc:
        log.warning("写入缓存失败（cache write failed）：%s",
                    scrub_ids(f"{type(exc).__name__}: {exc}", query))


class Clock(Protocol):
    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    def __init__(self) -> None:
        # Looked up once: astimezone() per answer was a tenth of a local 100,000-worker run.
        self._zone = datetime.now().astimezone().tzinfo

    def now(self) -> datetime:
        return datetime.now(self._zone)


def mask_full_ids(text: str) -> str:
    """``text`` with every full ID number in it masked."""
    return _FULL_ID.sub(lambda m: mask_id(m.group(0)), text)


def scrub_ids(text: str, query: Query) -> str:
    """``text`` (an error a source raised) with the query's ID, in any form, and every full ID
    masked."""
    return mask_full_ids(text.replace(query.id_number, mask_id(query.id_number)))


def cached_answer(store: AnswerStore, identity: str, query: Query) -> Answer | None:
    """The store's answer for ``query``, marked cached; None also when the store fails, since
    a broken cache costs a lookup, not the run, and for a "found" without records that an
    earlier version may have kept (see ``vetted``): the query is asked again."""
    try:
        cached = store.get(identity, query)
    except Exception as exc:
        log.warning("读取缓存失败（cache read failed）：%s",
                    scrub_ids(f"{type(exc).__name__}: {exc}", query))
        return None
    if cached is None or (isinstance(cached.outcome, Found) and not cached.outcome.records):
        return None
    return replace(cached, cached=True)


# ---- faults of a source ---------------------------------------------------------------


def source_fault(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a source's lookup, is the source's fault (that worker is
    unverified, the run goes on) rather than the run being stopped.

    ``SystemExit`` and any other ``BaseException`` a plugin raises are faults: let through,
    a plugin's ``SystemExit(0)`` would end the run with exit 0, "compliant", and no register.
    Ctrl-C (``KeyboardInterrupt``) stops the run, since in a lookup it cannot be told from the
    person's own; ``GeneratorExit`` is Python closing the coroutine. (A real cancellation is
    the engine's to tell, in ``engine``.)
    """
    return not isinstance(exc, KeyboardInterrupt | GeneratorExit)


def _raised_failure(exc: BaseException, query: Query) -> Failed:
    """The failure a source's exception gives: its type and message, with IDs masked."""
    from certcheck.sources.plugins import quoted

    detail = scrub_ids(quoted(exc, None), query)
    return Failed(FailureKind.LOOKUP_FAILED, f"{SOURCE_ERROR}{detail}")


class FaultLog:
    """Says each kind of fault of a source once per run, not once per person: a plugin that
    returns None for 5,000 workers gets one line, and each worker's detail says the rest."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._said: set[str] = set()

    def raised(self, exc: BaseException, query: Query) -> Failed:
        """The failure ``exc`` gives, said the first time its type is raised."""
        failed = _raised_failure(exc, query)
        self._say(type(exc).__name__, query, failed)
        return failed

    def returned(self, failed: Failed, query: Query) -> None:
        """``failed`` (from ``vetted``: type names only) said the first time it happens."""
        self._say(failed.detail, query, failed)

    def _say(self, kind: str, query: Query, failed: Failed) -> None:
        if kind in self._said:
            return
        self._said.add(kind)
        log.warning("数据源 %s 出错（source fault），查询 %s：%s", self._source,
                    mask_id(query.id_number),
                    mask_full_ids(failed.detail.removeprefix(SOURCE_ERROR)))


def keep_answer(store: AnswerStore, identity: str, query: Query, answer: Answer) -> None:
    """Put a definitive answer in the store right away, so that an interrupted run keeps every
    answer it got; a store that fails is said once per answer and the run goes on."""
    if not isinstance(answer.outcome, Found | NotFound):
        return
    try:
        store.put(identity, query, answer)
    except Exception as exc:
        log.warning("写入缓存失败（cache write failed）：%s",
                    scrub_ids(f"{type(exc).__name__}: {exc}", query))


def run_lookups(
    source: LookupSource,
    queries: Iterable[Query],
    settings: EngineSettings,
    *,
    progress: ProgressListener | None = None,
    store: AnswerStore | None = None,
    clock: Clock | None = None,
) -> dict[Query, Answer]:
    """``lookup_all`` in a fresh event loop; closes the source afterwards, since its
    connections belong to that loop. KeyboardInterrupt propagates after a clean shutdown."""

    if isinstance(source, ImmediateSource) and settings.rate is None:
        return _lookup_immediately(source, queries, progress=progress, store=store, clock=clock)

    import asyncio

    from certcheck.engine import lookup_all

    async def main() -> dict[Query, Answer]:
        try:
            return await lookup_all(
                source, queries, settings, progress=progress, store=store, clock=clock
            )
        finally:
            await source.aclose()

    return asyncio.run(main())


def _lookup_immediately(
    source: ImmediateSource,
    queries: Iterable[Query],
    *,
    progress: ProgressListener | None,
    store: AnswerStore | None,
    clock: Clock | None,
) -> dict[Query, Answer]:
    """The engine's contract (each query once, cache, progress) for a local source, in a loop."""
    now = (clock or SystemClock()).now
    identity = source.cache_identity
    faults = FaultLog(source.name)
    unique = list(dict.fromkeys(queries))
    answers: dict[Query, Answer] = {}
    if progress is not None:
        progress.on_start(len(unique))
    try:
        for query in unique:
            answer = cached_answer(store, identity, query) if store is not None else None
            if answer is None:
                answer = Answer(outcome=_ask_now(source, query, faults), source=source.name,
                                checked_at=now())
                if store is not None:
                    keep_answer(store, identity, query, answer)
            answers[query] = answer
            if progress is not None:
                progress.on_answer(query, answer)
    finally:
        if progress is not None:
            progress.on_finish()
        if type(source).aclose is not LookupSource.aclose:
            import asyncio

            asyncio.run(source.aclose())
    return answers


def _ask_now(source: ImmediateSource, query: Query, faults: FaultLog) -> Outcome:
    try:
        reply = source.lookup_now(query)
    except BaseException as exc:  # a faulty plugin must not take the run down, nor end it
        if not source_fault(exc):
            raise
        return faults.raised(exc, query)
    outcome, faulty = vetted(reply)
    if faulty:
        assert isinstance(outcome, Failed)
        faults.returned(outcome, query)
    return outcome


# ---- several sources in one run -------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One source's part of a run with several: whom it is asked about, how politely (its own
    rate and concurrency), and the store its answers are kept in (None: not kept)."""

    source: LookupSource
    queries: Sequence[Query]
    settings: EngineSettings
    store: AnswerStore | None = None


class JointListener(Protocol):
    """Hears the answers of every source of a run with several, each with its job's index."""

    def on_start(self, total: int) -> None: ...

    def on_answer_from(self, job: int, query: Query, answer: Answer) -> None: ...

    def on_finish(self) -> None: ...


class _PartOf:
    """A job's own listener: its answers go on with the job's index; its start and finish are
    the whole run's, said once by ``run_lookups_together``."""

    def __init__(self, joint: JointListener, job: int) -> None:
        self._joint = joint
        self._job = job

    def on_start(self, total: int) -> None:
        pass

    def on_answer(self, query: Query, answer: Answer) -> None:
        self._joint.on_answer_from(self._job, query, answer)

    def on_finish(self) -> None:
        pass


def run_lookups_together(
    jobs: Sequence[Job],
    *,
    progress: JointListener | None = None,
    clock: Clock | None = None,
) -> list[dict[Query, Answer]]:
    """The answers of each job, in order: each source asked about its own people, at once, each
    under its own rate limit and retries, and its answers kept under its own identity.

    Local sources with no rate are asked first, in a plain loop (they answer at once); the
    others run side by side in one event loop, so that one slow service does not hold the
    other up. Every source is closed afterwards. KeyboardInterrupt propagates after a clean
    shutdown, the answers put in the stores so far kept.
    """
    uniques = [list(dict.fromkeys(job.queries)) for job in jobs]
    answers: list[dict[Query, Answer]] = [{} for _ in jobs]
    if progress is not None:
        progress.on_start(sum(len(u) for u in uniques))
    try:
        waiting: list[int] = []
        for index, job in enumerate(jobs):
            part = _PartOf(progress, index) if progress is not None else None
            if isinstance(job.source, ImmediateSource) and job.settings.rate is None:
                answers[index] = _lookup_immediately(job.source, uniques[index], progress=part,
                                                     store=job.store, clock=clock)
            else:
                waiting.append(index)
        if waiting:
            import asyncio

            from certcheck.engine import lookup_all

            async def one(index: int) -> dict[Query, Answer]:
                job = jobs[index]
                part = _PartOf(progress, index) if progress is not None else None
                try:
                    return await lookup_all(job.source, uniques[index], job.settings,
                                            progress=part, store=job.store, clock=clock)
                finally:
                    await job.source.aclose()

            async def main() -> list[dict[Query, Answer]]:
                return list(await asyncio.gather(*(one(i) for i in waiting)))

            for index, got in zip(waiting, asyncio.run(main()), strict=True):
                answers[index] = got
    finally:
        if progress is not None:
            progress.on_finish()
    return answers
