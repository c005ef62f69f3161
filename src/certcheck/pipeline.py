"""One verify run, end to end: workers → lookups → findings → register.

The CLI gathers options and prints; this module only wires the one-way flow together, so the
same path serves the command line, the benchmarks and the tests.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime

from certcheck import __version__, gcpause
from certcheck.catalog import load_catalog
from certcheck.check import (
    AnswerStore,
    EngineSettings,
    ProgressListener,
    StatusListener,
    run_lookups,
)
from certcheck.joint import check_jointly
from certcheck.matchkey import MatchKey
from certcheck.models import (
    DEFAULT_WARN_DAYS,
    EVERY_REGIME,
    Answer,
    Finding,
    InputIssue,
    Query,
    Reason,
    Scope,
    SourceTraits,
    Status,
    Worker,
)
from certcheck.register.model import Kind, Register, RegisterMeta, Sample
from certcheck.roster import Roster
from certcheck.rules import decide, needs_lookup
from certcheck.sources.interface import ImmediateSource, LookupSource
from certcheck.sources.several import SourceSet


@dataclass(frozen=True, slots=True)
class RunSettings:
    as_of: date
    kind: Kind = Kind.SELF_CHECK
    enterprise: str | None = None
    warn_days: int = DEFAULT_WARN_DAYS
    sample_size: int | None = None
    seed: int | None = None
    mask_ids: bool = False
    #: The district's match key; tokens are written only when it is given.
    match_key: MatchKey | None = None
    #: The regimes checked (``--scope``); every regime by default.
    scope: Scope = EVERY_REGIME


def sample_workers(
    workers: Sequence[Worker], size: int, seed: int | None
) -> tuple[tuple[Worker, ...], Sample]:
    """A reproducible random sample, kept in roster order so the register reads like the roster."""
    chosen = (
        list(workers)
        if size >= len(workers)
        else random.Random(seed).sample(list(workers), size)
    )
    chosen.sort(key=lambda w: w.row)
    return tuple(chosen), Sample(size=len(chosen), population=len(workers), seed=seed)


def issues_of_sample(
    issues: Sequence[InputIssue], workers: Sequence[Worker], sample: Sequence[Worker]
) -> tuple[InputIssue, ...]:
    """The roster's issues a sampled register lists: those of the sampled workers' rows and
    those of no worker's row (the file, a sheet, a header), not those of workers left out.

    An issue that names its sheet is matched on sheet and row; one that does not, on its row
    alone, and it stays when a sampled worker of any sheet is on that row.
    """
    left_out = {(w.sheet, w.row) for w in workers} - {(w.sheet, w.row) for w in sample}
    kept_rows = {w.row for w in sample}
    left_out_rows = {row for _, row in left_out} - kept_rows

    def kept(issue: InputIssue) -> bool:
        if issue.row is None:
            return True
        if issue.sheet is not None:
            return (issue.sheet, issue.row) not in left_out
        return issue.row not in left_out_rows

    return tuple(i for i in issues if kept(i))


def duplicate_ids(workers: Sequence[Worker]) -> frozenset[str]:
    """IDs that stand for the same person on two rows of the roster.

    Rows one merged person cell spans are one entry, not duplicates. IDs whose digits were
    lost (stored as numbers) or that are invalid say nothing about being the same person.
    """
    entries: dict[str, set[tuple[str | None, int]]] = {}
    for w in workers:
        if w.id_number and w.id_problem is None:
            entry = (w.sheet, w.group if w.group is not None else w.row)
            entries.setdefault(w.id_number, set()).add(entry)
    return frozenset(k for k, seen in entries.items() if len(seen) > 1)


def queries_of(
    workers: Sequence[Worker], traits: SourceTraits | None = None, scope: Scope = EVERY_REGIME
) -> list[Query]:
    """The lookups worth making: a worker whose every declared item another authority
    certifies, or the run's scope leaves out, is not asked for (it would cost a captcha and
    could only find nothing)."""
    traits = traits or SourceTraits()
    catalog = load_catalog()
    regimes = scope.regimes
    return [
        Query(*key)
        for w in workers
        if (key := w.lookup_key) is not None and needs_lookup(w, traits, catalog, regimes)
    ]


def classify(
    workers: Sequence[Worker],
    answers: dict[Query, Answer],
    settings: RunSettings,
    traits: SourceTraits | None = None,
    *,
    decided: Mapping[int, tuple[Answer | None, Finding]] | None = None,
) -> tuple[Finding, ...]:
    """Every worker's finding. ``decided`` holds findings already made during the run (by the
    position of the worker and the answer they were made from); one is taken as it is when
    its answer is still the worker's answer, so that no worker is decided twice."""
    catalog = load_catalog()
    dups = duplicate_ids(workers)
    known = decided or {}
    findings = []
    for index, worker in enumerate(workers):
        key = worker.lookup_key
        answer = answers.get(Query(*key)) if key is not None else None
        earlier = known.get(index)
        if earlier is not None and earlier[0] is answer:
            findings.append(earlier[1])
            continue
        findings.append(
            decide(
                worker,
                answer,
                settings.as_of,
                warn_days=settings.warn_days,
                duplicate=worker.id_number in dups,
                catalog=catalog,
                traits=traits,
                scope=settings.scope.regimes,
            )
        )
    return tuple(findings)


_ENTERPRISE = re.compile(
    r"^\s*(?:单位名称[:：])?\s*(?P<name>.+?(?:有限责任公司|股份有限公司|有限公司|公司|集团|厂|场|矿|站|中心|医院|学校|项目部))"
)


