"""Posting one message to one robot, and keeping to the platforms' pace.

A message counts as delivered only when the platform says so in words certcheck knows
(``errcode: 0`` / ``code: 0``). Anything else (an error code, an HTTP error, an answer that is
not the platform's JSON, no answer at all) is a ``SendError`` in Chinese with the platform's
code; the caller then keeps the message as not sent, so that the next run sends it again.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from certcheck.notify.markdown import measure
from certcheck.notify.platforms import PER_MINUTE, Platform
from certcheck.notify.robots import Robot, request_for

#: Seconds one post may take, to the last byte of the answer.
TIMEOUT = 15.0
#: The most of an answer that is read: a robot's answer is a few dozen bytes.
_MAX_ANSWER = 64 * 1024
WINDOW = 60.0
#: What of a platform's own message is not shown: controls, which could drive the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class RateLimiter:
    """At most ``per_window`` messages in any ``window`` seconds, for one robot.

    ``clock`` and ``sleep`` are injectable so that a test can send 21 messages without
    waiting a minute; by default the monotonic clock (immune to the wall clock being set)."""

    def __init__(
        self,
        per_window: int = PER_MINUTE,
        window: float = WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        #: Seconds waited so far (reported, and checked by tests).
        self.waited = 0.0

    def wait(self) -> None:
        """Return when one more message may go; count it as gone."""
        while True:
            now = self._clock()
            while self._sent and now - self._sent[0] >= self.window:
                self._sent.popleft()
            if len(self._sent) < self.per_window:
                self._sent.append(now)
                return
            pause = self.window - (now - self._sent[0])
            self.waited += pause
            self._sleep(pause)

    def hold_off(self) -> None:
        """After the platform said "too fast" (another program posts to the same robot): wait
        a whole window before the next try."""
        self.waited += self.window
        self._sleep(self.window)
        self._sent.clear()


class SendError(Exception):
    """A message the platform did not confirm; the text is Chinese and shows no credential."""

    def __init__(self, robot: Robot, reason: str, code: int | None = None, *,
                 too_fast: bool = False) -> None:
        self.robot = robot
        self.code = code
        self.reason = reason
        self.too_fast = too_fast
        said = f"错误码 {code}，{reason}" if code is not None else reason
        super().__init__(f"{robot.label}：{said}")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    data: dict[str, object] | None


def post(client: httpx.Client, robot: Robot, body: dict[str, object],
         now_s: Callable[[], float] = time.time) -> None:
    """Send one message; return when the platform confirmed it, else raise ``SendError``."""
    request = request_for(robot, body, now_s())
    if measure(robot.platform, _measured(robot, request.body)) > robot.platform.facts.limit:
        # The splitter keeps room for the signature; never send what the platform refuses.
        raise SendError(robot, "消息超出平台的大小限制，未发送（message too large）")
    answer = _exchange(client, robot, request.url, request.body)
    code, message = _code(robot.platform, answer.data)
    message = message.replace(robot.ident, "…")
    if code == 0 and answer.status == 200:
        return
    if code is None:
        if answer.status != 200:
            raise SendError(robot, f"HTTP {answer.status}，机器人地址可能有误或平台暂时不可用"
                                   f"（HTTP error {answer.status}）")
        raise SendError(robot, "回答不是该平台的格式，无法确认已送达（unexpected answer）")
    facts = robot.platform.facts
    reason = facts.errors.get(code) or f"{facts.zh}返回的错误（{message or 'error'}）"
    raise SendError(robot, reason, code, too_fast=code in facts.too_fast)


def _measured(robot: Robot, body: bytes) -> dict[str, object]:
    data = json.loads(body)
    assert isinstance(data, dict)
    return data


def _exchange(client: httpx.Client, robot: Robot, url: str, body: bytes) -> Answer:
    try:
        with client.stream("POST", url, content=body,
                           headers={"Content-Type": "application/json; charset=utf-8"}) as r:
            raw = b""
            for chunk in r.iter_bytes():
                raw += chunk
                if len(raw) > _MAX_ANSWER:
                    break
            status = r.status_code
    except httpx.TimeoutException:
        raise SendError(robot, f"{robot.host} 在 {TIMEOUT:g} 秒内没有回答（timeout）") from None
    except httpx.HTTPError as exc:
        raise SendError(robot, f"无法连接 {robot.host}：{_why(exc)}（unreachable）") from None
    try:
        data = json.loads(raw[:_MAX_ANSWER])
    except ValueError:
        data = None
    return Answer(status, data if isinstance(data, dict) else None)


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "连接被拒绝或域名无法解析"
    return type(exc).__name__


def _code(platform: Platform, data: dict[str, object] | None) -> tuple[int | None, str]:
    """The platform's result code and message; (None, "") when the answer has none."""
    if data is None:
        return None, ""
    names = ("code", "StatusCode") if platform is Platform.FEISHU else ("errcode",)
    for name in names:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            text = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
            return value, _CONTROL.sub(" ", str(text))[:120]
    return None, ""
