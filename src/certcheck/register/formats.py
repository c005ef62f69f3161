"""Which writer an output path gets, chosen by its extension."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from certcheck.atomic import WriteError
from certcheck.gcpause import paused
from certcheck.register.json_ import dumps
from certcheck.register.model import Register

__all__ = [
    "STDOUT",
    "OutputError",
    "OutputFormat",
    "UnsupportedFormat",
    "dumps",
    "write",
    "write_all",
]

#: The output path that means "JSON on standard output".
STDOUT = "-"


class UnsupportedFormat(ValueError):
    """The output path's extension is not one certcheck writes."""


class OutputFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"

    @property
    def suffix(self) -> str:
        return "." + self.value

    @classmethod
    def from_path(cls, path: str | Path) -> OutputFormat:
        """The format for ``path`` by its extension (any case); ``-`` is JSON on stdout."""
        if str(path) == STDOUT:
            return cls.JSON
        suffix = Path(path).suffix.lower()
        for fmt in cls:
            if fmt.suffix == suffix:
                return fmt
        supported = "、".join(f.suffix for f in cls)
        shown = f"“{suffix}”" if suffix else "没有扩展名"
        raise UnsupportedFormat(
            f"无法写入 {path}：{shown} 不是登记表格式，请用 {supported}"
            f"（或用 - 把 JSON 输出到标准输出）（not a register format）"
        )


def _writers() -> dict[OutputFormat, Callable[[Register, Path], None]]:
    # Imported here so that a JSON-only run never pays for importing xlsxwriter.
    from certcheck.register.csv_ import write_csv
    from certcheck.register.json_ import write_json
    from certcheck.register.xlsx import write_xlsx

    return {
        OutputFormat.XLSX: write_xlsx,
        OutputFormat.CSV: write_csv,
        OutputFormat.JSON: write_json,
    }


def write(
    reg: Register,
    path: str | Path,
    fmt: OutputFormat | None = None,
    *,
    stdout: TextIO | None = None,
) -> None:
    """Write ``reg`` to ``path`` in ``fmt`` (default: by extension); ``-`` prints JSON."""
    if str(path) == STDOUT:
        (stdout or sys.stdout).write(dumps(reg) + "\n")
        return
    chosen = fmt if fmt is not None else OutputFormat.from_path(path)
    _writers()[chosen](reg, Path(path))


class OutputError(Exception):
    """An output could not be written; the message names the file and the reason."""


def write_all(
    reg: Register,
    targets: Sequence[tuple[str | Path, OutputFormat]],
    *,
    stdout_masked: bool = False,
) -> None:
    """Write every target, one after the other; ``stdout_masked``: the JSON of ``-o -`` with ID
    numbers masked (a terminal, where they never appear in full), files as they are.

    When several files are asked for, one that cannot be written does not stop the others: the
    first failure is raised as OutputError once they are all done. Each file is written
    atomically. (The workbook used to be written by a forked process meanwhile; with its rows
    written as XML text it no longer saved enough time to pay for a second copy of the
    register in memory: see README, "Performance".)
    """
    with paused():
        _write_all(reg, targets, stdout_masked)


def _write_all(reg: Register, targets: Sequence[tuple[str | Path, OutputFormat]],
               stdout_masked: bool) -> None:
    files = [(path, fmt) for path, fmt in targets if str(path) != STDOUT]
    for path, fmt in targets:
        if str(path) == STDOUT:
            write(replace(reg, mask_ids=True) if stdout_masked else reg, path, fmt)
    if len(files) == 1:
        write(reg, *files[0])
        return
    problem = None
    for path, fmt in files:
        try:
            write(reg, path, fmt)
        except WriteError as exc:  # already names the file and says why, in the user's words
            problem = problem or str(exc)
    if problem is not None:
        raise OutputError(problem)
