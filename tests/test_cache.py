from __future__ import annotations

import stat
import time
from collections.abc import Callable, Iterator
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


@pytest.fixture
def beijing_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("beijing_local_time")
def test_a_stored_time_without_a_zone_is_local_time(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("mem", Q, not_found())
    cache._db.execute("UPDATE answers SET checked_at = '2026-11-29T10:00:00'")
    # 10:00 in Beijing is 02:00 UTC: a day old at 02:00 UTC the next day, not at 10:00.
    day = timedelta(days=1)
    in_time = _cache(tmp_path, max_age=day, now=datetime(2026, 11, 30, 2, tzinfo=UTC))
    assert in_time.get("mem", Q) is not None
    late = _cache(tmp_path, max_age=day, now=datetime(2026, 11, 30, 2, 0, 1, tzinfo=UTC))
    assert late.get("mem", Q) is None


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
