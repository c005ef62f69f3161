"""``samr``: the special-equipment lookup of 市场监管总局 (cnse.samr.gov.cn), as its page asks it.

It holds 特种设备作业人员证 (TSG Z6001: forklifts, cranes, boilers …), which the national lookup
of 应急管理部 does not. One lookup, in one cookie session, every request with the page as
Referer and ``X-Requested-With: XMLHttpRequest``:

1. the page itself, once per session (a browser's first visit, which opens the session);
2. a slider captcha, slid by the configured ``SliderSolver`` (a person), and checked;
3. the single answer (``remotePubQuery``), which shows **one** certificate of the person;
4. the full list: the ``perResult`` page for its ``validCode``, then ``getPerInfoBySfzh``.

The full list decides, and only when the single answer agrees with it (``samr_answer.combine``):
a person with several certificates would look uncovered from the single one. The captcha and
the answers live in the session, so lookups run one at a time. What the API looks like is
assumed in ``samr_mapping`` (one table to correct, each field saying what it rests on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from certcheck import jsontext
from certcheck.ids import mask_id
from certcheck.models import Failed, FailureKind, Found, NotFound, Outcome, Query, Regime
from certcheck.sources import samr_mapping as api
from certcheck.sources.captcha import CaptchaError, NoSolverError
from certcheck.sources.interface import (
    GateClosed,
    LookupSource,
    RequestGate,
    SourceError,
    SourceOptions,
)
from certcheck.sources.mem import USER_AGENT, parse_retry_after, scrub
from certcheck.sources.mem_body import ACCEPT_ENCODING, BodyTooLarge, read_bounded
from certcheck.sources.mem_decode import decode_body
from certcheck.sources.mem_refusal import refusal_of
from certcheck.sources.samr_answer import (
    Kind,
    ListReading,
    SingleReading,
    combine,
    message_of,
    read_captcha,
    read_check,
    read_list,
    read_single,
    read_valid_code,
)
from certcheck.sources.samr_options import SamrOptions
from certcheck.sources.slider import NoSliderSolver, SliderSolver

log = logging.getLogger(__name__)

#: A slider the service does not accept is tried again with a new one this many times in all.
CAPTCHA_TRIES = 3
#: Raw answers kept for audit are cut here; an error page can be large.
RAW_LIMIT = 256 * 1024
#: Why no slider can be solved when no solver was given (nobody at a terminal).
NO_SOLVER = ("没有人可拖动滑块（nobody at a terminal to slide it）；请在终端中运行 certcheck，"
             "或使用 --captcha slider-web 或 --captcha command:程序")
#: HTTP statuses worth asking again (refusals are told apart first, ``mem_refusal``).
TRANSIENT_STATUSES = frozenset({403, 408, 429})
#: The service's name in details, and its English name beside it where it helps.
SERVICE = "特种设备查询平台"
SERVICE_EN = "special-equipment lookup"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and its answer, as ``probe`` shows it."""

    step: str  # page, captcha, check, single, per_result, list
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    status: int
    body: str
    retry_after: float | None = None
    location: str | None = None
    sent_at: float | None = field(default=None, compare=False)

    @property
    def shown_body(self) -> str:
        """The body without the captcha's images, which are most of it and of no use later."""
        if self.step != "captcha":
            return self.body
        try:
            data = jsontext.loads(self.body)
        except ValueError:
            return self.body
        if not isinstance(data, dict):
            return self.body
        for key in (api.BACKGROUND_KEY, api.PIECE_KEY):
            if isinstance(data.get(key), str):
                data[key] = f"<{len(data[key])} base64 characters>"
        return json.dumps(data, ensure_ascii=False)


def clip(body: str) -> str:
    return body if len(body) <= RAW_LIMIT else body[:RAW_LIMIT] + "\n…[truncated]"


