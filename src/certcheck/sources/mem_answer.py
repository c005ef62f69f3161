"""What one JSON answer of the national lookup says, read through ``mem_mapping``.

Pure functions, shared by the live source, ``replay:`` and ``certcheck probe``: the reading
keeps, besides the records, how each was read (which key filled which field, which keys the
table does not know, which fields had no value), so that a wrong assumption shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from certcheck import jsontext
from certcheck.dates import parse_date_text
from certcheck.ids import mask_id, normalize_id
from certcheck.models import CertRecord, Query, is_status_code, status_class
from certcheck.shown import Agreement, Legibility, Shown, cert_key, compare_id, official_id
from certcheck.sources import mem_mapping as api

_SERVICE_ZONE = timezone(timedelta(hours=api.SERVICE_UTC_OFFSET_HOURS))
_RECORD_KEYS = frozenset(k for f in api.RECORD_MAP for k in f.keys) | frozenset(api.KEPT_RAW_ONLY)
_LIST_KEYS = frozenset(api.CURRENT_LIST_KEYS) | frozenset(api.HISTORY_LIST_KEYS)
_TOP_KEYS = frozenset(api.ENVELOPE_KEYS) | frozenset(api.MORE_ENVELOPE_KEYS) | _LIST_KEYS
_PAGE_KEYS = frozenset(api.DATA_OBJECT_KEYS) | frozenset(api.PAGE_KEYS)


class AnswerKind(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    WRONG_CAPTCHA = "wrong_captcha"
    #: The service says it failed (a 5xx code in the body, or ``success: false`` with a
    #: message): worth asking again.
    SERVICE_ERROR = "service_error"
    UNRECOGNIZED = "unrecognized"
    #: A paged answer lists fewer records than its ``total`` even though a large page was asked
    #: for: the records left out could change the verdict either way, so it decides nothing.
    INCOMPLETE = "incomplete"


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
    #: (key, value) of every status value read (``mem_mapping.STATUS_KEYS``), in key order.
    statuses: tuple[tuple[str, str], ...] = ()
    #: Those of ``statuses`` that say nothing known on their own: a code ``STATUS_CODES`` does
    #: not know, a word of no known meaning. Beside a known word a code is harmless; alone, or
    #: an unknown word anywhere, it leaves the record's status unknown.
    unknown_statuses: tuple[tuple[str, str], ...] = ()


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
    #: Why the answer is unrecognized (or incomplete).
    problem: str | None = None
    #: (total, records) of a page cut short: the answer's ``total`` and how many current records
    #: it carried (``AnswerKind.INCOMPLETE``). None otherwise.
    incomplete: tuple[int, int] | None = None

    @property
    def unknown_statuses(self) -> tuple[tuple[str, str], ...]:
        """Every status value of the records that says nothing known on its own, once each."""
        seen: dict[tuple[str, str], None] = {}
        for reading in self.records:
            seen.update(dict.fromkeys(reading.unknown_statuses))
        return tuple(seen)

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


def message_of(data: Mapping[str, Any]) -> str:
    """The answer's message: every one of ``mem_mapping.MSG_KEYS`` with text (``msg``,
    ``message``), so that a not-found or error word under either is seen."""
    texts: list[str] = []
    for key in api.MSG_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value not in texts:
            texts.append(value)
    return " / ".join(texts)


def succeeded(code: object, success: object) -> bool:
    """The envelope says success: ``code`` is ``OK_CODE``, or there is no code and ``success``
    is true; ``success: false`` is a failure whatever the code says."""
    if success is False:
        return False
    if code is None:
        return success is True
    return _code_in(code, (api.OK_CODE, *api.OTHER_OK_CODES))


def _code_in(code: object, codes: tuple[int, ...]) -> bool:
    """``code`` (a number or its digits) is one of ``codes``."""
    if isinstance(code, bool):
        return False
    return any(code == c or str(code).strip() == str(c) for c in codes)


def read_answer(data: Mapping[str, Any], query: Query) -> AnswerReading:
    """What one decoded JSON answer of netQuery means."""
    message = message_of(data)
    code = data.get(api.CODE_KEY)
    success = data.get(api.SUCCESS_KEY)
    ok = succeeded(code, success)
    # Under code 0 (a success code of RuoYi's older answers, a failure code elsewhere) a
    # message about the captcha is a rejected captcha, as under any code but 200.
    if says_wrong_captcha(message, ok and not _code_in(code, api.OTHER_OK_CODES)):
        return AnswerReading(AnswerKind.WRONG_CAPTCHA, code, message)
    located = _locate(data)
    if located.problem is not None:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=located.unknown,
                             problem=located.problem)
    holds_records = bool(located.current or located.history)
    if not ok:
        return _failure(code, success, message, located, holds_records)
    if located.cut_short is not None:
        # Before "no records": a page past its end (total 25, rows []) is no "nothing found".
        return _cut_short(code, message, located, query, located.cut_short)
    if not holds_records:
        return _no_records(code, message, located)
    return _with_records(code, message, located, query)


def _failure(code: object, success: object, message: str, located: _Located,
             holds_records: bool) -> AnswerReading:
    """An answer whose code is not the success code, or that says ``success: false``."""
    unknown = located.unknown
    if says_not_found(message) and not holds_records:
        return AnswerReading(AnswerKind.NOT_FOUND, code, message, unknown=unknown)
    if isinstance(code, int) and not isinstance(code, bool) and 500 <= code < 600:
        return AnswerReading(AnswerKind.SERVICE_ERROR, code, message, unknown=unknown)
    if code is None and success is False and message:
        # jeecg and others say an error with ``success: false`` and a message, no code.
        return AnswerReading(AnswerKind.SERVICE_ERROR, code, message, unknown=unknown)
    if code is None and success is None:
        problem = (f"答复中没有 {api.CODE_KEY!r} 也没有 {api.SUCCESS_KEY!r}"
                   f"（no {api.CODE_KEY!r} and no {api.SUCCESS_KEY!r}） {message}").strip()
    else:
        problem = f"答复代码 code {code!r} 无法理解 {message}".strip()
    return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown, problem=problem)


def _cut_short(code: object, message: str, located: _Located, query: Query,
               counts: tuple[int, int]) -> AnswerReading:
    """A page cut short: its records are read (``probe`` shows them), and decide nothing."""
    total, count = counts
    readings = _readings(located, query)
    asked = api.QUERY_PAGE_PARAMS.get("pageSize")
    page = f"，已按每页 {asked} 条查询" if asked else ""
    problem = (f"答复只列出 {count} 条记录，总数却为 {total} 条{page}，其余记录未给出"
               f"（a page cut short: total {total}, records {count}）")
    return AnswerReading(AnswerKind.INCOMPLETE, code, message, readings, located.unknown,
                         problem, incomplete=counts)


def _no_records(code: object, message: str, located: _Located) -> AnswerReading:
    """A successful answer with no records where certcheck looks for them."""
    unknown = located.unknown
    if located.unknown_content:
        return AnswerReading(
            AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
            problem="certcheck 认识的字段中没有记录，其他字段中却有内容"
                    "（no records under the keys certcheck knows, but other keys hold data）",
        )
    if located.no_data and not api.MISSING_DATA_MEANS_NOT_FOUND:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
                             problem=f"答复中没有 {api.DATA_KEY!r}（no {api.DATA_KEY!r}）")
    if _code_in(code, api.OTHER_OK_CODES) and not says_not_found(message):
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
                             problem=f"答复代码 code {code!r}，没有记录（no records） {message}"
                             .strip())
    if any(s in message for s in api.NOT_FOUND_SPOILERS) or not _quiet(message):
        # A success code with no records and a message that says something went wrong, or
        # something certcheck does not understand (您的请求已被拦截): no verdict about a person.
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, unknown=unknown,
                             problem=f"没有记录，答复消息却说（no records, and the message says）："
                                     f"{message}")
    return AnswerReading(AnswerKind.NOT_FOUND, code, message, unknown=unknown)


def _quiet(message: str) -> bool:
    """The message of an answer without records says nothing was found, that the query
    succeeded, or nothing at all."""
    lowered = message.lower()
    return (not message.strip() or says_not_found(message)
            or any(m in lowered for m in api.SUCCESS_MARKERS))


def _with_records(code: object, message: str, located: _Located, query: Query) -> AnswerReading:
    """A successful answer holding records: found, unless one of them does not fit."""
    readings = _readings(located, query)
    problem = next((r.problem for r in readings if r.problem is not None), None)
    if problem is None and says_not_found(message):
        # Records under a message that says there are none: one of the two is wrong.
        problem = (f"有记录，答复消息却说没有查到（records, and the message says nothing was "
                   f"found）：{message}")
    if problem is None:
        problem = _same_certificate_twice(readings)
    if problem is not None:
        return AnswerReading(AnswerKind.UNRECOGNIZED, code, message, readings, located.unknown,
                             problem)
    return AnswerReading(AnswerKind.FOUND, code, message, readings, located.unknown)


def _same_certificate_twice(readings: tuple[RecordReading, ...]) -> str | None:
    """The problem of an answer that lists one certificate (the same 证号, item and validity) as
    current twice with statuses that mean different things (有效 and 注销): which one is true
    cannot be told, and either would decide."""
    meanings: dict[tuple[str | None, str | None, date | None, date | None], set[object]] = {}
    shown: dict[tuple[str | None, str | None, date | None, date | None], list[str]] = {}
    for reading in readings:
        record = reading.record
        if record is None or record.history or not record.statuses:
            continue
        number = cert_key(record.cert_number) if record.cert_number else None
        same = (number, record.item, record.valid_from, record.valid_until)
        meanings.setdefault(same, set()).add(record.status_meaning)
        shown.setdefault(same, []).append(record.status_shown or "")
    for same, found in meanings.items():
        if len(found) > 1:
            statuses = "”与“".join(dict.fromkeys(shown[same]))
            return (f"同一证书（{same[1]}）列为现行两次，证书状态分别为“{statuses}”，不能判定"
                    "（the same certificate twice with different statuses）")
    return None


def _readings(located: _Located, query: Query) -> tuple[RecordReading, ...]:
    return tuple(read_record(item, query) for item in located.current) + tuple(
        read_record(item, query, history=True) for item in located.history
    )


@dataclass(slots=True)
class _Located:
    current: list[object]
    history: list[object]
    unknown: tuple[str, ...]
    #: An unknown key holds something (a non-empty list or object): records may hide there.
    unknown_content: bool
    no_data: bool
    problem: str | None
    #: (total, current records) when a ``total`` says there are more records than were sent.
    cut_short: tuple[int, int] | None = None


class _Gathered:
    """What ``_locate`` has found so far; the first value that does not fit is the problem."""

    __slots__ = ("current", "history", "problem", "totals", "unknown", "unknown_content")

    def __init__(self) -> None:
        self.current: list[object] = []
        self.history: list[object] = []
        self.unknown: list[str] = []
        self.unknown_content = False
        self.problem: str | None = None
        #: Every ``total`` the answer gives (top level, in a page object).
        self.totals: list[int] = []

    def fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def decoded(self, owner: str, key: str, value: object) -> object:
        """A list or object sent as a JSON string (``"data": "[{…}]"``), decoded; any other
        value as it is. A string that looks like JSON and is not is the problem."""
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                return jsontext.loads(value)
            except ValueError:
                self.fail(f"{owner}{key!r} 是字符串，却不是 JSON（a string that is not JSON）")
                return None
        return value

    def take(self, owner: str, key: str, value: object, into: list[object]) -> None:
        value = self.decoded(owner, key, value)
        if value is None:
            return
        if isinstance(value, list):
            into.extend(value)
        else:
            self.fail(f"{owner}{key!r} 不是列表（not a list）")

    def total(self, owner: str, value: object) -> None:
        """A page's ``total``: a count of records, as a number or digits."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            self.totals.append(value)
        elif isinstance(value, str) and value.strip().isdigit():
            self.totals.append(int(value.strip()))
        else:
            self.fail(f"{owner}{api.TOTAL_KEY!r} 不是记录条数（not a number of records）")

    def unknown_key(self, name: str, holds_something: bool) -> None:
        self.unknown.append(name)
        self.unknown_content = self.unknown_content or holds_something


