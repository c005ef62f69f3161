"""The verdict → exit code mapping belongs to the CLI; the register only says what was found."""

from __future__ import annotations

import pytest

import certcheck.register.model as register_model
from certcheck.cli.exit_codes import ExitCode, exit_code_of
from certcheck.models import Status
from certcheck.register.model import Verdict


def _verdict(**counts: int) -> Verdict:
    by_status = {s: counts.get(s.name.lower(), 0) for s in Status}
    return Verdict(total=sum(by_status.values()), counts=by_status)


@pytest.mark.parametrize(("counts", "code"), [
    ({"valid": 3}, ExitCode.COMPLIANT),
    ({"valid": 2, "fake": 1}, ExitCode.VIOLATIONS),
    ({"valid": 2, "expired": 1, "unverified": 4}, ExitCode.VIOLATIONS),
    ({"valid": 2, "unverified": 1}, ExitCode.INCOMPLETE),
    ({}, ExitCode.INCOMPLETE),
])
def test_each_verdict_has_its_documented_exit_code(counts: dict[str, int], code: int) -> None:
    assert exit_code_of(_verdict(**counts)) == code


def test_the_register_knows_no_process_exit_codes() -> None:
    assert not hasattr(register_model, "ExitCode")
    assert not hasattr(Verdict, "exit_code")
    assert (ExitCode.USAGE, ExitCode.BAD_INPUT, ExitCode.INTERRUPTED) == (2, 4, 130)
