from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from certcheck.cache import AnswerCache
from certcheck.models import Answer, Found, NotFound, Query
from factories import failed, found, make_id, not_found, record

Q = Query(make_id(), "张三")
#: The day after the factories' answers were given: the cache's "now" in these tests, so that
#: they pass on any day they run.
NEXT_DAY = datetime(2026, 11, 30, 10, tzinfo=UTC)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _cache(
    tmp_path: Path, *, max_age: timedelta = timedelta(days=7), refresh: bool = False,
    now: datetime = NEXT_DAY,
) -> AnswerCache:
    return AnswerCache(tmp_path / "cache", max_age=max_age, refresh=refresh, now=at(now))


def test_found_round_trips_with_all_fields(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    rec = record(reviewed=datetime(2025, 1, 2).date())
    cache.put("mem", Q, found(rec))
    got = cache.get("mem", Q)
    assert got is not None and got.cached
    assert isinstance(got.outcome, Found)
    assert got.outcome.records == (rec,)
    assert cache.hits == 1


def test_not_found_is_kept_failures_are_not(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, not_found())
    assert isinstance(cache.get("mem", Q).outcome, NotFound)  # type: ignore[union-attr]
    other = Query(make_id("11010519491231002"), "李四")
    cache.put("mem", other, failed())
    assert cache.get("mem", other) is None
    assert cache.writes == 1


def test_keyed_by_source_and_query(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, not_found())
    assert cache.get("mem:https://other", Q) is None
    assert cache.get("mem", Query(Q.id_number, "李四")) is None


def test_too_old_answers_are_not_used(tmp_path: Path) -> None:
    cache = _cache(tmp_path, max_age=timedelta(days=1))
    old = Answer(NotFound(), "mem", datetime(2026, 11, 28, 9, tzinfo=UTC))
    cache.put("mem", Q, old)
    assert cache.get("mem", Q) is None


def test_an_answer_is_used_for_max_age_and_not_a_second_longer(tmp_path: Path) -> None:
    # The factories' answers were given at 2026-11-29 10:00 UTC; --max-age 7 keeps them 7 days.
    _cache(tmp_path).put("mem", Q, not_found())
    last_moment = _cache(tmp_path, now=datetime(2026, 12, 6, 10, tzinfo=UTC))
    assert last_moment.get("mem", Q) is not None
    a_second_late = _cache(tmp_path, now=datetime(2026, 12, 6, 10, 0, 1, tzinfo=UTC))
    assert a_second_late.get("mem", Q) is None
    # Ages are compared as moments, whatever zone the clock reads in: 18:00 in Beijing is
    # 10:00 UTC.
    beijing = timezone(timedelta(hours=8))
    assert _cache(tmp_path, now=datetime(2026, 12, 6, 18, tzinfo=beijing)).get("mem", Q)
    assert _cache(tmp_path, now=datetime(2026, 12, 6, 18, 0, 1, tzinfo=beijing)).get("mem", Q) is None


# --- a cache edited by hand is never an answer -----------------------------------------------


def _tamper(cache_folder: Path, sql: str, *params: object) -> None:
    """Change the cache file the way someone with a SQLite shell would, outside certcheck."""
    import sqlite3

    db = sqlite3.connect(cache_folder / "answers.sqlite3", isolation_level=None)
    try:
        db.execute(sql, params)
    finally:
        db.close()


_REC = record(reviewed=datetime(2025, 1, 2).date())
_STORED = {
    "姓名": "张三", "证件号码": _REC.id_number, "证号": _REC.cert_number, "作业类别": "电工作业",
    "操作项目": "低压电工作业", "初领日期": "2022-05-01", "有效期开始日期": "2022-05-01",
    "有效期结束日期": "2028-05-01", "应复审日期": "2027-05-01", "实际复审日期": "2025-01-02",
    "签发机关": _REC.issuer,
}


def _records(**changes: object) -> str:
    import json

    return json.dumps([{**_STORED, **changes}], ensure_ascii=False)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # The kind that made 39 of 300 workers fake: read as "nothing found" before.
        ("kind", "nothing"),
        ("kind", "FOUND"),
        ("kind", 1),
        ("records", "[{"),
        ("records", "{}"),
        ("records", "[]"),
        ("records", "[[]]"),
        ("records", "[" * 100_000),
        ("records", b"[]"),
        ("records", _records(有效期结束日期="2028-5-1")),
        ("records", _records(有效期结束日期="2028-02-30")),
        ("records", _records(有效期结束日期=20280501)),
        ("records", _records(证件号码=None)),
        ("records", _records(_history=1)),
        ("records", _records(证号=12345)),
        ("checked_at", "2026-11-29T10:00:00"),
        ("checked_at", "yesterday"),
        ("checked_at", "2026-11-29 10:00:00+00:00"),
        ("checked_at", 1764410400),
        ("source", ""),
        ("source", None),
    ],
    ids=repr,
)
def test_a_row_not_as_certcheck_writes_it_is_asked_again(
    tmp_path: Path, column: str, value: object
) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, found(_REC))
    cache.close()
    assert _cache(tmp_path).get("mem", Q) is not None  # as written, it is an answer
    if column == "source" and value is None:
        # NOT NULL in the table: the column's type is changed the long way round.
        _tamper(tmp_path / "cache", "UPDATE answers SET source = CAST(? AS BLOB)", "")
    else:
        _tamper(tmp_path / "cache", f"UPDATE answers SET {column} = ?", value)
    again = _cache(tmp_path)
    assert again.get("mem", Q) is None
    assert again.ignored == 1 and again.hits == 0