def _paging_value(key: str, value: object) -> bool:
    """A key that is both a list key and a paging key holds a page number here, not records
    (MyBatis-Plus's ``current: 1``)."""
    if key not in _PAGE_KEYS:
        return False
    if isinstance(value, str):
        return value.strip().isdigit() or not value.strip()
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _locate(data: Mapping[str, Any]) -> _Located:
    """Where the records of an answer are: current ones and history ones (历史数据)."""
    found = _Gathered()
    for key, value in data.items():
        if key not in _TOP_KEYS:
            found.unknown_key(str(key), _holds_something(value))
        elif key in api.CURRENT_LIST_KEYS:
            if not _paging_value(key, value):
                found.take("", key, value, found.current)
        elif key in api.HISTORY_LIST_KEYS:
            found.take("", key, value, found.history)
    found.total("", data.get(api.TOTAL_KEY))
    bodies: list[tuple[str, object]] = []
    for key in api.BODY_KEYS:
        body = found.decoded("", key, data.get(key))
        if body is not None and has_value(body):
            bodies.append((key, body))
    if sum(1 for _, body in bodies if _holds_something(body) or isinstance(body, str)) > 1:
        found.fail("、".join(repr(key) for key, _ in bodies) + " 都有内容，不知以哪个为准"
                   "（both hold something）")
    for key, body in bodies:
        if isinstance(body, list):
            found.current.extend(body)
        elif isinstance(body, Mapping):
            _locate_in_object(body, found, f"{key}.")
        else:
            found.fail(f"{key!r} 既不是列表也不是对象（neither a list nor an object）")
    cut_short = None
    if found.totals and max(found.totals) > len(found.current):
        cut_short = (max(found.totals), len(found.current))
    return _Located(found.current, found.history, tuple(found.unknown), found.unknown_content,
                    no_data=not bodies, problem=found.problem, cut_short=cut_short)


