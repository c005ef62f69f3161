"""Which writer an output path gets, chosen by its extension."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from multiprocessing.connection import Connection
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


#: Below this many workers a second process costs more than it saves.
PARALLEL_MIN_WORKERS = 5_000


class OutputError(Exception):
    """An output could not be written; the message names the file and the reason."""


def _write_in_child(reg: Register, path: Path, fmt: OutputFormat, report: Connection) -> None:
    try:
        write(reg, path, fmt)
        report.send(None)
    except WriteError as exc:  # already names the file and says why, in the user's words
        report.send(str(exc))
    except BaseException as exc:  # everything goes back to the parent as a message
        report.send(f"cannot write {path}: {type(exc).__name__}: {exc}")


def write_all(reg: Register, targets: Sequence[tuple[str | Path, OutputFormat]]) -> None:
    """Write every target; a large workbook is written in a forked process meanwhile.

    The xlsx register is most of a large run's writing time and xlsxwriter holds the GIL, so
    on a machine with two cores the other outputs are written alongside it. Each file is still
    written atomically; a failure in either process is raised here as OutputError.
    """
    with paused():
        _write_all(reg, targets)


def _write_all(reg: Register, targets: Sequence[tuple[str | Path, OutputFormat]]) -> None:
    files = [(path, fmt) for path, fmt in targets if str(path) != STDOUT]
    for path, fmt in targets:
        if str(path) == STDOUT:
            write(reg, path, fmt)
    workbook = next(((p, f) for p, f in files if f is OutputFormat.XLSX), None)
    parallel = (
        workbook is not None
        and len(files) > 1
        and len(reg.findings) >= PARALLEL_MIN_WORKERS
        # fork is only safe to rely on under Linux (macOS frameworks break in a forked child).
        and sys.platform == "linux"
        and (os.cpu_count() or 1) > 1
    )
    if not parallel or workbook is None:
        for path, fmt in files:
            write(reg, path, fmt)
        return
    # fork shares the register with the child as it is, without pickling 100,000 findings.
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_write_in_child, args=(reg, Path(workbook[0]), workbook[1], send), daemon=True
    )
    child.start()
    try:
        for path, fmt in files:
            if (path, fmt) != workbook:
                write(reg, path, fmt)
    finally:
        child.join()
    problem = (receive.recv() if receive.poll()
               else f"无法写入 {workbook[0]}：写入进程异常退出（exit {child.exitcode}）")
    if problem is not None:
        raise OutputError(problem)