def _unrecognized(exchange: Exchange, why: str, *, transient: bool = False) -> Failed:
    return Failed(
        FailureKind.UNRECOGNIZED_RESPONSE,
        scrub(f"{SERVICE}的 {exchange.step} 答复无法识别（unexpected {exchange.step} answer）："
              f"{why}"),
        raw=clip(exchange.shown_body),
        transient=transient,
    )


def refusal(exchange: Exchange) -> str | None:
    """How the service (or a firewall in front of it) refused this request, or None.

    ``mem_refusal`` tells the statuses, redirects and challenge pages of firewalls; an HTML
    page is an answer of the page steps, so there only the status counts. The service's own
    limiter may also say so in ``errmsg`` or ``messageText``.
    """
    html_step = exchange.step in ("page", "per_result")
    found = refusal_of(replace(exchange, body="") if html_step else exchange)
    if found is not None and not (found.page_at_200 and exchange.status == 200 and html_step):
        return found.what
    if exchange.status != 200 or html_step:
        return None
    if not any(m in exchange.body for m in api.REFUSAL_MARKERS):
        return None
    try:
        data = jsontext.loads(exchange.body)
    except ValueError:
        return None
    message = message_of(data) if isinstance(data, dict) else ""
    if any(m in message for m in api.REFUSAL_MARKERS):
        return f"平台自身的限流（the service's rate limiter）：{message[:80]}"
    return None


def _status_failure(exchange: Exchange) -> Failed | None:
    """The failure a refusal or an HTTP status alone decides, or None for an answer."""
    refused = refusal(exchange)
    if refused is not None:
        return Failed(
            FailureKind.LOOKUP_FAILED,
            scrub(f"{SERVICE}拒绝了请求（refused，{exchange.step}）：{refused}"),
            raw=clip(exchange.shown_body), transient=True, retry_after=exchange.retry_after,
        )
    status = exchange.status
    if status == 200:
        return None
    if status in TRANSIENT_STATUSES or status >= 500:
        return Failed(FailureKind.LOOKUP_FAILED,
                      f"{SERVICE}答复 HTTP {status}（{exchange.step}）",
                      raw=clip(exchange.shown_body), transient=True,
                      retry_after=exchange.retry_after)
    return Failed(FailureKind.UNRECOGNIZED_RESPONSE,
                  f"{SERVICE}答复 HTTP {status}（{exchange.step}）",
                  raw=clip(exchange.shown_body))


def json_object(exchange: Exchange) -> dict[str, Any] | Failed:
    """The JSON object an answer carries, or the Failed its status or shape means."""
    failed = _status_failure(exchange)
    if failed is not None:
        return failed
    try:
        data = jsontext.loads(exchange.body)
    except ValueError:
        start = exchange.body.lstrip()[:1]
        what = ("空的答复（an empty body）" if not start
                else "HTML 网页（an HTML page）" if start == "<"
                else "JSON 被截断或无法解析（a truncated or unparseable JSON body）"
                if start in "{[" else "不是 JSON（not JSON）")
        return _unrecognized(exchange, what, transient=True)
    if not isinstance(data, dict):
        return _unrecognized(exchange, "不是 JSON 对象（not a JSON object）")
    return data


