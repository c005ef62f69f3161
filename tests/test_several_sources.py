"""``verify --source mem,samr`` end to end: a roster of electricians, welders, forklift drivers
and crane operators checked against both stand-ins at once (``tests/mem_server.py`` with its
captcha answered by a program, ``tests/samr_server.py`` with its slider answered by a program),
each worker asked of the lookup that holds its items' certificates; and ``--scope``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from certcheck.sources import mem_mapping as mem_api
from factories import nth_id
from mem_server import MemServer, api_record
from samr_server import SamrServer, lic_record, solver_program

AS_OF = "2026-12-07"
ELECTRICIAN, WELDER, FORKLIFT, CRANE, BOTH = (nth_id(n, born="19800101") for n in range(21, 26))
# (name, ID, 证号 declared, 操作项目 declared)
ROSTER = [
    ("张伟", ELECTRICIAN, f"T{ELECTRICIAN}", "低压电工"),
    ("王磊", WELDER, "", "焊工"),
    ("刘强", FORKLIFT, FORKLIFT, "N1"),
    ("陈刚", CRANE, "", "起重机司机（Q2）"),
    ("赵军", BOTH, "", "低压电工、叉车司机"),
]
MEM_PEOPLE = {ELECTRICIAN, WELDER, BOTH}
SAMR_PEOPLE = {FORKLIFT, CRANE, BOTH}


def mem_registry(**changes: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The national lookup's records: the electricians and the welder hold valid cards;
    ``changes`` (by ID number) alter a record's fields."""
    records = {
        ELECTRICIAN: [api_record("张伟", ELECTRICIAN)],
        WELDER: [api_record("王磊", WELDER, category="焊接与热切割作业",
                            item="熔化焊接与热切割作业")],
        BOTH: [api_record("赵军", BOTH)],
    }
    for id_number, fields in changes.items():
        records[id_number] = [records[id_number][0] | fields]
    return records


