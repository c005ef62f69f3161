"""Whether the files and folders a command will write can be written, checked before any work.

Every command that writes (``verify -o``, ``summary -o``, ``due -o``, ``--record DIR``) asks
here first, so that a typo in a folder name costs nothing: not a roster read for minutes, not a
captcha typed, not an answer waited for. The messages name what is wrong — the folder that does
not exist, the folder that cannot be written, or the file itself when it is read-only or held
open by another program — since "cannot write" alone sends people to fix the wrong thing.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from certcheck.atomic import READ_ONLY_FILE
from certcheck.cli.app import UserError
from certcheck.cli.exit_codes import ExitCode
from certcheck.tablefile.guards import resolved

#: The errors opening an existing file for writing gives when it is read-only or locked
#: (Windows reports a file another program holds open as EACCES too).
_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY, errno.EROFS})


def check_output(path: Path, option: str = "-o") -> None:
    """Refuse an output file that cannot be written, before any work: exit 2 for a folder that
    does not exist or a path that is a folder, exit 4 for a folder or file that cannot be
    written (the file is left as it is)."""
    folder = resolved(path).parent
    if not folder.is_dir():
        raise UserError(f"{option} {path}：文件夹 {folder} 不存在（no such folder）",
                        ExitCode.USAGE)
    if path.is_dir():
        raise UserError(f"{option} {path} 是文件夹，请给出文件名（a folder）", ExitCode.USAGE)
    if not os.access(folder, os.W_OK):
        raise UserError(f"无法写入 {path}：文件夹 {folder} 是只读的或没有写入权限；"
                        f"请换一个文件夹（{option}）", ExitCode.BAD_INPUT)
    if file_refuses_writing(path):
        raise UserError(f"无法写入 {path}：{READ_ONLY_FILE}；原有文件未改动（read-only or locked）",
                        ExitCode.BAD_INPUT)


def file_refuses_writing(path: Path) -> bool:
    """Whether an existing regular file is read-only (its attribute or its permissions) or held
    open by a program that locks it.

    A writable folder lets a file be replaced on Linux and macOS even when the file itself is
    read-only, and not on Windows; a file someone made read-only (a signed, archived register)
    is not replaced on any system. Opening for writing without truncating changes nothing, not
    even the modification time.
    """
    try:
        info = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False  # a device or a pipe: opening it could block; the writer will say
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True  # read-only for everyone, whoever runs certcheck (root included)
    try:
        os.close(os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)))
    except OSError as exc:
        return exc.errno in _REFUSED
    return False


def check_folder_to_make(path: Path, option: str) -> None:
    """A folder certcheck writes into and makes when missing (``--record DIR``): refuse before
    any work a path where it cannot be made or written — exit 2 when part of the path is a
    file, exit 4 when the nearest existing folder cannot be written."""
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path} 是文件，不是文件夹（not a folder）", ExitCode.USAGE)
    existing = resolved(path)
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{option} {path}：路径中的 {existing} 是文件，不是文件夹"
                        "（not a folder）", ExitCode.USAGE)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}：文件夹 {existing} 是只读的或没有写入权限；"
                        "请换一个文件夹（read-only folder）", ExitCode.BAD_INPUT)
