"""Registers with people due, and ``certcheck due --notify`` runs against the robot stand-in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.models import Declared, Finding, Reason, Status, Worker
from certcheck.register.formats import write
from certcheck.register.model import Register
from factories import nth_id, record
from test_register import build_register

AS_OF = date(2026, 12, 1)
ENTERPRISE = "重庆某建设有限公司"  # what build_register's meta names


@dataclass(frozen=True)
class Person:
    row: int
    name: str
    review_in: int  # days from AS_OF to the review date
    until_in: int = 2000  # days to the end of validity (far: only the review is due)

    @property
    def id_number(self) -> str:
        return nth_id(self.row)

    @property
    def masked(self) -> str:
        """The masked ID as a message shows it (full-width asterisks: Markdown stays text)."""
        return self.id_number[:6] + "＊" * 8 + self.id_number[-4:]


def people(n: int, *, first_row: int = 2) -> list[Person]:
    """``n`` people, reviews spread from 20 days past to 80 days ahead."""
    return [Person(row, f"工人{row:03d}", review_in=-20 + (row * 7) % 100)
            for row in range(first_row, first_row + n)]


def _finding(p: Person) -> Finding:
    rec = record(name=p.name, id_number=p.id_number,
                 valid_until=AS_OF + timedelta(days=p.until_in),
                 review_due=AS_OF + timedelta(days=p.review_in))
    worker = Worker(row=p.row, name=p.name, id_number=p.id_number,
                    declared=Declared(item="低压电工作业"))
    status = Status.EXPIRED if p.review_in < 0 else Status.VALID
    reason = Reason.REVIEW_OVERDUE if p.review_in < 0 else Reason.OK
    return Finding(worker, status, reason, (), (rec,), decisive=rec)


def register(path: Path, persons: list[Person]) -> Path:
    """A register (JSON) of ``persons``, as verify writes it."""
    base = build_register()
    write(Register(meta=base.meta, findings=tuple(_finding(p) for p in persons)), path)
    return path


def run_due(reg: Path, cache: Path, *args: str, as_of: date = AS_OF,
            env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"COLUMNS": "160", "CERTCHECK_CACHE_DIR": str(cache), **(env or {})}
                     ).invoke(cli, ["due", str(reg), "--within", "90", "--as-of",
                                    as_of.isoformat(), *args], catch_exceptions=False)


def names_in(texts: list[str]) -> list[str]:
    """Every person named in the entries of ``texts``, in order, as many times as named."""
    return [m for t in texts for m in re.findall(r"^- (工人\d{3})　", t, re.M)]
