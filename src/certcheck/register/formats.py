"""Which writer an output path gets, chosen by its extension."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from certcheck.register.json_ import dumps
from certcheck.register.model import Register

__all__ = ["STDOUT", "OutputFormat", "UnsupportedFormat", "dumps", "write"]

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
        supported = ", ".join(f.suffix for f in cls)
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UnsupportedFormat(
            f"cannot write {path}: {shown} is not a register format; use one of {supported} "
            f"(or '-' for JSON on standard output)"
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
