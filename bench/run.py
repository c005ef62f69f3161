"""Every benchmark figure, one line each, against a floor measured in the same run.

    python bench/run.py            # 20k and 100k rosters, lookup, the other bench scripts
    python bench/run.py --quick    # 20k only (a minute or so)
    python bench/run.py --full     # also 300k, for the cost per row at 300k vs 100k (~20 min)

Wall time and memory come from ``bench/measure.py``: memory is the peak of the *sum* of the
resident memory (VmRSS) of every process of a run (certcheck, a forked writer, an isolated
reader), sampled every 10 ms; the largest single process is shown beside it. Each figure is the
best of N runs, floor and certcheck alternated so that a busy moment falls on both; with
--full the 100k and 300k runs take turns as well, for the cost per row.

Data is generated into bench/out/ (ignored by git) and reused while its size matches.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import measure  # noqa: E402

from data import generate  # noqa: E402

AS_OF = "2026-11-29"
#: Targets of issue 13.
RATIO_TARGET = 1.2
MEMORY_TARGET_MIB = 400
PER_ROW_DRIFT = 0.05
LOOKUP_TARGET_S = 0.5


def measure_pair(ours: list[str], floor: list[str], repeat: int = 3
                 ) -> tuple[measure.Measured, measure.Measured]:
    """Best wall time and highest summed RSS of each command, runs alternated."""
    best: list[measure.Measured | None] = [None, None]
    for _ in range(repeat):
        for side, cmd in enumerate((floor, ours)):
            got = measure.run(cmd)
            if got.returncode not in (0, 1, 3):
                raise SystemExit(f"{cmd[:4]} exited {got.returncode}")
            was = best[side]
            best[side] = got if was is None else measure.Measured(
                min(was.seconds, got.seconds), max(was.rss_sum, got.rss_sum),
                max(was.rss_max, got.rss_max), got.returncode)
    assert best[0] is not None and best[1] is not None
    return best[1], best[0]


def certcheck_cmd(roster: Path, registry: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "certcheck", "verify", str(roster), "--source",
            f"registry:{registry}", "--as-of", AS_OF, "--no-progress", "--no-cache",
            "--enterprise", "bench", "-o", str(out / "register.xlsx"), "-o",
            str(out / "register.json")]


def roster_runs(sizes: list[int], repeat: int) -> dict[int, tuple[float, float]]:
    """The verify figures at ``sizes``; returns the seconds per row of certcheck and floor.

    Every round runs each size's floor and certcheck in turn, so that the sizes compared for
    the cost per row see the same moments of a shared machine.
    """
    commands = {}
    for size in sizes:
        roster, registry = generate(OUT, size)
        work = OUT / f"run-{size}"
        work.mkdir(exist_ok=True)
        commands[size] = (
            certcheck_cmd(roster, registry, work),
            [sys.executable, str(HERE / "floor.py"), str(roster), str(registry), str(work)],
        )
    best: dict[tuple[int, int], measure.Measured] = {}
    for _ in range(repeat):
        for size in sizes:
            for side in (1, 0):
                got = measure.run(commands[size][side])
                if got.returncode not in (0, 1, 3):
                    raise SystemExit(f"{commands[size][side][:4]} exited {got.returncode}")
                was = best.get((size, side))
                best[size, side] = got if was is None else measure.Measured(
                    min(was.seconds, got.seconds), max(was.rss_sum, got.rss_sum),
                    max(was.rss_max, got.rss_max), got.returncode)
    costs = {}
    for size in sizes:
        ours, floor = best[size, 0], best[size, 1]
        report(size, ours, floor)
        if size == 20_000:
            roster, registry = generate(OUT, size)
            check_against_reference(roster, registry, OUT / f"run-{size}" / "register.json")
        costs[size] = (ours.seconds / size, floor.seconds / size)
    return costs


def report(size: int, ours: measure.Measured, floor: measure.Measured) -> None:
    ratio = ours.seconds / floor.seconds
    judged = size == 100_000
    print(f"verify {size:>7,} workers (.xlsx + .json): certcheck {ours.seconds:6.2f} s, floor "
          f"{floor.seconds:6.2f} s, ratio {ratio:.2f}"
          + (f" (target <= {RATIO_TARGET}: {'met' if ratio <= RATIO_TARGET else 'MISSED'})"
             if judged else ""))
    print(f"  memory {size:>7,}: summed RSS {ours.rss_sum:4.0f} MiB (largest process "
          f"{ours.rss_max:4.0f} MiB); floor {floor.rss_sum:4.0f} MiB"
          + (f" (target <= {MEMORY_TARGET_MIB} MiB: "
             f"{'met' if ours.rss_sum <= MEMORY_TARGET_MIB else 'MISSED'})" if judged else ""),
          flush=True)


def check_against_reference(roster: Path, registry: Path, register: Path) -> None:
    """The fast path's counts must equal a slow, obvious path's: openpyxl, one by one."""
    import asyncio
    from datetime import date, datetime

    import openpyxl

    from certcheck.ids import is_valid_id, normalize_id
    from certcheck.models import Answer, CertNumber, Declared, IdProblem, Query, Worker
    from certcheck.rules import decide
    from certcheck.sources.registry import RegistrySource

    source = RegistrySource(registry)
    sheet = openpyxl.load_workbook(roster, read_only=True).worksheets[0]
    workers = []
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        _, name, id_text, category, item, cert, _until = row
        id_number = normalize_id(str(id_text))
        workers.append(Worker(
            row=number, name=str(name), id_number=id_number,
            id_problem=None if is_valid_id(id_number) else IdProblem.INVALID,
            declared=Declared(cert_number=CertNumber(str(cert), (str(cert),)) if cert else None,
                              category=category, item=item),
        ))
    ids = Counter(w.id_number for w in workers)
    counts: Counter[str] = Counter()
    for w in workers:
        outcome = asyncio.run(source.lookup(Query(w.id_number or "", w.name or "")))
        answer = Answer(outcome, "registry", datetime.now())
        finding = decide(w, answer, date(2026, 11, 29), duplicate=ids[w.id_number] > 1)
        counts[finding.status.value] += 1
    fast = json.loads(register.read_text("utf-8"))["verdict"]["counts"]
    same = all(fast[k] == counts.get(k, 0) for k in fast)
    print(f"reference check 20,000: counts {'match' if same else 'DIFFER'} "
          f"({dict(sorted(counts.items()))})")
    if not same:
        raise SystemExit(f"fast path counts {fast} differ from the reference {dict(counts)}")


def per_row_line(costs: dict[int, tuple[float, float]], full: bool) -> None:
    if 300_000 not in costs:
        print("cost per row at 300k vs 100k: not measured in this run; "
              "`python bench/run.py --full` measures it (about 20 minutes)")
        return
    ours = costs[300_000][0] / costs[100_000][0]
    floor = costs[300_000][1] / costs[100_000][1]
    print(f"cost per row: {costs[100_000][0] * 1e6:.1f} µs at 100k, "
          f"{costs[300_000][0] * 1e6:.1f} µs at 300k, 300k/100k {ours:.3f} (floor's "
          f"{floor:.3f}; target <= {1 + PER_ROW_DRIFT:.2f}: "
          f"{'met' if ours <= 1 + PER_ROW_DRIFT else 'MISSED'})")


def lookup_run(repeat: int = 5) -> None:
    """``certcheck lookup`` of one person in the 100k registry, against the csv module."""
    _, registry = generate(OUT, 100_000)
    with registry.open(encoding="utf-8-sig", newline="") as fh:
        last = list(csv.reader(fh))[-1]
    name, id_number = last[0], last[1]
    ours, floor = measure_pair(
        [sys.executable, "-m", "certcheck", "lookup", "--id", id_number, "--name", name,
         "--source", f"registry:{registry}", "--as-of", AS_OF],
        [sys.executable, str(HERE / "floor_lookup.py"), str(registry), id_number],
        repeat,
    )
    print(f"lookup of one person, 100,000-record registry: certcheck {ours.seconds:.2f} s, "
          f"{ours.rss_sum:.0f} MiB; floor (csv module) {floor.seconds:.2f} s, "
          f"{floor.rss_sum:.0f} MiB; ratio {ours.seconds / floor.seconds:.2f} (target <= "
          f"{LOOKUP_TARGET_S} s: {'met' if ours.seconds <= LOOKUP_TARGET_S else 'MISSED'})")


def other_scripts() -> None:
    for script in ("bench_startup.py", "bench_summary.py", "bench_lookups.py",
                   "bench_captcha.py", "bench_refusals.py"):
        if (HERE / script).exists():
            print(f"-- {script}", flush=True)
            subprocess.run([sys.executable, str(HERE / script)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the 20k roster run")
    parser.add_argument("--full", action="store_true", help="also the 300k roster run")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    costs = roster_runs([20_000], 3)
    if not args.quick:
        costs.update(roster_runs([100_000, 300_000] if args.full else [100_000], 3))
    if not args.quick:
        per_row_line(costs, args.full)
        lookup_run()
        other_scripts()
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
