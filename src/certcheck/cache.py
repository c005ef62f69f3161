"""The answer cache: definitive lookup answers kept between runs, in SQLite.

Only ``Found`` and ``NotFound`` are kept; a failure is never cached, so a rerun asks again.
Each answer is committed the moment it arrives, which is also what lets a killed run resume.
Files are created readable by the owner only: they hold ID numbers. A folder the user chose is
left as it is; the answers go in a private folder of certcheck's own inside it.

A stored answer is an answer only when it is exactly what ``put`` writes: a known kind, records
that read back to the same JSON, an aware time that is not ahead of the clock, in a file of this
schema version. Anything else (an edited row, a file of another version) is ignored and the
person asked again; a row must never become "nothing found" because its kind was not
understood.

Several runs may share one cache. Each answer is committed at once and each run looks in the
cache again right before it asks, so a run sees the answers of the others as they arrive; and a
run about to ask marks the question as being asked (``asking``), so that the others wait for
that answer instead of asking the same person at the same moment.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import socket
import sqlite3
import stat
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from certcheck.atomic import ensure_private_dir
from certcheck.check import Turn
from certcheck.models import (
    Answer,
    CertRecord,
    Found,
    NotFound,
    Query,
)
from certcheck.vetting import vetted

ENV_DIR = "CERTCHECK_CACHE_DIR"
#: How far ahead of this machine's clock a stored answer may be dated (another machine's clock).
_CLOCK_SLACK = timedelta(hours=1)
FILE_NAME = "answers.sqlite3"
#: The layout ``put`` writes (``PRAGMA user_version``). A file of another version was written
#: by another certcheck: its rows may mean something else, so they are neither read nor
#: overwritten. 0 is a file made before versions were kept, in this same layout.
SCHEMA_VERSION = 1
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    records TEXT NOT NULL
)
""",
    # Who is asking which question right now: another run waits for that answer.
    """
CREATE TABLE IF NOT EXISTS asking (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    since REAL NOT NULL
)
""",
)
#: Seconds a run waits for another run's locked database before giving up on one read or
#: write: runs sharing a cache take turns writing, each commit takes milliseconds.
BUSY_TIMEOUT = 30.0
#: Seconds a mark "being asked by another run" is honoured. One lookup with every retry ends
#: well within this; a run killed without clearing its marks then costs the others at most
#: this long for those people, after which they ask themselves.
ASKING_FOR = 180.0
#: Kinds ``put`` writes; any other kind in a row is not an answer.
_FOUND, _NOT_FOUND = "found", "not_found"
#: SQLite's names for a file that is not a usable database; any other error (a full disk, a
#: read-only folder, an I/O error) is about where the file is, not the file.
_NOT_A_CACHE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})


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
    folder of this user, not a link or somebody else's, planted in a shared folder. ``chosen``
    itself must not be a link."""
    if chosen.is_symlink():
        # Whoever may change the link decides where ID numbers are written: refused, as a
        # planted ``certcheck`` link inside is.
        raise OSError(f"--cache-dir {chosen} 是一个链接，不用作缓存文件夹；请给出文件夹本身"
                      "（the cache folder is a link）")
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


def _own_file(path: Path) -> None:
    """Make ``path`` a regular file of 0600 (created so, before SQLite opens it, so it never
    exists with wider rights), refusing anything else found under its name: the mode of a
    link's target would be changed and SQLite would write into it, and a FIFO or a device
    would block or feed SQLite without end. Opened without following a link, and without
    blocking on a FIFO, and the mode set on what was opened."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            raise
        descriptor = None
    try:
        if descriptor is None or not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"缓存文件 {path} 不是普通文件（链接、文件夹、管道或设备），不予使用；"
                          "请删除它或换一个 --cache-dir（the cache file is not a regular file）")
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, 0o600)
    finally:
        if descriptor is not None:
            os.close(descriptor)


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


def _unusable(path: Path, exc: sqlite3.Error) -> OSError:
    """The one-line message for a cache SQLite cannot use; deleting it is advised only when
    the file itself is broken, never for a full disk, which deleting answers would not fix."""
    name = getattr(exc, "sqlite_errorname", "")
    if name in _NOT_A_CACHE:
        return OSError(f"缓存 {path} 已损坏，无法使用（{exc}）；请删除它或加 --no-cache"
                       "（the cache file is damaged）")
    return OSError(f"缓存 {path} 无法写入（{exc}）：请检查磁盘空间和文件夹权限，或加 --no-cache"
                   "；缓存中已有的查询结果不受影响（the cache cannot be written）")


def _owner() -> str:
    # host and pid tell whether the run that marked a question is still alive; the token keeps
    # two runs with one pid (another machine, a reused pid) apart.
    return f"{socket.gethostname()}\x1f{os.getpid()}\x1f{secrets.token_hex(4)}"


