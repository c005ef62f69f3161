"""Asking a source for every person: the engine's contract and the plain loop for local sources.

Each distinct query is asked once, the cache answers when it can, and a failing cache or source
never takes the run down. Whatever a source returns is vetted (``vetted``) before anything else
sees it: only a well-formed outcome reaches the rules and the cache. A local source
(``ImmediateSource``, e.g. a registry file) is asked in a plain loop; any other source goes
through the asynchronous engine (``certcheck.engine``: concurrency, rate limit, retries), which
is only loaded when one does, so that a local lookup starts without asyncio or tenacity.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from certcheck.ids import mask_id
from certcheck.jsontext import holds_unpaired, mend
from certcheck.models import (
    Answer,
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
)
from certcheck.sources.interface import ImmediateSource, LookupSource

__all__ = [
    "AnswerStore",
    "Clock",
    "EngineSettings",
    "ProgressListener",
    "SystemClock",
    "run_lookups",
    "type_words",
    "vetted",
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


class AnswerStore(Protocol):
    """The cache: only definitive answers (Found, NotFound) are put."""

    def get(self, source_id: str, query: Query) -> Answer | None: ...

    def put(self, source_id: str, query: Query, answer: Answer) -> None: ...


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


# ---- what a source returned -------------------------------------------------------------

#: A ``CertRecord``'s text and date attributes. A plugin can build a record holding anything,
#: and a text where a date belongs would make the rules' comparisons raise.
_RECORD_TEXTS = ("name", "cert_number", "category", "item", "issuer", "status_text", "origin")
_RECORD_DATES = ("first_issued", "valid_from", "valid_until", "review_due", "reviewed")
_OUTCOMES = "an outcome (Found, NotFound or Failed)"
#: The detail of a "found" without records, which would otherwise read as "nothing found".
EMPTY_FOUND = "source error: it answered found, with no record"


def type_words(value: object) -> str:
    """What ``value`` is, by its type's name only: what a source holds may be personal data."""
    if value is None:
        return "None"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    return type(value).__name__


def vetted(value: object) -> tuple[Outcome, bool]:
    """What a source returned, as an outcome the rules and the cache can trust, and whether the
    source was at fault.

    Anything but a well-formed ``Found``, ``NotFound`` or ``Failed`` (None, a dict, a string,
    an exception, a coroutine nobody awaited, a ``Found`` of dicts, a record with a text where
    a date belongs) is ``lookup_failed`` naming its type, never its content. A ``Found``
    without records is ambiguous: it says found and shows nothing, and read as "nothing found"
    it could call someone fake, so it is ``unrecognized_response``. Both count as the source's
    fault. Texts are mended (``jsontext.mend``) so that no writer meets an unpaired surrogate.
    """
    problem = _problem(value)
    if problem is not None:
        if inspect.iscoroutine(value):
            value.close()  # never awaited: closed, so that Python does not warn about it
        return Failed(FailureKind.LOOKUP_FAILED, f"source error: returned {problem}"), True
    assert isinstance(value, Found | NotFound | Failed)
    if isinstance(value, Found) and not value.records:
        return Failed(FailureKind.UNRECOGNIZED_RESPONSE, EMPTY_FOUND, raw=_mended(value.raw)), True
    return _mended_outcome(value), False


def _problem(value: object) -> str | None:
    """Why ``value`` is not a well-formed outcome, by type names only; None when it is one."""
    if isinstance(value, Found):
        records = value.records
        if not isinstance(records, tuple | list):
            return f"a Found whose records are {type_words(records)}, not CertRecords"
        for record in records:
            problem = _record_problem(record)
            if problem is not None:
                return f"a Found with {problem}"
        return _notes_problem(value)
    if isinstance(value, NotFound):
        return _notes_problem(value)
    if isinstance(value, Failed):
        return _failed_problem(value) or _notes_problem(value)
    hint = " (an async function never awaited)" if inspect.iscoroutine(value) else ""
    return f"{type_words(value)}{hint}, not {_OUTCOMES}"


