"""A source that returns anything but a well-formed outcome: the worker is unverified, the run
goes on, nothing of it is cached, and a source that keeps doing it is taken to be down."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from certcheck.check import Answer, EngineSettings, run_lookups
from certcheck.models import (
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
    Reason,
)
from certcheck.sources.interface import ImmediateSource, LookupSource, SourceOptions
from factories import nth_id, record

FAST = EngineSettings(concurrency=4, retries=3, backoff_initial=0.001, backoff_max=0.002)
ONE_AT_A_TIME = EngineSettings(concurrency=1, retries=3, backoff_initial=0.001, backoff_max=0.002)
NOT_AN_OUTCOME = ", not an outcome (Found, NotFound or Failed)"


def q(n: int, name: str = "张三") -> Query:
    return Query(nth_id(n), name)


async def _raises(query: Query) -> Outcome:
    raise RuntimeError(f"broke on {query.id_number}")


def _bad_date(query: Query) -> Found:
    good = record(id_number=query.id_number)
    return Found((CertRecord(**{**_fields(good), "valid_until": "2030-01-01"}),))


def _fields(rec: CertRecord) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in CertRecord.__slots__}


#: What a faulty source returns, and the detail the worker gets (type names only: no name, no
#: ID, nothing the value held).
GARBAGE: dict[str, tuple[Callable[[Query], object], str]] = {
    "none": (lambda query: None, "数据源出错（source error）：returned None" + NOT_AN_OUTCOME),
    "dict": (lambda query: {"姓名": query.name, "证件号码": query.id_number},
             "数据源出错（source error）：returned dict" + NOT_AN_OUTCOME),
    "str": (lambda query: f"found {query.name}", "数据源出错（source error）：returned str" + NOT_AN_OUTCOME),
    "list": (lambda query: [record(id_number=query.id_number)],
             "数据源出错（source error）：returned list" + NOT_AN_OUTCOME),
    "exception class": (lambda query: ValueError,
                        "数据源出错（source error）：returned the class ValueError" + NOT_AN_OUTCOME),
    "exception": (lambda query: ValueError(query.id_number),
                  "数据源出错（source error）：returned ValueError" + NOT_AN_OUTCOME),
    "found of dicts": (lambda query: Found(({"姓名": query.name},)),  # type: ignore[arg-type]
                       "数据源出错（source error）：returned a Found with a record that is dict, "
                       "not a CertRecord"),
    "found of a list of dicts": (
        lambda query: Found([{"姓名": query.name}]),  # type: ignore[arg-type]
        "数据源出错（source error）：returned a Found with a record that is dict, not a CertRecord"),
    "found of a text": (lambda query: Found(query.name),  # type: ignore[arg-type]
                        "数据源出错（source error）：returned a Found whose records are str, not CertRecords"),
    "record with a text date": (_bad_date, "数据源出错（source error）：returned a Found with a record whose "
                                           "valid_until is str, not a date"),
    "coroutine that raises": (_raises, "数据源出错（source error）：returned coroutine (an async function "
                                       "never awaited)" + NOT_AN_OUTCOME),
    "failed without a detail": (
        lambda query: Failed(FailureKind.LOOKUP_FAILED, None),  # type: ignore[arg-type]
        "数据源出错（source error）：returned a Failed whose detail is None"),
    "failed with a text wait": (
        lambda query: Failed(FailureKind.LOOKUP_FAILED, "busy", transient=True,
                             retry_after="soon"),  # type: ignore[arg-type]
        "数据源出错（source error）：returned a Failed whose retry_after is str, not seconds"),
}


class LocalJunk(ImmediateSource):
    """A local plugin (asked in the plain loop) returning ``make(query)``."""

    name = "junk"

    def __init__(self, make: Callable[[Query], object]) -> None:
        self.make = make
        self.calls = 0

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> LocalJunk:
        raise NotImplementedError

    def lookup_now(self, query: Query) -> Outcome:
        self.calls += 1
        return self.make(query)  # type: ignore[return-value]


class RemoteJunk(LookupSource):
    """A plugin asked through the asynchronous engine, returning ``make(query)``."""

    name = "junk"

    def __init__(self, make: Callable[[Query], object]) -> None:
        self.make = make
        self.calls = 0

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> RemoteJunk:
        raise NotImplementedError

    async def lookup(self, query: Query) -> Outcome:
        self.calls += 1
        return self.make(query)  # type: ignore[return-value]


class MemoryStore:
    def __init__(self) -> None:
        self.data: dict[tuple[str, Query], Answer] = {}

    def get(self, source_id: str, query: Query) -> Answer | None:
        return self.data.get((source_id, query))

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        self.data[(source_id, query)] = answer


SOURCES = [pytest.param(LocalJunk, id="plain loop"), pytest.param(RemoteJunk, id="engine")]


@pytest.mark.parametrize("kind", list(GARBAGE))
@pytest.mark.parametrize("source_type", SOURCES)
def test_garbage_is_a_lookup_failure_naming_its_type_only(
    source_type: type[LocalJunk | RemoteJunk], kind: str
) -> None:
    make, detail = GARBAGE[kind]
    store = MemoryStore()
    answers = run_lookups(source_type(make), [q(1, "阿依古丽")], FAST, store=store)
    outcome = answers[q(1, "阿依古丽")].outcome
    assert isinstance(outcome, Failed)
    assert outcome.reason is Reason.LOOKUP_FAILED
    assert outcome.detail == detail
    assert store.data == {}


@pytest.mark.parametrize("source_type", SOURCES)
def test_found_without_records_is_unrecognized_not_nothing_found(
    source_type: type[LocalJunk | RemoteJunk],
) -> None:
    store = MemoryStore()
    answers = run_lookups(source_type(lambda query: Found(())), [q(1)], FAST, store=store)
    outcome = answers[q(1)].outcome
    assert isinstance(outcome, Failed)
    assert outcome.reason is Reason.UNRECOGNIZED_RESPONSE
    assert outcome.detail == "数据源出错（source error）：答复为查到却没有记录（it answered found, with no record）"
    assert store.data == {}


def test_a_found_without_records_kept_by_an_earlier_version_is_asked_again() -> None:
    store = MemoryStore()
    old = Answer(Found(()), "junk", datetime(2026, 11, 1).astimezone())
    store.put("junk", q(1), old)
    source = RemoteJunk(lambda query: NotFound())
    answers = run_lookups(source, [q(1)], FAST, store=store)
    assert source.calls == 1
    assert answers[q(1)].outcome == NotFound() and not answers[q(1)].cached


@pytest.mark.parametrize("source_type", SOURCES)
def test_a_list_of_records_is_taken_as_the_tuple_it_should_be(
    source_type: type[LocalJunk | RemoteJunk],
) -> None:
    mine = record(id_number=q(1).id_number)
    answers = run_lookups(source_type(lambda query: Found([mine])),  # type: ignore[arg-type]
                          [q(1)], FAST)
    assert answers[q(1)].outcome == Found((mine,))


def test_a_lookup_that_is_not_async_is_a_failure() -> None:
    class Plain(RemoteJunk):
        def lookup(self, query: Query) -> Outcome:  # type: ignore[override]
            return NotFound()

    answers = run_lookups(Plain(lambda query: None), [q(1)], FAST)
    outcome = answers[q(1)].outcome
    assert isinstance(outcome, Failed) and outcome.reason is Reason.LOOKUP_FAILED
    assert outcome.detail == ("数据源出错（source error）：lookup returned NotFound without awaiting "
                              "(it must be an async def)")


def test_a_coroutine_returned_unawaited_is_closed_without_a_warning(
    recwarn: pytest.WarningsRecorder,
) -> None:
    run_lookups(LocalJunk(_raises), [q(1), q(2)], FAST)
    assert [str(w.message) for w in recwarn] == []


def test_each_kind_of_fault_is_logged_once_with_the_id_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = LocalJunk(lambda query: RuntimeError if int(query.id_number[14:17]) % 2 else None)
    with caplog.at_level(logging.WARNING):
        run_lookups(source, [q(n) for n in range(20)], FAST)
    lines = [r.getMessage() for r in caplog.records if "source fault" in r.getMessage()]
    assert [line.rsplit("：", 1)[1] for line in lines] == [
        "returned None" + NOT_AN_OUTCOME, "returned the class RuntimeError" + NOT_AN_OUTCOME]
    assert lines[0].startswith("数据源 junk 出错（source fault），查询 500381********")
    assert all(nth_id(n) not in line for n in range(20) for line in lines)


def test_a_source_returning_garbage_every_time_is_taken_to_be_down() -> None:
    source = RemoteJunk(lambda query: None)
    answers = run_lookups(source, [q(n) for n in range(30)], ONE_AT_A_TIME)
    # Garbage is not retried; after 2 × (3 + 1) failures in a row the rest are not asked.
    assert source.calls == 8
    details = [a.outcome.detail for a in answers.values() if isinstance(a.outcome, Failed)]
    assert len(details) == 30
    assert details[:8] == ["数据源出错（source error）：returned None" + NOT_AN_OUTCOME] * 8
    assert details[8:] == [
        "未查询（not asked）：最近 8 次尝试全部失败（the last 8 attempts all failed），最后一次："
        "数据源出错（source error）：returned None" + NOT_AN_OUTCOME
        + "；数据源工作不正常，见详情（the source does not work）"] * 22


def test_a_source_that_raises_every_time_is_taken_to_be_down() -> None:
    source = RemoteJunk(lambda query: (_ for _ in ()).throw(OSError("no table")))
    answers = run_lookups(source, [q(n) for n in range(30)], ONE_AT_A_TIME)
    assert source.calls == 8
    assert sum(a.outcome.detail.startswith("未查询（not asked）")  # type: ignore[union-attr]
               for a in answers.values()) == 22


def test_garbage_between_answers_does_not_take_the_source_down() -> None:
    source = RemoteJunk(lambda query: None if int(query.id_number[14:17]) % 2 else NotFound())
    answers = run_lookups(source, [q(n) for n in range(30)], ONE_AT_A_TIME)
    assert source.calls == 30
    outcomes = [answers[q(n)].outcome for n in range(30)]
    assert outcomes[0::2] == [NotFound()] * 15
    assert all(isinstance(o, Failed) and o.reason is Reason.LOOKUP_FAILED for o in outcomes[1::2])


def test_garbage_does_not_reset_the_count_of_failures_in_a_row() -> None:
    """Transient failures and garbage alternating: neither is an answer, so the source is
    given up after ``unreachable_after`` attempts in all, not never."""
    def make(query: Query) -> object:
        if int(query.id_number[14:17]) % 2:
            return None
        return Failed(FailureKind.LOOKUP_FAILED, "HTTP 503", transient=True)

    settings = EngineSettings(concurrency=1, retries=0, unreachable_after=6)
    source = RemoteJunk(make)
    answers = run_lookups(source, [q(n) for n in range(20)], settings)
    assert source.calls == 6
    assert sum(a.outcome.detail.startswith("未查询（not asked）")  # type: ignore[union-attr]
               for a in answers.values()) == 14


# --- the whole run, with the plugin installed through its entry point ----------------------

PLUGIN = '''
import asyncio
from datetime import date

from certcheck.models import CertRecord, Failed, FailureKind, Found, NotFound
from certcheck.sources.interface import ImmediateSource, LookupSource


async def _raises(query):
    raise RuntimeError("broke on " + query.id_number)


def _valid(query):
    return Found((CertRecord(
        name=query.name, id_number=query.id_number, cert_number="T" + query.id_number,
        category="电工作业", item="低压电工作业", first_issued=date(2024, 5, 1),
        valid_from=date(2024, 5, 1), valid_until=date(2030, 5, 1), review_due=date(2027, 5, 1),
        reviewed=None, issuer="重庆市应急管理局"),))


ANSWERS = {
    "工人甲": lambda q: None,
    "工人乙": lambda q: {"姓名": q.name, "证件号码": q.id_number},
    "工人丙": lambda q: "found",
    "工人丁": lambda q: ValueError,
    "工人戊": lambda q: ValueError(q.id_number),
    "工人己": lambda q: Found([{"姓名": q.name}]),
    "工人庚": lambda q: Found(()),
    "工人辛": _raises,
}


def answer(query):
    return ANSWERS.get(query.name, _valid)(query)


class LocalJunk(ImmediateSource):
    name = "localjunk"

    @classmethod
    def from_spec(cls, arg, options):
        return cls()

    def lookup_now(self, query):
        return answer(query)


class RemoteJunk(LookupSource):
    name = "remotejunk"

    @classmethod
    def from_spec(cls, arg, options):
        return cls()

    async def lookup(self, query):
        if query.name == "工人壬":
            raise RuntimeError("down for " + query.id_number)
        return answer(query)
'''

#: (name, status, reason, detail) for each roster row; a valid worker between the faulty ones
#: keeps the engine from taking the source to be down.
EXPECTED = [
    ("工人甲", "unverified", "lookup_failed", "数据源出错（source error）：returned None" + NOT_AN_OUTCOME),
    ("正常一", "valid", "ok", None),
    ("工人乙", "unverified", "lookup_failed", "数据源出错（source error）：returned dict" + NOT_AN_OUTCOME),
    ("工人丙", "unverified", "lookup_failed", "数据源出错（source error）：returned str" + NOT_AN_OUTCOME),
    ("正常二", "valid", "ok", None),
    ("工人丁", "unverified", "lookup_failed",
     "数据源出错（source error）：returned the class ValueError" + NOT_AN_OUTCOME),
    ("工人戊", "unverified", "lookup_failed", "数据源出错（source error）：returned ValueError" + NOT_AN_OUTCOME),
    ("正常三", "valid", "ok", None),
    ("工人己", "unverified", "lookup_failed",
     "数据源出错（source error）：returned a Found with a record that is dict, not a CertRecord"),
    ("工人庚", "unverified", "unrecognized_response",
     "数据源出错（source error）：答复为查到却没有记录（it answered found, with no record）"),
    ("正常四", "valid", "ok", None),
    ("工人辛", "unverified", "lookup_failed",
     "数据源出错（source error）：returned coroutine (an async function never awaited)" + NOT_AN_OUTCOME),
]


def _install(site: Path) -> None:
    (site / "junkplugin.py").write_text(textwrap.dedent(PLUGIN), "utf-8")
    dist = site / "junkplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: junkplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[certcheck.sources]\nlocaljunk = junkplugin:LocalJunk\n"
        "remotejunk = junkplugin:RemoteJunk\n"
    )


def _verify(site: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "certcheck", "verify", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("source", ["localjunk", "remotejunk"])
def test_verify_with_a_faulty_plugin_finishes_incomplete(tmp_path: Path, source: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    rows = [(name, nth_id(n)) for n, (name, *_) in enumerate(EXPECTED)]
    if source == "remotejunk":
        rows.append(("工人壬", nth_id(99)))
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"{name},{id_number},T{id_number},低压电工\n" for name, id_number in rows), "utf-8")
    out = tmp_path / "out.json"
    done = _verify(site, roster, "--source", source, "--as-of", "2026-11-29", "--no-cache",
                   "-o", out, "-o", tmp_path / "out.xlsx", "-o", tmp_path / "out.csv",
                   "--no-progress")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    got = [(w["name"], w["status"], w["reason"], w["detail"]) for w in workers]
    expected = list(EXPECTED)
    if source == "remotejunk":
        masked = nth_id(99)[:6] + "********" + nth_id(99)[-4:]
        expected.append(("工人壬", "unverified", "lookup_failed",
                         f"数据源出错（source error）：RuntimeError: down for {masked}"))
    assert got == expected
    assert (tmp_path / "out.xlsx").stat().st_size > 0
    assert (tmp_path / "out.csv").read_text("utf-8-sig").count("\n") == len(rows) + 1
    assert all(id_number not in done.stderr for _, id_number in rows)