def _alive(owner: str) -> bool:
    """Whether the run that marked a question may still be asking: on another machine it
    cannot be told (the age decides), on this one its process must exist."""
    host, _, rest = owner.partition("\x1f")
    pid_text = rest.partition("\x1f")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


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
        _own_file(self.path)
        self.max_age = max_age
        self.refresh = refresh
        self._now = now
        self.hits = 0
        self.writes = 0
        #: Rows that were not exactly what ``put`` writes: ignored, the person asked again.
        self._ignored: set[str] = set()
        #: The schema version of a file another certcheck wrote; None when it is this one's.
        self.foreign_version: int | None = None
        self._me = _owner()
        try:
            # Autocommit: each answer is on disk for the other runs the moment it is put.
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)
            # WAL keeps each commit cheap, lets runs read while another writes, and keeps a
            # killed process from tearing the file.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open_schema()
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from None
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    @property
    def ignored(self) -> int:
        """How many people's rows were not as ``put`` writes them (each asked again)."""
        return len(self._ignored)

    def _open_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            self.foreign_version = int(version)
            return
        for statement in _SCHEMA:
            self._db.execute(statement)
        if version == 0:
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def get(self, source_id: str, query: Query) -> Answer | None:
        if self.refresh or self.foreign_version is not None:
            return None
        answer = self._stored_answer(_key(source_id, query))
        if answer is not None:
            self.hits += 1
        return answer

    def _stored_answer(self, key: str) -> Answer | None:
        try:
            row = self._db.execute(
                "SELECT source, checked_at, kind, records FROM answers WHERE key = ?", (key,),
            ).fetchone()
        except sqlite3.Error:  # a table changed by hand: not an answer
            self._ignored.add(key)
            return None
        if row is None:
            return None
        answer = _understood(row)
        if answer is None:
            self._ignored.add(key)
            return None
        age = self._now() - answer.checked_at
        # An answer dated ahead of the clock was stored while some clock was wrong: its age
        # cannot be told, so it is asked again rather than trusted for a week past that date.
        if age > self.max_age or age < -_CLOCK_SLACK:
            return None
        return answer

    def take_turn(self, source_id: str, query: Query) -> Answer | Turn:
        """Right before asking: the answer another run has put meanwhile, else whether this
        run asks (the question is then marked as being asked) or waits for another run."""
        if self.foreign_version is not None:
            return Turn.ASK
        key = _key(source_id, query)
        # One write transaction: two runs cannot both find the question unmarked and ask.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            answer = None if self.refresh else self._stored_answer(key)
            if answer is not None:
                self.hits += 1
                return answer
            row = self._db.execute("SELECT owner, since FROM asking WHERE key = ?",
                                   (key,)).fetchone()
            if row is not None and self._honoured(row):
                return Turn.WAIT
            self._db.execute("INSERT OR REPLACE INTO asking (key, owner, since) VALUES (?, ?, ?)",
                             (key, self._me, time.time()))
            return Turn.ASK
        finally:
            self._db.execute("COMMIT")

    def _honoured(self, row: tuple[object, ...]) -> bool:
        owner, since = row
        if owner == self._me or not isinstance(owner, str):
            return False
        if not isinstance(since, int | float) or not 0 <= time.time() - since < ASKING_FOR:
            return False
        return _alive(owner)

    def done_asking(self, source_id: str, query: Query) -> None:
        """Clear this run's mark, answered or not: a failure is not kept, and another run
        waiting for it must ask itself rather than wait out the mark."""
        if self.foreign_version is None:
            self._db.execute("DELETE FROM asking WHERE key = ? AND owner = ?",
                             (_key(source_id, query), self._me))

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        if self.foreign_version is not None:
            return
        outcome = answer.outcome
        if isinstance(outcome, Found):
            kind, records = _FOUND, [_stored(r) for r in outcome.records]
        elif isinstance(outcome, NotFound):
            kind, records = _NOT_FOUND, []
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
        if self.foreign_version is None:
            # Clearing marks on the way out must not hide why the run is ending: a mark left
            # behind expires (``ASKING_FOR``) or dies with its process (``_alive``).
            with suppress(sqlite3.Error):
                self._db.execute("DELETE FROM asking WHERE owner = ?", (self._me,))
        self._db.close()


def _understood(row: tuple[object, ...]) -> Answer | None:
    """The answer a row holds when it is exactly what ``put`` writes; None for anything else."""
    source, checked_at_text, kind, records_json = row
    if not (isinstance(source, str) and source and isinstance(checked_at_text, str)
            and isinstance(records_json, str)):
        return None
    try:
        checked_at = datetime.fromisoformat(checked_at_text)
    except ValueError:
        return None
    # ``put`` stores an aware time in isoformat; anything else was not written by it.
    if checked_at.tzinfo is None or checked_at.isoformat() != checked_at_text:
        return None
    try:
        stored = json.loads(records_json)
    except (ValueError, RecursionError):
        return None
    if kind == _NOT_FOUND:
        return Answer(NotFound(), source, checked_at, cached=True) if stored == [] else None
    if kind != _FOUND or not isinstance(stored, list) or not stored:
        return None
    records = []
    for data in stored:
        record = _record_or_none(data)
        if record is None:
            return None
        records.append(record)
    # The same checks a source's answer passes: a record without an ID number is no answer.
    outcome, faulty = vetted(Found(tuple(records)))
    return None if faulty else Answer(outcome, source, checked_at, cached=True)


def _record_or_none(data: object) -> CertRecord | None:
    """The record ``data`` holds when writing it back gives the very same JSON (so no label,
    type or date was changed); None otherwise."""
    if not isinstance(data, dict):
        return None
    try:
        record = _record(data)
    except (ValueError, TypeError, OverflowError):
        return None
    return record if _stored(record) == data and _same_types(_stored(record), data) else None


def _same_types(written: dict[str, object], read: dict[str, object]) -> bool:
    # ``==`` takes 1 for True and 1.0 for 1: the types must match too.
    return all(type(read[label]) is type(value) for label, value in written.items())


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