def test_not_found_with_records_is_not_an_answer(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, not_found())
    _tamper(tmp_path / "cache", "UPDATE answers SET records = ?", _records())
    assert _cache(tmp_path).get("mem", Q) is None


def test_records_as_written_still_read_back(tmp_path: Path) -> None:
    # The JSON above is what put writes: the same row, untampered, is an answer.
    cache = _cache(tmp_path)
    cache.put("mem", Q, found(_REC))
    _tamper(tmp_path / "cache", "UPDATE answers SET records = ?", _records())
    got = _cache(tmp_path).get("mem", Q)
    assert got is not None and isinstance(got.outcome, Found)
    assert got.outcome.records == (_REC,)


def test_a_table_changed_by_hand_is_asked_again(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, found(_REC))
    cache.close()
    _tamper(tmp_path / "cache", "ALTER TABLE answers DROP COLUMN records")
    again = _cache(tmp_path)
    assert again.get("mem", Q) is None
    assert again.ignored == 1


def test_a_cache_of_another_schema_version_is_neither_read_nor_written(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, found(_REC))
    cache.close()
    _tamper(tmp_path / "cache", "PRAGMA user_version = 99")
    newer = _cache(tmp_path)
    assert newer.foreign_version == 99
    assert newer.get("mem", Q) is None
    other = Query(make_id("11010519491231002"), "李四")
    newer.put("mem", other, not_found())
    newer.close()
    _tamper(tmp_path / "cache", "PRAGMA user_version = 1")
    back = _cache(tmp_path)
    assert back.get("mem", Q) is not None  # the other version's row was left as it was
    assert back.get("mem", other) is None  # and nothing of ours was written into it


def test_without_a_pinned_clock_the_cache_measures_by_the_real_one(tmp_path: Path) -> None:
    # What verify does: no clock given. Ages relative to the real now, so true on any day.
    real = AnswerCache(tmp_path / "cache", max_age=timedelta(days=7))
    stale = Query(make_id("11010519491231002"), "李四")
    real.put("mem", Q, Answer(NotFound(), "mem", datetime.now(UTC) - timedelta(days=6)))
    real.put("mem", stale, Answer(NotFound(), "mem", datetime.now(UTC) - timedelta(days=8)))
    assert real.get("mem", Q) is not None
    assert real.get("mem", stale) is None


def test_refresh_ignores_but_overwrites(tmp_path: Path) -> None:
    _cache(tmp_path).put("mem", Q, not_found())
    refreshing = _cache(tmp_path, refresh=True)
    assert refreshing.get("mem", Q) is None
    refreshing.put("mem", Q, found(record()))
    assert isinstance(_cache(tmp_path).get("mem", Q).outcome, Found)  # type: ignore[union-attr]


def test_survives_a_new_process_and_is_private(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, found(record()))
    cache.close()
    assert _cache(tmp_path).get("mem", Q) is not None
    directory = tmp_path / "cache"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_id_number_is_not_in_the_key(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, not_found())
    keys = [row[0] for row in cache._db.execute("SELECT key FROM answers")]
    assert Q.id_number not in keys[0]


# --- the folder the user chose is never changed ---------------------------------------------


