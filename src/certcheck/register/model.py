"""The register model every writer and reader works from, and the verdict it implies.

The verdict says what was found; the exit code a process ends with is the CLI's
(``certcheck.cli.exit_codes``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from certcheck.matchkey import MatchKey
from certcheck.models import EVERY_REGIME, Finding, InputIssue, Reason, Scope, Status


class Kind(StrEnum):
    SELF_CHECK = "self-check"
    INSPECTION = "inspection"

    @property
    def zh(self) -> str:
        return "企业自查" if self is Kind.SELF_CHECK else "执法检查"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The counts of the workers checked. Those the run's ``--scope`` left out
    (``out_of_scope``) are in none of them: not in ``total``, not unverified, not in the rate."""

    total: int
    counts: dict[Status, int]
    out_of_scope: int = 0

    @property
    def valid(self) -> int:
        return self.counts[Status.VALID]

    @property
    def violations(self) -> int:
        return sum(self.counts[s] for s in (Status.EXPIRED, Status.FAKE, Status.UNCERTIFIED))

    @property
    def rate(self) -> float:
        """依法持证率: valid workers over all workers."""
        return self.valid / self.total if self.total else 0.0

    @property
    def complete(self) -> bool:
        return self.counts[Status.UNVERIFIED] == 0

    @property
    def compliant(self) -> bool:
        return self.total > 0 and self.valid == self.total

    @property
    def label_zh(self) -> str:
        if self.violations:
            return "不合规"
        if not self.complete or not self.total:
            return "未完成核验"
        return "合规"


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    counted = Counter(f.status for f in findings if f.reason is not Reason.OUT_OF_SCOPE)
    checked = counted.total()
    return Verdict(total=checked, counts={s: counted.get(s, 0) for s in Status},
                   out_of_scope=len(findings) - checked)


@dataclass(frozen=True, slots=True)
class Sample:
    """The register covers a random sample of ``size`` out of ``population`` workers."""

    size: int
    population: int
    seed: int | None


#: A sheet of the roster workbook that was not read, and why (Chinese): ``(name, why)``.
SkippedSheet = tuple[str, str]


@dataclass(frozen=True, slots=True)
class RegisterMeta:
    version: str
    as_of: date
    source: str
    roster_file: str
    #: The roster sheets read, in workbook order; empty for a CSV roster.
    sheets: tuple[str, ...]
    enterprise: str | None
    kind: Kind
    generated_at: datetime
    sample: Sample | None = None
    #: The sheets of the roster workbook that were not read, with why.
    skipped_sheets: tuple[SkippedSheet, ...] = ()
    #: The regimes the run checked (``--scope``); everything by default.
    scope: Scope = EVERY_REGIME

    @property
    def sheet(self) -> str | None:
        """The first sheet read (what registers before several sheets recorded)."""
        return self.sheets[0] if self.sheets else None

    @property
    def several_sheets(self) -> bool:
        return len(self.sheets) > 1


@dataclass(frozen=True, slots=True)
class Register:
    meta: RegisterMeta
    findings: tuple[Finding, ...]
    input_issues: tuple[InputIssue, ...] = ()
    mask_ids: bool = False
    #: The district's match key: when set, every worker with a valid ID gets a keyed token
    #: (``certcheck.matchkey``) so that ``summary`` can match people across masked registers.
    match_key: MatchKey | None = None

    def __post_init__(self) -> None:
        if self.mask_ids:
            # The enterprise and the sheet names come from the roster too (a title, a tab),
            # and are printed on the form and in its footer: an ID typed there is masked
            # like any other, in every output, the same way wherever the name is written.
            meta, findings = _masked_names(self.meta, self.findings)
            object.__setattr__(self, "meta", meta)
            object.__setattr__(self, "findings", findings)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)


def _masked_names(
    meta: RegisterMeta, findings: tuple[Finding, ...]
) -> tuple[RegisterMeta, tuple[Finding, ...]]:
    from certcheck.register.view import Masker

    text = Masker(True).text
    sheets = {name: text(name) or name for name in meta.sheets}
    masked = replace(
        meta,
        enterprise=text(meta.enterprise),
        sheets=tuple(sheets.values()),
        skipped_sheets=tuple((text(n) or n, text(w) or w) for n, w in meta.skipped_sheets),
    )
    renamed = {old: new for old, new in sheets.items() if old != new}
    if renamed:
        findings = tuple(
            replace(f, worker=replace(f.worker, sheet=renamed[f.worker.sheet]))
            if f.worker.sheet in renamed else f
            for f in findings
        )
    return (meta if masked == meta else masked), findings
