"""A local imitation of the national lookup's API, for tests and bench scripts.

It serves captchas (a small real PNG; every captcha's answer is ``captcha_answer``), answers
netQuery from an in-memory registry of API-shaped records, and can be slowed down and made to
fail: every Nth request gets one of the faults in turn, or a random share of requests gets a
garbage body. It binds 127.0.0.1 on a free port.

It can answer in every shape the public clients of the real service allow for (DOMAIN.md, "The
national lookup"): other record keys (``rename``), no holder name (``drop_keys``), keys nobody
knows (``extra_keys``), "nothing found" as an empty or missing ``data`` or as a message
(``not_found``), other wrong-captcha messages, history records (历史数据) flagged, in a list
beside ``data`` or inside an object ``data`` (``history``), exact name matching as the real
service does (``match_names``), and personal data masked in answers as government
backends do (``mask``: 张**, 500116********017X). ``styles`` sets any of these per ID number.

It also answers as other Java backends do (issue 18): 证书状态 as a dictionary code with or
without its name (``status``), other envelopes (``envelope``: RuoYi's table, ``data`` as a JSON
string, ``success`` without a code, MyBatis-Plus, jeecg), pages of 10 that honour or ignore
``pageSize`` (``paging``) and dates as epoch seconds, milliseconds or Java's ``Date.toString()``
(``dates``), per ID number too; and the captcha nested under ``data`` or switched off with
``captchaOnOff`` (``captcha_nested``, ``captcha_switch``, ``captcha_off``), for the whole server.

It can refuse as web firewalls and the service's own rate limiter do (``REFUSAL_SHAPES``: a
redirect to a challenge page that sets a cookie, 405, 412, 468, 503 with ``Retry-After`` as an
HTTP date or as seconds, 403, 429, a challenge page at 200, RuoYi's 访问过于频繁 in JSON),
for a random share of requests (``refuse_rate``, for the first ``refuse_for`` of them), keep out
every request without its cookie (``cookie_wall``), trickle a body one byte at a time
(the ``trickle`` fault), expire captchas (``captcha_lifetime``) and send a person's answer in
another encoding (``encodings``: GBK without a charset, GB18030 labelled gbk, UTF-8 with a BOM).

For shapes no option makes, ``raw`` sends a person's answer exactly as given (``Raw``: status,
bytes, headers; a sequence in turn), and ``raw_captcha`` the first captcha answers.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import itertools
import json
import random
import socket
import ssl
import struct
import threading
import time
import uuid as uuidlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from certcheck.sources import mem_mapping as api

FAULTS = ("500", "429", "timeout", "html", "malformed")
#: Faults that are garbage rather than errors: a web firewall's refusal or challenge page, a
#: body cut short, an empty body.
GARBAGE_FAULTS = ("403", "challenge", "truncated", "empty")
#: How "nothing found" is said: ``data`` empty, missing or null, or a message with a code.
NOT_FOUND_STYLES: dict[str, dict[str, Any]] = {
    "empty": {"code": 200, "msg": "查询成功", "data": []},
    "missing": {"code": 200, "msg": "查询成功"},
    "null": {"code": 200, "msg": "查询成功", "data": None},
    "msg500": {"code": 500, "msg": "没有查询到相关证件信息"},
    "msg200": {"code": 200, "msg": "未查询到相关信息"},
    "nodata": {"code": 201, "msg": "暂无数据"},
}
#: How history records (历史数据) come: flagged in ``data``, in a list ``hisData`` beside
#: ``data``, or with the current ones inside an object ``data``.
HISTORY_STYLES = ("flag", "list", "nested")
#: How 证书状态 is sent: the word (``certStatus: 有效``), or RuoYi's dictionary code with its
#: name beside it (``code_name``: ``certStatus: 05``, ``certStatusName: 注销``; ``code_label``:
#: ``certStatusLabel``), or the code alone (``code``).
STATUS_STYLES = ("word", "code_name", "code_label", "code")
#: The stand-in's own dictionary of status codes, as a real service has its own.
STATUS_CODES_SENT = {"有效": "0", "正常": "0", "注销": "05", "吊销": "04", "过期": "03",
                     "失效": "02"}
#: Envelopes: RuoYi's ``{code, msg, data: [...]}`` (``ruoyi``, shaped further by ``history``),
#: its table ``{code, msg, total, rows}`` (``table``), ``data`` as a JSON string
#: (``json_string``), ``{success: true, message, data}`` without a code (``success``),
#: MyBatis-Plus's page in ``data`` (``mybatis``), jeecg's ``result`` page (``jeecg``) or list
#: (``jeecg_list``). Outside ``ruoyi``, history records are flagged in the one list.
#: ``unknown`` is an envelope no framework uses (``{state, payload}``).
ENVELOPE_STYLES = ("ruoyi", "table", "json_string", "success", "mybatis", "jeecg", "jeecg_list",
                   "unknown")
#: Pages of ``PAGE`` records in a paged envelope (``table``, ``mybatis``, ``jeecg``): ``honour``
#: gives the ``pageSize`` asked for, ``ignore`` always ``PAGE``; ``none`` sends every record.
PAGING_STYLES = ("none", "honour", "ignore")
PAGE = 10
#: Dates as text (``iso``), epoch seconds or milliseconds (numbers, China's time zone), or
#: Java's ``Date.toString()`` (``Mon Mar 01 00:00:00 CST 2021``).
DATE_STYLES = ("iso", "seconds", "millis", "java")
_DATE_KEYS = ("validBeginDate", "validEndDate", "shouldReviewDate", "reviewDate", "issueDate")
#: The options ``styles`` may set per ID number.
STYLE_OPTIONS = ("rename", "drop_keys", "extra_keys", "not_found", "history", "match_names",
                 "status", "envelope", "paging", "dates")
#: What ``mask`` may hide in answers (脱敏): the holder's name, the certificate number, the ID.
MASKABLE = ("name", "cert", "id")
STYLE_OPTIONS += ("mask",)
CHALLENGE_PAGE = (
    "<!DOCTYPE html><html><head><title>安全验证</title></head>"
    "<body><script>document.cookie='waf_token=x';location.reload()</script></body></html>"
)
#: Every way a firewall or the service's limiter refuses a request (a fault name each).
REFUSAL_SHAPES = ("302", "405", "412", "468", "503-date", "503-seconds", "403", "429",
                  "challenge", "json-frequent", "json-429", "json-limit")
#: The JSON the service's own rate limiter answers with, per shape.
LIMITER_ANSWERS: dict[str, dict[str, Any]] = {
    "json-frequent": {"code": 500, "msg": "访问过于频繁，请稍后再试"},
    "json-429": {"code": 429, "msg": "Too Many Requests"},
    "json-limit": {"code": 200, "msg": "接口限流，请求过于频繁"},
}
#: The cookie a firewall sets with its refusal; ``cookie_wall`` refuses requests without it.
WAF_COOKIE = ("waf_token", "cleared-7f3a")
#: Hostile bodies (faults): ``huge`` streams ``huge_size`` bytes with no length said and no
#: end but that many; ``gzip-bomb`` and ``deflate-bomb`` send about 1 MiB that inflates to
#: ``huge_size`` bytes; ``huge-declared`` says a ``Content-Length`` of ``huge_size``.
HOSTILE_FAULTS = ("huge", "gzip-bomb", "deflate-bomb", "huge-declared")
#: Terminal escape sequences in what the service sends (faults): ``escapes-page`` is an HTML
#: page at 200 holding them, ``escapes-302`` a redirect whose ``Location`` holds a C1 CSI.
ESCAPES_PAGE = ("<html><body>\x1b[2J\x1b]0;pwned\x07\u202eevil\x9b31m"
                "\x1b[1A</body></html>")
ESCAPES_LOCATION = "/waf/\x9b2J\x9b31mchallenge"
_BOMBS: dict[tuple[str, int], bytes] = {}


def bomb(encoding: str, size: int) -> bytes:
    """``size`` spaces (a multiple of 1 MiB) compressed as ``encoding`` ("gzip" or "deflate").

    Each MiB is compressed once and its (identical) compressed form repeated: a fully flushed
    deflate block does not depend on what came before it. Made once per size.
    """
    key = (encoding, size)
    if key not in _BOMBS:
        gzip = encoding == "gzip"
        block = b" " * (1024 * 1024)
        count = max(size // len(block), 2)
        packer = zlib.compressobj(9, zlib.DEFLATED, 31 if gzip else 15)
        first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
        again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
        check = zlib.crc32(block) if gzip else zlib.adler32(block)
        for _ in range(count - 1):
            check = zlib.crc32(block, check) if gzip else zlib.adler32(block, check)
        # An empty last block, then the checksum (and for gzip the length) of all of it.
        end = b"\x03\x00" + (struct.pack("<II", check, (count * len(block)) & 0xFFFFFFFF)
                              if gzip else struct.pack(">I", check))
        _BOMBS[key] = first + again * (count - 1) + end
    return _BOMBS[key]


#: How an answer is encoded (``encodings``): bytes and the Content-Type said with them.
ENCODINGS = ("utf-8", "gbk-bare", "gb18030-as-gbk", "utf-8-bom")


@dataclass(frozen=True)
class Raw:
    """An answer sent exactly as given (``raw``, ``raw_captcha``): for shapes no style makes,
    such as a red team's inventions. A ``body`` that is not text or bytes is sent as JSON."""

    body: Any
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] | None = None

    def data(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


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
    history: bool = False,
) -> dict[str, Any]:
    """A record as the API sends it (field names from ``mem_mapping``).

    ``history=True`` makes it an older certificate (历史数据): the server sends it the way its
    ``history`` option says (the marker key itself is never sent).
    """

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
        "certStatus": "有效",
    } | ({"_history": True} if history else {})


