"""How long ``certcheck --help`` takes to start, against the floor of starting Python with click.

Run: python bench/bench_startup.py [--runs N]
Prints one line: the best wall time of ``python -m certcheck --help`` and of
``python -c "import click"`` (the floor: no command line can answer faster than its parser
loads), each the best of N runs taken alternately in the same session, and their ratio
against the target of 1.5x. Best-of rather than mean: on a shared machine every other figure
is another process's noise. Exits 1 when the ratio misses the target.

Both start with Python's bytecode caches on, as an installed certcheck does (pip compiles it):
a development shell with PYTHONDONTWRITEBYTECODE set would have every start compile
certcheck's own modules again while click's come compiled, which measures the shell, not the
program. ``--no-bytecode`` measures that case anyway.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

TARGET = 1.5
CERTCHECK = [sys.executable, "-m", "certcheck", "--help"]
FLOOR = [sys.executable, "-c", "import click"]


def wall(argv: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=env)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each (default 20)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="with PYTHONDONTWRITEBYTECODE=1 (every start compiles again)")
    options = parser.parse_args()
    env = dict(os.environ)
    if options.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    # Once each first, unmeasured: bytecode caches written, files in the page cache.
    wall(CERTCHECK, env)
    wall(FLOOR, env)
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(max(1, options.runs)):
        ours.append(wall(CERTCHECK, env))
        floor.append(wall(FLOOR, env))
    ratio = min(ours) / min(floor)
    verdict = "ok" if ratio <= TARGET else "missed"
    print(f"startup: certcheck --help {min(ours) * 1000:.0f} ms vs python -c \"import click\" "
          f"{min(floor) * 1000:.0f} ms (best of {len(ours)}, alternated"
          f"{', no bytecode cache' if options.no_bytecode else ''}): {ratio:.2f}x "
          f"(target <= {TARGET}x, {verdict})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