def _locate_in_object(body: Mapping[str, Any], found: _Gathered, owner: str) -> None:
    """An object ``data`` (or ``result``): a page of lists under the keys certcheck knows, or
    else one record."""
    lists = [k for k in body if k in _LIST_KEYS and not _paging_value(k, body[k])]
    if lists:
        for key in lists:
            into = found.current if key in api.CURRENT_LIST_KEYS else found.history
            found.take(owner, key, body[key], into)
        for key, value in body.items():
            if key not in _LIST_KEYS and key not in _PAGE_KEYS:
                found.unknown_key(f"{owner}{key}", _holds_something(value))
        found.total(owner, body.get(api.TOTAL_KEY))
    elif any(k in _RECORD_KEYS for k in body):
        found.current.append(body)  # one record, not in a list
    else:
        # An object of unknown keys may be one record in a shape the table does not know:
        # any value in it counts, not only lists.
        for key, value in body.items():
            if key not in _PAGE_KEYS:
                found.unknown_key(f"{owner}{key}", has_value(value))
        found.total(owner, body.get(api.TOTAL_KEY))


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
        return RecordReading(None, history, (), (), (),
                             problem="有一条记录不是对象（a record is not an object）")
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
    # The service answers for the ID asked. A record whose ID (whole, or masked as
    # 500116********017X) shows a character that is not the queried person's is someone else's
    # record in this person's answer, which no verdict can rest on, either way: not "valid"
    # from another's certificate, not "fake" from another's name.
    if shown is not None and compare_id(shown, query.id_number) is Agreement.DISAGREE:
        return RecordReading(None, history, tuple(fields.filled), tuple(fields.missing),
                             unknown, _not_the_queried_id(shown), raw=item)
    if shown is not None and shown.legibility is Legibility.CLEAR:
        values["id_number"] = normalize_id(shown.text)
    else:
        # Masked, or not an ID at all (null, -): the queried person's, as a record without one.
        values["id_number"] = query.id_number
    statuses: tuple[tuple[str, str], ...] = values.pop(_STATUS_ATTR) or ()
    shown_statuses = tuple(_status_value(key, text) for key, text in statuses)
    values[_STATUS_ATTR] = shown_statuses[0] if shown_statuses else None
    record = CertRecord(**values, history=history, other_statuses=shown_statuses[1:])
    return RecordReading(record, history, tuple(fields.filled), tuple(fields.missing), unknown,
                         notes=tuple(fields.notes), raw=item, statuses=statuses,
                         unknown_statuses=tuple(s for s in statuses if not _status_known(*s)))