def enterprise_from_title(title: str | None) -> str | None:
    """``重庆某某建设有限公司特种作业人员花名册`` → ``重庆某某建设有限公司``."""
    if not title:
        return None
    match = _ENTERPRISE.match(title)
    return match.group("name").strip() if match else None


class _Tally:
    """Passes answers on to a listener, deciding the workers behind each one as it arrives,
    so the progress bar can count valid / expired / fake … while the run goes on.

    It counts workers, not answers: the workers never looked up (no usable ID or name, or an
    item only another authority certifies) are decided at the start, and an answer shared by
    two rows counts both, so at the end the counts add up to the workers checked. The findings
    are kept (``decided``) for ``classify``, which then has nothing left to decide.
    """

    def __init__(
        self,
        inner: ProgressListener,
        workers: Sequence[Worker],
        queries: Iterable[Query],
        settings: RunSettings,
        traits: SourceTraits,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.traits = traits
        self.catalog = load_catalog()
        self.dups = duplicate_ids(workers)
        asked = set(queries)
        #: The position of each worker an answer will decide, by query.
        self.by_query: dict[Query, list[tuple[int, Worker]]] = {}
        #: Workers no answer will decide.
        self.unasked: list[tuple[int, Worker]] = []
        #: Position of a worker → (the answer it was decided from, its finding).
        self.decided: dict[int, tuple[Answer | None, Finding]] = {}
        for index, worker in enumerate(workers):
            key = worker.lookup_key
            query = Query(*key) if key is not None else None
            if query is not None and query in asked:
                self.by_query.setdefault(query, []).append((index, worker))
            else:
                self.unasked.append((index, worker))

    def _decide(
        self, entries: Iterable[tuple[int, Worker]], answer: Answer | None
    ) -> list[Status]:
        statuses = []
        for index, worker in entries:
            finding = decide(worker, answer, self.settings.as_of,
                             warn_days=self.settings.warn_days,
                             duplicate=worker.id_number in self.dups,
                             catalog=self.catalog, traits=self.traits,
                             scope=self.settings.scope.regimes)
            self.decided[index] = (answer, finding)
            # Those the scope left out are counted apart in the register: the bar
            # counts the workers checked.
            if finding.reason is not Reason.OUT_OF_SCOPE:
                statuses.append(finding.status)
        return statuses

    def on_start(self, total: int) -> None:
        self.inner.on_start(total)
        if isinstance(self.inner, StatusListener) and self.unasked:
            self.inner.on_statuses(self._decide(self.unasked, None))

    def on_answer(self, query: Query, answer: Answer) -> None:
        self.inner.on_answer(query, answer)
        if isinstance(self.inner, StatusListener):
            # pop: a query answered twice must not count its workers twice.
            self.inner.on_statuses(self._decide(self.by_query.pop(query, ()), answer))

    def on_finish(self) -> None:
        self.inner.on_finish()


def run_verify(
    roster: Roster,
    source: LookupSource | SourceSet,
    settings: RunSettings,
    engine: EngineSettings,
    *,
    progress: ProgressListener | None = None,
    store: AnswerStore | None = None,
) -> Register:
    """Check the roster's workers (or a sample of them) against ``source``, or against each
    source of a ``SourceSet`` for the regimes it serves, and make the register.

    With several sources, ``engine`` gives the concurrency and the rate each source gets on
    its own (a rate left unset: the source's own default), and ``store`` keeps each source's
    answers apart (``cache_identity``)."""
    workers = roster.workers
    sample = None
    if settings.sample_size is not None:
        workers, sample = sample_workers(workers, settings.sample_size, settings.seed)
    if isinstance(source, SourceSet) and len(source.sources) == 1:
        source = source.sources[0]
    if isinstance(source, SourceSet):
        findings = check_jointly(
            workers, source, as_of=settings.as_of, warn_days=settings.warn_days,
            scope=settings.scope, engine=engine, duplicates=duplicate_ids(workers),
            progress=progress, store=store,
        )
    else:
        findings = _check_with(workers, source, settings, engine, progress, store)
    meta = RegisterMeta(
        version=__version__,
        as_of=settings.as_of,
        source=source.name,
        roster_file=roster.file.name,
        sheets=roster.sheets,
        enterprise=settings.enterprise or enterprise_from_title(roster.title),
        kind=settings.kind,
        generated_at=datetime.now().astimezone(),
        sample=sample,
        skipped_sheets=tuple((s.name, s.why) for s in roster.skipped),
        scope=settings.scope,
    )
    issues = roster.issues if sample is None else issues_of_sample(roster.issues,
                                                                  roster.workers, workers)
    return Register(
        meta=meta, findings=findings, input_issues=issues, mask_ids=settings.mask_ids,
        match_key=settings.match_key,
    )


def _check_with(
    workers: Sequence[Worker],
    source: LookupSource,
    settings: RunSettings,
    engine: EngineSettings,
    progress: ProgressListener | None,
    store: AnswerStore | None,
) -> tuple[Finding, ...]:
    """Every worker's finding from one source's answers."""
    traits = source.traits
    queries = queries_of(workers, traits, settings.scope)
    tally = None
    if progress is not None and isinstance(progress, StatusListener):
        progress = tally = _Tally(progress, workers, queries, settings, traits)
    # A network source's run may take hours and its client makes cycles (futures, exceptions):
    # the collector is paused only for a local source's loop, which makes none.
    with gcpause.paused() if isinstance(source, ImmediateSource) else nullcontext():
        answers = run_lookups(source, queries, engine, progress=progress, store=store)
    with gcpause.paused():
        return classify(workers, answers, settings, traits,
                        decided=tally.decided if tally is not None else None)
