"""What was already sent to which robot, so that each reminder goes out once.

Kept beside the answer cache (``--cache-dir`` / ``CERTCHECK_CACHE_DIR`` / the user cache
folder), in ``notify-sent.json``, mode 0600, rewritten whole and atomically after each
delivered message: a run killed between two messages has recorded the first and nothing of
the second.

Per robot (known by a hash of its address), per entry: a keyed hash of what the entry is
about (the person, their certificate, the errand), what it said (for ``due``: the deadline
and the tier), and the as-of date it was sent on. The person is never stored in plain: an ID
number hashed without a key could be found again by hashing every possible ID (a few billion,
minutes of work), so the hash is an HMAC whose key is a random one kept in a separate file,
``notify-key`` (0600). That is the standard the answer cache beside it sets (its rows are
found by a hash, its records hold the IDs, the folder is the owner's alone): the record is
no more revealing than the cache, and on its own (copied, attached to a report, in a backup
without the key) it gives nobody back.

A record certcheck cannot read (edited, damaged, of another format, its key gone) is not
guessed at: every entry counts as not sent — a reminder sent twice is better than one never
sent — and the next delivered message rewrites it. Entries sent more than a year before the
as-of date are dropped when the file is written, so that people who left do not pile up.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

from certcheck.atomic import atomic_write, ensure_private_dir
from certcheck.notify.document import Line

STATE_FILE = "notify-sent.json"
KEY_FILE = "notify-key"
LOCK_FILE = "notify.lock"
FORMAT = 1
#: Entries older than this (by the as-of date they were sent on) are dropped.
KEEP = timedelta(days=366)
#: A record larger than this is not read (no run writes one near it).
_MAX_BYTES = 64 * 1024 * 1024
_KEY = re.compile(r"[0-9a-f]{64}")


class SentState:
    """The record of one folder. ``unreadable`` says why an existing record was not used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / STATE_FILE
        self.unreadable: str | None = None
        self._key: bytes | None = None
        self._robots: dict[str, dict[str, dict[str, str]]] = {}
        self._load()

    # --- reading -------------------------------------------------------------------------

    def _load(self) -> None:
        text = _read_private(self.path)
        if text is None:
            return
        key_text = _read_private(self.directory / KEY_FILE)
        if key_text is None or not _KEY.fullmatch(key_text.strip()):
            self.unreadable = f"密钥文件 {KEY_FILE} 缺失或已损坏"
            return
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            self.unreadable = "不是有效的 JSON"
            return
        robots = _understood(data)
        if robots is None:
            self.unreadable = "内容不是 certcheck 写入的格式"
            return
        self._key = bytes.fromhex(key_text.strip())
        self._robots = robots

    def _hash(self, key: str) -> str | None:
        if self._key is None:
            return None
        return hmac.new(self._key, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def unsent(self, robot: str, line: Line) -> bool:
        """Whether ``line`` is to be sent to ``robot``: never sent, or it says something else
        now (a new deadline, a new tier). An entry without a key is always sent."""
        if line.key is None:
            return True
        hashed = self._hash(line.key)
        if hashed is None:
            return True
        entry = self._robots.get(robot, {}).get(hashed)
        return entry is None or entry.get("version") != line.version

    # --- writing -------------------------------------------------------------------------

    def record(self, robot: str, lines: Iterable[Line], as_of: date) -> None:
        """Remember ``lines`` as sent to ``robot`` on ``as_of`` and write the record at once."""
        if self._key is None:
            self._key = secrets.token_bytes(32)
            self._robots = {}
            ensure_private_dir(self.directory)
            atomic_write(self.directory / KEY_FILE, self._key.hex() + "\n")
        entries = self._robots.setdefault(robot, {})
        for line in lines:
            hashed = self._hash(line.key) if line.key is not None else None
            if hashed is not None:
                entries[hashed] = {"version": line.version, "sent": as_of.isoformat()}
        self._prune(as_of)
        ensure_private_dir(self.directory)
        data = {"format": FORMAT, "robots": self._robots}
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        self.unreadable = None

    def _prune(self, as_of: date) -> None:
        oldest = (as_of - KEEP).isoformat()
        for robot, entries in list(self._robots.items()):
            for hashed, entry in list(entries.items()):
                if entry.get("sent", "") < oldest:
                    del entries[hashed]
            if not entries:
                del self._robots[robot]


def _understood(data: object) -> dict[str, dict[str, dict[str, str]]] | None:
    """The robots' entries when ``data`` is exactly the shape ``record`` writes; else None."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    robots = data.get("robots")
    if not isinstance(robots, dict):
        return None
    for entries in robots.values():
        if not isinstance(entries, dict):
            return None
        for entry in entries.values():
            if not (isinstance(entry, dict) and set(entry) == {"version", "sent"}
                    and all(isinstance(v, str) for v in entry.values())):
                return None
    return robots


def _read_private(path: Path) -> str | None:
    """The text of a regular file, read without following a link; None when there is none.
    A link, a folder or a FIFO in its place is refused (``OSError``, exit 4), as the cache
    refuses one: whoever planted it would choose what certcheck reads and overwrites."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            raise _not_regular(path) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path)
        if info.st_size > _MAX_BYTES:
            return ""
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
    finally:
        os.close(fd)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _not_regular(path: Path) -> OSError:
    return OSError(f"提醒记录 {path} 不是普通文件（链接、文件夹、管道或设备），不予使用；"
                   "请删除它或换一个 --cache-dir（not a regular file）")


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the folder's notification lock: two runs at once (a slow run and the next day's,
    two cron lines) take turns, and the second sees what the first sent. Where the system has
    no ``flock`` (Windows) there is no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    ensure_private_dir(directory)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(directory / LOCK_FILE, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _not_regular(directory / LOCK_FILE) from None
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
