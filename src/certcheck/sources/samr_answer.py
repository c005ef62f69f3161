"""What each answer of the special-equipment lookup says, read through ``samr_mapping``.

Pure functions, shared by the source and ``certcheck probe --source samr``: a reading keeps,
besides the records, how each was read (which key filled which field, the keys nobody mapped,
the fields without a value), so that a wrong assumption shows. Whatever does not fit is a
problem, which the source turns into ``unrecognized_response``; nothing is guessed.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from certcheck.catalog import load_catalog
from certcheck.dates import MonthDate, month_date
from certcheck.ids import mask_id, normalize_id
from certcheck.models import CertRecord, Query, Regime
from certcheck.shown import Agreement, Legibility, cert_key, compare_id, official_id
from certcheck.sources import mem_mapping as mem_api
from certcheck.sources import samr_mapping as api
from certcheck.sources.mem_answer import has_value, read_date
from certcheck.sources.slider import SliderPuzzle

_MAPPED = frozenset(f.key for f in api.RECORD_MAP)
_KNOWN = _MAPPED | frozenset(api.KNOWN_UNUSED_KEYS)


# --- the slider ------------------------------------------------------------------------------


def errcode_of(data: Mapping[str, Any]) -> int | None:
    """``errcode`` as a number (also sent as digits), or None when absent or not a number."""
    code = data.get(api.ERRCODE_KEY)
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().lstrip("-").isdigit():
        return int(code.strip())
    return None


def errcode_problem(data: Mapping[str, Any]) -> str | None:
    """Why the answer's ``errcode`` says no success: another number, or a value that is not a
    number at all (``"E01"``, ``true``); None when it is 0 or absent."""
    if api.ERRCODE_KEY not in data or data[api.ERRCODE_KEY] is None:
        return None
    code = errcode_of(data)
    if code == api.OK_ERRCODE:
        return None
    if code is None:
        return f"errcode 不是数字（not a number）：{str(data[api.ERRCODE_KEY])[:40]!r}"
    return f"errcode {code}"


def read_captcha(data: Mapping[str, Any]) -> SliderPuzzle | str:
    """The puzzle a captcha answer holds, or the problem that keeps it from being one."""
    code = errcode_of(data)
    if code != api.OK_ERRCODE:
        return f"errcode {data.get(api.ERRCODE_KEY)!r} {_text(data.get(api.ERRMSG_KEY))}".strip()
    y = data.get(api.Y_KEY)
    if isinstance(y, str) and y.strip().isdigit():
        y = int(y.strip())
    if isinstance(y, bool) or not isinstance(y, int) or y < 0:
        return f"{api.Y_KEY} 不是高度（not a height）：{str(y)[:40]!r}"
    images: list[tuple[bytes, int, int]] = []
    for key in (api.BACKGROUND_KEY, api.PIECE_KEY):
        image = _image(data.get(key))
        if isinstance(image, str):
            return f"{key} {image}"
        images.append(image)
    (background, width, height), (piece, piece_width, piece_height) = images
    if piece_width > width or y + piece_height > height:
        return (f"拼图块（{piece_width}×{piece_height}，y {y}）放不进背景图（{width}×{height}）"
                "（the piece does not fit the background）")
    return SliderPuzzle(background, piece, y, width, height, piece_width, piece_height)


def _image(value: object) -> tuple[bytes, int, int] | str:
    """(image bytes, width, height) from base64 text (a ``data:`` URL too), or the problem."""
    if not isinstance(value, str) or not value.strip():
        return "缺失（missing）"
    text = value.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        raw = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return "不是 base64（not base64）"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as opened:
            width, height = opened.size
            if width * height > api.MAX_IMAGE_PIXELS or width < 1 or height < 1:
                return f"尺寸 {width}×{height} 不可用（an unusable size）"
            opened.verify()
    except Exception:  # any decoder error: no puzzle a person could see
        return "不是图片（not an image）"
    return raw, width, height


def read_check(data: Mapping[str, Any]) -> bool | None:
    """Whether the slider check passed (``errcode`` 0), failed (another number), or None when
    the answer says neither."""
    code = errcode_of(data)
    if code is None:
        return None
    return code == api.OK_ERRCODE


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordReading:
    """One record of an answer: the CertRecord it makes, and how it was read."""

    record: CertRecord | None
    #: (attribute, key) for every attribute that got a value.
    filled: tuple[tuple[str, str], ...]
    #: Attributes whose key had no value.
    missing: tuple[str, ...]
    #: Keys that neither the mapping nor ``KNOWN_UNUSED_KEYS`` knows.
    unknown: tuple[str, ...]
    #: Why the record is unusable (None when ``record`` is set).
    problem: str | None = None
    #: How a value was read, where that is worth saying (a month-only date, an item by code).
    notes: tuple[str, ...] = ()
    #: The record as the service sent it (None when it was not an object).
    raw: Mapping[str, Any] | None = None


def read_record(item: object, query: Query) -> RecordReading:
    """One ``licList`` (or single-answer) record through ``samr_mapping.RECORD_MAP``."""
    if not isinstance(item, Mapping):
        return RecordReading(None, (), (), (), "记录不是 JSON 对象（a record is not an object）")
    unknown = tuple(sorted(str(k) for k in item if k not in _KNOWN))
    values: dict[str, Any] = dict.fromkeys(api.UNMAPPED_ATTRS)
    filled: list[tuple[str, str]] = []
    missing: list[str] = []
    notes: list[str] = []
    problem: str | None = None
    for mapped in api.RECORD_MAP:
        value = item.get(mapped.key)
        values[mapped.attr] = None
        if not has_value(value):
            missing.append(mapped.attr)
            if mapped.required and problem is None:
                problem = f"记录没有{mapped.label}（{mapped.key}，a record without it）"
            continue
        try:
            values[mapped.attr], note = _value(mapped, value)
        except ValueError as exc:
            problem = problem or f"{mapped.key} {exc}"
            continue
        filled.append((mapped.attr, mapped.key))
        if note:
            notes.append(note)
    if problem is None:
        problem = _id_problem(values, query)
    if problem is not None:
        return RecordReading(None, tuple(filled), tuple(missing), unknown, problem, tuple(notes),
                             item)
    return RecordReading(CertRecord(**values), tuple(filled), tuple(missing), unknown, None,
                         tuple(notes), item)


def _id_problem(values: dict[str, Any], query: Query) -> str | None:
    """The ID the record carries must be the queried one's; it becomes the record's ID. A
    record of another ID in this person's answer is someone else's, and decides nothing."""
    given = values.get("id_number")
    shown = official_id(given) if isinstance(given, str) else None
    if shown is not None and compare_id(shown, query.id_number) is Agreement.DISAGREE:
        return (f"答复中有证件号码为“{mask_id(normalize_id(shown.text))}”的记录，与所查的身份证号"
                "不符，记录不是此人的（a record of another ID in this person's answer）")
    if shown is not None and shown.legibility is Legibility.CLEAR:
        values["id_number"] = normalize_id(shown.text)
    else:
        values["id_number"] = query.id_number
    return None


def _value(mapped: api.SamrField, value: object) -> tuple[str | date, str | None]:
    """The attribute's value and a note on how it was read; ValueError when it does not fit."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("不是文字（not text）")
    text = str(value).strip()
    if mapped.is_date:
        read = read_samr_date(value)
        note = (f"{mapped.key}“{text}”只写到月份（month only）"
                if isinstance(read, MonthDate) else None)
        return read, note
    if mapped.attr == "status_text":
        return valid_flag_text(text), None
    if mapped.attr == "item":
        return read_item(text)
    return text, None


