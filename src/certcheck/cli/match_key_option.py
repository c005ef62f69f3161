"""``--match-key-file``, the district's match key, as ``verify`` and ``summary`` both take it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from certcheck.cli.app import UserError
from certcheck.cli.exit_codes import ExitCode
from certcheck.matchkey import KEY_ENV, MatchKey, MatchKeyError, load_key

_F = TypeVar("_F", bound=Callable[..., Any])


def match_key_option(help_text: str) -> Callable[[_F], _F]:
    return click.option(
        "--match-key-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help=f"{help_text}（默认读环境变量 {KEY_ENV}）",
    )


def match_key(path: Path | None) -> MatchKey | None:
    """The key from ``--match-key-file`` or the environment; a key that cannot be used stops the
    command before any work."""
    try:
        return load_key(path)
    except MatchKeyError as exc:
        raise UserError(str(exc), ExitCode.USAGE) from None