#: The attribute ``RECORD_MAP`` reads from every key (``FieldMap.every_key``).
_STATUS_ATTR = "status_text"
assert [f.attr for f in api.RECORD_MAP if f.every_key] == [_STATUS_ATTR]


def _status_value(key: str, text: str) -> str:
    """A status value as the record carries it: a code ``STATUS_CODES`` knows with its word
    (``05（注销）``), anything else as sent."""
    word = api.STATUS_CODES.get(key, {}).get(text)
    return f"{text}（{word}）" if word else text


def _status_known(key: str, text: str) -> bool:
    """The value says something known on its own: a known code, or a word of known meaning."""
    if is_status_code(text):
        return text in api.STATUS_CODES.get(key, {})
    return status_class(text) is not None


def _not_the_queried_id(shown: Shown) -> str:
    text = mask_id(normalize_id(shown.text))
    if shown.masked:
        return (f"证件号码“{text}”已遮盖，所显示的字与所查的身份证号不符，记录不是此人的"
                "（a masked ID that is not the queried one's）")
    return (f"答复中有证件号码为“{text}”的记录，与所查的身份证号不符，记录不是此人的"
            "（a record of another ID in this person's answer）")


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
        if mapped.every_key:
            _read_every_key(mapped, item, history, fields)
            continue
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
                fields.notes.append(f"{key!r} {exc}，按无值处理（read as none）")
                fields.missing.append(mapped.attr)
            continue
        fields.filled.append((mapped.attr, key))
    return fields


