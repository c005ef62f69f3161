"""Chinese line breaking as a person sees it: ``verify``, ``due`` and ``sources`` in a real
terminal (tmux, through ``test_terminal``'s harness) at 60 and 80 columns, the screen read back.

The roster holds what makes long Chinese lines: reasons with a comma in them (证书归其他部门核发，
本数据源不能核验), input issues that start with 第 N 行, long names and long items. On every
line of the screen, and in every table cell: no line starts with a closing mark nor ends with
an opening one, 第 N 行 and a number with its measure word (3 人) stand on one line, and no text
is lost.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter

from certcheck.cli.linebreak import cells
from certcheck.ids import mask_id
from factories import nth_id
from test_cli_verify import official, write_registry
from test_terminal import AS_OF, Tmux, _run_in_tmux, needs_tmux

#: The marks no line may start with, and those no line may end with.
CLOSING = "，。、；：”）】！？》」』"
OPENING = "（【“《「『"
#: The long ones among the names: a line of the table must break them.
LONG_NAME = "阿依古丽·买买提·艾合买提江"
NAMES = ["张伟", "王芳", "李强", "刘洋", "陈杰", "杨敏", "赵磊", "黄丽"]


def _rows() -> list[list[object]]:
    """(name, ID, 证号, item): valid holders (two due for review soon, one with a long name),
    another authority's items, an ID stored as a number, a bad check digit, an unknown item,
    a name that is no name, a missing ID: long reasons and input issues with 第 N 行."""
    bad_id = nth_id(20)[:-1] + ("0" if nth_id(20)[-1] != "0" else "1")
    holders: list[list[object]] = [[name, nth_id(i), "T" + nth_id(i), "低压电工作业"]
                                    for i, name in enumerate(NAMES)]
    return [
        *holders,
        [LONG_NAME, nth_id(8), "T" + nth_id(8), "低压电工作业"],
        ["赵六", nth_id(9), "", "叉车司机"],
        ["钱七", nth_id(10), "", "起重机械指挥（桥式起重机、门式起重机）"],
        ["孙八", int(nth_id(11)[:-1] + "0"), "", "低压电工作业"],
        ["周九", bad_id, "", "低压电工作业"],
        ["吴十", nth_id(12), "", "高压带电作业（含倒闸操作、验电和挂接地线）"],
        ["12345", nth_id(13), "", "低压电工作业"],
        ["郑一", "", "", "低压电工作业"],
    ]


@pytest.fixture
def terminals() -> Iterator[list[Tmux]]:
    """The tmux servers a test starts, closed when it ends."""
    started: list[Tmux] = []
    yield started
    for term in started:
        term.close()


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    return write_roster(tmp_path)


def write_roster(tmp_path: Path) -> Path:
    """The roster of ``_rows`` as a workbook, and a registry file of the valid holders."""
    path = tmp_path / "花名册.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("特种作业人员")
    for c, head in enumerate(["姓名", "身份证号", "证号", "操作项目"]):
        ws.write_string(0, c, head)
    for r, row in enumerate(_rows(), start=1):
        for c, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(r, c, value)  # an ID stored as a number: its last digits lost
            else:
                ws.write_string(r, c, str(value))
    wb.close()
    write_registry(tmp_path / "registry.csv", [
        official(name, nth_id(i), due="2027-01-15" if i in (0, 8) else "2027-06-01")
        for i, name in enumerate([*NAMES, LONG_NAME])
    ])
    return path


def _verify_args(roster: Path) -> list[str]:
    return ["verify", str(roster), "--source", f"registry:{roster.parent / 'registry.csv'}",
            "--as-of", AS_OF, "--enterprise", "重庆市江津区德感机械制造有限公司",
            "-o", str(roster.parent / "花名册.register.xlsx")]


def _pieces(screen: str) -> list[str]:
    """Every line of the screen and, for a table row, each of its cells: what a reader sees
    start and end a line."""
    pieces: list[str] = []
    for line in screen.splitlines():
        parts = re.split(r"[│┃]", line)
        pieces += [p.strip() for p in parts if p.strip()] if len(parts) > 1 else [line.strip()]
    return [p for p in pieces if p and not set(p) <= set("━─┏┓┗┛┡┩└┘┬┴┼╇╈┳┻╋┃│ ")]


def _check_rules(screen: str, width: int) -> None:
    lines = screen.splitlines()
    assert all(cells(line) <= width for line in lines), screen
    for piece in _pieces(screen):
        assert piece[0] not in CLOSING, (width, piece, screen)
        assert piece[-1] not in OPENING, (width, piece, screen)
        assert not re.search(r"第\s*\d*$", piece), (width, piece, screen)  # 第 | 12 行
    # A number and its measure word (12 | 人) on two lines.
    for line, following in itertools.pairwise(lines):
        if re.search(r"\d$", line.rstrip()):
            assert not re.match(r"\s*[行人项天次个]", following), (width, line, following)


def _column(screen: str, header: str, after: str = "") -> str:
    """The text of the column headed ``header`` of the first table (below the line that says
    ``after``) that has it, its wrapped lines joined."""
    lines = screen.splitlines()
    below = next(i for i, line in enumerate(lines) if after in line)
    start = next(i for i, line in enumerate(lines) if i > below
                 and "┃" in line and header in [c.strip() for c in line.split("┃")])
    index = [c.strip() for c in lines[start].split("┃")].index(header)
    text = []
    for line in lines[start + 1:]:
        if line.startswith("┡") or line.startswith("┃"):
            continue
        if not line.startswith("│"):
            break
        text.append(line.split("│")[index].strip())
    return "".join(text)


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_verify_breaks_long_chinese_by_the_rules(
    roster: Path, terminals: list[Tmux], width: int
) -> None:
    screen, code, _ = _run_in_tmux(terminals, width, _verify_args(roster))
    assert code == 1, screen
    _check_rules(screen, width)
    # The input issues each start with their row, whole, on one line.
    for row in (13, 14, 16):
        assert any(f"第 {row} 行：" in line for line in screen.splitlines()), (row, screen)
    # The reasons, wrapped inside their cells, lose nothing and keep each reason's comma
    # beside the words before it.
    reasons = _column(screen, "原因")
    for reason in ("证书归其他部门核发，本数据源不能核验", "身份证号被存为数字，末位已丢失",
                   "花名册单元格无法识别", "缺少姓名或身份证号"):
        assert reason in reasons, (reason, reasons)
    # The long name wraps inside its cell, the masked ID beside it stays whole.
    names = _column(screen, "姓名", after="提示：即将到期或需复审")
    assert LONG_NAME in names
    assert mask_id(nth_id(8)) in screen


def _by_cells(line: str, start: int, end: int) -> str:
    """The part of a screen line between two cell columns."""
    shown, at = "", 0
    for char in line:
        if start <= at < end:
            shown += char
        at += cells(char)
    return shown


def _due_name(screen: str, masked_id: str) -> str:
    """The name in the row of ``due``'s list (no table rules) that shows ``masked_id``, its
    wrapped lines joined: the text between the row number and the ID, down to the next row."""
    lines = screen.splitlines()
    first = next(i for i, line in enumerate(lines) if masked_id in line)
    row = lines[first]
    name_end = cells(row[:row.index(masked_id)])
    name_start = cells(re.match(r"\s*\d+ ", row).group())  # type: ignore[union-attr]
    parts = [_by_cells(row, name_start, name_end)]
    for line in lines[first + 1:]:
        if re.match(r"\s*\d+ ", line) or not line.startswith(" "):
            break
        parts.append(_by_cells(line, name_start, name_end))
    return "".join(part.strip() for part in parts)


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_due_breaks_long_chinese_by_the_rules(
    roster: Path, terminals: list[Tmux], width: int
) -> None:
    import subprocess
    import sys

    # The register is written once, outside the terminal.
    done = subprocess.run([sys.executable, "-m", "certcheck", *_verify_args(roster)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    register = roster.parent / "花名册.register.xlsx"
    screen, code, _ = _run_in_tmux(terminals, width, ["due", str(register), "--within", "400",
                                                 "--as-of", AS_OF])
    assert code == 1, screen
    _check_rules(screen, width)
    assert _due_name(screen, mask_id(nth_id(8))) == LONG_NAME
    # Who is not listed, by verdict, each count whole beside its word.
    assert re.search(r"未核验 \d+ 人", screen), screen
    for line in screen.splitlines():
        assert not re.search(r"\d$", line.strip()) or re.search(r"\d{4}-\d{2}-\d{2}|\d+$",
                                                                line.strip())


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_sources_shows_how_a_registry_file_is_written(terminals: list[Tmux], width: int) -> None:
    screen, code, _ = _run_in_tmux(terminals, width, ["sources"])
    assert code == 0, screen
    _check_rules(screen, width)
    # How to write each built-in source stands whole on one line, not cut with "…".
    for written in ("registry:文件路径", "replay:文件夹", "command:程序"):
        assert any(written in line for line in screen.splitlines()), (written, screen)
    assert "…" not in screen


@needs_tmux
def test_an_error_message_breaks_by_the_rules_at_a_terminal(
    tmp_path: Path, terminals: list[Tmux]
) -> None:
    screen, code, _ = _run_in_tmux(terminals, 60, [
        "verify", str(tmp_path / "花名册.xlsx"), "--source", "registry:x.csv",
        "--enterprise", "重庆市江津区德感机械制造有限公司", "--concurrency", "0"])
    assert code == 2, screen
    _check_rules(screen, 60)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert len(lines) > 1  # broken by certcheck, each line within the terminal
    said = ("certcheck: --concurrency 的值无效：须在 1<=x<=64 范围内（0 is not in the range "
            "1<=x<=64）；用 certcheck verify --help 查看用法")
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", said)
    assert lines[0].startswith("certcheck: --concurrency 的值无效")
