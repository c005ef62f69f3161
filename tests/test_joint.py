"""Several sources in one run, below the command line: which source serves which regime, whom
each is asked about, how their answers decide a worker together, ``--scope``, and the
registers such runs write and read back."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from certcheck.check import EngineSettings
from certcheck.cli.app import UserError
from certcheck.cli.exit_codes import exit_code_of
from certcheck.cli.source_options import CaptchaChoice
from certcheck.joint import check_jointly, routes_of
from certcheck.models import (
    Answer,
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Query,
    Reason,
    Regime,
    Scope,
    SourceTraits,
    Status,
    Worker,
)
from certcheck.register.json_ import write_json
from certcheck.register.model import Kind, Register, RegisterMeta, verdict_of
from certcheck.register.reader import read_register, tally_register
from certcheck.register.xlsx import write_xlsx
from certcheck.rules import decide, decide_jointly
from certcheck.sources.captcha import SolverBase, share_turns
from certcheck.sources.interface import ImmediateSource, SourceOptions
from certcheck.sources.registry import RegistrySource
from certcheck.sources.several import OverlapError, SourceSet, split_specs
from factories import AS_OF, CHECKED_AT, make_id, record, worker

MEM = frozenset({Regime.MEM})
SE = frozenset({Regime.SPECIAL_EQUIPMENT})
MEM_TRAITS = SourceTraits(MEM)
SE_TRAITS = SourceTraits(SE)
BOTH_TRAITS = SourceTraits(MEM | SE)
ID = make_id()


def forklift(**changes: object) -> CertRecord:
    base = record(item="叉车司机", category="场（厂）内专用机动车辆作业", review_due=None,
                  cert_number="TS" + ID)
    return replace(base, issuer="重庆市市场监督管理局", **changes)  # type: ignore[arg-type]


def said(outcome: Found | NotFound | Failed, source: str) -> Answer:
    return Answer(outcome=outcome, source=source, checked_at=CHECKED_AT)


def mem(*records: CertRecord) -> Answer:
    return said(Found(records) if records else NotFound(), "mem")


def samr(*records: CertRecord) -> Answer:
    return said(Found(records) if records else NotFound(), "samr")


def fails(source: str, kind: FailureKind = FailureKind.CAPTCHA_FAILED) -> Answer:
    return said(Failed(kind, f"{source} could not answer"), source)


def jointly(w: Worker, mem_answer: Answer | None, samr_answer: Answer | None) -> tuple[str, str]:
    parts = [(MEM_TRAITS, mem_answer), (SE_TRAITS, samr_answer)]
    finding = decide_jointly(w, parts, AS_OF, run_traits=BOTH_TRAITS)
    return finding.status.value, finding.reason.value


# --- two answers read as one ------------------------------------------------------------------

CASES = [
    # (row, national lookup's records, special-equipment lookup's records)
    (worker(item="低压电工、叉车司机"), [record()], [forklift()]),
    (worker(item="低压电工、叉车司机"), [record()], []),
    (worker(item="低压电工、叉车司机"), [], [forklift()]),
    (worker(item="低压电工、叉车司机", cert_number="T" + ID), [], [forklift()]),
    (worker(item="低压电工、叉车司机", cert_number="TS" + ID), [record()], [forklift()]),
    (worker(item="低压电工、叉车司机", cert_number=ID), [], []),
    (worker(item="低压电工、叉车司机"), [record(valid_until=date(2026, 1, 1))], [forklift()]),
    (worker(item="低压电工、叉车司机"), [record()], [forklift(name="李四")]),
    (worker(), [], [forklift()]),
    (worker(), [record(valid_until=date(2026, 1, 1))], [forklift()]),
    (worker(valid_until=date(2028, 5, 1)), [], []),
]


@pytest.mark.parametrize(("w", "mem_records", "samr_records"), CASES)
def test_two_lookups_decide_as_one_registry_holding_both(
    w: Worker, mem_records: list[CertRecord], samr_records: list[CertRecord],
) -> None:
    # A registry file holding every record of both lookups is the reference: two sources
    # must never decide otherwise than it would.
    everything = [*mem_records, *samr_records]
    alone = decide(w, said(Found(tuple(everything)) if everything else NotFound(), "registry"),
                   AS_OF, traits=BOTH_TRAITS)
    together = jointly(w, mem(*mem_records), samr(*samr_records))
    assert together == (alone.status.value, alone.reason.value)


def test_a_certificate_found_by_one_lookup_is_no_fake_for_the_other() -> None:
    # Nothing in the national lookup, a forklift card in the other: the electrician's item is
    # uncovered (uncertified), not a certificate that does not exist (fake).
    w = worker(item="低压电工、叉车司机", cert_number="TS" + ID)
    assert jointly(w, mem(), samr(forklift())) == ("uncertified", "item_not_covered")


# --- one lookup failing ------------------------------------------------------------------------


@pytest.mark.parametrize(("w", "mem_answer", "expected"), [
    # The electrician's card stands or falls on its own; the forklift item stays open.
    (worker(item="低压电工、叉车司机"), mem(record()), ("unverified", "captcha_failed")),
    (worker(item="低压电工、叉车司机"), mem(record(valid_until=date(2026, 1, 1))),
     ("expired", "validity_ended")),
    (worker(item="高压电工、叉车司机"), mem(record()), ("uncertified", "item_not_covered")),
    # Nothing found and a card claimed: the other lookup might hold it.
    (worker(item="低压电工、叉车司机", cert_number="T" + ID), mem(),
     ("unverified", "captcha_failed")),
    (worker(cert_number="T" + ID), mem(), ("unverified", "captcha_failed")),
    # No item declared: any card in force will do; without one, the other might hold one.
    (worker(), mem(record()), ("valid", "ok")),
    (worker(), mem(record(valid_until=date(2026, 1, 1))), ("unverified", "captcha_failed")),
    # Records in another name, or a declared number none of them has: the other lookup's
    # records might be the person's.
    (worker(item="低压电工、叉车司机"), mem(record(name="李四")),
     ("unverified", "captcha_failed")),
    (worker(item="低压电工、叉车司机", cert_number="T123"), mem(record()),
     ("unverified", "captcha_failed")),
])
def test_a_lookup_that_failed_leaves_open_what_it_could_change(
    w: Worker, mem_answer: Answer, expected: tuple[str, str],
) -> None:
    assert jointly(w, mem_answer, fails("samr")) == expected


def test_every_lookup_failing_is_the_first_failure() -> None:
    w = worker(item="低压电工、叉车司机", cert_number="T" + ID)
    got = jointly(w, fails("mem", FailureKind.LOOKUP_FAILED), fails("samr"))
    assert got == ("unverified", "lookup_failed")


def test_the_detail_names_the_regime_left_open() -> None:
    w = worker(item="低压电工、叉车司机")
    finding = decide_jointly(w, [(MEM_TRAITS, mem(record())), (SE_TRAITS, fails("samr"))],
                             AS_OF, run_traits=BOTH_TRAITS)
    assert finding.detail is not None
    assert finding.detail.startswith("低压电工：有效；叉车司机：未核验（验证码未通过）")
    assert "特种设备作业人员证的查询未完成（samr could not answer）" in finding.detail
    assert finding.answer is not None and finding.answer.source == "mem,samr"


def test_a_source_not_asked_holds_nothing_for_the_worker() -> None:
    # A TS number beside an electrician's item: the special-equipment lookup was not asked
    # about this row, so the number stays another authority's, as with one source.
    w = worker(item="低压电工", cert_number="TS" + ID)
    finding = decide_jointly(w, [(MEM_TRAITS, mem())], AS_OF, run_traits=BOTH_TRAITS)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.OTHER_AUTHORITY)


# --- the scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "regimes"), [
    ("特种作业", MEM),
    ("special-operations", MEM),
    ("Special-Operations", MEM),
    ("特种作业，特种设备", MEM | SE),
    ("special-operations,special-equipment", MEM | SE),
    ("建筑施工", frozenset({Regime.CONSTRUCTION})),
    ("all", None),
    ("全部", None),
    ("特种作业,all", None),
])
def test_scope_names(text: str, regimes: frozenset[Regime] | None) -> None:
    scope = Scope.parse(text)
    assert scope.regimes == regimes
    assert Scope.parse(scope.name) == scope  # what a register records reads back


@pytest.mark.parametrize("text", ["", "锅炉", "mem", "special operations x"])
def test_scope_words_not_understood(text: str) -> None:
    with pytest.raises(ValueError):
        Scope.parse(text)


def test_the_scope_leaves_out_rows_and_items() -> None:
    scope = frozenset({Regime.MEM})
    out = decide(worker(item="叉车司机"), None, AS_OF, scope=scope)
    assert (out.status, out.reason) == (Status.UNVERIFIED, Reason.OUT_OF_SCOPE)
    assert out.detail == "叉车司机：特种设备作业人员证（市场监管部门）；本次只核验特种作业（--scope）"
    # Before the ID is looked at: a forklift driver's broken ID is not this check's concern.
    broken = decide(worker(item="叉车司机", id_number="500381199001011230"), None, AS_OF,
                    scope=scope)
    assert broken.reason is Reason.OUT_OF_SCOPE
    # An item cell not understood may be one the officer wants checked.
    unread = decide(worker(item="#N/A"), None, AS_OF, scope=scope)
    assert unread.reason is not Reason.OUT_OF_SCOPE
    mixed = decide(worker(item="低压电工、叉车司机"), mem(record()), AS_OF, scope=scope)
    assert (mixed.status, mixed.detail) == (
        Status.VALID, "叉车司机：不在本次核验范围（特种设备作业人员证）")
    expired = decide(worker(item="低压电工、叉车司机"),
                     mem(record(valid_until=date(2026, 1, 1))), AS_OF, scope=scope)
    assert expired.status is Status.EXPIRED
    # With no scope the same rows are decided as always.
    assert decide(worker(item="叉车司机"), None, AS_OF).reason is Reason.OTHER_AUTHORITY


def test_out_of_scope_workers_are_counted_apart() -> None:
    scope = frozenset({Regime.MEM})
    findings = [
        decide(worker(item="低压电工", row=2), mem(record()), AS_OF, scope=scope),
        decide(worker(item="叉车司机", row=3), None, AS_OF, scope=scope),
        decide(worker(item="Q2", row=4), None, AS_OF, scope=scope),
    ]
    verdict = verdict_of(findings)
    assert (verdict.total, verdict.out_of_scope, verdict.rate) == (1, 2, 1.0)
    assert verdict.counts[Status.UNVERIFIED] == 0
    assert verdict.compliant and verdict.complete
    assert exit_code_of(verdict) == 0
    # Only people left out: nobody was checked, which is no compliance either.
    nobody = verdict_of(findings[1:])
    assert exit_code_of(nobody) == 3


def scoped_register(findings: Iterable[object]) -> Register:
    meta = RegisterMeta(
        version="0.1.0", as_of=AS_OF, source="mem,samr", roster_file="roster.csv", sheets=(),
        enterprise="某公司", kind=Kind.SELF_CHECK, generated_at=datetime(2026, 11, 29, 10),
        scope=Scope(frozenset({Regime.MEM})),
    )
    return Register(meta=meta, findings=tuple(findings))  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_scoped_registers_read_back_with_the_scope_and_the_count(
    tmp_path: Path, suffix: str,
) -> None:
    scope = frozenset({Regime.MEM})
    register = scoped_register([
        decide(worker(item="低压电工", row=2), mem(record()), AS_OF, scope=scope),
        decide(worker(item="叉车司机", row=3, id_number=make_id("50038119900101124")), None,
               AS_OF, scope=scope),
        decide(worker(item="低压电工", row=4, id_number=make_id("50038119900101125")), mem(),
               AS_OF, scope=scope),
    ])
    path = tmp_path / f"register{suffix}"
    (write_xlsx if suffix == ".xlsx" else write_json)(register, path)
    for verdict, info in ((read_register(path).verdict, read_register(path).info),
                          (tally_register(path).verdict, tally_register(path).info)):
        assert (verdict.total, verdict.out_of_scope) == (2, 1)
        assert verdict.counts[Status.UNVERIFIED] == 0
        assert verdict.counts[Status.UNCERTIFIED] == 1
        assert info.scope.zh == "特种作业"
        assert info.source == "mem,samr"


# --- sources, routes, captchas -----------------------------------------------------------------


class Fixed(ImmediateSource):
    """A local source holding the regimes given and no records."""

    name = "fixed"

    def __init__(self, regimes: frozenset[Regime], answers: dict[str, list[CertRecord]]
                 | None = None) -> None:
        self._regimes = regimes
        self._answers = answers or {}
        self.asked: list[str] = []

    def covered_regimes(self) -> frozenset[Regime]:
        return self._regimes

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> Fixed:
        raise NotImplementedError

    def lookup_now(self, query: Query) -> Found | NotFound:
        self.asked.append(query.id_number)
        records = self._answers.get(query.id_number, [])
        return Found(tuple(records)) if records else NotFound()


def test_each_regime_is_served_by_the_first_source_that_holds_it() -> None:
    both, national = Fixed(MEM | SE), Fixed(MEM)
    chosen = SourceSet.of([national, both])
    assert chosen.serves == (MEM, SE)
    assert chosen.described() == "特种作业 → fixed；特种设备 → fixed"
    with pytest.raises(OverlapError, match="已由前面给出的数据源核验"):
        SourceSet.of([both, national])


def test_a_registry_serves_the_regimes_it_holds(tmp_path: Path) -> None:
    header = "姓名,证件号码,证号,作业类别,操作项目,有效期结束日期,应复审日期\n"
    national = tmp_path / "mem.csv"
    national.write_text(header + f"张三,{ID},T{ID},电工作业,低压电工作业,2028-05-01,2027-05-01\n")
    equipment = tmp_path / "se.csv"
    equipment.write_text(header + f"张三,{ID},TS1,场（厂）内专用机动车辆作业,叉车司机,2028-05-01,\n")
    chosen = SourceSet.of([RegistrySource(national), RegistrySource(equipment)])
    assert chosen.serves == (MEM, SE)


@pytest.mark.parametrize(("values", "specs"), [
    (["mem,samr"], ["mem", "samr"]),
    (["mem", "samr"], ["mem", "samr"]),
    (["mem, samr,"], ["mem", "samr"]),
    (["registry:/data/a,b.csv,samr"], ["registry:/data/a,b.csv", "samr"]),
    (["mem,registry:特种设备,2026.csv"], ["mem", "registry:特种设备,2026.csv"]),
    (["registry:x.csv"], ["registry:x.csv"]),
])
def test_source_values_split_at_commas_before_a_source_name(
    values: list[str], specs: list[str],
) -> None:
    assert split_specs(values, ["mem", "samr", "registry", "replay"]) == specs


def test_workers_are_routed_by_the_regimes_of_their_items() -> None:
    chosen = SourceSet.of([Fixed(MEM), Fixed(SE)])
    workers = [worker(item="低压电工"), worker(item="N1"), worker(item="低压电工、叉车司机"),
               worker(), worker(item="建筑电工"), worker(name=None)]
    assert routes_of(workers, chosen, Scope()) == [(0,), (1,), (0, 1), (0, 1), (), ()]
    assert routes_of(workers, chosen, Scope(MEM)) == [(0,), (), (0,), (0,), (), ()]


class Counting:
    """A progress listener that counts workers by status as they are decided."""

    def __init__(self) -> None:
        self.statuses: Counter[Status] = Counter()
        self.answers = 0
        self.started: list[int] = []
        self.finished = 0

    def on_start(self, total: int) -> None:
        self.started.append(total)

    def on_answer(self, query: Query, answer: Answer) -> None:
        self.answers += 1

    def on_statuses(self, statuses: Iterable[Status]) -> None:
        self.statuses.update(statuses)

    def on_finish(self) -> None:
        self.finished += 1


def test_each_worker_is_counted_once_every_source_asked_has_answered() -> None:
    ids = [make_id(f"5003811990010112{n}") for n in range(5)]
    national = Fixed(MEM, {ids[0]: [record(id_number=ids[0])],
                           ids[2]: [record(id_number=ids[2])]})
    equipment = Fixed(SE, {ids[1]: [replace(forklift(), id_number=ids[1])],
                           ids[2]: [replace(forklift(), id_number=ids[2])]})
    workers = [worker(id_number=ids[0], item="低压电工"), worker(id_number=ids[1], item="N1"),
               worker(id_number=ids[2], item="低压电工、叉车司机"),
               worker(id_number=ids[3], item="建筑电工"), worker(id_number=ids[4])]
    heard = Counting()
    findings = check_jointly(workers, SourceSet.of([national, equipment]), as_of=AS_OF,
                             warn_days=60, scope=Scope(), engine=EngineSettings(),
                             progress=heard)
    assert [(f.status, f.reason) for f in findings] == [
        (Status.VALID, Reason.OK), (Status.VALID, Reason.OK), (Status.VALID, Reason.OK),
        (Status.UNVERIFIED, Reason.OTHER_AUTHORITY), (Status.UNCERTIFIED, Reason.NO_CERTIFICATE),
    ]
    assert national.asked == [ids[0], ids[2], ids[4]]
    assert equipment.asked == [ids[1], ids[2], ids[4]]
    assert heard.started == [6] and heard.answers == 6 and heard.finished == 1
    assert heard.statuses == Counter(f.status for f in findings)


def test_captcha_values_go_to_the_sources_they_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    choice = CaptchaChoice(["mem=prompt", "slider-web"], ["mem", "samr"])
    assert choice.for_source("mem", "image") == "prompt"
    assert choice.for_source("samr", "slider") == "slider-web"
    choice.check_all_used()
    plain = CaptchaChoice(["command:x"], ["mem", "samr"])
    assert plain.for_source("mem", "image") == "command:x"
    assert plain.for_source("samr", "slider") == "command:x"
    # The more particular value wins where two fit.
    two = CaptchaChoice(["prompt", "slider-web"], ["mem", "samr"])
    assert two.for_source("samr", "slider") == "slider-web"
    assert two.for_source("mem", "image") == "prompt"


@pytest.mark.parametrize(("values", "names"), [
    (["samr=slider-web"], ["mem"]),
    (["mem=prompt", "mem=viewer"], ["mem", "samr"]),
    (["prompt", "viewer"], ["mem"]),
])
def test_captcha_values_that_cannot_be_placed_are_usage_errors(
    values: list[str], names: list[str],
) -> None:
    with pytest.raises(UserError) as raised:
        CaptchaChoice(values, names)
    assert raised.value.code == 2


def test_a_captcha_value_no_source_takes_is_a_usage_error() -> None:
    choice = CaptchaChoice(["slider-web", "registry=prompt"], ["mem", "registry"])
    choice.for_source("mem", "image")
    with pytest.raises(UserError):
        choice.check_all_used()


class Person(SolverBase):
    one_at_a_time = True


def test_solvers_sharing_turns_show_one_puzzle_at_a_time() -> None:
    first, second = Person(), Person()
    share_turns([first, second])
    on_screen: list[str] = []
    overlaps: list[tuple[str, ...]] = []

    async def ask(solver: Person, name: str) -> None:
        for _ in range(3):
            async with solver.turn():
                on_screen.append(name)
                if len(on_screen) > 1:
                    overlaps.append(tuple(on_screen))
                await asyncio.sleep(0.01)
                on_screen.remove(name)

    async def main() -> None:
        await asyncio.gather(ask(first, "mem"), ask(second, "samr"))

    asyncio.run(main())
    assert overlaps == []
    # Apart, the two would overlap: the test can tell.
    alone = Person(), Person()
    on_screen.clear()

    async def apart() -> None:
        await asyncio.gather(ask(alone[0], "mem"), ask(alone[1], "samr"))

    asyncio.run(apart())
    assert overlaps != []


def test_the_person_answers_both_lookups_one_puzzle_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from certcheck.cli import source_options
    from certcheck.sources.mem import MemSource
    from certcheck.sources.samr import SamrSource

    monkeypatch.setattr(source_options, "interactive", lambda: True)
    chosen = source_options.open_chosen_sources(
        ["mem,samr"], mem_url="http://127.0.0.1:9", samr_url="http://127.0.0.1:9",
        captchas=["slider-prompt"])
    national, equipment = chosen.sources
    assert isinstance(national, MemSource) and isinstance(equipment, SamrSource)
    assert type(national.solver).__name__ == "PromptSolver"  # no value fits it: its default
    assert type(equipment.solver).__name__ == "PromptSliderSolver"
    # One table of turns for both: a lookup of either waits while the other's puzzle is shown.
    assert national.solver._turn_locks is equipment.solver._turn_locks is not None
    # Programs answer on their own: they do not wait for each other.
    unattended = source_options.open_chosen_sources(
        ["mem", "samr"], mem_url="http://127.0.0.1:9", samr_url="http://127.0.0.1:9",
        captchas=["command:true"])
    first, second = unattended.sources
    assert isinstance(first, MemSource) and isinstance(second, SamrSource)
    assert first.solver._turn_locks is None or \
        first.solver._turn_locks is not second.solver._turn_locks
