"""Hostile answers from the national lookup and hostile recordings (issue 19).

Each attack runs ``certcheck`` in a child process with a memory limit (RLIMIT_AS) and a time
limit: it must end cleanly, never with a traceback, and never with a verdict that the hostile
input decided.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from factories import nth_id
from mem_server import MemServer, api_record

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux counts it")

#: What a hostile answer body may cost in all (issue 19): the whole process stays below it.
ANSWER_MEMORY = 512 * 1024 * 1024
#: Every attack ends within this many seconds.
TIME_LIMIT = 30


def _limited(memory: int) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return limit


def certcheck(*args: str, memory: int = ANSWER_MEMORY,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2"}
    return subprocess.run(
        [sys.executable, "-m", "certcheck", *args], capture_output=True, text=True,
        timeout=TIME_LIMIT, preexec_fn=_limited(memory), env=env, cwd=cwd, check=False,
    )


def captcha_program(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


ID = nth_id(7)
NAME = "王五"


def _lookup(server: MemServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return certcheck("lookup", "--id", ID, "--name", NAME, "--item", "低压电工作业",
                     "--source", "mem", "--mem-url", server.url,
                     "--captcha", captcha_program(tmp_path), "--json", "--as-of", "2025-06-01")


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "MemoryError" not in result.stderr


@pytest.mark.parametrize("fault", ["huge", "gzip-bomb", "deflate-bomb", "huge-declared"])
@pytest.mark.parametrize("step", ["captcha", "query"])
def test_a_body_without_end_is_never_an_answer(tmp_path: Path, fault: str, step: str) -> None:
    registry = {ID: [api_record(NAME, ID)]}
    with MemServer(registry, fault_every=1, faults=(fault,), fault_steps=(step,)) as server:
        result = _lookup(server, tmp_path)
        served = server.faults()
    _clean(result)
    assert served and set(served) == {fault}
    assert result.returncode == 3, (result.returncode, result.stderr[-2000:])
    finding = json.loads(result.stdout)
    assert finding["status"] == "unverified"
    assert finding["reason"] in ("unrecognized_response", "lookup_failed")
    assert "too large" in json.dumps(finding, ensure_ascii=False)


@pytest.mark.parametrize("fault", ["huge", "gzip-bomb"])
def test_after_a_hostile_body_the_next_answer_counts(tmp_path: Path, fault: str) -> None:
    registry = {ID: [api_record(NAME, ID)]}
    # The run's first request (its first captcha) is hostile, the retry gets real answers.
    with MemServer(registry, refuse_first=1, refuse_with=fault) as server:
        result = _lookup(server, tmp_path)
        served = server.faults()
    _clean(result)
    assert served == [fault]
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert json.loads(result.stdout)["status"] == "valid"


def _replay_lookup(folder: Path) -> subprocess.CompletedProcess[str]:
    return certcheck("lookup", "--id", ID, "--name", NAME, "--item", "低压电工作业",
                     "--source", f"replay:{folder}", "--json", "--as-of", "2025-06-01")


def _hostile_recording(kind: str, path: Path, outside: Path) -> None:
    if kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with path.open("wb") as handle:  # sparse: 2 GiB that cost no disk
            handle.truncate(2 * 1024 * 1024 * 1024)
    else:  # a link to a well-formed recording elsewhere: not this folder's
        target = outside / "elsewhere.json"
        target.write_text(json.dumps({"format": "certcheck-mem-record/1",
                                      "outcome": {"kind": "not_found", "detail": None},
                                      "exchanges": [{"step": "query", "status": 200,
                                                     "body": '{"code":200,"msg":"查询成功",'
                                                             '"data":[]}'}]}))
        path.symlink_to(target)


@pytest.mark.parametrize("kind", ["link-to-dev-zero", "fifo", "huge", "link-elsewhere"])
def test_a_hostile_recording_is_no_answer(tmp_path: Path, kind: str) -> None:
    from certcheck.models import Query
    from certcheck.sources.mem import recording_path

    folder = tmp_path / "recorded"
    folder.mkdir()
    _hostile_recording(kind, recording_path(folder, Query(ID, NAME)), tmp_path)
    result = _replay_lookup(folder)
    _clean(result)
    assert result.returncode == 3, (result.returncode, result.stderr[-2000:])
    finding = json.loads(result.stdout)
    assert finding["status"] == "unverified"
    assert "录音文件不可用" in finding["detail"]


def _recorded_folder(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A replay folder holding one person's recording, and a roster naming that person."""
    from certcheck.models import Query
    from certcheck.sources.mem import recording_path

    folder = tmp_path / "recorded"
    folder.mkdir()
    recording = recording_path(folder, Query(ID, NAME))
    body = json.dumps({"code": 200, "msg": "查询成功", "data": [api_record(NAME, ID)]},
                      ensure_ascii=False)
    recording.write_text(json.dumps({
        "format": "certcheck-mem-record/1",
        "outcome": {"kind": "found", "records": 1, "detail": None},
        "exchanges": [{"step": "query", "status": 200, "body": body}],
    }, ensure_ascii=False), encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"姓名,身份证号,操作项目\n{NAME},{ID},低压电工作业\n", encoding="utf-8")
    return folder, recording, recording.read_bytes()


