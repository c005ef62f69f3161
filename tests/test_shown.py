"""Official values as the source shows them: a masked one (张*, 500116********017X) is compared
only on the characters it shows, a garbled one (张?, 张�) on none.

Masking the characters of a value never makes it disagree with itself, however many mask
characters stand for how many hidden ones; a masked value disagrees with a roster value only
where a character it shows differs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certcheck.shown import (
    Agreement,
    Legibility,
    compare_id,
    compare_name,
    compare_number,
    official_id,
    official_name,
    official_number,
)
from factories import make_id

AGREE, DISAGREE, CANNOT_TELL = Agreement.AGREE, Agreement.DISAGREE, Agreement.CANNOT_TELL
ID = make_id("50011619900101017")


# ---- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("official", "roster", "expected"),
    [
        ("张*", "张三", AGREE),
        ("张**", "张三", AGREE),  # a mask longer than what it hides
        ("张*", "张三丰", AGREE),  # a mask shorter than what it hides
        ("*三", "张三", AGREE),
        ("张*三", "张小三", AGREE),
        ("阿******逊", "阿依古丽逊", AGREE),
        ("阿******逊", "阿依古丽·买买提逊", AGREE),
        ("阿*·买**", "阿依古丽·买买提", AGREE),
        ("张××", "张三丰", AGREE),
        ("张＊", "张三", AGREE),
        ("張*", "张三", AGREE),  # a traditional character shown
        ("J*** S****", "John Smith", AGREE),
        ("J*** S****", "JOHN SMITH", AGREE),
        ("李*", "张三", DISAGREE),
        ("*四", "张三", DISAGREE),
        ("阿******逊", "阿依古丽", DISAGREE),
        ("J*** S****", "Jane Doe", DISAGREE),
        ("***", "张三", CANNOT_TELL),
        ("**·***", "阿依古丽·买买提", CANNOT_TELL),
        # Lost characters: nothing shown is evidence, not even 李 before the ?.
        ("张?", "张三", CANNOT_TELL),
        ("李?", "张三", CANNOT_TELL),
        ("张\ufffd", "张三", CANNOT_TELL),
        ("？三", "张三", CANNOT_TELL),
        ("王?", "王䶮", CANNOT_TELL),
        # 某 is a character of names, not a mask.
        ("张某", "张三", DISAGREE),
        ("张三", "张三", AGREE),
        ("张三", "张 三", AGREE),
        ("张三", "李四", DISAGREE),
    ],
)
def test_names(official: str, roster: str, expected: Agreement) -> None:
    assert compare_name(official_name(official), roster) is expected


def test_what_a_name_shows() -> None:
    assert official_name("张*").legibility is Legibility.MASKED
    assert official_name("张某").legibility is Legibility.CLEAR
    assert official_name("张\ufffd三").legibility is Legibility.GARBLED
    assert official_name("***").tells_nothing
    assert not official_name("张*").tells_nothing


# ---- certificate numbers and IDs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("official", "roster", "expected"),
    [
        ("T" + ID[:6] + "*" * 8 + ID[-4:], "T" + ID, AGREE),
        ("T" + ID[:6] + "*" * 8 + ID[-4:], ID, AGREE),  # the roster wrote no T
        (ID[:6] + "*" * 8 + ID[-4:], "T" + ID, AGREE),
        ("Ｔ" + ID[:6] + "＊" * 8 + ID[-4:], "t" + ID, AGREE),
        ("T" + ID[:6] + "****" + ID[-4:], "T" + ID, AGREE),  # fewer stars than digits hidden
        ("*" * 14 + ID[-4:], "T" + ID, AGREE),
        ("渝A04*****123", "渝A042019000123", AGREE),
        ("T" + ID[:6] + "*" * 8 + "9999", "T" + ID, DISAGREE),
        ("T500117" + "*" * 8 + ID[-4:], "T" + ID, DISAGREE),
        ("渝A04*****123", "渝A042019000124", DISAGREE),
        ("T" + "*" * 18, "T" + ID, CANNOT_TELL),
        ("T?" + ID[1:], "T" + ID, CANNOT_TELL),
        ("T" + ID, ID, AGREE),
        ("T" + ID, "T" + make_id("50011619900101018"), DISAGREE),
    ],
)
def test_numbers(official: str, roster: str, expected: Agreement) -> None:
    assert compare_number(official_number(official), roster) is expected


@pytest.mark.parametrize(
    ("official", "expected"),
    [
        (ID[:6] + "*" * 8 + ID[-4:], AGREE),
        (ID[:6] + "×" * 8 + ID[-4:], AGREE),
        (ID[:10] + "****" + ID[-4:], AGREE),
        # The old 15-digit form of the same ID, masked.
        (ID[:6] + "*" * 5 + ID[-4:-1], AGREE),
        ("500117" + "*" * 8 + ID[-4:], DISAGREE),
        (ID[:6] + "*" * 8 + "0000", DISAGREE),
        ("*" * 18, CANNOT_TELL),
        (ID, AGREE),
    ],
)
def test_ids(official: str, expected: Agreement) -> None:
    assert compare_id(official_id(official), ID) is expected


# ---- properties --------------------------------------------------------------------------

#: Characters of names, simplified and traditional (張, 歐, 陽, 乾 convert), and Latin letters.
NAME_CHARS = "张王李赵刘陈三四伟芳娜敏丽强磊阿依古买提逊張歐陽偉乾JohnSMIT"
MASKS = ["*", "＊", "×", "∗"]


@st.composite
def masked(draw: st.DrawFn, value: str) -> tuple[str, frozenset[int]]:
    """``value`` with some positions (at least one) hidden: each run of hidden positions is
    one run of mask characters of any length. Returns the text and the hidden positions."""
    hidden = draw(st.sets(st.integers(0, len(value) - 1), min_size=1))
    out: list[str] = []
    for i, char in enumerate(value):
        if i not in hidden:
            out.append(char)
        elif i == 0 or i - 1 not in hidden:
            out.append(draw(st.sampled_from(MASKS)) * draw(st.integers(1, 8)))
    return "".join(out), frozenset(hidden)


@st.composite
def refilled(draw: st.DrawFn, value: str, hidden: frozenset[int], alphabet: str) -> str:
    """``value`` with each run of hidden positions replaced by any text, of any length."""
    out: list[str] = []
    for i, char in enumerate(value):
        if i not in hidden:
            out.append(char)
        elif i == 0 or i - 1 not in hidden:
            out.append(draw(st.text(alphabet, max_size=6)))
    return "".join(out)


@given(st.data(), st.text(NAME_CHARS, min_size=1, max_size=8))
def test_masking_a_name_never_makes_it_disagree(data: st.DataObject, name: str) -> None:
    text, hidden = data.draw(masked(name))
    # The roster may write the name with a middle dot or a space between its parts.
    at = data.draw(st.integers(0, len(name)))
    dot = data.draw(st.sampled_from(["", "·", " ", "•"]))
    assert compare_name(official_name(text), name[:at] + dot + name[at:]) is not DISAGREE
    # Whatever the mask hides, the name still fits what it shows.
    other = data.draw(refilled(name, hidden, NAME_CHARS))
    assert compare_name(official_name(text), other) is not DISAGREE


@given(st.data(), st.integers(1, 6))
def test_a_masked_name_disagrees_only_where_a_shown_character_differs(
    data: st.DataObject, length: int
) -> None:
    # Few characters, so that the two names often share some.
    official = data.draw(st.text("张三李四", min_size=length, max_size=length))
    roster = data.draw(st.text("张三李四", min_size=length, max_size=length))
    text, hidden = data.draw(masked(official))
    if compare_name(official_name(text), roster) is DISAGREE:
        assert any(official[i] != roster[i] for i in range(length) if i not in hidden)


@given(st.data(), st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True), st.booleans(),
       st.booleans())
def test_masking_a_number_never_makes_it_disagree(
    data: st.DataObject, id_number: str, official_t: bool, roster_t: bool
) -> None:
    number = ("T" if official_t else "") + id_number
    text, hidden = data.draw(masked(number))
    assert compare_number(official_number(text), ("T" if roster_t else "") + id_number) \
        is not DISAGREE
    other = data.draw(refilled(number, hidden, "0123456789X"))
    assert compare_number(official_number(text), other) is not DISAGREE
    # The same holds for an ID masked in an answer.
    id_text, _ = data.draw(masked(id_number))
    assert compare_id(official_id(id_text), id_number) is not DISAGREE


@given(st.data(), st.integers(4, 19))
def test_a_masked_number_disagrees_only_where_a_shown_character_differs(
    data: st.DataObject, length: int
) -> None:
    official = data.draw(st.text("019X", min_size=length, max_size=length))
    roster = data.draw(st.text("019X", min_size=length, max_size=length))
    text, hidden = data.draw(masked(official))
    if compare_number(official_number(text), roster) is DISAGREE:
        assert any(official[i] != roster[i] for i in range(length) if i not in hidden)
    if compare_id(official_id(text), roster) is DISAGREE:
        assert any(official[i] != roster[i] for i in range(length) if i not in hidden)


@given(st.data(), st.text("张三李四", min_size=2, max_size=5))
def test_a_shown_end_that_differs_is_a_disagreement(data: st.DataObject, name: str) -> None:
    """The first and the last shown characters stand at the ends: one of them changed is
    another name, however the mask is drawn."""
    text, hidden = data.draw(masked(name))
    ends = [i for i in (0, len(name) - 1) if i not in hidden]
    if ends:
        i = data.draw(st.sampled_from(ends))
        changed = name[:i] + ("王" if name[i] != "王" else "赵") + name[i + 1:]
        assert compare_name(official_name(text), changed) is DISAGREE