@dataclass(frozen=True)
class Logged:
    path: str
    params: dict[str, str]
    fault: str | None
    #: When the request arrived (time.monotonic): what a firewall counting requests sees.
    at: float = 0.0


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
        wrong_captcha_msg: str = "验证码错误",
        rename: Mapping[str, str] | None = None,
        drop_keys: Iterable[str] = (),
        extra_keys: Mapping[str, Any] | None = None,
        not_found: str = "empty",
        history: str = "flag",
        match_names: bool = False,
        status: str = "word",
        envelope: str = "ruoyi",
        paging: str = "none",
        dates: str = "iso",
        captcha_nested: bool = False,
        captcha_switch: str = "captchaEnabled",
        captcha_off: bool = False,
        mask: Iterable[str] = (),
        stored_names: Mapping[str, str] | None = None,
        styles: Mapping[str, Mapping[str, Any]] | None = None,
        garbage_rate: float = 0.0,
        garbage_faults: Iterable[str] = GARBAGE_FAULTS,
        seed: int = 0,
        refuse_first: int = 0,
        refuse_with: str = "403",
        tls: tuple[str, str] | None = None,
        refuse_rate: float = 0.0,
        refuse_shapes: Iterable[str] = REFUSAL_SHAPES,
        refuse_for: int | None = None,
        cookie_wall: bool = False,
        wall_with: str = "302",
        trickle_interval: float = 1.0,
        captcha_lifetime: float | None = None,
        encodings: Mapping[str, str] | None = None,
        huge_size: int = 1024 * 1024 * 1024,
        raw: Mapping[str, Raw | Sequence[Raw]] | None = None,
        raw_captcha: Sequence[Raw] = (),
        port: int = 0,
    ) -> None:
        assert not_found in NOT_FOUND_STYLES and history in HISTORY_STYLES
        self.registry = {k: list(v) for k, v in (registry or {}).items()}
        self.wrong_captcha_msg = wrong_captcha_msg
        self.shape: dict[str, Any] = {
            "rename": dict(rename or {}), "drop_keys": tuple(drop_keys),
            "extra_keys": dict(extra_keys or {}), "not_found": not_found, "history": history,
            "match_names": match_names, "status": status, "envelope": envelope,
            "paging": paging, "dates": dates,
        }
        #: The captcha answer's shape: inside ``data``, which switch it sends, and whether the
        #: captcha is off (then every query is answered, whatever its code).
        self.captcha_nested = captcha_nested
        self.captcha_switch = captcha_switch
        self.captcha_off = captcha_off
        assert set(mask) <= set(MASKABLE), mask
        self.shape["mask"] = tuple(mask)
        #: The name the service holds per ID when it is not the records' ``name``.
        self.stored_names = dict(stored_names or {})
        self.styles = {k: dict(v) for k, v in (styles or {}).items()}
        for style in self.styles.values():
            assert set(style) <= set(STYLE_OPTIONS), style
        for style in (self.shape, *self.styles.values()):
            assert style.get("status", "word") in STATUS_STYLES
            assert style.get("envelope", "ruoyi") in ENVELOPE_STYLES
            assert style.get("paging", "none") in PAGING_STYLES
            assert style.get("dates", "iso") in DATE_STYLES
        self.garbage_rate = garbage_rate
        #: (certificate file, key file): serve HTTPS with them.
        self.tls = tls
        self._garbage = itertools.cycle(tuple(garbage_faults))
        self._random = random.Random(seed)
        self.latency = latency
        self.captcha_answer = captcha_answer
        self.fault_every = fault_every
        self._faults = itertools.cycle(tuple(faults))
        self.fault_steps = frozenset(fault_steps)
        self.retry_after = retry_after
        self.timeout_sleep = timeout_sleep
        self.reject_captchas = reject_captchas
        #: A web firewall: the first ``refuse_first`` requests, any step, get ``refuse_with``.
        self.refuse_first = refuse_first
        self.refuse_with = refuse_with
        #: A random share of requests refused in the shapes given, in turn, among the first
        #: ``refuse_for`` requests (all of them when None).
        self.refuse_rate = refuse_rate
        self._refusal_shapes = itertools.cycle(tuple(refuse_shapes))
        self.refuse_for = refuse_for
        #: Refuse every request without ``WAF_COOKIE``, setting it with the refusal: a 302 to a
        #: challenge page (``wall_with="302"``) or the challenge page at 200 ("challenge").
        self.cookie_wall = cookie_wall
        assert wall_with in ("302", "challenge")
        self.wall_with = wall_with
        #: Seconds between the bytes of a trickled body.
        self.trickle_interval = trickle_interval
        #: Seconds a captcha lives; an answer to an older one is 验证码已失效.
        self.captcha_lifetime = captcha_lifetime
        #: Per ID number, how the query answer is encoded (``ENCODINGS``).
        self.encodings = dict(encodings or {})
        #: Per ID number, the netQuery answer sent as it is once the captcha is right; a
        #: sequence is sent in turn, its last answer from then on.
        self.raw = {k: [v] if isinstance(v, Raw) else list(v) for k, v in (raw or {}).items()}
        #: The first captcha requests get these, in turn; the later ones a captcha.
        self.raw_captcha = list(raw_captcha)
        assert set(self.encodings.values()) <= set(ENCODINGS), self.encodings
        #: Decoded bytes of a hostile body (``HOSTILE_FAULTS``).
        self.huge_size = huge_size
        #: Answers that said 验证码已失效 because the captcha was older than its lifetime.
        self.expired_answers = 0
        self._issued_at: dict[str, float] = {}
        self._requests = 0
        self.log: list[Logged] = []
        self._issued: dict[str, str] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: The port to listen on (0: any free one); a restarted server can take the old one.
        self.port = port
        # Connections open now (kept alive between requests), for ``vanish``.
        self._connections: set[socket.socket] = set()
        self._vanished = False

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def start(self) -> MemServer:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        server.block_on_close = False
        said = server.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            # A connection ``vanish`` cut while an answer was written is no error of the
            # stand-in's: not printed, as any other error still is.
            if not self._vanished:
                said(request, client_address)

        server.handle_error = handle_error  # type: ignore[method-assign]
        self._server = server
        # A short poll interval: stop() waits for it, and tests start many servers.
        self._thread = threading.Thread(target=server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.02})
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

    def vanish(self) -> None:
        """Go away as a service does when the network drops: stop listening (a new connection
        is refused) and cut the connections kept alive, so that nothing more is answered."""
        self._vanished = True
        self.stop()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):  # the client closed it already
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

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

    def times(self, path: str | None = None) -> list[float]:
        """When the requests (to ``path``, or all) arrived, in time.monotonic() seconds."""
        with self._lock:
            return [e.at for e in self.log if path is None or e.path == path]

    # --- called from handler threads ---------------------------------------------------------

    def faults(self) -> list[str]:
        """The faults served so far, in order."""
        with self._lock:
            return [e.fault for e in self.log if e.fault]

    def _wall_or_refusal(self, cookie: str | None) -> str | None:
        """A firewall's refusal of this request, if any (before any other fault)."""
        with self._lock:
            self._requests += 1
            if self.cookie_wall and f"{WAF_COOKIE[0]}={WAF_COOKIE[1]}" not in (cookie or ""):
                return "cookie-wall"
            within = self.refuse_for is None or self._requests <= self.refuse_for
            if within and self.refuse_rate > 0 and self._random.random() < self.refuse_rate:
                return next(self._refusal_shapes)
            return None

    def refusals(self) -> list[str]:
        """The refusals served so far, in order."""
        with self._lock:
            return [e.fault for e in self.log
                    if e.fault in REFUSAL_SHAPES or e.fault == "cookie-wall"]

    def _expired(self, token: str) -> bool:
        """The captcha ``token`` is older than its lifetime: it is used up, as the service's."""
        with self._lock:
            issued = self._issued_at.pop(token, None)
            if self.captcha_lifetime is None or issued is None:
                return False
            if time.monotonic() - issued <= self.captcha_lifetime:
                return False
            self._issued.pop(token, None)
            self.expired_answers += 1
            return True

    def _next_fault(self, step: str) -> str | None:
        with self._lock:
            if self.refuse_first > 0:
                self.refuse_first -= 1
                return self.refuse_with
            if self.garbage_rate > 0 and self._random.random() < self.garbage_rate:
                return next(self._garbage)
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
        if self.captcha_off:
            body: dict[str, Any] = {self.captcha_switch: False}
        else:
            token = uuidlib.uuid4().hex
            with self._lock:
                self._issued[token] = self.captcha_answer
                self._issued_at[token] = time.monotonic()
            body = {self.captcha_switch: True, "uuid": token,
                    "img": base64.b64encode(CAPTCHA_PNG).decode()}
        if self.captcha_nested:
            return {"msg": "操作成功", "code": 200, "data": body}
        return {"msg": "操作成功", "code": 200} | body

    def _raw_answer(self, step: str, params: Mapping[str, str]) -> Raw | None:
        """The answer ``raw`` or ``raw_captcha`` holds for this request, if any."""
        with self._lock:
            if step == "captcha":
                return self.raw_captcha.pop(0) if self.raw_captcha else None
            answers = self.raw.get(params.get(api.PARAM_ID, ""))
            if not answers:
                return None
            expected = self._issued.pop(params.get(api.PARAM_UUID, ""), None)
            if expected is None or params.get(api.PARAM_CAPTCHA) != expected:
                return Raw({"code": 500, "msg": self.wrong_captcha_msg})
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _answer_query(self, params: Mapping[str, str]) -> dict[str, Any]:
        if self._expired(params.get(api.PARAM_UUID, "")):
            return {"code": 500, "msg": "验证码已失效"}
        with self._lock:
            expected = self._issued.pop(params.get(api.PARAM_UUID, ""), None)
            rejected = self.reject_captchas > 0
            if rejected:
                self.reject_captchas -= 1
        wrong = rejected or expected is None or params.get(api.PARAM_CAPTCHA) != expected
        if wrong and not self.captcha_off:
            return {"code": 500, "msg": self.wrong_captcha_msg}
        id_number = params.get(api.PARAM_ID, "")
        shape = self.shape | self.styles.get(id_number, {})
        records = self.registry.get(id_number, [])
        if records and shape["match_names"]:
            stored = self.stored_names.get(id_number, records[0].get("name"))
            if params.get(api.PARAM_NAME) != stored:
                records = []  # the service matches name and ID itself
        if shape["envelope"] != "ruoyi":
            return _enveloped(records, shape, params)
        if not records:
            return dict(NOT_FOUND_STYLES[shape["not_found"]])
        current = [_shaped(r, shape) for r in records if not r.get("_history")]
        older = [_shaped(r, shape) for r in records if r.get("_history")]
        if shape["history"] == "list":
            return {"code": 200, "msg": "查询成功", "data": current, "hisData": older}
        if shape["history"] == "nested":
            return {"code": 200, "msg": "查询成功", "data": {"list": current, "hisData": older}}
        return {"code": 200, "msg": "查询成功",
                "data": current + [r | {"isHistory": True} for r in older]}


