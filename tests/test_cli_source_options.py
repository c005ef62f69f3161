"""Each source gets the options it declares: the national lookup's own (URL, solver, timeout,
recording folder) are built for it alone, and the prompt is wired by passing objects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from certcheck.cli.prompt import PromptSolver, load_solver
from certcheck.cli.source_options import open_chosen_source
from certcheck.sources import captcha
from certcheck.sources.interface import LookupSource, SourceOptions
from certcheck.sources.mem import MemSource
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.registry import RegistrySource

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_mem_gets_its_own_options(tmp_path: Path) -> None:
    source = open_chosen_source("mem", mem_url="http://127.0.0.1:9", captcha="command:true",
                                timeout=3.5, record_dir=tmp_path / "rec")
    assert isinstance(source, MemSource)
    assert (source.base_url, source.timeout, source.record_dir) == (
        "http://127.0.0.1:9", 3.5, tmp_path / "rec")
    assert isinstance(source.solver, captcha.CommandSolver)


def test_other_sources_see_only_the_common_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SourceOptions] = []
    original = RegistrySource.from_spec.__func__  # type: ignore[attr-defined]

    def spy(cls: type[RegistrySource], arg: str | None, options: SourceOptions) -> LookupSource:
        seen.append(options)
        return original(cls, arg, options)  # type: ignore[no-any-return]

    monkeypatch.setattr(RegistrySource, "from_spec", classmethod(spy))
    # A --captcha that names nothing is not even loaded for a registry file, as before.
    source = open_chosen_source(f"registry:{SAMPLES / 'registry.csv'}", mem_url="x",
                                captcha="no-such-solver")
    assert isinstance(source, RegistrySource)
    assert [type(o) for o in seen] == [SourceOptions]
    assert not isinstance(seen[0], MemOptions)


def test_mem_without_a_solver_fails_lookups_instead_of_asking_nobody() -> None:
    source = MemSource.from_spec(None, SourceOptions(interactive=True))
    assert isinstance(source.solver, captcha.NoSolver)


def test_the_prompt_is_handed_what_it_shares_the_terminal_with() -> None:
    class Bar:
        def suspended(self) -> object:
            raise AssertionError("not used here")

        def status_line(self) -> str | None:
            return "还剩 1 次查询"

    bar = Bar()
    for spec in (None, "prompt", "viewer"):
        solver = load_solver(spec, True, terminal=bar)  # type: ignore[arg-type]
        assert isinstance(solver, PromptSolver) and solver._terminal is bar
    assert not hasattr(captcha, "set_terminal_guard") and not hasattr(captcha, "set_status_line")


def test_sources_load_nothing_that_prints() -> None:
    # Not rich or click themselves: httpx brings them along for its own command line.
    code = ("import sys, certcheck.sources.mem, certcheck.sources.replay, "
            "certcheck.sources.registry, certcheck.sources.captcha; "
            "print(sorted(m for m in sys.modules if m.startswith(('certcheck.cli', 'PIL'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
