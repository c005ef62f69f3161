"""A local imitation of the national lookup's API, for tests and bench scripts.

It serves captchas (a small real PNG; every captcha's answer is ``captcha_answer``), answers
netQuery from an in-memory registry of API-shaped records, and can be slowed down and made to
fail: every Nth request gets one of the faults in turn. It binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import base64
import itertools
import json
import struct
import threading
import time
import uuid as uuidlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from certcheck.sources import mem_mapping as api

FAULTS = ("500", "429", "timeout", "html", "malformed")


def png(width: int = 60, height: int = 20) -> bytes:
    """A real RGB PNG with a diagonal pattern, built without Pillow."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type none
        for x in range(width):
            on = (x + y) % 7 < 3
            row += bytes((30, 60, 200) if on else (240, 240, 230))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    )


CAPTCHA_PNG = png()


def api_record(
    name: str,
    id_number: str,
    *,
    item: str = "低压电工作业",
    category: str = "电工作业",
    valid_from: date = date(2022, 5, 1),
    valid_until: date = date(2028, 5, 1),
    review_due: date | None = date(2027, 5, 1),
    reviewed: date | None = None,
    cert_number: str | None = None,
    with_time: bool = False,
) -> dict[str, Any]:
    """A record as the API sends it (field names from ``mem_mapping``)."""

    def text(d: date | None) -> str | None:
        if d is None:
            return None
        return d.isoformat() + (" 00:00:00" if with_time else "")

    return {
        "name": name,
        "idcardNum": id_number,
        "certNum": cert_number if cert_number is not None else "T" + id_number,
        "jobCategoryName": category,
        "operItemName": item,
        "validBeginDate": text(valid_from),
        "validEndDate": text(valid_until),
        "shouldReviewDate": text(review_due),
        "reviewDate": text(reviewed),
        "issueOrgName": "重庆市应急管理局",
        "certStatus": "1",
    }


@dataclass(frozen=True)
class Logged:
    path: str
    params: dict[str, str]
    fault: str | None


class MemServer:
    """``with MemServer(registry) as server: server.url`` — stops and joins on exit."""

    def __init__(
        self,
        registry: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        *,
        latency: float = 0.0,
        captcha_answer: str = "abcd",
        fault_every: int = 0,
        faults: Iterable[str] = FAULTS,
        fault_steps: Iterable[str] = ("query",),
        retry_after: str = "1",
        timeout_sleep: float = 1.0,
        reject_captchas: int = 0,
    ) -> None:
        self.registry = {k: list(v) for k, v in (registry or {}).items()}
        self.latency = latency
        self.captcha_answer = captcha_answer
        self.fault_every = fault_every
        self._faults = itertools.cycle(tuple(faults))
        self.fault_steps = frozenset(fault_steps)
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.reject_captchas = reject_captchas
        self.log: list[Logged] = []
        self._issued: dict[str, str] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MemServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MemServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def queries_for(self, id_number: str) -> int:
        """How many netQuery requests asked about this ID."""
        with self._lock:
            return sum(
                1 for e in self.log
                if e.path == api.QUERY_PATH and e.params.get(api.PARAM_ID) == id_number
            )

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for e in self.log if e.path == path)

    # --- called from handler threads ---------------------------------------------------------

    def _next_fault(self, step: str) -> str | None:
        with self._lock:
            if step not in self.fault_steps or self.fault_every <= 0:
                return None
            self._counter += 1
            if self._counter % self.fault_every == 0:
                return next(self._faults)
            return None

    def _log(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)

    def _issue_captcha(self) -> dict[str, Any]:
        token = uuidlib.uuid4().hex
        with self._lock:
            self._issued[token] = self.captcha_answer
        return {
            "msg": "操作成功",
            "code": 200,
            "captchaEnabled": True,
            "uuid": token,
            "img": base64.b64encode(CAPTCHA_PNG).decode(),
        }

    def _answer_query(self, params: Mapping[str, str]) -> dict[str, Any]:
        with self._lock:
            expected = self._issued.pop(params.get(api.PARAM_UUID, ""), None)
            rejected = self.reject_captchas > 0
            if rejected:
                self.reject_captchas -= 1
        if rejected or expected is None or params.get(api.PARAM_CAPTCHA) != expected:
            return {"code": 500, "msg": "验证码错误"}
        records = self.registry.get(params.get(api.PARAM_ID, ""), [])
        return {"code": 200, "msg": "查询成功", "data": records}


def _handler_for(owner: MemServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: str, content_type: str = "application/json",
            headers: Mapping[str, str] | None = None,
        ) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == api.CAPTCHA_PATH:
                step = "captcha"
            elif parts.path == api.QUERY_PATH:
                step = "query"
            else:
                self._send(404, "<html><body>404 Not Found</body></html>", "text/html")
                return
            fault = owner._next_fault(step)
            owner._log(Logged(parts.path, params, fault))
            if owner.latency:
                time.sleep(owner.latency)
            if fault == "500":
                self._send(500, "<html><body>502 Bad Gateway</body></html>", "text/html")
                return
            if fault == "429":
                self._send(429, "Too Many Requests", "text/plain",
                           {"Retry-After": owner.retry_after})
                return
            if fault == "timeout":
                # Longer than the client waits; the answer that follows is never read.
                time.sleep(owner.timeout_sleep)
            if fault == "html":
                self._send(200, "<!DOCTYPE html><html><body>系统维护中</body></html>", "text/html")
                return
            if fault == "malformed":
                self._send(200, '{"code": 200, "msg": "查询成功", "data": [{"name": ')
                return
            body = owner._issue_captcha() if step == "captcha" else owner._answer_query(params)
            self._send(200, json.dumps(body, ensure_ascii=False))

    return Handler
