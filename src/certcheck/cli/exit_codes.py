"""The process exit codes of SPEC.md, and the verdict each one stands for.

Only the CLI ends the process, so only the CLI knows these numbers: ``register`` says what was
found (the ``Verdict``), and this module says what a script calling certcheck gets for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the verdict's module is not needed to say ``--help``
    from certcheck.register.model import Verdict


class ExitCode:
    """The exit codes of SPEC.md, in one place."""

    COMPLIANT = 0
    VIOLATIONS = 1
    USAGE = 2
    INCOMPLETE = 3
    BAD_INPUT = 4
    INTERRUPTED = 130


def exit_code_of(verdict: Verdict) -> int:
    """Violations outrank gaps: one fake worker is exit 1 even when others are unverified, and
    an empty check (nobody verified) is incomplete, never compliant."""
    if verdict.violations:
        return ExitCode.VIOLATIONS
    if not verdict.complete or not verdict.total:
        return ExitCode.INCOMPLETE
    return ExitCode.COMPLIANT
