"""The lookup engine: each distinct person asked once, politely, with retries.

It de-duplicates queries (also those already in flight), answers from the cache when it can,
keeps at most ``concurrency`` lookups in flight and at most ``rate`` requests in any one second
(every request of a source that takes permits through ``RequestGate``, else every lookup start),
slows the whole run down while the service refuses requests, and retries transient failures
with exponential backoff and jitter, honouring ``Retry-After``, without holding a concurrency
slot while it waits. When attempt after attempt fails with no answer at all, or the service
refuses every request for half a minute, the source is taken to be down and the queries left
are not asked (they are failures, so the next run asks them). A source at fault (raising, or
returning anything but a well-formed outcome: ``certcheck.vetting``) counts towards that as a
failure, never as an answer.

A service no connection can be made to (``Failed.unreachable``) stops the run instead: at the
start after two such failures a retry apart (seconds, not the whole retry schedule), midway
after such failures for 8 s, or when the failures in a row that take a source down end with
one. ``lookup_all`` then raises ``SourceUnreachable`` once every lookup has stopped, the answers
so far kept in the store, so that no register is made of people nobody could ask about. It
knows nothing of how a source talks or how a finding is decided, and it never raises because a
source did.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import math
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from certcheck.check import (
    AnswerStore,
    Clock,
    EngineSettings,
    FaultLog,
    ProgressListener,
    SharedStore,
    SystemClock,
    Turn,
    cached_answer,
    done_asking,
    keep_answer,
    mask_full_ids,
    source_fault,
    take_turn,
)
from certcheck.ids import mask_id
from certcheck.models import Answer, Failed, FailureKind, Found, NotFound, Outcome, Query
from certcheck.sources.interface import GateClosed, LookupSource, SourceUnreachable
from certcheck.vetting import SOURCE_ERROR, type_words, vetted

__all__ = ["LookupEngine", "RateLimiter", "lookup_all"]

log = logging.getLogger(__name__)


def _cancelled(exc: BaseException) -> bool:
    """Whether ``exc`` is this lookup really being cancelled (the run ends, a deadline passed),
    not a ``CancelledError`` a source raised of its own accord, which is its fault."""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


#: Before the service has answered anything in a run, this many failures to connect…
UNREACHABLE_TRIES = 2
#: …the last at least this many seconds after the first (a retry after a pause, not a burst
#: of lookups starting together) mean it cannot be reached: the run stops.
UNREACHABLE_SECONDS = 2.0
#: Once the service has answered, failures to connect for this long (as many as above at the
#: least) mean it has gone away: the run stops, its answers so far in the cache.
UNREACHABLE_SECONDS_MIDWAY = 8.0
#: How the detail of a query the run did not ask starts.
NOT_ASKED = "未查询（not asked）："

#: Seconds between looks at a shared cache while another run asks a person: its answer is
#: taken about this soon after it arrives, and a look costs one small SQLite read.
WAIT_FOR_OTHER_RUN = 0.5


class _AnsweredElsewhere(Exception):
    """Right before asking, the shared cache had the answer of another run."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer


class _AskedElsewhere(Exception):
    """Right before asking, another run sharing the cache was asking this person."""


class _Permit:
    """One request in the rate window: from when it was let through until its answer came."""

    __slots__ = ("end", "finished")

    def __init__(self, end: float | None) -> None:
        self.end = end
        self.finished: asyncio.Event | None = None if end is not None else asyncio.Event()

    def finish(self, at: float) -> None:
        if self.end is None:
            self.end = at
        if self.finished is not None:
            self.finished.set()