def _record_problem(record: object) -> str | None:
    if not isinstance(record, CertRecord):
        return f"a record that is {type_words(record)}, not a CertRecord"
    if not isinstance(record.id_number, str):
        return f"a record whose id_number is {type_words(record.id_number)}"
    for attr in _RECORD_TEXTS:
        value = getattr(record, attr)
        if value is not None and not isinstance(value, str):
            return f"a record whose {attr} is {type_words(value)}"
    for attr in _RECORD_DATES:
        value = getattr(record, attr)
        # A datetime is a date, but comparing one with a date raises.
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            return f"a record whose {attr} is {type_words(value)}, not a date"
    if not isinstance(record.history, bool):
        return f"a record whose history is {type_words(record.history)}"
    return None


def _notes_problem(outcome: Found | NotFound | Failed) -> str | None:
    for attr in ("raw", "detail"):
        value = getattr(outcome, attr)
        if value is not None and not isinstance(value, str):
            return f"a {type(outcome).__name__} whose {attr} is {type_words(value)}"
    return None


def _failed_problem(failed: Failed) -> str | None:
    if not isinstance(failed.kind, FailureKind):
        return f"a Failed whose kind is {type_words(failed.kind)}"
    if not isinstance(failed.detail, str):
        return f"a Failed whose detail is {type_words(failed.detail)}"
    if not isinstance(failed.transient, bool):
        return f"a Failed whose transient is {type_words(failed.transient)}"
    wait = failed.retry_after
    if wait is not None and (
        isinstance(wait, bool) or not isinstance(wait, int | float)
        or not math.isfinite(wait) or wait < 0
    ):
        return f"a Failed whose retry_after is {type_words(wait)}, not seconds"
    return None


def _raised_failure(exc: Exception, query: Query) -> Failed:
    """The failure a source's exception gives: its type and message, with IDs masked."""
    detail = scrub_ids(f"{type(exc).__name__}: {exc}", query)
    return Failed(FailureKind.LOOKUP_FAILED, f"source error: {detail}")


class FaultLog:
    """Says each kind of fault of a source once per run, not once per person: a plugin that
    returns None for 5,000 workers gets one line, and each worker's detail says the rest."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._said: set[str] = set()

    def raised(self, exc: Exception, query: Query) -> Failed:
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
                    mask_id(query.id_number), mask_full_ids(failed.detail))


def _mended(text: str | None) -> str | None:
    return None if text is None else mend(text)


def _mended_outcome(outcome: Outcome) -> Outcome:
    """``outcome`` with U+FFFD for every unpaired surrogate in its texts (the same object when
    it holds none), and a list of records made the tuple the type promises."""
    if isinstance(outcome, Found):
        given = outcome.records
        records = tuple(_mended_record(r) for r in given)
        if type(given) is not tuple or any(m is not r for m, r in zip(records, given, strict=True)):
            outcome = replace(outcome, records=records)
    raw, detail = outcome.raw, outcome.detail
    if raw is not None and holds_unpaired(raw):
        outcome = replace(outcome, raw=mend(raw))
    if detail is not None and holds_unpaired(detail):
        outcome = replace(outcome, detail=mend(detail))
    return outcome


def _mended_record(record: CertRecord) -> CertRecord:
    texts = [record.id_number, *(getattr(record, attr) or "" for attr in _RECORD_TEXTS)]
    if not holds_unpaired("".join(texts)):
        return record
    changes = {attr: _mended(getattr(record, attr)) for attr in _RECORD_TEXTS}
    return replace(record, id_number=mend(record.id_number), **changes)  # type: ignore[arg-type]


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
    except Exception as exc:  # a faulty plugin must not take the run down
        return faults.raised(exc, query)
    outcome, faulty = vetted(reply)
    if faulty:
        assert isinstance(outcome, Failed)
        faults.returned(outcome, query)
    return outcome
