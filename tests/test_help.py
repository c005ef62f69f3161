"""``--help`` for every command and option: Chinese first, none blank, none cut off in the
command list, and laid out for the terminal it is read in (60 and 80 columns).

The rule is checked on every command the group holds, as loaded: a command added later without
Chinese help (its description, an option's help) fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata

import click
import pytest
from click.testing import CliRunner

import certcheck.cli
from certcheck.cli import cli
from certcheck.cli.app import COMMANDS as LISTED
from certcheck.cli.linebreak import cells

# Every command module attaches itself to the group when imported, as main() does.
for _module in pkgutil.iter_modules(certcheck.cli.__path__):
    importlib.import_module(f"certcheck.cli.{_module.name}")

COMMANDS = sorted(cli.commands)
#: The marks no line may start with, and those no line may end with.
CLOSING = "，。、；：”）】！？》」』"
OPENING = "（【“《「『"


def _help(*args: str, width: int) -> str:
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(
        cli, [*args, "--help"], terminal_width=width, prog_name="certcheck")
    assert result.exit_code == 0, result.output
    return result.output


def _cjk(char: str) -> bool:
    return bool(char) and unicodedata.east_asian_width(char) in ("W", "F") and unicodedata.category(
        char).startswith("L")


def _chinese_first(text: str) -> bool:
    """Whether a reader meets Chinese first: the first word of letters is Chinese, once the
    names a person types as they are (``certcheck``, an option, an argument such as ROSTER,
    a value such as ``prompt``, ``mem``) are set aside; and there are Chinese words at all."""
    words = re.sub(r"certcheck|--?[\w-]+|\b[A-Z][A-Z.-]+\b", " ", text)
    first = next((c for c in words if unicodedata.category(c).startswith("L")), "")
    return _cjk(first) and sum(_cjk(c) for c in text) >= 2


def _every_command() -> list[tuple[str, click.Command]]:
    return [("certcheck", cli), *((f"certcheck {name}", cli.commands[name]) for name in COMMANDS)]


def _shown_params(command: click.Command) -> list[click.Option]:
    """The options a command lists (the help option, which every command has, is checked in
    the output)."""
    return [p for p in command.params if isinstance(p, click.Option) and not p.hidden]


def test_the_commands_a_user_needs_are_there() -> None:
    assert {"verify", "lookup", "summary", "due", "sources"} <= set(COMMANDS)


def test_the_rule_tells_chinese_first_from_english_first() -> None:
    assert _chinese_first("核验花名册中的每名人员（check a roster）")
    assert _chinese_first("数据源：mem（国家查询平台）")
    assert _chinese_first("ROSTER 是人员花名册")
    assert _chinese_first("certcheck — 特种作业操作证核验")
    assert not _chinese_first("Check every worker of ROSTER (核验花名册)")
    assert not _chinese_first("mem (national lookup), registry:PATH")
    assert not _chinese_first("Show this message and exit.")
    assert not _chinese_first("")


@pytest.mark.parametrize(("path", "command"), _every_command(), ids=lambda v: str(v))
def test_every_help_is_chinese_first(path: str, command: click.Command) -> None:
    assert _chinese_first(command.help or ""), f"{path}: {command.help!r}"
    assert _chinese_first(command.get_short_help_str(limit=10_000)), path
    for param in _shown_params(command):
        assert _chinese_first(param.help or ""), f"{path} {param.opts[0]}: {param.help!r}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help(name: str) -> None:
    command = cli.commands[name]
    assert (command.help or "").strip(), f"{name} has no help"
    for param in _shown_params(command):
        assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help"
    text = _help(name, width=100)
    # Every option is listed with its text: no line that is only an option's name.
    for line in text.splitlines():
        if line.startswith("  -"):
            assert len(line.split()) > 2 or "  " in line.strip(), line


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("args", [(), *((name,) for name in COMMANDS)], ids=str)
def test_help_fits_the_terminal_and_breaks_by_the_chinese_rules(
    args: tuple[str, ...], width: int
) -> None:
    text = _help(*args, width=width)
    for line in text.splitlines():
        assert cells(line) <= width, (width, line)
        body = line.strip()
        assert not body or body[0] not in CLOSING, (width, line)
        assert not body or body[-1] not in OPENING, (width, line)
    # click's English headings are gone; the Chinese ones say what follows.
    assert "Usage:" not in text and "Options:" not in text and "[default:" not in text
    assert text.startswith("用法（Usage）：certcheck")
    assert "选项（Options）：" in text and "显示本帮助并退出" in text


@pytest.mark.parametrize("width", [60, 80, 200])
def test_the_command_list_shows_each_first_sentence_whole(width: int) -> None:
    text = _help(width=width)
    listing = text.split("命令（Commands）：", 1)[1].split("退出码", 1)[0]
    flat = re.sub(r"\s", "", listing)
    assert "..." not in listing
    for name in COMMANDS:
        first = cli.commands[name].get_short_help_str(limit=10_000)
        assert re.sub(r"\s", "", first) in flat, (name, first)


def test_the_listed_first_sentences_are_chinese_first() -> None:
    for name, (_, line) in LISTED.items():
        assert _chinese_first(line), name


def test_the_exit_codes_are_listed_in_chinese() -> None:
    text = _help(width=80)
    codes = text.split("退出码（exit codes）：", 1)[1]
    rows = [line.split(None, 1) for line in codes.strip().splitlines()]
    assert [code for code, _ in rows] == ["0", "1", "2", "3", "4", "130"]
    meanings = dict(rows)
    assert meanings["0"].startswith("合规") and meanings["1"].startswith("不合规")
    assert meanings["3"].startswith("不完整") and meanings["130"].startswith("已中断")
    assert all(_chinese_first(meaning) for meaning in meanings.values())


def test_an_options_default_and_range_are_said_in_chinese() -> None:
    text = " ".join(_help("verify", width=100).split())
    assert "[默认：4；范围：1<=x<=64]" in text
    assert "[环境变量：CERTCHECK_CACHE_DIR]" in text
    assert "[必填]" in " ".join(_help("lookup", width=100).split())


def test_lookup_mem_url_is_explained() -> None:
    text = " ".join(_help("lookup", width=100).split())
    assert re.search(r"--mem-url 网址 国家查询平台的地址（base URL of the national lookup）", text)
