"""Which answers of the national lookup are refusals, in one place.

A refusal is the service (or a web firewall in front of it) declining to answer, not an answer:
a 403, 405, 412, 429 or 468, a redirect to a challenge page, a 503 that says when to come back,
an HTML page at HTTP 200, or a JSON answer from the service's own rate limiter (访问过于频繁 …).
Every refusal is retried with backoff, counted by the engine's limiter so that the whole run
slows down, and never read as anything about a person. What counts is set in ``mem_mapping``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from certcheck import jsontext
from certcheck.sources import mem_mapping as api


class Received(Protocol):
    """The parts of one HTTP answer that tell a refusal (``mem.Exchange`` has them)."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> str: ...

    @property
    def retry_after(self) -> float | None: ...

    @property
    def location(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Refusal:
    """How the service refused, in words for an outcome's detail."""

    what: str
    retry_after: float | None = None
    #: An HTML page at HTTP 200: a refusal for the limiter, but as an outcome the garbage it
    #: always was (``unrecognized_response`` when every try gets it, see ``mem._judged``).
    page_at_200: bool = False


def refusal_of(answer: Received) -> Refusal | None:
    """The refusal ``answer`` is, or None when it is an answer (or another kind of fault)."""
    status = answer.status
    if status in api.REFUSAL_STATUSES:
        return Refusal(f"HTTP {status}，可能是网站防火墙（a web firewall?）", answer.retry_after)
    if status in api.REFUSAL_REDIRECTS:
        where = f" 跳转到 {_short(_without_query(answer.location))}" if answer.location else ""
        return Refusal(f"HTTP {status}{where}，可能是网站防火墙的验证"
                       "（a web firewall's challenge?）", answer.retry_after)
    if status in api.REFUSAL_STATUSES_WITH_RETRY_AFTER and answer.retry_after is not None:
        return Refusal(f"HTTP {status}，要求 {answer.retry_after:g} 秒后再来"
                       f"（come back in {answer.retry_after:g} s）",
                       answer.retry_after)
    if status != 200:
        return None
    start = answer.body.lstrip()[:1]
    if start == "<":
        return Refusal("HTTP 200 的 HTML 页面，可能是网站防火墙的验证"
                       "（a web firewall's challenge?）", answer.retry_after, page_at_200=True)
    if start == "{":
        return _limiter_answer(answer.body, answer.retry_after)
    return None


def _limiter_answer(body: str, retry_after: float | None) -> Refusal | None:
    """The service's own rate limiter, answering in its JSON envelope."""
    # Most answers hold neither a marker nor the code: they are not parsed here a second time.
    lowered = body.lower()
    if not any(m in lowered for m in api.REFUSAL_MARKERS) and not any(
        str(code) in body for code in api.REFUSAL_CODES
    ):
        return None
    try:
        data = jsontext.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code = data.get(api.CODE_KEY)
    message = " / ".join(
        text.strip() for key in api.MSG_KEYS if isinstance(text := data.get(key), str)
    )
    limited = any(m in message.lower() for m in api.REFUSAL_MARKERS)
    if not limited and _as_int(code) not in api.REFUSAL_CODES:
        return None
    return Refusal(f"查询平台限流（the service's rate limiter）：code {code!r} {_short(message)}"
                   .strip(),
                   retry_after)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _without_query(location: str | None) -> str:
    """A redirect's target without its query, which may repeat the ID number and the name."""
    return (location or "").split("?", 1)[0].split("#", 1)[0]


def _short(text: str | None, limit: int = 80) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "…"
