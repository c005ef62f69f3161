"""How long ``certcheck summary`` takes over 300 registers of 100 workers, against a floor.

Run: python bench/bench_summary.py [REGISTERS] [WORKERS]
The floor is the time python-calamine alone needs to open every register and load its worker
sheet, measured in the same run, so the ratio means the same thing on any machine. The target
is at most 5 s for the in-process call. The console script is timed too when it has the
``summary`` command; otherwise the same CLI is run through ``python -c``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from python_calamine import CalamineWorkbook

from certcheck.ids import check_char
from certcheck.models import CertRecord, Declared, Finding, Reason, Status, Worker
from certcheck.register.formats import write
from certcheck.register.model import Kind, Register, RegisterMeta
from certcheck.register.xlsx import MAIN_SHEET
from certcheck.summary import FormHeader, load_registers, summarize, write_form

TARGET_SECONDS = 5.0
CST = timezone(timedelta(hours=8))
# Roughly what a campaign finds: most workers valid, a few of each violation.
_CYCLE = (Status.VALID,) * 16 + (Status.EXPIRED, Status.FAKE, Status.UNCERTIFIED, Status.VALID)


def _id(i: int) -> str:
    first17 = f"500381{date(1960, 1, 1) + timedelta(days=i % 15000):%Y%m%d}{i % 1000:03d}"
    return first17 + check_char(first17)


def _finding(i: int) -> Finding:
    status = _CYCLE[i % len(_CYCLE)]
    id_number = _id(i)
    worker = Worker(row=i % 100 + 2, name=f"工人{i}", id_number=id_number,
                    declared=Declared(cert_number="T" + id_number, item="低压电工作业"))
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


def make_registers(folder: Path, count: int, workers: int) -> list[Path]:
    paths = []
    for n in range(count):
        kind = Kind.INSPECTION if n % 5 == 4 else Kind.SELF_CHECK
        meta = RegisterMeta(
            version="bench", as_of=date(2023, 8, 25), source="registry",
            roster_file=f"roster{n}.xlsx", sheets=("花名册",),
            enterprise=f"重庆江津第{n}号有限公司",
            kind=kind, generated_at=datetime(2023, 8, 25, 9, tzinfo=CST) + timedelta(seconds=n),
        )
        reg = Register(meta=meta, findings=tuple(_finding(n * workers + i) for i in range(workers)))
        path = folder / f"r{n:03d}.register.xlsx"
        write(reg, path)
        paths.append(path)
    return paths


def floor(paths: list[Path]) -> float:
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


def via_subprocess(paths: list[Path], out: Path) -> tuple[float, str]:
    script = shutil.which("certcheck") or str(Path(sys.executable).with_name("certcheck"))
    has_command = Path(script).exists() and subprocess.run(
        [script, "summary", "--help"], capture_output=True, check=False
    ).returncode == 0
    if has_command:
        command, how = [script], "console script"
    else:
        command = [sys.executable, "-c",
                   "from certcheck.cli import cli, summary; cli(prog_name='certcheck')"]
        how = "python -c (console script lacks summary)"
    start = time.perf_counter()
    subprocess.run([*command, "summary", *map(str, paths), "-o", str(out)], check=True,
                   capture_output=True)
    return time.perf_counter() - start, how


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = make_registers(folder, count, workers)
        base = min(floor(paths) for _ in range(3))
        ours = min(in_process(paths, folder / f"table{i}.xlsx") for i in range(3))
        spawned, how = via_subprocess(paths, folder / "table-cli.xlsx")
    verdict = "OK" if ours <= TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
    print(
        f"summary of {count} registers x {workers} workers: in-process {ours:.2f} s "
        f"({ours / base:.2f}x the calamine floor of {base:.2f} s), {how} {spawned:.2f} s; "
        f"{verdict}"
    )


if __name__ == "__main__":
    main()
