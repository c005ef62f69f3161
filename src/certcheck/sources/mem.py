"""``mem``: the national lookup of 应急管理部 (cx.mem.gov.cn), over its JSON API.

One lookup = fetch a captcha, have the configured solver answer it, ask for the person's
certificates. What the API looks like is assumed in ``mem_mapping`` (one table to correct).
Every outcome keeps the raw answer so that a wrong assumption can be seen and fixed, and with
``MemOptions.record_dir`` every final exchange is written to disk for ``replay:DIR``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import email.utils
import hashlib
import json
import logging
import os
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from certcheck import jsontext
from certcheck.ids import mask_id
from certcheck.models import (
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
)
from certcheck.sources import connect_failure
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import (
    CAPTCHA_LIFETIME,
    CaptchaError,
    CaptchaSolver,
    CaptchaTurns,
    NoSolver,
    NoSolverError,
)
from certcheck.sources.interface import (
    NATIONAL_PUBLICATION_DELAY,
    GateClosed,
    LookupSource,
    RequestGate,
    SourceError,
    SourceOptions,
)
from certcheck.sources.mem_answer import (
    AnswerKind,
    AnswerReading,
    read_answer,
    read_captcha,
    read_record,
)
from certcheck.sources.mem_body import ACCEPT_ENCODING, BodyTooLarge, read_bounded
from certcheck.sources.mem_decode import decode_body
from certcheck.sources.mem_names import name_variants
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.mem_refusal import refusal_of

log = logging.getLogger(__name__)

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
#: A captcha answer the service rejects is retried with a fresh captcha this many times in all.
CAPTCHA_TRIES = 3
# Raw answers are kept for audit, but an error page can be large; the start shows what it was.
RAW_LIMIT = 256 * 1024
RECORD_FORMAT = "certcheck-mem-record/1"
#: Why no captcha can be answered when no solver was given (nobody at a terminal).
NO_SOLVER = ("没有终端可显示验证码（nobody at a terminal to answer it）；请在终端中运行 certcheck，"
             "或给出 --captcha command:程序")
#: The start of a lookup's detail when nobody can answer captchas.
NO_SOLVER_SAID = "没有可用的验证码输入方式（no captcha solver）"
#: How long what a failed attempt learnt (names that found nothing) is used by the next one.
PROGRESS_TTL = 15 * 60.0
#: A captcha is sent only while it has at least this long to live (or a tenth of its
#: lifetime, if shorter): the query must reach the service before it expires.
SEND_MARGIN = 5.0
#: Captchas that expired before their answers could be sent, or that the service called
#: expired, in a run, after which none is fetched ahead any more.
EXPIRIES_BEFORE_FETCHING_LATE = 2
#: What the service's captcha lifetime is taken to be, at the least, however young the ones it
#: calls expired: RuoYi says 验证码已失效 also for a captcha it lost, and a person needs time.
MIN_CAPTCHA_LIFETIME = 60.0
#: Seconds a connection to the service may take to be made (TCP and TLS): a service that
#: cannot be reached is then said within seconds, not after the whole ``--timeout``.
CONNECT_TIMEOUT = 5.0
#: The steps of a lookup as a person reads them.
STEP_ZH = {"captcha": "获取验证码", "query": "查询"}

_FULL_ID = re.compile(r"\d{17}[\dXx]")


def scrub(text: str) -> str:
    """Mask every full ID number in a message meant for logs or error details."""
    return _FULL_ID.sub(lambda m: mask_id(m.group(0)), text)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP response as received: what recordings hold and what outcomes derive from."""

    step: str  # "captcha" or "query"
    status: int
    body: str
    retry_after: float | None = None
    #: The name a query asked for when it was another spelling of the queried one.
    name: str | None = None
    #: Where a redirect pointed (a web firewall's challenge page).
    location: str | None = None
    #: When the request was sent (the event loop's clock): how old a captcha is. Not recorded.
    sent_at: float | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        body = self.body
        if self.step == "captcha":
            # The image is of no use later and is most of the body.
            body = _strip_image(body)
        data: dict[str, Any] = {"step": self.step, "status": self.status,
                                "retry_after": self.retry_after, "body": body}
        if self.name is not None:
            data["asked_name"] = self.name
        if self.location is not None:
            data["location"] = scrub(self.location)
        return data


