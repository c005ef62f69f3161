"""Small builders for the values tests need, with valid defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime

from certcheck.ids import check_char
from certcheck.models import (
    Answer,
    CertNumber,
    CertRecord,
    Declared,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Worker,
)
from certcheck.sources.captcha import CaptchaSolver
from certcheck.sources.interface import SourceError

AS_OF = date(2026, 11, 29)
#: When the answers the factories build were given: the morning of ``AS_OF``, never "now", so
#: that nothing a test asserts changes with the day it runs on.
CHECKED_AT = datetime(2026, 11, 29, 10, tzinfo=UTC)


def make_id(prefix17: str = "50038119900101123") -> str:
    return prefix17 + check_char(prefix17)


def nth_id(n: int, region: str = "500381", born: str = "19850315") -> str:
    return make_id(f"{region}{born}{n % 1000:03d}")


def record(
    name: str = "张三",
    id_number: str | None = None,
    item: str = "低压电工作业",
    category: str = "电工作业",
    valid_until: date | None = date(2028, 5, 1),
    review_due: date | None = date(2027, 5, 1),
    reviewed: date | None = None,
    cert_number: str | None = None,
    valid_from: date | None = date(2022, 5, 1),
) -> CertRecord:
    id_number = id_number or make_id()
    return CertRecord(
        name=name,
        id_number=id_number,
        cert_number=cert_number if cert_number is not None else "T" + id_number,
        category=category,
        item=item,
        first_issued=valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
        review_due=review_due,
        reviewed=reviewed,
        issuer="重庆市应急管理局",
    )


def number(text: str) -> CertNumber:
    """A 证号 cell holding one number, as the roster reader understands it."""
    return CertNumber(text, (text,))


def worker(
    name: str | None = "张三",
    id_number: str | None = None,
    row: int = 2,
    **declared: object,
) -> Worker:
    """A worker as the roster reader makes one; a ``cert_number`` given as text is one
    number the reader understood (``CertNumber(text, (text,))``)."""
    number = declared.get("cert_number")
    if isinstance(number, str):
        declared["cert_number"] = CertNumber(number, (number,)) if number else None
    return Worker(
        row=row,
        name=name,
        id_number=id_number if id_number is not None else make_id(),
        declared=Declared(**declared),  # type: ignore[arg-type]
    )


def answer(outcome: Outcome) -> Answer:
    return Answer(outcome=outcome, source="registry", checked_at=CHECKED_AT)


def found(*records: CertRecord) -> Answer:
    return answer(Found(tuple(records)))


def not_found() -> Answer:
    return answer(NotFound())


def failed(kind: FailureKind = FailureKind.LOOKUP_FAILED) -> Answer:
    return answer(Failed(kind, "boom"))


class StaticSolver(CaptchaSolver):
    """Answers every captcha with the same text: for tests, benchmarks and local imitation
    servers, never for a run against the real service."""

    name = "static"

    def __init__(self, answer: str) -> None:
        self.answer = answer

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        if not arg:
            raise SourceError(
                "--captcha static:文本 需要给出文本（--captcha static:TEXT needs the text）"
            )
        return cls(arg)

    async def solve(self, image: bytes, *, attempt: int) -> str:
        return self.answer


class ListSolver(CaptchaSolver):
    """Gives the listed answers in turn (the last one forever) and remembers the attempts."""

    name = "list"

    def __init__(self, *answers: str | Exception) -> None:
        self.answers = list(answers) or ["abcd"]
        self.attempts: list[int] = []
        self.images: list[bytes] = []

    @classmethod
    def from_spec(cls, arg: str | None, *, interactive: bool) -> CaptchaSolver:
        return cls()

    async def solve(self, image: bytes, *, attempt: int) -> str:
        self.attempts.append(attempt)
        self.images.append(image)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer
