"""The verify pipeline: progress sees statuses as answers arrive, matching the final findings."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from certcheck.check import EngineSettings
from certcheck.cli.progress import RichProgress
from certcheck.models import Answer, Query, Status
from certcheck.pipeline import RunSettings, enterprise_from_title, run_verify
from certcheck.roster import read_roster
from certcheck.sources.registry import RegistrySource
from factories import AS_OF
from test_cli_verify import SAMPLES


class Recorder:
    def __init__(self) -> None:
        self.total = 0
        self.answers = 0
        self.statuses: Counter[Status] = Counter()

    def on_start(self, total: int) -> None:
        self.total = total

    def on_answer(self, query: Query, answer: Answer) -> None:
        self.answers += 1

    def on_statuses(self, statuses: Iterable[Status]) -> None:
        self.statuses.update(statuses)

    def on_finish(self) -> None:
        pass


def test_progress_counts_every_worker_also_those_never_looked_up() -> None:
    roster = read_roster(SAMPLES / "roster.xlsx", today=AS_OF)
    recorder = Recorder()
    register = run_verify(roster, RegistrySource(SAMPLES / "registry.csv"),
                          RunSettings(as_of=AS_OF), EngineSettings(), progress=recorder)
    looked_up = [f for f in register.findings if f.worker.lookup_key is not None]
    assert recorder.answers == recorder.total == len({f.worker.lookup_key for f in looked_up})
    assert recorder.total == 26
    # Workers, not answers: 30 workers, 26 lookups (invalid IDs and the like never asked).
    assert sum(recorder.statuses.values()) == len(roster.workers) == 30
    assert recorder.statuses == Counter(f.status for f in register.findings)


def test_progress_counts_a_sample_s_workers_once_each() -> None:
    roster = read_roster(SAMPLES / "roster.xlsx", today=AS_OF)
    recorder = Recorder()
    register = run_verify(roster, RegistrySource(SAMPLES / "registry.csv"),
                          RunSettings(as_of=AS_OF, sample_size=12, seed=3), EngineSettings(),
                          progress=recorder)
    assert sum(recorder.statuses.values()) == len(register.findings) == 12
    assert recorder.statuses == Counter(f.status for f in register.findings)


def test_with_a_progress_bar_each_worker_is_decided_once_and_the_same(monkeypatch) -> None:
    import certcheck.pipeline as pipeline

    roster = read_roster(SAMPLES / "roster.xlsx", today=AS_OF)
    source = SAMPLES / "registry.csv"
    quiet = run_verify(roster, RegistrySource(source), RunSettings(as_of=AS_OF), EngineSettings())
    calls = []
    real = pipeline.decide

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "decide", counted)
    shown = run_verify(roster, RegistrySource(source), RunSettings(as_of=AS_OF),
                       EngineSettings(), progress=Recorder())
    assert len(calls) == len(roster.workers) == 30
    # Same statuses, reasons and warnings (duplicates included) as a run without the bar.
    assert [(f.status, f.reason, f.warnings) for f in shown.findings] == [
        (f.status, f.reason, f.warnings) for f in quiet.findings
    ]


def test_rich_progress_shows_statuses_and_no_ids(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=160)
    progress = RichProgress(console)
    roster = read_roster(SAMPLES / "roster.xlsx", today=AS_OF)
    run_verify(roster, RegistrySource(SAMPLES / "registry.csv"), RunSettings(as_of=AS_OF),
               EngineSettings(), progress=progress)
    shown = buffer.getvalue()
    assert "有效" in shown and "假证" in shown
    for worker in roster.workers:
        if worker.id_number:
            assert worker.id_number not in shown


def test_enterprise_from_title() -> None:
    assert enterprise_from_title("重庆某某建设有限公司特种作业人员花名册") == "重庆某某建设有限公司"
    assert enterprise_from_title("单位名称：江津区德感机械厂 填报日期：2026年1月1日") == "江津区德感机械厂"
    assert enterprise_from_title("特种作业人员花名册") is None
    assert enterprise_from_title(None) is None