class WrongCaptcha:
    """The service rejected the captcha answer: try a new captcha, not the same request."""

    def __init__(self, message: str) -> None:
        self.message = message

    @property
    def expired(self) -> bool:
        """The captcha had expired: the answer may well have been right."""
        return any(m in self.message for m in api.CAPTCHA_EXPIRED_MARKERS)


@dataclass(frozen=True, slots=True)
class _Stale:
    """A captcha too old to send by the time its query could go: it would arrive expired."""

    age: float


@dataclass(slots=True)
class _Progress:
    """What earlier attempts of one lookup left: names that found nothing, faults seen."""

    started: float
    nothing_under: list[str] = field(default_factory=list)
    #: Per failed attempt: its kind of garbage body, or None for any other fault.
    faults: list[str | None] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Captcha:
    image: bytes | None  # None: the service says no captcha is needed
    uuid: str


def _strip_image(body: str) -> str:
    try:
        data = jsontext.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    stripped = _strip_image_in(data)
    # The image may also stand inside ``data``, as an object or as a JSON string
    # (``mem_mapping.CAPTCHA_BODY_KEYS``).
    for key in api.CAPTCHA_BODY_KEYS:
        inner = data.get(key)
        if isinstance(inner, dict):
            stripped = _strip_image_in(inner) or stripped
        elif isinstance(inner, str) and inner.strip()[:1] == "{":
            try:
                nested = jsontext.loads(inner)
            except ValueError:
                continue
            if isinstance(nested, dict) and _strip_image_in(nested):
                data[key] = json.dumps(nested, ensure_ascii=False)
                stripped = True
    return json.dumps(data, ensure_ascii=False) if stripped else body


def _strip_image_in(data: dict[str, Any]) -> bool:
    image = data.get(api.CAPTCHA_IMAGE_KEY)
    if not isinstance(image, str):
        return False
    data[api.CAPTCHA_IMAGE_KEY] = f"<{len(image)} base64 characters>"
    return True


def _clip(body: str) -> str:
    return body if len(body) <= RAW_LIMIT else body[:RAW_LIMIT] + "\n…[truncated]"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


#: HTTP statuses worth asking again, with a new captcha: the service is busy, not telling us
#: anything. (Refusals, 403 and 429 among them, are told apart first: ``mem_refusal``.)
TRANSIENT_STATUSES = frozenset({403, 408, 429})

# Bodies that are no answer at all. A web firewall (WAF) answers rapid queries with an HTML
# challenge at HTTP 200; a dropped connection leaves a truncated body. They are transport
# faults: retried with a new captcha, and ``unrecognized_response`` only when every try got
# the same (see ``MemSource._judged``).
GARBAGE_HTML = "HTML 页面，可能是网站防火墙的验证页（an HTML page, a web-firewall challenge?）"
GARBAGE_TRUNCATED = "JSON 不完整或无法解析（a truncated or unparseable JSON body）"
GARBAGE_EMPTY = "答复为空（an empty body）"
GARBAGE_OTHER = "答复不是 JSON（not JSON）"
GARBAGE_HUGE = "答复过大，不可能是查询结果（a body too large to be an answer）"
_GARBAGE = (GARBAGE_HTML, GARBAGE_TRUNCATED, GARBAGE_EMPTY, GARBAGE_OTHER, GARBAGE_HUGE)


