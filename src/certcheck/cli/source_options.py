"""The options the command line gives a source: the common ones to every source, and the
national lookup's own (URL, captcha solver, timeout, recording folder) to it alone.

The solver is built here because the default one is a person at this terminal: the prompt is
the CLI's, and it shares the screen with the progress bar it is handed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from certcheck.sources.interface import LookupSource, SourceOptions
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.plugins import open_source
from certcheck.sources.samr_mapping import DEFAULT_BASE_URL as SAMR_URL
from certcheck.sources.samr_options import SamrOptions

if TYPE_CHECKING:  # the prompt (and asyncio with it) is loaded only for a source that asks
    from certcheck.cli.prompt import SharedTerminal


def interactive() -> bool:
    """Whether a person is there to be asked: both the keyboard and the screen are a terminal."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def open_chosen_source(
    spec: str,
    *,
    mem_url: str,
    captcha: str | None,
    timeout: float = 20.0,
    record_dir: Path | None = None,
    terminal: SharedTerminal | None = None,
    ids: frozenset[str] | None = None,
    samr_url: str = SAMR_URL,
) -> LookupSource:
    """The source ``--source`` names, given the options it declares (``options_type``).

    The captcha solver is only made for a source that takes one, so ``--captcha`` is neither
    loaded nor checked for a registry file, as before.
    """
    person = interactive()

    def options_for(cls: type[LookupSource]) -> SourceOptions:
        wanted = cls.options_type
        if issubclass(wanted, MemOptions):
            from certcheck.cli.prompt import load_solver

            return wanted(
                interactive=person,
                mem_url=mem_url,
                solver=load_solver(captcha, person, terminal=terminal),
                timeout=timeout,
                record_dir=record_dir,
                ids=ids,
            )
        if issubclass(wanted, SamrOptions):
            from certcheck.cli.slider_solvers import load_slider_solver

            return wanted(
                interactive=person,
                samr_url=samr_url,
                solver=load_slider_solver(captcha, person, terminal=terminal),
                timeout=timeout,
                ids=ids,
            )
        return SourceOptions(interactive=person, ids=ids)

    return open_source(spec, options_for=options_for)
