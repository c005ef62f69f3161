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


#: What each exit code means, for ``certcheck --help``: Chinese first, the English term after.
MEANINGS: tuple[tuple[int, str], ...] = (
    (ExitCode.COMPLIANT, "合规：全部人员证书有效（compliant）"),
    (ExitCode.VIOLATIONS, "不合规：有逾期、假证或无证人员（violations）"),
    (ExitCode.USAGE, "用法错误：选项或参数有误（usage error）"),
    (ExitCode.INCOMPLETE, "不完整：未发现违规，但有人员未核验（incomplete）"),
    (ExitCode.BAD_INPUT, "输入无法使用，或输出无法写入（unusable input）"),
    (ExitCode.INTERRUPTED, "已中断，Ctrl-C（interrupted）"),
)


def exit_code_of(verdict: Verdict) -> int:
    """Violations outrank gaps: one fake worker is exit 1 even when others are unverified, and
    an empty check (nobody verified) is incomplete, never compliant."""
    if verdict.violations:
        return ExitCode.VIOLATIONS
    if not verdict.complete or not verdict.total:
        return ExitCode.INCOMPLETE
    return ExitCode.COMPLIANT
