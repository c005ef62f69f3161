"""Messages that say what really happened, and date options that read what a roster reads.

- every date option (``--as-of`` of verify, lookup, due and probe, ``summary --date``) takes the
  forms a roster's date cell takes, and a bad one is exit 2 listing those forms;
- an output folder that does not exist is exit 2 before any work, in every command that writes;
- a read-only or locked output file is named as the file, and left as it was;
- Ctrl-C promises that answers were kept only when a cache kept them;
- a path with spaces the shell split gets the quoted form to type;
- ``certcheck … | head`` is not reported as a plugin asking to exit.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import certcheck.check
import certcheck.pipeline
from certcheck import atomic
from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.cli import lookup as _lookup  # noqa: F401
from certcheck.cli import probe as _probe  # noqa: F401
from certcheck.cli import summary as _summary  # noqa: F401
from certcheck.cli import verify as _verify  # noqa: F401
from factories import nth_id

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
REGISTER = SAMPLES / "registers" / "德感机械-自查.register.xlsx"
PREVIOUS = b"last month's file, signed"

#: One date in every form a roster cell may hold it.
FORMS = ["2026-12-01", "2026/12/01", "2026年12月1日", "2026.12.01", "20261201", "2026-12-1",
         "２０２６－１２－０１", "2026年12月01日"]


def run(*args: str | Path) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, [str(a) for a in args],
                                                    catch_exceptions=False,
                                                    prog_name="certcheck")


def error_line(result: Result) -> str:
    """The one ``certcheck:`` line (summary's 提示 lines may come before it)."""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("certcheck")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def registry_args() -> list[str | Path]:
    return [SAMPLES / "roster.xlsx", "--source", f"registry:{SAMPLES / 'registry.csv'}",
            "--no-progress", "--no-cache"]


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_every_date_option_reads_what_a_roster_cell_may_hold(tmp_path: Path, form: str) -> None:
    out = tmp_path / "r.json"
    result = run("verify", *registry_args(), "--as-of", form, "-o", out)
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text("utf-8"))["as_of"] == "2026-12-01"

    result = run("lookup", "--id", nth_id(1), "--name", "张三", "--source",
                 f"registry:{SAMPLES / 'registry.csv'}", "--as-of", form, "--json")
    assert json.loads(result.stdout)["as_of"] == "2026-12-01"

    result = run("due", REGISTER, "--as-of", form)
    assert "2026-12-01 起 60 天内" in result.stdout

    result = run("summary", REGISTER, "--date", form, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["填报日期"] == "2026-12-01"

    # probe reads its date before the ID: a bad ID, not a bad date, is what stops it here.
    result = run("probe", "--id", "123", "--name", "张三", "--as-of", form,
                 "--record", tmp_path / "rec")
    assert result.exit_code == 2
    assert "--id" in error_line(result) and "日期" not in error_line(result)


@pytest.mark.parametrize("value", ["2026-13-01", "12/01/2026", "明天", "2026-02-30", "46357"])
@pytest.mark.parametrize("command", [
    ["verify", "r.xlsx", "--as-of"], ["lookup", "--id", "1", "--name", "x", "--as-of"],
    ["due", "r.xlsx", "--as-of"], ["probe", "--id", "1", "--name", "x", "--as-of"],
    ["summary", str(REGISTER), "--date"],
])
def test_a_bad_date_is_exit_2_listing_the_forms(command: list[str], value: str) -> None:
    result = run(*command, value)
    assert result.exit_code == 2
    option = command[-1]
    assert error_line(result) == (
        f"certcheck: {option} 的值无效：“{value}” 不是日期；可写成 2026-12-01、2026/12/01、"
        f"2026.12.01、2026年12月1日 或 20261201（not a date）；"
        f"用 certcheck {command[0]} --help 查看用法"
    )


@pytest.mark.parametrize("value", ["1899年12月31日", "2200/01/01", "00010101"])
def test_a_date_out_of_range_is_exit_2(value: str) -> None:
    result = run("verify", "r.xlsx", "--as-of", value)
    assert result.exit_code == 2
    assert "不在 1900-01-01 … 2199-12-31 之内（out of range）" in error_line(result)


# --- a missing output folder: exit 2 before any work ---------------------------------------------


def test_every_command_refuses_a_missing_output_folder_before_reading(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    # Each input is unusable: had it been read first, the exit would be 4 and say so.
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    cases = {
        "verify": run("verify", junk, "--source", "registry:/no/such/file.csv",
                      "-o", missing / "r.xlsx"),
        "summary": run("summary", junk, "-o", missing / "附件1.xlsx"),
        "due": run("due", junk, "-o", missing / "due.csv"),
    }
    for command, result in cases.items():
        assert result.exit_code == 2, (command, result.output)
        assert f"文件夹 {missing} 不存在（no such folder）" in error_line(result), command


def test_record_folder_that_cannot_be_made_is_exit_2_before_any_lookup(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    # A closed port: had probe asked it, the message would be about the network.
    result = run("probe", "--id", nth_id(1), "--name", "张三", "--mem-url", "http://127.0.0.1:9",
                 "--record", a_file / "rec")
    assert result.exit_code == 2
    assert error_line(result) == (
        f"certcheck: --record {a_file / 'rec'}：路径中的 {a_file} 是文件，不是文件夹（not a folder）"
    )
    result = run("verify", *registry_args(), "--as-of", "2026-12-01", "-o", tmp_path / "r.json",
                 "--record", a_file)
    assert result.exit_code == 2
    assert error_line(result) == (
        f"certcheck: --record 的值无效：这是文件，不是文件夹（Directory '{a_file}' is a file）；"
        "用 certcheck verify --help 查看用法"
    )
    assert not (tmp_path / "r.json").exists()


def test_a_missing_record_folder_is_made(tmp_path: Path) -> None:
    # Not an error: --record makes its folder, parents included, as before.
    result = run("verify", *registry_args(), "--as-of", "2026-12-01", "-o", tmp_path / "r.json",
                 "--record", tmp_path / "a" / "b")
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize("command", ["verify", "summary", "due"])
def test_an_output_that_is_a_folder_is_named(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    result = _writing(command, folder)
    assert result.exit_code == 2
    line = error_line(result)
    assert str(folder) in line and ("是文件夹" in line or "这是文件夹" in line)


# --- a read-only or locked output file ---------------------------------------------------------


def _writing(command: str, out: Path) -> Result:
    if command == "verify":
        return run("verify", *registry_args(), "--as-of", "2026-12-01", "-o", out)
    if command == "summary":
        return run("summary", REGISTER, "--date", "2026-12-01", "-o", out)
    return run("due", REGISTER, "--as-of", "2026-12-01", "-o", out)


OUTPUTS = [("verify", "r.xlsx"), ("verify", "r.csv"), ("verify", "r.json"),
           ("summary", "附件1.xlsx"), ("summary", "附件1.json"), ("due", "due.xlsx"),
           ("due", "due.csv")]
READ_ONLY = ("该文件是只读的，或正被其他程序（如 Excel、WPS）打开；请关闭该文件或去掉只读属性后重试，"
             "或另给一个文件名")


@pytest.mark.parametrize(("command", "name"), OUTPUTS)
def test_a_read_only_output_file_is_named_and_kept(tmp_path: Path, command: str,
                                                   name: str) -> None:
    out = tmp_path / name
    out.write_bytes(PREVIOUS)
    out.chmod(0o444)
    result = _writing(command, out)
    assert result.exit_code == 4, result.output
    assert error_line(result) == (
        f"certcheck: 无法写入 {out}：{READ_ONLY}；原有文件未改动（read-only or locked）"
    )
    # Replacing it would work on Linux (the folder is writable); it is kept all the same.
    assert out.read_bytes() == PREVIOUS
    assert stat.S_IMODE(out.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(("command", "name"), OUTPUTS)
def test_a_file_locked_while_the_run_wrote_is_named_not_its_folder(
    tmp_path: Path, command: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / name
    out.write_bytes(PREVIOUS)
    real_replace = os.replace

    def locked(src: str, dst: str, **kwargs: int) -> None:
        if dst == name:  # Windows, when Excel holds the file open: a sharing violation
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), dst)
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(atomic.os, "replace", locked)
    result = _writing(command, out)
    assert result.exit_code == 4, result.output
    assert error_line(result) == (
        f"certcheck: 无法写入 {out}：{READ_ONLY}（Permission denied），原有文件未改动"
    )
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_file_made_read_only_during_the_run_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "due.csv"
    out.write_bytes(PREVIOUS)
    real_settle = atomic._settle

    def archived_meanwhile(folder_fd: int, name: str) -> None:
        real_settle(folder_fd, name)
        out.chmod(0o444)

    monkeypatch.setattr(atomic, "_settle", archived_meanwhile)
    result = _writing("due", out)
    assert result.exit_code == 4
    assert error_line(result) == (
        f"certcheck: 无法写入 {out}：{READ_ONLY}（Permission denied），原有文件未改动"
    )
    assert out.read_bytes() == PREVIOUS


# --- Ctrl-C ----------------------------------------------------------------------------------


def _interrupted(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_on_a_registry_run_promises_no_cache(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(certcheck.pipeline, "run_verify", _interrupted)
    result = run("verify", SAMPLES / "roster.xlsx", "--source",
                 f"registry:{SAMPLES / 'registry.csv'}", "--as-of", "2026-12-01",
                 "-o", tmp_path / "r.json")
    assert result.exit_code == 130
    assert error_line(result) == (
        "certcheck: 已中断；此数据源的结果不进缓存，没有保存任何结果，再次运行将从头核对"
        "（interrupted; this source is not cached）"
    )


def test_ctrl_c_with_no_cache_says_nothing_was_kept(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(certcheck.pipeline, "run_verify", _interrupted)
    result = run("verify", SAMPLES / "roster.xlsx", "--mem-url", "http://127.0.0.1:9",
                 "--captcha", "command:true", "--no-cache", "--as-of", "2026-12-01",
                 "-o", tmp_path / "r.json")
    assert result.exit_code == 130
    assert "使用了 --no-cache，已收到的查询结果没有保存" in error_line(result)


def test_ctrl_c_on_a_cached_run_says_the_answers_are_kept(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setattr(certcheck.pipeline, "run_verify", _interrupted)
    result = run("verify", SAMPLES / "roster.xlsx", "--mem-url", "http://127.0.0.1:9",
                 "--captcha", "command:true", "--as-of", "2026-12-01", "-o", tmp_path / "r.json")
    assert result.exit_code == 130
    assert "已收到的查询结果保存在缓存中，再次运行同一命令即从中断处继续" in error_line(result)


def test_ctrl_c_on_lookup_promises_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certcheck.check, "run_lookups", _interrupted)
    result = run("lookup", "--id", nth_id(1), "--name", "张三", "--source",
                 f"registry:{SAMPLES / 'registry.csv'}")
    assert result.exit_code == 130
    assert error_line(result) == "certcheck: 已中断（interrupted）"


# --- a path with spaces, unquoted ------------------------------------------------------------


@pytest.fixture
def spaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(SAMPLES / "roster.xlsx", tmp_path / "我的 花名册.xlsx")
    shutil.copy(REGISTER, tmp_path / "我的 登记表.xlsx")
    shutil.copy(SAMPLES / "辖区企业.csv", tmp_path / "辖区 企业.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "quoted"), [
    (["verify", "我的", "花名册.xlsx"], "我的 花名册.xlsx"),
    (["due", "我的", "登记表.xlsx", "--within", "30"], "我的 登记表.xlsx"),
])
def test_an_unquoted_path_with_spaces_gets_the_quoted_form(spaced: Path, args: list[str],
                                                          quoted: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert error_line(result) == (
        f"certcheck: 多余的参数 {args[2]}（unexpected extra argument）；“{quoted}” 是一个文件："
        f"路径中有空格时要加引号，写成 \"{quoted}\"；用 certcheck {args[0]} --help 查看用法"
    )


def test_summary_names_the_register_the_shell_split(spaced: Path) -> None:
    result = run("summary", "我的", "登记表.xlsx")
    assert result.exit_code == 2
    assert "找不到文件 我的（no such file）；“我的 登记表.xlsx” 是一个文件：路径中有空格时要加引号，" \
           "写成 \"我的 登记表.xlsx\"" in error_line(result)
    result = run("summary", "我的 登记表.xlsx", "--enterprises", "辖区", "企业.csv")
    assert result.exit_code == 2
    assert error_line(result) == (
        "certcheck: --enterprises 的值无效：文件不存在（File '辖区' does not exist）；"
        "“辖区 企业.csv” 是一个文件：路径中有空格时要加引号，写成 \"辖区 企业.csv\"；"
        "用 certcheck summary --help 查看用法"
    )


def test_an_output_path_split_by_the_shell_gets_the_quoted_form(spaced: Path) -> None:
    result = run("verify", "我的 花名册.xlsx", "-o", "新的", "登记表.xlsx")
    assert result.exit_code == 2
    assert "；若 “新的 登记表.xlsx” 是一个路径，空格处不能断开，要加引号：\"新的 登记表.xlsx\"" in (
        error_line(result))


def test_no_quoting_hint_for_words_that_are_no_path(spaced: Path) -> None:
    result = run("lookup", "--id", nth_id(1), "--name", "张", "三")
    assert error_line(result) == (
        "certcheck: 多余的参数 三（unexpected extra argument）；用 certcheck lookup --help 查看用法"
    )


# --- a closed pipe -----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_reader_gone_away_is_no_plugin_asking_to_exit() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already quit
    try:
        done = subprocess.run(
            [sys.executable, "-m", "certcheck", "due", str(REGISTER), "--as-of", "2026-12-01"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 1
