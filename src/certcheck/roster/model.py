"""What the roster reader hands on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from certcheck.models import InputIssue, Worker
from certcheck.tablefile.errors import UnusableFile

# A roster that cannot be used is a table file that cannot be used: one error, so callers
# catch one thing whether the file safety layer or the roster semantics refused it.
RosterError = UnusableFile


@dataclass(frozen=True, slots=True)
class SkippedSheet:
    """A sheet of the workbook that was not read as a roster, and why (in Chinese)."""

    name: str
    why: str


@dataclass(frozen=True, slots=True)
class Roster:
    file: Path
    #: The sheets read as rosters, in workbook order; empty for a CSV or an HTML table.
    sheets: tuple[str, ...]
    workers: tuple[Worker, ...]
    issues: tuple[InputIssue, ...] = ()
    #: Which roster field each header was understood as: field name → header text seen.
    columns: dict[str, str] = field(default_factory=dict)
    #: A title line above the header (…公司特种作业人员花名册), if there was one.
    title: str | None = None
    #: Sheets of the workbook that were not read, with the reason.
    skipped: tuple[SkippedSheet, ...] = ()

    @property
    def sheet(self) -> str | None:
        """The first sheet read (registers of older versions named one sheet)."""
        return self.sheets[0] if self.sheets else None
