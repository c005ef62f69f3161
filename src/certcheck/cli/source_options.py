"""The options the command line gives a source: the common ones to every source, and the
national lookup's own (URL, captcha solver, timeout, recording folder) to it alone.

The solver is built here because the default one is a person at this terminal: the prompt is
the CLI's, and it shares the screen with the progress bar it is handed.

Several sources in one run (``--source mem,samr``) each get their own solver: ``--captcha
SOURCE=SOLVER`` names it for one source; a value without ``SOURCE=`` goes to every source whose
kind of captcha it answers (``slider-web`` and ``slider-prompt`` only to a slider, a plugin of
one kind only to that kind; ``prompt``, ``viewer`` and ``command:`` to both). The solvers that
ask the person take turns with each other, so that one puzzle at a time is on the screen.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from certcheck.cli.app import UserError
from certcheck.cli.exit_codes import ExitCode
from certcheck.sources.interface import LookupSource, SourceOptions
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.plugins import GROUP, SLIDER_GROUP, SOLVER_GROUP, available, open_source
from certcheck.sources.samr_mapping import DEFAULT_BASE_URL as SAMR_URL
from certcheck.sources.samr_options import SamrOptions
from certcheck.sources.several import OverlapError, SourceSet, split_specs

if TYPE_CHECKING:  # the prompt (and asyncio with it) is loaded only for a source that asks
    from certcheck.cli.prompt import SharedTerminal
    from certcheck.sources.captcha import SolverBase


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
    return _open(spec, lambda name, kind: captcha, mem_url=mem_url, timeout=timeout,
                 record_dir=record_dir, terminal=terminal, ids=ids, samr_url=samr_url)


#: What kind of captcha a source asks: an image to read (``mem``) or a slider (``samr``).
CaptchaKind = Literal["image", "slider"]


def _open(
    spec: str,
    captcha_for: Callable[[str, CaptchaKind], str | None],
    *,
    mem_url: str,
    timeout: float,
    record_dir: Path | None,
    terminal: SharedTerminal | None,
    ids: frozenset[str] | None,
    samr_url: str,
    made: list[SolverBase] | None = None,
) -> LookupSource:
    person = interactive()

    def options_for(cls: type[LookupSource]) -> SourceOptions:
        wanted = cls.options_type
        if issubclass(wanted, MemOptions):
            from certcheck.cli.prompt import load_solver

            solver = load_solver(captcha_for(cls.name, "image"), person, terminal=terminal)
            if made is not None:
                made.append(solver)
            return wanted(
                interactive=person,
                mem_url=mem_url,
                solver=solver,
                timeout=timeout,
                record_dir=record_dir,
                ids=ids,
            )
        if issubclass(wanted, SamrOptions):
            from certcheck.cli.slider_solvers import load_slider_solver

            slider = load_slider_solver(captcha_for(cls.name, "slider"), person,
                                        terminal=terminal)
            if made is not None:
                made.append(slider)
            return wanted(
                interactive=person,
                samr_url=samr_url,
                solver=slider,
                timeout=timeout,
                ids=ids,
            )
        return SourceOptions(interactive=person, ids=ids)

    return open_source(spec, options_for=options_for)


def open_chosen_sources(
    values: Sequence[str],
    *,
    mem_url: str,
    captchas: Sequence[str] = (),
    timeout: float = 20.0,
    record_dir: Path | None = None,
    terminal: SharedTerminal | None = None,
    ids: frozenset[str] | None = None,
    samr_url: str = SAMR_URL,
) -> SourceSet:
    """The sources ``--source`` names (repeated, or joined by commas), each with its own
    options and solver, as a ``SourceSet``. A usage mistake (a source serving nothing, a
    ``--captcha`` for no source or for two) is ``UserError`` exit 2."""
    specs = (split_specs(values, available(GROUP)) if any("," in v for v in values)
             else [v.strip() for v in values])
    names = [spec.partition(":")[0].strip() for spec in specs]
    choice = CaptchaChoice(captchas, names)
    solvers: list[SolverBase] = []
    sources = [
        _open(spec, choice.for_source, mem_url=mem_url, timeout=timeout,
              record_dir=record_dir, terminal=terminal, ids=ids, samr_url=samr_url,
              made=solvers)
        for spec in specs
    ]
    choice.check_all_used()
    try:
        chosen = SourceSet.of(sources)
    except OverlapError as exc:
        raise UserError(str(exc), ExitCode.USAGE) from None
    _take_turns(solvers)
    return chosen


def _take_turns(solvers: list[SolverBase]) -> None:
    """The solvers that ask the person at this computer show one puzzle at a time, whichever
    source it is for: one person, one screen."""
    # Fewer than two solvers share nothing: the prompt modules (asyncio, ssl) stay unloaded,
    # as a run on a registry file needs none of them.
    if len(solvers) < 2:
        return
    from certcheck.cli.prompt import PromptSolver
    from certcheck.cli.slider_prompt import PromptSliderSolver
    from certcheck.cli.slider_web import WebSliderSolver
    from certcheck.sources.captcha import share_turns

    asking = [s for s in solvers
              if isinstance(s, PromptSolver | PromptSliderSolver | WebSliderSolver)]
    if len(asking) > 1:
        share_turns(asking)


# ``mem=prompt``: a source's name, then ``=``. ``command:x --y=1`` is no such thing: its name
# is followed by ``:``.
_FOR_SOURCE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.-]*)\s*=(.*)", re.DOTALL)


class CaptchaChoice:
    """Which ``--captcha`` value each source of the run gets."""

    def __init__(self, values: Sequence[str], names: Sequence[str]) -> None:
        self.names = list(names)
        self.single = len(self.names) == 1
        self.explicit: dict[str, str] = {}
        self.plain: list[str] = []
        for value in values:
            match = _FOR_SOURCE.fullmatch(value)
            if match is None:
                self.plain.append(value)
                continue
            name, solver = match.group(1), match.group(2).strip()
            if name not in self.names:
                raise UserError(
                    f"--captcha {value}：本次没有使用数据源 {name}"
                    f"（no source {name} in this run: {'、'.join(self.names)}）",
                    ExitCode.USAGE,
                )
            if name in self.explicit:
                raise UserError(f"--captcha 为数据源 {name} 给了两次（given twice for {name}）",
                                ExitCode.USAGE)
            self.explicit[name] = solver
        if self.single and len(self.plain) + len(self.explicit) > 1:
            raise UserError("--captcha 给了多个值，本次只有一个数据源（one source, one "
                            "--captcha）", ExitCode.USAGE)
        self.used: set[str] = set()
        self.taken: set[str] = set()

    def for_source(self, name: str, kind: CaptchaKind) -> str | None:
        """The value for a source of ``kind`` called ``name``; None: its default."""
        if name in self.explicit:
            self.taken.add(name)
            return self.explicit[name]
        if self.single:
            # One source: the one value is its own, whatever kind it names (an unknown
            # solver is reported by its loader, as before).
            for value in self.plain:
                self.used.add(value)
            return self.plain[0] if self.plain else None
        fitting = [v for v in self.plain if kind in _kinds(v)]
        if len(fitting) > 1:
            only = [v for v in fitting if _kinds(v) == {kind}]
            if len(only) != 1:
                raise UserError(
                    f"--captcha 有多个值可用于数据源 {name}（{'、'.join(fitting)}）；请写成 "
                    f"--captcha {name}=…（several values fit {name}）", ExitCode.USAGE,
                )
            fitting = only
        if not fitting:
            return None
        self.used.add(fitting[0])
        return fitting[0]

    def check_all_used(self) -> None:
        """Every value went to some source: a value no source takes is a mistake."""
        for name in self.explicit:
            if name not in self.taken:
                raise UserError(f"--captcha {name}=…：数据源 {name} 不用验证码"
                                f"（{name} takes no captcha）", ExitCode.USAGE)
        for value in self.plain:
            # One source takes a value it has no use for quietly, as before (a registry).
            if value not in self.used and not self.single:
                raise UserError(f"--captcha {value}：本次的数据源都不用这种验证码"
                                "（no source of this run takes it）", ExitCode.USAGE)


def _kinds(value: str) -> set[CaptchaKind]:
    """The kinds of captcha a solver's name answers: by the groups that hold it."""
    from certcheck.cli.slider_solvers import ALIASES

    name = value.strip().partition(":")[0].strip()
    kinds: set[CaptchaKind] = set()
    if name in available(SOLVER_GROUP):
        kinds.add("image")
    if name in available(SLIDER_GROUP) or name in ALIASES:
        kinds.add("slider")
    # A name nobody knows goes to every source, whose loader says it is unknown.
    return kinds or {"image", "slider"}
