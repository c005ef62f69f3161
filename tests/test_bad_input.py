"""A user's bad input never ends in a traceback, a hang, a killed process, a wrong exit code, a
modified input, or a full ID number on the terminal (SPEC: exit codes).

Files that would kill or hang the process if a guard regressed are tried in a child process
with a timeout, so a regression fails the test instead of taking the test run down with it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner, Result

from certcheck.check import EngineSettings, run_lookups
from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.cli import lookup as _lookup  # noqa: F401
from certcheck.cli import summary as _summary  # noqa: F401
from certcheck.cli import verify as _verify  # noqa: F401
from certcheck.ids import mask_id
from certcheck.models import Failed, FailureKind, NotFound, Outcome, Query, Reason
from certcheck.register.reader import RegisterFormatError, read_register
from certcheck.roster import RosterError, read_roster
from certcheck.sources.interface import LookupSource, SourceError, SourceOptions
from certcheck.sources.registry import load_registry
from factories import nth_id
from mem_server import MemServer

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets"
AS_OF = "2026-12-01"
REGISTRY_HEADER = (
    "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,"
    "实际复审日期,签发机关"
)
ID = nth_id(1)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def run_process(*args: str | Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "certcheck", *(str(a) for a in args)],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def assert_refused(stderr: str, code: int, expected: int = 4) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == expected, stderr
    assert len(lines) == 1 and lines[0].startswith("certcheck:"), stderr
    assert "Traceback" not in stderr and "unexpected error" not in stderr


def write_registry(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([REGISTRY_HEADER, *rows]) + "\n", "utf-8")
    return path


def registry_row(name: str = "张三", id_number: str = ID) -> str:
    return (f"{name},{id_number},T{id_number},电工作业,低压电工作业,2022-05-01,2022-05-01,"
            "2028-05-01,2027-05-01,,重庆市应急管理局")


def roster_csv(path: Path, *rows: tuple[str, str]) -> Path:
    lines = ["姓名,身份证号,操作项目"] + [f"{n},{i},低压电工" for n, i in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def xfd_workbook(path: Path, header: list[str]) -> Path:
    """A small valid xlsx with one value at XFD1048576: calamine aborts the process on it."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, header)
    ws.write_string(1048575, 16383, "x")
    wb.close()
    return path


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --- files that are not files ----------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    target = tmp_path / "pipe"
    os.mkfifo(target)
    return target


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_pipes_and_devices_are_refused_everywhere_without_hanging(
    tmp_path: Path, fifo: Path, target: str
) -> None:
    # A FIFO blocks whoever opens it; /dev/zero never ends. Both reached through a link with
    # a spreadsheet's name, as they would be in a crafted folder.
    link = tmp_path / "link.xlsx"
    link.symlink_to(fifo if target == "fifo" else Path(target))
    if not link.exists():
        pytest.skip(f"{target} is not available")
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    csv_link = tmp_path / "link.csv"
    csv_link.symlink_to(link)
    for args in (
        ["verify", link, "--source", f"registry:{registry}", "-o", tmp_path / "a.json"],
        ["verify", roster, "--source", f"registry:{csv_link}", "-o", tmp_path / "b.json"],
        ["due", link],
        ["summary", link],
    ):
        done = run_process(*args, timeout=20)
        assert_refused(done.stderr, done.returncode)
        assert "regular file" in done.stderr


def test_a_folder_as_roster_is_unusable_input_not_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "rosters.xlsx"
    folder.mkdir()
    registry = Path(__file__).resolve().parent.parent / "samples" / "registry.csv"
    result = run("verify", folder, "--source", f"registry:{registry}")
    assert_refused(result.stderr, result.exit_code)
    assert "文件夹" in result.stderr


def test_a_missing_file_for_due_is_exit_4(tmp_path: Path) -> None:
    result = run("due", tmp_path / "nope.xlsx")
    assert_refused(result.stderr, result.exit_code)


