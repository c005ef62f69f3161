"""``--captcha slider-web`` in a real headless browser (Debian's chromium): the page shows the
background and the piece at its height, a person drags the slider, and the offset reaches the
waiting lookup. Also: nobody without the token, or through another host name, gets the puzzle.
"""

from __future__ import annotations

import asyncio
import io
import random
import threading
from collections.abc import Callable

import httpx
import pytest

from certcheck.cli.slider_web import REJECTED_NOTE, WebSliderSolver
from certcheck.sources.captcha import CaptchaError
from certcheck.sources.slider import SliderPuzzle
from chromium import Browser, chromium_path
from samr_server import HEIGHT, PIECE_HEIGHT, PIECE_WIDTH, WIDTH, make_puzzle

CHROMIUM = chromium_path()
needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def puzzle(seed: int) -> tuple[SliderPuzzle, int]:
    background, piece, x, y = make_puzzle(random.Random(seed))
    return SliderPuzzle(background, piece, y, WIDTH, HEIGHT, PIECE_WIDTH, PIECE_HEIGHT), x


def in_thread(work: Callable[[], object]) -> threading.Thread:
    """The browser's part runs beside the event loop the solver serves the page from."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


@needs_browser
def test_dragging_the_slider_in_the_browser_gives_the_lookup_its_offset() -> None:
    first, first_x = puzzle(1)
    second, second_x = puzzle(2)
    opened: list[str] = []
    said = io.StringIO()
    seen: dict[str, object] = {}

    def person(browser: Browser) -> None:
        browser.open(opened[0])
        first_id = browser.wait_for("document.body.dataset.ready === '1' && "
                                    "document.body.dataset.puzzle")
        seen["natural"] = browser.evaluate("document.getElementById('bg').naturalWidth")
        seen["top"] = browser.evaluate("document.getElementById('piece').style.top")
        browser.drag("#handle", first_x)
        # The service turned that one down: the next puzzle comes with a note, on its own.
        browser.wait_for(f"document.body.dataset.puzzle !== {first_id!r} && "
                         "document.body.dataset.ready === '1'")
        seen["note"] = browser.evaluate("document.getElementById('status').textContent")
        # This time with the keyboard: Shift+→ moves ten pixels, → one, Enter sends.
        for _ in range(second_x // 10):
            browser.press("ArrowRight", 39, shift=True)
        for _ in range(second_x % 10):
            browser.press("ArrowRight", 39)
        browser.press("Enter", 13)
        browser.wait_for("document.body.dataset.sent")

    async def main() -> tuple[int, int]:
        solver = WebSliderSolver(opener=lambda url: bool(opened.append(url)) or True,
                                 stream_out=said)
        with Browser(CHROMIUM or "") as browser:
            thread: threading.Thread | None = None
            try:
                task = asyncio.create_task(solver.solve(first, attempt=1))
                await until(lambda: bool(opened))
                thread = in_thread(lambda: person(browser))
                offset_one = await asyncio.wait_for(task, 60)
                solver.rejected()
                offset_two = await asyncio.wait_for(solver.solve(second, attempt=2), 60)
                await until(lambda: not thread.is_alive())
            finally:
                await solver.aclose()
            assert not thread.errors, thread.errors  # type: ignore[attr-defined]
        return offset_one, offset_two

    offset_one, offset_two = asyncio.run(main())
    assert abs(offset_one - first_x) <= 1
    assert abs(offset_two - second_x) <= 1
    assert seen["natural"] == WIDTH
    assert seen["top"] == f"{first.y}px"
    assert REJECTED_NOTE.split("（")[0] in str(seen["note"])
    assert opened[0] in said.getvalue()  # the address is said once, for a person to open


@needs_browser
def test_a_new_image_asked_for_in_the_browser_is_a_new_captcha() -> None:
    only, _ = puzzle(3)
    opened: list[str] = []

    async def main() -> None:
        solver = WebSliderSolver(opener=lambda url: bool(opened.append(url)) or True,
                                 stream_out=io.StringIO())
        with Browser(CHROMIUM or "") as browser:
            try:
                task = asyncio.create_task(solver.solve(only, attempt=1))
                await until(lambda: bool(opened))

                def person() -> None:
                    browser.open(opened[0])
                    browser.wait_for("document.body.dataset.ready === '1'")
                    browser.evaluate("document.getElementById('skip').click()")

                thread = in_thread(person)
                with pytest.raises(CaptchaError):
                    await asyncio.wait_for(task, 60)
                await until(lambda: not thread.is_alive())
            finally:
                await solver.aclose()

    asyncio.run(main())


def test_the_page_answers_only_with_its_token_and_on_its_own_address() -> None:
    only, x = puzzle(4)
    opened: list[str] = []

    async def main() -> dict[str, int]:
        solver = WebSliderSolver(opener=lambda url: bool(opened.append(url)) or True,
                                 stream_out=io.StringIO())
        try:
            task = asyncio.create_task(solver.solve(only, attempt=1))
            await until(lambda: bool(opened))
            url = opened[0]
            root = url.rsplit("/", 2)[0]
            async with httpx.AsyncClient() as client:
                codes = {
                    "no token": (await client.get(root + "/puzzle")).status_code,
                    "wrong token": (await client.get(root + "/abc/puzzle")).status_code,
                    "other host": (await client.get(url + "puzzle", headers={
                        "Host": "evil.example:80"})).status_code,
                    "other origin": (await client.post(url + "answer", json={
                        "id": "x", "offset": x}, headers={
                        "Origin": "http://evil.example"})).status_code,
                }
                puzzle_json = (await client.get(url + "puzzle")).json()
                codes["stale id"] = (await client.post(url + "answer", json={
                    "id": "not-it", "offset": x})).status_code
                codes["page"] = (await client.get(url)).status_code
                codes["answer"] = (await client.post(url + "answer", json={
                    "id": puzzle_json["id"], "offset": x})).status_code
            assert await asyncio.wait_for(task, 10) == x
            return codes
        finally:
            await solver.aclose()

    codes = asyncio.run(main())
    assert codes == {"no token": 404, "wrong token": 404, "other host": 403,
                     "other origin": 403, "stale id": 409, "page": 200, "answer": 200}
    assert opened[0].startswith("http://127.0.0.1:")
