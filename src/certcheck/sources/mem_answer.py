"""What one JSON answer of the national lookup says, read through ``mem_mapping``.

Pure functions, shared by the live source, ``replay:`` and ``certcheck probe``: the reading
keeps, besides the records, how each was read (which key filled which field, which keys the
table does not know, which fields had no value), so that a wrong assumption shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from certcheck.dates import parse_date_text
from certcheck.ids import mask_id, normalize_id
from certcheck.models import CertRecord, Query
from certcheck.shown import Agreement, compare_id, official_id
from certcheck.sources import mem_mapping as api

_SERVICE_ZONE = timezone(timedelta(hours=api.SERVICE_UTC_OFFSET_HOURS))
_RECORD_KEYS = frozenset(k for f in api.RECORD_MAP for k in f.keys) | frozenset(api.KEPT_RAW_ONLY)
_LIST_KEYS = frozenset(api.CURRENT_LIST_KEYS) | frozenset(api.HISTORY_LIST_KEYS)
_TOP_KEYS = frozenset(api.ENVELOPE_KEYS) | _LIST_KEYS


class AnswerKind(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    WRONG_CAPTCHA = "wrong_captcha"
    #: The service says it failed (a 5xx code in the body): worth asking again.
    SERVICE_ERROR = "service_error"
    UNRECOGNIZED = "unrecognized"


@dataclass(frozen=True, slots=True)
class RecordReading:
    """One record of an answer: the CertRecord it makes, and how it was read."""

    record: CertRecord | None
    history: bool
    #: (attribute, API key) for every attribute that got a value.
    filled: tuple[tuple[str, str], ...]
    #: Attributes that got no value.
    missing: tuple[str, ...]
    #: Keys of the record that ``mem_mapping`` does not know.
    unknown: tuple[str, ...]
    #: Why the record is unusable (None when ``record`` is set).
    problem: str | None = None
    #: What was overlooked in a history record (a bad date read as none).
    notes: tuple[str, ...] = ()
    #: The record as the service sent it (None when it was not an object).
    raw: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AnswerReading:
    """One query answer as a whole."""

    kind: AnswerKind
    code: object
    message: str
    records: tuple[RecordReading, ...] = ()
    #: Keys of the answer (outside the records) that ``mem_mapping`` does not know; keys inside
    #: an object ``data`` are written ``data.KEY``.
    unknown: tuple[str, ...] = ()
    #: Why the answer is unrecognized.
    problem: str | None = None

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        """Every unknown key, of the answer and of its records, once each and sorted."""
        keys = set(self.unknown)
        for reading in self.records:
            keys.update(reading.unknown)
        return tuple(sorted(keys))

    @property
    def cert_records(self) -> tuple[CertRecord, ...]:
        return tuple(r.record for r in self.records if r.record is not None)


def has_value(value: object) -> bool:
    """A key present with an empty value counts as absent."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def says_not_found(message: str) -> bool:
    """The message says nothing was found, and nothing that would make it an error."""
    return any(m in message for m in api.NOT_FOUND_MARKERS) and not any(
        s in message for s in api.NOT_FOUND_SPOILERS
    )


def says_wrong_captcha(message: str, ok: bool) -> bool:
    if any(m in message for m in api.CAPTCHA_MARKERS):
        return True
    return not ok and api.CAPTCHA_WORD in message


def read_answer(data: Mapping[str, Any], query: Query) -> AnswerReading:
    """What one decoded JSON answer of netQuery means."""
    msg = data.get(api.MSG_KEY)
    message = msg if isinstance(msg, str) else ""
    code = data.get(api.CODE_KEY)
    ok = code == api.OK_CODE or (code is not None and str(code) == str(api.OK_CODE))
    if says_wrong_captcha(message, ok):
        return AnswerReading(AnswerKind.WRONG_CAPTCHA, code, message)
    located = _locate(data)
    if located.problem is not None:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=located.unknown,
                             problem=located.problem)
    holds_records = bool(located.current or located.history)
    if not ok:
        return _failure(code, message, located, holds_records)
    if not holds_records:
        return _no_records(code, message, located)
    return _with_records(code, message, located, query)


def _failure(code: object, message: str, located: _Located, holds_records: bool) -> AnswerReading:
    """An answer whose code is not the success code."""
    unknown = located.unknown
    if says_not_found(message) and not holds_records:
        return AnswerReading(AnswerKind.NOT_FOUND, code, message, unknown=unknown)
    if isinstance(code, int) and not isinstance(code, bool) and 500 <= code < 600:
        return AnswerReading(AnswerKind.SERVICE_ERROR, code, message, unknown=unknown)
    return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
                         problem=f"code {code!r} {message}".strip())