def read_samr_date(value: str | int) -> date:
    """A full date as the national lookups send them (``mem_answer.read_date``), or a month
    only (``2027-03``) as a ``MonthDate``; ValueError otherwise."""
    try:
        return read_date(value)
    except ValueError:
        pass
    text = str(value).strip()
    match = api.MONTH_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"不是日期（not a date）：{text[:40]!r}")
    year, month = int(match.group(1)), int(match.group(2))
    # The same "no date" sentinels as full dates (9999-12, 1900-01) are no month either.
    if not mem_api.DATE_SENTINEL_BEFORE_YEAR <= year < mem_api.DATE_SENTINEL_FROM_YEAR:
        raise ValueError(f"是占位值，不是日期（a placeholder）：{text[:40]!r}")
    return month_date(year, month)


def valid_flag_text(text: str) -> str:
    """``validFlag`` as the record's status: a value of known meaning with its word
    (``1（有效）``), anything else as ``validFlag:<value>``, which means nothing known."""
    word = api.VALID_FLAG_MEANINGS.get(text)
    return f"{text}（{word}）" if word else f"validFlag:{text}"


def read_item(text: str) -> tuple[str, str | None]:
    """The operation item (``czxm``) and a note on how it was read.

    An item the catalog knows as a 特种设备 item (by name or code, ``叉车司机(N1)``) is kept as
    sent; a code written before the name (``N1叉车司机``) is read as the name when both stand for
    the same item. An item the catalog does not know is kept as sent: it covers nothing for sure
    (the rules make such a record decide nothing). One the catalog knows as another authority's
    item is not what this lookup holds: ValueError.
    """
    catalog = load_catalog()
    if catalog.resolve(text):
        regime = catalog.regime_of(text)
        if regime is not Regime.SPECIAL_EQUIPMENT:
            raise ValueError(f"“{text[:40]}”是{regime.zh if regime else '其他'}的项目，不是特种设备"
                             f"作业项目（a {regime} item）")
        return text, None
    for size in (2, 1):
        code, name = text[:size], text[size:].strip()
        if not name or not code.isascii():
            continue
        by_code, by_name = catalog.resolve(code), catalog.resolve(name)
        if (by_code and by_code == by_name
                and catalog.regime_of(name) is Regime.SPECIAL_EQUIPMENT):
            return name, f"czxm“{text}”读作{name}（代号 {code} 与名称一致，code and name agree）"
    return text, (f"czxm“{text[:40]}”不是目录中的项目，不据此下结论"
                  "（no catalog item: it decides nothing）")