@pytest.mark.parametrize("where", ["recording", "new-file", "through-link", "record-dir"])
def test_no_output_goes_into_the_replay_folder(tmp_path: Path, where: str) -> None:
    folder, recording, before = _recorded_folder(tmp_path)
    (tmp_path / "link").symlink_to(folder)
    output = {"recording": recording, "new-file": folder / "register.json",
              "through-link": tmp_path / "link" / recording.name,
              "record-dir": tmp_path / "register.json"}[where]
    extra = ["--record", str(tmp_path / "link")] if where == "record-dir" else []
    result = certcheck("verify", str(tmp_path / "roster.csv"), "--source", f"replay:{folder}",
                       "--as-of", "2025-06-01", "-o", str(output), *extra)
    _clean(result)
    assert result.returncode == 4, (result.returncode, result.stderr)
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "数据源读取的文件夹" in result.stderr
    assert recording.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [recording.name]
    assert not (tmp_path / "register.json").exists()


def test_a_replay_with_its_output_elsewhere_still_runs(tmp_path: Path) -> None:
    folder, _, _ = _recorded_folder(tmp_path)
    output = tmp_path / "register.json"
    result = certcheck("verify", str(tmp_path / "roster.csv"), "--source", f"replay:{folder}",
                       "--as-of", "2025-06-01", "-o", str(output))
    _clean(result)
    assert result.returncode == 0, result.stderr
    assert output.exists()


#: What must never reach a terminal raw: ESC, BEL, C1's CSI and a bidi override.
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.mark.parametrize("hostile", ["escapes-page", "escapes-302", "keys-and-values"])
def test_probe_shows_a_hostile_answer_escaped(tmp_path: Path, hostile: str) -> None:
    registry = {ID: [api_record(NAME, ID)]}
    if hostile == "keys-and-values":
        options: dict[str, object] = {"extra_keys": {"\x9b2Jkey": "\x1b]0;pwned\x07 \u202eevil"}}
    else:
        options = {"fault_every": 1, "faults": (hostile,)}
    with MemServer(registry, retry_after="0.1", **options) as server:  # type: ignore[arg-type]
        result = certcheck("probe", "--id", ID, "--name", NAME, "--mem-url", server.url,
                           "--captcha", captcha_program(tmp_path),
                           "--record", str(tmp_path / "probe"), "--as-of", "2025-06-01")
    _clean(result)
    # A page or a redirect is no answer (3); a key nobody knows decides nothing here (0).
    assert result.returncode == (0 if hostile == "keys-and-values" else 3), result.stderr
    for raw in RAW_CONTROLS:
        assert raw not in result.stdout and raw not in result.stderr, (raw, result.stdout)
    # Shown, not dropped: a person sees what the service sent.
    assert "\\x9b" in result.stdout


#: Address space a one-person lookup gets in a big registry: the interpreter and certcheck need
#: about 80 MiB of it; reading the file whole needs several times the file.
LOOKUP_MEMORY = 150 * 1024 * 1024


def _big_registry(path: Path, records: int, last: str) -> None:
    header = "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期\n"
    row = "张三丰,{:017d}X,T{:017d}X,电工作业,低压电工作业,2021-03-01,2021-03-01,2027-03-01,2024-03-01\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(header)
        for n in range(records):
            handle.write(row.format(50038119850315 * 1000 + n, n))
        handle.write(last)


@pytest.mark.parametrize("broken_elsewhere", [False, True])
def test_a_lookup_in_a_big_registry_keeps_its_memory_flat(
    tmp_path: Path, broken_elsewhere: bool
) -> None:
    registry = tmp_path / "registry.csv"
    mine = (f"{NAME},{ID},T{ID},电工作业,低压电工作业,2021-03-01,2021-03-01,2027-03-01,"
            "2026-03-01\n")
    if broken_elsewhere:  # the whole file is still checked: a broken row is no registry
        mine += "李四,500381199001010011,T1,电工作业,低压电工作业,2021-03-01,2021-03-01,明年,\n"
    _big_registry(registry, 400_000, mine)
    assert registry.stat().st_size > 40_000_000
    result = certcheck("lookup", "--id", ID, "--name", NAME, "--item", "低压电工作业",
                       "--source", f"registry:{registry}", "--as-of", "2025-06-01", "--json",
                       memory=LOOKUP_MEMORY)
    _clean(result)
    if broken_elsewhere:
        assert result.returncode == 4, (result.returncode, result.stderr)
        assert "不是日期" in result.stderr and result.stderr.strip().count("\n") == 0
    else:
        assert result.returncode == 0, (result.returncode, result.stderr)
        assert json.loads(result.stdout)["status"] == "valid"
