"""Every benchmark figure, one line each, as a ratio to a floor measured in the same run.

    python bench/run.py            # 20k and 100k rosters, lookups, rate, captcha pipeline, summary
    python bench/run.py --quick    # 20k only (a minute or so)

Data is generated into bench/out/ (ignored by git) and reused while its size matches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from data import generate  # noqa: E402

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "elapsed = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(elapsed, rss, code)\n"
)


def _once(cmd: list[str]) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True,
                          check=True)
    elapsed, rss, code = done.stdout.split()
    if int(code) not in (0, 1, 3):
        raise SystemExit(f"{cmd[:4]} exited {code}")
    return float(elapsed), float(rss)


def measure_pair(ours: list[str], floor: list[str], repeat: int = 3) -> tuple[float, ...]:
    """Best wall time and peak RSS (MiB) of each command, runs alternated so that a busy
    moment of the machine does not fall on one side only."""
    best = [float("inf"), float("inf")]
    peak = [0.0, 0.0]
    for _ in range(repeat):
        for side, cmd in enumerate((floor, ours)):
            elapsed, rss = _once(cmd)
            best[side] = min(best[side], elapsed)
            peak[side] = max(peak[side], rss)
    return best[1], peak[1], best[0], peak[0]


def certcheck_cmd(roster: Path, registry: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "certcheck", "verify", str(roster), "--source",
            f"registry:{registry}", "--as-of", "2026-11-29", "--no-progress", "--no-cache",
            "--enterprise", "bench", "-o", str(out / "register.xlsx"), "-o",
            str(out / "register.json")]


def roster_run(size: int) -> None:
    roster, registry = generate(OUT, size)
    work = OUT / f"run-{size}"
    work.mkdir(exist_ok=True)
    ours, rss, floor, floor_rss = measure_pair(
        certcheck_cmd(roster, registry, work),
        [sys.executable, str(HERE / "floor.py"), str(roster), str(registry), str(work)],
    )
    print(f"roster run {size:>7,}: certcheck {ours:6.2f} s, floor {floor:6.2f} s, "
          f"ratio {ours / floor:.2f} (target <= 1.3); peak RSS {rss:.0f} MiB "
          f"(floor {floor_rss:.0f} MiB; target at 100k <= 500)")
    if size == 20_000:
        check_against_reference(roster, registry, work / "register.json")


def check_against_reference(roster: Path, registry: Path, register: Path) -> None:
    """The fast path's counts must equal a slow, obvious path's: openpyxl, one by one."""
    import openpyxl

    from certcheck.ids import is_valid_id, normalize_id
    from certcheck.models import Declared, IdProblem, Query, Worker
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
            declared=Declared(cert_number=cert or None, category=category, item=item),
        ))
    ids = Counter(w.id_number for w in workers)
    from datetime import date, datetime

    from certcheck.models import Answer

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the 20k roster run")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    for size in (20_000,) if args.quick else (20_000, 100_000):
        roster_run(size)
    if not args.quick:
        for script in ("bench_lookups.py", "bench_captcha.py", "bench_summary.py"):
            if (HERE / script).exists():
                subprocess.run([sys.executable, str(HERE / script)], check=True)
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
