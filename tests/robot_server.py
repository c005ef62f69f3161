"""A local stand-in for the group robots of 钉钉, 企业微信 and 飞书, for tests.

One threaded HTTP server on 127.0.0.1 answers all three API shapes: ``/robot/send?access_token=``
(钉钉), ``/cgi-bin/webhook/send?key=`` (企业微信) and ``/open-apis/bot/v2/hook/ID`` (飞书). Each
robot is registered with its credential, and optionally a signing secret and a keyword. The
server checks, by its own code and each platform's published recipe (never certcheck's):

- the signature: 钉钉 ``sign`` = base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")),
  URL-encoded in the query, ``timestamp`` in milliseconds within an hour of the clock; 飞书
  ``sign`` = base64(HMAC-SHA256(key="timestamp\\nsecret", msg="")) in the body, ``timestamp``
  in seconds;
- the size: 钉钉 ``text`` at most 20,000 characters, 企业微信 ``content`` at most 4,096 bytes in
  UTF-8, 飞书's body at most 20 KB;
- the rate: at most 20 messages in any 60 seconds per robot, by ``clock`` (a test gives the
  fake clock its client waits on);
- the keyword, when the robot has one.

and answers as the platform does: ``errcode``/``errmsg`` (钉钉, 企业微信), ``code``/``msg`` (飞书),
with the platform's codes (310000, 300001, 130101; 93000, 40058, 45009; 19021, 19024, …).
``script`` makes the n-th message to a robot get a given answer (a refusal, an HTTP error).
Every request is kept in ``received``; every broken rule in ``violations``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

RATE = 20
WINDOW = 60.0
LIMITS = {"dingtalk": 20_000, "wecom": 4096, "feishu": 20 * 1024}


@dataclass
class FakeRobot:
    platform: str  # dingtalk, wecom, feishu
    ident: str
    secret: str | None = None
    keyword: str | None = None
    #: The n-th message (from 1) gets this answer instead: (HTTP status, JSON body or bytes).
    script: dict[int, tuple[int, Any]] = field(default_factory=dict)
    sent_times: deque[float] = field(default_factory=deque)
    #: Messages the robot accepted (the Markdown text of each).
    accepted: list[str] = field(default_factory=list)
    requests: int = 0


@dataclass
class Received:
    platform: str
    path: str
    query: dict[str, list[str]]
    raw: bytes
    body: Any


class RobotServer:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.wall = wall
        self.robots: dict[tuple[str, str], FakeRobot] = {}
        self.received: list[Received] = []
        self.violations: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # --- set-up ----------------------------------------------------------------------------

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, robot: FakeRobot) -> str:
        """Register ``robot``; return its webhook address."""
        self.robots[(robot.platform, robot.ident)] = robot
        return self.url(robot.platform, robot.ident)

    def url(self, platform: str, ident: str) -> str:
        if platform == "dingtalk":
            return f"{self.base}/robot/send?access_token={ident}"
        if platform == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={ident}"
        return f"{self.base}/open-apis/bot/v2/hook/{ident}"

    def __enter__(self) -> RobotServer:
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- answering -------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    status, answer = server.answer(self.path, raw)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, target: str, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        platform, ident = _which(parts.path, query)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        self.received.append(Received(platform or "?", parts.path, query, raw, body))
        if platform is None:
            return 404, b"not found"
        robot = self.robots.get((platform, ident))
        if robot is None:
            return 200, _error(platform, {"dingtalk": 300001, "wecom": 93000,
                                          "feishu": 19001}[platform], "token is not exist")
        robot.requests += 1
        if robot.requests in robot.script:
            return robot.script[robot.requests]
        return self._judge(robot, query, raw, body)

    def _judge(self, robot: FakeRobot, query: dict[str, list[str]], raw: bytes,
               body: Any) -> tuple[int, Any]:
        p = robot.platform
        text = _text(p, body)
        if text is None:
            self.violations.append(f"{p}: body not understood: {raw[:200]!r}")
            return 200, _error(p, {"dingtalk": 400, "wecom": 40008, "feishu": 9499}[p],
                               "bad request")
        if robot.secret is not None and not self._signed(robot, query, body):
            self.violations.append(f"{p}: signature")
            return 200, _error(p, 310000 if p == "dingtalk" else 19021, "sign not match")
        if (p == "dingtalk" and len(text) > LIMITS[p]) or (p == "wecom" and \
                len(text.encode()) > LIMITS[p]) or (p == "feishu" and len(raw) > LIMITS[p]):
            self.violations.append(f"{p}: too large")
            return 200, _error(p, {"dingtalk": 460101, "wecom": 40058, "feishu": 9499}[p],
                               "message too long")
        if robot.keyword is not None and robot.keyword not in text:
            return 200, _error(p, 310000 if p == "dingtalk" else 19024, "keywords not in content")
        now = self.clock()
        while robot.sent_times and now - robot.sent_times[0] >= WINDOW:
            robot.sent_times.popleft()
        if len(robot.sent_times) >= RATE:
            self.violations.append(f"{p}: too fast")
            return 200, _error(p, {"dingtalk": 130101, "wecom": 45009, "feishu": 11232}[p],
                               "send too fast")
        robot.sent_times.append(now)
        robot.accepted.append(text)
        if p == "feishu":
            return 200, {"code": 0, "data": {}, "msg": "success"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _signed(self, robot: FakeRobot, query: dict[str, list[str]], body: Any) -> bool:
        secret = robot.secret or ""
        if robot.platform == "dingtalk":
            stamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not stamp.isdigit() or abs(int(stamp) / 1000 - self.wall()) > 3600:
                return False
            expected = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                hashlib.sha256).digest()
            # parse_qs has undone the URL encoding: a "+" sent unencoded would read as a space.
            return sign == base64.b64encode(expected).decode()
        if robot.platform == "feishu":
            stamp, sign = str(body.get("timestamp", "")), body.get("sign")
            if not stamp.isdigit() or abs(int(stamp) - self.wall()) > 3600:
                return False
            expected = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
            return sign == base64.b64encode(expected).decode()
        return True

    # --- what a test looks at ---------------------------------------------------------------

    def texts(self, platform: str | None = None) -> list[str]:
        """The Markdown of every accepted message, in order."""
        return [t for r in self.robots.values() if platform in (None, r.platform)
                for t in r.accepted]


def _which(path: str, query: dict[str, list[str]]) -> tuple[str | None, str]:
    if path == "/robot/send":
        return "dingtalk", query.get("access_token", [""])[0]
    if path == "/cgi-bin/webhook/send":
        return "wecom", query.get("key", [""])[0]
    prefix = "/open-apis/bot/v2/hook/"
    if path.startswith(prefix):
        return "feishu", path[len(prefix):]
    return None, ""


def _text(platform: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    try:
        if platform == "dingtalk":
            assert body["msgtype"] == "markdown" and isinstance(body["markdown"]["title"], str)
            return str(body["markdown"]["text"])
        if platform == "wecom":
            assert body["msgtype"] == "markdown"
            return str(body["markdown"]["content"])
        assert body["msg_type"] == "interactive"
        card = body["card"]
        assert card["header"]["title"]["tag"] == "plain_text"
        return "\n".join(e["content"] for e in card["elements"] if e["tag"] == "markdown")
    except (KeyError, TypeError, AssertionError):
        return None


def _error(platform: str, code: int, message: str) -> dict[str, Any]:
    if platform == "feishu":
        return {"code": code, "data": {}, "msg": message}
    return {"errcode": code, "errmsg": message}


class FakeClock:
    """A monotonic clock that moves only when slept on: the client's limiter and the
    server's rate check share it, so 21 messages take a "minute" in no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