# --- what a file really is -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Excel 2003 XML holds <Table>, which must not make it "HTML without a table".
        ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
         '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table>'
         "<Row><Cell><Data>姓名</Data></Cell></Row></Table></Worksheet></Workbook>", "2003"),
        # Documents under a spreadsheet's name were read as CSV and their words as a header.
        ("%PDF-1.4\n姓名,身份证号\n张三,1\n%%EOF\n", "roster.xls 是 PDF 文件，不是表格"),
        ("{\\rtf1\\ansi 姓名,身份证号\\par 张三,1\\par}", "roster.xls 是 Word 文档（RTF），不是表格"),
    ],
)
def test_documents_named_xls_are_named_for_what_they_are(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "roster.xls"
    path.write_text(content, "utf-8")
    with pytest.raises(RosterError, match=expected):
        read_roster(path)


def test_a_csv_with_stray_nul_bytes_is_read(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(f"姓名,身份证号\n张\x00三,{ID}\n".encode())
    roster = read_roster(path)
    assert [(w.name, w.id_number) for w in roster.workers] == [("张三", ID)]


def test_a_file_of_nul_bytes_is_not_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\x00" * 4096 + f"姓名,身份证号\n张三,{ID}\n".encode())
    with pytest.raises(RosterError, match="不是表格文件"):
        read_roster(path)


def test_a_csv_mixing_utf8_and_gbk_lines_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(
        f"姓名,身份证号\n张三,{ID}\n".encode() + f"李四,{nth_id(2)}\n".encode("gbk")
    )
    roster = read_roster(path)
    assert [w.name for w in roster.workers] == ["张三", "李四"]
    assert "encoding_mixed" in {i.code for i in roster.issues}


# --- the registry goes through the roster's guards -------------------------------------------


def test_a_registry_workbook_that_would_abort_calamine_is_refused(tmp_path: Path) -> None:
    registry = xfd_workbook(tmp_path / "registry.xlsx", REGISTRY_HEADER.split(","))
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    done = run_process("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                       "-o", tmp_path / "out.json", "--no-progress")
    assert_refused(done.stderr, done.returncode)
    assert "超出范围" in done.stderr


def test_a_zip_bomb_registry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (64 * 1024 * 1024))
    with pytest.raises(SourceError, match="压缩炸弹"):
        load_registry(path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("number.json", "42", "JSON list"),
        ("empty.csv", "", "空文件"),
        ("random.xlsx", bytes(range(256)) * 20, "不是表格文件"),
        ("damaged.ods", b"PK\x03\x04" + b"\x01" * 500, "已损坏"),
        ("excel-rounded.csv", REGISTRY_HEADER + "\n" + registry_row(id_number="5.00381E+17"),
         "证件号码被存为数字"),
        ("pandas-float.csv", REGISTRY_HEADER + "\n"
         + registry_row(id_number="500381198503150000.0"), "证件号码被存为数字"),
    ],
)
def test_bad_registries_are_one_clear_source_error(
    tmp_path: Path, name: str, content: str | bytes, expected: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    with pytest.raises(SourceError, match=expected) as err:
        load_registry(path)
    assert "\n" not in str(err.value)


def test_a_huge_registry_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    with path.open("wb") as fh:  # sparse: no disk space, no time
        fh.truncate(300 * 1024 * 1024)
    with pytest.raises(SourceError, match="过大"):
        load_registry(path)


def test_registry_workbook_is_read_whatever_its_extension(tmp_path: Path) -> None:
    # An .xlsx saved as registry.csv (or the other way round) is read for what it is.
    path = tmp_path / "registry.csv"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, REGISTRY_HEADER.split(","))
    ws.write_row(1, 0, registry_row().split(","))
    wb.close()
    assert set(load_registry(path)) == {ID}


def test_output_over_the_registry_is_refused(tmp_path: Path) -> None:
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    before = fingerprint(registry)
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "." / "registry.csv")
    assert result.exit_code == 2, result.output
    assert "是数据源读取的文件" in result.stderr
    assert fingerprint(registry) == before


def test_output_over_a_hard_link_of_the_roster_is_refused(tmp_path: Path) -> None:
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    other = tmp_path / "copy.csv"
    os.link(roster, other)
    before = fingerprint(roster)
    result = run("verify", roster, "--source", "registry:x.csv", "-o", other)
    assert result.exit_code == 2 and "roster itself" in result.stderr
    assert fingerprint(roster) == before


# --- registers read back by summary and due --------------------------------------------------


def _compliant_register(tmp_path: Path, out: Path) -> Path:
    """A real register of one valid worker, written by verify."""
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    assert run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
               "-o", out).exit_code == 0
    return out


def test_a_register_workbook_that_would_abort_calamine_is_refused(tmp_path: Path) -> None:
    good = _compliant_register(tmp_path, tmp_path / "good.xlsx")
    # A real register (its marker sheet intact) with one cell at XFD1048576 added.
    path = tmp_path / "register.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576">'
                                    b"<v>1</v></c></row></sheetData>")
            dst.writestr(info, data)
    for args in (["summary", path, "-o", tmp_path / "s.json"], ["due", path]):
        done = run_process(*args)
        assert_refused(done.stderr, done.returncode)
        assert "超出范围" in done.stderr


