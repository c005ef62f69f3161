"""A run that cannot reach the national lookup (issue 20): no network, a wrong ``--mem-url``,
a service that goes away midway.

What a person must see: within seconds, one Chinese line saying the service could not be
reached and why, exit 3, and no register written — the previous one, if any, left exactly as it
was. Midway, the answers received are kept in the cache and a rerun goes on from there. A
warning printed while the progress bar is drawn starts on a line of its own.

Nothing here touches the network: a closed local port, the local stand-in (``mem_server``),
or respx for what only a real network could do (a name that does not resolve, a connect
timeout).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner, Result

import virtual_time
from certcheck.check import EngineSettings
from certcheck.cli import cli
from certcheck.cli import lookup as _lookup  # noqa: F401  (attaches the command)
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.engine import lookup_all
from certcheck.models import Answer, Failed, FailureKind, NotFound, Outcome, Query
from certcheck.sources import mem_mapping as api
from certcheck.sources.interface import LookupSource, SourceOptions, SourceUnreachable
from factories import nth_id
from mem_server import MemServer, api_record
from test_terminal import Tmux, needs_tmux

AS_OF = "2026-12-01"
#: Generous: the run is expected to stop within a few seconds, a loaded machine is slower.
QUICKLY = 10.0
PREVIOUS = b'{"note": "the previous good register, which must stay as it is"}\n'


def closed_port() -> int:
    """A port that was free a moment ago: nothing listens on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def roster(tmp_path: Path, count: int = 6) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"工人{chr(0x4e00 + i)},{nth_id(i)},T{nth_id(i)},低压电工\n" for i in range(count)),
        "utf-8")
    return path