def captcha_answer(text: str) -> str:
    """A captcha answer as sent: NFKC (full-width letters from a Chinese input method), spaces
    dropped, only ``[0-9A-Za-z]`` kept, as public clients of the service do."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return "".join(api.CAPTCHA_ANSWER_CHARS.findall(folded))


def _http_failure(exchange: Exchange) -> Failed | None:
    """The outcome an HTTP status alone decides, or None for 200."""
    status = exchange.status
    if status == 200:
        return None
    raw = _clip(exchange.body)
    said = (f"国家查询平台{_step(exchange.step)}时返回 HTTP {status}"
            f"（national lookup answered HTTP {status}）")
    if status in TRANSIENT_STATUSES or status >= 500:
        return Failed(
            FailureKind.LOOKUP_FAILED, said, raw=raw, transient=True,
            retry_after=exchange.retry_after,
        )
    return Failed(FailureKind.UNRECOGNIZED_RESPONSE, said, raw=raw)


def _step(step: str) -> str:
    return STEP_ZH.get(step, step)


def _unrecognized(exchange: Exchange, why: str, *, transient: bool = False) -> Failed:
    return Failed(
        FailureKind.UNRECOGNIZED_RESPONSE,
        f"国家查询平台的{_step(exchange.step)}答复无法识别（unexpected {exchange.step} answer）："
        f"{why}",
        raw=_clip(exchange.body),
        transient=transient,
    )


def garbage_kind(outcome: Outcome) -> str | None:
    """Which kind of garbage body a failure was, or None when it was something else."""
    if not isinstance(outcome, Failed) or outcome.kind is not FailureKind.UNRECOGNIZED_RESPONSE:
        return None
    if not outcome.transient:
        return None
    return next((kind for kind in _GARBAGE if kind in outcome.detail), None)


def _body(exchange: Exchange) -> dict[str, Any] | Failed:
    """The JSON object an answer carries, or the Failed its refusal, status or shape means."""
    return _refused(exchange) or _http_failure(exchange) or _json_object(exchange)


def _refused(exchange: Exchange) -> Failed | None:
    """A refusal (``mem_refusal``) as an outcome: retried, never read as an answer."""
    refusal = refusal_of(exchange)
    if refusal is None or refusal.page_at_200:
        return None
    return Failed(
        FailureKind.LOOKUP_FAILED,
        scrub(f"国家查询平台拒绝了{_step(exchange.step)}请求（refused the request）："
              f"{refusal.what}"),
        raw=_clip(exchange.body),
        transient=True,
        retry_after=refusal.retry_after,
    )


def _json_object(exchange: Exchange) -> dict[str, Any] | Failed:
    try:
        data = jsontext.loads(exchange.body)
    except ValueError:
        start = exchange.body.lstrip()[:1]
        if not start:
            why = GARBAGE_EMPTY
        elif start == "<":
            why = GARBAGE_HTML
        elif start in "{[":
            why = GARBAGE_TRUNCATED
        else:
            why = GARBAGE_OTHER
        return _unrecognized(exchange, why, transient=True)
    if not isinstance(data, dict):
        return _unrecognized(exchange, "不是 JSON 对象（not a JSON object）")
    return data


def interpret_captcha(exchange: Exchange) -> _Captcha | Failed:
    data = _body(exchange)
    if isinstance(data, Failed):
        return data
    reading = read_captcha(data)
    uuid = reading.uuid
    if not reading.needed:
        return _Captcha(None, uuid or "")
    img = reading.image
    if img is None or uuid is None:
        return _unrecognized(exchange, f"没有 {api.CAPTCHA_IMAGE_KEY}/{api.CAPTCHA_UUID_KEY} 字段"
                                       f"（no {api.CAPTCHA_IMAGE_KEY}/{api.CAPTCHA_UUID_KEY}）")
    if img.startswith("data:"):
        img = img.partition(",")[2]
    try:
        image = base64.b64decode(img, validate=False)
    except (binascii.Error, ValueError):
        return _unrecognized(exchange, "验证码图片不是 base64（captcha image is not base64）")
    if not image:
        return _unrecognized(exchange, "验证码图片为空（empty captcha image）")
    return _Captcha(image, uuid)


def read_query(exchange: Exchange, query: Query) -> AnswerReading | Failed:
    """The reading of one netQuery response (for ``probe``), or the Failed its transport means."""
    data = _body(exchange)
    if isinstance(data, Failed):
        return data
    return read_answer(data, query)


def interpret_query(exchange: Exchange, query: Query) -> Outcome | WrongCaptcha:
    """The outcome one netQuery response means (the heart of the source, shared with replay)."""
    reading = read_query(exchange, query)
    if isinstance(reading, Failed):
        return reading
    raw = _clip(exchange.body)
    note = unknown_keys_note(reading)
    kind = reading.kind
    if kind is AnswerKind.WRONG_CAPTCHA:
        return WrongCaptcha(reading.message)
    if kind is AnswerKind.FOUND:
        return Found(reading.cert_records, raw=raw, detail=note)
    if kind is AnswerKind.NOT_FOUND:
        return NotFound(raw=raw, detail=note)
    if kind is AnswerKind.SERVICE_ERROR:
        # The framework reports its own errors in the body with HTTP 200.
        return Failed(
            FailureKind.LOOKUP_FAILED,
            f"国家查询平台报告出错（the service reported an error）：{reading.code} "
            f"{scrub(reading.message)}".strip(),
            raw=raw,
            transient=True,
        )
    why = scrub(reading.problem or "无法理解（not understood）")
    if kind is AnswerKind.INCOMPLETE:
        # Not garbage and not worth asking again: the service pages by its own rule.
        return Failed(FailureKind.UNRECOGNIZED_RESPONSE,
                      f"国家查询平台的答复不完整（incomplete answer）：{why}", raw=raw)
    return _unrecognized(exchange, f"{why}；{note}" if note else why)


def unknown_keys_note(reading: AnswerReading) -> str | None:
    """The audit line for keys ``mem_mapping`` does not know (None when there are none)."""
    keys = reading.unknown_keys
    if not keys:
        return None
    shown = ", ".join(scrub(k[:40]) for k in keys[:20]) + (" …" if len(keys) > 20 else "")
    return f"{UNKNOWN_KEYS_NOTE}：{shown}"


UNKNOWN_KEYS_NOTE = "对照表中没有的字段（keys mem_mapping does not know）"


def parse_record(item: object, query: Query) -> CertRecord:
    """One current API record → CertRecord through ``mem_mapping.RECORD_MAP``; ValueError if
    unusable."""
    reading = read_record(item, query)
    if reading.record is None:
        raise ValueError(reading.problem or "unusable record")
    return reading.record


# --- recordings ----------------------------------------------------------------------------


def recording_path(directory: Path, query: Query) -> Path:
    """One file per person: masked ID for a human, a hash of ID and name to keep names apart."""
    digest = hashlib.sha256(f"{query.id_number}\x1f{query.name}".encode()).hexdigest()[:12]
    safe = mask_id(query.id_number).replace("*", "x")
    return directory / f"{safe}-{digest}.json"


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, Found):
        return {"kind": "found", "records": len(outcome.records), "detail": outcome.detail}
    if isinstance(outcome, NotFound):
        return {"kind": "not_found", "detail": outcome.detail}
    return {
        "kind": "failed",
        "reason": outcome.reason.value,
        "detail": outcome.detail,
        "transient": outcome.transient,
        "retry_after": outcome.retry_after,
    }


def with_names(outcome: Outcome, asked: list[str]) -> Outcome:
    """The outcome with the spellings of the name that were asked, when there were several."""
    if len(asked) < 2:
        return outcome
    earlier = ", ".join(repr(n) for n in asked[:-1])
    if isinstance(outcome, Found):
        note = f"按 {earlier} 未查到，按 {asked[-1]!r} 查到（found under another spelling）"
    elif isinstance(outcome, NotFound):
        every = ", ".join(repr(n) for n in asked)
        note = f"按 {every} 均未查到（nothing found under any spelling）"
    else:
        return replace(outcome, detail=f"{outcome.detail}（按 {earlier} 未查到后按 "
                                       f"{asked[-1]!r} 查询时；asking another spelling）")
    return replace(outcome, detail="；".join(x for x in (note, outcome.detail) if x))


def recording_audit(query: Query, exchanges: list[Exchange], asked: list[str]) -> dict[str, Any]:
    """How the last query answer was read: the recording's account of the mapping."""
    audit: dict[str, Any] = {"names_asked": asked}
    last = next((e for e in reversed(exchanges) if e.step == "query"), None)
    if last is None:
        return audit
    reading = read_query(last, Query(query.id_number, last.name or query.name))
    if isinstance(reading, Failed):
        audit["answer"] = "transport fault"
        return audit
    fields: dict[str, list[str]] = {}
    missing: dict[str, int] = {}
    for record in reading.records:
        for attr, key in record.filled:
            fields.setdefault(attr, [])
            if key not in fields[attr]:
                fields[attr].append(key)
        for attr in record.missing:
            missing[attr] = missing.get(attr, 0) + 1
    audit.update({
        "answer": reading.kind.value,
        "unknown_keys": list(reading.unknown_keys),
        "fields": fields,
        "missing": missing,
        "records": len(reading.records),
        "history_records": sum(1 for r in reading.records if r.history),
    })
    return audit


