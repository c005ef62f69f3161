"""A full disk or a read-only folder while writing any output: one ``certcheck:`` line naming
the output asked for, exit 4, and the file that was there before left exactly as it was.

The disk is a real one where the machine lets us mount a tiny tmpfs (root, as in CI); the same
cases also run everywhere with the write made to fail by a stand-in for the operating system.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from certcheck import atomic
from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.cli import summary as _summary  # noqa: F401
from certcheck.cli import verify as _verify  # noqa: F401

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
AS_OF = "2026-12-01"
PREVIOUS = b"the register of last month"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("certcheck:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    return errors[0]


def _verify_to(out: Path) -> Result:
    return run("verify", SAMPLES / "roster.xlsx", "--source",
               f"registry:{SAMPLES / 'registry.csv'}", "--as-of", AS_OF, "--no-progress",
               "--no-cache", "-o", out)


def _a_register(tmp_path: Path) -> Path:
    register = tmp_path / "made" / "r.register.json"
    register.parent.mkdir()
    assert _verify_to(register).exit_code == 1
    return register


# Each case: the output's name, and the command that writes it given the output path.
CASES = ["register.xlsx", "register.csv", "register.json", "form.xlsx", "form.json", "due.xlsx",
         "due.csv"]


def _command(name: str, out: Path, register: Path) -> Result:
    if name.startswith("register"):
        return _verify_to(out)
    if name.startswith("form"):
        return run("summary", register, "-o", out, "--date", AS_OF)
    return run("due", register, "--as-of", AS_OF, "--within", "400", "-o", out)


# --- a real full disk and a real read-only folder --------------------------------------------


def _mount_tmpfs(where: Path, size: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}); "
                    "the stand-in cases below cover the same messages")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 128 KiB file system holding one previous output per case, then filled up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount_tmpfs(disk, "128k")
    try:
        for name in CASES:
            (disk / name).write_bytes(PREVIOUS)
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 1024)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.parametrize("name", CASES)
def test_full_disk(tiny_disk: Path, tmp_path: Path, name: str) -> None:
    register = _a_register(tmp_path)
    out = tiny_disk / name
    result = _command(name, out, register)
    assert result.exit_code == 4, result.output
    line = _one_error_line(result)
    assert line == f"certcheck: 无法写入 {out}：磁盘空间不足（No space left on device），原有文件未改动"
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tiny_disk.iterdir()) == sorted([*CASES, "filler"])


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    _mount_tmpfs(folder, "1m")
    try:
        for name in CASES:
            (folder / name).write_bytes(PREVIOUS)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("name", CASES)
def test_read_only_folder(read_only_folder: Path, tmp_path: Path, name: str) -> None:
    register = _a_register(tmp_path)
    out = read_only_folder / name
    result = _command(name, out, register)
    assert result.exit_code == 4, result.output
    line = _one_error_line(result)
    assert line.startswith(f"certcheck: 无法写入 {out}：")
    assert "只读" in line
    # Never the temporary file beside the output.
    assert ".tmp" not in line
    assert out.read_bytes() == PREVIOUS


def test_verify_refuses_a_read_only_folder_before_any_lookup(read_only_folder: Path) -> None:
    out = read_only_folder / "new.register.xlsx"
    result = run("verify", SAMPLES / "roster.xlsx", "--source", "registry:/no/such/registry.csv",
                 "-o", out)
    # The output is checked first, before the source or the roster are opened.
    assert result.exit_code == 4
    assert _one_error_line(result) == (
        f"certcheck: 无法写入 {out}：文件夹 {read_only_folder} 是只读的或没有写入权限；"
        "请换一个文件夹（-o）"
    )


# --- the same, with the operating system stood in for -----------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_disk_full_when_flushing(tmp_path: Path, name: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    register = _a_register(tmp_path)
    out = tmp_path / name
    out.write_bytes(PREVIOUS)

    def full(folder_fd: int, name: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)

    # Where the written file is made durable, through its descriptor.
    monkeypatch.setattr(atomic, "_settle", full)
    result = _command(name, out, register)
    assert result.exit_code == 4, result.output
    assert _one_error_line(result) == (
        f"certcheck: 无法写入 {out}：磁盘空间不足（No space left on device），原有文件未改动"
    )
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["made", name])


def test_no_permission_names_the_output_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = _a_register(tmp_path)
    out = tmp_path / "due.csv"
    real_open = os.open

    def refuse(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(atomic.os, "open", refuse)
    result = _command("due.csv", out, register)
    assert result.exit_code == 4
    assert _one_error_line(result) == (
        f"certcheck: 无法写入 {out}：没有写入该文件夹的权限（Permission denied），未生成文件"
    )
    assert not out.exists()


def test_a_library_s_own_error_is_traced_to_the_disk(tmp_path: Path) -> None:
    class LibraryError(Exception):
        pass

    def writer(tmp: Path) -> None:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise LibraryError(exc) from None

    out = tmp_path / "x.xlsx"
    with pytest.raises(atomic.WriteError, match="磁盘空间不足"):
        atomic.atomic_write(out, writer)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_full_disk_in_a_real_process_prints_one_line(tiny_disk: Path) -> None:
    # xlsxwriter leaves its zip file open when the disk fills; closing it again at exit must
    # not print "Exception ignored" and a traceback under the message.
    out = tiny_disk / "register.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "certcheck", "verify", str(SAMPLES / "roster.xlsx"), "--source",
         f"registry:{SAMPLES / 'registry.csv'}", "--as-of", AS_OF, "--no-progress",
         "--no-cache", "-o", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        f"certcheck: 无法写入 {out}：磁盘空间不足（No space left on device），原有文件未改动"
    ]
    assert out.read_bytes() == PREVIOUS


def test_full_disk_for_the_workbook_among_other_outputs(tiny_disk: Path, tmp_path: Path) -> None:
    from certcheck.register.formats import OutputError, OutputFormat, write_all
    from test_register import build_register

    out = tiny_disk / "register.xlsx"
    with pytest.raises(OutputError) as caught:
        write_all(build_register(), [(out, OutputFormat.XLSX),
                                     (tmp_path / "r.json", OutputFormat.JSON)])
    assert str(caught.value) == (
        f"无法写入 {out}：磁盘空间不足（No space left on device），原有文件未改动"
    )
    assert out.read_bytes() == PREVIOUS and (tmp_path / "r.json").exists()