# --- the single answer -----------------------------------------------------------------------


class Kind(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True, slots=True)
class SingleReading:
    """What remotePubQuery said: one certificate, nothing, or something not understood."""

    kind: Kind
    message: str
    record: RecordReading | None = None
    problem: str | None = None


def message_of(data: Mapping[str, Any]) -> str:
    """The answer's message: ``messageText`` and ``errmsg``, whichever have text."""
    texts = [t for key in (api.MESSAGE_TEXT_KEY, api.ERRMSG_KEY)
             if (t := _text(data.get(key)))]
    return " / ".join(texts)


def says_not_found(message: str) -> bool:
    return any(m in message for m in api.NOT_FOUND_MARKERS) and not any(
        s in message for s in api.NOT_FOUND_SPOILERS
    )


def read_single(data: Mapping[str, Any], query: Query) -> SingleReading:
    """``{messageLevel, messageText, data: {type: "person", data: {…}}}``: one certificate."""
    message = message_of(data)
    failed = errcode_problem(data)
    if failed is not None:
        return SingleReading(Kind.UNRECOGNIZED, message, problem=failed)
    body = data.get(api.DATA_KEY)
    inner = body.get(api.DATA_KEY) if isinstance(body, Mapping) else None
    if isinstance(body, Mapping) and has_value(inner):
        kind = body.get(api.TYPE_KEY)
        if kind != api.PERSON_TYPE:
            return SingleReading(Kind.UNRECOGNIZED, message,
                                 problem=(f"data.type 为 {str(kind)[:40]!r}，不是人员"
                                          "（not a person）"))
        reading = read_record(inner, query)
        if reading.problem is not None:
            return SingleReading(Kind.UNRECOGNIZED, message, reading, reading.problem)
        return SingleReading(Kind.FOUND, message, reading)
    if says_not_found(message):
        return SingleReading(Kind.NOT_FOUND, message)
    return SingleReading(Kind.UNRECOGNIZED, message,
                         problem=("没有证书，也没有说查无结果的消息（no certificate, no “none "
                                  f"found”）：{message[:80]!r}"))


# --- the full list ---------------------------------------------------------------------------


def read_valid_code(page: str) -> str | None:
    """The ``validCode`` the perResult page holds, or None when it holds none (or two)."""
    found = {m.group(1) for pattern in api.VALID_CODE_PATTERNS for m in pattern.finditer(page)}
    if len(found) != 1:
        return None
    code = found.pop()
    return code if api.VALID_CODE_CHARS.fullmatch(code) else None


@dataclass(frozen=True, slots=True)
class ListReading:
    """What getPerInfoBySfzh said: every certificate of the person, none, or not understood."""

    kind: Kind
    message: str
    records: tuple[RecordReading, ...] = ()
    problem: str | None = None
    #: Where the list stood (``licList`` or ``data.licList``).
    where: str | None = None
    #: Top-level keys nobody mapped.
    unknown: tuple[str, ...] = ()

    @property
    def cert_records(self) -> tuple[CertRecord, ...]:
        return tuple(r.record for r in self.records if r.record is not None)

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        keys = set(self.unknown)
        for reading in self.records:
            keys.update(reading.unknown)
        return tuple(sorted(keys))


_LIST_ENVELOPE = frozenset({api.ERRCODE_KEY, api.ERRMSG_KEY, api.MESSAGE_LEVEL_KEY,
                            api.MESSAGE_TEXT_KEY, api.LIST_KEY, *api.LIST_CONTAINERS})


