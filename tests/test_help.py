"""``--help`` for every command and option: none blank, none cut off in the command list."""

from __future__ import annotations

import importlib
import pkgutil
import re

import click
import pytest
from click.testing import CliRunner

import certcheck.cli
from certcheck.cli import cli

# Every command module attaches itself to the group when imported, as main() does.
for _module in pkgutil.iter_modules(certcheck.cli.__path__):
    importlib.import_module(f"certcheck.cli.{_module.name}")

COMMANDS = sorted(cli.commands)


def _help(*args: str, width: int) -> str:
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(cli, [*args, "--help"],
                                                           terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_commands_a_user_needs_are_there() -> None:
    assert {"verify", "lookup", "summary", "due", "sources"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_help(name: str) -> None:
    command = cli.commands[name]
    assert (command.help or "").strip(), f"{name} has no help"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help"
    text = _help(name, width=100)
    # Every option is listed with its text: no line that is only an option's name.
    for line in text.splitlines():
        if line.startswith("  -"):
            assert len(line.split()) > 2 or "  " in line.strip(), line


@pytest.mark.parametrize("width", [60, 80, 200])
def test_the_command_list_shows_each_first_sentence_whole(width: int) -> None:
    text = _help(width=width)
    listing = " ".join(text.split("Commands:", 1)[1].split())
    assert "..." not in listing
    for name in COMMANDS:
        first = cli.commands[name].get_short_help_str(limit=10_000)
        assert first in listing, (name, first)


def test_lookup_mem_url_is_explained() -> None:
    text = " ".join(_help("lookup", width=100).split())
    assert re.search(r"--mem-url TEXT Base URL of the national lookup", text)
