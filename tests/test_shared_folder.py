"""Writing outputs into a folder others may write to, and what a killed run leaves behind."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from certcheck.atomic import atomic_write
from confined import run_confined
from factories import make_id, nth_id

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AS_OF = "2026-12-01"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _swap_for_links(folder: Path, victim: Path) -> list[str]:
    """What someone else who may write to ``folder`` does: every temporary entry of ours is
    replaced by a link to ``victim`` (a folder by one of their own holding such a link)."""
    done = []
    for entry in list(folder.iterdir()):
        if not entry.name.endswith(".tmp"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            entry.rename(folder / "taken-away")
            entry.mkdir()
            for name in ("register.json", "out.json"):
                (entry / name).symlink_to(victim)
        else:
            entry.unlink()
            entry.symlink_to(victim)
        done.append(entry.name)
    return done


@pytest.mark.parametrize("when", ["before writing", "after writing"])
def test_a_temporary_file_swapped_for_a_link_loses_nothing(tmp_path: Path, when: str) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    victim.chmod(0o644)
    out = shared / "register.json"
    out.write_text("previous register")
    swapped: list[str] = []

    def writer(tmp: Path) -> None:
        if when == "before writing":
            swapped.extend(_swap_for_links(shared, victim))
        tmp.write_text("new register")
        if when == "after writing":
            swapped.extend(_swap_for_links(shared, victim))

    atomic_write(out, writer)
    assert swapped  # the attack did happen
    assert victim.read_text() == "someone else's file" and _mode(victim) == 0o644
    assert not out.is_symlink() and out.read_text() == "new register"
    assert _mode(out) == 0o600


# --- what a killed run left ---------------------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


#: A run that writes a register and is killed (kill -9) half-way.
KILLED_WHILE_WRITING = """
import sys, time
from pathlib import Path
from certcheck.atomic import atomic_write
from certcheck.leftovers import scratch_folder

def writer(tmp):
    tmp.write_text(sys.argv[2])
    with scratch_folder() as scratch:
        (scratch / "rows.xml").write_text(sys.argv[2])
        print("writing", flush=True)
        time.sleep(60)

atomic_write(Path(sys.argv[1]), writer)
"""


def test_what_a_killed_run_left_is_removed_by_the_next(tmp_path: Path) -> None:
    work, system_tmp = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    system_tmp.mkdir()
    for name in ("roster.xlsx", "registry.csv"):
        shutil.copy(SAMPLES / name, work / name)
    env = {**os.environ, "TMPDIR": str(system_tmp)}
    out = work / "register.json"
    full_id = make_id("65010119700101999")  # nobody of the samples
    killed = subprocess.Popen([sys.executable, "-c", KILLED_WHILE_WRITING, str(out), full_id],
                              stdout=subprocess.PIPE, text=True, env=env)
    assert killed.stdout is not None and killed.stdout.readline().strip() == "writing"
    killed.kill()
    killed.wait(timeout=10)

    def holding_the_id() -> list[Path]:
        return [p for p in [*work.rglob("*"), *system_tmp.rglob("*")]
                if p.is_file() and full_id in p.read_text("utf-8", "replace")]

    assert len(holding_the_id()) == 2  # beside the output, and in the temporary folder
    # Not certcheck's, or not left behind: kept.
    alive = work / f".register.json.{os.getppid()}-abcdefgh.tmp"
    alive.mkdir()
    not_a_folder = system_tmp / f"certcheck-{_dead_pid()}-abcdefgh"
    not_a_folder.symlink_to(work)
    unrelated = work / ".register.json.notes.tmp"
    unrelated.write_text("x")

    done = run_confined([sys.executable, "-m", "certcheck", "verify", str(work / "roster.xlsx"),
                         "--source", f"registry:{work / 'registry.csv'}", "--as-of", AS_OF,
                         "-o", str(out)], env=env)
    assert done.returncode == 1, done.stderr
    assert holding_the_id() == []
    assert alive.is_dir() and not_a_folder.is_symlink() and unrelated.exists()
    assert sorted(p.name for p in work.iterdir()) == sorted(
        ["roster.xlsx", "registry.csv", "register.json", alive.name, unrelated.name])


def test_a_leftover_from_before_names_carried_the_run_goes_once_it_is_old(
    tmp_path: Path,
) -> None:
    out = tmp_path / "register.json"
    old = tmp_path / ".register.json.0123456789ab.tmp"
    new = tmp_path / ".register.json.ba9876543210.tmp"
    for path in (old, new):
        path.write_text(nth_id(3))
    # Both dated by the clock certcheck reads (the suite also runs with it a year ahead).
    now = time.time()
    os.utime(new, (now, now))
    os.utime(old, (now - 2 * 24 * 3600,) * 2)
    atomic_write(out, "{}")
    assert not old.exists() and new.exists()
