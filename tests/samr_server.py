"""A local imitation of the special-equipment lookup (cnse.samr.gov.cn), for tests.

It keeps what public client code shows of the real one (DOMAIN.md, "Neighbouring lookups"):
the page ``/info-pub/pub`` opens a cookie session; every other request must carry that cookie,
``X-Requested-With: XMLHttpRequest`` and the page as Referer (a request without them is
refused with HTTP 403 and noted in ``violations``); a slider captcha (a background with a gap
at a random x, drawn with Pillow, and the piece cut from it) checked against ``moveLength``
within ``tolerance`` pixels; the single answer ``remotePubQuery.json`` with **one**
certificate; and the full list through ``perResult`` (an HTML page holding a ``validCode``) and
``getPerInfoBySfzh.json`` (``licList``). A passed slider is good for one lookup.

``answer_file`` receives the gap of every captcha served (``{"x", "y"}``), which the tests'
solver program reads: the stand-in's own puzzle, answered for tests, never a real one.
It binds 127.0.0.1 on a free port.
"""

from __future__ import annotations

import base64
import io
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from certcheck.sources import samr_mapping as api

WIDTH, HEIGHT = 500, 281
PIECE_WIDTH, PIECE_HEIGHT = 55, 45
SESSION_COOKIE = "JSESSIONID"
NOT_FOUND_TEXT = "未查询到相关信息"


def lic_record(
    name: str,
    id_number: str,
    item: str = "叉车司机",
    *,
    valid_from: date | str | None = date(2024, 3, 10),
    valid_until: date | str | None = date(2028, 3, 9),
    number: str | None = None,
    flag: str | None = "1",
    issuer: str = "重庆市市场监督管理局",
    **extra: Any,
) -> dict[str, Any]:
    """One certificate as ``licList`` holds it (every key public code shows)."""
    record: dict[str, Any] = {
        "ryxm": name, "sfzh": id_number, "ryxb": "男",
        "zsbh": number if number is not None else id_number,
        "zslb": "特种设备作业人员证", "cyzl": "特种设备作业", "czxm": item, "fzjg": issuer,
        "pzrq": str(valid_from) if valid_from is not None else "",
        "yxrqs": str(valid_from) if valid_from is not None else "",
        "yxrqz": str(valid_until) if valid_until is not None else "",
        "validFlag": flag, "sjgxsj": "2024-03-12 10:00:00", "eCertFileId": secrets.token_hex(8),
    }
    record.update(extra)
    return record


@dataclass
class Session:
    gap: tuple[int, int] | None = None
    passed_move: int | None = None
    valid_code: str | None = None


@dataclass
class Counts:
    page: int = 0
    captcha: int = 0
    check: int = 0
    rejected: int = 0
    single: int = 0
    per_result: int = 0
    list: int = 0