def write_recording(
    directory: Path, query: Query, exchanges: list[Exchange], outcome: Outcome,
    asked: list[str] | None = None,
) -> Path:
    """Write the exchanges of one lookup (dir 0700, file 0600, replaced atomically)."""
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
    path = recording_path(directory, query)
    document = {
        "format": RECORD_FORMAT,
        "recorded_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "outcome": outcome_to_json(outcome),
        "audit": recording_audit(query, exchanges, asked if asked is not None else [query.name]),
        "exchanges": [e.to_json() for e in exchanges],
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(document):x}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors=jsontext.ENCODE_ERRORS) as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


# --- the source ----------------------------------------------------------------------------


class MemSource(LookupSource):
    name = "mem"
    default_rate = 1.0
    publication_delay = NATIONAL_PUBLICATION_DELAY
    description = (
        "国家特种作业操作证查询平台 cx.mem.gov.cn，每次查询需输入验证码（the national lookup）"
    )

    def __init__(
        self,
        *,
        solver: CaptchaSolver,
        base_url: str = api.DEFAULT_BASE_URL,
        timeout: float = 20.0,
        record_dir: Path | None = None,
        captcha_tries: int = CAPTCHA_TRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        name_variants: bool = True,
        captcha_lifetime: float = CAPTCHA_LIFETIME,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Ask again under other spellings of a name that found nothing (``mem_names``).
        self.name_variants = name_variants
        # What earlier attempts of a lookup that the engine retries have left to go on.
        self._progress: dict[Query, _Progress] = {}
        self._unknown_keys_seen: set[str] = set()
        self.solver = solver
        #: Seconds one request may take in all, from sending it to the last byte of its
        #: answer (httpx's own timeouts count each read alone: a body trickling in never ends).
        self.timeout = timeout
        #: How long a captcha is taken to live: one older than this when its answer would be
        #: sent is not sent, and the person gets a new image. Lowered when the service calls
        #: younger captchas expired.
        self.captcha_lifetime = captcha_lifetime
        self._lifetime_floor = min(MIN_CAPTCHA_LIFETIME, captcha_lifetime)
        self._expiries = 0
        self.record_dir = record_dir
        self.captcha_tries = captcha_tries
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        # Set once the solver said it can never answer: later lookups then fail at once
        # instead of fetching captchas from the national service that nobody will read.
        self._no_solver: str | None = None
        # The engine's rate limiter (``use_gate``): every request takes a permit from it.
        self._gate: RequestGate | None = None
        # Lookups take turns at a one-at-a-time solver, the next image fetched ahead.
        self.captchas: CaptchaTurns[Exchange | Failed] = CaptchaTurns(
            solver, self._fetch_captcha,
            usable=lambda got: isinstance(got, Exchange)
            and not isinstance(interpret_captcha(got), Failed),
        )

    options_type = MemOptions

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> MemSource:
        own = options if isinstance(options, MemOptions) else MemOptions(
            interactive=options.interactive
        )
        base = own.mem_url
        if arg:
            # ``mem:https://host`` is accepted as a spelling of --mem-url.
            if not arg.startswith(("http://", "https://")):
                raise SourceError(
                    f"mem 只接受一个网址作参数，不是 {arg!r}（mem takes no argument but a URL）"
                )
            base = arg
        _check_url(base)
        return cls(
            solver=own.solver if own.solver is not None else NoSolver(NO_SOLVER),
            base_url=base,
            timeout=own.timeout,
            record_dir=own.record_dir,
        )

    @property
    def cache_identity(self) -> str:
        return f"mem:{self.base_url}"

    def use_gate(self, gate: RequestGate) -> bool:
        # --rate counts requests: each captcha (also a new one after a rejected answer or
        # fetched ahead) and each query takes a permit, and refusals slow the whole run.
        self._gate = gate
        return True

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, so it belongs to the event loop that runs the lookups.
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers={
                    "User-Agent": USER_AGENT,
                    "Referer": self.base_url + api.REFERER_PATH,
                    "Accept": "application/json, text/plain, */*",
                    "Accept-Language": "zh-CN,zh;q=0.9",
                    # Only what ``mem_body`` undoes with a bound on the decoded size.
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                # Making the connection has a shorter bound of its own: a service that cannot be
                # reached at all is said within seconds (``connect_failure``).
                timeout=httpx.Timeout(self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout)),
                verify=True,
                transport=self._transport,
                # Lookups are paced by the engine; the pool must not become the bottleneck.
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def aclose(self) -> None:
        await self.captchas.aclose()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        await self.solver.aclose()

    async def _fetch_captcha(self) -> Exchange | Failed:
        got = await self._get("captcha", api.CAPTCHA_PATH, None, None)
        assert not isinstance(got, _Stale)
        return got

    async def _get(
        self, step: str, path: str, params: Mapping[str, str] | None, query: Query | None,
        *, fresh_until: float | None = None,
    ) -> Exchange | Failed | _Stale:
        """One request, within ``timeout`` in all; ``_Stale`` instead of sending a captcha
        answer after ``fresh_until`` (a permit may be a long wait while the run is slowed)."""
        # The client first: building it takes a while, and a permit is for sending at once.
        client = self._http()
        loop = asyncio.get_running_loop()
        response: httpx.Response | None = None
        sent_at = loop.time()
        try:
            async with self._gate.request() if self._gate else contextlib.nullcontext():
                sent_at = loop.time()
                if fresh_until is not None and sent_at > fresh_until:
                    return _Stale(sent_at - fresh_until)
                async with asyncio.timeout_at(sent_at + self.timeout):
                    response = await client.send(
                        client.build_request("GET", path, params=params), stream=True
                    )
            # The answer has begun: the rate window counts from here, and a body trickling in
            # holds no permit while it is read, to the same deadline.
            async with asyncio.timeout_at(sent_at + self.timeout):
                content = await read_bounded(response)
        except BodyTooLarge as exc:
            # Never an answer, whatever its start says: retried as garbage is.
            return Failed(
                FailureKind.UNRECOGNIZED_RESPONSE,
                f"国家查询平台的{_step(step)}答复无法识别（unexpected {step} answer）："
                f"{GARBAGE_HUGE}（{exc}）",
                raw=_clip(decode_body(
                    exc.start, response.headers.get("Content-Type") if response else None
                )),
                transient=True,
            )
        except GateClosed as exc:
            return Failed(FailureKind.LOOKUP_FAILED, str(exc))
        except (TimeoutError, httpx.TimeoutException, httpx.HTTPError) as exc:
            return self._transport_fault(step, query, exc)
        finally:
            if response is not None:
                await response.aclose()
        headers = response.headers
        exchange = Exchange(
            step=step,
            status=response.status_code,
            body=decode_body(content, headers.get("Content-Type")),
            retry_after=parse_retry_after(headers.get("Retry-After")),
            location=headers.get("Location"),
            sent_at=sent_at,
        )
        self._tell_gate(exchange)
        return exchange

    def _transport_fault(self, step: str, query: Query | None, exc: BaseException) -> Failed:
        """The failure an exception of the transport means: no connection made (the service
        cannot be reached: said by its cause), no whole answer in time, or a connection lost."""
        # httpx messages may include the URL, which carries the ID number: not shown.
        who = mask_id(query.id_number) if query is not None else "the next lookup"
        log.info("mem %s for %s failed: %s", step, who, type(exc).__name__)
        if connect_failure.failed_to_connect(exc):
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"无法连接国家查询平台 {connect_failure.where(self.base_url)}："
                f"{connect_failure.cause(exc)}",
                transient=True, unreachable=True,
            )
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"国家查询平台{_step(step)}超时：{self.timeout:g} 秒内未收到完整答复"
                f"（timed out, {type(exc).__name__}）",
                transient=True,
            )
        return Failed(
            FailureKind.LOOKUP_FAILED,
            f"与国家查询平台的连接中断（{_step(step)}；connection lost, {type(exc).__name__}）",
            transient=True,
        )

    def _tell_gate(self, exchange: Exchange) -> None:
        """Refusals (``mem_refusal``: a web firewall's 403, 429, redirect or challenge page,
        the service's own limiter) slow every lookup down; proper answers let the pace
        recover. A firewall's cookie set with a refusal is kept by the client's cookie jar
        and sent with every later request."""
        if self._gate is None:
            return
        refusal = refusal_of(exchange)
        if refusal is not None:
            self._gate.refused(refusal.retry_after)
        elif exchange.status == 200:
            self._gate.answered()

    async def lookup(self, query: Query) -> Outcome:
        outcome, _ = await self.lookup_exchanges(query)
        return outcome

    async def lookup_exchanges(self, query: Query) -> tuple[Outcome, list[Exchange]]:
        """``lookup``, and the exchanges it made (for ``certcheck probe``)."""
        exchanges: list[Exchange] = []
        progress = self._progress_of(query)
        outcome, asked = await self._lookup_names(query, exchanges, progress)
        outcome = self._judged(query, progress, outcome)
        self._warn_of_unknown_keys(outcome, exchanges, query)
        if self.record_dir is not None:
            try:
                write_recording(self.record_dir, query, exchanges, outcome, asked)
            except OSError as exc:
                log.warning("无法录下 %s 的答复（cannot record the answer）：%s",
                            mask_id(query.id_number), scrub(str(exc)))
        return outcome, exchanges

    def _warn_of_unknown_keys(
        self, outcome: Outcome, exchanges: list[Exchange], query: Query
    ) -> None:
        """Say once per run for each key the table does not know that the service sent it: the
        first real run then points at ``certcheck probe`` instead of hiding it in recordings."""
        detail = outcome.detail or ""
        if UNKNOWN_KEYS_NOTE not in detail:
            return
        last = next((e for e in reversed(exchanges) if e.step == "query"), None)
        reading = read_query(last, query) if last is not None else None
        if not isinstance(reading, AnswerReading):
            return
        new = [key for key in reading.unknown_keys if key not in self._unknown_keys_seen]
        if new:
            self._unknown_keys_seen.update(new)
            log.warning(
                "国家查询平台发来了对照表中没有的字段（keys mem_mapping does not know）：%s；"
                "用 certcheck probe 查看其内容", ", ".join(scrub(k[:40]) for k in new[:20]),
            )

    def _progress_of(self, query: Query) -> _Progress:
        now = time.monotonic()
        progress = self._progress.get(query)
        if progress is None or now - progress.started > PROGRESS_TTL:
            progress = self._progress[query] = _Progress(now)
        return progress

    async def _lookup_names(
        self, query: Query, exchanges: list[Exchange], progress: _Progress
    ) -> tuple[Outcome, list[str]]:
        """The lookup under the roster's spelling of the name and, while nothing is found,
        under its variants; names that found nothing in an earlier attempt are not asked again.
        """
        names = [query.name, *(name_variants(query.name) if self.name_variants else ())]
        asked = list(progress.nothing_under)
        outcome: Outcome = NotFound()
        for name in names:
            if name in progress.nothing_under:
                continue
            start = len(exchanges)
            outcome = await self._lookup(
                query if name == query.name else Query(query.id_number, name), exchanges
            )
            if name != query.name:
                exchanges[start:] = [
                    replace(e, name=name) if e.step == "query" else e for e in exchanges[start:]
                ]
            asked.append(name)
            if not isinstance(outcome, NotFound):
                break
            progress.nothing_under.append(name)
        return with_names(outcome, asked), asked

    def _judged(self, query: Query, progress: _Progress, outcome: Outcome) -> Outcome:
        """A garbage body is ``unrecognized_response`` only while every attempt of this lookup
        got the same kind of garbage; after any other fault it is ``lookup_failed``."""
        if not (isinstance(outcome, Failed) and outcome.transient):
            self._progress.pop(query, None)
            return outcome
        kind = garbage_kind(outcome)
        mixed = kind is not None and any(k != kind for k in progress.faults)
        progress.faults.append(kind)
        if mixed:
            return replace(outcome, kind=FailureKind.LOOKUP_FAILED,
                           detail=f"{outcome.detail}（此前几次失败的情形不同；"
                                  "earlier tries failed otherwise）")
        return outcome

    async def _lookup(self, query: Query, exchanges: list[Exchange]) -> Outcome:
        if self._no_solver is not None:
            return Failed(FailureKind.CAPTCHA_FAILED, f"{NO_SOLVER_SAID}：{self._no_solver}")
        return await self._tries(query, exchanges)

    async def _tries(self, query: Query, exchanges: list[Exchange]) -> Outcome:
        async with contextlib.AsyncExitStack() as turn:
            return await self._tries_in_turns(query, exchanges, turn)

    async def _tries_in_turns(
        self, query: Query, exchanges: list[Exchange], turn: contextlib.AsyncExitStack
    ) -> Outcome:
        # A one-at-a-time solver (a person) is held from taking an image until answering it;
        # an image skipped keeps the turn, so the next one follows at once. The query is sent
        # after the turn is handed on: the person reads the next image (fetched ahead) while
        # this answer is judged, and a rejected answer queues for a new turn.
        last_problem = "未尝试（no try made）"
        last_raw: str | None = None
        holding = False
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.captcha_tries + 1):
            if not holding:
                await turn.enter_async_context(self.captchas.turn())
                holding = True
                if self._no_solver is not None:
                    return Failed(FailureKind.CAPTCHA_FAILED,
                                  f"{NO_SOLVER_SAID}：{self._no_solver}")
            got = await self.captchas.take()
            if isinstance(got, Failed):
                return got
            exchanges.append(got)
            captcha = interpret_captcha(got)
            if isinstance(captcha, Failed):
                return captcha
            answer = ""
            if captcha.image is not None:
                try:
                    answer = await self.solver.solve(captcha.image, attempt=attempt)
                except NoSolverError as exc:
                    self._no_solver = str(exc)
                    return Failed(FailureKind.CAPTCHA_FAILED, f"{NO_SOLVER_SAID}：{exc}")
                except CaptchaError as exc:
                    last_problem = str(exc)
                    continue
            # A captcha's age counts when its answer is sent, not when it was shown: one
            # fetched ahead and then answered slowly is replaced, in this turn, not sent.
            fresh_until = self._fresh_until(got) if captcha.image is not None else None
            if fresh_until is not None and loop.time() > fresh_until:
                last_problem = self._stale(loop.time() - fresh_until)
                self._keeps_expiring()
                continue
            await turn.aclose()
            holding = False
            params = {
                api.PARAM_NAME: query.name,
                api.PARAM_ID: query.id_number,
                api.PARAM_CAPTCHA: captcha_answer(answer),
                api.PARAM_UUID: captcha.uuid,
                **api.QUERY_FIXED_PARAMS,
            }
            sent = await self._get("query", api.QUERY_PATH, params, query,
                                   fresh_until=fresh_until)
            if isinstance(sent, _Stale):  # the wait for a permit outlived it: a new image
                last_problem = self._stale(sent.age)
                continue
            if isinstance(sent, Failed):
                return sent
            exchanges.append(sent)
            result = interpret_query(sent, query)
            if isinstance(result, WrongCaptcha):
                last_problem = f"验证码未被接受（captcha not accepted）：{result.message}"
                last_raw = _clip(sent.body)
                if captcha.image is not None and result.expired:
                    self._expired_at_service(got, sent)
                elif captcha.image is not None:
                    self.solver.rejected()
                log.debug("captcha %d for %s not accepted", attempt, mask_id(query.id_number))
                continue
            return result
        return Failed(
            FailureKind.CAPTCHA_FAILED,
            f"验证码 {self.captcha_tries} 次均未被接受（captcha not accepted after "
            f"{self.captcha_tries} tries）：{last_problem}",
            raw=last_raw,
        )


    def _fresh_until(self, captcha: Exchange) -> float | None:
        """Until when the answer to ``captcha`` may be sent: its lifetime, less the time the
        query needs to get there."""
        if captcha.sent_at is None:
            return None
        lifetime = self.captcha_lifetime
        return captcha.sent_at + lifetime - min(SEND_MARGIN, lifetime / 10)

    def _stale(self, late: float) -> str:
        """A captcha too old to send: the person is told it was no typing error."""
        self.solver.expired()
        log.debug("a captcha answered %.1f s too late to send; a new one is fetched", late)
        return (f"验证码在答案送达前已过期，约 {self.captcha_lifetime:g} 秒有效"
                "（the captcha expired before its answer could be sent）")

    def _expired_at_service(self, captcha: Exchange, sent: Exchange) -> None:
        """The service called a captcha expired that was taken to be young enough: it lives
        less long than assumed (never taken below ``MIN_CAPTCHA_LIFETIME``). Not the person's
        fault."""
        self.solver.expired()
        if captcha.sent_at is not None and sent.sent_at is not None:
            age = max(sent.sent_at - captcha.sent_at, self._lifetime_floor)
            if age < self.captcha_lifetime:
                self.captcha_lifetime = age
                self.captchas.max_age = min(self.captchas.max_age, 0.75 * age)
        self._keeps_expiring()

    def _keeps_expiring(self) -> None:
        """Once captchas keep expiring between being fetched and answered, none is fetched
        ahead any more: each is fetched when the person is ready for it, as young as the
        answering allows."""
        self._expiries += 1
        if self._expiries >= EXPIRIES_BEFORE_FETCHING_LATE and self.captchas.ahead:
            self.captchas.fetch_late()
            log.info("验证码多次在作答后过期，此后每张验证码在显示时才获取"
                     "（captchas keep expiring: none is fetched ahead any more）")


def _check_url(base: str) -> None:
    """A base URL that cannot name a server is the user's typo, not a failed lookup."""
    problem = None
    try:
        url = httpx.URL(base)
        if any(c.isspace() for c in base):
            problem = "it contains a space"
        elif url.scheme not in ("http", "https"):
            problem = "it must start with http:// or https://"
        elif not url.host:
            problem = "it names no host"
        elif url.port is not None and not 0 < url.port < 65536:
            problem = "its port is out of range"
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        problem = str(exc) or "it cannot be parsed"
    if problem is not None:
        raise SourceError(f"--mem-url {base!r} 不是可用的网址（not a usable URL: {problem}）")
