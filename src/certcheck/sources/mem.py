"""``mem``: the national lookup of 应急管理部 (cx.mem.gov.cn), over its JSON API.

One lookup = fetch a captcha, have the configured solver answer it, ask for the person's
certificates. What the API looks like is assumed in ``mem_mapping`` (one table to correct).
Every outcome keeps the raw answer so that a wrong assumption can be seen and fixed, and with
``SourceOptions.record_dir`` every final exchange is written to disk for ``replay:DIR``.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from certcheck.dates import parse_date_text
from certcheck.ids import mask_id, normalize_id
from certcheck.models import (
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
)
from certcheck.sources import mem_mapping as api
from certcheck.sources.captcha import (
    CaptchaError,
    CaptchaSolver,
    NoSolverError,
    load_solver,
)
from certcheck.sources.interface import (
    NATIONAL_PUBLICATION_DELAY,
    LookupSource,
    SourceError,
    SourceOptions,
)

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

    def to_json(self) -> dict[str, Any]:
        body = self.body
        if self.step == "captcha":
            # The image is of no use later and is most of the body.
            body = _strip_image(body)
        return {"step": self.step, "status": self.status, "retry_after": self.retry_after,
                "body": body}


class WrongCaptcha:
    """The service rejected the captcha answer: try a new captcha, not the same request."""

    def __init__(self, message: str) -> None:
        self.message = message


@dataclass(frozen=True, slots=True)
class _Captcha:
    image: bytes | None  # None: the service says no captcha is needed
    uuid: str


def _strip_image(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and isinstance(data.get(api.CAPTCHA_IMAGE_KEY), str):
        data[api.CAPTCHA_IMAGE_KEY] = f"<{len(data[api.CAPTCHA_IMAGE_KEY])} base64 characters>"
        return json.dumps(data, ensure_ascii=False)
    return body


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


def _http_failure(exchange: Exchange) -> Failed | None:
    """The outcome an HTTP status alone decides, or None for 200."""
    status = exchange.status
    if status == 200:
        return None
    raw = _clip(exchange.body)
    if status == 429 or status >= 500 or status == 408:
        return Failed(
            FailureKind.LOOKUP_FAILED,
            f"national lookup answered HTTP {status} ({exchange.step})",
            raw=raw,
            transient=True,
            retry_after=exchange.retry_after,
        )
    return Failed(
        FailureKind.UNRECOGNIZED_RESPONSE,
        f"national lookup answered HTTP {status} ({exchange.step})",
        raw=raw,
    )


def _unrecognized(exchange: Exchange, why: str) -> Failed:
    return Failed(
        FailureKind.UNRECOGNIZED_RESPONSE,
        f"unexpected {exchange.step} answer from the national lookup: {why}",
        raw=_clip(exchange.body),
    )


def _body(exchange: Exchange) -> dict[str, Any] | Failed:
    """The JSON object an answer carries, or the Failed its status or shape means."""
    return _http_failure(exchange) or _json_object(exchange)


def _json_object(exchange: Exchange) -> dict[str, Any] | Failed:
    try:
        data = json.loads(exchange.body)
    except ValueError:
        snippet = exchange.body.lstrip()[:1].lower()
        return _unrecognized(exchange, "an HTML page" if snippet == "<" else "not JSON")
    if not isinstance(data, dict):
        return _unrecognized(exchange, "not a JSON object")
    return data


def interpret_captcha(exchange: Exchange) -> _Captcha | Failed:
    data = _body(exchange)
    if isinstance(data, Failed):
        return data
    uuid = data.get(api.CAPTCHA_UUID_KEY)
    if data.get(api.CAPTCHA_ENABLED_KEY) is False:
        return _Captcha(None, uuid if isinstance(uuid, str) else "")
    img = data.get(api.CAPTCHA_IMAGE_KEY)
    if not isinstance(img, str) or not isinstance(uuid, str) or not uuid:
        return _unrecognized(exchange, f"no {api.CAPTCHA_IMAGE_KEY}/{api.CAPTCHA_UUID_KEY}")
    if img.startswith("data:"):
        img = img.partition(",")[2]
    try:
        image = base64.b64decode(img, validate=False)
    except (binascii.Error, ValueError):
        return _unrecognized(exchange, "captcha image is not base64")
    if not image:
        return _unrecognized(exchange, "empty captcha image")
    return _Captcha(image, uuid)


def interpret_query(exchange: Exchange, query: Query) -> Outcome | WrongCaptcha:
    """The outcome one netQuery response means (the heart of the source, shared with replay)."""
    data = _body(exchange)
    if isinstance(data, Failed):
        return data
    raw = _clip(exchange.body)
    msg = data.get(api.MSG_KEY)
    msg_text = msg if isinstance(msg, str) else ""
    if api.CAPTCHA_MARKER in msg_text:
        return WrongCaptcha(msg_text)
    code = data.get(api.CODE_KEY)
    if code != api.OK_CODE and str(code) != str(api.OK_CODE):
        if isinstance(code, int) and 500 <= code < 600:
            # The framework reports its own errors in the body with HTTP 200.
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"national lookup reported an error: {code} {scrub(msg_text)}".strip(),
                raw=raw,
                transient=True,
            )
        return _unrecognized(exchange, f"code {code!r} {scrub(msg_text)}".strip())
    if api.DATA_KEY not in data or data[api.DATA_KEY] is None:
        if api.MISSING_DATA_MEANS_NOT_FOUND:
            return NotFound(raw=raw)
        return _unrecognized(exchange, f"no {api.DATA_KEY!r}")
    items = data[api.DATA_KEY]
    if not isinstance(items, list):
        return _unrecognized(exchange, f"{api.DATA_KEY!r} is not a list")
    if not items:
        return NotFound(raw=raw)
    try:
        records = tuple(parse_record(item, query) for item in items)
    except ValueError as exc:
        return _unrecognized(exchange, scrub(str(exc)))
    return Found(records, raw=raw)


def parse_record(item: object, query: Query) -> CertRecord:
    """One API record → CertRecord through ``mem_mapping.RECORD_MAP``; ValueError if unusable."""
    if not isinstance(item, Mapping):
        raise ValueError("a record is not an object")
    values: dict[str, Any] = {}
    for field in api.RECORD_MAP:
        key = next((k for k in field.keys if k in item), None)
        if key is None:
            if field.required:
                raise ValueError(f"record without {field.keys[0]!r}")
            values[field.attr] = None
            continue
        value = item[key]
        if value is not None and not isinstance(value, str | int):
            raise ValueError(f"{key!r} is not text")
        text = str(value).strip() if value is not None else ""
        if field.is_date:
            try:
                values[field.attr] = parse_date_text(text) if text else None
            except ValueError:
                raise ValueError(f"{key!r} is not a date: {text[:40]!r}") from None
        else:
            values[field.attr] = text or None
    if not values["name"]:
        raise ValueError("record without a name")
    given = values.get("id_number")
    # The service may mask the ID in its answer; the records are the queried person's anyway.
    values["id_number"] = (
        normalize_id(given) if given and "*" not in given else query.id_number
    )
    return CertRecord(**values)


# --- recordings ----------------------------------------------------------------------------


def recording_path(directory: Path, query: Query) -> Path:
    """One file per person: masked ID for a human, a hash of ID and name to keep names apart."""
    digest = hashlib.sha256(f"{query.id_number}\x1f{query.name}".encode()).hexdigest()[:12]
    safe = mask_id(query.id_number).replace("*", "x")
    return directory / f"{safe}-{digest}.json"


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, Found):
        return {"kind": "found", "records": len(outcome.records)}
    if isinstance(outcome, NotFound):
        return {"kind": "not_found"}
    return {
        "kind": "failed",
        "reason": outcome.reason.value,
        "detail": outcome.detail,
        "transient": outcome.transient,
        "retry_after": outcome.retry_after,
    }


def write_recording(
    directory: Path, query: Query, exchanges: list[Exchange], outcome: Outcome
) -> None:
    """Write the exchanges of one lookup (dir 0700, file 0600, replaced atomically)."""
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
    path = recording_path(directory, query)
    document = {
        "format": RECORD_FORMAT,
        "recorded_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "outcome": outcome_to_json(outcome),
        "exchanges": [e.to_json() for e in exchanges],
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{id(document):x}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- the source ----------------------------------------------------------------------------


class MemSource(LookupSource):
    name = "mem"
    default_rate = 1.0
    publication_delay = NATIONAL_PUBLICATION_DELAY
    description = "the national lookup cx.mem.gov.cn (needs a captcha answer per lookup)"

    def __init__(
        self,
        *,
        solver: CaptchaSolver,
        base_url: str = api.DEFAULT_BASE_URL,
        timeout: float = 20.0,
        record_dir: Path | None = None,
        captcha_tries: int = CAPTCHA_TRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.solver = solver
        self.timeout = timeout
        self.record_dir = record_dir
        self.captcha_tries = captcha_tries
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        # Set once the solver said it can never answer: later lookups then fail at once
        # instead of fetching captchas from the national service that nobody will read.
        self._no_solver: str | None = None

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> MemSource:
        base = options.mem_url
        if arg:
            # ``mem:https://host`` is accepted as a spelling of --mem-url.
            if not arg.startswith(("http://", "https://")):
                raise SourceError(f"mem takes no argument but a URL, not {arg!r}")
            base = arg
        _check_url(base)
        return cls(
            solver=load_solver(options.captcha, options.interactive),
            base_url=base,
            timeout=options.timeout,
            record_dir=Path(options.record_dir) if options.record_dir else None,
        )

    @property
    def cache_identity(self) -> str:
        return f"mem:{self.base_url}"

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
                },
                timeout=self.timeout,
                verify=True,
                transport=self._transport,
                # Lookups are paced by the engine; the pool must not become the bottleneck.
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        await self.solver.aclose()

    async def _get(
        self, step: str, path: str, params: Mapping[str, str] | None, query: Query
    ) -> Exchange | Failed:
        try:
            response = await self._http().get(path, params=params)
            body = response.text
        except httpx.TimeoutException as exc:
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"national lookup timed out ({step}, {type(exc).__name__})",
                transient=True,
            )
        except httpx.HTTPError as exc:
            # httpx messages may include the URL, which carries the ID number.
            log.info("mem %s for %s failed: %s", step, mask_id(query.id_number), type(exc).__name__)
            return Failed(
                FailureKind.LOOKUP_FAILED,
                f"cannot reach the national lookup ({step}): {type(exc).__name__}",
                transient=True,
            )
        return Exchange(
            step=step,
            status=response.status_code,
            body=body,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    async def lookup(self, query: Query) -> Outcome:
        exchanges: list[Exchange] = []
        outcome = await self._lookup(query, exchanges)
        if self.record_dir is not None:
            try:
                write_recording(self.record_dir, query, exchanges, outcome)
            except OSError as exc:
                log.warning("cannot record the answer for %s: %s", mask_id(query.id_number),
                            scrub(str(exc)))
        return outcome

    async def _lookup(self, query: Query, exchanges: list[Exchange]) -> Outcome:
        # A person answers one captcha at a time: the solver's turn covers every try of this
        # lookup, so each image is fresh when shown and a rejected answer is followed at once
        # by a new image for the same person (not by somebody else's, already waiting).
        async with self.solver.turn():
            if self._no_solver is not None:
                return Failed(FailureKind.CAPTCHA_FAILED, f"no captcha solver: {self._no_solver}")
            return await self._tries(query, exchanges)

    async def _tries(self, query: Query, exchanges: list[Exchange]) -> Outcome:
        last_problem = "no try made"
        last_raw: str | None = None
        for attempt in range(1, self.captcha_tries + 1):
            got = await self._get("captcha", api.CAPTCHA_PATH, None, query)
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
                    return Failed(FailureKind.CAPTCHA_FAILED, f"no captcha solver: {exc}")
                except CaptchaError as exc:
                    last_problem = str(exc)
                    continue
            params = {
                api.PARAM_NAME: query.name,
                api.PARAM_ID: query.id_number,
                api.PARAM_CAPTCHA: answer,
                api.PARAM_UUID: captcha.uuid,
                **api.QUERY_FIXED_PARAMS,
            }
            got = await self._get("query", api.QUERY_PATH, params, query)
            if isinstance(got, Failed):
                return got
            exchanges.append(got)
            result = interpret_query(got, query)
            if isinstance(result, WrongCaptcha):
                last_problem = f"captcha not accepted: {result.message}"
                last_raw = _clip(got.body)
                log.debug("captcha %d for %s not accepted", attempt, mask_id(query.id_number))
                continue
            return result
        return Failed(
            FailureKind.CAPTCHA_FAILED,
            f"captcha not accepted after {self.captcha_tries} tries ({last_problem})",
            raw=last_raw,
        )


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
        raise SourceError(f"--mem-url {base!r} is not a usable URL: {problem}")
