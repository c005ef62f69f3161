"""Properties of the roster normalisers: whatever noise a valid ID or a date picks up on its
way into a spreadsheet, it comes back out unchanged; garbage never turns into a wrong date."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certcheck.ids import check_char, is_valid_id, normalize_id
from certcheck.roster.header import ALIASES, match_label
from certcheck.roster.values import date_value, id_value
from certcheck.text import INVISIBLE_CHARS

TODAY = date(2026, 11, 29)
NOISE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", " ", "\u3000", "\t"]


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


@st.composite
def noisy(draw: st.DrawFn, id_number: str) -> str:
    out = []
    for ch in id_number:
        if ch.isdigit() and draw(st.booleans()):
            ch = chr(ord(ch) + 0xFEE0)  # full-width digit
        elif ch == "X" and draw(st.booleans()):
            ch = draw(st.sampled_from(["x", "Ｘ", "ｘ"]))
        out.append(ch)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(NOISE)))
    return (
        draw(st.sampled_from(["", " ", "\ufeff"])) + "".join(out) + draw(st.sampled_from(["", " "]))
    )


def test_non_ascii_digits_are_not_an_id() -> None:
    arabic_indic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in "500381198503150019")
    _, problem, _ = id_value(arabic_indic, TODAY)
    assert problem is not None and problem.value == "invalid"


@given(st.data(), valid_ids())
def test_noisy_valid_id_normalises_back_and_validates(data: st.DataObject, id_number: str) -> None:
    text = data.draw(noisy(id_number))
    assert normalize_id(text) == id_number
    assert is_valid_id(normalize_id(text), TODAY)
    value, problem, notes = id_value(text, TODAY)
    assert (value, problem) == (id_number, None)
    assert all(id_number not in message for _, message in notes)


@given(valid_ids())
def test_an_id_stored_as_a_number_is_never_trusted(id_number: str) -> None:
    if id_number.endswith("X"):
        return
    value, problem, notes = id_value(float(id_number), TODAY)
    assert problem is not None and problem.value == "precision_lost"
    # What remains is what Excel shows: 15 significant digits, the rest zeros.
    assert value is not None and len(value) == 18 and value.endswith("000")
    assert abs(int(value) - int(id_number)) <= 1000
    assert all(id_number not in message for _, message in notes)


RENDERINGS = [
    "{d:%Y-%m-%d}",
    "{d.year}.{d.month}.{d.day}",
    "{d.year}/{d.month}/{d.day}",
    "{d.year}年{d.month}月{d.day}日",
    "{d:%Y%m%d}",
    "{d:%Y.%m.%d}",
    "{d:%Y-%m-%d} 00:00:00",
    " {d.year} 年 {d.month:02d} 月 {d.day:02d} 日 ",
]


@given(
    st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31)), st.sampled_from(RENDERINGS)
)
def test_any_date_in_any_accepted_form_parses_back(day: date, form: str) -> None:
    assert date_value(form.format(d=day)) == day


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31)))
def test_dates_as_excel_serials_and_compact_numbers(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert date_value(int(f"{day:%Y%m%d}")) == day
    if 1900 <= serial < 2200:
        # Serials of 1905 are a year typed alone (2027) or with its month (2026.11).
        with pytest.raises(ValueError):
            date_value(serial)
        return
    assert date_value(serial) == day
    assert date_value(float(serial) + 0.5) == day  # a time of day does not change the date
    assert date_value(int(f"{day:%Y%m%d}")) == day


@given(st.text(alphabet="0123456789-./年月日 :Tx", max_size=24))
def test_garbage_never_becomes_a_wrong_date(text: str) -> None:
    try:
        parsed = date_value(text)
    except ValueError:
        return
    if parsed is None:
        assert not text.strip()
        return
    # Whatever parsed must be spelled out in the text: the same year, month and day numbers.
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    compact = [n for n in re.findall(r"\d{8}", text)]
    assert numbers[:3] == [parsed.year, parsed.month, parsed.day] or (
        compact and compact[0] == f"{parsed:%Y%m%d}"
    )


@given(
    st.sampled_from([(field, alias) for field, aliases in ALIASES.items() for alias in aliases]),
    st.sampled_from(["", " ", "（18位）", "*", "(必填)", "\n", "：", "【注】"]),
    st.booleans(),
)
def test_header_aliases_survive_decoration(pair: tuple[str, str], suffix: str, wide: bool) -> None:
    field, alias = pair
    label = " ".join(alias) if wide else alias
    label = (
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in label) if wide else label
    )
    assert match_label(label + suffix) == field


@given(
    st.sampled_from([(field, alias) for field, aliases in ALIASES.items() for alias in aliases]),
    st.sampled_from(INVISIBLE_CHARS),
    st.integers(0, 20),
)
def test_header_labels_ignore_the_invisible_characters_names_and_ids_ignore(
    pair: tuple[str, str], invisible: str, at: int
) -> None:
    # A soft hyphen or a Mongolian vowel separator pasted into 身份证号 hides the column no
    # more than it hides the digits of an ID under it.
    field, alias = pair
    at %= len(alias) + 1
    assert match_label(alias[:at] + invisible + alias[at:]) == field