def _enveloped(records: Sequence[Mapping[str, Any]], shape: Mapping[str, Any],
               params: Mapping[str, str]) -> dict[str, Any]:
    """The answer in another Java framework's envelope, one page of it when ``paging`` says."""
    rows = [_shaped(r, shape) | ({"isHistory": True} if r.get("_history") else {})
            for r in records]
    total = len(rows)
    if shape["paging"] != "none":
        size = PAGE
        asked = params.get("pageSize", "")
        if shape["paging"] == "honour" and asked.isdigit() and int(asked) > 0:
            size = int(asked)
        rows = rows[:size]
    else:
        size = max(total, PAGE)
    page = {"records": rows, "total": total, "size": size, "current": 1,
            "pages": -(-total // size), "orders": [], "searchCount": True}
    envelope = shape["envelope"]
    if envelope == "table":
        return {"total": total, "rows": rows, "code": 200, "msg": "查询成功"}
    if envelope == "json_string":
        return {"code": 200, "msg": "查询成功", "data": json.dumps(rows, ensure_ascii=False)}
    if envelope == "success":
        return {"success": True, "message": "查询成功", "data": rows}
    if envelope == "mybatis":
        return {"code": 200, "msg": "查询成功", "data": page}
    if envelope == "unknown":
        return {"state": 1, "payload": rows}
    jeecg: dict[str, Any] = {"success": True, "message": "", "code": 200,
                             "timestamp": 1_700_000_000_000}
    result: dict[str, Any] | list[dict[str, Any]] = page if envelope == "jeecg" else rows
    return jeecg | {"result": result}


def _status_shaped(record: dict[str, Any], style: str) -> dict[str, Any]:
    """``certStatus`` as the ``status`` style sends it."""
    word = record.get("certStatus")
    if style == "word" or not isinstance(word, str):
        return record
    code = STATUS_CODES_SENT[word]
    if style == "code":
        return record | {"certStatus": code}
    name_key = "certStatusName" if style == "code_name" else "certStatusLabel"
    return record | {"certStatus": code, name_key: word}


_SERVICE_ZONE = timezone(timedelta(hours=8))


def _date_shaped(record: dict[str, Any], style: str) -> dict[str, Any]:
    """The record's dates as the ``dates`` style sends them: midnight in China's time zone."""
    if style == "iso":
        return record
    shaped = dict(record)
    for key in _DATE_KEYS:
        value = record.get(key)
        if not isinstance(value, str):
            continue
        moment = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time(),
                                  _SERVICE_ZONE)
        if style == "seconds":
            shaped[key] = int(moment.timestamp())
        elif style == "millis":
            shaped[key] = int(moment.timestamp()) * 1000
        else:
            # Built by hand: strftime's %a and %b follow the locale.
            day = moment.date()
            shaped[key] = (f"{_WEEKDAYS[day.weekday()]} {_MONTHS[day.month - 1]} "
                           f"{day.day:02d} 00:00:00 CST {day.year}")
    return shaped


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _shaped(record: Mapping[str, Any], shape: Mapping[str, Any]) -> dict[str, Any]:
    """A registry record with values masked, its status and dates sent as ``shape`` says,
    and the keys renamed, dropped and added."""
    record = masked(record, shape.get("mask", ()))
    record = _status_shaped(record, shape.get("status", "word"))
    record = _date_shaped(record, shape.get("dates", "iso"))
    renamed = {shape["rename"].get(k, k): v for k, v in record.items() if not k.startswith("_")}
    for key in shape["drop_keys"]:
        renamed.pop(key, None)
    return renamed | shape["extra_keys"]


def masked(record: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The record with ``fields`` masked the way RuoYi's desensitising does it: a name after its
    first character (张三丰 → 张**), an ID but its first 6 and last 4 characters, a certificate
    number the same after its T."""
    out = dict(record)
    fields = set(fields)
    if "name" in fields and out.get("name"):
        out["name"] = out["name"][:1] + "*" * (len(out["name"]) - 1)
    if "id" in fields and out.get("idcardNum"):
        out["idcardNum"] = _hide_middle(out["idcardNum"], 6, 4)
    number = out.get("certNum")
    if "cert" in fields and number:
        out["certNum"] = _hide_middle(number, 7 if number.startswith("T") else 6, 4)
    return out


def _hide_middle(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def _handler_for(owner: MemServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with owner._lock:
                owner._connections.add(self.connection)

        def finish(self) -> None:
            with owner._lock:
                owner._connections.discard(self.connection)
            super().finish()

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
            fault = owner._wall_or_refusal(self.headers.get("Cookie")) or owner._next_fault(step)
            owner._log(Logged(parts.path, params, fault, time.monotonic()))
            if owner.latency:
                time.sleep(owner.latency)
            if fault is not None and self._refuse(fault):
                return
            if fault in HOSTILE_FAULTS:
                self._hostile(fault)
                return
            if fault == "escapes-page":
                self._send(200, ESCAPES_PAGE, "text/html")
                return
            if fault == "escapes-302":
                self._send(302, "", "text/html", {"Location": ESCAPES_LOCATION})
                return
            if fault == "trickle":
                whole = owner._issue_captcha() if step == "captcha" else owner._answer_query(params)
                self._trickle(json.dumps(whole, ensure_ascii=False).encode())
                return
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
            if fault == "403":
                self._send(403, CHALLENGE_PAGE, "text/html")
                return
            if fault == "challenge":
                self._send(200, CHALLENGE_PAGE, "text/html")
                return
            if fault == "empty":
                self._send(200, "", "text/html")
                return
            if fault == "truncated":
                whole = owner._issue_captcha() if step == "captcha" else owner._answer_query(params)
                text = json.dumps(whole, ensure_ascii=False)
                self._send(200, text[: len(text) // 2])
                return
            raw = owner._raw_answer(step, params)
            if raw is not None:
                self._send_bytes(raw.status, raw.data(), raw.content_type, raw.headers)
                return
            body = owner._issue_captcha() if step == "captcha" else owner._answer_query(params)
            encoding = owner.encodings.get(params.get(api.PARAM_ID, "")) if step == "query" else None
            if encoding is not None:
                self._send_encoded(json.dumps(body, ensure_ascii=False), encoding)
                return
            self._send(200, json.dumps(body, ensure_ascii=False))

        def _send_bytes(self, status: int, data: bytes, content_type: str,
                        headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_encoded(self, text: str, encoding: str) -> None:
            if encoding == "gbk-bare":
                # A Java server writing in the platform's GBK and saying nothing of it; a
                # character GBK lacks becomes "?", as Java's encoder writes it.
                self._send_bytes(200, text.encode("gbk", "replace"), "application/json")
            elif encoding == "gb18030-as-gbk":
                self._send_bytes(200, text.encode("gb18030"), "application/json;charset=gbk")
            elif encoding == "utf-8-bom":
                self._send_bytes(200, b"\xef\xbb\xbf" + text.encode(),
                                 "application/json;charset=UTF-8")
            else:
                self._send(200, text)

        def _refuse(self, fault: str) -> bool:
            """Answer with the refusal ``fault`` names; False when it names none."""
            cookie = {"Set-Cookie": f"{WAF_COOKIE[0]}={WAF_COOKIE[1]}; Path=/; HttpOnly"}
            if fault == "cookie-wall" and owner.wall_with == "challenge":
                self._send(200, CHALLENGE_PAGE, "text/html", cookie)
            elif fault in ("302", "cookie-wall"):
                self._send(302, "", "text/html",
                           {"Location": "/waf/challenge?ref=%2Fprod-api", **cookie})
            elif fault in ("405", "412", "468"):
                self._send(int(fault), CHALLENGE_PAGE, "text/html")
            elif fault == "503-date":
                when = email.utils.formatdate(time.time() + 1, usegmt=True)
                self._send(503, "<html><body>Service Unavailable</body></html>", "text/html",
                           {"Retry-After": when})
            elif fault == "503-seconds":
                self._send(503, "<html><body>Service Unavailable</body></html>", "text/html",
                           {"Retry-After": owner.retry_after})
            elif fault in LIMITER_ANSWERS:
                self._send(200, json.dumps(LIMITER_ANSWERS[fault], ensure_ascii=False))
            else:
                return False
            return True

        def _hostile(self, fault: str) -> None:
            """A body far larger than any answer, as ``HOSTILE_FAULTS`` says."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            if fault.endswith("-bomb"):
                data = bomb(fault.removesuffix("-bomb"), owner.huge_size)
                self.send_header("Content-Encoding", fault.removesuffix("-bomb"))
                self.send_header("Content-Length", str(len(data)))
            elif fault == "huge-declared":
                data = b""
                self.send_header("Content-Length", str(owner.huge_size))
            else:
                data = b""
                self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                if data:
                    self.wfile.write(data)
                    return
                block = b'{"code": 200, "msg": "' + b" " * (1024 * 1024 - 22)
                for _ in range(owner.huge_size // len(block)):
                    self.wfile.write(block)
            except OSError:  # the client stopped reading: as it should
                pass

        def _trickle(self, data: bytes) -> None:
            """A whole answer, one byte every ``trickle_interval`` seconds."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for byte in data:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(owner.trickle_interval)
            except OSError:  # the client gave up: as it should
                self.close_connection = True

    return Handler
