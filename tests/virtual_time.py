"""An event loop whose clock jumps instead of waiting, for timing tests that take no time.

Whenever every task waits for a timer, the loop's clock moves on to the earliest one: a run
that would take minutes of ``asyncio.sleep`` takes milliseconds, and every time it measures is
exact. Only for code that does no real I/O (httpx.MockTransport, no subprocesses): real I/O
does not wait for virtual time.
"""

from __future__ import annotations

import asyncio
import base64
import math
import random
import selectors
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

import httpx

from certcheck.sources import mem_mapping as api
from mem_server import CAPTCHA_PNG

T = TypeVar("T")


class _Selector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    loop: VirtualLoop

    def select(self, timeout: float | None = None) -> list[Any]:
        ready: list[Any] = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # nothing scheduled: only real I/O can wake the loop
            result: list[Any] = super().select(None)
            return result
        self.loop.now += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _Selector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self) -> float:
        return self.now


def run(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        return runner.run(main)


def now() -> float:
    return asyncio.get_running_loop().time()


class LoopClock:
    """The engine's Clock on the loop's (virtual) time."""

    def monotonic(self) -> float:
        return now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def now(self) -> datetime:
        return datetime(2026, 11, 29, 10).astimezone()


def most_in_any_second(times: list[float]) -> int:
    """The most of ``times`` in any closed 1-second window [t, t + 1]."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, sum(1 for t in ordered[i:] if t <= start + 1.0))
    return best


# --- the national lookup's API, in virtual time ---------------------------------------------

#: A captcha the service no longer takes (DOMAIN.md: it lives about two minutes).
CAPTCHA_LIFETIME = 120.0
CHALLENGE_PAGE = "<!DOCTYPE html><html><body>访问过于频繁，请稍后再试</body></html>"


class VirtualService:
    """The API as ``httpx.MockTransport`` sees it: captchas whose answer is ``abcd`` and that
    expire, queries that find nothing, a latency, rejected answers and a firewall that
    refuses the first requests. Every request's arrival is kept in virtual time."""

    def __init__(
        self,
        *,
        latency: float = 0.04,
        reject: int = 0,
        refuse: int = 0,
        refuse_status: int = 429,
        retry_after: float | None = None,
        broken_captchas: tuple[int, ...] = (),
        captcha_lifetime: float = CAPTCHA_LIFETIME,
        refuse_share: float = 0.0,
        refuse_until: float = math.inf,
        seed: int = 0,
        allow_per_second: float | None = None,
        refuse_requests: tuple[int, ...] = (),
    ) -> None:
        self.latency = latency
        #: Seconds a captcha lives here.
        self.captcha_lifetime = captcha_lifetime
        #: A random share of the requests that arrive before ``refuse_until`` is refused (429).
        self.refuse_share = refuse_share
        self.refuse_until = refuse_until
        self._random = random.Random(seed)
        #: When each refusal was sent.
        self.refused_at: list[float] = []
        #: A firewall's rate limit: a request finding no token (one earned per 1/this seconds,
        #: one kept at most) is refused.
        self.allow_per_second = allow_per_second
        self._token_at = -math.inf
        #: Which requests (counting from 1, any endpoint) are refused.
        self.refuse_requests = refuse_requests
        #: Which captcha requests (counting from 1) get an HTTP 500.
        self.broken_captchas = broken_captchas
        self.reject = reject
        self.refuse = refuse
        self.refuse_status = refuse_status
        self.retry_after = retry_after
        self.arrivals: list[tuple[float, str]] = []
        #: Per query: (arrival, what it said: found / nothing / wrong / expired / refused).
        self.verdicts: list[tuple[float, str]] = []
        self._issued: dict[str, float] = {}
        self._tokens = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def times(self, step: str | None = None) -> list[float]:
        path = {"captcha": api.CAPTCHA_PATH, "query": api.QUERY_PATH}.get(step or "")
        return [t for t, p in self.arrivals if path is None or p == path]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        arrived = now()
        path = request.url.path
        self.arrivals.append((arrived, path))
        await asyncio.sleep(self.latency)
        scattered = (self.refuse_share > 0 and arrived < self.refuse_until
                     and self._random.random() < self.refuse_share)
        if len(self.arrivals) in self.refuse_requests:
            scattered = True
        if self.allow_per_second is not None:
            if arrived - self._token_at >= 1.0 / self.allow_per_second:
                self._token_at = arrived
            else:
                scattered = True
        if self.refuse > 0 or scattered:
            self.refuse -= 0 if scattered else 1
            self.refused_at.append(arrived)
            if path == api.QUERY_PATH:
                self.verdicts.append((arrived, "refused"))
            headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
            if self.refuse_status == 200:
                return httpx.Response(200, text=CHALLENGE_PAGE, headers={"Content-Type": "text/html"})
            return httpx.Response(self.refuse_status, text=CHALLENGE_PAGE, headers=headers)
        if path == api.CAPTCHA_PATH:
            self._tokens += 1
            if self._tokens in self.broken_captchas:
                return httpx.Response(500, text="<html><body>502 Bad Gateway</body></html>")
            token = f"u-{self._tokens}"
            self._issued[token] = now()
            return httpx.Response(200, json={
                "msg": "操作成功", "code": 200, "captchaEnabled": True, "uuid": token,
                "img": base64.b64encode(CAPTCHA_PNG).decode(),
            })
        issued = self._issued.pop(request.url.params.get(api.PARAM_UUID, ""), None)
        if issued is not None and now() - issued > self.captcha_lifetime:
            self.verdicts.append((arrived, "expired"))
            return httpx.Response(200, json={"code": 500, "msg": "验证码已失效"})
        if issued is None or request.url.params.get(api.PARAM_CAPTCHA) != "abcd" or self.reject:
            self.reject = max(0, self.reject - 1)
            self.verdicts.append((arrived, "wrong"))
            return httpx.Response(200, json={"code": 500, "msg": "验证码错误"})
        self.verdicts.append((arrived, "nothing"))
        return httpx.Response(200, json={"code": 200, "msg": "查询成功", "data": []})