def captcha_program(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


def previous_register(tmp_path: Path) -> Path:
    out = tmp_path / "roster.register.json"
    out.write_bytes(PREVIOUS)
    return out


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def run_process(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "certcheck", *(str(a) for a in args)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_line(stderr: str) -> str:
    """The one ``certcheck:`` line the run ends with (its message for the person)."""
    lines = [line for line in stderr.splitlines() if line.startswith("certcheck:")]
    assert len(lines) == 1, stderr
    return lines[0]


# --- the engine, on virtual time ---------------------------------------------------------------


class Flaky(LookupSource):
    """Answers "nothing found" while ``reachable`` says so, else cannot connect."""

    name = "flaky"

    def __init__(self, reachable: object) -> None:
        self.reachable = reachable
        self.calls: list[float] = []

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> Flaky:
        raise NotImplementedError

    async def lookup(self, query: Query) -> Outcome:
        await virtual_time.asyncio.sleep(0.05)
        self.calls.append(virtual_time.now())
        if self.reachable(len(self.calls), virtual_time.now()):  # type: ignore[operator]
            return NotFound()
        return Failed(FailureKind.LOOKUP_FAILED, "无法连接 flaky：连接被拒绝（connection refused）",
                      transient=True, unreachable=True)


class Store:
    def __init__(self) -> None:
        self.kept: list[Query] = []

    def get(self, source_id: str, query: Query) -> Answer | None:
        return None

    def put(self, source_id: str, query: Query, answer: Answer) -> None:
        self.kept.append(query)


def people(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{chr(0x4e00 + i)}") for i in range(n)]


def engine_run(source: Flaky, queries: list[Query], settings: EngineSettings,
               store: Store) -> dict[Query, Answer]:
    # A bound on virtual time: a run that would wait forever fails the test at once instead.
    return virtual_time.run(virtual_time.asyncio.wait_for(
        lookup_all(source, queries, settings, store=store, clock=virtual_time.LoopClock()),
        3600))


def test_nothing_reachable_stops_after_a_retry_not_every_workers_schedule() -> None:
    source, store = Flaky(lambda calls, at: False), Store()
    with pytest.raises(SourceUnreachable) as stopped:
        engine_run(source, people(30), EngineSettings(concurrency=4, rate=1), store)
    assert stopped.value.detail == "无法连接 flaky：连接被拒绝（connection refused）"
    assert (stopped.value.answered, stopped.value.midway) == (0, False)
    # Failures at least two seconds apart, and no more than four seconds in all: not the
    # 10 failures in a row (10 s at this rate) that take a source that answers badly down.
    assert 2.0 <= max(source.calls) - min(source.calls) <= 4.0, source.calls
    assert len(source.calls) <= 5 and store.kept == []


def test_without_a_rate_a_burst_of_failed_connections_stops_at_once() -> None:
    source, store = Flaky(lambda calls, at: False), Store()
    with pytest.raises(SourceUnreachable):
        engine_run(source, people(30), EngineSettings(concurrency=4), store)
    # The 10 failures in a row that take a source down, and those already under way.
    assert len(source.calls) <= 10 + 4 and max(source.calls) < 1.0, source.calls


def test_a_moment_without_a_connection_at_the_start_is_retried_through() -> None:
    # Four lookups start and fail within a quarter of a second, the fifth is answered.
    source, store = Flaky(lambda calls, at: at > 0.2), Store()
    answers = engine_run(source, people(6), EngineSettings(concurrency=1), store)
    assert sum(1 for at in source.calls if at <= 0.2) == 4
    assert all(isinstance(a.outcome, NotFound) for a in answers.values())
    assert len(store.kept) == 6


def test_the_connection_lost_midway_stops_the_run_with_the_answers_kept() -> None:
    source, store = Flaky(lambda calls, at: calls <= 5), Store()
    with pytest.raises(SourceUnreachable) as stopped:
        engine_run(source, people(40), EngineSettings(concurrency=1, rate=10), store)
    assert (stopped.value.answered, stopped.value.midway) == (5, True)
    assert store.kept == people(5)
    # Two people's retries, then nothing more is asked of the 33 left.
    assert len(source.calls) == 5 + 10


def test_midway_at_the_polite_rate_the_connection_is_waited_for_eight_seconds() -> None:
    source, store = Flaky(lambda calls, at: calls <= 3), Store()
    with pytest.raises(SourceUnreachable) as stopped:
        engine_run(source, people(40), EngineSettings(concurrency=4, rate=1), store)
    assert (stopped.value.answered, stopped.value.midway) == (3, True)
    lost = source.calls[3:]
    assert 8.0 <= lost[-1] - lost[0] <= 10.0, lost


def test_the_stop_does_not_wait_for_a_lookup_that_waits_for_a_person() -> None:
    """A captcha prompt shown before the network went: the run stops all the same, and the
    waiting lookup is cancelled rather than waited for."""

    class Waiting(Flaky):
        cancelled = False

        async def lookup(self, query: Query) -> Outcome:
            if query == people(1)[0]:
                try:
                    await virtual_time.asyncio.Event().wait()  # nobody types
                except virtual_time.asyncio.CancelledError:
                    self.cancelled = True
                    raise
            return await super().lookup(query)

    source, store = Waiting(lambda calls, at: False), Store()
    with pytest.raises(SourceUnreachable):
        engine_run(source, people(12), EngineSettings(concurrency=4, rate=1), store)
    assert source.cancelled
    assert max(source.calls) <= 4.0, source.calls


# --- nothing listens at --mem-url -------------------------------------------------------------


def test_verify_against_a_closed_port_stops_within_seconds_and_keeps_the_old_register(
    tmp_path: Path,
) -> None:
    names = roster(tmp_path, 30)
    out = previous_register(tmp_path)
    before = files_in(tmp_path)
    started = time.monotonic()
    done = run_process("verify", names, "--mem-url", f"http://127.0.0.1:{closed_port()}",
                       "--as-of", AS_OF, "--cache-dir", tmp_path / "cache", "-o", out)
    took = time.monotonic() - started
    assert took < QUICKLY, took
    assert done.returncode == 3, done.stderr
    said = one_line(done.stderr)
    assert said.startswith("certcheck: 无法连接国家查询平台 127.0.0.1:")
    assert "连接被拒绝" in said and "未核验任何人员" in said and "未写登记表" in said
    assert f"原有登记表未改动：{out}" in said
    assert "Traceback" not in done.stderr
    assert out.read_bytes() == PREVIOUS
    assert files_in(tmp_path) - {"cache"} == before


def test_with_no_register_before_none_is_created(tmp_path: Path) -> None:
    names = roster(tmp_path)
    done = run_process("verify", names, "--mem-url", f"http://127.0.0.1:{closed_port()}",
                       "--as-of", AS_OF, "--no-cache", "-o", tmp_path / "out.xlsx",
                       "-o", tmp_path / "out.csv")
    assert done.returncode == 3, done.stderr
    said = one_line(done.stderr)
    assert "未核验任何人员，未写登记表；" in said and "原有登记表" not in said
    assert files_in(tmp_path) == {"roster.csv"}


def test_lookup_against_a_closed_port_says_so_in_chinese(tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_process("lookup", "--id", nth_id(1), "--name", "张三",
                       "--mem-url", f"http://127.0.0.1:{closed_port()}")
    assert time.monotonic() - started < QUICKLY
    assert done.returncode == 3, done.stderr
    said = one_line(done.stderr)
    assert said.startswith("certcheck: 无法连接国家查询平台 127.0.0.1:")
    assert "连接被拒绝" in said and "未核验" in said
    assert done.stdout == ""  # no verdict printed: nobody was asked
    assert nth_id(1) not in done.stderr


def test_tls_that_fails_to_connect_is_unreachable_too(tmp_path: Path) -> None:
    """https:// to a server that speaks plain HTTP: the handshake fails, nothing is asked."""
    names = roster(tmp_path, 3)
    with MemServer({}) as server:
        url = server.url.replace("http://", "https://")
        done = run_process("verify", names, "--mem-url", url, "--as-of", AS_OF, "--no-cache",
                           "-o", tmp_path / "out.json")
        assert server.count(api.QUERY_PATH) == 0
    assert done.returncode == 3, done.stderr
    said = one_line(done.stderr)
    assert "无法连接国家查询平台" in said and "TLS" in said
    assert not (tmp_path / "out.json").exists()


# --- what only a real network does, simulated with respx --------------------------------------


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize(("fault", "cause"), [
    (httpx.ConnectError("[Errno -2] Name or service not known"), "域名无法解析"),
    (httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), "域名无法解析"),
    (httpx.ConnectTimeout("timed out"), "连接超时"),
])
def test_no_network_is_said_within_seconds(
    tmp_path: Path, fault: Exception, cause: str,
) -> None:
    names = roster(tmp_path, 12)
    out = previous_register(tmp_path)
    before = files_in(tmp_path)
    with respx.mock(assert_all_called=False) as network:
        route = network.route().mock(side_effect=fault)
        started = time.monotonic()
        result = invoke("verify", names, "--as-of", AS_OF, "--cache-dir", tmp_path / "cache",
                        "-o", out)
        took = time.monotonic() - started
    assert took < QUICKLY, took
    assert result.exit_code == 3, result.output
    said = one_line(result.stderr)
    assert said == (f"certcheck: 无法连接国家查询平台 cx.mem.gov.cn：{cause}"
                    f"{said.split(cause, 1)[1]}")
    assert "未核验任何人员，未写登记表，原有登记表未改动" in said
    assert "请检查网络连接后再运行" in said
    # Two or three tries a pause apart, not every worker's whole retry schedule.
    assert 2 <= route.call_count <= 6
    assert out.read_bytes() == PREVIOUS
    assert files_in(tmp_path) - {"cache"} == before


def test_lookup_with_no_network(tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as network:
        network.route().mock(side_effect=httpx.ConnectError("[Errno -2] Name or service not known"))
        result = invoke("lookup", "--id", nth_id(2), "--name", "李四", "--as-of", AS_OF)
    assert result.exit_code == 3, result.output
    said = one_line(result.stderr)
    assert said.startswith("certcheck: 无法连接国家查询平台 cx.mem.gov.cn：域名无法解析")
    assert result.stdout == ""


def test_a_service_that_answers_but_fails_is_not_taken_for_unreachable(tmp_path: Path) -> None:
    """HTTP 503 on every request is the service answering: the existing breaker's register
    with everyone unverified, not the "cannot connect" stop."""
    names = roster(tmp_path, 8)
    out = tmp_path / "out.json"
    with respx.mock(assert_all_called=False) as network:
        network.route().respond(503, text="<html>维护中</html>")
        result = invoke("verify", names, "--as-of", AS_OF, "--no-cache", "--rate", "50",
                        "-o", out)
    assert result.exit_code == 3, result.output
    assert "无法连接" not in result.output
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert {(w["status"], w["reason"]) for w in workers} == {("unverified", "lookup_failed")}
    details = [w["detail"] for w in workers]
    assert any("国家查询平台获取验证码时返回 HTTP 503" in d for d in details), details
    assert any(d.startswith("未查询（not asked）：最近 10 次尝试全部失败") for d in details), details


# --- the service goes away midway ------------------------------------------------------------


@pytest.fixture
def registry() -> dict[str, list[dict[str, object]]]:
    return {nth_id(i): [api_record(f"工人{chr(0x4e00 + i)}", nth_id(i))] for i in range(16)}


def _verify_cmd(tmp_path: Path, names: Path, url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "certcheck", "verify", str(names), "--mem-url", url,
            "--captcha", captcha_program(tmp_path), "--as-of", AS_OF,
            "--cache-dir", str(tmp_path / "cache"), "--timeout", "2", "-o", str(out), *extra]


def _vanish_after(server: MemServer, queries: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while server.count(api.QUERY_PATH) < queries:
        assert proc.poll() is None, "the run ended before the service went away"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    server.vanish()


def test_the_service_going_away_midway_keeps_the_answers_and_writes_nothing(
    tmp_path: Path, registry: dict[str, list[dict[str, object]]],
) -> None:
    names = roster(tmp_path, 16)
    out = previous_register(tmp_path)
    before = files_in(tmp_path)
    with MemServer(registry, latency=0.05) as server:
        port = int(server.url.rsplit(":", 1)[1])
        cmd = _verify_cmd(tmp_path, names, server.url, out, "--rate", "20")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        _vanish_after(server, 5, proc)
        gone = time.monotonic()
        _, stderr = proc.communicate(timeout=120)
        stopped_in = time.monotonic() - gone
    assert proc.returncode == 3, stderr
    assert stopped_in < 30, stopped_in
    said = one_line(stderr)
    assert said.startswith("certcheck: 无法连接国家查询平台 127.0.0.1:")
    assert "连接被拒绝" in said and "查询中途失去连接" in said
    kept = int(said.split("已收到的 ", 1)[1].split(" 人", 1)[0])
    assert 1 <= kept < 16
    assert "保存在缓存中" in said and f"原有登记表未改动：{out}" in said
    assert out.read_bytes() == PREVIOUS
    assert files_in(tmp_path) - {"cache", "answer.py"} == before

    # Back on the same address, a rerun asks only the people not answered before.
    with MemServer(registry, port=port) as again:
        done = subprocess.run(_verify_cmd(tmp_path, names, again.url, out),
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        asked = {e.params[api.PARAM_ID] for e in again.log if e.path == api.QUERY_PATH}
    assert done.returncode == 0, done.stderr
    assert f"{kept} 个查询结果来自缓存" in done.stderr
    assert len(asked) == 16 - kept
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert len(workers) == 16 and {w["status"] for w in workers} == {"valid"}


def test_midway_with_no_cache_says_the_answers_were_not_kept(
    tmp_path: Path, registry: dict[str, list[dict[str, object]]],
) -> None:
    names = roster(tmp_path, 16)
    out = tmp_path / "out.json"
    with MemServer(registry, latency=0.05) as server:
        cmd = _verify_cmd(tmp_path, names, server.url, out, "--rate", "20", "--no-cache")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        _vanish_after(server, 4, proc)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr
    said = one_line(stderr)
    assert "查询中途失去连接；使用了 --no-cache" in said and "没有保存" in said
    assert "未写登记表；" in said
    assert not out.exists()


# --- the terminal -----------------------------------------------------------------------------


@pytest.fixture
def tmux() -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for t in started:
        t.close()


def on_its_own_line(screen: str, text: str) -> bool:
    """Whether the message holding ``text`` begins a line with ``certcheck:``: nothing of the
    progress bar before it on the screen's line, nor the bar's line ending in ``cert``."""
    at = screen.index(text)
    line_start = screen.rfind("\n", 0, at) + 1
    return screen[line_start:at] in ("certcheck: ", "certcheck: 提示：")


def _in_tmux(tmux: list[Tmux], width: int, argv: list[str]) -> tuple[str, int]:
    term = Tmux(width, argv)
    tmux.append(term)
    return term.wait(timeout=90)


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_a_warning_while_the_bar_is_drawn_starts_on_its_own_line(
    tmp_path: Path, tmux: list[Tmux], width: int,
    registry: dict[str, list[dict[str, object]]],
) -> None:
    """The service sends a key the mapping does not know: said once, while lookups go on."""
    names = roster(tmp_path, 8)
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(0.2)\nprint('abcd')\n")
    with MemServer(registry, extra_keys={"photoUrl": "x.png"}, latency=0.05) as server:
        screen, code = _in_tmux(tmux, width, [
            sys.executable, "-m", "certcheck", "verify", str(names), "--mem-url", server.url,
            "--captcha", f"command:{sys.executable} {slow}", "--as-of", AS_OF, "--no-cache",
            "--rate", "20", "--enterprise", "测试公司", "-o", str(tmp_path / "out.json")])
    assert code == 0, screen
    assert screen.count("对照表中没有的字段") == 1, screen
    assert on_its_own_line(screen, "提示：国家查询平台发来了对照表中没有的字段"), screen
    assert "有效 8" in screen  # the bar went on, below it


@needs_tmux
@pytest.mark.parametrize("width", [60, 80])
def test_the_unreachable_message_starts_below_the_bar(
    tmp_path: Path, tmux: list[Tmux], width: int,
) -> None:
    names = roster(tmp_path, 6)
    screen, code = _in_tmux(tmux, width, [
        sys.executable, "-m", "certcheck", "verify", str(names), "--mem-url",
        f"http://127.0.0.1:{closed_port()}", "--as-of", AS_OF, "--no-cache",
        "-o", str(tmp_path / "out.json")])
    assert code == 3, screen
    assert on_its_own_line(screen, "无法连接国家查询平台"), screen
    assert "━" in screen  # the bar was drawn, above it
    assert not (tmp_path / "out.json").exists()
