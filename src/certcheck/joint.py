"""A run with several sources: each worker asked of the sources serving its items, each source
under its own rate limit and cache namespace, and the worker decided once every source asked
has answered (``rules.decide_jointly``).

A worker is asked of the sources serving the regimes of its declared items (特种作业 → mem,
特种设备 → samr, by the catalog's regime of each item); a row with items of both regimes asks
both; a row that points to no regime (no item, no hint), or one whose declared cells were not
understood, asks every source; the run's ``--scope`` narrows all of it. A worker whose every
item belongs to a regime no source serves is asked nowhere (``other_authority``), as are the
workers the scope leaves out (``out_of_scope``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import date

from certcheck import gcpause
from certcheck.catalog import Catalog, load_catalog
from certcheck.check import (
    AnswerStore,
    EngineSettings,
    Job,
    ProgressListener,
    StatusListener,
    run_lookups_together,
)
from certcheck.models import Answer, Finding, Query, Reason, Scope, Worker
from certcheck.rules import decide_jointly, wanted_regimes
from certcheck.sources.interface import ImmediateSource
from certcheck.sources.several import SourceSet

#: For each worker, the indices of the sources it is asked of, in the run's order.
Route = tuple[int, ...]


def routes_of(
    workers: Sequence[Worker], sources: SourceSet, scope: Scope, catalog: Catalog | None = None
) -> list[Route]:
    """Which sources each worker is asked of."""
    catalog = catalog or load_catalog()
    checked = scope.regimes
    serves = sources.serves
    everyone = tuple(i for i, regimes in enumerate(serves)
                     if checked is None or regimes & checked)
    routes: list[Route] = []
    for worker in workers:
        if worker.lookup_key is None:
            routes.append(())
            continue
        wanted = wanted_regimes(worker, catalog)
        if wanted is None:
            routes.append(everyone)
            continue
        if checked is not None:
            wanted &= checked
        routes.append(tuple(i for i, regimes in enumerate(serves) if regimes & wanted))
    return routes


class _Decider:
    """Decides one worker from the answers of the sources it was asked of."""

    def __init__(self, workers: Sequence[Worker], routes: Sequence[Route], sources: SourceSet,
                 *, as_of: date, warn_days: int, scope: Scope,
                 duplicates: frozenset[str]) -> None:
        self.workers = workers
        self.routes = routes
        self.sources = sources
        self.as_of = as_of
        self.warn_days = warn_days
        self.scope = scope.regimes
        self.duplicates = duplicates
        self.catalog = load_catalog()
        self.run_traits = sources.traits
        self.parts_traits = [sources.traits_of(i) for i in range(len(sources.sources))]

    def decide(self, index: int, answers: Sequence[dict[Query, Answer]]) -> Finding:
        worker = self.workers[index]
        key = worker.lookup_key
        query = Query(*key) if key is not None else None
        parts = [
            (self.parts_traits[i], answers[i].get(query) if query is not None else None)
            for i in self.routes[index]
        ]
        return decide_jointly(
            worker, parts, self.as_of, run_traits=self.run_traits, warn_days=self.warn_days,
            duplicate=worker.id_number in self.duplicates, catalog=self.catalog,
            scope=self.scope,
        )


class _JointTally:
    """Passes every source's answers on to the progress listener and, for one that counts
    statuses, decides each worker as soon as every source it was asked of has answered, so
    that the bar counts workers (the findings are kept for the register)."""

    def __init__(self, inner: ProgressListener, decider: _Decider, jobs: int) -> None:
        self.inner = inner
        self.decider = decider
        self.counting = isinstance(inner, StatusListener)
        self.answers: list[dict[Query, Answer]] = [{} for _ in range(jobs)]
        self.decided: dict[int, Finding] = {}
        #: The workers waiting for each source's answer to a query.
        self.waiting_on: dict[tuple[int, Query], list[int]] = {}
        #: How many sources each worker still waits for.
        self.left: list[int] = []
        for index, (worker, route) in enumerate(zip(decider.workers, decider.routes,
                                                    strict=True)):
            self.left.append(len(route))
            key = worker.lookup_key
            if key is None:
                continue
            for job in route:
                self.waiting_on.setdefault((job, Query(*key)), []).append(index)

    def _tell(self, indices: Sequence[int]) -> None:
        if not indices or not isinstance(self.inner, StatusListener):
            return
        statuses = []
        for index in indices:
            finding = self.decider.decide(index, self.answers)
            self.decided[index] = finding
            # Those the scope left out are counted apart in the register: the bar
            # counts the workers checked.
            if finding.reason is not Reason.OUT_OF_SCOPE:
                statuses.append(finding.status)
        self.inner.on_statuses(statuses)

    def on_start(self, total: int) -> None:
        self.inner.on_start(total)
        if self.counting:
            self._tell([i for i, left in enumerate(self.left) if left == 0])

    def on_answer_from(self, job: int, query: Query, answer: Answer) -> None:
        self.inner.on_answer(query, answer)
        self.answers[job][query] = answer
        ready = []
        # pop: a query answered twice must not count its workers twice.
        for index in self.waiting_on.pop((job, query), ()):
            self.left[index] -= 1
            if self.left[index] == 0:
                ready.append(index)
        if self.counting:
            self._tell(ready)

    def on_finish(self) -> None:
        self.inner.on_finish()


def check_jointly(
    workers: Sequence[Worker],
    sources: SourceSet,
    *,
    as_of: date,
    warn_days: int,
    scope: Scope,
    engine: EngineSettings,
    duplicates: frozenset[str] = frozenset(),
    progress: ProgressListener | None = None,
    store: AnswerStore | None = None,
) -> tuple[Finding, ...]:
    """Every worker's finding, in order. ``engine`` sets the concurrency and the rate of each
    source on its own; a rate left unset is the source's own default. ``store`` keeps the
    answers of each cacheable source under its own identity."""
    routes = routes_of(workers, sources, scope)
    decider = _Decider(workers, routes, sources, as_of=as_of, warn_days=warn_days,
                       scope=scope, duplicates=duplicates)
    queries: list[list[Query]] = [[] for _ in sources.sources]
    for worker, route in zip(workers, routes, strict=True):
        key = worker.lookup_key
        for job in route:
            if key is not None:
                queries[job].append(Query(*key))
    jobs = [
        Job(source, queries[i],
            replace(engine, rate=engine.rate if engine.rate is not None else source.default_rate),
            store if source.cacheable else None)
        for i, source in enumerate(sources.sources)
    ]
    tally = _JointTally(progress, decider, len(jobs)) if progress is not None else None
    local = all(isinstance(s, ImmediateSource) for s in sources.sources)
    # As for one source: the collector is paused only while local sources answer.
    with gcpause.paused() if local else nullcontext():
        answers = run_lookups_together(jobs, progress=tally)
    with gcpause.paused():
        earlier = tally.decided if tally is not None else {}
        return tuple(
            earlier[i] if i in earlier else decider.decide(i, answers)
            for i in range(len(workers))
        )

