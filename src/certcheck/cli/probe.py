"""``certcheck probe``: one live lookup, shown in full, to confirm or correct ``mem_mapping``.

The national lookup's API is known only from public client code that disagrees with itself.
The first user with access runs this once for a person with a certificate: it prints the
exchange (ID numbers masked), says for each field which API key filled it, which keys the
mapping does not know and which expected fields stayed empty, and writes a recording that
``--source replay:DIR`` reads, so that a corrected ``mem_mapping`` can be tried on the real
answer without asking the service again.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click
import httpx

from certcheck import jsontext
from certcheck.cli.app import FiniteFloatRange, UserError, _guarded, cli
from certcheck.cli.exit_codes import ExitCode
from certcheck.ids import is_valid_id, mask_id, normalize_id
from certcheck.models import Failed, FailureKind, Found, NotFound, Outcome, Query
from certcheck.names import normalize_name
from certcheck.sources import mem_mapping as api
from certcheck.sources.mem import Exchange, MemSource, read_query, recording_path, scrub
from certcheck.sources.mem_answer import AnswerReading, RecordReading

#: Characters of one body shown; the recording holds all of it.
SHOWN_BODY = 4000


@cli.command()
@click.option("--id", "id_text", required=True, help="ID number (身份证号) of a person to look up.")
@click.option("--name", required=True, help="Their name (姓名), as on the ID card.")
@click.option("--mem-url", default=api.DEFAULT_BASE_URL, show_default=True,
              help="Base URL of the national lookup.")
@click.option("--captcha", help="prompt (default at a terminal), command:PROGRAM, or a plugin.")
@click.option("--timeout", type=FiniteFloatRange(min=0, min_open=True, max=3600), default=20,
              show_default=True, help="Seconds one request may take, to the last byte of its "
                                      "answer.")
@click.option("--record", "record_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("certcheck-probe"), show_default=True,
              help="Where the recording goes (read it back with --source replay:DIR).")
def probe(
    id_text: str, name: str, mem_url: str, captcha: str | None, timeout: float, record_dir: Path
) -> None:
    """One live lookup, shown in full, to check the API mapping (接口核对).

    Prints the exchange with ID numbers masked, which API key filled which field, the keys
    certcheck does not know and the expected fields that stayed empty. Exit 0 when the answer
    was understood, 3 when not, 4 when the service cannot be reached securely.
    """
    with _guarded():
        id_number = normalize_id(id_text)
        if not is_valid_id(id_number, date.today()):
            raise UserError(
                f"--id {mask_id(id_number)} 不是有效的身份证号（not a valid ID number）",
                ExitCode.USAGE,
            )
        query = Query(id_number, normalize_name(name))
        if not query.name:
            raise UserError("--name 是空的（empty）", ExitCode.USAGE)
        outcome = _probe(query, mem_url, captcha, timeout, record_dir)
    sys.exit(ExitCode.COMPLIANT if isinstance(outcome, Found | NotFound) else ExitCode.INCOMPLETE)


def _probe(
    query: Query, mem_url: str, captcha: str | None, timeout: float, record_dir: Path
) -> Outcome:
    from certcheck.cli.source_options import open_chosen_source

    source = open_chosen_source("mem", mem_url=mem_url, captcha=captcha, timeout=timeout,
                                record_dir=record_dir)
    assert isinstance(source, MemSource)
    source.name_variants = False  # one lookup: the name exactly as given

    async def main() -> tuple[Outcome, list[Exchange]]:
        try:
            return await source.lookup_exchanges(query)
        finally:
            await source.aclose()

    click.echo(f"certcheck probe: one lookup at {source.base_url} for "
               f"{mask_id(query.id_number)} {query.name}\n")
    outcome, exchanges = asyncio.run(main())
    for number, exchange in enumerate(exchanges, start=1):
        _print_exchange(number, exchange, query)
    last = next((e for e in reversed(exchanges) if e.step == "query"), None)
    if last is not None:
        reading = read_query(last, query)
        if isinstance(reading, AnswerReading):
            _print_reading(reading)
    if isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED \
            and outcome.raw is None:
        _raise_tls_problem(source.base_url, timeout)
    _print_outcome(outcome)
    path = recording_path(record_dir, query)
    if path.exists():
        click.echo(f"\nRecorded to {path}; read it back with --source replay:{record_dir}")
    return outcome


# --- the exchange ---------------------------------------------------------------------------


def _print_exchange(number: int, exchange: Exchange, query: Query) -> None:
    if exchange.step == "captcha":
        request = f"GET {api.CAPTCHA_PATH}"
    else:
        params = {api.PARAM_NAME: exchange.name or query.name,
                  api.PARAM_ID: mask_id(query.id_number), api.PARAM_CAPTCHA: "<answer>",
                  api.PARAM_UUID: "<uuid>", **api.QUERY_FIXED_PARAMS}
        request = f"GET {api.QUERY_PATH}?" + "&".join(f"{k}={v}" for k, v in params.items())
    click.echo(f"{number}. {request}")
    click.echo(f"   → HTTP {exchange.status}"
               + (f", Retry-After {exchange.retry_after:g} s" if exchange.retry_after else ""))
    body = exchange.to_json()["body"]
    try:
        shown = json.dumps(jsontext.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        shown = body
    if len(shown) > SHOWN_BODY:
        shown = shown[:SHOWN_BODY] + f"\n… ({len(shown) - SHOWN_BODY} more characters)"
    click.echo("\n".join("   " + line for line in scrub(shown).splitlines()) or "   (empty)")
    click.echo()


# --- the field report -------------------------------------------------------------------


def _print_reading(reading: AnswerReading) -> None:
    click.echo(f"Answer: {reading.kind.value} (code {reading.code!r}, msg {reading.message!r})")
    if reading.problem:
        click.echo(f"  not understood: {scrub(reading.problem)}")
    if reading.unknown:
        click.echo("  keys of the answer mem_mapping does not know: " + ", ".join(reading.unknown))
    for number, record in enumerate(reading.records, start=1):
        _print_record(number, len(reading.records), record)
    if reading.records:
        _print_summary(reading)


def _print_record(number: int, total: int, reading: RecordReading) -> None:
    kind = "历史数据 (history)" if reading.history else "current"
    click.echo(f"\nRecord {number}/{total}, {kind}:")
    raw: Mapping[str, Any] = reading.raw or {}
    filled = dict(reading.filled)
    label_width = max(len(f.label) for f in api.RECORD_MAP)
    for field in api.RECORD_MAP:
        label = field.label.ljust(label_width, "\u3000")
        key = filled.get(field.attr)
        if key is None:
            click.echo(f"  {label}  —  no value under {' / '.join(field.keys)}"
                       + ("  (required)" if field.required else ""))
            continue
        value = _shown_value(raw.get(key))
        read = getattr(reading.record, field.attr, None) if reading.record is not None else None
        if field.is_date and read is not None and str(read) != str(raw.get(key)).strip():
            value += f" → {read}"
        click.echo(f"  {label}  {key} = {value}")
    for key in reading.unknown:
        click.echo(f"  unknown key {key} = {_shown_value(raw.get(key))}")
    for note in reading.notes:
        click.echo(f"  note: {scrub(note)}")
    if reading.problem:
        click.echo(f"  not usable: {scrub(reading.problem)}")


def _shown_value(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return scrub(text if len(text) <= 120 else text[:120] + "…")


def _print_summary(reading: AnswerReading) -> None:
    records = reading.records
    click.echo("\nSummary of the mapping on this answer:")
    for field in api.RECORD_MAP:
        keys = sorted({k for r in records for attr, k in r.filled if attr == field.attr})
        empty = sum(1 for r in records if field.attr in r.missing)
        where = ", ".join(keys) if keys else "no key"
        gap = f"; empty in {empty} of {len(records)} records" if empty else ""
        click.echo(f"  {field.attr:<13} ← {where}{gap}")
    unknown = reading.unknown_keys
    click.echo("  keys mem_mapping does not know: " + (", ".join(unknown) if unknown else "none"))


def _print_outcome(outcome: Outcome) -> None:
    if isinstance(outcome, Found):
        history = sum(1 for r in outcome.records if r.history)
        what = f"found: {len(outcome.records)} records ({history} 历史数据)"
    elif isinstance(outcome, NotFound):
        what = "nothing found (the page would say 没有查询到相关证件信息)"
    else:
        what = f"{outcome.reason.value}: {scrub(outcome.detail)}"
    click.echo(f"\nOutcome, as verify would use it: {what}")
    detail = outcome.detail if isinstance(outcome, Found | NotFound) else None
    if detail:
        click.echo(f"  {scrub(detail)}")


# --- TLS --------------------------------------------------------------------------------------


def _raise_tls_problem(base_url: str, timeout: float) -> None:
    """When the service could not be reached, say plainly if TLS is why (exit 4)."""
    problem = tls_problem(base_url, timeout)
    if problem is None:
        return
    raise UserError(
        f"无法与 {base_url} 建立安全连接（{problem}）。请检查电脑的日期和时间；"
        "公司代理检查 HTTPS 时，请把 SSL_CERT_FILE 指向代理的证书文件；并检查 --mem-url"
        "（cannot talk securely）",
        ExitCode.BAD_INPUT,
    )


def tls_problem(base_url: str, timeout: float) -> str | None:
    """The TLS error a handshake with the service meets, made as certcheck's HTTP client makes
    it (same certificate store), or None when the handshake succeeds or cannot be tried."""
    url = httpx.URL(base_url)
    if url.scheme != "https" or not url.host:
        return None
    port = url.port or 443
    context = httpx.create_ssl_context()
    try:
        with socket.create_connection((url.host, port), timeout=timeout) as raw_socket, \
                context.wrap_socket(raw_socket, server_hostname=url.host):
            return None
    except ssl.SSLCertVerificationError as exc:
        return f"its certificate is not trusted ({exc.verify_message or exc.reason})"
    except ssl.SSLError as exc:
        return f"the TLS handshake failed ({exc.reason or exc})"
    except OSError:
        return None  # not a TLS problem: the plain failure says what happened
