"""What a person sees in a real terminal (tmux at 60, 80 and 200 columns) and in a pipe.

The roster holds the cells an unfriendly file could hold: a name with ESC[2J (clear the screen)
and an item with ESC]0;…BEL (set the window title). Every screen is read back from tmux, as the
person would see it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from certcheck.cli import cli
from certcheck.cli import lookup as _lookup  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.cli.screen import cell, plain
from certcheck.ids import mask_id
from factories import nth_id
from test_cli_verify import REGISTRY_HEADER, official, write_registry

AS_OF = "2026-12-01"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;PWNED\x07"

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


# --- the roster ------------------------------------------------------------------------------

#: (name, ID, certificate number, item): six valid workers (one due soon), a name holding ESC[2J
#: (no name, so not understood), an ID pasted from the row of 工人1 (not understood: whose is
#: it?), another authority's item, an invalid ID, a worker nobody certified whose unknown item
#: holds a title sequence, and a claimed card nobody issued.
def _rows() -> list[list[str]]:
    rows = [[f"工人{i}", nth_id(i), "T" + nth_id(i), "低压电工"] for i in range(6)]
    bad_id = nth_id(11)[:-1] + ("0" if nth_id(11)[-1] != "0" else "1")
    return [
        *rows,
        [f"张{CLEAR}三", nth_id(7), "", "低压电工"],
        ["李四", nth_id(1), "T" + nth_id(1), "低压电工"],
        ["赵六", nth_id(9), "", "叉车司机"],
        ["孙七", bad_id, "", "低压电工"],
        ["钱七", nth_id(10), "", f"低压电工{TITLE}"],
        ["周八", nth_id(12), "T" + nth_id(12), "低压电工"],
    ]


WORKERS = len(_rows())


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.xlsx"
    # xlsxwriter writes control characters as _x001B_, which every reader turns back into ESC:
    # the way such a cell arrives in a real workbook.
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("电工")
    for r, row in enumerate([["姓名", "身份证号", "证号", "操作项目"], *_rows()]):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    write_registry(tmp_path / "registry.csv", [
        official(f"工人{i}", nth_id(i), due="2026-12-20" if i == 0 else "2027-06-01")
        for i in range(6)
    ])
    return path


def _verify_args(roster: Path) -> list[str]:
    return ["verify", str(roster), "--source", f"registry:{roster.parent / 'registry.csv'}",
            "--as-of", AS_OF, "--enterprise", "测试公司", "-o", str(roster.parent / "out.json")]


# --- tmux --------------------------------------------------------------------------------------


class Tmux:
    """One command in a tmux window of a given size, on a server of its own."""

    def __init__(self, width: int, argv: list[str], height: int = 60) -> None:
        self.socket = f"certcheck-test-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        self.env = env
        command = " ".join(_quote(a) for a in argv) + "; echo EXIT=$?; sleep 60"
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                   f"TERM=xterm-256color {command}")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=True, env=self.env).stdout

    def screen(self) -> str:
        # The scrollback too: a long report scrolls off the top of the window.
        return self._tmux("capture-pane", "-p", "-t", "t", "-S", "-500")

    def wait(self, timeout: float = 60) -> tuple[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            match = re.search(r"^EXIT=(\d+)$", text, re.M)
            if match:
                return text[:match.start()], int(match.group(1))
            time.sleep(0.1)
        raise AssertionError(f"no exit; the screen:\n{self.screen()}")

    def title(self) -> str:
        return self._tmux("display-message", "-p", "-t", "t", "#{pane_title}").strip()

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       env=self.env, check=False)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@pytest.fixture
def tmux() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for t in started:
        t.close()


def _certcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "certcheck", *args]


def _run_in_tmux(tmux: list[Tmux], width: int, args: list[str]) -> tuple[str, int, Tmux]:
    term = Tmux(width, _certcheck(*args))
    tmux.append(term)
    screen, code = term.wait()
    return screen, code, term


def _flat(screen: str) -> str:
    """The screen without table rules, spaces and line ends: text that wrapped inside a cell
    reads whole again (good enough for one cell per table row)."""
    return re.sub(r"[\s│┃]", "", screen)


def _column(screen: str, header: str) -> str:
    """The text of one column of the table headed ``header``, its wrapped lines joined."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if f" {header} " in line and "┃" in line)
    index = [c.strip() for c in lines[start].split("┃")].index(header)
    text = []
    for line in lines[start + 2:]:
        if not line.startswith("│"):
            break
        text.append(line.split("│")[index].strip())
    return "".join(text)


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _progress_line(screen: str) -> str:
    return next(line for line in screen.splitlines() if re.search(r"\b\d+/\d+\b", line)
                and ("有效" in line or "查询" in line))


