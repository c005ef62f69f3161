"""``certcheck lookup`` of one person in a 1,000,000-record CSV registry (about 140 MB): its
time and peak memory (summed RSS), against the csv module reading the file and keeping the
rows of that ID. Target (issue 19): under 50 MiB, whatever the file's size.

Run: .venv/bin/python bench/bench_lookup_registry.py [RECORDS]
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402

from data import generate  # noqa: E402

RECORDS = 1_000_000
TARGET_MIB = 50
AS_OF = "2026-11-29"


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else RECORDS
    _, registry = generate(HERE / "out", records, roster=False)
    with registry.open(encoding="utf-8-sig", newline="") as fh:
        last = deque(csv.reader(fh), maxlen=1)[0]
    name, id_number = last[0], last[1]
    ours = measure.run([sys.executable, "-m", "certcheck", "lookup", "--id", id_number,
                        "--name", name, "--source", f"registry:{registry}", "--as-of", AS_OF])
    floor = measure.run([sys.executable, str(HERE / "floor_lookup.py"), str(registry),
                         id_number])
    size = registry.stat().st_size / 1e6
    print(f"lookup of one person, {records:,}-record registry ({size:.0f} MB): certcheck "
          f"{ours.seconds:.2f} s, {ours.rss_sum:.0f} MiB (exit {ours.returncode}); floor (csv "
          f"module) {floor.seconds:.2f} s, {floor.rss_sum:.0f} MiB; target <= {TARGET_MIB} MiB: "
          f"{'met' if ours.rss_sum <= TARGET_MIB else 'MISSED'}")


if __name__ == "__main__":
    main()
