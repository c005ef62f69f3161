"""How long ``certcheck summary`` takes, and how much memory, against python-calamine alone.

Run: python bench/bench_summary.py [--quick]

Two lines:

- 3,000 registers of 20 to 100 workers, as the command ``python -m certcheck summary … -o
  table.xlsx``: best wall time and peak resident memory (summed over the process and any child
  it starts), against the floor of a ``python`` process that opens the same 3,000 files with
  python-calamine and loads each worker sheet, and nothing else. Targets: at most 2x the floor,
  at most 100 MiB. The zip safety scan (``tablefile.guards.check_zip``) that every workbook
  gets before calamine opens it is timed alone as well, since it is most of the time above
  the floor.
- 300 registers of 100 workers, in process and as a command, against the same kind of floor
  (in process); target at most 5 s in process. ``--quick`` runs only this one.

The registers are generated once into ``bench/out/`` and reused. Floor and command runs
alternate and the best of three is kept, so a busy moment of the machine does not fall on
one side only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from python_calamine import CalamineWorkbook

from certcheck.ids import check_char
from certcheck.models import CertNumber, CertRecord, Declared, Finding, Reason, Status, Worker
from certcheck.register.formats import write
from certcheck.register.model import Kind, Register, RegisterMeta
from certcheck.register.xlsx import MAIN_SHEET
from certcheck.summary import FormHeader, load_registers, summarize, write_form

OUT = Path(__file__).resolve().parent / "out"
TARGET_SECONDS = 5.0
TARGET_RATIO = 2.0
TARGET_MIB = 100.0
REPEAT = 3
CST = timezone(timedelta(hours=8))
# Roughly what a campaign finds: most workers valid, a few of each violation.
_CYCLE = (Status.VALID,) * 16 + (Status.EXPIRED, Status.FAKE, Status.UNCERTIFIED, Status.VALID)
#: Bumped whenever the generated registers change, so a stale bench/out/ set is rebuilt.
GENERATOR = "3"

FLOOR = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "for path in sys.argv[2:]:\n"
    "    CalamineWorkbook.from_path(path).get_sheet_by_name(sys.argv[1]).to_python()\n"
)
# Not a floor: the file-safety scan every workbook gets before calamine may see it, timed alone
# so the line shows how much of the time above the floor is that scan.
GUARD = (
    "import sys\n"
    "from pathlib import Path\n"
    "from certcheck.tablefile.guards import check_zip\n"
    "from certcheck.tablefile.sniff import Kind\n"
    "for path in sys.argv[1:]:\n"
    "    check_zip(Path(path), Kind.OOXML)\n"
)


def _id(i: int) -> str:
    # One person per worker, as in a real district: the ID repeated every 15,000 workers (as
    # before generator 3) put every person in a dozen enterprises, so the bench measured a
    # cross-enterprise sheet of 180,000 leads rather than a summary.
    first17 = f"500381{date(1960, 1, 1) + timedelta(days=i // 1000 % 15000):%Y%m%d}{i % 1000:03d}"
    return first17 + check_char(first17)


def _finding(i: int) -> Finding:
    status = _CYCLE[i % len(_CYCLE)]
    id_number = _id(i)
    worker = Worker(row=i % 100 + 2, name=f"工人{i}", id_number=id_number,
                    declared=Declared(cert_number=CertNumber("T" + id_number, ("T" + id_number,)),
                                      item="低压电工作业"))
    if status in (Status.FAKE, Status.UNCERTIFIED):
        reason = Reason.NOT_FOUND if status is Status.FAKE else Reason.NO_CERTIFICATE
        return Finding(worker, status, reason, (), ())
    until = date(2022, 1, 1) if status is Status.EXPIRED else date(2028, 1, 1)
    rec = CertRecord(
        name=f"工人{i}", id_number=id_number, cert_number="T" + id_number, category="电工作业",
        item="低压电工作业", first_issued=date(2016, 1, 1), valid_from=date(2016, 1, 1),
        valid_until=until, review_due=date(2025, 1, 1), reviewed=date(2024, 12, 1),
        issuer="重庆市应急管理局",
    )
    reason = Reason.VALIDITY_ENDED if status is Status.EXPIRED else Reason.OK
    return Finding(worker, status, reason, (), (rec,), decisive=rec)


def varied_size(n: int) -> int:
    """20 to 100 workers, spread evenly: the enterprises of a district are mostly small."""
    return 20 + (n * 37) % 81


def make_registers(folder: Path, count: int, workers: int | Callable[[int], int]) -> list[Path]:
    paths = []
    first = 0
    for n in range(count):
        size = workers(n) if callable(workers) else workers
        kind = Kind.INSPECTION if n % 5 == 4 else Kind.SELF_CHECK
        meta = RegisterMeta(
            version="bench", as_of=date(2023, 8, 25), source="registry",
            roster_file=f"roster{n}.xlsx", sheets=("花名册",),
            enterprise=f"重庆江津第{n}号有限公司",
            kind=kind, generated_at=datetime(2023, 8, 25, 9, tzinfo=CST) + timedelta(seconds=n),
        )
        reg = Register(meta=meta, findings=tuple(_finding(first + i) for i in range(size)))
        first += size
        path = folder / f"r{n:04d}.register.xlsx"
        write(reg, path)
        paths.append(path)
    return paths


def cached_registers(name: str, count: int, workers: int | Callable[[int], int]) -> list[Path]:
    """The registers in ``bench/out/NAME``, generated the first time (or when stale)."""
    folder = OUT / name
    stamp = folder / "GENERATOR"
    if stamp.exists() and stamp.read_text() == GENERATOR:
        return sorted(folder.glob("*.register.xlsx"))
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    building = Path(tempfile.mkdtemp(prefix=f"{name}.", dir=OUT))
    paths = make_registers(building, count, workers)
    (building / "GENERATOR").write_text(GENERATOR)
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)
    print(f"(generated {len(paths)} registers into {folder.relative_to(OUT.parent)} in "
          f"{time.perf_counter() - started:.0f} s)", flush=True)
    return sorted(folder.glob("*.register.xlsx"))


# --- measuring a command ------------------------------------------------------------------

# Run in a small Python process of its own: the kernel's peak RSS of a child counts the memory
# of the process it was forked from, so a child forked from this one (certcheck imported)
# would start at this one's size.
MEASURE = """
import os, subprocess, sys, tempfile, time

