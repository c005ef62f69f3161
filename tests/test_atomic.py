"""Atomic, private writes: a failed write never damages the previous file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from certcheck.atomic import WriteError, atomic_path, atomic_write, ensure_private_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("content", ["张三\n", b"\x00\x01bytes"])
def test_writes_text_and_bytes_privately(tmp_path: Path, content: str | bytes) -> None:
    out = tmp_path / "out.bin"
    atomic_write(out, content)
    expected = content.encode() if isinstance(content, str) else content
    assert out.read_bytes() == expected
    assert _mode(out) == 0o600
    assert os.listdir(tmp_path) == ["out.bin"]


def test_callable_gets_a_temp_path_in_a_private_folder_beside_the_target(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.xlsx"
    seen: list[Path] = []

    def writer(tmp: Path) -> None:
        folder = Path(os.path.realpath(tmp.parent))
        seen.append(folder / tmp.name)
        # Same file system as the target (the rename is atomic), in a folder nobody else enters.
        assert folder.parent == tmp_path and _mode(folder) == 0o700
        assert tmp.name == out.name  # a library that goes by the extension still can
        assert tmp.exists() and _mode(tmp) == 0o600  # private before any data lands in it
        tmp.write_text("data")

    atomic_write(out, writer)
    assert out.read_text() == "data"
    assert not seen[0].exists()


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_write_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, error: BaseException
) -> None:
    out = tmp_path / "register.json"
    out.write_text("previous")

    def writer(tmp: Path) -> None:
        tmp.write_text("half a file")
        raise error

    with pytest.raises(type(error)):
        atomic_write(out, writer)
    assert out.read_text() == "previous"
    assert os.listdir(tmp_path) == ["register.json"]


def test_replaced_file_becomes_private(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    out.chmod(0o644)
    atomic_write(out, "new")
    assert out.read_text() == "new" and _mode(out) == 0o600


def test_writer_that_recreates_the_file_still_ends_private(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"

    def writer(tmp: Path) -> None:
        tmp.unlink()
        tmp.write_text("recreated")
        tmp.chmod(0o666)

    atomic_write(out, writer)
    assert out.read_text() == "recreated" and _mode(out) == 0o600


def test_missing_directory_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "r.json"
    with pytest.raises(WriteError) as caught:
        atomic_write(target, "x")
    # The output asked for is named, never the temporary file beside it.
    assert str(caught.value) == (
        f"无法写入 {target}：所在文件夹不存在（No such file or directory），未生成文件"
    )
    assert isinstance(caught.value.cause, FileNotFoundError)
    assert os.listdir(tmp_path) == []


def test_atomic_path_context_manager(tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    with atomic_path(out) as tmp:
        tmp.write_text("via context")
        assert not out.exists()
    assert out.read_text() == "via context"


def test_ensure_private_dir_creates_nested_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    old = os.umask(0o022)
    try:
        assert ensure_private_dir(target) == target
    finally:
        os.umask(old)
    for d in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert d.is_dir() and _mode(d) == 0o700


def test_ensure_private_dir_leaves_existing_dirs_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    ensure_private_dir(tmp_path)
    assert _mode(tmp_path) == 0o755


def test_ensure_private_dir_refuses_a_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(NotADirectoryError):
        ensure_private_dir(f)
