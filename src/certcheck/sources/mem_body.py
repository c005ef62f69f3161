"""Reading one answer's body from the national lookup with a bound on its decoded size.

A hostile or broken server can send a body without end, or a small gzip "bomb" that inflates
a thousandfold: read whole, 1 GB took 14.7 GB of memory. The body is read as it arrives, its
``Content-Encoding`` undone here in bounded pieces (never a whole chunk inflated at once), and
reading stops as soon as the decoded bytes pass ``MAX_BODY``: such a body is a fault for that
request (``BodyTooLarge``), never an answer.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

#: The most decoded bytes one captcha or query answer may have. One person's certificates are
#: a few KB of JSON and a captcha image a few tens of KB; 8 MiB is a hundred times the largest
#: seen, and its text and parsed JSON stay far below 512 MiB of memory.
MAX_BODY = 8 * 1024 * 1024
#: What one inflating step may yield: a 64 KiB network chunk of a bomb would otherwise inflate
#: to 64 MiB in one call, before any count could stop it.
_PIECE = 256 * 1024
#: The encodings asked for (``Accept-Encoding``) and undone here; any other one is passed on
#: as it came, as httpx does, and is then not understood as an answer.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The body's decoded size passed ``MAX_BODY``; ``start`` is what was read of it."""

    def __init__(self, start: bytes, limit: int) -> None:
        super().__init__(f"body larger than {limit // (1024 * 1024)} MiB")
        self.start = start
        self.limit = limit


class _Inflater:
    """One gzip or deflate layer, yielding at most ``_PIECE`` bytes a step."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._first = True
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._steps(data)
        except zlib.error as exc:
            if self._gzip or not self._first:
                raise httpx.DecodingError(str(exc)) from exc
            # "deflate" is sent both with and without the zlib header (as httpx allows).
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self._first = False
            try:
                yield from self._steps(data)
            except zlib.error as again:
                raise httpx.DecodingError(str(again)) from again
        self._first = False

    def _steps(self, data: bytes) -> Iterator[bytes]:
        inflate = self._inflate
        piece = inflate.decompress(data, _PIECE)
        if piece:
            yield piece
        while inflate.unconsumed_tail:
            piece = inflate.decompress(inflate.unconsumed_tail, _PIECE)
            if piece:
                yield piece

    def flush(self) -> Iterator[bytes]:
        try:
            tail = self._inflate.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from exc
        if tail:
            yield tail


def _layers(content_encoding: str | None) -> list[_Inflater]:
    """The layers to undo, outermost (last applied) first."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    return [_Inflater(n) for n in reversed(names) if n in ("gzip", "x-gzip", "deflate")]


def _through(layers: list[_Inflater], data: bytes, at: int = 0) -> Iterator[bytes]:
    if at == len(layers):
        yield data
        return
    for piece in layers[at].feed(data):
        yield from _through(layers, piece, at + 1)


def _flushed(layers: list[_Inflater], at: int = 0) -> Iterator[bytes]:
    if at == len(layers):
        return
    for piece in layers[at].flush():
        yield from _through(layers, piece, at + 1)
    yield from _flushed(layers, at + 1)


async def read_bounded(response: httpx.Response, limit: int = MAX_BODY) -> bytes:
    """The decoded body of a streamed ``response``; ``BodyTooLarge`` past ``limit`` bytes."""
    try:
        # A response made whole in memory (a test's transport) was read when it was made.
        whole = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(whole) > limit:
            raise BodyTooLarge(whole[: 256 * 1024], limit)
        return whole
    declared = response.headers.get("Content-Length", "")
    layers = _layers(response.headers.get("Content-Encoding"))
    if not layers and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge(b"", limit)
    body = bytearray()
    chunks: AsyncIterator[bytes] = response.aiter_raw()
    async for chunk in chunks:
        for piece in _through(layers, chunk):
            body += piece
            if len(body) > limit:
                raise BodyTooLarge(bytes(body[: 256 * 1024]), limit)
    for piece in _flushed(layers):
        body += piece
        if len(body) > limit:
            raise BodyTooLarge(bytes(body[: 256 * 1024]), limit)
    return bytes(body)
