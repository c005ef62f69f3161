"""Writing output files so that a reader never sees half a file and nobody else can read it.

Registers hold ID numbers, which are personal data: every file is created mode 0600 and every
directory certcheck creates is 0700. A crash, a full disk or Ctrl-C while writing leaves the
previous file exactly as it was, because the new content only replaces it once it is complete
and on disk.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a fresh private temporary path beside ``path``; on success it replaces ``path``.

    The temporary file already exists (empty, mode 0600) when the block starts, so a library
    that opens it for writing keeps that mode. It lives in the same directory because
    ``os.replace`` is only atomic within one file system. On any exception, including
    KeyboardInterrupt, the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(fd)
    try:
        yield tmp
        # The writer may have recreated the file or the umask may have stripped bits: the final
        # mode must be exactly 0600 whatever happened.
        os.chmod(tmp, FILE_MODE)
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)


def atomic_write(
    path: Path,
    content: Callable[[Path], None] | bytes | str,
    *,
    encoding: str = "utf-8",
) -> None:
    """Write ``content`` to ``path`` atomically, mode 0600.

    ``content`` is the bytes or text to write, or a callable that writes the file at the
    temporary path it is given (for libraries such as xlsxwriter that want a file name).
    """
    with atomic_path(path) as tmp:
        if callable(content):
            content(tmp)
            return
        data = content.encode(encoding) if isinstance(content, str) else content
        with open(tmp, "wb") as fh:
            fh.write(data)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700; return it.

    Directories that already exist keep their mode: tightening a folder the user chose (their
    home, a shared project folder) would be a surprise. Only what certcheck creates is private.
    """
    path = Path(path)
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            # Another process made it between our check and now; it is not ours to chmod.
            continue
        # mkdir's mode is filtered by the umask; a umask such as 0o027 is fine, but be exact.
        os.chmod(directory, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    return path


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Not every platform or file system allows opening or
    # syncing a directory; the file's content is already safe, so that is not an error.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
