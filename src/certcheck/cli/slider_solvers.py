"""``--captcha`` for a source with a slider captcha (``samr``): the spec → a ``SliderSolver``.

The names are those of the ``certcheck.slider_solvers`` group: ``slider-web``, ``slider-prompt``,
``command:PROGRAM`` and plugins. The image captcha's names mean the same there: ``prompt`` is
``slider-prompt`` (ask at the terminal), ``viewer`` is ``slider-web`` (show it on the desktop).
"""

from __future__ import annotations

import os
from typing import cast

from certcheck.cli.prompt import SharedTerminal, desktop_opener
from certcheck.sources.plugins import SLIDER_GROUP, construct, load_plugin
from certcheck.sources.slider import NoSliderSolver, SliderSolver

#: The image captcha's solver names, as a slider's.
ALIASES = {"prompt": "slider-prompt", "viewer": "slider-web"}
NO_PERSON = ("没有终端可询问滑块（nobody at a terminal to slide it）；请在终端中运行 certcheck，"
             "或使用 --captcha slider-web 或 --captcha command:程序")


def load_slider_solver(
    spec: str | None, interactive: bool, *, terminal: SharedTerminal | None = None
) -> SliderSolver:
    """The solver ``spec`` names; with none, the person: on a page in the browser where there is
    a desktop, else at the terminal; with nobody there, a solver that makes every lookup fail as
    ``captcha_failed`` saying why. SourceError for an unknown or broken solver."""
    from certcheck.cli.slider_prompt import PromptSliderSolver
    from certcheck.cli.slider_web import WebSliderSolver

    if spec is None or not spec.strip():
        if not interactive:
            return NoSliderSolver(NO_PERSON)
        if desktop_opener() is not None or os.environ.get("BROWSER"):
            return WebSliderSolver(terminal=terminal)
        return PromptSliderSolver(terminal=terminal)
    name, sep, arg = spec.strip().partition(":")
    name = ALIASES.get(name, name)
    entry, found = load_plugin(SLIDER_GROUP, name, SliderSolver)
    loaded = cast("type[SliderSolver]", found)
    given = arg if sep else None
    if issubclass(loaded, PromptSliderSolver | WebSliderSolver):
        asking = loaded
        return construct(entry, lambda: asking.from_spec(
            given, interactive=interactive, terminal=terminal), SliderSolver)
    return construct(entry, lambda: loaded.from_spec(given, interactive=interactive),
                     SliderSolver)
