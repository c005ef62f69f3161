"""Wall time and summed resident memory of a command and every process it starts.

A run of certcheck may be several processes at once: the main one, the forked xlsx writer and
an isolated reader child. ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` only reports the largest of
them, so the memory a machine must have for a run is understated. Here the process tree is
sampled every few milliseconds from ``/proc`` and the peak of the *sum* of ``VmRSS`` over all
its live processes is kept. Pages a forked child shares with its parent are counted in both,
as ``ps`` and ``top`` count them; that overstates a little, never understates.

Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: Seconds between samples; short enough that a writer living a second is seen many times.
INTERVAL = 0.01


@dataclass(frozen=True, slots=True)
class Measured:
    seconds: float
    #: Peak of the summed VmRSS of the process tree, MiB.
    rss_sum: float
    #: Peak VmRSS of any one process of the tree, MiB (what ru_maxrss would report).
    rss_max: float
    returncode: int


def _parent_of(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: the fields after it are safe.
    return int(stat[stat.rindex(b")") + 2:].split(b" ", 2)[1])


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler:
    """Peak summed RSS of ``root`` and its descendants, sampled in a thread."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_sum = 0
        self.peak_one = 0
        self._known: dict[int, int | None] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        # Every pid's parent is read once; pids are not reused within one run's seconds.
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in self._known:
                self._known[int(entry)] = _parent_of(entry)
        members = {self.root}
        grew = True
        while grew:
            grew = False
            for pid, parent in self._known.items():
                if parent in members and pid not in members:
                    members.add(pid)
                    grew = True
        return sorted(members)

    def sample(self) -> None:
        sizes = [_rss_kib(pid) for pid in self._tree()]
        self.peak_sum = max(self.peak_sum, sum(sizes))
        self.peak_one = max(self.peak_one, max(sizes, default=0))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(INTERVAL)


def run(cmd: list[str], **popen: object) -> Measured:
    """Run ``cmd`` (output discarded) and measure it."""
    began = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, **popen)  # type: ignore[call-overload]
    with TreeSampler(process.pid) as sampler:
        code = process.wait()
    elapsed = time.perf_counter() - began
    return Measured(elapsed, sampler.peak_sum / 1024, sampler.peak_one / 1024, code)


if __name__ == "__main__":
    import sys

    result = run(sys.argv[1:])
    print(f"{result.seconds:.2f} s, summed RSS {result.rss_sum:.0f} MiB "
          f"(largest process {result.rss_max:.0f} MiB), exit {result.returncode}")
