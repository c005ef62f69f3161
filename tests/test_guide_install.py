"""The README's install leaves certcheck in .venv, not on the PATH: the README and the guide
both say how to run it there, with the Windows forms, since both then write it as ``certcheck``."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("doc", [ROOT / "README.md", ROOT / "docs" / "使用说明.md"])
def test_the_documents_say_how_certcheck_gets_on_the_path(doc: Path) -> None:
    text = doc.read_text("utf-8")
    for form in ("source .venv/bin/activate", "pipx install .", "py -m venv .venv",
                 ".venv\\Scripts\\activate", ".venv\\Scripts\\certcheck.exe",
                 ".venv/bin/certcheck"):
        assert form in text, (doc.name, form)


def test_the_readme_s_first_command_is_kept() -> None:
    # The command a new user pastes first (tests/test_readme_examples.py runs it).
    assert ("python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/certcheck verify "
            "samples/roster.xlsx --source registry:samples/registry.csv --as-of 2026-12-01"
            ) in (ROOT / "README.md").read_text("utf-8")