def tree(pid):
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    pending.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return found

def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

# A file, not a pipe: nobody reads a pipe while the command runs, and a full one would stall it.
with tempfile.TemporaryFile() as errors:
    start = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=errors)
    peak = 0
    while True:
        done, status, usage = os.wait4(process.pid, os.WNOHANG)
        if done:
            break
        peak = max(peak, sum(rss(pid) for pid in tree(process.pid)))
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    process.returncode = code = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    sys.stderr.write(errors.read().decode(errors="replace")[-2000:] if code else "")
print(elapsed, max(peak, usage.ru_maxrss * 1024), usage.ru_utime + usage.ru_stime, code)
"""


@dataclass(frozen=True, slots=True)
class Measured:
    wall: float
    #: Peak RSS in MiB, summed over the process tree.
    peak: float
    #: User + system CPU seconds: less disturbed than ``wall`` by others using the machine.
    cpu: float


def run_measured(command: list[str]) -> Measured:
    """Wall time, peak RSS (summed over the process tree) and CPU time of a command.

    The tree is sampled every 10 ms; the kernel's own peak of the process (which covers the
    children it waited for) is taken too, since a sample can miss a short peak.
    """
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True,
                          text=True, check=True)
    elapsed, peak, cpu, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{command[:4]} exited {code}: {done.stderr}")
    return Measured(float(elapsed), int(peak) / 2**20, float(cpu))


def best_of(commands: list[list[str]], repeat: int = REPEAT) -> list[Measured]:
    """Each command's best wall and CPU time and highest peak over ``repeat`` rounds; the
    commands alternate so that a busy moment of the machine does not fall on one only."""
    runs: list[list[Measured]] = [[] for _ in commands]
    for _ in range(repeat):
        for side, command in enumerate(commands):
            runs[side].append(run_measured(command))
    return [
        Measured(min(m.wall for m in r), max(m.peak for m in r), min(m.cpu for m in r))
        for r in runs
    ]


def _certcheck() -> list[str]:
    return [sys.executable, "-m", "certcheck"]


def large_run() -> None:
    paths = [str(p) for p in cached_registers("summary-3000", 3000, varied_size)]
    with tempfile.TemporaryDirectory() as tmp:
        ours_cmd = [*_certcheck(), "summary", *paths, "-o", str(Path(tmp) / "table.xlsx")]
        floor_cmd = [sys.executable, "-c", FLOOR, MAIN_SHEET, *paths]
        guard_cmd = [sys.executable, "-c", GUARD, *paths]
        floor, ours, guard = best_of([floor_cmd, ours_cmd, guard_cmd])
    ratio = ours.wall / floor.wall
    time_ok = "OK" if ratio <= TARGET_RATIO else "MISSED"
    memory_ok = "OK" if ours.peak <= TARGET_MIB else "MISSED"
    print(
        f"summary of {len(paths):,} registers x 20-100 workers, as a command: "
        f"{ours.wall:.2f} s, calamine floor {floor.wall:.2f} s, ratio {ratio:.2f} "
        f"(target <= {TARGET_RATIO:.0f}: {time_ok}; CPU {ours.cpu:.2f} s against "
        f"{floor.cpu:.2f} s, {ours.cpu / floor.cpu:.2f}; the zip safety scan alone "
        f"{guard.wall:.2f} s); peak RSS {ours.peak:.0f} MiB (floor {floor.peak:.0f} MiB; "
        f"target <= {TARGET_MIB:.0f}: {memory_ok})",
        flush=True,
    )


# --- 300 registers, in process ------------------------------------------------------------


def floor_in_process(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name(MAIN_SHEET).to_python()
    return time.perf_counter() - start


def in_process(paths: list[Path], out: Path) -> float:
    start = time.perf_counter()
    loaded = load_registers(paths)
    result = summarize(loaded.registers)
    write_form(result, FormHeader(unit="bench"), out)
    elapsed = time.perf_counter() - start
    assert len(result.registers) == len(paths)
    return elapsed


def small_run() -> None:
    count, workers = 300, 100
    paths = cached_registers("summary-300", count, workers)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base, ours = float("inf"), float("inf")
        for i in range(REPEAT):
            base = min(base, floor_in_process(paths))
            ours = min(ours, in_process(paths, folder / f"table{i}.xlsx"))
        command = [*_certcheck(), "summary", *map(str, paths), "-o", str(folder / "cli.xlsx")]
        spawned = min(run_measured(command).wall for _ in range(REPEAT))
    verdict = "OK" if ours <= TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
    print(
        f"summary of {count} registers x {workers} workers: in-process {ours:.2f} s "
        f"({ours / base:.2f}x the calamine floor of {base:.2f} s), as a command {spawned:.2f} s; "
        f"{verdict}",
        flush=True,
    )


def main() -> None:
    small_run()
    if "--quick" not in sys.argv[1:]:
        large_run()


if __name__ == "__main__":
    main()