class RateLimiter:
    """At most ``rate`` requests in any 1-second window, spread evenly rather than in bursts,
    and slower for everyone while the service refuses requests.

    Requests are spaced 1/rate apart on a schedule that does not drift with wake-up lateness (so
    the achieved rate is the set rate). A log of the last ``rate`` requests is the hard
    guarantee: a request is let through only a second after the one ``rate`` places back was
    *answered* (``request``), or started (``acquire``). Counting from the answer keeps the
    window whole where the service counts, whatever the network delays on the way there: the
    first request on a new connection arrives late, and the next one must not arrive with it.

    It is also the engine's ``RequestGate``. A run of refusals (``refused``: a web firewall
    answering 403, 429 or a challenge page) doubles the spacing for every lookup with each
    further refusal and honours ``Retry-After`` for all of them; each proper answer
    (``answered``) takes back a quarter of a doubling, so the pace recovers gradually.
    Refusals scattered among answers slow the run too, in proportion to their share of the
    last ``WINDOW`` requests; that share falls, and the pace recovers, as answers come back.
    Refusals in a row for ``ALL_REFUSED_SECONDS`` with no answer between them mean the service
    refuses everything: ``on_refusing_all`` is told, and the engine ``close``s the gate.
    """

    # Wake-ups are a little late by varying amounts; this keeps the window strict as measured
    # by whoever timestamps the start a moment later.
    _MARGIN = 0.002
    #: Refusals in a row, across lookups, before the whole run slows down.
    REFUSALS_BEFORE_SLOWING = 2
    #: What one answer takes back, in doublings of the spacing.
    RECOVERY_STEP = 0.25
    #: The spacing that slowing down starts from when the rate is unlimited or fast.
    SLOW_START_INTERVAL = 0.1
    #: Slowing down never spaces requests further apart than this.
    SLOWEST_INTERVAL = 60.0
    _MAX_LEVEL = 12.0
    #: How many of the latest requests (answered or refused) the refused share counts over.
    WINDOW = 20
    #: Refused ones among them before the share slows the run: one alone is one lookup's.
    SHARE_REFUSALS_BEFORE_SLOWING = 2
    #: Doublings of the spacing per refused request among them: 10 % refused halve the pace,
    #: 20 % quarter it.
    SHARE_STEP = 0.5
    #: Refusals in a row, with no answer between them, that may mean the service refuses all…
    ALL_REFUSED_COUNT = 4
    #: …once they have lasted this long: slowing down has not helped.
    ALL_REFUSED_SECONDS = 30.0

    def __init__(
        self, rate: float | None, clock: Clock, *, pause_max: float = 300.0
    ) -> None:
        self._base = 1.0 / rate if rate else 0.0
        self._capacity = max(1, math.floor(rate)) if rate else 0
        self._clock = clock
        self._pause_max = pause_max
        self._log: collections.deque[_Permit] = collections.deque(maxlen=self._capacity or 1)
        # When the last request was scheduled; the next is due one interval later.
        self._slot = -math.inf
        self._pause_until = -math.inf
        self._level = 0.0
        self._refusals = 0
        # The fate of the latest requests (True: refused), and how many of them were refused.
        self._fates: collections.deque[bool] = collections.deque(maxlen=self.WINDOW)
        self._refused_in_window = 0
        self._share_said = False
        self._said_slowing = False
        # When the current run of refusals in a row began.
        self._row_began = math.inf
        self._refusing_all: str | None = None
        # Held while waiting, so requests are let through one by one in arrival order.
        self._lock = asyncio.Lock()
        self._closed: str | None = None
        #: Told once, at the refusal that shows the service refuses everything: a refusal
        #: may come to a request no lookup waits on (a captcha fetched ahead).
        self.on_refusing_all: Callable[[str], None] | None = None
        # Set when waiting is over for everyone (``close``): wakes the one asleep.
        self._wake: asyncio.Event | None = None
        #: Whether the service has said anything at all (an answer or a refusal).
        self.heard = False

    @property
    def interval(self) -> float:
        """The spacing between requests now: 1/rate, or longer while slowed down."""
        level = max(self._level, self._share_level())
        if level <= 0:
            return self._base
        start = max(self._base, self.SLOW_START_INTERVAL)
        return min(self.SLOWEST_INTERVAL, start * math.pow(2.0, level))

    def _share_level(self) -> float:
        """The slowing the share of refused requests among the latest ones calls for."""
        refused = self._refused_in_window
        if refused < self.SHARE_REFUSALS_BEFORE_SLOWING:
            return 0.0
        return self.SHARE_STEP * refused

    @property
    def slowed(self) -> bool:
        return self._level > 0 or self._share_level() > 0

    @property
    def refusals_in_row(self) -> int:
        """Requests refused since the last one answered."""
        return self._refusals

    def close(self, reason: str) -> None:
        """Send nothing more: every request waiting, and every later one, gets ``GateClosed``."""
        if self._closed is None:
            self._closed = reason
        self._release_all()

    def _release_all(self) -> None:
        for permit in self._log:
            permit.finish(self._clock.monotonic())
        if self._wake is not None:
            self._wake.set()

    async def acquire(self) -> None:
        """Wait for the turn of one request that counts from its start (a whole lookup)."""
        await self._take(open_ended=False)

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        permit = await self._take(open_ended=True)
        try:
            yield
        finally:
            if permit is not None:
                permit.finish(self._clock.monotonic())

    def refused(self, retry_after: float | None = None) -> None:
        self.heard = True
        now = self._clock.monotonic()
        self._note_fate(refused=True)
        self._refusals += 1
        if self._refusals == 1:
            self._row_began = now
        elif (self._refusing_all is None and self._refusals >= self.ALL_REFUSED_COUNT
              and now - self._row_began >= self.ALL_REFUSED_SECONDS):
            self._refusing_all = _refused_all(self._refusals, now - self._row_began)
            if self.on_refusing_all is not None:
                self.on_refusing_all(self._refusing_all)
        if self._refusals < self.REFUSALS_BEFORE_SLOWING:
            self._say_share()
            return
        starting = self._level <= 0
        self._level = min(self._MAX_LEVEL, self._level + 1.0)
        if retry_after:
            until = self._clock.monotonic() + min(retry_after, self._pause_max)
            self._pause_until = max(self._pause_until, until)
        if starting:
            # On the screen once per run: a firewall may make the pace come and go many times.
            log.log(
                logging.INFO if self._said_slowing else logging.WARNING,
                "查询平台连续 %d 次拒绝请求，所有查询放慢到每 %.1f 秒一次"
                "（the service refuses requests; slowing down）", self._refusals, self.interval,
            )
            self._said_slowing = True

    def answered(self) -> None:
        self.heard = True
        self._note_fate(refused=False)
        self._refusals = 0
        self._row_began = math.inf
        if self._level > 0:
            self._level = max(0.0, self._level - self.RECOVERY_STEP)
        if self._share_level() <= 0:
            self._share_said = False

    def _note_fate(self, *, refused: bool) -> None:
        fates = self._fates
        if len(fates) == fates.maxlen and fates[0]:
            self._refused_in_window -= 1
        fates.append(refused)
        self._refused_in_window += refused

    def _say_share(self) -> None:
        """Say that scattered refusals slow the run (a run of them says so in ``refused``):
        on the screen once per run, in the log at each spell."""
        if self._share_said or self._share_level() <= 0 or self._level > 0:
            return
        self._share_said = True
        log.log(
            logging.INFO if self._said_slowing else logging.WARNING,
            "最近 %d 次请求中有 %d 次被查询平台拒绝，所有查询放慢到每 %.1f 秒一次"
            "（the service refuses some requests; slowing down）",
            len(self._fates), self._refused_in_window, self.interval,
        )
        self._said_slowing = True

    def _free(self) -> bool:
        return self._base == 0.0 and not self.slowed and not self._lock.locked() and (
            self._pause_until <= self._clock.monotonic()
        )

    async def _take(self, *, open_ended: bool) -> _Permit | None:
        if self._closed is not None:
            raise GateClosed(self._closed)
        if self._free():
            return None
        async with self._lock:
            waited_for = -math.inf
            while True:
                if self._closed is not None:
                    raise GateClosed(self._closed)
                now = self._clock.monotonic()
                ready = max(self._slot + self.interval, self._pause_until)
                if self._capacity and len(self._log) == self._capacity:
                    oldest = self._log[0]
                    if oldest.end is None:
                        assert oldest.finished is not None
                        await oldest.finished.wait()
                        continue
                    ready = max(ready, oldest.end + 1.0 + self._MARGIN)
                if now >= ready:
                    break
                waited_for = ready
                await self._nap(ready - now)
            # Late wake-ups keep the schedule (no drift below the set rate), but after an idle
            # spell it restarts from now, so there is no catch-up burst; nor is there any while
            # slowed down, when the spacing counts from the actual request.
            interval = self.interval
            scheduled = max(self._slot + interval, waited_for)
            late = now - scheduled
            self._slot = scheduled if late < interval and not self.slowed else now
            permit = _Permit(None if open_ended else now)
            if self._capacity:
                self._log.append(permit)
            return permit

    async def _nap(self, seconds: float) -> None:
        """Sleep on the clock, or less when the gate is closed meanwhile: a wait
        while slowed down may be a minute, and nobody should wait for a request never sent."""
        if self._wake is None:
            self._wake = asyncio.Event()
        await _sleep_unless(self._clock, seconds, self._wake)