@pytest.mark.parametrize(
    "content",
    [
        '{"certcheck": "0.1", "verdict": {}, "workers": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"certcheck": "0.1", "as_of": "2026-12-01", "kind": "self-check", "verdict": {}, '
        '"workers": [{"row": Infinity, "status": "valid", "reason": "ok"}]}',
    ],
)
def test_hostile_json_registers_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content, "utf-8")
    with pytest.raises(RegisterFormatError):
        read_register(path)
    result = run("summary", path)
    assert_refused(result.stderr, result.exit_code)


def test_due_does_not_take_a_damaged_register_for_a_roster(tmp_path: Path) -> None:
    # Re-read as CSV, a register's JSON holds 姓名 and 证件号码 and made a roster of junk
    # with nobody due: exit 0 for a file that is no usable register at all.
    out = _compliant_register(tmp_path, tmp_path / "r.json")
    data = json.loads(out.read_text("utf-8"))
    data["as_of"] = 5
    out.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    result = run("due", out)
    assert_refused(result.stderr, result.exit_code)


# --- the national lookup out of reach --------------------------------------------------------


class Down(LookupSource):
    """Every attempt fails the way a refused connection does."""

    name = "down"

    def __init__(self, *, healthy: set[Query] | None = None) -> None:
        self.calls = 0
        self.healthy = healthy or set()

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> Down:
        return cls()

    async def lookup(self, query: Query) -> Outcome:
        self.calls += 1
        await asyncio.sleep(0)
        if query in self.healthy:
            return NotFound()
        return Failed(FailureKind.LOOKUP_FAILED, "cannot connect", transient=True)


def _queries(n: int) -> list[Query]:
    return [Query(nth_id(i), f"工人{i}") for i in range(n)]


def test_an_unreachable_source_is_given_up_instead_of_retried_for_every_query() -> None:
    source = Down()
    settings = EngineSettings(concurrency=4, rate=40, retries=4, backoff_initial=0.01,
                              backoff_max=0.02)
    started = time.monotonic()
    answers = run_lookups(source, _queries(60), settings)
    assert time.monotonic() - started < 3
    # Two queries' worth of attempts, not 60 × 5 at the polite rate.
    assert source.calls == 10
    outcomes = [a.outcome for a in answers.values()]
    assert all(isinstance(o, Failed) and o.reason is Reason.LOOKUP_FAILED for o in outcomes)
    assert sum("not asked" in o.detail for o in outcomes if isinstance(o, Failed)) >= 55


def test_one_failing_person_among_answers_does_not_trip_the_breaker() -> None:
    queries = _queries(12)
    source = Down(healthy=set(queries[1:]))
    settings = EngineSettings(concurrency=1, retries=4, backoff_initial=0.001,
                              backoff_max=0.002)
    answers = run_lookups(source, queries, settings)
    assert isinstance(answers[queries[0]].outcome, Failed)
    assert "not asked" not in answers[queries[0]].outcome.detail  # type: ignore[union-attr]
    assert all(isinstance(answers[q].outcome, NotFound) for q in queries[1:])