def _verify_mem(tmp_path: Path, cache: Path | None, env_cache: Path | None) -> list[str]:
    """Two ``verify --source mem`` runs against the local stand-in; the stderr of each."""
    import os
    import subprocess

    from mem_server import MemServer
    from test_cli_mem import command, population, write_roster

    rows, _, registry = population(3)
    roster = write_roster(tmp_path / "roster.csv", rows)
    env = {**os.environ}
    env.pop("CERTCHECK_CACHE_DIR", None)
    if env_cache is not None:
        env["CERTCHECK_CACHE_DIR"] = str(env_cache)
    said = []
    with MemServer(registry) as server:
        cmd = command(tmp_path, server, roster, tmp_path / "out.json", "--rate", "50")
        at = cmd.index("--cache-dir")
        del cmd[at:at + 2]
        if cache is not None:
            cmd += ["--cache-dir", str(cache)]
        for _ in range(2):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
            assert done.returncode == 1, done.stderr
            said.append(done.stderr)
    return said


def _shared_folder(tmp_path: Path, mode: int) -> Path:
    import os

    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, mode)
    assert stat.S_IMODE(folder.stat().st_mode) == mode
    return folder


def _assert_private_answers_inside(folder: Path) -> None:
    own = folder / "certcheck"
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    files = list(own.iterdir())
    assert any(p.name == "answers.sqlite3" for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_setgid_group_folder_given_as_cache_dir_keeps_its_mode(tmp_path: Path) -> None:
    shared = _shared_folder(tmp_path, 0o2775)
    first, second = _verify_mem(tmp_path, cache=shared, env_cache=None)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o2775
    _assert_private_answers_inside(shared)
    # The cache still resumes: the second run asks nobody.
    assert "个查询结果来自缓存" not in first
    assert f"3 个查询结果来自缓存（{shared / 'certcheck'}）" in second


def test_the_environment_variable_leaves_its_folder_alone_too(tmp_path: Path) -> None:
    shared = _shared_folder(tmp_path, 0o755)
    _, second = _verify_mem(tmp_path, cache=None, env_cache=shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    _assert_private_answers_inside(shared)
    assert "3 个查询结果来自缓存" in second


def test_answers_resume_across_caches_opened_on_the_same_chosen_folder(tmp_path: Path) -> None:
    from certcheck.cache import cache_dir

    shared = _shared_folder(tmp_path, 0o2775)
    first = AnswerCache(cache_dir(shared), max_age=timedelta(days=7), now=at(NEXT_DAY))
    first.put("mem", Q, found(record()))
    first.close()
    again = AnswerCache(cache_dir(shared), max_age=timedelta(days=7), now=at(NEXT_DAY))
    assert again.get("mem", Q) is not None
    assert again.path.parent == shared / "certcheck"
    assert stat.S_IMODE(shared.stat().st_mode) == 0o2775


def test_a_missing_chosen_folder_is_made_private(tmp_path: Path) -> None:
    from certcheck.cache import cache_dir

    chosen = tmp_path / "new" / "cache"
    assert cache_dir(chosen) == chosen / "certcheck"
    for folder in (tmp_path / "new", chosen, chosen / "certcheck"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_certcheck_entry_planted_in_a_shared_folder_is_not_used(tmp_path: Path) -> None:
    import pytest

    from certcheck.cache import cache_dir

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    shared = _shared_folder(tmp_path, 0o1777)
    (shared / "certcheck").symlink_to(elsewhere)
    with pytest.raises(OSError, match="不是本用户的缓存文件夹"):
        cache_dir(shared)
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


def test_an_answer_dated_ahead_of_the_clock_is_asked_again(tmp_path: Path) -> None:
    # Stored by a machine whose clock ran a month fast: its age cannot be told.
    ahead = Answer(NotFound(), "mem", datetime(2026, 12, 30, 10, tzinfo=UTC))
    _cache(tmp_path).put("mem", Q, ahead)
    assert _cache(tmp_path, now=datetime(2026, 11, 30, 10, tzinfo=UTC)).get("mem", Q) is None
    # Minutes ahead (another machine's clock, a little off) is no reason to ask again.
    close = Answer(NotFound(), "mem", datetime(2026, 11, 30, 10, 20, tzinfo=UTC))
    _cache(tmp_path).put("mem", Q, close)
    assert _cache(tmp_path, now=datetime(2026, 11, 30, 10, tzinfo=UTC)).get("mem", Q) is not None
