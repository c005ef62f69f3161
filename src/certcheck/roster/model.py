"""What the roster reader hands on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from certcheck.models import InputIssue, Worker


class RosterError(Exception):
    """The roster cannot be used (missing, not a spreadsheet, unsafe, no roster in it).

    The message is one line for the user, saying what is wrong and what to do.
    """


@dataclass(frozen=True, slots=True)
class Roster:
    file: Path
    sheet: str | None
    workers: tuple[Worker, ...]
    issues: tuple[InputIssue, ...] = ()
    #: Which roster field each header was understood as: field name → header text seen.
    columns: dict[str, str] = field(default_factory=dict)
    #: A title line above the header (…公司特种作业人员花名册), if there was one.
    title: str | None = None