async def _sleep_unless(clock: Clock, seconds: float, event: asyncio.Event) -> None:
    """Sleep ``seconds`` on ``clock``, or less if ``event`` is set meanwhile."""
    sleeping = asyncio.ensure_future(clock.sleep(seconds))
    woken = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeping, woken):
            task.cancel()
        await asyncio.gather(sleeping, woken, return_exceptions=True)


def _refused_all(refusals: int, seconds: float | None = None) -> str:
    """Why nothing more is asked of a service that refuses every request."""
    over = f"在 {seconds:.0f} 秒内" if seconds is not None else ""
    return (f"最近 {refusals} 次请求{over}全被拒绝，其间没有一次答复，可能被网站防火墙拦截"
            f"（the service refused all of the last {refusals} requests）")


class _Backoff:
    """Exponential backoff with jitter, but never shorter than the server's Retry-After."""

    def __init__(self, settings: EngineSettings, rng: random.Random) -> None:
        self._settings = settings
        self._rng = rng

    def __call__(self, state: RetryCallState) -> float:
        exponential = self._settings.backoff_initial * 2.0 ** (state.attempt_number - 1)
        base = min(self._settings.backoff_max, exponential)
        # Half fixed, half random: waits stay meaningful while clients spread out.
        wait = base * (0.5 + 0.5 * self._rng.random())
        return max(wait, _retry_after(state) or 0.0)