def _read_every_key(mapped: api.FieldMap, item: Mapping[str, Any], history: bool,
                    fields: _Fields) -> None:
    """A field read from every one of its keys that has a value: (key, text) pairs."""
    read: list[tuple[str, str]] = []
    for key in mapped.keys:
        if not has_value(item.get(key)):
            continue
        try:
            text = (_flag_value(key, item[key]) if key in api.STATUS_FLAG_KEYS
                    else _value(mapped, item[key]))
        except ValueError as exc:
            if not history:
                fields.problem = fields.problem or f"{key!r} {exc}"
            else:
                fields.notes.append(f"{key!r} {exc}，按无值处理（read as none）")
            continue
        assert isinstance(text, str)
        read.append((key, text))
        fields.filled.append((mapped.attr, key))
    fields.values[mapped.attr] = tuple(read)
    if not read:
        fields.missing.append(mapped.attr)


def _flag_value(key: str, value: object) -> str:
    """A yes/no flag as a status value (``mem_mapping.STATUS_FLAG_KEYS``): ``true`` as a code,
    a word as a word, anything else as ``key:value``, which is neither a code nor a word."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int):
        text = str(value).strip()
    else:
        raise ValueError("不是文字（is not text）")
    if text.lower() in api.TRUE_STATUS_FLAGS or status_class(text) is not None:
        return text
    return f"{key}:{text}"


def _absent_required(values: Mapping[str, Any]) -> str | None:
    """The problem of a current record without a value it cannot do without."""
    absent = [f for f in api.RECORD_MAP if f.required and values[f.attr] is None]
    if absent:
        return (f"记录缺少{absent[0].label}"
                f"（record without {absent[0].label} ({'/'.join(absent[0].keys)})）")
    return None


def _value(field: api.FieldMap, value: object) -> str | date:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("不是文字（is not text）")
    if field.is_date:
        return read_date(value)
    return str(value).strip()


def read_date(value: str | int) -> date:
    """A date as the service may send it: ``YYYY-MM-DD`` with or without a time, a date-time
    with an offset, epoch seconds or milliseconds, or Java's ``Date.toString()`` (all read in
    China's time zone). A sentinel for "no date" (9999-12-31, 1970-01-01) is not a date."""
    read = _read_date(value)
    if not api.DATE_SENTINEL_BEFORE_YEAR <= read.year < api.DATE_SENTINEL_FROM_YEAR:
        text = str(value).strip()
        raise ValueError(f"是占位值，不是日期（a placeholder, not a date）：{text[:40]!r}")
    return read


