"""Temporary files and folders certcheck makes, named so that a later run can tell its own.

A run killed with ``kill -9`` (or a power cut) cannot remove what it was writing: a half-made
register beside the output, a scratch folder of rows in the system's temporary folder. Both
hold ID numbers. Every such name carries the process id of the run that made it, and each run
first removes, by that name pattern, what belongs to this user and to a run that is no longer
there. Something of another user, something that is not a folder, or something whose run is
still alive is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: The prefix of certcheck's scratch folders in the system's temporary folder.
SCRATCH_PREFIX = "certcheck-"
#: A scratch folder: ``certcheck-<pid>-<random>``.
_SCRATCH = re.compile(rf"{re.escape(SCRATCH_PREFIX)}(\d+)-[A-Za-z0-9_]+")
#: A scratch folder made before names carried the process id (``certcheck-<random>``, and
#: ``certcheck-captcha-<random>``): whose run it was cannot be told, so only its age decides.
_SCRATCH_UNNAMED = re.compile(rf"{re.escape(SCRATCH_PREFIX)}(?:captcha-)?[A-Za-z0-9_]{{8}}")
#: Seconds after which something of this user, in certcheck's names, whose run cannot be told,
#: is taken as left behind: no run takes a day to write one file.
UNNAMED_AFTER = 24 * 3600.0

_swept_scratch = False


def beside_prefix(target: Path) -> str:
    """The start of the name of the private folder a write of ``target`` is made in."""
    return f".{target.name}.{os.getpid()}-"


def _beside_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.(\d+)-[A-Za-z0-9_]+\.tmp")


#: What writes made before the private folder: ``.<name>.<12 hex>.tmp`` files.
def _beside_unnamed(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{12}}\.tmp")


def _gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # a process of another user: alive
        return False
    return False


def _ours(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _sweep(folder: Path, named: re.Pattern[str], unnamed: re.Pattern[str], *,
           files: bool) -> int:
    """Remove the leftovers in ``folder``; how many. Never fails: a leftover that cannot be
    removed is no reason not to write."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    now = time.time()
    for entry in entries:
        by_pid = named.fullmatch(entry.name)
        if by_pid is None and unnamed.fullmatch(entry.name) is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        is_dir = stat.S_ISDIR(info.st_mode)
        if not _ours(info) or not (is_dir or (files and stat.S_ISREG(info.st_mode))):
            continue
        left = _gone(int(by_pid.group(1))) if by_pid else now - info.st_mtime > UNNAMED_AFTER
        if not left:
            continue
        with suppress(OSError):
            if is_dir:
                # rmtree does not follow links inside, and removes nothing outside the folder.
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    return removed


def sweep_beside(target: Path) -> int:
    """Remove what killed runs left beside ``target`` while writing it."""
    return _sweep(target.parent, _beside_pattern(target), _beside_unnamed(target), files=True)


def sweep_scratch() -> int:
    """Remove the scratch folders killed runs left in the system's temporary folder (once per
    run: the folder may be large)."""
    global _swept_scratch
    if _swept_scratch:
        return 0
    _swept_scratch = True
    return _sweep(Path(tempfile.gettempdir()), _SCRATCH, _SCRATCH_UNNAMED, files=False)


def make_scratch() -> Path:
    """A new private (0700) scratch folder in the system's temporary folder, named for this
    run; the caller removes it."""
    sweep_scratch()
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private scratch folder, removed however the block ends (a killed run's is removed by
    the next run)."""
    folder = make_scratch()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
