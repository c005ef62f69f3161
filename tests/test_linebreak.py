"""Line breaking by the rules of Chinese text (禁则): the breaking function, and rich using it.

What a reader would notice in a narrow terminal: a line starting with “，” or “）”, a line ending
with “（”, “第 12 行” split over two lines, a masked ID or a date cut in two, or text lost.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from certcheck.cli.linebreak import breaks, cells, char_cells, narrowest, wrap
from certcheck.cli.rich_breaking import BreakingConsole
from certcheck.cli.screen import console as make_console

#: The marks the issue names: none may start a line.
CLOSING = "，。、；：”）】！？》」』"
#: And none of these may end one.
OPENING = "（【“《「『"

HAN = "人员证书核验有效期复审作业类别操作项目低压电工焊接与热切割高处登记表花名册单位名称重庆市应急管理局"
WORDS = ["unverified", "ok", "registry", "due_soon", "T500381", "2026-12-01"]


def _breaks_rules(line: str) -> list[str]:
    """What is wrong with one line of a wrapped text (the rules a reader would see broken)."""
    wrong = []
    if line and line[0] in CLOSING:
        wrong.append(f"starts with {line[0]}")
    if line.rstrip() and line.rstrip()[-1] in OPENING:
        wrong.append(f"ends with {line.rstrip()[-1]}")
    return wrong


# --- examples a reader knows -------------------------------------------------------------------

MESSAGE = ("第 28 行：身份证号被存成了数字（500381********0000），末几位已丢失，无法核验；"
           "请把该列设为文本格式并重新录入")


@pytest.mark.parametrize("width", range(10, 61))
def test_a_roster_issue_breaks_by_the_rules_at_every_width(width: int) -> None:
    lines = wrap(MESSAGE, width)
    assert "".join(lines) == MESSAGE
    assert all(cells(line) <= width for line in lines)
    # 第 28 行 is never split; nor the masked ID, once a line can hold it.
    assert any("第 28 行：" in line for line in lines)
    if width >= cells("500381********0000"):
        assert any("500381********0000" in line for line in lines), lines
    # The marks' rules hold wherever a line can hold the ID with its brackets and comma.
    if width >= cells("（500381********0000），"):
        assert all(not _breaks_rules(line) for line in lines), (width, lines)


def test_a_number_too_wide_for_its_line_with_its_marks_stays_whole() -> None:
    # Rather "，" at a line's start than a date read as 2028-05-0 and 1.
    assert wrap("有效期至 2028-05-01，请在此之前复审", 11) == [
        "有效期至", "2028-05-01", "，请在此之", "前复审"]


def test_the_old_breaks_are_gone() -> None:
    # What rich did at 60 columns: "第 11" at a line's end and "行：…" under it, a line that
    # was only "”", a line starting with "，无法核验".
    issue = "  第 11 行：姓名“买买提・艾力”中的空格、全角或间隔号已统一为“买买提·艾力”"
    lines = wrap(issue, 60)
    assert lines[0].startswith("  第 11 行：姓名")
    mapped = ("读取 roster.xlsx [花名册]: 30 人；列: 姓名←“姓名”，身份证号←“身份证号码（18位）”，"
              "证号←“证号”，作业类别←“作业类别”，操作项目←“操作项目”，有效期结束←“有效期至”")
    lines = wrap(mapped, 60)
    assert all(not _breaks_rules(line) for line in lines), lines
    assert "有效期至”" in lines[-1] and lines[-1] != "”"
    assert any("30 人；" in line for line in lines)


@pytest.mark.parametrize(("text", "unit"), [
    ("请核对花名册第 12 行的身份证号，并重新核验该人员的证书", "第 12 行"),
    ("请核对花名册第12行的身份证号，并重新核验该人员的证书", "第12行"),
    ("共有需处理的人员 15 人，其中假证 3 人，请尽快处理", "15 人"),
    ("共有需处理的人员 15 人，其中假证 3 人，请尽快处理", "3 人"),
    ("证书的应复审日期为2026年12月1日，请在此之前复审", "2026年12月1日"),
    ("证书的有效期至 2028-05-01，请在此之前复审，逾期作废", "2028-05-01"),
    ("持证人员的身份证号为 500381********1234，证号另行核对", "500381********1234"),
    ("本地登记文件中的官方记录：registry:文件路径 (a local registry file)", "registry:文件路径"),
    ("已写入登记表：德感机械-自查.register.xlsx，请打印后签字", "德感机械-自查.register.xlsx"),
    ("预计约 2分10秒后完成，请不要关闭窗口", "2分10秒"),
])
@pytest.mark.parametrize("width", range(10, 41))
def test_a_unit_is_never_split_when_a_line_can_hold_it(text: str, unit: str, width: int) -> None:
    if cells(unit) > width:
        return
    lines = wrap(text, width)
    assert any(unit in line for line in lines), (width, lines)


def test_a_break_is_never_before_a_closing_mark_nor_after_an_opening_one() -> None:
    # At each width the natural break would fall right before "，" or right after "（".
    text = "甲乙丙丁，戊己（庚辛）壬癸。"
    for width in range(4, 20):
        lines = wrap(text, width)
        assert "".join(lines) == text
        assert all(not _breaks_rules(line) for line in lines), (width, lines)


def test_spaces_at_a_break_are_dropped_and_latin_words_stay_whole() -> None:
    assert wrap("核验结论 unverified because the lookup failed", 16) == [
        "核验结论", "unverified", "because the", "lookup failed"]
    # Chinese and English break between each other, as Chinese typesetting does.
    assert wrap("未核验（unverified）", 14) == ["未核验", "（unverified）"]


def test_a_line_feed_starts_a_new_line_and_leading_spaces_stay() -> None:
    assert wrap("  第 1 行\n  第 2 行", 40) == ["  第 1 行", "  第 2 行"]


def test_a_unit_wider_than_the_line_is_cut_rather_than_overflowing() -> None:
    lines = wrap("文件路径：/a/very/long/folder/name/花名册.xlsx", 12)
    assert all(cells(line) <= 12 for line in lines)
    assert "".join(lines) == "文件路径：/a/very/long/folder/name/花名册.xlsx"
    # Without folding, the unit keeps a line of its own (for the caller to shorten).
    text = "原因：abcdefghijklmnop。"
    offsets = breaks(text, 8, fold=False)
    assert [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)] == [
        "原因：", "abcdefghijklmnop。"]


def test_the_narrowest_is_the_widest_unit() -> None:
    assert narrowest("核验（500381********1234）结果") == cells("（500381********1234）")
    assert narrowest("第 12 行：缺少证号") == cells("第 12 行：")
    assert narrowest("") == 0


def test_cells_agree_with_rich_on_what_the_tool_prints() -> None:
    sample = (HAN + CLOSING + OPENING + "‘’…—·・％　abcXYZ0123 -*/:←━┃│" + "\u2060\u200b\u0301")
    for char in sample:
        assert char_cells(char) == cell_len(char), (char, hex(ord(char)))


# --- property: random Chinese text with punctuation ---------------------------------------------

_han = st.sampled_from(HAN)
#: A clause as Chinese is written: characters, sometimes an opening mark before one and closing
#: marks after one (at most two in a row, as in "）。" or "”，"), Latin words and numbers.
_piece = st.one_of(
    st.text(_han, min_size=1, max_size=6),
    st.tuples(st.sampled_from(OPENING), st.text(_han, min_size=1, max_size=4)).map("".join),
    st.tuples(_han, st.text(st.sampled_from(CLOSING + "…"), min_size=1, max_size=2)).map("".join),
    st.tuples(st.sampled_from(OPENING), _han, st.sampled_from(CLOSING)).map("".join),
    st.sampled_from(WORDS).map(lambda w: f" {w} "),
    st.integers(1, 999).map(lambda n: f"第 {n} 行"),
    st.tuples(st.integers(0, 99), st.sampled_from("人项天次")).map(lambda t: f"{t[0]} {t[1]}"),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_piece, min_size=1, max_size=40).map("".join), st.integers(12, 80))
def test_no_line_starts_with_a_closing_mark_and_no_text_is_lost(text: str, width: int) -> None:
    lines = wrap(text, width)
    # Every character is kept; only the spaces where a line broke are dropped.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert not _breaks_rules(line), (width, lines)
        assert cells(line) <= width, (width, lines)
    for unit in re.findall(r"第 \d+ 行|(?<![0-9A-Za-z-])\d+ [人项天次]", text):
        assert any(unit in line for line in lines), (unit, width, lines)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
       st.integers(1, 40))
def test_any_text_is_kept_whole_and_breaking_always_ends(text: str, width: int) -> None:
    offsets = breaks(text.replace("\n", " "), width)
    assert offsets == sorted(set(offsets))
    assert all(0 < o < len(text) for o in offsets)


# --- rich, through the console certcheck makes -------------------------------------------------

def _rich(renderable: object, width: int) -> list[str]:
    out = io.StringIO()
    console = BreakingConsole(file=out, width=width, force_terminal=False, color_system=None)
    console.print(renderable)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [44, 60, 80])
def test_rich_messages_and_table_cells_break_by_the_rules(width: int) -> None:
    for line in _rich(MESSAGE, width):
        assert not _breaks_rules(line.strip()), line
    table = Table()
    table.add_column("行", no_wrap=True)
    table.add_column("原因", overflow="fold")
    table.add_row("28", MESSAGE)
    table.add_row("29", Text("证书归其他部门核发，本数据源不能核验（other authority）"))
    lines = _rich(table, width)
    assert all(cell_len(line) <= width for line in lines)
    reasons = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert all(not _breaks_rules(reason) for reason in reasons), reasons
    assert any("第 28 行：" in reason for reason in reasons)
    assert "".join(reasons).replace(" ", "") == (
        MESSAGE + "证书归其他部门核发，本数据源不能核验（other authority）").replace(" ", "")


def test_markup_and_styles_survive_the_breaking() -> None:
    out = io.StringIO()
    console = BreakingConsole(file=out, width=20, force_terminal=True, color_system="standard")
    console.print("[red]假证[/]：查无此证，请核对证号（fake）")
    shown = out.getvalue()
    assert "\x1b[31m假证\x1b[0m" in shown
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert all(not _breaks_rules(line) for line in plain.splitlines())


def test_a_file_or_a_pipe_still_gets_one_line_per_message() -> None:
    out = io.StringIO()
    make_console(file=out).print(MESSAGE * 3)
    assert out.getvalue() == MESSAGE * 3 + "\n"
