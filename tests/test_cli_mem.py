"""`certcheck verify --source mem` as a real process against the local imitation server:
faults, the cache, resume after kill -9 and Ctrl-C, file permissions, and no ID on screen."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from certcheck.sources import mem_mapping as api
from factories import nth_id
from mem_server import MemServer, api_record

AS_OF = "2026-11-29"


def population(n: int = 12) -> tuple[list[tuple[str, str, str]], dict[str, str], dict]:
    """Workers (name, id, declared number), the true status by ID, and the server's registry."""
    rows, truth, registry = [], {}, {}
    for i in range(n):
        id_number = nth_id(i, born="19800101")
        name = f"工人{i}"
        kind = i % 3
        if kind == 0:
            registry[id_number] = [api_record(name, id_number)]
            truth[id_number] = "valid"
            rows.append((name, id_number, "T" + id_number))
        elif kind == 1:
            truth[id_number] = "fake"
            rows.append((name, id_number, "T" + id_number))
        else:
            truth[id_number] = "uncertified"
            rows.append((name, id_number, ""))
    return rows, truth, registry


def write_roster(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["姓名,身份证号,证号,操作项目"] + [f"{n},{i},{c},低压电工" for n, i, c in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def solver(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


def command(tmp_path: Path, server: MemServer, roster: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
        "--mem-url", server.url, "--captcha", solver(tmp_path), "--as-of", AS_OF,
        "--cache-dir", str(tmp_path / "cache"), "--timeout", "2", "-o", str(out), *extra,
    ]


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def statuses(out: Path) -> dict[str, str]:
    return {w["id_number"]: w["status"] for w in json.loads(out.read_text("utf-8"))["workers"]}


def test_verify_mem_under_faults_never_wrong_then_cache_answers_all(tmp_path: Path) -> None:
    rows, truth, registry = population()
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry, fault_every=3, retry_after="0.1", timeout_sleep=2.5) as server:
        first = run(command(tmp_path, server, roster, out, "--rate", "50", "--concurrency", "4"))
        assert first.returncode in (1, 3), first.stderr
        got = statuses(out)
        for id_number, status in got.items():
            assert status in (truth[id_number], "unverified"), id_number
        assert sum(s != "unverified" for s in got.values()) >= len(rows) // 2
        assert any(e.fault for e in server.log)
        failed = {i for i, s in got.items() if s == "unverified"}

        # The second run asks only what failed the first time: failures are never cached.
        server.fault_every = 0
        log_before = len(server.log)
        second = run(command(tmp_path, server, roster, out))
        assert second.returncode == 1, second.stderr
        assert statuses(out) == truth
        asked = [e.params[api.PARAM_ID] for e in server.log[log_before:]
                 if e.path == api.QUERY_PATH]
        assert sorted(asked) == sorted(failed)
        assert "个查询结果来自缓存" in second.stderr

        # The third run makes no request at all, and says where its answers came from.
        requests = len(server.log)
        third = run(command(tmp_path, server, roster, out))
        assert third.returncode == 1
        assert len(server.log) == requests
        assert f"{len(rows)} 个查询结果来自缓存" in third.stderr
        data = json.loads(out.read_text("utf-8"))
        assert all(w["cached"] for w in data["workers"])
        assert all(w["checked_at"] and w["source"] == "mem" for w in data["workers"])

        # --refresh asks everyone again; --no-cache neither reads nor writes.
        fourth = run(command(tmp_path, server, roster, out, "--refresh", "--rate", "20"))
        assert fourth.returncode == 1
        assert len(server.log) == requests + 2 * len(rows)

    for text in (first.stdout + first.stderr, second.stdout + second.stderr,
                 third.stdout + third.stderr):
        for id_number in truth:
            assert id_number not in text


def test_no_terminal_and_no_solver_is_unverified_not_hanging(tmp_path: Path) -> None:
    rows, _, registry = population(3)
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry) as server:
        cmd = [c for c in command(tmp_path, server, roster, out)]
        at = cmd.index("--captcha")
        del cmd[at:at + 2]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    assert done.returncode == 3, done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert {(w["status"], w["reason"]) for w in workers} == {("unverified", "captcha_failed")}
    assert done.stderr.count("captcha") >= 1


def _wait_for_queries(server: MemServer, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while server.count(api.QUERY_PATH) < count:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _started_and_asking(cmd: list[str], server: MemServer, count: int) -> subprocess.Popen[str]:
    """A verify run in the background, once the server has seen ``count`` queries."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_queries(server, count, proc)
    return proc


def test_kill_9_then_rerun_resumes_without_asking_again(tmp_path: Path) -> None:
    rows, truth, registry = population(20)
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry, latency=0.05) as server:
        cmd = command(tmp_path, server, roster, out, "--concurrency", "1", "--rate", "100")
        proc = _started_and_asking(cmd, server, 8)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # Outputs are written only when every answer is in: nothing torn, nothing half-done.
        assert not out.exists()
        asked_before = server.count(api.QUERY_PATH)

        done = run(cmd)
        assert done.returncode == 1, done.stderr
        assert statuses(out) == truth
        assert "个查询结果来自缓存" in done.stderr
        repeated = sum(max(0, server.queries_for(i) - 1) for i in truth)
        assert repeated <= 1
        assert server.count(api.QUERY_PATH) - asked_before <= len(rows) - asked_before + 1


def test_ctrl_c_exits_130_and_keeps_answers(tmp_path: Path) -> None:
    rows, truth, registry = population(20)
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out.json"
    with MemServer(registry, latency=0.05) as server:
        cmd = command(tmp_path, server, roster, out, "--concurrency", "2", "--rate", "100")
        proc = _started_and_asking(cmd, server, 6)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "interrupted" in stderr
        assert not out.exists()
        done = run(cmd)
        assert done.returncode == 1
        assert statuses(out) == truth
        assert sum(max(0, server.queries_for(i) - 1) for i in truth) <= 2


def test_every_file_created_is_private(tmp_path: Path) -> None:
    rows, _, registry = population(4)
    roster = write_roster(tmp_path / "roster.csv", rows)
    with MemServer(registry) as server:
        outs = [tmp_path / "out" / f"register.{ext}" for ext in ("xlsx", "csv", "json")]
        (tmp_path / "out").mkdir()
        cmd = command(tmp_path, server, roster, outs[0], "-o", str(outs[1]), "-o", str(outs[2]),
                      "--record", str(tmp_path / "record"), "--rate", "20")
        done = run(cmd)
        assert done.returncode == 1, done.stderr
    created = [p for p in (tmp_path / "cache").rglob("*")] + list((tmp_path / "record").rglob("*"))
    created += outs
    assert len(created) > 5
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    for directory in (tmp_path / "cache", tmp_path / "record"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    # The recorded responses replay to the same register.
    replayed = tmp_path / "replayed.json"
    again = run([sys.executable, "-m", "certcheck", "verify", str(roster), "--source",
                 f"replay:{tmp_path / 'record'}", "--as-of", AS_OF, "-o", str(replayed)])
    assert again.returncode == 1, again.stderr
    assert statuses(replayed) == statuses(outs[2])
    for path in (tmp_path / "record").iterdir():
        assert not any(i in path.name for i in statuses(replayed))


def test_roster_is_never_modified(tmp_path: Path) -> None:
    rows, _, registry = population(3)
    roster = write_roster(tmp_path / "roster.csv", rows)
    before = (roster.read_bytes(), roster.stat().st_mtime_ns)
    with MemServer(registry) as server:
        run(command(tmp_path, server, roster, tmp_path / "o.xlsx", "--rate", "20"))
    assert (roster.read_bytes(), roster.stat().st_mtime_ns) == before
    assert os.access(roster, os.R_OK)