def make_puzzle(rng: random.Random) -> tuple[bytes, bytes, int, int]:
    """(background PNG with a gap, piece PNG, gap x, gap y)."""
    from PIL import Image, ImageDraw

    background = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(background)
    for _ in range(60):
        x0, y0 = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        colour = (rng.randrange(40, 255), rng.randrange(40, 255), rng.randrange(40, 255))
        draw.rectangle([x0, y0, x0 + rng.randrange(20, 140), y0 + rng.randrange(20, 90)],
                       fill=colour)
    x = rng.randrange(PIECE_WIDTH + 20, WIDTH - PIECE_WIDTH - 5)
    y = rng.randrange(5, HEIGHT - PIECE_HEIGHT - 5)
    box = (x, y, x + PIECE_WIDTH, y + PIECE_HEIGHT)
    piece = background.crop(box).convert("RGBA")
    ImageDraw.Draw(piece).rectangle([0, 0, PIECE_WIDTH - 1, PIECE_HEIGHT - 1],
                                    outline=(255, 255, 255, 255), width=2)
    shadow = Image.new("RGB", (PIECE_WIDTH, PIECE_HEIGHT), (20, 20, 20))
    background.paste(Image.blend(background.crop(box), shadow, 0.6), box[:2])
    ImageDraw.Draw(background).rectangle([x, y, x + PIECE_WIDTH - 1, y + PIECE_HEIGHT - 1],
                                         outline=(250, 250, 250), width=1)
    return _png(background), _png(piece), x, y


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class SamrServer:
    """``people``: ID number → ``licList`` records. ``single`` picks the one record the single
    answer shows (default: the first). ``list_in_data`` puts ``licList`` inside ``data``."""

    people: Mapping[str, list[dict[str, Any]]]
    tolerance: int = 4
    answer_file: Path | None = None
    single: Callable[[list[dict[str, Any]]], dict[str, Any]] = lambda records: records[0]
    list_in_data: bool = False
    #: The single answer for someone unknown, and per ID numbers the raw answers to send
    #: instead of the usual ones (``{"single": {...}}``, ``{"list": {...}}``, ``{"page": "…"}``).
    not_found_text: str = NOT_FOUND_TEXT
    raw: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed: int = 7
    violations: list[str] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    sessions: dict[str, Session] = field(default_factory=dict)
    #: The ID numbers asked for, one per full-list request (the answer a lookup decides on).
    asked: list[str] = field(default_factory=list)
    #: When each request arrived (time.monotonic()), whatever it asked.
    arrivals: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> SamrServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET", b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server._handle(self, "POST", self.rfile.read(length))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- requests ----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        path = parts.path
        with self._lock:
            self.arrivals.append(time.monotonic())
        if path == api.PAGE_PATH and method == "GET":
            self._page(handler)
            return
        with self._lock:
            session = self._session_of(handler, path)
        if session is None:
            return
        routes: dict[tuple[str, str], Callable[[], tuple[int, str, str]]] = {
            ("GET", api.CAPTCHA_PATH): lambda: self._captcha(session),
            ("POST", api.CHECK_PATH): lambda: self._check(session, form),
            ("GET", api.SINGLE_PATH): lambda: self._single(session, query),
            ("GET", api.PER_RESULT_PATH): lambda: self._per_result(session, query),
            ("GET", api.LIST_PATH): lambda: self._list(session, query),
        }
        route = routes.get((method, path))
        if route is None:
            self._send(handler, 404, "text/plain", "not found")
            return
        with self._lock:
            status, kind, text = route()
        self._send(handler, status, kind, text)

    def _session_of(self, handler: BaseHTTPRequestHandler, path: str) -> Session | None:
        cookies = handler.headers.get("Cookie") or ""
        sid = next((c.split("=", 1)[1] for c in (p.strip() for p in cookies.split(";"))
                    if c.startswith(SESSION_COOKIE + "=")), None)
        problems = []
        if sid is None or sid not in self.sessions:
            problems.append("no session cookie")
        if handler.headers.get("X-Requested-With") != "XMLHttpRequest":
            problems.append("no X-Requested-With")
        if handler.headers.get("Referer") != self.url + api.PAGE_PATH:
            problems.append(f"Referer {handler.headers.get('Referer')!r}")
        if problems:
            self.violations.append(f"{path}: {', '.join(problems)}")
            self._send(handler, 403, "application/json",
                       json.dumps({"errcode": 403, "errmsg": "非法请求"}))
            return None
        assert sid is not None
        return self.sessions[sid]

    def _page(self, handler: BaseHTTPRequestHandler) -> None:
        sid = secrets.token_hex(16)
        with self._lock:
            self.sessions[sid] = Session()
            self.counts.page += 1
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Set-Cookie", f"{SESSION_COOKIE}={sid}; Path=/; HttpOnly")
        page = "<html><head><title>全国特种设备公示信息查询平台</title></head><body></body></html>"
        data = page.encode()
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _captcha(self, session: Session) -> tuple[int, str, str]:
        self.counts.captcha += 1
        background, piece, x, y = make_puzzle(self._rng)
        session.gap, session.passed_move, session.valid_code = (x, y), None, None
        if self.answer_file is not None:
            self.answer_file.write_text(json.dumps({"x": x, "y": y}))
        return 200, "application/json", json.dumps({
            "errcode": 0, "errmsg": "", "yHeight": y,
            "smallImage": base64.b64encode(piece).decode(),
            "bigImage": base64.b64encode(background).decode(),
        })

    def _check(self, session: Session, form: dict[str, str]) -> tuple[int, str, str]:
        self.counts.check += 1
        move = form.get(api.PARAM_MOVE, "")
        gap, session.gap = session.gap, None  # one try per puzzle
        if gap is None or not move.isdigit() or abs(int(move) - gap[0]) > self.tolerance:
            self.counts.rejected += 1
            return 200, "application/json", json.dumps({"errcode": 1, "errmsg": "验证失败"})
        session.passed_move = int(move)
        return 200, "application/json", json.dumps({"errcode": 0, "errmsg": ""})

    def _passed(self, session: Session, query: dict[str, str], step: str) -> bool:
        move = query.get(api.PARAM_MOVE)
        if session.passed_move is None or move != str(session.passed_move):
            self.violations.append(f"{step}: moveLength {move!r} was not the one checked")
            return False
        return True

    def _single(self, session: Session, query: dict[str, str]) -> tuple[int, str, str]:
        self.counts.single += 1
        if not self._passed(session, query, "single"):
            return 200, "application/json", json.dumps(
                {"messageLevel": "error", "messageText": "请先完成滑块验证", "data": None})
        keyword = query.get(api.PARAM_KEYWORD, "")
        raw = self.raw.get(keyword, {}).get("single")
        if raw is not None:
            return 200, "application/json", json.dumps(raw, ensure_ascii=False)
        records = self.people.get(keyword, [])
        if not records:
            return 200, "application/json", json.dumps(
                {"messageLevel": "info", "messageText": self.not_found_text, "data": None},
                ensure_ascii=False)
        return 200, "application/json", json.dumps({
            "messageLevel": "info", "messageText": "",
            "data": {"type": "person", "data": self.single(list(records))},
        }, ensure_ascii=False)

    def _per_result(self, session: Session, query: dict[str, str]) -> tuple[int, str, str]:
        self.counts.per_result += 1
        if not self._passed(session, query, "per_result"):
            return 200, "text/html; charset=utf-8", "<html><body>请先完成验证</body></html>"
        raw = self.raw.get(query.get(api.PARAM_ID, ""), {}).get("page")
        if raw is not None:
            return 200, "text/html; charset=utf-8", str(raw)
        session.valid_code = secrets.token_hex(16)
        return 200, "text/html; charset=utf-8", (
            "<html><head><title>人员信息</title></head><body>"
            f'<input type="hidden" id="validCode" value="{session.valid_code}">'
            "<div id=\"list\"></div></body></html>")

    def _list(self, session: Session, query: dict[str, str]) -> tuple[int, str, str]:
        self.counts.list += 1
        id_number = query.get(api.PARAM_ID, "")
        self.asked.append(id_number)
        if (session.valid_code is None or query.get(api.PARAM_VALID_CODE) != session.valid_code
                or not query.get(api.PARAM_TIME, "").isdigit()):
            self.violations.append("list: validCode or r not as the page gave them")
            return 200, "application/json", json.dumps({"errcode": 2, "errmsg": "参数错误"})
        # The slider passed is good for this one lookup.
        session.passed_move = session.valid_code = None
        raw = self.raw.get(id_number, {}).get("list")
        if raw is not None:
            return 200, "application/json", json.dumps(raw, ensure_ascii=False)
        records = list(self.people.get(id_number, []))
        body: dict[str, Any] = {"errcode": 0, "errmsg": ""}
        if self.list_in_data:
            body["data"] = {"licList": records}
        else:
            body["licList"] = records
        return 200, "application/json", json.dumps(body, ensure_ascii=False)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, text: str) -> None:
        data = text.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", kind + ("" if "charset" in kind else
                                                    "; charset=utf-8"))
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


SOLVER_PROGRAM = '''\
"""The tests' slider program: checks what certcheck hands it and prints the stand-in's gap."""
import json, sys
from PIL import Image
*own, background, piece, y = sys.argv[1:]
answer_file = own[0]
delta = int(own[1]) if len(own) > 1 else 0
gap = json.loads(open(answer_file).read())
with Image.open(background) as big, Image.open(piece) as small:
    assert big.size == (500, 281) and small.size == (55, 45), (big.size, small.size)
assert int(y) == gap["y"], (y, gap)
print(gap["x"] + delta)
'''


def solver_program(tmp_path: Path, answer_file: Path, delta: int = 0) -> str:
    """``command:…`` running the tests' slider program (``delta`` pixels off the gap)."""
    import sys

    program = tmp_path / "slide.py"
    program.write_text(SOLVER_PROGRAM)
    extra = f" {delta}" if delta else ""
    # The program's own arguments come first; certcheck appends the images and yHeight.
    return f"command:{sys.executable} {program} {answer_file}{extra}"
