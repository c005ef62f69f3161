"""The register sheet as a person reads it: a title and the run's facts, the header row, the
workers, then the signature lines. Tests find the header by its labels rather than by a row
number, and take the rows under it up to the first empty row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet


@dataclass(frozen=True)
class Table:
    #: The sheet row (1-based) of the header.
    header_row: int
    header: list[str]
    #: The worker rows, each a dict by header, in sheet order.
    rows: list[dict[str, Any]]

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    def column(self, header: str) -> int:
        """The sheet column (1-based) headed ``header``."""
        return self.header.index(header) + 1


def register_table(ws: Worksheet) -> Table:
    values = list(ws.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(values[:10]) if {"行号", "核验结果"} <= set(row))
    header = [str(v) if v is not None else "" for v in values[top]]
    rows = []
    for row in values[top + 1:]:
        if all(v in (None, "") for v in row):
            break
        rows.append(dict(zip(header, row, strict=True)))
    return Table(top + 1, header, rows)
