"""``--captcha slider-web``: the slider on a page in the person's browser, served by certcheck.

certcheck listens on 127.0.0.1 only, on a free port, under a path holding a random token, so
that no other user of the machine (nor a web page the browser shows) can read the puzzle or
answer it. The page is opened once, with the desktop's browser; every later puzzle appears on
it by itself. The person drags the slider as on the lookup's own page and lets go: the offset
comes back to the waiting lookup. Nothing is solved automatically.

The server runs in the event loop of the lookups (asyncio), one short connection per request:
no thread, no timed wait.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import sys
import threading
import webbrowser
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TextIO

from certcheck.cli.prompt import SharedTerminal, _console_stream, desktop_opener
from certcheck.cli.slider_page import PAGE, SCRIPT
from certcheck.sources.captcha import CaptchaError, image_suffix
from certcheck.sources.slider import SliderPuzzle, SliderSolver

log = logging.getLogger(__name__)

#: The most a request's head and body may hold: the page sends a few dozen bytes.
MAX_HEAD = 16 * 1024
MAX_BODY = 4 * 1024
#: Seconds a connection may take to send its request.
REQUEST_SECONDS = 10.0
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif"}
_HEADERS = (
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'self'; "
    "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'\r\n"
)
OPENED = "已在浏览器中打开滑块页面（the slider page is open in the browser）：{url}\n"
OPEN_IT = "请在浏览器中打开以下网址，拖动滑块（open this address in a browser）：{url}\n"
REJECTED_NOTE = ("上一次的位置没有通过验证，请重新对准缺口（the last position was not "
                 "accepted）")
EXPIRED_NOTE = "上一张已过期（不是对准的问题），请拖动这一张（the last one expired）"
SKIP = -1


@dataclass(slots=True)
class _Offer:
    """The puzzle waiting for the person, and where its answer goes."""

    id: str
    puzzle: SliderPuzzle
    note: str | None
    answer: asyncio.Future[int]


def _data_url(image: bytes) -> str:
    mime = _MIME.get(image_suffix(image), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


def default_opener(url: str) -> bool:
    """Open ``url`` in the desktop's browser without waiting; False where there is none to open
    (a server console, SSH without a display: a text browser would take over the terminal)."""
    if desktop_opener() is None and not os.environ.get("BROWSER"):
        return False
    # A browser named in BROWSER may be waited for by ``webbrowser``: never on the loop.
    threading.Thread(target=webbrowser.open, args=(url,), name="certcheck-browser",
                     daemon=True).start()
    return True


class WebSliderSolver(SliderSolver):
    """Shows each slider puzzle on a local page and waits for the person's offset."""

    name = "slider-web"
    description = "在浏览器中由人拖动滑块，页面在本机 127.0.0.1 上（drag the slider in a browser）"
    one_at_a_time = True

    def __init__(
        self,
        *,
        opener: Callable[[str], bool] | None = None,
        terminal: SharedTerminal | None = None,
        stream_out: TextIO | None = None,
    ) -> None:
        self._opener = opener or default_opener
        self._terminal = terminal
        self._out = stream_out
        self._token = secrets.token_urlsafe(24)
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._offer: _Offer | None = None
        self._note: str | None = None
        self._done = False
        self._opened = False

    @classmethod
    def from_spec(
        cls, arg: str | None, *, interactive: bool, terminal: SharedTerminal | None = None
    ) -> SliderSolver:
        # A page needs no terminal: it works when certcheck runs without one too.
        return cls(terminal=terminal)

    @property
    def url(self) -> str | None:
        """The page's address, once it is served."""
        return f"http://127.0.0.1:{self._port}/{self._token}/" if self._port else None

    def rejected(self) -> None:
        self._note = REJECTED_NOTE

    def expired(self) -> None:
        self._note = EXPIRED_NOTE

    async def solve(self, puzzle: SliderPuzzle, *, attempt: int) -> int:
        async with self.turn():
            await self._serve()
            loop = asyncio.get_running_loop()
            offer = _Offer(secrets.token_hex(8), puzzle, self._note, loop.create_future())
            self._note = None
            self._offer = offer
            if not self._opened:
                self._opened = True
                self._tell()
            try:
                offset = await offer.answer
            finally:
                if self._offer is offer:
                    self._offer = None
            if offset == SKIP:
                raise CaptchaError("已换一张（a new image was asked for）")
            return offset

    def _tell(self) -> None:
        """Open the page and say where it is (once: later puzzles appear on it by themselves)."""
        url = self.url or ""
        opened = False
        try:
            opened = self._opener(url)
        except Exception:  # a browser that cannot start: the address is still printed
            log.debug("opening the browser failed", exc_info=True)
        with self._step_aside():
            out = _console_stream(self._out or sys.stderr)
            out.write((OPENED if opened else OPEN_IT).format(url=url))
            out.flush()

    def _step_aside(self) -> AbstractContextManager[None]:
        return self._terminal.suspended() if self._terminal is not None else nullcontext()

    async def _serve(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, host="127.0.0.1", port=0, limit=MAX_HEAD
            )
            self._port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        self._done = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    # --- HTTP ------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_SECONDS):
                status, kind, body = await self._respond(reader)
            head = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\n{_HEADERS}Connection: close\r\n\r\n")
            writer.write(head.encode("ascii") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError):
            pass  # a request cut short or malformed: nothing to answer
        except Exception:  # whatever a browser sends, the run goes on
            log.debug("the slider page's request failed", exc_info=True)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[str, str, bytes]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0]
        headers = {}
        for line in lines:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        hosts = {f"127.0.0.1:{self._port}", f"localhost:{self._port}"}
        # Another host name pointing here (DNS rebinding) is some other site's page.
        if headers.get("host") not in hosts:
            return _text("403 Forbidden", "forbidden")
        prefix = f"/{self._token}/"
        if not target.startswith(prefix):
            return _text("404 Not Found", "not found")
        path = target[len(prefix):].partition("?")[0]
        if method == "GET" and path == "":
            return "200 OK", "text/html; charset=utf-8", PAGE.encode()
        if method == "GET" and path == "app.js":
            return "200 OK", "text/javascript; charset=utf-8", SCRIPT.encode()
        if method == "GET" and path == "puzzle":
            return _json("200 OK", self._puzzle_json())
        if method == "POST" and path == "answer":
            origin = headers.get("origin")
            if origin is not None and origin not in {f"http://{h}" for h in hosts}:
                return _text("403 Forbidden", "forbidden")
            length = headers.get("content-length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                return _text("413 Payload Too Large", "too large")
            body = await reader.readexactly(int(length))
            return self._take_answer(body)
        return _text("404 Not Found", "not found")

    def _puzzle_json(self) -> dict[str, Any]:
        offer = self._offer
        if self._done:
            return {"id": None, "done": True}
        if offer is None or offer.answer.done():
            return {"id": None, "done": False}
        puzzle = offer.puzzle
        return {
            "id": offer.id, "done": False, "note": offer.note,
            "background": _data_url(puzzle.background), "piece": _data_url(puzzle.piece),
            "y": puzzle.y, "width": puzzle.width, "height": puzzle.height,
            "pieceWidth": puzzle.piece_width, "pieceHeight": puzzle.piece_height,
        }

    def _take_answer(self, body: bytes) -> tuple[str, str, bytes]:
        try:
            said = json.loads(body)
        except ValueError:
            return _text("400 Bad Request", "not JSON")
        offer = self._offer
        if not isinstance(said, dict) or offer is None or said.get("id") != offer.id \
                or offer.answer.done():
            return _json("409 Conflict", {"ok": False, "why": "not the current puzzle"})
        if said.get("skip") is True:
            offer.answer.set_result(SKIP)
            return _json("200 OK", {"ok": True})
        offset = said.get("offset")
        if isinstance(offset, bool) or not isinstance(offset, int) \
                or not 0 <= offset <= offer.puzzle.width:
            return _json("400 Bad Request", {"ok": False, "why": "no offset"})
        offer.answer.set_result(offset)
        return _json("200 OK", {"ok": True})


def _text(status: str, text: str) -> tuple[str, str, bytes]:
    return status, "text/plain; charset=utf-8", text.encode()


def _json(status: str, data: dict[str, Any]) -> tuple[str, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(data).encode()