def _no_records(code: object, message: str, located: _Located) -> AnswerReading:
    """A successful answer with no records where certcheck looks for them."""
    unknown = located.unknown
    if located.unknown_content:
        return AnswerReading(
            AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
            problem="no records under the keys certcheck knows, but other keys hold data",
        )
    if located.no_data and not api.MISSING_DATA_MEANS_NOT_FOUND:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
                             problem=f"no {api.DATA_KEY!r}")
    return AnswerReading(AnswerKind.NOT_FOUND, code, message, unknown=unknown)


def _with_records(code: object, message: str, located: _Located, query: Query) -> AnswerReading:
    """A successful answer holding records: found, unless one of them does not fit."""
    readings = tuple(read_record(item, query) for item in located.current) + tuple(
        read_record(item, query, history=True) for item in located.history
    )
    problem = next((r.problem for r in readings if r.problem is not None), None)
    if problem is not None:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, readings, located.unknown,
                             problem)
    return AnswerReading(AnswerKind.FOUND, code, message, readings, located.unknown)


@dataclass(slots=True)
class _Located:
    current: list[object]
    history: list[object]
    unknown: tuple[str, ...]
    #: An unknown key holds something (a non-empty list or object): records may hide there.
    unknown_content: bool
    no_data: bool
    problem: str | None


class _Gathered:
    """What ``_locate`` has found so far; the first list that is not a list is the problem."""

    __slots__ = ("current", "history", "problem", "unknown", "unknown_content")

    def __init__(self) -> None:
        self.current: list[object] = []
        self.history: list[object] = []
        self.unknown: list[str] = []
        self.unknown_content = False
        self.problem: str | None = None

    def take(self, owner: str, key: str, value: object, into: list[object]) -> None:
        if value is None:
            return
        if isinstance(value, list):
            into.extend(value)
        elif self.problem is None:
            self.problem = f"{owner}{key!r} is not a list"

    def unknown_key(self, name: str, holds_something: bool) -> None:
        self.unknown.append(name)
        self.unknown_content = self.unknown_content or holds_something


def _locate(data: Mapping[str, Any]) -> _Located:
    """Where the records of an answer are: current ones and history ones (历史数据)."""
    found = _Gathered()
    for key, value in data.items():
        if key not in _TOP_KEYS:
            found.unknown_key(str(key), _holds_something(value))
        elif key in api.CURRENT_LIST_KEYS:
            found.take("", key, value, found.current)
        elif key in api.HISTORY_LIST_KEYS:
            found.take("", key, value, found.history)
    body = data.get(api.DATA_KEY)
    if isinstance(body, list):
        found.current.extend(body)
    elif isinstance(body, Mapping):
        _locate_in_object(body, found)
    elif body is not None and has_value(body):
        found.problem = f"{api.DATA_KEY!r} is neither a list nor an object"
    return _Located(found.current, found.history, tuple(found.unknown), found.unknown_content,
                    no_data=body is None or not has_value(body), problem=found.problem)


def _locate_in_object(body: Mapping[str, Any], found: _Gathered) -> None:
    """An object ``data``: lists under the keys certcheck knows, or else one record."""
    lists = [k for k in body if k in _LIST_KEYS]
    if lists:
        for key in lists:
            into = found.current if key in api.CURRENT_LIST_KEYS else found.history
            found.take("data.", key, body[key], into)
        for key, value in body.items():
            if key not in _LIST_KEYS and key not in api.DATA_OBJECT_KEYS:
                found.unknown_key(f"data.{key}", _holds_something(value))
    elif any(k in _RECORD_KEYS for k in body):
        found.current.append(body)  # one record, not in a list
    else:
        # An object of unknown keys may be one record in a shape the table does not know:
        # any value in it counts, not only lists.
        for key, value in body.items():
            if key not in api.DATA_OBJECT_KEYS:
                found.unknown_key(f"data.{key}", has_value(value))


def _holds_something(value: object) -> bool:
    """A non-empty list or object, or text that looks like one (JSON inside a string)."""
    if isinstance(value, str):
        return value.strip()[:1] in ("[", "{")
    return isinstance(value, list | Mapping) and bool(value)


