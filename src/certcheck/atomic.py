"""Writing output files so that a reader never sees half a file and nobody else can read it.

Registers hold ID numbers, which are personal data: every file is created mode 0600 and every
directory certcheck creates is 0700. A crash, a full disk or Ctrl-C while writing leaves the
previous file exactly as it was, because the new content only replaces it once it is complete
and on disk.

Any operating-system error while writing (a full disk, a read-only folder, no permission, a
library that wraps the error in its own exception) comes out as one ``WriteError`` that names
the output the user asked for, never the temporary file beside it.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from certcheck.leftovers import beside_prefix, sweep_beside, sweep_scratch

FILE_MODE = 0o600
DIR_MODE = 0o700

#: What an errno means for the person who asked for the file.
_REASONS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出了磁盘配额",
    errno.EROFS: "所在文件夹是只读的",
    errno.EACCES: "没有写入该文件夹的权限",
    errno.EPERM: "没有写入该文件夹的权限",
    errno.ENOENT: "所在文件夹不存在",
    errno.ENOTDIR: "所在路径不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EFBIG: "文件超出了文件系统允许的大小",
    errno.EIO: "磁盘读写出错",
}
#: What an errno means when it came from the output file itself, not its folder: replacing a
#: file fails on Windows when it is read-only or another program (Excel, WPS) holds it open.
READ_ONLY_FILE = ("该文件是只读的，或正被其他程序（如 Excel、WPS）打开；请关闭该文件或去掉只读属性"
                  "后重试，或另给一个文件名")
_FILE_REASONS = {
    errno.EACCES: READ_ONLY_FILE,
    errno.EPERM: READ_ONLY_FILE,
    errno.EBUSY: READ_ONLY_FILE,
    errno.ETXTBSY: READ_ONLY_FILE,
    errno.EISDIR: "这是一个文件夹",
}


class WriteError(Exception):
    """An output could not be written. The message names the output and says why; the file
    that was there before (if any) is unchanged."""

    def __init__(self, path: Path, cause: OSError, *, at_file: bool = False) -> None:
        self.path = path
        self.cause = cause
        reasons = {**_REASONS, **_FILE_REASONS} if at_file else _REASONS
        reason = reasons.get(cause.errno or 0, "写入失败")
        detail = cause.strerror or type(cause).__name__
        kept = "原有文件未改动" if path.exists() else "未生成文件"
        super().__init__(f"无法写入 {path}：{reason}（{detail}），{kept}")


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: itself, or what a library's own exception wraps."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        wrapped = [a for a in getattr(current, "args", ()) if isinstance(a, OSError)]
        if wrapped:
            return wrapped[0]
        current = current.__cause__ or current.__context__
    return None


#: Flags of every file certcheck writes into: a new file, never one a link points to.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a fresh private temporary path for ``path``; on success it replaces ``path``.

    The temporary file is made in a private (0700) folder of this run beside ``path``, so that
    nobody else who may write to that folder (a shared folder) can swap it for a link to some
    other file before it is written or renamed. The folder is held open and the path handed to
    the writer goes through that open folder where the system allows it (``/proc/self/fd``):
    the writer writes into it even if someone renames it. The file already exists (empty,
    mode 0600, created without following links) when the block starts, so a library that
    opens it for writing keeps that mode. It is in the same file system as ``path`` because
    ``os.replace`` is only atomic within one. On any exception, including KeyboardInterrupt,
    the temporary file is removed and ``path`` is left untouched; an operating-system error is
    raised as ``WriteError`` naming ``path``. What a killed run left is removed first
    (``leftovers``), beside
    ``path`` and in the system's temporary folder.
    """
    path = Path(path)
    directory = path.parent
    sweep_beside(path)
    sweep_scratch()
    try:
        private = Path(tempfile.mkdtemp(prefix=beside_prefix(path), suffix=".tmp",
                                        dir=directory))
    except OSError as exc:
        raise WriteError(path, exc) from exc
    folder_fd = out_fd = -1
    try:
        try:
            out_fd = os.open(directory, _DIR_FLAGS)
            folder_fd = os.open(private, _DIR_FLAGS)
            os.close(os.open(path.name, _NEW_FILE, FILE_MODE, dir_fd=folder_fd))
        except OSError as exc:
            raise WriteError(path, exc) from exc
        handed = _through(folder_fd, private)
        yield handed / path.name
        _settle(folder_fd, path.name)
        if handed == private and not _same_folder(private, folder_fd):
            # Written by name into a folder someone put in its place: not this run's file.
            raise WriteError(path, OSError(errno.EEXIST, "临时文件夹被他人替换（replaced)"))
        _replace(path, folder_fd, out_fd)
    except BaseException as exc:
        if folder_fd >= 0:
            with suppress(OSError):
                os.unlink(path.name, dir_fd=folder_fd)
        cause = os_error_in(exc) if isinstance(exc, Exception) else None
        if cause is not None and not isinstance(exc, WriteError):
            _release_quietly(exc)
            raise WriteError(path, cause) from exc
        raise
    finally:
        _remove_private(private, folder_fd)
        for fd in (folder_fd, out_fd):
            if fd >= 0:
                os.close(fd)
    _fsync_dir(directory)


