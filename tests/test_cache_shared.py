"""The cache as others may find it: edited by hand, shared by several runs at once."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from certcheck.cache import AnswerCache
from certcheck.check import Turn
from certcheck.models import Found, Query
from confined import TIME_LIMIT, run_confined, start_confined
from factories import found, make_id, not_found, record
from mem_server import MemServer
from test_cli_mem import command, population, statuses, write_roster

NEXT_DAY = datetime(2026, 11, 30, 10, tzinfo=UTC)
Q = Query(make_id(), "张三")


def _cache(folder: Path) -> AnswerCache:
    return AnswerCache(folder, max_age=timedelta(days=7), now=lambda: NEXT_DAY)


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


def test_rows_of_an_unknown_kind_are_asked_again_not_read_as_nothing_found(
    tmp_path: Path,
) -> None:
    rows, truth, registry = population(12)
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry) as server:
        cmd = command(tmp_path, server, roster, out, "--rate", "50")
        first = run_confined(cmd)
        assert first.returncode == 1, first.stderr
        assert statuses(out) == truth
        asked_once = {i: server.queries_for(i) for i in truth}
        # Someone rewrites every answer with a kind certcheck never wrote.
        db = sqlite3.connect(tmp_path / "cache" / "certcheck" / "answers.sqlite3")
        with db:
            changed = db.execute("UPDATE answers SET kind = 'nothing'").rowcount
        db.close()
        assert changed == len(truth)
        again = run_confined(cmd)
    _no_traceback(again.stderr)
    assert again.returncode == 1, again.stderr
    # The valid workers are still valid: none of them became fake.
    assert statuses(out) == truth
    assert f"中有 {len(truth)} 条记录与 certcheck 写入的不符" in again.stderr
    assert "个查询结果来自缓存" not in again.stderr
    for id_number in truth:
        assert server.queries_for(id_number) == asked_once[id_number] + 1, id_number


def test_runs_sharing_a_cache_ask_each_person_once(tmp_path: Path) -> None:
    rows, truth, registry = population(40)
    roster = write_roster(tmp_path / "roster.csv", rows)
    runs = 4
    with MemServer(registry, latency=0.05) as server:
        children = []
        for n in range(runs):
            cmd = command(tmp_path, server, roster, tmp_path / f"out{n}.json",
                          "--rate", "100", "--concurrency", "4", "--no-progress")
            children.append(start_confined(cmd))
        said = [child.communicate(timeout=TIME_LIMIT * 2) for child in children]
        per_id = {i: server.queries_for(i) for i in truth}
    for child, (_, stderr) in zip(children, said, strict=True):
        _no_traceback(stderr)
        assert child.returncode == 1, stderr
    for n in range(runs):
        assert statuses(tmp_path / f"out{n}.json") == truth
    # Before, each run asked everybody itself: 160 queries for 40 people.
    assert per_id == dict.fromkeys(truth, 1)


# --- the mark "being asked" ---------------------------------------------------------------


def test_a_question_another_live_run_is_asking_waits_for_its_answer(tmp_path: Path) -> None:
    asking, waiting = _cache(tmp_path / "c"), _cache(tmp_path / "c")
    assert asking.take_turn("mem", Q) is Turn.ASK
    assert waiting.take_turn("mem", Q) is Turn.WAIT
    asking.put("mem", Q, found(record()))
    asking.done_asking("mem", Q)
    arrived = waiting.take_turn("mem", Q)
    assert not isinstance(arrived, Turn) and isinstance(arrived.outcome, Found)
    assert waiting.hits == 1


def test_a_failed_question_is_asked_by_the_run_that_waited(tmp_path: Path) -> None:
    asking, waiting = _cache(tmp_path / "c"), _cache(tmp_path / "c")
    assert asking.take_turn("mem", Q) is Turn.ASK
    asking.done_asking("mem", Q)  # the lookup failed: nothing was put
    assert waiting.take_turn("mem", Q) is Turn.ASK


def test_the_mark_of_a_killed_run_is_not_waited_for(tmp_path: Path) -> None:
    import subprocess
    import sys

    killed = subprocess.Popen([sys.executable, "-c", CLAIM_AND_HANG, str(tmp_path / "c")],
                              stdout=subprocess.PIPE, text=True)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "asking"
    waiting = _cache(tmp_path / "c")
    assert waiting.take_turn("mem", Q) is Turn.WAIT  # alive: its answer is waited for
    killed.kill()  # kill -9: it never clears its mark
    killed.wait(timeout=10)
    assert waiting.take_turn("mem", Q) is Turn.ASK


#: A run that marks Q as being asked and then hangs until it is killed.
CLAIM_AND_HANG = f"""
import sys, time
from datetime import timedelta
from pathlib import Path
from certcheck.cache import AnswerCache
from certcheck.models import Query
cache = AnswerCache(Path(sys.argv[1]), max_age=timedelta(days=7))
assert cache.take_turn("mem", Query({Q.id_number!r}, {Q.name!r})).value == "ask"
print("asking", flush=True)
time.sleep(60)
"""


def test_a_mark_older_than_a_lookup_can_take_is_not_waited_for(tmp_path: Path) -> None:
    from certcheck.cache import ASKING_FOR

    asking, waiting = _cache(tmp_path / "c"), _cache(tmp_path / "c")
    assert asking.take_turn("mem", Q) is Turn.ASK
    with sqlite3.connect(tmp_path / "c" / "answers.sqlite3") as db:
        db.execute("UPDATE asking SET since = since - ?", (ASKING_FOR + 1,))
    assert waiting.take_turn("mem", Q) is Turn.ASK


def test_closing_clears_the_marks_of_the_run(tmp_path: Path) -> None:
    asking = _cache(tmp_path / "c")
    assert asking.take_turn("mem", Q) is Turn.ASK
    asking.close()
    assert _cache(tmp_path / "c").take_turn("mem", Q) is Turn.ASK


def test_a_tampered_answer_is_not_taken_right_before_asking_either(tmp_path: Path) -> None:
    cache = _cache(tmp_path / "c")
    cache.put("mem", Q, not_found())
    with sqlite3.connect(tmp_path / "c" / "answers.sqlite3") as db:
        db.execute("UPDATE answers SET kind = 'none'")
    assert cache.take_turn("mem", Q) is Turn.ASK
    assert cache.ignored == 1


def test_sigterm_stops_a_run_as_ctrl_c_does_and_keeps_its_answers(tmp_path: Path) -> None:
    import signal

    from test_cli_mem import _started_and_asking, run

    rows, truth, registry = population(20)
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry, latency=0.05) as server:
        cmd = command(tmp_path, server, roster, out, "--concurrency", "2", "--rate", "100")
        proc = _started_and_asking(cmd, server, 6)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=TIME_LIMIT)
        _no_traceback(stderr)
        assert proc.returncode == 130, stderr
        assert "已中断；已收到的查询结果保存在缓存中" in stderr
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
        done = run(cmd)
    assert done.returncode == 1, done.stderr
    assert statuses(out) == truth
    assert "个查询结果来自缓存" in done.stderr
