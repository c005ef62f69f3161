"""The captcha pipeline: with somebody answering, their answering is the run's speed.

``certcheck verify --source mem`` as a real process against the local imitation server (40 ms
latency), with ``--captcha command:PROGRAM`` where PROGRAM takes 2 s per answer (a person's
pace, or a little faster). The floor is N answers x 2 s: the time the answering alone takes.
Target: N lookups in <= 1.1 x N x 2 s, and never more requests (captchas and queries) in any
1-second window, as the server saw them arrive, than ``--rate``.

Twice: at the default ``--rate 1``, where the rate alone allows one lookup (a captcha and a
query) per 2 s, exactly the answering's pace, and at ``--rate 2``, where only the answering
sets the pace. The times include starting certcheck (about half a second, more on a busy
machine), which the floor does not.

Run: .venv/bin/python bench/bench_captcha.py [--lookups N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_lookups import max_in_window  # noqa: E402

from certcheck.sources import mem_mapping as api  # noqa: E402
from factories import nth_id  # noqa: E402
from mem_server import MemServer, api_record  # noqa: E402

ANSWER_SECONDS = 2.0
LATENCY = 0.040
RATES = (1, 2)  # mem's default, and one where the rate is not the limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lookups", type=int, default=15)
    n = parser.parse_args().lookups
    for rate in RATES:
        pipeline(n, rate)


def pipeline(n: int, rate: int) -> None:
    with tempfile.TemporaryDirectory(prefix="certcheck-bench-") as folder:
        work = Path(folder)
        # A shell script, not Python: its own start-up would count as the person's time.
        solver = work / "answer.sh"
        solver.write_text(f"#!/bin/sh\nsleep {ANSWER_SECONDS:g}\necho abcd\n")
        solver.chmod(0o700)
        ids = [nth_id(i, born=f"19{70 + i % 30}0315") for i in range(n)]
        roster = work / "roster.csv"
        roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
            f"工人{i},{id_number},T{id_number},低压电工\n" for i, id_number in enumerate(ids)
        ), "utf-8")
        registry = {id_number: [api_record(f"工人{i}", id_number)]
                    for i, id_number in enumerate(ids)}
        with MemServer(registry, latency=LATENCY) as server:
            command = [
                sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
                "--mem-url", server.url, "--captcha", f"command:{solver}",
                "--rate", str(rate), "--as-of", "2026-11-29", "--enterprise", "bench",
                "--no-cache", "--no-progress", "-o", str(work / "register.json"),
            ]
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            elapsed = time.perf_counter() - began
            if done.returncode != 0:
                raise SystemExit(f"verify exited {done.returncode}: {done.stderr[-2000:]}")
            times = server.times()
            captchas = server.count(api.CAPTCHA_PATH)
    floor = n * ANSWER_SECONDS
    print(
        f"captcha pipeline: {n} lookups, a solver taking {ANSWER_SECONDS:g} s per answer, "
        f"{LATENCY * 1000:.0f} ms latency, --rate {rate}: {elapsed:.2f} s, floor {n} x "
        f"{ANSWER_SECONDS:g} s = {floor:.0f} s, ratio {elapsed / floor:.3f} (target <= 1.1); "
        f"{captchas} captchas, {len(times)} requests, max {max_in_window(times)} in any 1 s "
        f"window (limit {rate})"
    )


if __name__ == "__main__":
    main()