def _replace(path: Path, folder_fd: int, out_fd: int) -> None:
    """Put the written file in the place of ``path``. A failure here is the file's own (a
    read-only file, one another program holds open), not its folder's, and is named so."""
    try:
        old = os.stat(path.name, dir_fd=out_fd, follow_symlinks=False)
    except OSError:
        old = None
    if (old is not None and stat.S_ISREG(old.st_mode)
            and not old.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
        # Linux and macOS would replace a read-only file that Windows refuses to: refused on
        # every system, since someone made it read-only to keep it (an archived register).
        raise WriteError(path, PermissionError(errno.EACCES, os.strerror(errno.EACCES)),
                         at_file=True)
    try:
        os.replace(path.name, path.name, src_dir_fd=folder_fd, dst_dir_fd=out_fd)
    except OSError as exc:
        raise WriteError(path, exc, at_file=old is not None) from exc


def _through(folder_fd: int, private: Path) -> Path:
    """The folder's path by its open descriptor where the system has one (Linux), so that a
    rename of the folder by someone else does not send the writer elsewhere."""
    by_fd = Path(f"/proc/self/fd/{folder_fd}")
    return by_fd if by_fd.is_dir() else private


def _settle(folder_fd: int, name: str) -> None:
    """Make the written file exactly 0600 and durable, through a descriptor: the writer may
    have recreated the file or the umask may have stripped bits, and a chmod by name would
    follow a link to somebody else's file."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=folder_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EEXIST, "临时文件不是普通文件（not a regular file）")
        os.fchmod(fd, FILE_MODE)
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_folder(private: Path, folder_fd: int) -> bool:
    """Whether ``private`` is still the folder held open: a folder swapped under that name
    would be removed by name below, and must not be."""
    try:
        named = os.lstat(private)
    except OSError:
        return False
    held = os.fstat(folder_fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _remove_private(private: Path, folder_fd: int) -> None:
    # Only the folder this run made: by name only while it is still that folder.
    if folder_fd >= 0 and not _same_folder(private, folder_fd):
        return
    with suppress(OSError):
        os.rmdir(private)


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


def _release_quietly(exc: BaseException) -> None:
    """Let go now of what the failed writer left open, without a word.

    A library that failed half-way (xlsxwriter's zip file on a full disk) leaves its open file
    in the frames of the traceback. Left there, it is closed when the interpreter exits, fails
    again, and Python prints "Exception ignored in …" with a traceback under the one-line
    message. Clearing the finished frames closes it here, where its second failure is dropped.
    """
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        current: BaseException | None = exc
        seen: set[int] = set()
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            traceback.clear_frames(current.__traceback__)
            current = current.__cause__ or current.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


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
        raise NotADirectoryError(f"{path} 已存在，但不是文件夹（not a directory）")
    return path


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