def _read_date(value: str | int) -> date:
    text = str(value).strip()
    if text.isdigit() and len(text) in api.EPOCH_MILLIS_DIGITS:
        return _epoch_date(int(text) / 1000)
    if text.isdigit() and len(text) in api.EPOCH_SECONDS_DIGITS:
        return _epoch_date(int(text))
    java = _JAVA_DATE.fullmatch(text)
    if java is not None:
        return _java_date(java, text)
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
        raise ValueError(f"不是日期（is not a date）：{text[:40]!r}") from None


def _epoch_date(seconds: float) -> date:
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone(_SERVICE_ZONE).date()


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: ``EEE MMM dd HH:mm:ss zzz yyyy``, as ``java.util.Date.toString()`` writes it.
_JAVA_DATE = re.compile(
    rf"({'|'.join(_WEEKDAYS)}) ({'|'.join(_MONTHS)}) (\d{{2}}) (\d{{2}}):(\d{{2}}):(\d{{2}}) "
    r"(\S+) (\d{4})"
)


def _java_date(match: re.Match[str], text: str) -> date:
    """``Mon Mar 01 00:00:00 CST 2021``: the day in the zone it names, then in China's; the
    weekday must be the date's, or the text is not what Java wrote."""
    weekday, month, day, hour, minute, second, zone, year = match.groups()
    hours = api.JAVA_DATE_ZONES.get(zone)
    if hours is None:
        raise ValueError(f"不是日期（is not a date）：{text[:40]!r}，时区 {zone[:12]!r} 未知")
    try:
        moment = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute),
                          int(second), tzinfo=timezone(timedelta(hours=hours)))
    except ValueError:
        raise ValueError(f"不是日期（is not a date）：{text[:40]!r}") from None
    if _WEEKDAYS[moment.weekday()] != weekday:
        raise ValueError(f"不是日期（is not a date）：{text[:40]!r}，星期 {weekday} 与日期不符")
    return moment.astimezone(_SERVICE_ZONE).date()


# --- the captcha answer -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptchaReading:
    """What a captcha answer says: whether a captcha is needed, its image and its uuid."""

    #: False when a switch (``captchaEnabled``, ``captchaOnOff``) says the captcha is off.
    needed: bool
    #: The image as sent (base64, perhaps a ``data:`` URL); None when there is none as text.
    image: str | None
    #: The uuid to send back with the answer; None when there is none as text.
    uuid: str | None


def read_captcha(data: Mapping[str, Any]) -> CaptchaReading:
    """A captcha answer, at the top level or nested under ``data`` (RuoYi-Vue-Plus:
    ``data.img``, ``data.uuid``, ``data.captchaEnabled``), as an object or a JSON string."""
    places: list[Mapping[str, Any]] = [data]
    for key in api.CAPTCHA_BODY_KEYS:
        body = data.get(key)
        if isinstance(body, str) and body.strip()[:1] == "{":
            try:
                body = jsontext.loads(body)
            except ValueError:
                body = None
        if isinstance(body, Mapping):
            places.append(body)
    switches = [p[k] for p in places for k in api.CAPTCHA_SWITCH_KEYS if isinstance(p.get(k), bool)]
    needed = not (False in switches and True not in switches)
    image = next((p[api.CAPTCHA_IMAGE_KEY] for p in places
                  if isinstance(p.get(api.CAPTCHA_IMAGE_KEY), str)), None)
    uuid = next((p[api.CAPTCHA_UUID_KEY] for p in places
                 if isinstance(p.get(api.CAPTCHA_UUID_KEY), str) and p[api.CAPTCHA_UUID_KEY]),
                None)
    return CaptchaReading(needed, image, uuid)
