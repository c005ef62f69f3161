"""A lone surrogate in JSON input (``"\\ud800"``, valid JSON that Python decodes into a string no
UTF-8 writer accepts) becomes U+FFFD: the run ends with its documented exit code and writes its
register, never a traceback that loses it.

Each JSON input is covered: a registry file, registers read back by ``summary`` and ``due``,
``replay:`` recordings and the national lookup's answers; and a plugin's records, which reach
the writers without any JSON.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from certcheck import jsontext
from certcheck.cli.screen import plain
from certcheck.models import (
    Answer,
    CertRecord,
    Declared,
    Finding,
    Found,
    InputIssue,
    Reason,
    Status,
    Worker,
)
from certcheck.register.formats import write
from certcheck.register.model import Kind, Register, RegisterMeta
from certcheck.register.reader import read_register
from certcheck.sources import mem_mapping as api
from factories import make_id, nth_id
from mem_server import CAPTCHA_PNG, api_record

AS_OF = "2026-11-29"
FFFD = "\ufffd"
LONE = "\ud800"


def certcheck(*args: str | Path, env: Mapping[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "certcheck", *map(str, args)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def clean_end(done: subprocess.CompletedProcess[str], code: int) -> None:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr


def escaped(document: Any) -> str:
    """JSON as most writers make it: every non-ASCII character, a lone surrogate too, escaped."""
    text = json.dumps(document, ensure_ascii=True)
    assert "\\ud800" in text
    return text


def xlsx_texts(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                for v in row if v is not None}
    finally:
        book.close()


# --- jsontext itself ------------------------------------------------------------------------


def test_loads_mends_every_string_keys_included_and_keeps_pairs() -> None:
    text = '{"\\ud800k": ["a\\udfffb", {"x": "\\ud83d\\ude00", "y": "\\ud800"}], "n": 1}'
    assert jsontext.loads(text) == {
        "\ufffdk": ["a\ufffdb", {"x": "\U0001f600", "y": "\ufffd"}], "n": 1}
    assert jsontext.loads('"\\udc00"') == "\ufffd"
    assert jsontext.loads('["plain", "\\u5f20\\u4e09"]') == ["plain", "张三"]


def test_loads_mends_a_lone_surrogate_already_in_the_text() -> None:
    assert jsontext.loads('{"name": "张\ud800三"}') == {"name": "张\ufffd三"}


def test_loads_takes_a_document_nested_as_deeply_as_json_allows() -> None:
    depth = 500
    text = "[" * depth + '"\\ud800"' + "]" * depth
    data = jsontext.loads(text)
    for _ in range(depth):
        (data,) = data
    assert data == "\ufffd"


# --- a registry file ------------------------------------------------------------------------

ZHANG, LI, WANG, ZHAO, QIAN, SUN = (nth_id(n) for n in range(6))


def registry_record(name: str, id_number: str, **changes: str) -> dict[str, str]:
    return {"姓名": name, "证件号码": id_number, "证号": "T" + id_number, "作业类别": "电工作业",
            "操作项目": "低压电工作业", "有效期开始日期": "2024-05-01",
            "有效期结束日期": "2030-05-01", "应复审日期": "2027-05-01", **changes}


@pytest.fixture
def registry_run(tmp_path: Path) -> Path:
    """A JSON registry with a lone surrogate in a name, an ID, a 证号 and an item, and a
    roster of the six people (孙八 declares a certificate the registry does not hold)."""
    records = [
        registry_record("张" + LONE + "三", ZHANG),
        registry_record("李四", LI + LONE),
        registry_record("王五", WANG, 证号="T" + LONE + WANG),
        registry_record("赵六", ZHAO, 操作项目="低压" + LONE + "电工作业"),
        registry_record("钱七", QIAN),
    ]
    (tmp_path / "registry.json").write_text(escaped(records), "ascii")
    rows = [("张三", ZHANG), ("李四", LI), ("王五", WANG), ("赵六", ZHAO), ("钱七", QIAN),
            ("孙八", SUN)]
    (tmp_path / "roster.csv").write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"{name},{id_number},T{id_number},低压电工\n" for name, id_number in rows), "utf-8")
    return tmp_path


def test_a_registry_file_with_lone_surrogates_gives_every_register(registry_run: Path) -> None:
    d = registry_run
    done = certcheck("verify", d / "roster.csv", "--source", f"registry:{d / 'registry.json'}",
                     "--as-of", AS_OF, "-o", d / "r.json", "-o", d / "r.xlsx", "-o", d / "r.csv",
                     "--no-progress")
    clean_end(done, 1)  # 孙八 is fake whatever becomes of the others
    workers = json.loads((d / "r.json").read_text("utf-8"))["workers"]
    by_name = {w["name"]: w for w in workers}
    assert [w["name"] for w in workers] == ["张三", "李四", "王五", "赵六", "钱七", "孙八"]
    assert [c["姓名"] for c in by_name["张三"]["certificates"]] == ["张\ufffd三"]
    assert [c["证号"] for c in by_name["王五"]["certificates"]] == ["T\ufffd" + WANG]
    assert [c["操作项目"] for c in by_name["赵六"]["certificates"]] == ["低压\ufffd电工作业"]
    assert (by_name["钱七"]["status"], by_name["钱七"]["reason"]) == ("valid", "ok")
    assert (by_name["孙八"]["status"], by_name["孙八"]["reason"]) == ("fake", "not_found")
    texts = xlsx_texts(d / "r.xlsx")
    assert {"T\ufffd" + WANG, "低压\ufffd电工作业"} <= texts
    rows = list(csv.reader((d / "r.csv").read_text("utf-8-sig").splitlines()))
    assert len(rows) == 7
    assert rows[3][10] == "T\ufffd" + WANG and rows[4][12] == "低压\ufffd电工作业"


def test_an_unreadable_official_value_gives_no_verdict(registry_run: Path) -> None:
    d = registry_run
    certcheck("verify", d / "roster.csv", "--source", f"registry:{d / 'registry.json'}",
              "--as-of", AS_OF, "-o", d / "r.json", "--no-progress")
    workers = json.loads((d / "r.json").read_text("utf-8"))["workers"]
    # A name, an ID or an item that cannot be read decides nothing: unverified. An official
    # 证号 that cannot be read is like none at all: it cannot contradict the roster's number,
    # and the record's dates and item decide.
    assert [(w["name"], w["status"], w["reason"]) for w in workers[:4]] == [
        ("张三", "unverified", "record_incomplete"),
        ("李四", "unverified", "unrecognized_response"),
        ("王五", "valid", "ok"),
        ("赵六", "unverified", "record_incomplete"),
    ]


def test_a_registry_with_lone_surrogates_printed_as_json_and_on_the_terminal(
    registry_run: Path,
) -> None:
    d = registry_run
    done = certcheck("verify", d / "roster.csv", "--source", f"registry:{d / 'registry.json'}",
                     "--as-of", AS_OF, "-o", "-", "--no-progress")
    clean_end(done, 1)
    printed = json.loads(done.stdout)
    assert printed["workers"][0]["certificates"][0]["姓名"] == "张\ufffd三"
    one = certcheck("lookup", "--id", WANG, "--name", "王五", "--source",
                    f"registry:{d / 'registry.json'}", "--as-of", AS_OF)
    clean_end(one, 0)  # nothing declared to compare the unreadable 证号 with
    assert "T\ufffd" + WANG[:6] in one.stdout


# --- registers read back by summary and due -----------------------------------------------


@pytest.fixture
def json_register(tmp_path: Path) -> Path:
    """A register written by verify, then given a lone surrogate (as an escape) in the
    enterprise, a worker's name and ID, and a certificate's 证号 and item."""
    a, b = nth_id(1), nth_id(2)
    (tmp_path / "registry.csv").write_text(
        "姓名,证件号码,证号,作业类别,操作项目,有效期开始日期,有效期结束日期,应复审日期\n"
        f"张三,{a},T{a},电工作业,低压电工作业,2024-05-01,2030-05-01,2027-01-10\n"
        f"李四,{b},T{b},电工作业,低压电工作业,2024-05-01,2030-05-01,2027-01-20\n", "utf-8")
    (tmp_path / "roster.csv").write_text(
        f"姓名,身份证号,操作项目\n张三,{a},低压电工\n李四,{b},低压电工\n", "utf-8")
    made = certcheck("verify", tmp_path / "roster.csv", "--source",
                     f"registry:{tmp_path / 'registry.csv'}", "--as-of", AS_OF, "--enterprise",
                     "重庆某公司", "-o", tmp_path / "made.json", "--no-progress")
    clean_end(made, 0)
    document = json.loads((tmp_path / "made.json").read_text("utf-8"))
    document["enterprise"] = "重庆" + LONE + "公司"
    first = document["workers"][0]
    first["name"] = "张" + LONE + "三"
    first["id_number"] = first["id_number"][:17] + LONE
    first["certificates"][0]["证号"] = "T" + LONE
    first["certificates"][0]["操作项目"] = "低压" + LONE + "电工作业"
    path = tmp_path / "edited.json"
    path.write_text(escaped(document), "ascii")
    return path


def test_summary_reads_a_register_with_lone_surrogates(json_register: Path) -> None:
    form = json_register.with_name("form.xlsx")
    done = certcheck("summary", json_register, "-o", form, "--date", "2026-12-01")
    clean_end(done, 0)
    assert "重庆\ufffd公司" in xlsx_texts(form)
    shown = certcheck("summary", json_register, "--date", "2026-12-01")
    clean_end(shown, 0)
    printed = certcheck("summary", json_register, "--format", "json", "-o", "-")
    clean_end(printed, 0)
    assert "重庆\ufffd公司" in printed.stdout


def test_due_reads_a_register_with_lone_surrogates(json_register: Path) -> None:
    out = json_register.with_name("due.xlsx")
    done = certcheck("due", json_register, "--within", "90", "--as-of", AS_OF, "-o", out)
    clean_end(done, 1)  # both reviews fall within 90 days
    assert "张\ufffd三" in xlsx_texts(out)
    csv_out = json_register.with_name("due.csv")
    clean_end(certcheck("due", json_register, "--within", "90", "--as-of", AS_OF,
                        "-o", csv_out), 1)
    assert "张\ufffd三" in csv_out.read_text("utf-8-sig")
    shown = certcheck("due", json_register, "--within", "90", "--as-of", AS_OF)
    clean_end(shown, 1)
    assert "张\ufffd三" in shown.stdout


# --- the national lookup's answers, live and replayed ---------------------------------------


class RawAnswers:
    """The national lookup's two endpoints on 127.0.0.1, answering each ID's query with the
    JSON text given, byte for byte (escapes and all)."""

    def __init__(self, answers: Mapping[str, str]) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == api.CAPTCHA_PATH:
                    body = json.dumps({"code": 200, "msg": "操作成功", "uuid": uuid.uuid4().hex,
                                       "img": base64.b64encode(CAPTCHA_PNG).decode()})
                else:
                    body = owner.answers.get(params.get(api.PARAM_ID, ""), json.dumps(
                        {"code": 200, "msg": "查询成功", "data": []}))
                data = body.encode("ascii")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.answers = dict(answers)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[RawAnswers]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


PEOPLE = [("张三", nth_id(10)), ("李四", nth_id(11)), ("王五", nth_id(12)), ("赵六", nth_id(13))]


def answers_with_lone_surrogates() -> dict[str, str]:
    """张三's record names 张\\ud800三, 李四's ID, 王五's 证号 and 赵六's item hold one."""
    (_, a), (li, b), (wang, c), (zhao, d) = PEOPLE
    records = {
        a: api_record("张" + LONE + "三", a),
        b: api_record(li, b[:17] + LONE),
        c: api_record(wang, c, cert_number="T" + LONE + c),
        d: api_record(zhao, d, item="低压" + LONE + "电工作业"),
    }
    return {id_number: escaped({"code": 200, "msg": "查询成功", "data": [record]})
            for id_number, record in records.items()}


def roster_of(path: Path, people: list[tuple[str, str]]) -> Path:
    path.write_text("姓名,身份证号,操作项目\n" + "".join(
        f"{name},{id_number},低压电工\n" for name, id_number in people), "utf-8")
    return path


def captcha(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


def check_registers(tmp_path: Path, stem: str) -> list[dict[str, Any]]:
    assert (tmp_path / f"{stem}.xlsx").stat().st_size > 0
    assert (tmp_path / f"{stem}.csv").read_text("utf-8-sig").count("\n") == len(PEOPLE) + 1
    workers: list[dict[str, Any]] = json.loads(
        (tmp_path / f"{stem}.json").read_text("utf-8"))["workers"]
    assert [w["name"] for w in workers] == [name for name, _ in PEOPLE]
    return workers


def test_answers_of_the_national_lookup_with_lone_surrogates(tmp_path: Path) -> None:
    roster = roster_of(tmp_path / "roster.csv", PEOPLE)
    with RawAnswers(answers_with_lone_surrogates()).running() as server:
        done = certcheck("verify", roster, "--source", "mem", "--mem-url", server.url,
                         "--captcha", captcha(tmp_path), "--rate", "50", "--no-cache",
                         "--as-of", AS_OF, "--record", tmp_path / "recorded",
                         "-o", tmp_path / "live.json", "-o", tmp_path / "live.xlsx",
                         "-o", tmp_path / "live.csv", "--no-progress")
    assert done.returncode in (1, 3), done.stderr
    clean_end(done, done.returncode)
    workers = check_registers(tmp_path, "live")
    certificates = [w["certificates"] for w in workers]
    assert certificates[0][0]["姓名"] == "张\ufffd三"
    assert certificates[2][0]["证号"] == "T\ufffd" + PEOPLE[2][1]
    assert certificates[3][0]["操作项目"] == "低压\ufffd电工作业"

    # The recordings hold the answers as they came; replayed, they are read the same way.
    replayed = certcheck("verify", roster, "--source", f"replay:{tmp_path / 'recorded'}",
                         "--as-of", AS_OF, "-o", tmp_path / "again.json",
                         "-o", tmp_path / "again.xlsx", "-o", tmp_path / "again.csv",
                         "--no-progress")
    clean_end(replayed, done.returncode)
    again = check_registers(tmp_path, "again")
    assert [(w["status"], w["reason"], w["certificates"]) for w in again] == [
        (w["status"], w["reason"], w["certificates"]) for w in workers]


def test_a_recording_whose_own_json_holds_a_lone_surrogate_is_replayed(tmp_path: Path) -> None:
    """A recording edited by hand (or by another tool): the escape is in the recording, so the
    body it carries holds the surrogate itself."""
    people = PEOPLE[:1]
    roster = roster_of(tmp_path / "roster.csv", people)
    name, id_number = people[0]
    clean = {id_number: json.dumps({"code": 200, "msg": "查询成功",
                                    "data": [api_record(name, id_number)]})}
    with RawAnswers(clean).running() as server:
        clean_end(certcheck("verify", roster, "--source", "mem", "--mem-url", server.url,
                            "--captcha", captcha(tmp_path), "--no-cache", "--as-of", AS_OF,
                            "--record", tmp_path / "recorded", "-o", tmp_path / "first.json",
                            "--no-progress"), 0)
    (recording,) = (tmp_path / "recorded").iterdir()
    document = json.loads(recording.read_text("utf-8"))
    last = document["exchanges"][-1]
    answer = json.loads(last["body"])
    answer["data"][0]["operItemName"] = "低压" + LONE + "电工作业"
    last["body"] = json.dumps(answer, ensure_ascii=False)  # the surrogate itself, unescaped
    document["audit"]["names_asked"] = [name + LONE]
    recording.write_text(escaped(document), "ascii")
    done = certcheck("verify", roster, "--source", f"replay:{tmp_path / 'recorded'}",
                     "--as-of", AS_OF, "-o", tmp_path / "r.json", "-o", tmp_path / "r.xlsx",
                     "--no-progress")
    assert done.returncode in (1, 3), done.stderr
    clean_end(done, done.returncode)
    (worker,) = json.loads((tmp_path / "r.json").read_text("utf-8"))["workers"]
    assert worker["certificates"][0]["操作项目"] == "低压\ufffd电工作业"
    assert (tmp_path / "r.xlsx").stat().st_size > 0


# --- a plugin's records: no JSON on the way, the writers guard -----------------------------

PLUGIN = '''
from datetime import date

from certcheck.models import CertRecord, Found
from certcheck.sources.interface import ImmediateSource


class Lone(ImmediateSource):
    name = "lone"

    @classmethod
    def from_spec(cls, arg, options):
        return cls()

    def lookup_now(self, query):
        return Found((CertRecord(
            name=query.name, id_number=query.id_number, cert_number="T\\ud800" + query.id_number,
            category="电工\\udfff作业", item="低压电工作业", first_issued=date(2024, 5, 1),
            valid_from=date(2024, 5, 1), valid_until=date(2030, 5, 1),
            review_due=date(2027, 5, 1), reviewed=None, issuer="重庆\\ud800局",
            status_text="有效\\ud800"),), detail="note \\udc80")
'''


def test_a_plugins_record_with_lone_surrogates_is_written(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "lone-0.1.dist-info").mkdir(parents=True)
    (site / "loneplugin.py").write_text(PLUGIN, "utf-8")
    (site / "lone-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lone\nVersion: 0.1\n")
    (site / "lone-0.1.dist-info" / "entry_points.txt").write_text(
        "[certcheck.sources]\nlone = loneplugin:Lone\n")
    person = make_id()
    roster = roster_of(tmp_path / "roster.csv", [("张三", person)])
    done = certcheck("verify", roster, "--source", "lone", "--as-of", AS_OF, "--no-cache",
                     "-o", tmp_path / "p.json", "-o", tmp_path / "p.xlsx",
                     "-o", tmp_path / "p.csv", env={"PYTHONPATH": str(site)})
    clean_end(done, 0)
    (worker,) = json.loads((tmp_path / "p.json").read_text("utf-8"))["workers"]
    assert (worker["status"], worker["reason"]) == ("valid", "ok")
    assert worker["certificates"][0]["签发机关"] == "重庆\ufffd局"
    assert worker["certificates"][0]["证号"] == "T\ufffd" + person
    assert "重庆\ufffd局" in xlsx_texts(tmp_path / "p.xlsx")
    assert "重庆\ufffd局" in (tmp_path / "p.csv").read_text("utf-8-sig")


# --- the writers, given text that was never mended ------------------------------------------


def unmended_register() -> Register:
    person = make_id()
    official = CertRecord(
        name="张" + LONE + "三", id_number=person, cert_number="T" + LONE + person,
        category="电工作业", item="低压" + "\udfff" + "电工作业", first_issued=date(2024, 5, 1),
        valid_from=date(2024, 5, 1), valid_until=date(2030, 5, 1), review_due=date(2027, 5, 1),
        reviewed=None, issuer="重庆" + LONE + "局")
    worker = Worker(row=2, name="张" + LONE + "三", id_number=person, sheet="花名" + LONE,
                    declared=Declared(item="低压电工" + LONE))
    answer = Answer(Found((official,)), "lone" + LONE,
                    datetime(2026, 11, 29, 10, tzinfo=UTC))
    finding = Finding(worker=worker, status=Status.UNVERIFIED, reason=Reason.NAME_UNREADABLE,
                      warnings=(), certificates=(official,), decisive=official, answer=answer,
                      detail="记录姓名: 张" + LONE + "三")
    meta = RegisterMeta(version="0.1.0", as_of=date(2026, 11, 29), source="lone" + LONE,
                        roster_file="名" + "\udcff" + ".xlsx", sheets=("花名" + LONE,),
                        enterprise="重庆" + LONE + "公司", kind=Kind.SELF_CHECK,
                        generated_at=datetime(2026, 11, 29, 10, tzinfo=UTC),
                        skipped_sheets=(("说明" + LONE, "没有表头"),))
    issue = InputIssue(row=2, code="name_unreadable", message="姓名“张" + LONE + "三”中有乱码")
    return Register(meta=meta, findings=(finding,), input_issues=(issue,))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".json"])
def test_each_register_writer_writes_u_fffd_for_a_lone_surrogate(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"register{suffix}"
    write(unmended_register(), path)
    if suffix == ".csv":  # not read back by certcheck: its rows are the register sheet's
        (header, row) = csv.reader(path.read_text("utf-8-sig").splitlines())
        assert row[header.index("姓名")] == "张\ufffd三"
        assert row[header.index("签发机关")] == "重庆\ufffd局"
        assert row[header.index("说明")] == "记录姓名: 张\ufffd三"
        return
    data = read_register(path)
    (row,) = data.rows
    assert (row.name, row.status) == ("张\ufffd三", Status.UNVERIFIED)
    assert data.info.enterprise == "重庆\ufffd公司"
    assert data.info.roster_file == "名\ufffd.xlsx"
    if suffix == ".json":
        assert b"\xed\xa0\x80" not in path.read_bytes()
    else:
        assert {"花名\ufffd（1 人）", "姓名“张\ufffd三”中有乱码", "低压\ufffd电工作业"} <= xlsx_texts(path)


def test_the_json_register_on_stdout_takes_no_lone_surrogate() -> None:
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, like a real stdout
    write(unmended_register(), "-", stdout=stdout)
    stdout.flush()
    printed = json.loads(stdout.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
    assert printed["enterprise"] == "重庆\ufffd公司"
    assert printed["workers"][0]["certificates"][0]["签发机关"] == "重庆\ufffd局"


def test_the_terminal_shows_a_lone_surrogate_escaped() -> None:
    assert plain("张" + LONE + "三") == "张\\ud800三"


def test_an_enterprise_and_a_file_name_in_another_encoding(tmp_path: Path) -> None:
    """Command-line text Python could not decode arrives as surrogates (``\\udcff`` for the byte
    0xff): the registers are still written."""
    a = nth_id(1)
    (tmp_path / "registry.csv").write_text(
        "姓名,证件号码,证号,作业类别,操作项目,有效期开始日期,有效期结束日期,应复审日期\n"
        f"张三,{a},T{a},电工作业,低压电工作业,2024-05-01,2030-05-01,2027-05-01\n", "utf-8")
    roster = tmp_path / os.fsdecode(b"\xff\xfe.csv")
    roster.write_text(f"姓名,身份证号,操作项目\n张三,{a},低压电工\n", "utf-8")
    enterprise = os.fsdecode("重庆".encode() + b"\xff")
    done = certcheck("verify", roster, "--source", f"registry:{tmp_path / 'registry.csv'}",
                     "--enterprise", enterprise, "--as-of", AS_OF, "-o", tmp_path / "r.xlsx",
                     "-o", tmp_path / "r.csv", "-o", tmp_path / "r.json", "--no-progress")
    clean_end(done, 0)
    document = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert document["enterprise"] == "重庆\ufffd"
    assert document["roster"]["file"] == "\ufffd\ufffd.csv"
    assert "重庆\ufffd" in xlsx_texts(tmp_path / "r.xlsx")
    printed = certcheck("verify", roster, "--source", f"registry:{tmp_path / 'registry.csv'}",
                        "--enterprise", enterprise, "--as-of", AS_OF, "-o", "-",
                        "--no-progress")
    clean_end(printed, 0)
    assert json.loads(printed.stdout)["enterprise"] == "重庆\ufffd"


def test_summary_header_text_in_another_encoding(json_register: Path) -> None:
    """填报单位 and 填表人 typed in a terminal of another encoding: the form is still written."""
    form = json_register.with_name("form.xlsx")
    unit = os.fsdecode("江津区".encode() + b"\xff")
    done = certcheck("summary", json_register, "-o", form, "--date", "2026-12-01",
                     "--unit", unit, "--filler", os.fsdecode(b"\xfe"))
    clean_end(done, 0)
    assert any("江津区\ufffd" in text for text in xlsx_texts(form))