class SamrSource(LookupSource):
    name = "samr"
    default_rate = 1.0
    description = (
        "全国特种设备公示信息查询平台 cnse.samr.gov.cn（特种设备作业人员证），每次查询需拖动滑块"
        "（the special-equipment lookup）"
    )
    #: 特种设备作业人员证 only: a worker whose items are all another authority's is not asked.
    regimes = frozenset({Regime.SPECIAL_EQUIPMENT})
    publication_delay = api.PUBLICATION_DELAY
    options_type = SamrOptions

    def __init__(
        self,
        *,
        solver: SliderSolver,
        base_url: str = api.DEFAULT_BASE_URL,
        timeout: float = 20.0,
        captcha_tries: int = CAPTCHA_TRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.solver = solver
        #: Seconds one request may take in all, from sending it to the last byte of its answer.
        self.timeout = timeout
        self.captcha_tries = captcha_tries
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._gate: RequestGate | None = None
        # The page opens the session; after any failure it is visited again.
        self._session_open = False
        # Set once the solver said it can never answer (or when there is none at all): later
        # lookups fail at once, before anything is asked of the service.
        self._no_solver: str | None = (
            solver.problem if isinstance(solver, NoSliderSolver) else None
        )
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> SamrSource:
        own = options if isinstance(options, SamrOptions) else SamrOptions(
            interactive=options.interactive
        )
        base = own.samr_url
        if arg:
            # ``samr:https://host`` is accepted as a spelling of --samr-url.
            if not arg.startswith(("http://", "https://")):
                raise SourceError(
                    f"samr 只接受一个网址作参数，不是 {arg!r}（samr takes no argument but a URL）"
                )
            base = arg
        check_url(base)
        return cls(
            solver=own.solver if own.solver is not None else NoSliderSolver(NO_SOLVER),
            base_url=base,
            timeout=own.timeout,
        )

    @property
    def cache_identity(self) -> str:
        return f"samr:{self.base_url}"

    @property
    def page_url(self) -> str:
        return self.base_url + api.PAGE_PATH

    def use_gate(self, gate: RequestGate) -> bool:
        # --rate counts requests: the page, each captcha, check, answer and list.
        self._gate = gate
        return True

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, so it belongs to the event loop that runs the lookups. Its cookie
        # jar is the session every step shares.
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept-Language": "zh-CN,zh;q=0.9",
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                timeout=self.timeout,
                verify=True,
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        await self.solver.aclose()

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}
        return self._locks[loop]

    async def lookup(self, query: Query) -> Outcome:
        outcome, _ = await self.lookup_exchanges(query)
        return outcome

    async def lookup_exchanges(self, query: Query) -> tuple[Outcome, list[Exchange]]:
        """``lookup``, and the exchanges it made (for ``certcheck probe``)."""
        exchanges: list[Exchange] = []
        # The slider passed and the answers belong to the session: one lookup at a time.
        async with self._lock():
            outcome = await self._lookup(query, exchanges)
            if isinstance(outcome, Failed):
                # A session the service may have dropped is opened again by the next lookup.
                self._session_open = False
        return outcome, exchanges

    async def _lookup(self, query: Query, exchanges: list[Exchange]) -> Outcome:
        if self._no_solver is not None:
            return Failed(FailureKind.CAPTCHA_FAILED,
                          f"没有滑块验证方式（no slider solver）：{self._no_solver}")
        if not self._session_open:
            page = await self._send("page", "GET", api.PAGE_PATH, query, exchanges)
            if isinstance(page, Failed):
                return page
            failed = _status_failure(page)
            if failed is not None:
                return failed
            self._session_open = True
        moved = await self._slide(query, exchanges)
        if isinstance(moved, Failed):
            return moved
        move = {api.PARAM_MOVE: str(moved)}
        single = await self._single(query, move, exchanges)
        if isinstance(single, Failed):
            return single
        listed = await self._full_list(query, move, exchanges)
        if isinstance(listed, Failed):
            return listed
        return self._outcome(single, listed, exchanges)

    async def _slide(self, query: Query, exchanges: list[Exchange]) -> int | Failed:
        """The offset the service accepted, or why there is none. The solver's turn is held
        until the check has answered, so that a person hears at the next puzzle whether the
        last one was right."""
        last_problem = "未尝试（no try made）"
        last_raw: str | None = None
        for attempt in range(1, self.captcha_tries + 1):
            async with self.solver.turn():
                got = await self._send("captcha", "GET", api.CAPTCHA_PATH, query, exchanges)
                if isinstance(got, Failed):
                    return got
                data = json_object(got)
                if isinstance(data, Failed):
                    return data
                puzzle = read_captcha(data)
                if isinstance(puzzle, str):
                    return _unrecognized(got, f"不是滑块验证码（not a slider captcha）：{puzzle}")
                try:
                    offset = await self.solver.solve(puzzle, attempt=attempt)
                except NoSolverError as exc:
                    self._no_solver = str(exc)
                    return Failed(FailureKind.CAPTCHA_FAILED,
                                  f"没有滑块验证方式（no slider solver）：{exc}")
                except CaptchaError as exc:
                    last_problem = str(exc)
                    continue
                checked = await self._send("check", "POST", api.CHECK_PATH, query, exchanges,
                                           form={api.PARAM_MOVE: str(offset)})
                if isinstance(checked, Failed):
                    return checked
                answer = json_object(checked)
                if isinstance(answer, Failed):
                    return answer
                passed = read_check(answer)
                if passed is None:
                    return _unrecognized(checked, "滑块校验的答复既非通过也非不通过"
                                                  "（the slider check says neither yes nor no）")
                if passed:
                    return offset
                self.solver.rejected()
                last_problem = f"滑块未通过验证（not accepted）：{message_of(answer) or 'errcode'}"
                last_raw = clip(checked.body)
                log.debug("slider %d for %s not accepted", attempt, mask_id(query.id_number))
        return Failed(
            FailureKind.CAPTCHA_FAILED,
            f"滑块 {self.captcha_tries} 次都未通过验证（slider not accepted after "
            f"{self.captcha_tries} tries）：{last_problem}",
            raw=last_raw,
        )

    async def _single(
        self, query: Query, move: dict[str, str], exchanges: list[Exchange]
    ) -> SingleReading | Failed:
        got = await self._send("single", "GET", api.SINGLE_PATH, query, exchanges,
                               params={api.PARAM_KEYWORD: query.id_number, **move})
        if isinstance(got, Failed):
            return got
        data = json_object(got)
        if isinstance(data, Failed):
            return data
        reading = read_single(data, query)
        if reading.kind is Kind.UNRECOGNIZED:
            return _unrecognized(got, reading.problem or "无法识别（not understood）")
        return reading

    async def _full_list(
        self, query: Query, move: dict[str, str], exchanges: list[Exchange]
    ) -> ListReading | Failed:
        page = await self._send("per_result", "GET", api.PER_RESULT_PATH, query, exchanges,
                                params={api.PARAM_ID: query.id_number, **move})
        if isinstance(page, Failed):
            return page
        failed = _status_failure(page)
        if failed is not None:
            return failed
        code = read_valid_code(page.body)
        if code is None:
            return _unrecognized(page, "页面中没有 validCode（no validCode in the page）")
        got = await self._send("list", "GET", api.LIST_PATH, query, exchanges, params={
            api.PARAM_ID: query.id_number, api.PARAM_VALID_CODE: code,
            api.PARAM_TIME: str(int(time.time() * 1000)),
        })
        if isinstance(got, Failed):
            return got
        data = json_object(got)
        if isinstance(data, Failed):
            return data
        return read_list(data, query)

    def _outcome(
        self, single: SingleReading, listed: ListReading, exchanges: list[Exchange]
    ) -> Outcome:
        raw = clip("\n".join(e.body for e in exchanges if e.step in ("single", "list")))
        together = combine(single, listed)
        if together.kind is Kind.FOUND:
            return Found(together.records, raw=raw, detail=_detail(together.notes, listed))
        if together.kind is Kind.NOT_FOUND:
            return NotFound(raw=raw)
        return Failed(FailureKind.UNRECOGNIZED_RESPONSE,
                      scrub(f"{SERVICE}：{together.problem}"), raw=raw)

    async def _send(
        self, step: str, method: str, path: str, query: Query, exchanges: list[Exchange],
        *, params: Mapping[str, str] | None = None, form: Mapping[str, str] | None = None,
    ) -> Exchange | Failed:
        """One request within ``timeout`` in all, in the session, under a permit."""
        client = self._http()
        if step == "page":
            headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        else:
            headers = {"Referer": self.page_url, **api.XHR_HEADERS,
                       "Accept": ("text/html,*/*;q=0.8" if step == "per_result"
                                  else "application/json, text/javascript, */*; q=0.01")}
        loop = asyncio.get_running_loop()
        response: httpx.Response | None = None
        sent_at = loop.time()
        try:
            async with self._gate.request() if self._gate else contextlib.nullcontext():
                sent_at = loop.time()
                async with asyncio.timeout_at(sent_at + self.timeout):
                    request = client.build_request(method, path, params=params, data=form,
                                                   headers=headers)
                    response = await client.send(request, stream=True)
            async with asyncio.timeout_at(sent_at + self.timeout):
                content = await read_bounded(response)
        except BodyTooLarge as exc:
            return Failed(FailureKind.UNRECOGNIZED_RESPONSE,
                          f"{SERVICE}的 {step} 答复过大，不可能是查询结果（a body too large to be "
                          f"an answer：{exc}）", transient=True)
        except GateClosed as exc:
            return Failed(FailureKind.LOOKUP_FAILED, str(exc))
        except (TimeoutError, httpx.TimeoutException) as exc:
            return Failed(FailureKind.LOOKUP_FAILED,
                          f"{SERVICE}超时：{step} 在 {self.timeout:g} 秒内没有收到完整答复"
                          f"（timed out，{type(exc).__name__}）", transient=True)
        except httpx.HTTPError as exc:
            # httpx messages may include the URL, which carries the ID number.
            log.info("samr %s for %s failed: %s", step, mask_id(query.id_number),
                     type(exc).__name__)
            return Failed(FailureKind.LOOKUP_FAILED,
                          f"无法连接{SERVICE}（cannot reach the {SERVICE_EN}，{step}）："
                          f"{type(exc).__name__}", transient=True)
        finally:
            if response is not None:
                await response.aclose()
        answer = response.headers
        exchange = Exchange(
            step=step, method=method, path=path,
            params=tuple((params or form or {}).items()),
            status=response.status_code,
            body=decode_body(content, answer.get("Content-Type")),
            retry_after=parse_retry_after(answer.get("Retry-After")),
            location=answer.get("Location"),
            sent_at=sent_at,
        )
        exchanges.append(exchange)
        if self._gate is not None:
            if refusal(exchange) is not None:
                self._gate.refused(exchange.retry_after)
            elif exchange.status == 200:
                self._gate.answered()
        return exchange


def _detail(notes: tuple[str, ...], listed: ListReading) -> str | None:
    """What a reader of the answer should know: how values were read, keys nobody mapped."""
    parts = list(dict.fromkeys(notes))
    unknown = listed.unknown_keys
    if unknown:
        parts.append(f"{UNKNOWN_KEYS_NOTE}：{', '.join(k[:40] for k in unknown[:20])}")
    return scrub("；".join(parts)) if parts else None


UNKNOWN_KEYS_NOTE = "samr_mapping 不认识的字段（unknown keys）"


def check_url(base: str) -> None:
    """A base URL that cannot name a server is the user's typo, not a failed lookup."""
    problem = None
    try:
        url = httpx.URL(base)
        if any(c.isspace() for c in base):
            problem = "含有空格（it contains a space）"
        elif url.scheme not in ("http", "https"):
            problem = "须以 http:// 或 https:// 开头（it must start with http:// or https://）"
        elif not url.host:
            problem = "没有主机名（it names no host）"
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        problem = "无法解析（it cannot be parsed" + (f"：{exc}）" if str(exc) else "）")
    if problem is not None:
        raise SourceError(f"--samr-url {base!r} 不是可用的网址（not a usable URL）：{problem}")