def test_verify_against_a_lookup_nobody_answers_ends_soon_as_incomplete(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    roster = roster_csv(tmp_path / "roster.csv", *((f"工人{i}", nth_id(i)) for i in range(30)))
    out = tmp_path / "out.json"
    started = time.monotonic()
    done = run_process("verify", roster, "--source", "mem", "--mem-url", f"http://127.0.0.1:{port}",
                       "--captcha", "command:/bin/false", "--rate", "50", "--no-cache",
                       "--as-of", AS_OF, "-o", out, "--no-progress", timeout=60)
    assert time.monotonic() - started < 20
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    # Nobody was asked, so no register says anything of anyone (tests/test_unreachable.py).
    assert "无法连接国家查询平台" in done.stderr and "未核验任何人员" in done.stderr
    assert not out.exists()


def test_ctrl_c_during_lookup_exits_130_without_traceback(tmp_path: Path) -> None:
    solver = tmp_path / "answer.py"
    solver.write_text("print('abcd')\n")
    with MemServer({}, latency=5) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "certcheck", "lookup", "--id", ID, "--name", "张三",
             "--source", "mem", "--mem-url", server.url,
             "--captcha", f"command:{sys.executable} {solver}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 20
        while not server.log and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr


# --- no full ID on the terminal --------------------------------------------------------------


def test_an_id_in_the_name_column_is_masked_on_the_terminal(tmp_path: Path) -> None:
    # Columns swapped by hand: the 姓名 cell holds an ID number.
    other = nth_id(7)
    roster = roster_csv(tmp_path / "roster.csv", (other, ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    result = run("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                 "-o", tmp_path / "out.json")
    # Digits are no name: the cell is not understood (unverified, exit 3), and said masked.
    assert result.exit_code == 3
    assert other not in result.output and ID not in result.output
    assert mask_id(other) in result.output


def test_lookup_with_id_and_name_swapped_masks_both(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    for extra in ([], ["--json"]):
        result = run("lookup", "--id", "张三", "--name", ID, "--source", f"registry:{registry}",
                     *extra)
        assert result.exit_code == 3
        assert ID not in result.output


def test_lookup_with_hostile_text_ends_cleanly(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    for id_text, name in (("", ""), ("x" * 1000, "张三"), ("😀", "😀"), (ID, "\x00"),
                          (ID + "\x00", "张" * 1000)):
        result = run("lookup", "--id", id_text, "--name", name, "--source",
                     f"registry:{registry}", "--as-of", AS_OF)
        assert result.exit_code in (0, 1, 3), result.output
        assert ID not in result.output


# --- the corpus as registry and as register --------------------------------------------------

_CHILD = r"""
import json, sys
from pathlib import Path
from certcheck.register.reader import RegisterFormatError, read_register
from certcheck.sources.interface import SourceError
from certcheck.sources.registry import load_registry
for name in sys.argv[1:]:
    for what, read, expected in (("registry", load_registry, SourceError),
                                 ("register", read_register, (RegisterFormatError, OSError))):
        print(json.dumps({"start": f"{what} {name}"}), flush=True)
        try:
            read(Path(name))
            result = "read"
        except expected as exc:
            result = "refused" if "\n" not in str(exc) else "multi-line message"
        except BaseException as exc:
            result = f"escaped {type(exc).__name__}: {exc}"[:300]
        print(json.dumps({"file": f"{what} {name}", "result": result}), flush=True)
"""


@pytest.mark.skipif(not CORPUS.is_dir(), reason="spreadsheet corpus not present beside the repo")
def test_every_corpus_file_as_registry_and_register_is_read_or_refused(tmp_path: Path) -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() != ".md")
    assert len(files) >= 100
    before = {f.name: fingerprint(f) for f in files}
    done = subprocess.run([sys.executable, "-c", _CHILD, *map(str, files)],
                          capture_output=True, text=True, timeout=120)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    started = [r["start"] for r in records if "start" in r]
    results = {r["file"]: r["result"] for r in records if "file" in r}
    assert done.returncode == 0, f"killed at {started[-1]}: {done.stderr[-300:]}"
    bad = {k: v for k, v in results.items() if v not in ("read", "refused")}
    assert bad == {}
    assert len(results) == 2 * len(files)
    assert {f.name: fingerprint(f) for f in files} == before


# --- numbers and dates in options ------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--rate", "inf"], ["--rate", "nan"], ["--rate", "1e308"], ["--timeout", "nan"],
        ["--max-age", "1e308"], ["--max-age", "nan"], ["--warn-days", "99999999999"],
        ["--as-of", "9999-12-31"], ["--as-of", "0001-01-01"], ["--as-of", "2026-02-30"],
    ],
)
def test_absurd_numbers_and_dates_are_usage_errors(tmp_path: Path, option: list[str]) -> None:
    # They used to pass click's ranges and overflow a timedelta or a deque far downstream.
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    result = run("verify", roster, "--source", f"registry:{registry}", "-o",
                 tmp_path / "out.json", *option)
    assert result.exit_code == 2, result.output
    assert "unexpected error" not in result.output
    assert not (tmp_path / "out.json").exists()


def test_the_widest_allowed_window_still_works(tmp_path: Path) -> None:
    roster = roster_csv(tmp_path / "roster.csv", ("张三", ID))
    registry = write_registry(tmp_path / "registry.csv", registry_row())
    out = tmp_path / "out.json"
    assert run("verify", roster, "--source", f"registry:{registry}", "-o", out,
               "--as-of", "2199-12-31", "--warn-days", "36500").exit_code == 1
    # Every date of the register has passed by 2199, so the worker is listed as overdue.
    assert run("due", out, "--within", "36500", "--as-of", "2199-12-31").exit_code == 1
    assert run("due", out, "--within", "99999999999").exit_code == 2