def _flagged_history(item: Mapping[str, Any]) -> bool:
    for key in api.HISTORY_FLAG_KEYS:
        value = item.get(key)
        if value is True or (
            has_value(value) and not isinstance(value, bool)
            and str(value).strip().lower() in api.TRUE_FLAGS
        ):
            return True
    return any(
        isinstance(item.get(key), str) and api.HISTORY_WORD in item[key]
        for key in api.HISTORY_TEXT_KEYS
    )


def read_record(item: object, query: Query, *, history: bool = False) -> RecordReading:
    """One API record through ``mem_mapping.RECORD_MAP``.

    A current record that does not fit (a value that is not text, a date that is not a date, no
    operation item) has a ``problem``; a history record is read as far as it goes, since it
    never decides over a current one and often has blank dates.
    """
    if not isinstance(item, Mapping):
        return RecordReading(None, history, (), (), (), problem="a record is not an object")
    history = history or _flagged_history(item)
    unknown = tuple(sorted(str(k) for k in item if k not in _RECORD_KEYS))
    fields = _read_fields(item, history)
    problem = fields.problem
    if problem is None and not history:
        problem = _absent_required(fields.values)
    if problem is not None:
        return RecordReading(None, history, tuple(fields.filled), tuple(fields.missing), unknown,
                             problem, raw=item)
    values = fields.values
    given = values.get("id_number")
    shown = official_id(given) if isinstance(given, str) else None
    if shown is not None and shown.masked:
        # The service may mask the ID in its answer (500116********017X): the record is the
        # queried person's, unless a character it shows is not theirs. Then it is someone
        # else's record in this person's answer, which no verdict can rest on.
        if compare_id(shown, query.id_number) is Agreement.DISAGREE:
            return RecordReading(None, history, tuple(fields.filled), tuple(fields.missing),
                                 unknown, _not_the_queried_id(shown.text), raw=item)
        values["id_number"] = query.id_number
    else:
        values["id_number"] = normalize_id(given) if given else query.id_number
    record = CertRecord(**values, history=history)
    return RecordReading(record, history, tuple(fields.filled), tuple(fields.missing), unknown,
                         notes=tuple(fields.notes), raw=item)


def _not_the_queried_id(masked: str) -> str:
    shown = mask_id(normalize_id(masked))
    return (f"证件号码“{shown}”已遮盖，所显示的字与所查的身份证号不符，记录不是此人的"
            "（a masked ID that is not the queried one's）")


@dataclass(slots=True)
class _Fields:
    """The attributes of one record as read, and how they were read."""

    values: dict[str, Any] = field(default_factory=dict)
    filled: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The first value of a current record that does not fit.
    problem: str | None = None


def _read_fields(item: Mapping[str, Any], history: bool) -> _Fields:
    """Every attribute of ``RECORD_MAP`` from the first of its keys that has a value; a value
    that does not fit is a problem in a current record, a note (and no value) in a history one."""
    fields = _Fields()
    for mapped in api.RECORD_MAP:
        key = next((k for k in mapped.keys if has_value(item.get(k))), None)
        fields.values[mapped.attr] = None
        if key is None:
            fields.missing.append(mapped.attr)
            continue
        try:
            fields.values[mapped.attr] = _value(mapped, item[key])
        except ValueError as exc:
            if not history:
                fields.problem = fields.problem or f"{key!r} {exc}"
            else:
                fields.notes.append(f"{key!r} {exc}, read as none")
                fields.missing.append(mapped.attr)
            continue
        fields.filled.append((mapped.attr, key))
    return fields


def _absent_required(values: Mapping[str, Any]) -> str | None:
    """The problem of a current record without a value it cannot do without."""
    absent = [f for f in api.RECORD_MAP if f.required and values[f.attr] is None]
    if absent:
        return f"record without {absent[0].label} ({'/'.join(absent[0].keys)})"
    return None


def _value(field: api.FieldMap, value: object) -> str | date:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("is not text")
    if field.is_date:
        return read_date(value)
    return str(value).strip()


def read_date(value: str | int) -> date:
    """A date as the service may send it: ``YYYY-MM-DD`` with or without a time, a date-time
    with an offset (read in China's time zone), or epoch milliseconds."""
    text = str(value).strip()
    if text.isdigit() and 12 <= len(text) <= 13:
        instant = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        return instant.astimezone(_SERVICE_ZONE).date()
    if "T" in text or "+" in text[10:] or text.endswith("Z"):
        moment: datetime | None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(_SERVICE_ZONE).date()
    try:
        return parse_date_text(text)
    except ValueError:
        raise ValueError(f"is not a date: {text[:40]!r}") from None
