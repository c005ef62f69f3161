"""The year-ahead run of .ci/run really runs a year ahead.

.ci/run runs the suite a second time under libfaketime with the clock a year ahead, and sets
``CERTCHECK_TEST_FAKE_TODAY`` to the day the faked clock must read (computed from the real
clock before faking it). A faketime that silently did nothing (a missing library, a stripped
``LD_PRELOAD``) would make that run prove nothing; this test makes it fail instead. Outside
that run it is skipped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

FAKE_TODAY = os.environ.get("CERTCHECK_TEST_FAKE_TODAY")

pytestmark = pytest.mark.skipif(
    not FAKE_TODAY, reason="only in the run with a faked clock (CERTCHECK_TEST_FAKE_TODAY)"
)


def _near_the_fake_day(day: date) -> bool:
    # A day either side: the local zone's daylight saving, or a run across midnight.
    assert FAKE_TODAY is not None
    return abs((day - date.fromisoformat(FAKE_TODAY)).days) <= 1


def test_the_test_process_reads_the_faked_day() -> None:
    assert _near_the_fake_day(date.today()), date.today()
    assert _near_the_fake_day(datetime.now(UTC).date()), datetime.now(UTC)


def test_sqlite_reads_the_faked_day() -> None:
    (today,) = sqlite3.connect(":memory:").execute("SELECT date('now')").fetchone()
    assert _near_the_fake_day(date.fromisoformat(today)), today


def test_programs_the_tests_start_read_the_faked_day() -> None:
    # The CLI runs as a Python subprocess; tmux and LibreOffice are programs of their own.
    python = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.date.today())"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    assert _near_the_fake_day(date.fromisoformat(python)), python
    date_program = shutil.which("date")
    assert date_program is not None
    shell = subprocess.run(
        [date_program, "+%F"], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert _near_the_fake_day(date.fromisoformat(shell)), shell
