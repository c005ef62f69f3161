"""The principle above every rule, checked directly: a verdict only from understood values.

Whatever else a row declares and whatever the source answers, a deciding cell the reader did
not understand (``Unreadable``) ends as ``unverified``, never as fake, uncertified, expired or
valid. Hypothesis draws the rest of the row and the answer from what rosters and sources really
hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from certcheck.models import (
    Answer,
    CertNumber,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Regime,
    SourceTraits,
    Status,
    Unreadable,
    Worker,
)
from certcheck.rules import decide, needs_lookup
from factories import AS_OF, answer, make_id, record

ID = make_id()
MEM = SourceTraits()
EVERY_REGIME = SourceTraits(regimes=frozenset(Regime))
NATIONAL = SourceTraits(publication_delay=timedelta(days=7))
FIELDS = (
    "cert_number", "category", "item", "first_issued", "valid_from", "valid_until",
    "review_due", "reviewed", "issuer",
)
UNREADABLE = st.builds(
    Unreadable,
    column=st.sampled_from(["证号", "操作项目", "有效期至", "作业类别", "发证机关", "初领日期"]),
    text=st.sampled_from(["#N/A", "=VLOOKUP(A2,人员!A:C,3,0)", "长期", "见附件", "同上"]),
    why=st.sampled_from(["是错误值", "是没有计算结果的公式", "不是可识别的日期", "不是可识别的证号"]),
    row=st.integers(2, 500),
)
DATES = st.dates(date(2015, 1, 1), date(2032, 12, 31))
ITEMS = st.sampled_from(
    [None, "低压电工", "电工", "焊工", "架子工", "叉车司机", "管道疏通工", "高压电工、登高架设",
     "熔化焊接与热切割作业", "建筑电工"]
)
NUMBERS = st.sampled_from(
    [None, CertNumber("T" + ID, ("T" + ID,)), CertNumber(ID, (ID,)), CertNumber("T123456", ("T123456",)),
     CertNumber("培训中", claims=False), CertNumber("遗失补办中"), CertNumber("渝A042019000123",
                                                                      ("渝A042019000123",))]
)
UNDERSTOOD = {
    "cert_number": NUMBERS,
    "category": st.sampled_from([None, "电工作业", "建筑施工特种作业", "特种设备作业"]),
    "item": ITEMS,
    "first_issued": st.none() | DATES,
    "valid_from": st.none() | DATES,
    "valid_until": st.none() | DATES,
    "review_due": st.none() | DATES,
    "reviewed": st.none() | DATES,
    "issuer": st.sampled_from([None, "重庆市应急管理局", "重庆市住房和城乡建设委员会"]),
}


@st.composite
def declared_with_unreadable(draw: st.DrawFn) -> Declared:
    """A row's declarations where at least one deciding cell was not understood."""
    values = {name: draw(strategy) for name, strategy in UNDERSTOOD.items()}
    unread = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True))
    for name in unread:
        values[name] = draw(UNREADABLE)
    return Declared(**values)


@st.composite
def records(draw: st.DrawFn) -> CertRecord:
    item, category = draw(st.sampled_from([
        ("低压电工作业", "电工作业"), ("高压电工作业", "电工作业"), ("熔化焊接与热切割作业", "焊接与热切割作业"),
        ("登高架设作业", "高处作业"), ("叉车司机", "场（厂）内专用机动车辆作业"), ("", "电工作业"),
        ("建筑电工", "建筑电工"),
    ]))
    base = record(
        name=draw(st.sampled_from(["张三", "李四", None])),  # type: ignore[arg-type]
        id_number=ID,
        item=item,
        category=category,
        valid_until=draw(st.none() | DATES),
        review_due=draw(st.none() | DATES),
        reviewed=draw(st.none() | DATES),
        cert_number=draw(st.sampled_from(["T" + ID, "", "T999999"])),
        valid_from=draw(st.none() | DATES),
    )
    return replace(
        base,
        status_text=draw(st.sampled_from([None, "有效", "注销", "0"])),
        history=draw(st.booleans()),
    )


ANSWERS = st.one_of(
    st.none(),
    st.just(answer(NotFound())),
    st.lists(records(), min_size=1, max_size=3).map(lambda rs: answer(Found(tuple(rs)))),
    st.sampled_from(list(FailureKind)).map(lambda k: answer(Failed(k, "boom"))),
)
TRAITS = st.sampled_from([MEM, EVERY_REGIME, NATIONAL])


@settings(max_examples=400, deadline=None)
@given(declared=declared_with_unreadable(), ans=ANSWERS, traits=TRAITS)
def test_a_declared_cell_not_understood_ends_unverified(
    declared: Declared, ans: Answer | None, traits: SourceTraits
) -> None:
    worker = Worker(row=2, name="张三", id_number=ID, declared=declared)
    finding = decide(worker, ans, AS_OF, traits=traits)
    assert finding.status is Status.UNVERIFIED, finding
    assert finding.reason.value == "unreadable_cell"
    # The detail names every cell not understood, with its column and text.
    for cell in declared.unreadable:
        assert f"{cell.column}“{cell.text}”" in (finding.detail or "")


@settings(max_examples=200, deadline=None)
@given(
    cell=UNREADABLE,
    declared=st.builds(Declared, **UNDERSTOOD),
    ans=ANSWERS,
    traits=TRAITS,
)
def test_a_person_cell_not_understood_ends_unverified_and_is_never_asked(
    cell: Unreadable, declared: Declared, ans: Answer | None, traits: SourceTraits
) -> None:
    # The name cell held #N/A: the reader gives no name, and keeps the cell.
    worker = Worker(row=2, name=None, id_number=ID, declared=declared, unreadable=(cell,))
    assert worker.lookup_key is None
    assert not needs_lookup(worker, traits)
    finding = decide(worker, ans, AS_OF, traits=traits)
    assert (finding.status, finding.reason.value) == (Status.UNVERIFIED, "unreadable_cell")


@settings(max_examples=300, deadline=None)
@given(declared=st.builds(Declared, **UNDERSTOOD), ans=ANSWERS, traits=TRAITS)
def test_fake_only_with_a_claim_and_valid_only_with_a_covering_record(
    declared: Declared, ans: Answer | None, traits: SourceTraits
) -> None:
    """The other half: with every cell understood, a verdict still needs its evidence."""
    worker = Worker(row=2, name="张三", id_number=ID, declared=declared)
    finding = decide(worker, ans, AS_OF, traits=traits)
    outcome = ans.outcome if ans is not None else None
    if finding.status is Status.FAKE:
        # An accusation needs an answer, and a claim or an official record to contradict.
        assert isinstance(outcome, NotFound | Found)
        if isinstance(outcome, NotFound):
            assert declared.claims_certificate
    if finding.status is Status.VALID:
        # A pass needs a current record of this person, in force, with a known status.
        assert isinstance(outcome, Found)
        decisive = finding.decisive
        assert decisive is not None and not decisive.history
        assert decisive.valid_until is not None and decisive.valid_until >= AS_OF
        assert decisive.status_text in (None, "有效")
    if not isinstance(outcome, NotFound | Found):
        assert finding.status is Status.UNVERIFIED