def read_list(data: Mapping[str, Any], query: Query) -> ListReading:
    """``licList[]`` at the top level (or inside ``data``): the person's certificates."""
    message = message_of(data)
    failed = errcode_problem(data)
    unknown = tuple(sorted(str(k) for k in data if k not in _LIST_ENVELOPE))
    if failed is not None:
        return ListReading(Kind.UNRECOGNIZED, message, problem=failed, unknown=unknown)
    located = _locate_list(data)
    if isinstance(located, str):
        return ListReading(Kind.UNRECOGNIZED, message, problem=located, unknown=unknown)
    where, items = located
    if not items:
        # An empty list means "none" only when nothing beside it says otherwise: a message
        # that is neither a success nor "nothing found" (验证码已过期) may explain the emptiness.
        if message and message not in api.OK_MESSAGES and not says_not_found(message):
            return ListReading(Kind.UNRECOGNIZED, message, problem=(
                f"列表为空，但消息是“{message[:80]}”（an empty list with a message not "
                "understood）"), where=where, unknown=unknown)
        return ListReading(Kind.NOT_FOUND, message, where=where, unknown=unknown)
    readings = tuple(read_record(item, query) for item in items)
    bad = next((r.problem for r in readings if r.problem is not None), None)
    if bad is not None:
        return ListReading(Kind.UNRECOGNIZED, message, readings, bad, where, unknown)
    return ListReading(Kind.FOUND, message, readings, None, where, unknown)


def _locate_list(data: Mapping[str, Any]) -> tuple[str, Sequence[object]] | str:
    """(where, the list) or the problem: exactly one ``licList`` that is a list."""
    found: list[tuple[str, object]] = []
    if api.LIST_KEY in data:
        found.append((api.LIST_KEY, data[api.LIST_KEY]))
    for container in api.LIST_CONTAINERS:
        inner = data.get(container)
        if isinstance(inner, Mapping) and api.LIST_KEY in inner:
            found.append((f"{container}.{api.LIST_KEY}", inner[api.LIST_KEY]))
    if not found:
        return f"答复中没有 {api.LIST_KEY}（no {api.LIST_KEY}）"
    if len(found) > 1:
        return f"{api.LIST_KEY} 出现在两处（in two places）：{', '.join(w for w, _ in found)}"
    where, value = found[0]
    if not isinstance(value, list):
        return f"{where} 不是列表（not a list）"
    return where, value


# --- the two answers together ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Combined:
    """What the single answer and the full list say together."""

    kind: Kind
    records: tuple[CertRecord, ...] = ()
    problem: str | None = None
    notes: tuple[str, ...] = field(default=())


def combine(single: SingleReading, listed: ListReading) -> Combined:
    """The full list decides; the single answer must agree with it.

    A person with several certificates gets one of them in the single answer, so the single
    answer alone never decides. The list is believed only when it agrees with the single
    answer: the single certificate must be in the list, and "nothing found" needs both.
    """
    if single.kind is Kind.UNRECOGNIZED:
        return Combined(Kind.UNRECOGNIZED,
                        problem=f"单条查询（the single answer）：{single.problem}")
    if listed.kind is Kind.UNRECOGNIZED:
        return Combined(Kind.UNRECOGNIZED, problem=f"完整列表（the full list）：{listed.problem}")
    if listed.kind is Kind.NOT_FOUND:
        if single.kind is Kind.NOT_FOUND:
            return Combined(Kind.NOT_FOUND)
        return Combined(Kind.UNRECOGNIZED, problem=(
            "完整列表为空，单条查询却有证书（the full list is empty, the single answer is not）"))
    records = listed.cert_records
    if single.kind is Kind.NOT_FOUND:
        return Combined(Kind.UNRECOGNIZED, problem=(
            f"单条查询无结果，完整列表却有 {len(records)} 张证书"
            "（the single answer found nothing, the full list did）"))
    shown = single.record.record if single.record is not None else None
    if shown is not None and not any(_same_certificate(shown, r) for r in records):
        return Combined(Kind.UNRECOGNIZED, problem=(
            "单条查询的证书不在完整列表中（the single answer's certificate is not in the list）"))
    notes = tuple(n for r in listed.records for n in r.notes)
    return Combined(Kind.FOUND, records, notes=notes)


def _same_certificate(a: CertRecord, b: CertRecord) -> bool:
    if a.cert_number and b.cert_number:
        return cert_key(a.cert_number) == cert_key(b.cert_number)
    return (a.item, a.valid_from, a.valid_until) == (b.item, b.valid_from, b.valid_until)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
