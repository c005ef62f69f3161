"""A path with spaces typed without quotes: the shell splits it, and the hint says how to quote.

``certcheck verify 我的 花名册.xlsx`` reaches certcheck as two arguments, ``我的`` and
``花名册.xlsx``: click then says "extra argument", or an option's value is a file that does not
exist. Neither tells a person that the quotes are missing. The hint gives the path quoted as it
is typed (double quotes work in bash, zsh, cmd.exe and PowerShell alike).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import click


def quoted(path: str) -> str:
    return f'"{path}"'


def found_hint(path: str) -> str:
    """``；“我的 花名册.xlsx” 是一个文件：…`` for a split path that names a file or a folder."""
    what = "文件夹" if os.path.isdir(path) else "文件"
    return f"；“{path}” 是一个{what}：路径中有空格时要加引号，写成 {quoted(path)}"


class MissingPath(click.BadParameter):
    """A path argument that names nothing; ``path`` is the argument as given."""

    def __init__(self, message: str, *, path: str, param_hint: str) -> None:
        super().__init__(message, param_hint=param_hint)
        self.path = path


def joined_path(parts: Sequence[str]) -> str | None:
    """The shortest run of ``parts`` (from the first, at least two) that, joined with spaces,
    names an existing file or folder."""
    for end in range(2, len(parts) + 1):
        if any(p.startswith("-") for p in parts[1:end]):
            return None
        candidate = " ".join(parts[:end])
        if os.path.exists(candidate):
            return candidate
    return None


def space_hint(argv: Sequence[str], exc: click.UsageError) -> str:
    """``；路径中有空格时要加引号：…`` when ``exc`` looks like an unquoted path split by the
    shell, else ``""``."""
    if isinstance(exc, MissingPath):
        return _output_split_hint(argv, exc.path)
    if isinstance(exc, click.BadParameter):
        return _missing_value_hint(argv, exc)
    extras = _extra_arguments(exc)
    if not extras:
        return ""
    at = _last_index(argv, extras[0])
    if at is None or at == 0 or argv[at - 1].startswith("-"):
        return ""
    run = [argv[at - 1]]
    for token in argv[at:]:
        if token.startswith("-"):
            break
        run.append(token)
    found = joined_path(run)
    if found is not None:
        return found_hint(found)
    whole = " ".join(run)
    if at >= 2 and argv[at - 2].startswith("-") and _path_like(whole):
        # The value of an option (-o 我的 输出.xlsx): a file that is yet to be written.
        return f"；若 “{whole}” 是一个路径，空格处不能断开，要加引号：{quoted(whole)}"
    return ""


def _output_split_hint(argv: Sequence[str], path: str) -> str:
    """A path argument that names nothing, right after an option's value: the rest of the
    option's path (``summary … -o 新的 汇总.xlsx``, where 汇总.xlsx is taken for a register)."""
    at = _last_index(argv, path)
    if at is None or at < 2 or not argv[at - 2].startswith("-"):
        return ""
    whole = f"{argv[at - 1]} {path}"
    if not _path_like(whole):
        return ""
    return f"；若 “{whole}” 是 {argv[at - 2]} 的路径，空格处不能断开，要加引号：{quoted(whole)}"


def _path_like(text: str) -> bool:
    """Whether a value reads as a file's path (an extension, a folder), not a name or a word."""
    return bool(os.path.splitext(text)[1]) or "/" in text or os.sep in text


def _missing_value_hint(argv: Sequence[str], exc: click.BadParameter) -> str:
    """An option whose file does not exist (``--enterprises 辖区 企业.csv``)."""
    param = exc.param
    if param is None or param.param_type_name != "option" or not isinstance(
        param.type, click.Path
    ):
        return ""
    for index, token in enumerate(argv[:-1]):
        if token in param.opts:
            found = joined_path(list(argv[index + 1:]))
            if found is not None:
                return found_hint(found)
    return ""


_EXTRA = re.compile(r"^Got unexpected extra arguments? \((.*)\)$")


def _extra_arguments(exc: click.UsageError) -> list[str]:
    match = _EXTRA.match(exc.message)
    return match.group(1).split(" ") if match else []


def _last_index(argv: Sequence[str], token: str) -> int | None:
    for index in range(len(argv) - 1, -1, -1):
        if argv[index] == token:
            return index
    return None
