from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from certcheck.cache import AnswerCache
from certcheck.models import Answer, Found, NotFound, Query
from factories import failed, found, make_id, not_found, record

Q = Query(make_id(), "张三")


def _cache(tmp_path: Path, **kw: object) -> AnswerCache:
    return AnswerCache(tmp_path / "cache", max_age=kw.pop("max_age", timedelta(days=7)), **kw)  # type: ignore[arg-type]


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
    old = Answer(NotFound(), "mem", datetime.now(UTC) - timedelta(days=2))
    cache.put("mem", Q, old)
    assert cache.get("mem", Q) is None


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
