"""``certcheck --help`` lists every command without loading any of them (or httpx, rich, the
readers and writers); a command's module is loaded when that command runs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from click.testing import CliRunner

from certcheck.cli.app import COMMANDS, cli

HEAVY = ("httpx", "tenacity", "rich", "openpyxl", "python_calamine", "pandas", "xlsxwriter",
         "PIL", "logging", "importlib.metadata", "certcheck.sources", "certcheck.pipeline",
         "certcheck.check", "certcheck.roster", "certcheck.register", "certcheck.summary")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_line_is_the_commands_own_first_sentence(name: str) -> None:
    module, line = COMMANDS[name]
    importlib.import_module(module)
    command = cli.commands[name]
    assert command.callback is not None and command.callback.__module__ == module
    assert line == command.get_short_help_str(limit=10_000)


def test_every_command_is_in_the_table() -> None:
    for name in COMMANDS:
        importlib.import_module(COMMANDS[name][0])
    assert set(cli.commands) == set(COMMANDS)


def test_help_loads_no_command_and_no_heavy_library() -> None:
    code = ("import sys\nfrom certcheck.cli import main\ntry:\n    main()\nexcept SystemExit:\n"
            "    pass\nprint('LOADED', ' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True,
                          text=True, timeout=60)
    loaded = done.stdout.split("LOADED", 1)[1].split()
    assert "命令（Commands）：" in done.stdout
    assert not [m for m in loaded if m.startswith(HEAVY)]
    assert not [m for m in loaded if m in {module for module, _ in COMMANDS.values()}]


def test_a_command_is_loaded_when_it_runs() -> None:
    result = CliRunner().invoke(cli, ["sources"])
    assert result.exit_code == 0, result.output
    assert "certcheck.cli.sources" in sys.modules and "mem" in result.output


def test_a_misspelt_command_is_still_suggested_from_all_commands() -> None:
    result = CliRunner().invoke(cli, ["verfy"])
    assert result.exit_code == 2
    assert "没有命令 verfy，是否想用 verify？（No such command）" in result.output
