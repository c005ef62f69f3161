"""Every file of the hostile/odd spreadsheet corpus meets the reader with a Roster or a
RosterError: never a traceback, never a killed process.

One child process reads the files one after another and reports each on its own line; if a
file kills the child, the file is recorded as a crash and a new child goes on from the next
file. That keeps the whole corpus at a few seconds instead of a process start per file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets"
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv"}

_CHILD = r"""
import json, sys, traceback
from pathlib import Path
from certcheck.roster import RosterError, read_roster
for name in sys.argv[1:]:
    print(json.dumps({"start": name}), flush=True)
    try:
        roster = read_roster(Path(name))
        result = {"file": name, "read": len(roster.workers)}
    except RosterError as exc:
        result = {"file": name, "refused": str(exc)}
    except BaseException as exc:
        result = {"file": name, "escaped": "".join(traceback.format_exception(exc))[-800:]}
    print(json.dumps(result), flush=True)
"""


def _run_all(files: list[Path]) -> tuple[dict[str, dict[str, object]], list[str]]:
    results: dict[str, dict[str, object]] = {}
    crashed: list[str] = []
    pending = [str(f) for f in files]
    while pending:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, *pending],
            capture_output=True,
            text=True,
            timeout=300,
        )
        started: str | None = None
        for line in done.stdout.splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results[str(record["file"])] = record
                started = None
        if done.returncode == 0:
            break
        assert started is not None, done.stderr[-800:]
        crashed.append(f"{Path(started).name}: exit {done.returncode} {done.stderr[-300:]}")
        pending = pending[pending.index(started) + 1 :]
    return results, crashed


@pytest.mark.skipif(not CORPUS.is_dir(), reason="spreadsheet corpus not present beside the repo")
def test_every_corpus_file_gives_a_roster_or_a_clear_refusal() -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in SPREADSHEET_SUFFIXES)
    assert len(files) >= 100
    results, crashed = _run_all(files)

    assert crashed == []
    escaped = {Path(k).name: v["escaped"] for k, v in results.items() if "escaped" in v}
    assert escaped == {}
    assert len(results) == len(files)
    refusals = [str(v["refused"]) for v in results.values() if "refused" in v]
    for message in refusals:
        assert "\n" not in message and len(message) < 400
    read = sum(1 for v in results.values() if "read" in v)
    print(f"\ncorpus: {len(files)} files, {read} read as rosters, {len(refusals)} refused")
