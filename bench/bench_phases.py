"""Where a verify run's time goes, phase by phase, in one process (no fork).

Run: python bench/bench_phases.py [ROWS] [--no-gc]   (data from bench/data.py, as bench/run.py uses)
Prints each phase's seconds and the process's peak RSS; for finding what to work on, not a
target figure.
"""

from __future__ import annotations

import gc
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from certcheck.check import EngineSettings  # noqa: E402
from certcheck.pipeline import RunSettings, run_verify  # noqa: E402
from certcheck.register.json_ import write_json  # noqa: E402
from certcheck.register.xlsx import write_xlsx  # noqa: E402
from certcheck.roster import read_roster  # noqa: E402
from certcheck.sources.registry import RegistrySource  # noqa: E402
from data import generate  # noqa: E402


def _rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if "--no-gc" in sys.argv:
        gc.disable()
    roster_path, registry_path = generate(HERE / "out", size)
    print(f"{'imports':<22} RSS {_rss():4.0f} MiB")
    marks: list[tuple[str, float, float, float]] = []
    began = last = time.perf_counter()

    def mark(label: str) -> None:
        nonlocal last
        now = time.perf_counter()
        marks.append((label, now - last, _rss(),
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        last = now

    source = RegistrySource(registry_path)
    mark("open registry")
    roster = read_roster(roster_path, today=date(2026, 11, 29))
    mark("read roster")
    register = run_verify(roster, source, RunSettings(as_of=date(2026, 11, 29)),
                          EngineSettings(rate=None))
    mark("lookups + decisions")
    with tempfile.TemporaryDirectory() as tmp:
        write_json(register, Path(tmp) / "r.json")
        mark("write json")
        write_xlsx(register, Path(tmp) / "r.xlsx")
        mark("write xlsx")
    total = time.perf_counter() - began
    for label, seconds, rss, peak in marks:
        print(f"{label:<22} {seconds:6.2f} s  {seconds / size * 1e6:6.1f} µs/worker  "
              f"RSS after {rss:4.0f} MiB, peak so far {peak:4.0f} MiB")
    print(f"{'total':<22} {total:6.2f} s")


if __name__ == "__main__":
    main()
