"""What a source returned, made an outcome the rules and the cache can trust, or a failure.

A plugin can return anything, and Python will not stop it: None, a dict, a string, an
exception, a coroutine nobody awaited, a ``Found`` of dicts, a ``CertRecord`` holding a text
where a date belongs (which would make the rules' date comparisons raise). Each is
``lookup_failed``, with a detail naming the type, never the content, which may be personal
data. A ``Found`` without records is ambiguous: it says found and shows nothing, and read as
"nothing found" it could call someone fake, so it is ``unrecognized_response``. Both are the
source's fault, which the engine counts as a failure, never as an answer.

Texts are not searched for unpaired surrogates here: the JSON readers mend them on reading
(``certcheck.jsontext``), and the writers and the terminal take any that a plugin passes.

Run once per answer (100,000 of them for a district registry): the usual well-formed outcome
is checked by exact types at C speed, and only an odd one is looked at closely.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import replace
from datetime import date, datetime
from operator import attrgetter

from certcheck.models import CertRecord, Failed, FailureKind, Found, NotFound, Outcome

__all__ = ["EMPTY_FOUND", "SOURCE_ERROR", "type_words", "vetted"]

_RECORD_TEXTS = ("name", "cert_number", "category", "item", "issuer", "status_text", "origin")
_RECORD_DATES = ("first_issued", "valid_from", "valid_until", "review_due", "reviewed")
_texts_of = attrgetter("id_number", *_RECORD_TEXTS)
_dates_of = attrgetter(*_RECORD_DATES)
_TEXT_TYPES = frozenset({str, type(None)})
_DATE_TYPES = frozenset({date, type(None)})
_OUTCOMES = "an outcome (Found, NotFound or Failed)"
#: How the detail of a fault of the source starts (the rest is for the plugin's author).
SOURCE_ERROR = "数据源出错（source error）："
#: The detail of a "found" without records.
EMPTY_FOUND = f"{SOURCE_ERROR}答复为查到却没有记录（it answered found, with no record）"


def type_words(value: object) -> str:
    """What ``value`` is, by its type's name only: what a source holds may be personal data."""
    if value is None:
        return "None"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    return type(value).__name__


def vetted(value: object) -> tuple[Outcome, bool]:
    """``value`` as an outcome the rules and the cache can trust, and whether the source was at
    fault (then the outcome is a ``Failed`` saying what it returned)."""
    result: Outcome | str
    if isinstance(value, Found):
        result = _vetted_found(value)
    elif isinstance(value, NotFound | Failed):
        result = _notes_problem(value) or value
    else:
        if inspect.iscoroutine(value):
            value.close()  # never awaited: closed, so that Python does not warn about it
            result = f"coroutine (an async function never awaited), not {_OUTCOMES}"
        else:
            result = f"{type_words(value)}, not {_OUTCOMES}"
    if isinstance(result, str):
        return Failed(FailureKind.LOOKUP_FAILED, f"{SOURCE_ERROR}returned {result}"), True
    if isinstance(result, Found) and not result.records:
        raw = result.raw
        return Failed(FailureKind.UNRECOGNIZED_RESPONSE, EMPTY_FOUND, raw=raw), True
    return result, False


def _vetted_found(found: Found) -> Found | str:
    """The ``Found`` with its records a tuple of sound ``CertRecord``s, or what is wrong."""
    given: object = found.records
    if not isinstance(given, tuple | list):
        return f"a Found whose records are {type_words(given)}, not CertRecords"
    for record in given:
        problem = _record_problem(record)
        if problem is not None:
            return f"a Found with {problem}"
    problem = _notes_problem(found)
    if problem is not None:
        return problem
    return found if type(given) is tuple else replace(found, records=tuple(given))


def _record_problem(record: object) -> str | None:
    if (
        type(record) is CertRecord
        and type(record.id_number) is str
        and _TEXT_TYPES.issuperset(map(type, _texts_of(record)))
        and _DATE_TYPES.issuperset(map(type, _dates_of(record)))
        and type(record.history) is bool
        and (record.other_statuses == () or _all_texts(record.other_statuses))
    ):
        return None  # the usual record, told by exact types at C speed
    return _odd_record_problem(record)


def _odd_record_problem(record: object) -> str | None:
    """What is wrong with a record the quick check did not pass (a subclass may be sound)."""
    if not isinstance(record, CertRecord):
        return f"a record that is {type_words(record)}, not a CertRecord"
    if not isinstance(record.id_number, str):
        return f"a record whose id_number is {type_words(record.id_number)}"
    for attr in _RECORD_TEXTS:
        value = getattr(record, attr)
        if value is not None and not isinstance(value, str):
            return f"a record whose {attr} is {type_words(value)}"
    for attr in _RECORD_DATES:
        value = getattr(record, attr)
        # A datetime is a date, but comparing one with a date raises.
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            return f"a record whose {attr} is {type_words(value)}, not a date"
    if not isinstance(record.history, bool):
        return f"a record whose history is {type_words(record.history)}"
    others = record.other_statuses
    if not isinstance(others, tuple) or not all(isinstance(v, str) for v in others):
        return f"a record whose other_statuses is {type_words(others)}, not a tuple of texts"
    return None


def _all_texts(values: object) -> bool:
    return type(values) is tuple and all(type(v) is str for v in values)


def _notes_problem(outcome: Found | NotFound | Failed) -> str | None:
    if isinstance(outcome, Failed):
        problem = _failed_problem(outcome)
        if problem is not None:
            return problem
    for attr in ("raw", "detail"):
        value = getattr(outcome, attr)
        if value is not None and not isinstance(value, str):
            return f"a {type(outcome).__name__} whose {attr} is {type_words(value)}"
    return None


def _failed_problem(failed: Failed) -> str | None:
    if not isinstance(failed.kind, FailureKind):
        return f"a Failed whose kind is {type_words(failed.kind)}"
    if not isinstance(failed.detail, str):
        return f"a Failed whose detail is {type_words(failed.detail)}"
    if not isinstance(failed.transient, bool):
        return f"a Failed whose transient is {type_words(failed.transient)}"
    if not isinstance(failed.unreachable, bool):
        return f"a Failed whose unreachable is {type_words(failed.unreachable)}"
    wait = failed.retry_after
    if wait is not None and (
        isinstance(wait, bool) or not isinstance(wait, int | float)
        or not math.isfinite(wait) or wait < 0
    ):
        return f"a Failed whose retry_after is {type_words(wait)}, not seconds"
    return None
