"""Verdicts on official records whose holder's name or 证号 the source masked (脱敏) or a decoder
mangled: a masked value counts only by the characters it shows, a garbled one by none.

A genuine holder whose record reads 张* is valid, not fake; a record reading 李* for 张三 is
another person's. A name that hides what tells two roster rows apart decides nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certcheck.models import OtherRow, Reason, Status
from certcheck.rules import decide
from factories import AS_OF, found, make_id, record, worker

ID = make_id("50011619900101017")
MASKED_ID = ID[:6] + "*" * 8 + ID[-4:]


def verdict(w, *records) -> tuple[Status, Reason]:  # type: ignore[no-untyped-def]
    finding = decide(w, found(*records), AS_OF)
    return finding.status, finding.reason


# ---- the holder's name -------------------------------------------------------------------


@pytest.mark.parametrize("shown", ["张*", "张**", "*三", "张＊", "张××", "***", "張*"])
def test_a_genuine_holder_whose_name_is_masked_is_valid(shown: str) -> None:
    assert verdict(worker("张三", ID), record(shown, ID)) == (Status.VALID, Reason.OK)


def test_a_masked_minority_name_is_compared_on_its_ends() -> None:
    # Six stars for four hidden characters: only the first and the last are compared.
    w = worker("阿依古丽·买买提逊", ID)
    assert verdict(w, record("阿******逊", ID)) == (Status.VALID, Reason.OK)
    assert verdict(w, record("阿******江", ID)) == (Status.FAKE, Reason.NAME_MISMATCH)


def test_a_masked_name_whose_shown_character_differs_is_another_persons() -> None:
    finding = decide(worker("张三", ID), found(record("李*", ID)), AS_OF)
    assert (finding.status, finding.reason) == (Status.FAKE, Reason.NAME_MISMATCH)
    assert finding.detail == "记录姓名: 李*"


def test_mou_is_a_character_not_a_mask() -> None:
    assert verdict(worker("张三", ID), record("张某", ID)) == (Status.FAKE, Reason.NAME_MISMATCH)


@pytest.mark.parametrize("shown", ["张?", "张\ufffd", "?三", "李?", "李\ufffd", "王？"])
def test_a_garbled_official_name_is_never_a_mismatch(shown: str) -> None:
    finding = decide(worker("王䶮", ID), found(record(shown, ID)), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == "官方记录中有乱码（? 或 �），不能判定"


def test_a_masked_name_matches_the_name_the_cell_wrote() -> None:
    # The reader took a note off 李娜（外协）, and the source keeps it in its masked name.
    w = replace(worker("李娜", ID), written_name="李娜（外协）")
    assert verdict(w, record("李*（外协）", ID)) == (Status.VALID, Reason.OK)
    assert verdict(w, record("王*（外协）", ID)) == (Status.FAKE, Reason.NAME_MISMATCH)


def test_a_masked_name_beside_the_workers_own_record_decides_nothing_against_it() -> None:
    w = worker("张三", ID)
    assert verdict(w, record("张三", ID), record("李*", ID)) == (Status.VALID, Reason.OK)


# ---- several people: a mask that cannot tell them apart ----------------------------------


def test_a_masked_name_that_fits_two_rows_of_one_id_decides_for_neither() -> None:
    zhang_san = replace(worker("张三", ID), shared_with=(OtherRow(5, "张四"),))
    zhang_si = replace(worker("张四", ID, row=5), shared_with=(OtherRow(2, "张三"),))
    for w in (zhang_san, zhang_si):
        finding = decide(w, found(record("张*", ID)), AS_OF)
        assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    finding = decide(zhang_san, found(record("张*", ID)), AS_OF)
    assert finding.detail == (
        "官方记录的姓名“张*”已遮盖（脱敏），所显示的字与本行和第 5 行“张四”（身份证号相同）都相符，"
        "不能确定是谁的，不能判定"
    )


def test_a_masked_name_of_the_other_row_is_rule_16() -> None:
    zhang_san = replace(worker("张三", ID), shared_with=(OtherRow(5, "李四"),))
    finding = decide(zhang_san, found(record("李*", ID)), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.UNREADABLE_CELL)
    assert finding.detail == (
        "身份证号与第 5 行“李四”的相同，官方记录的姓名“李*”（已遮盖）与“李四”相符，与本行姓名不符；"
        "多半是复制粘贴错了，请核对"
    )
    li_si = replace(worker("李四", ID, row=5), shared_with=(OtherRow(2, "张三"),))
    assert verdict(li_si, record("李*", ID)) == (Status.VALID, Reason.OK)


def test_a_fully_masked_name_with_two_rows_of_one_id_decides_for_neither() -> None:
    zhang_san = replace(worker("张三", ID), shared_with=(OtherRow(5, "李四"),))
    assert verdict(zhang_san, record("**", ID)) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


def test_a_masked_name_that_may_be_half_of_a_pasted_pair_decides_nothing() -> None:
    # Two names in one cell read as one dotted name: 王* may be 王小明's alone.
    w = worker("王小明·李小红", ID)
    finding = decide(w, found(record("王*", ID)), AS_OF)
    assert (finding.status, finding.reason) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert finding.detail == (
        "官方记录的姓名“王*”已遮盖（脱敏），所显示的字也合花名册姓名“王小明·李小红”的一部分"
        "（一格中可能写了两个人），不能判定"
    )
    assert verdict(w, record("李*", ID)) == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)


# ---- the 证号 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shown",
    [
        "T" + MASKED_ID,
        MASKED_ID,
        "T" + ID[:6] + "****" + ID[-4:],
        "T" + "*" * 18,
        "Ｔ" + ID[:6] + "＊" * 8 + ID[-4:],
    ],
)
def test_a_masked_number_whose_shown_characters_agree_is_the_declared_one(shown: str) -> None:
    w = worker("张三", ID, cert_number="T" + ID)
    assert verdict(w, record("张三", ID, cert_number=shown)) == (Status.VALID, Reason.OK)


@pytest.mark.parametrize(
    "shown", ["T" + ID[:6] + "*" * 8 + "9999", "T500117" + "*" * 8 + ID[-4:]]
)
def test_a_masked_number_whose_shown_characters_differ_is_a_mismatch(shown: str) -> None:
    w = worker("张三", ID, cert_number="T" + ID)
    assert verdict(w, record("张三", ID, cert_number=shown)) == (
        Status.FAKE, Reason.CERT_NUMBER_MISMATCH,
    )


def test_a_number_differing_only_where_the_mask_hides_is_no_mismatch() -> None:
    other = make_id("50011619851231017")  # same first six and last four as ID
    assert other[-4:] == ID[-4:]
    w = worker("张三", other, cert_number="T" + other)
    assert verdict(w, record("张三", other, cert_number="T" + MASKED_ID)) == (
        Status.VALID, Reason.OK,
    )


def test_a_masked_number_picks_the_declared_card_among_several() -> None:
    welding = record("张*", ID, item="熔化焊接与热切割作业", category="焊接与热切割作业",
                     cert_number="A00***77")
    low_voltage = record("张*", ID, cert_number="B00***88")
    w = worker("张三", ID, cert_number="A0012377", item="熔化焊接与热切割作业")
    finding = decide(w, found(low_voltage, welding), AS_OF)
    assert (finding.status, finding.decisive) == (Status.VALID, welding)
    w = worker("张三", ID, cert_number="C0012399", item="熔化焊接与热切割作业")
    assert verdict(w, low_voltage, welding) == (Status.FAKE, Reason.CERT_NUMBER_MISMATCH)


def test_a_garbled_official_number_is_like_none() -> None:
    w = worker("张三", ID, cert_number="T" + make_id("50011619900101018"))
    assert verdict(w, record("张三", ID, cert_number="T?" + ID[1:])) == (Status.VALID, Reason.OK)


# ---- whatever the mask hides -------------------------------------------------------------


@st.composite
def hidden_at_random(draw: st.DrawFn, value: str) -> str:
    """``value`` with any positions (perhaps none) hidden, each run by a run of any length."""
    hidden = draw(st.sets(st.integers(0, len(value) - 1)))
    out = []
    for i, char in enumerate(value):
        if i not in hidden:
            out.append(char)
        elif i - 1 not in hidden:
            out.append(draw(st.sampled_from(["*", "＊", "×"])) * draw(st.integers(1, 9)))
    return "".join(out)


@given(st.data(), st.sampled_from(["张三", "欧阳娜娜", "王䶮", "John Smith", "阿依古丽·买买提"]))
def test_masking_a_genuine_record_never_makes_its_holder_fake(
    data: st.DataObject, name: str
) -> None:
    shown_name = data.draw(hidden_at_random(name))
    shown_number = data.draw(hidden_at_random("T" + ID))
    finding = decide(worker(name, ID, cert_number="T" + ID),
                     found(record(shown_name, ID, cert_number=shown_number)), AS_OF)
    if "·" in name:
        # A masked dotted name may show no more than one of its parts: unverified then.
        assert finding.status in (Status.VALID, Status.UNVERIFIED)
    else:
        assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)