def _retry_after(state: RetryCallState) -> float | None:
    if state.outcome is None or state.outcome.failed:
        return None
    outcome: object = state.outcome.result()
    return outcome.retry_after if isinstance(outcome, Failed) else None


class _ServerWaitTooLong(stop_base):
    """Give up when the server asks for a longer pause than the user would wait for."""

    def __init__(self, limit: float) -> None:
        self._limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        wait = _retry_after(retry_state)
        return wait is not None and wait > self._limit


def _is_transient(outcome: object) -> bool:
    return isinstance(outcome, Failed) and outcome.transient


class LookupEngine:
    """Answers queries through one source; the same query is only ever looked up once.

    Use ``submit``/``answer`` from inside one event loop, and ``aclose`` at the end so that
    unfinished lookups are cancelled and awaited rather than left pending.
    """

    def __init__(
        self,
        source: LookupSource,
        settings: EngineSettings,
        *,
        progress: ProgressListener | None = None,
        store: AnswerStore | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.settings = settings
        self.progress = progress
        self.store = store
        self.clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(settings.concurrency)
        # Always there: even with no rate set, a service that refuses requests slows the run.
        self._limiter = RateLimiter(
            settings.rate, self.clock, pause_max=settings.retry_after_max
        )
        self._limiter.on_refusing_all = self._stop_refused
        # A source that sends several requests per lookup takes a permit for each itself.
        self._gated = source.use_gate(self._limiter)
        self._tasks: dict[Query, asyncio.Task[Answer]] = {}
        # Without this, a source that cannot be reached at all (a wrong --mem-url, no network)
        # costs every query its whole retry budget at the polite rate: minutes of waiting for
        # a run whose every answer will be "lookup failed" anyway.
        self._failures_in_row = 0
        self._down: str | None = None
        # Set when the source is taken to be down (``_go_down``): wakes the retries waiting.
        self._stopped: asyncio.Event | None = None
        # Connections that could not be made, in a row, and when the first of them failed.
        self._unreachable_in_row = 0
        self._first_unreachable: float | None = None
        self._heard = False
        #: Set when the service could not be reached: ``lookup_all`` raises it.
        self.unreachable: SourceUnreachable | None = None
        self._gone = asyncio.Event()
        # People the run has an answer for (found or nothing found), cached ones too.
        self._definitive = 0
        self._faults = FaultLog(source.name)
        #: The cache, when other runs may share it: looked at again right before each question.
        self._shared = store if isinstance(store, SharedStore) else None

    async def all_answered(self, tasks: list[asyncio.Task[Answer]]) -> list[Answer]:
        """The answers of ``tasks``; ``SourceUnreachable`` as soon as the service is found
        unreachable, without waiting for a lookup that would never end on its own (one
        whose captcha prompt waits for a person): ``aclose`` then cancels what is left."""
        answered = asyncio.gather(*tasks)
        # Whatever ends it (the run cancelled, the service gone), its outcome is taken here,
        # so that it is never reported as an exception nobody retrieved.
        answered.add_done_callback(lambda done: done.cancelled() or done.exception())
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait((answered, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not answered.done():
                answered.cancel()
        if self.unreachable is not None:
            raise self.unreachable
        return await answered

    def submit(self, query: Query) -> asyncio.Task[Answer]:
        """The task answering ``query``: a new one, or the one already running or done."""
        task = self._tasks.get(query)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._answer(query), name=f"lookup {mask_id(query.id_number)}"
            )
            self._tasks[query] = task
        return task

    async def answer(self, query: Query) -> Answer:
        # Shielded: one caller giving up must not cancel the lookup others wait for.
        return await asyncio.shield(self.submit(query))

    async def aclose(self) -> None:
        pending = [t for t in self._tasks.values() if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _answer(self, query: Query) -> Answer:
        identity = self.source.cache_identity
        if self.store is not None:
            cached = cached_answer(self.store, identity, query)
            if cached is not None:
                self._report(query, cached)
                return cached
        while True:
            try:
                outcome = await self._outcome_with_retries(query)
            except _AnsweredElsewhere as arrived:
                self._report(query, arrived.answer)
                return arrived.answer
            except _AskedElsewhere:
                # No slot is held while waiting: this run asks other people meanwhile.
                await self.clock.sleep(WAIT_FOR_OTHER_RUN)
                continue
            except BaseException:
                self._done_asking(query)
                raise
            break
        answer = Answer(outcome=outcome, source=self.source.name, checked_at=self.clock.now())
        if self.store is not None:
            keep_answer(self.store, identity, query, answer)
        # After the answer is kept: a run waiting for it finds it, not an unmarked question.
        self._done_asking(query)
        self._report(query, answer)
        return answer

    def _take_turn(self, query: Query) -> None:
        """Right before asking: raise when another run's answer arrived or another run is
        asking this person now; otherwise the question is marked as this run's."""
        if self._shared is None:
            return
        said = take_turn(self._shared, self.source.cache_identity, query)
        if isinstance(said, Answer):
            raise _AnsweredElsewhere(said)
        if said is Turn.WAIT:
            raise _AskedElsewhere

    def _done_asking(self, query: Query) -> None:
        if self._shared is not None:
            done_asking(self._shared, self.source.cache_identity, query)

    def _report(self, query: Query, answer: Answer) -> None:
        if isinstance(answer.outcome, Found | NotFound):
            self._definitive += 1
        if self.progress is not None:
            self.progress.on_answer(query, answer)

    async def _outcome_with_retries(self, query: Query) -> Outcome:
        first = await self._attempt(query)
        if not _is_transient(first):
            # Most lookups succeed at once; building a retry controller for each of them was
            # a third of a 20,000-worker run against a local registry.
            return first
        prefetched = [first]

        async def attempt(q: Query) -> Outcome:
            return prefetched.pop() if prefetched else await self._attempt(q)

        settings = self.settings
        attempts = settings.retries + 1
        retrying = AsyncRetrying(
            stop=stop_any(
                stop_after_attempt(attempts), _ServerWaitTooLong(settings.retry_after_max)
            ),
            wait=_Backoff(settings, self._rng),
            retry=retry_if_result(_is_transient),
            # The sleep happens between calls of _attempt, so no slot is held while waiting.
            sleep=self._pause,
            retry_error_callback=lambda state: _gave_up(state),
        )
        outcome: Outcome = await retrying(attempt, query)
        return outcome

    async def _attempt(self, query: Query) -> Outcome:
        if self._down is not None:
            return self._not_asked()
        async with self._slots:
            self._take_turn(query)
            if not self._gated:
                try:
                    await self._limiter.acquire()
                except GateClosed:
                    return self._not_asked()
            if self._down is not None:  # it went down while this one waited for its turn
                return self._not_asked()
            try:
                outcome, faulty = await self._ask(query)
            except BaseException as exc:  # a faulty source must not take the run down
                if not source_fault(exc) or _cancelled(exc):
                    raise
                outcome, faulty = self._faults.raised(exc, query), True
        if faulty:
            assert isinstance(outcome, Failed)
            self._failed_again(outcome, "数据源工作不正常，见详情（the source does not work）")
        else:
            self._watch(outcome)
        return outcome

    async def _ask(self, query: Query) -> tuple[Outcome, bool]:
        """The source's outcome, vetted; a fault of the source is said once per kind."""
        pending = self.source.lookup(query)
        if inspect.isawaitable(pending):
            outcome, faulty = vetted(await pending)
        else:
            outcome, faulty = Failed(
                FailureKind.LOOKUP_FAILED,
                f"{SOURCE_ERROR}lookup returned {type_words(pending)} without awaiting "
                "(it must be an async def)",
            ), True
        if faulty:
            assert isinstance(outcome, Failed)
            self._faults.returned(outcome, query)
        return outcome, faulty

    def _watch(self, outcome: Outcome) -> None:
        """Count transient failures in a row; any other outcome shows the source is there.

        One with Retry-After is neither: the server answered, and asked for patience. For a
        source that does not report to the limiter itself, that is a refusal, and any other
        answer an answer. (A fault of the source, such as a plugin returning garbage or
        raising, is neither an answer nor a refusal: ``_failed_again`` counts it.) A failure
        to connect is counted apart as well (``_cannot_connect``).
        """
        if isinstance(outcome, Failed) and outcome.unreachable:
            self._cannot_connect(outcome)
        else:
            self._heard = True
            self._unreachable_in_row = 0
            self._first_unreachable = None
        if not _is_transient(outcome):
            self._failures_in_row = 0
            if not self._gated:
                self._limiter.answered()
            return
        assert isinstance(outcome, Failed)
        if outcome.retry_after is not None:
            if not self._gated:
                self._limiter.refused(outcome.retry_after)
            return
        self._failed_again(outcome,
                           "数据源似乎无法访问，请稍后再运行（the source seems unreachable）")

    @property
    def heard(self) -> bool:
        """Whether the service has said anything in this run (whatever it said)."""
        return self._heard or self._limiter.heard

    def _cannot_connect(self, outcome: Failed) -> None:
        """One more connection that could not be made. Before the service has said anything,
        a few of them a retry apart mean it cannot be reached: the run stops at once rather
        than wait out every query's retries. Midway a network that drops for a moment is
        waited out a little longer, and ``_failed_again``'s count may stop the run sooner."""
        now = self.clock.monotonic()
        self._unreachable_in_row += 1
        if self._first_unreachable is None:
            self._first_unreachable = now
        patience = UNREACHABLE_SECONDS_MIDWAY if self.heard else UNREACHABLE_SECONDS
        if (self._unreachable_in_row >= UNREACHABLE_TRIES
                and now - self._first_unreachable >= patience):
            self._stop_unreachable(outcome)

    def _stop_unreachable(self, outcome: Failed) -> None:
        """The service cannot be reached: nothing more is asked, and ``lookup_all`` raises."""
        if self._down is not None:
            return
        detail = mask_full_ids(outcome.detail)
        self.unreachable = SourceUnreachable(detail, answered=self._definitive,
                                             midway=self.heard)
        self._gone.set()
        self._go_down(f"{detail}，已停止查询")
        # Said by the CLI, which knows what became of the register; the log keeps it too.
        log.info("%s: %s", self.source.name, self._down)

    def _stop_refused(self, why: str) -> None:
        """Once the service has refused every request for a while (the limiter counts), ask
        nothing more: the rest are failures, not cached, so the next run asks them."""
        if self._down is not None:
            return
        left = sum(1 for task in self._tasks.values() if not task.done())
        log.warning(
            "查询服务拒绝了所有请求（可能被防火墙拦截）：最近 %d 次请求全被拒绝，已停止查询；"
            "其余 %d 人记为未核验（lookup_failed），不写入缓存，请稍后再运行"
            "（the service refuses every request, a web firewall?: the rest are not asked）",
            self._limiter.refusals_in_row, left,
        )
        self._go_down(f"{why}；请稍后再运行")

    def _failed_again(self, outcome: Failed, why: str) -> None:
        """One more attempt in a row with no answer; enough of them and the source is down."""
        self._failures_in_row += 1
        if self._down is None and self._failures_in_row >= self.settings.failures_before_giving_up:
            refusals = self._limiter.refusals_in_row
            if refusals >= self._failures_in_row:  # not unreachable: refusing every request
                self._stop_refused(_refused_all(refusals))
                return
            if outcome.unreachable:  # the connection itself fails now: the run stops
                self._stop_unreachable(outcome)
                return
            # Logged to the terminal and shared by every query: no one's ID may be in it.
            last = mask_full_ids(outcome.detail)
            self._go_down(
                f"最近 {self._failures_in_row} 次尝试全部失败（the last {self._failures_in_row} "
                f"attempts all failed），最后一次：{last}；{why}"
            )
            log.warning("数据源 %s：%s", self.source.name, self._down)

    def _go_down(self, why: str) -> None:
        """Ask nothing more. Queued attempts will not be sent, so they need not wait for their
        turn, a gated source's requests waiting for a permit are not sent either, and lookups
        waiting to retry stop waiting."""
        self._down = why
        self._limiter.close(f"{NOT_ASKED}{why}")
        if self._stopped is not None:
            self._stopped.set()

    async def _pause(self, seconds: float) -> None:
        """The wait before a retry, cut short once the source is taken to be down: the retry
        would not be sent, and the run should end (or stop) without waiting for it."""
        if self._down is not None:
            return
        if self._stopped is None:
            self._stopped = asyncio.Event()
        await _sleep_unless(self.clock, seconds, self._stopped)

    def _not_asked(self) -> Failed:
        # Not transient: nothing is retried once the source is taken to be down. Failures are
        # never cached, so the next run asks these queries again.
        assert self._down is not None
        return Failed(FailureKind.LOOKUP_FAILED, f"{NOT_ASKED}{self._down}")


def _gave_up(state: RetryCallState) -> Outcome:
    assert state.outcome is not None
    outcome = state.outcome.result()
    assert isinstance(outcome, Failed)
    tries = state.attempt_number
    suffix = f"（共试 {tries} 次后放弃；gave up after {tries} attempts）" if tries > 1 else ""
    if outcome.retry_after is not None:
        suffix += f"；服务器要求等待 {outcome.retry_after:g} 秒（Retry-After）"
    return replace(outcome, detail=outcome.detail + suffix)


async def lookup_all(
    source: LookupSource,
    queries: Iterable[Query],
    settings: EngineSettings,
    *,
    progress: ProgressListener | None = None,
    store: AnswerStore | None = None,
    clock: Clock | None = None,
) -> dict[Query, Answer]:
    """The answer for every distinct query. Never raises for what a source does.

    Cancellation (Ctrl-C) cancels and awaits every lookup still running before it propagates;
    answers already put in the store stay there. A service no connection can be made to raises
    ``SourceUnreachable`` in the same way, once every lookup has stopped. The source is left
    open.
    """
    unique = list(dict.fromkeys(queries))
    engine = LookupEngine(source, settings, progress=progress, store=store, clock=clock)
    if progress is not None:
        progress.on_start(len(unique))
    try:
        tasks = [engine.submit(q) for q in unique]
        answers = await engine.all_answered(tasks)
        return dict(zip(unique, answers, strict=True))
    finally:
        await engine.aclose()
        if progress is not None:
            progress.on_finish()