_STATUS_COUNT = re.compile(r"(有效|逾期|假证|无证|未核验) (\d+)")


@needs_tmux
@pytest.mark.parametrize("width", [60, 80, 200])
def test_verify_screen_at_each_width(roster: Path, tmux: list[Tmux], width: int) -> None:
    screen, code, term = _run_in_tmux(tmux, width, _verify_args(roster))
    assert code == 1, screen
    lines = screen.splitlines()
    assert all(_cells(line) <= width for line in lines)
    # Every masked ID is whole, last four digits included, on every row that shows a worker.
    for name, id_number, *_ in _rows():
        shown = plain(name)
        rows = [line for line in lines if f" {shown} " in line or f"│{shown}" in line]
        for line in rows:
            assert mask_id(id_number) in line, (width, line)
    assert mask_id(nth_id(7)) in screen and mask_id(nth_id(10)) in screen
    # The progress counts add up to the workers (also those never looked up) and are whole.
    progress = _progress_line(screen)
    counts = dict(_STATUS_COUNT.findall(progress))
    assert sum(int(n) for n in counts.values()) == WORKERS, progress
    assert counts == {"有效": "6", "假证": "1", "无证": "1", "未核验": "4"}, progress
    # lookups: 12 workers, 3 never asked (a cell that is no name, a bad ID, another authority)
    assert " 9/9 " in progress
    if width >= 80:
        assert progress.startswith("查询 ")
    if width >= 200:
        assert progress.startswith("查询 lookups ") and "/s" in progress and "剩" in progress
    # No control character of the roster reached the terminal: shown escaped instead.
    # (at 60 columns the name and the item wrap inside their cells)
    assert "张\\x1b[2J" in screen and ("张\\x1b[2J三" in screen or width < 80)
    assert "低压电工\\x1b]0;PWNED\\x07" in _column(screen, "作业项目")
    for _, id_number, *_ in _rows():
        assert id_number not in screen  # also not in the input issue about the bad ID
    assert "PWNED" not in term.title()
    assert lines[0].startswith("读取 roster.xlsx [电工]: 12 人")  # the screen was not cleared
    # The warnings, with the rows concerned.
    assert "提示：身份证号重复 (duplicate_id) 2 人" in screen
    assert "提示：即将到期或需复审 (due_soon) 1 人" in screen
    assert "提示：作业项目无法对应目录 (unknown_item) 1 人" in screen


@needs_tmux
def test_lookup_in_a_terminal_escapes_a_record_and_says_an_invalid_id(
    tmp_path: Path, tmux: list[Tmux]
) -> None:
    registry = tmp_path / "registry.json"
    record = dict(zip(REGISTRY_HEADER, official("王五", nth_id(3)), strict=True))
    record["签发机关"] = f"重庆{TITLE}市应急管理局{CLEAR}"
    registry.write_text(json.dumps([record], ensure_ascii=False), "utf-8")
    screen, code, term = _run_in_tmux(tmux, 60, [
        "lookup", "--id", nth_id(3), "--name", "王五", "--source", f"registry:{registry}",
        "--as-of", AS_OF])
    assert code == 0, screen
    assert "PWNED" not in term.title()
    assert "重庆\\x1b]0;PWNED\\x07市应急管理局\\x1b[2J" in _flat(screen)
    assert screen.splitlines()[-1].startswith("结论: 有效 valid")
    bad = nth_id(3)[:-1] + ("0" if nth_id(3)[-1] != "0" else "1")
    screen, code, _ = _run_in_tmux(tmux, 60, [
        "lookup", "--id", bad, "--name", "王五", "--source", f"registry:{registry}",
        "--as-of", AS_OF])
    assert code == 3
    assert " ".join(screen.split()).startswith(
        f"王五 {mask_id(bad)}: 身份证号无效，未查询 (invalid ID, not looked up) "
        "结论: 未核验 unverified — 身份证号无效 (invalid_id)")
    assert "未查询到证书" not in screen


# --- a file or a pipe --------------------------------------------------------------------------


