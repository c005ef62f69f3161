"""The answer cache: definitive lookup answers kept between runs, in SQLite.

Only ``Found`` and ``NotFound`` are kept; a failure is never cached, so a rerun asks again.
Each answer is committed the moment it arrives, which is also what lets a killed run resume.
Files are created readable by the owner only: they hold ID numbers. A folder the user chose is
left as it is; the answers go in a private folder of certcheck's own inside it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from certcheck.atomic import ensure_private_dir
from certcheck.models import (
    Answer,
    CertRecord,
    Found,
    NotFound,
    Query,
)

ENV_DIR = "CERTCHECK_CACHE_DIR"
#: How far ahead of this machine's clock a stored answer may be dated (another machine's clock).
_CLOCK_SLACK = timedelta(hours=1)
FILE_NAME = "answers.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    records TEXT NOT NULL
)
"""


def default_dir() -> Path:
    """The user cache directory's ``certcheck`` folder: certcheck's own, kept private."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("certcheck", appauthor=False))


#: The folder certcheck keeps its answers in, inside a cache folder the user chose.
OWN_DIR = "certcheck"


def cache_dir(chosen: Path | None = None) -> Path:
    """Where the answers go: a private ``certcheck`` folder inside the folder the user chose
    (``--cache-dir``, else ``CERTCHECK_CACHE_DIR``), or else the user cache directory.

    A chosen folder is never changed: a shared 2775 folder would lose its group, and
    ``--cache-dir /tmp`` as root would lock everyone else out of /tmp. Answers hold ID numbers,
    so they go one level down, in a folder that is certcheck's alone.
    """
    if chosen is None:
        env = os.environ.get(ENV_DIR)
        chosen = Path(env) if env else None
    if chosen is None:
        return default_dir()
    return private_dir_in(chosen)


def private_dir_in(chosen: Path) -> Path:
    """``chosen/certcheck``, made 0700 (and ``chosen`` too, with what is missing above it, when
    it does not exist yet); an existing ``certcheck`` folder is used only when it is a real
    folder of this user, not a link or somebody else's, planted in a shared folder."""
    ensure_private_dir(chosen)
    own = chosen / OWN_DIR
    try:
        own.mkdir(mode=0o700)
    except FileExistsError:
        info = os.lstat(own)
        foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
        if not stat.S_ISDIR(info.st_mode) or foreign:
            raise OSError(
                errno.EEXIST,
                f"{own} 已存在，但不是本用户的缓存文件夹；请换一个 --cache-dir"
                "（not this user's cache folder）",
                str(own),
            ) from None
    return own


def _private_dir(path: Path) -> None:
    # Only ever a folder that is certcheck's own (``default_dir``, ``private_dir_in``, or one a
    # caller made for it), so making it exactly 0700 takes nothing from anybody.
    ensure_private_dir(path.parent)
    path.mkdir(exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def system_now() -> datetime:
    """The real clock, as an aware datetime: what a cache judges an answer's age by."""
    return datetime.now(UTC)


def _key(source_id: str, query: Query) -> str:
    # Hashed so the primary key does not spell out who was looked up.
    return hashlib.sha256(f"{source_id}\x1f{query.id_number}\x1f{query.name}".encode()).hexdigest()


class AnswerCache:
    """Implements the engine's ``AnswerStore``: get before asking, put when answered.

    ``now`` is the clock an answer's age is measured by: the real one unless a test pins it
    (it must return an aware datetime).
    """

    def __init__(
        self,
        directory: Path,
        *,
        max_age: timedelta,
        refresh: bool = False,
        now: Callable[[], datetime] = system_now,
    ) -> None:
        _private_dir(directory)
        self.path = directory / FILE_NAME
        if not self.path.exists():
            # Create it 0600 before SQLite opens it, so it never exists with wider rights.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(self.path, 0o600)
        self.max_age = max_age
        self.refresh = refresh
        self._now = now
        self.hits = 0
        self.writes = 0
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            # WAL keeps each commit cheap and a killed process from tearing the file.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise OSError(f"缓存 {self.path} 无法使用（{exc}）；请删除它或加 --no-cache"
                          "（the cache is unusable）") from None
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    def get(self, source_id: str, query: Query) -> Answer | None:
        if self.refresh:
            return None
        row = self._db.execute(
            "SELECT source, checked_at, kind, records FROM answers WHERE key = ?",
            (_key(source_id, query),),
        ).fetchone()
        if row is None:
            return None
        source, checked_at_text, kind, records_json = row
        checked_at = datetime.fromisoformat(checked_at_text)
        # certcheck stores aware times; one without a zone (an edited file) is read as local
        # time rather than failing the comparison with the aware clock.
        when = checked_at if checked_at.tzinfo is not None else checked_at.astimezone()
        age = self._now() - when
        # An answer dated ahead of the clock was stored while some clock was wrong: its age
        # cannot be told, so it is asked again rather than trusted for a week past that date.
        if age > self.max_age or age < -_CLOCK_SLACK:
            return None
        outcome: Found | NotFound
        if kind == "found":
            outcome = Found(tuple(_record(r) for r in json.loads(records_json)))
        else:
            outcome = NotFound()
        self.hits += 1
        return Answer(outcome=outcome, source=source, checked_at=checked_at, cached=True)

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        outcome = answer.outcome
        if isinstance(outcome, Found):
            kind, records = "found", [_stored(r) for r in outcome.records]
        elif isinstance(outcome, NotFound):
            kind, records = "not_found", []
        else:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO answers (key, source, checked_at, kind, records) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                _key(source_id, query),
                answer.source,
                answer.checked_at.isoformat(),
                kind,
                json.dumps(records, ensure_ascii=False),
            ),
        )
        self.writes += 1

    def close(self) -> None:
        self._db.close()


#: Stored beside the registry labels: a history record (历史数据) must stay one when it comes
#: back from the cache, or it could decide over the current certificate.
_HISTORY_KEY = "_history"


#: A record's further status values exactly as read (a code beside its name): the register's
#: label joins them, and a cached cancellation must come back as it was read.
_STATUSES_KEY = "_other_statuses"


def _stored(record: CertRecord) -> dict[str, object]:
    data: dict[str, object] = dict(record.to_dict())
    if record.history:
        data[_HISTORY_KEY] = True
    if record.other_statuses:
        data[_STATUSES_KEY] = list(record.other_statuses)
    return data


def _record(data: dict[str, object]) -> CertRecord:
    record = CertRecord.from_dict(data)
    if data.get(_HISTORY_KEY) is True:
        record = replace(record, history=True)
    others = data.get(_STATUSES_KEY)
    if isinstance(others, list):
        record = replace(record, other_statuses=tuple(str(v) for v in others))
    return record
