"""The spellings of a minority name the national lookup is asked under (issue 17).

The service matches the name exactly. A roster may write the middle dot as a hyphen or a space,
or leave it out, and the service may hold the name with the dot or without one; each extra
spelling costs a captcha a person solves, so at most two are asked after the roster's own.
Against the local stand-in (tests/mem_server.py), which matches names exactly.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certcheck.models import Answer, Found, NotFound, Outcome, Query, Reason, Status
from certcheck.rules import decide
from certcheck.sources import mem_mapping as api
from certcheck.sources.mem import MemSource
from certcheck.sources.mem_names import name_variants
from factories import AS_OF, ListSolver, make_id, worker
from mem_server import MemServer, api_record

ID = make_id()


@pytest.mark.parametrize(
    ("name", "variants"),
    [
        ("阿依古丽-买买提", ("阿依古丽·买买提", "阿依古丽买买提")),
        ("阿依古丽 买买提", ("阿依古丽·买买提", "阿依古丽买买提")),
        ("阿依古丽 - 买买提", ("阿依古丽·买买提", "阿依古丽买买提")),
        ("阿依古丽—买买提", ("阿依古丽·买买提", "阿依古丽买买提")),
        ("阿依古丽·买买提", ("阿依古丽买买提", "阿依古丽•买买提")),
        ("阿依古丽•买买提", ("阿依古丽·买买提", "阿依古丽买买提")),
        ("买买提·艾力·阿不都", ("买买提艾力阿不都", "买买提•艾力•阿不都")),
        # Where the dot belongs cannot be told: no spelling is guessed.
        ("阿依古丽买买提", ()),
        ("张三", ()),
        ("-张三", ()),
        # In a Latin name a hyphen is the name's own.
        ("Anne-Marie", ("ANNE-MARIE",)),
        ("John·Smith", ("JOHN·SMITH", "JohnSmith")),
    ],
)
def test_spellings_tried_in_order(name: str, variants: tuple[str, ...]) -> None:
    assert name_variants(name) == variants


def test_every_spelling_when_the_cap_allows() -> None:
    assert name_variants("阿依古丽-买买提", limit=9) == (
        "阿依古丽·买买提", "阿依古丽买买提", "阿依古丽•买买提", "阿依古丽・买买提")


def asked(server: MemServer) -> list[str]:
    return [e.params[api.PARAM_NAME] for e in server.log if e.path == api.QUERY_PATH]


def lookup(server: MemServer, name: str) -> Outcome:
    source = MemSource(solver=ListSolver(), base_url=server.url, timeout=2.0)

    async def main() -> Outcome:
        try:
            return await source.lookup(Query(ID, name))
        finally:
            await source.aclose()

    return asyncio.run(main())


def judged(outcome: Outcome, name: str) -> tuple[Status, Reason]:
    finding = decide(
        worker(name=name, id_number=ID, item="低压电工作业", cert_number="T" + ID),
        Answer(outcome, "mem", datetime(2026, 11, 29, tzinfo=UTC)), AS_OF)
    return finding.status, finding.reason


@pytest.mark.parametrize(
    ("roster", "stored", "names_asked"),
    [
        ("阿依古丽-买买提", "阿依古丽·买买提", ["阿依古丽-买买提", "阿依古丽·买买提"]),
        ("阿依古丽-买买提", "阿依古丽买买提",
         ["阿依古丽-买买提", "阿依古丽·买买提", "阿依古丽买买提"]),
        ("阿依古丽 买买提", "阿依古丽·买买提", ["阿依古丽 买买提", "阿依古丽·买买提"]),
        ("阿依古丽·买买提", "阿依古丽买买提", ["阿依古丽·买买提", "阿依古丽买买提"]),
    ],
)
def test_a_name_stored_in_another_spelling_is_found_and_valid(
    roster: str, stored: str, names_asked: list[str]
) -> None:
    with MemServer({ID: [api_record(stored, ID)]}, match_names=True) as server:
        outcome = lookup(server, roster)
        assert asked(server) == names_asked
    assert isinstance(outcome, Found)
    assert judged(outcome, roster) == (Status.VALID, Reason.OK)


def test_a_hyphenated_name_stored_with_a_katakana_dot_is_beyond_the_cap() -> None:
    with MemServer({ID: [api_record("阿依古丽・买买提", ID)]}, match_names=True) as server:
        outcome = lookup(server, "阿依古丽-买买提")
        assert asked(server) == ["阿依古丽-买买提", "阿依古丽·买买提", "阿依古丽买买提"]
    assert isinstance(outcome, NotFound)
    assert outcome.detail == ("按 '阿依古丽-买买提', '阿依古丽·买买提', '阿依古丽买买提' 均未查到"
                              "（nothing found under any spelling）")


def test_verify_asks_a_roster_hyphen_as_a_dot_and_finds_the_worker(tmp_path: Path) -> None:
    """What reaches the source from a roster: the reader keeps a hyphen (or makes it a dot),
    and either way the dotted and the undotted spellings are asked."""
    other = make_id("11010519491231002")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,身份证号,证号,操作项目\n"
        f"阿依古丽-买买提,{ID},T{ID},低压电工\n"
        f"买买提－艾力,{other},T{other},低压电工\n", "utf-8")
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    out = tmp_path / "out.json"
    records = {ID: [api_record("阿依古丽·买买提", ID)], other: [api_record("买买提艾力", other)]}
    with MemServer(records, match_names=True) as server:
        done = subprocess.run(
            [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
             "--mem-url", server.url, "--captcha", f"command:{sys.executable} {program}",
             "--rate", "50", "--no-cache", "--as-of", "2026-11-29", "-o", str(out),
             "--no-progress"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        names = {id_number: [e.params[api.PARAM_NAME] for e in server.log
                             if e.path == api.QUERY_PATH and e.params[api.PARAM_ID] == id_number]
                 for id_number in records}
    assert done.returncode == 0, done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert [(w["status"], w["reason"]) for w in workers] == [("valid", "ok"), ("valid", "ok")]
    # The roster's own spelling first: with the hyphen, or the dot if the reader made it one.
    assert names[ID] in (["阿依古丽-买买提", "阿依古丽·买买提"], ["阿依古丽·买买提"])
    assert names[other] in (["买买提-艾力", "买买提·艾力", "买买提艾力"],
                            ["买买提·艾力", "买买提艾力"])