def test_a_pipe_gets_lines_neither_wrapped_nor_padded(roster: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["COLUMNS"] = "40"  # even a narrow COLUMNS does not wrap what goes to a file
    result = subprocess.run(_certcheck(*_verify_args(roster)), capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert all(line == line.rstrip() for line in lines)
    row = next(line for line in lines if "赵六" in line)
    assert "证书归其他部门核发，本数据源不能核验" in row and mask_id(nth_id(9)) in row
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "张\\x1b[2J三" in result.stdout
    assert "低压电工\\x1b]0;PWNED\\x07" in result.stdout
    assert result.stderr.splitlines() == []  # no bar, no warning: the enterprise is given


def test_the_screen_text_of_a_cell_is_escaped() -> None:
    assert plain(f"张{CLEAR}三") == "张\\x1b[2J三"
    assert plain(f"a{TITLE}b") == "a\\x1b]0;PWNED\\x07b"
    assert plain("a\tb\nc\r") == "a b c\\x0d"
    assert plain("\x9b31m \u202eabc") == "\\x9b31m \\u202eabc"
    assert plain(None) == ""
    assert cell("[red]x\x1b") == "\\[red]x\\x1b"


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["verify", "r.xlsx", "--sourse", "mem"],
         "certcheck: 没有选项 --sourse，是否想用 --scope、--source？（No such option）；"
         "用 certcheck verify --help 查看用法"),
        (["verify"],
         "certcheck: 缺少参数 ROSTER（Missing argument）；用 certcheck verify --help 查看用法"),
        (["lookup", "--id", "1"],
         "certcheck: 缺少选项 --name（Missing option）；用 certcheck lookup --help 查看用法"),
        (["verify", "r.xlsx", "--concurrency", "0"],
         "certcheck: --concurrency 的值无效：须在 1<=x<=64 范围内"
         "（0 is not in the range 1<=x<=64）；用 certcheck verify --help 查看用法"),
        (["verify", "r.xlsx", "--kind", "audit"],
         "certcheck: --kind 的值无效：须为以下之一：self-check、inspection"
         "（'audit' is not one of 'self-check', 'inspection'）；用 certcheck verify --help 查看用法"),
        (["verify", "r.xlsx", "--as-of", "2026-13-01"],
         "certcheck: --as-of 的值无效：“2026-13-01” 不是日期；可写成 2026-12-01、2026/12/01、"
         "2026.12.01、2026年12月1日 或 20261201（not a date）；用 certcheck verify --help 查看用法"),
        (["verify", "r.xlsx", "extra"],
         "certcheck: 多余的参数 extra（unexpected extra argument）；用 certcheck verify --help 查看用法"),
        (["frobnicate"],
         "certcheck: 没有命令 frobnicate（No such command）；用 certcheck --help 查看用法"),
    ],
)
def test_a_usage_error_is_one_chinese_line_and_exit_2(args: list[str], line: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="certcheck")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


def test_a_usage_error_from_the_installed_command_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(_certcheck("verify", "x.xlsx", "--bogus"), capture_output=True,
                            text=True, check=False, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "certcheck: 没有选项 --bogus（No such option）；用 certcheck verify --help 查看用法"
    ]


# --- warnings on several sheets, the interruption message ----------------------------------


def test_warnings_name_the_sheet_when_there_are_several(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "电工"
    header = ["姓名", "身份证号", "证号", "操作项目", "有效期结束日期"]
    first.append(header)
    first.append(["王一", nth_id(0), "T" + nth_id(0), "低压电工", "2030-01-01"])
    second = wb.create_sheet("焊工")
    second.append(header)
    second.append(["王二", nth_id(1), "T" + nth_id(1), "低压电工", "2029-01-01"])
    roster = tmp_path / "two.xlsx"
    wb.save(roster)
    write_registry(tmp_path / "registry.csv",
                   [official(name, nth_id(i)) for i, name in enumerate(["王一", "王二"])])
    result = CliRunner().invoke(cli, _verify_args(roster), prog_name="certcheck")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index("提示：花名册日期与官方记录不一致 (roster_outdated) 1 人")
    assert [c.strip() for c in lines[at + 2].split("┃")[1:-1]] == [
        "工作表", "行", "姓名", "身份证号", "结果"]
    assert [c.strip() for c in lines[at + 4].split("│")[1:-1]] == [
        "电工", "2", "王一", mask_id(nth_id(0)), "有效"]
    assert lines[at + 5].startswith("└")


@pytest.mark.parametrize(("extra", "said"), [
    # A registry file is never cached: no promise of kept answers (tests/test_messages.py has
    # the national lookup's run, whose answers are kept).
    ((), "certcheck: 已中断；此数据源的结果不进缓存，没有保存任何结果，再次运行将从头核对"
         "（interrupted; this source is not cached）"),
    (("--no-cache",),
     "certcheck: 已中断；使用了 --no-cache，已收到的查询结果没有保存，再次运行将从头查询（interrupted）"),
])
def test_ctrl_c_says_whether_the_answers_were_kept(
    roster: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], said: str
) -> None:
    import certcheck.pipeline as pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_verify", interrupted)
    result = CliRunner().invoke(
        cli, [*_verify_args(roster), "--cache-dir", str(roster.parent / "cache"), *extra],
        prog_name="certcheck")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == [said]