def samr_people(**changes: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The special-equipment lookup's records: the forklift drivers and the crane operator
    hold valid cards (the crane's validity to the month only)."""
    people = {
        FORKLIFT: [lic_record("刘强", FORKLIFT, "N1叉车司机")],
        CRANE: [lic_record("陈刚", CRANE, "Q2", number="TS-Q2-24", valid_from="2024-05",
                           valid_until="2028-05")],
        BOTH: [lic_record("赵军", BOTH, "叉车司机")],
    }
    for id_number, fields in changes.items():
        people[id_number] = [people[id_number][0] | fields]
    return people


def captcha_program(tmp_path: Path) -> str:
    """``command:…`` answering the national lookup's stand-in captcha (always ``abcd``)."""
    program = tmp_path / "captcha.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


class Lookups:
    """Both stand-ins, and a ``verify`` run against them."""

    def __init__(self, tmp_path: Path, mem: MemServer, samr: SamrServer) -> None:
        self.tmp_path = tmp_path
        self.mem = mem
        self.samr = samr

    def captchas(self, sources: str = "mem,samr") -> list[str]:
        """A program for each lookup of ``sources``, named for it (``mem=…``, ``samr=…``)."""
        assert self.samr.answer_file is not None
        programs = {"mem": captcha_program(self.tmp_path),
                    "samr": solver_program(self.tmp_path, self.samr.answer_file)}
        return [option for name in sources.split(",")
                for option in ("--captcha", f"{name}={programs[name]}")]

    def verify(self, rows: list[tuple[str, str, str, str]], *extra: str,
               sources: str = "mem,samr", rate: str = "100", captchas: bool = True,
               ) -> tuple[int, dict[str, Any], str]:
        roster = write_roster(self.tmp_path, rows)
        out = self.tmp_path / "out.json"
        out.unlink(missing_ok=True)
        done = subprocess.run([
            sys.executable, "-m", "certcheck", "verify", str(roster), "--source", sources,
            "--mem-url", self.mem.url, "--samr-url", self.samr.url,
            *(self.captchas(sources) if captchas else []),
            "--as-of", AS_OF, "--enterprise", "测试公司", "--no-progress", "--rate", rate,
            "--timeout", "5", "--cache-dir", str(self.tmp_path / "cache"), "-o", str(out),
            "-o", str(self.tmp_path / "out.xlsx"), *extra,
        ], capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200"})
        data = json.loads(out.read_text("utf-8")) if out.exists() else {}
        return done.returncode, data, done.stdout + done.stderr

    def mem_asked(self) -> list[str]:
        """The ID numbers the national lookup's stand-in was queried about, in order."""
        return [entry.params.get(mem_api.PARAM_ID, "") for entry in self.mem.log
                if entry.path == mem_api.QUERY_PATH]


def write_roster(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"{name},{id_number},{number},{item}\n" for name, id_number, number, item in rows),
        "utf-8")
    return roster


@pytest.fixture
def stand_ins(tmp_path: Path) -> Iterator[Callable[..., Lookups]]:
    """Starts both stand-ins with the records given (by default ``mem_registry()`` and
    ``samr_people()``); they stop when the test ends."""
    with ExitStack() as stack:
        def start(mem_records: dict[str, list[dict[str, Any]]] | None = None,
                  samr_records: dict[str, list[dict[str, Any]]] | None = None) -> Lookups:
            mem = stack.enter_context(MemServer(mem_records or mem_registry()))
            samr = stack.enter_context(SamrServer(samr_records or samr_people(),
                                                  answer_file=tmp_path / "gap.json"))
            return Lookups(tmp_path, mem, samr)

        yield start


@pytest.fixture
def lookups(stand_ins: Callable[..., Lookups]) -> Lookups:
    return stand_ins()


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {w["name"]: (w["status"], w["reason"]) for w in data["workers"]}


def worker(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(w for w in data["workers"] if w["name"] == name)


# --- two lookups, one roster ----------------------------------------------------------------


def test_a_mixed_roster_reaches_compliant_with_both_lookups(lookups: Lookups) -> None:
    code, data, said = lookups.verify(ROSTER)
    assert code == 0, said
    assert set(verdicts(data).values()) == {("valid", "ok")}
    assert data["source"] == "mem,samr"
    assert data["verdict"]["rate"] == 1.0
    # Each lookup was asked about exactly the workers whose items it holds, once each; the
    # row with an item of each was asked of both.
    assert sorted(lookups.mem_asked()) == sorted(MEM_PEOPLE)
    assert sorted(lookups.samr.asked) == sorted(SAMR_PEOPLE)
    assert lookups.samr.violations == []
    assert worker(data, "赵军")["source"] == "mem,samr"
    assert worker(data, "赵军")["detail"] == "低压电工：有效；叉车司机：有效"
    assert {len(worker(data, "赵军")["certificates"])} == {2}
    assert worker(data, "张伟")["source"] == "mem"
    assert worker(data, "刘强")["source"] == "samr"
    assert "特种作业 → mem；特种设备 → samr" in said
    assert "Traceback" not in said
    # The workbook names both lookups, and reads back as the same run.
    sheet = openpyxl.load_workbook(lookups.tmp_path / "out.xlsx")["汇总"]
    labels = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value}
    assert labels["数据来源"] == "国家平台（mem）、特种设备平台（samr）"


def test_one_lookup_finding_a_violation_makes_the_run_not_compliant(
    stand_ins: Callable[..., Lookups],
) -> None:
    lookups = stand_ins(
        mem_registry(**{ELECTRICIAN: {"validEndDate": "2026-10-01",
                                      "shouldReviewDate": "2025-10-01"}}),
        samr_people(**{BOTH: {"yxrqz": "2026-09"}}),
    )
    rows = [*ROSTER[:2], ("刘强", FORKLIFT, nth_id(99), "N1"), *ROSTER[3:]]
    code, data, said = lookups.verify(rows)
    assert code == 1, said
    assert verdicts(data) == {
        "张伟": ("expired", "validity_ended"),  # the national lookup says so
        "王磊": ("valid", "ok"),
        "刘强": ("fake", "cert_number_mismatch"),  # a number none of his cards has
        "陈刚": ("valid", "ok"),
        "赵军": ("expired", "validity_ended"),  # the forklift card ran out; the other is fine
    }
    assert "低压电工：有效" in worker(data, "赵军")["detail"]
    assert "叉车司机：逾期" in worker(data, "赵军")["detail"]


def test_the_second_run_asks_neither_lookup_again(lookups: Lookups) -> None:
    first, _, said = lookups.verify(ROSTER)
    assert first == 0, said
    mem_queries, samr_lists = len(lookups.mem_asked()), lookups.samr.counts.list
    second, data, said = lookups.verify(ROSTER)
    assert second == 0, said
    assert len(lookups.mem_asked()) == mem_queries
    assert lookups.samr.counts.list == samr_lists
    assert lookups.samr.counts.captcha == 3  # no slider to solve either
    assert "6 个查询结果来自缓存" in said
    assert all(w["cached"] for w in data["workers"])
    assert worker(data, "赵军")["source"] == "mem,samr"


def test_each_lookup_keeps_its_own_rate(lookups: Lookups) -> None:
    # One worker for each lookup, one request a second for each: the national lookup's
    # captcha and query, the other's page, slider, check and two answers.
    code, _, said = lookups.verify([ROSTER[0], ROSTER[2]], rate="1")
    assert code == 0, said
    mem_times = lookups.mem.times()
    samr_times = sorted(lookups.samr.arrivals)
    for times in (mem_times, samr_times):
        assert all(b - a >= 0.9 for a, b in itertools.pairwise(sorted(times))), times
    # Not one limit for both: requests to the two went out within the same second.
    assert any(abs(a - b) < 0.9 for a in mem_times for b in samr_times)


def test_a_lookup_that_cannot_answer_leaves_only_its_own_items_open(lookups: Lookups) -> None:
    # Nobody to slide the special-equipment lookup's puzzles: every lookup there fails.
    rows = [*ROSTER, ("孙丽", nth_id(30, born="19800101"), "", ""),
            ("周敏", nth_id(31, born="19800101"), f"T{nth_id(31, born='19800101')}",
             "低压电工、叉车司机")]
    code, data, said = lookups.verify(
        rows, "--captcha", f"mem={captcha_program(lookups.tmp_path)}", captchas=False)
    assert code == 3, said
    assert verdicts(data) == {
        "张伟": ("valid", "ok"),
        "王磊": ("valid", "ok"),
        "刘强": ("unverified", "captcha_failed"),
        "陈刚": ("unverified", "captcha_failed"),
        # The electrician's card holds; the forklift card could not be looked at.
        "赵军": ("unverified", "captcha_failed"),
        # No item, nothing in the national lookup: the other might hold a card.
        "孙丽": ("unverified", "captcha_failed"),
        # A card is claimed and the national lookup has none: not fake while the other
        # lookup could not be asked.
        "周敏": ("unverified", "captcha_failed"),
    }
    assert "低压电工：有效" in worker(data, "赵军")["detail"]
    assert lookups.samr.counts.captcha == 0


def test_lookup_asks_both_lookups_about_one_person(lookups: Lookups) -> None:
    done = subprocess.run([
        sys.executable, "-m", "certcheck", "lookup", "--id", BOTH, "--name", "赵军",
        "--item", "低压电工、叉车司机", "--source", "mem", "--source", "samr",
        "--mem-url", lookups.mem.url, "--samr-url", lookups.samr.url, *lookups.captchas(),
        "--as-of", AS_OF, "--json"], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert (data["status"], data["source"]) == ("valid", "mem,samr")
    assert [c["操作项目"] for c in data["certificates"]] == ["低压电工作业", "叉车司机"]
    assert lookups.mem_asked() == [BOTH] and lookups.samr.asked == [BOTH]


# --- --scope --------------------------------------------------------------------------------

HIGH_VOLTAGE = nth_id(28, born="19800101")
SCOPED_ROSTER = [ROSTER[0], ROSTER[2], ("马超", nth_id(27, born="19800101"), "", "叉车工"),
                 ("何平", HIGH_VOLTAGE, f"T{HIGH_VOLTAGE}",
                  "高压电工作业")]


def test_special_operations_only_reaches_compliant_beside_forklift_drivers(
    stand_ins: Callable[..., Lookups],
) -> None:
    lookups = stand_ins({**mem_registry(), HIGH_VOLTAGE: [
        api_record("何平", HIGH_VOLTAGE, item="高压电工作业")]})
    code, data, said = lookups.verify(SCOPED_ROSTER, "--scope", "特种作业", sources="mem")
    assert code == 0, said
    assert verdicts(data) == {
        "张伟": ("valid", "ok"), "何平": ("valid", "ok"),
        "刘强": ("unverified", "out_of_scope"), "马超": ("unverified", "out_of_scope"),
    }
    assert data["scope"] == "special-operations"
    assert data["verdict"] == {
        "compliant": True, "complete": True, "rate": 1.0, "total": 2,
        "counts": {"valid": 2, "expired": 0, "fake": 0, "uncertified": 0, "unverified": 0},
        "out_of_scope": 2,
    }
    assert sorted(lookups.mem_asked()) == sorted([ELECTRICIAN, HIGH_VOLTAGE])
    assert lookups.samr.counts.page == 0
    assert "特种设备" in worker(data, "马超")["detail"]
    # The terminal says it, and so does the workbook: counted apart, the scope named.
    assert re.search(r"不在本次核验范围 out of scope\s*│\s*2 │", said), said
    assert re.search(r"合计 total\s*│\s*2 │", said), said
    assert "核验范围 scope" in said and "特种作业（special-operations）" in said
    book = openpyxl.load_workbook(lookups.tmp_path / "out.xlsx")
    summary = {row[0].value: row[1].value for row in book["汇总"].iter_rows() if row[0].value}
    assert summary["总人数"] == 2
    assert summary["不在核验范围"] == 2
    assert summary["核验范围"] == "特种作业（2 人不在本次核验范围，未计入）"
    assert summary["依法持证率"] == 1
    facts = book["核验登记表"].cell(2, 1).value
    assert "核验范围：特种作业；全部人员（4 人），其中 2 人不在本次核验范围" in facts
    reasons = [row[8].value for row in book["核验登记表"].iter_rows(min_row=4, max_row=7)]
    assert reasons.count("不在本次核验范围") == 2


def test_both_lookups_make_forklift_drivers_count(lookups: Lookups) -> None:
    code, data, said = lookups.verify(ROSTER[:1] + ROSTER[2:3], "--scope",
                                      "特种作业,特种设备")
    assert code == 0, said
    assert data["verdict"]["total"] == 2 and data["verdict"]["out_of_scope"] == 0


def test_in_scope_items_alone_are_checked_and_the_others_named(lookups: Lookups) -> None:
    code, data, said = lookups.verify([ROSTER[4]], "--scope", "special-operations")
    assert code == 0, said
    assert verdicts(data) == {"赵军": ("valid", "ok")}
    assert worker(data, "赵军")["detail"] == (
        "叉车司机：不在本次核验范围（特种设备作业人员证）")
    assert lookups.samr.counts.page == 0  # not asked: the scope leaves its item out


def test_without_scope_forklift_drivers_stay_another_authoritys(lookups: Lookups) -> None:
    code, data, said = lookups.verify(ROSTER[:1] + ROSTER[2:3], sources="mem")
    assert code == 3, said
    assert verdicts(data)["刘强"] == ("unverified", "other_authority")
    assert data["scope"] == "all"
    assert data["verdict"]["out_of_scope"] == 0
    assert "out of scope" not in said


def test_summary_and_due_read_a_scoped_register(stand_ins: Callable[..., Lookups]) -> None:
    lookups = stand_ins({**mem_registry(), HIGH_VOLTAGE: [
        api_record("何平", HIGH_VOLTAGE, item="高压电工作业", review_due=date(2027, 1, 10))]})
    code, _, said = lookups.verify(SCOPED_ROSTER, "--scope", "特种作业", sources="mem")
    assert code == 0, said
    tmp = lookups.tmp_path
    for register in ("out.xlsx", "out.json"):
        done = subprocess.run([
            sys.executable, "-m", "certcheck", "summary", str(tmp / register),
            "-o", str(tmp / f"summary-{register}.json"), "--date", AS_OF],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        form = json.loads((tmp / f"summary-{register}.json").read_text("utf-8"))
        assert f"{register}：2 人不在本次核验范围（核验范围：特种作业），未计入各项数字" in \
            form["warnings"]
        assert not any("未核验" in warning for warning in form["warnings"])
        assert form["per_enterprise"][0]["自查人数"] == 2
        assert form["registers"][0]["unverified"] == 0
        due = subprocess.run([
            sys.executable, "-m", "certcheck", "due", str(tmp / register), "--within", "60",
            "--as-of", AS_OF], capture_output=True, text=True, timeout=60,
            env={**os.environ, "COLUMNS": "200"})
        assert due.returncode == 1, due.stdout + due.stderr  # someone is listed
        assert "何平" in due.stdout and "刘强" not in due.stdout
        assert "另有 2 人不在本次核验范围" in due.stdout
        assert "未核验" not in due.stdout


# --- what the command line refuses ------------------------------------------------------------


@pytest.mark.parametrize(("options", "said"), [
    (["--source", "mem,mem"], "已由前面给出的数据源核验"),
    (["--source", "mem", "--scope", "特种设备"], "都不能核验特种设备的证书"),
    (["--source", "mem", "--scope", "锅炉"], "不是核验范围"),
    (["--source", "mem", "--captcha", "samr=slider-web"], "本次没有使用数据源 samr"),
    (["--source", "mem,samr", "--captcha", "command:a", "--captcha", "command:b"],
     "有多个值可用于数据源 mem"),
])
def test_usage_mistakes_are_exit_2(tmp_path: Path, options: list[str], said: str) -> None:
    roster = write_roster(tmp_path, ROSTER[:1])
    done = subprocess.run([sys.executable, "-m", "certcheck", "verify", str(roster), *options,
                           "--mem-url", "http://127.0.0.1:9", "--samr-url", "http://127.0.0.1:9",
                           "--as-of", AS_OF, "--no-progress", "--no-cache",
                           "-o", str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_diff_says_when_two_registers_checked_different_certificates(lookups: Lookups) -> None:
    rows = ROSTER[:1] + ROSTER[2:3]
    before, _, said = lookups.verify(rows, sources="mem")
    assert before == 3, said
    old = lookups.tmp_path / "all.json"
    (lookups.tmp_path / "out.json").rename(old)
    after, _, said = lookups.verify(rows, "--scope", "特种作业", sources="mem")
    assert after == 0, said
    done = subprocess.run([sys.executable, "-m", "certcheck", "diff", str(old),
                           str(lookups.tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "两份登记表的核验范围不同（全部 → 特种作业）" in done.stdout
    assert "依法持证率 50.0% → 100.0%" in done.stdout