def test_a_source_error_is_chinese_first(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(tmp_path / "r.xlsx"), "--source", "nosuch"],
                                prog_name="certcheck")
    assert result.exit_code == 4
    assert result.stderr.startswith("certcheck: 没有名为 nosuch 的数据源（unknown source）；已安装：")
    result = CliRunner().invoke(
        cli, ["verify", str(tmp_path / "r.xlsx"), "--source", f"registry:{tmp_path / 'no.csv'}"],
        prog_name="certcheck")
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"certcheck: 找不到登记文件 {tmp_path / 'no.csv'}（registry file not found）"]


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_due_keeps_ids_and_dates_whole_in_a_narrow_terminal(tmux: list[Tmux], width: int) -> None:
    register = Path(__file__).resolve().parents[1] / "samples" / "registers" / "德感机械-自查.register.xlsx"
    screen, code, _ = _run_in_tmux(tmux, width, ["due", str(register), "--within", "400",
                                                 "--as-of", AS_OF])
    assert code == 1, screen
    lines = screen.splitlines()
    assert all(_cells(line) <= width for line in lines)
    rows = [line for line in lines if re.match(r"^\s*\d+ ", line)]
    assert rows
    for line in rows:
        assert re.search(r" \d{6}\*{8}\d{3}[\dX] ", line), line  # the masked ID whole
        assert re.search(r" \d{4}-\d{2}-\d{2} ", line), line  # the date whole


def test_a_logged_warning_is_one_escaped_certcheck_line(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from certcheck.cli.app import _show_warnings

    _show_warnings()
    _show_warnings()  # once only, however often the CLI runs in one process
    logging.getLogger("certcheck.engine").warning("source %s raised: %s", "x", f"张{CLEAR}三")
    assert capsys.readouterr().err == "certcheck: 提示：source x raised: 张\\x1b[2J三\n"


@needs_tmux
def test_a_failed_lookup_says_so_in_a_terminal(tmp_path: Path, tmux: list[Tmux]) -> None:
    empty = tmp_path / "recordings"
    empty.mkdir()
    screen, code, _ = _run_in_tmux(tmux, 80, [
        "lookup", "--id", nth_id(3), "--name", "王五", "--source", f"replay:{empty}",
        "--as-of", AS_OF])
    assert code == 3
    assert screen.splitlines()[0] == f"王五 {mask_id(nth_id(3))}: 查询失败 (lookup failed)"
    assert " ".join(screen.splitlines()[1:]).startswith(
        "结论: 未核验 unverified — 查询失败 (lookup_failed)；没有此人的录音"
        "（nothing recorded for this person）")
    assert "未查询到证书" not in screen


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_the_sample_roster_s_progress_counts_add_up_to_its_30_workers(
    tmp_path: Path, tmux: list[Tmux], width: int
) -> None:
    samples = Path(__file__).resolve().parents[1] / "samples"
    screen, code, _ = _run_in_tmux(tmux, width, [
        "verify", str(samples / "roster.xlsx"), "--source", f"registry:{samples / 'registry.csv'}",
        "--as-of", AS_OF, "-o", str(tmp_path / "out.json")])
    assert code == 1, screen
    progress = _progress_line(screen)
    counts = {k: int(n) for k, n in _STATUS_COUNT.findall(progress)}
    assert counts == {"有效": 15, "逾期": 4, "假证": 4, "无证": 4, "未核验": 3}, progress
    assert " 26/26 " in progress  # 26 lookups for 30 workers
    assert not progress.endswith("…")
