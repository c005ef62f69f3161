"""`certcheck verify` on official records whose names, 证号 and IDs are masked (脱敏) or garbled,
from a registry file and from the national lookup's stand-in: a genuine holder stays valid, a
value whose shown characters really differ is still a mismatch, and a record that may be
someone else's is nobody's verdict."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from certcheck.models import Failed, FailureKind, Found, Query
from certcheck.sources.registry import RegistrySource
from factories import nth_id
from mem_server import MemServer, api_record

AS_OF = "2026-11-29"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关",
]
PEOPLE = ["张三", "李四", "王五", "王䶮", "赵六", "孙七", "周八", "吴九"]
IDS = {name: nth_id(n + 11, region="500116") for n, name in enumerate(PEOPLE)}


def hide(text: str, head: int = 6, tail: int = 4) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def official(name: str, id_number: str, cert: str) -> list[str]:
    return [name, id_number, cert, "电工作业", "低压电工作业", "2023-01-01", "2023-01-01",
            "2029-01-01", "2027-06-01", "", "重庆市应急管理局"]


def write_roster(path: Path) -> Path:
    lines = ["姓名,身份证号,证号,操作项目"]
    lines += [f"{name},{IDS[name]},T{IDS[name]},低压电工" for name in PEOPLE]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def write_registry(path: Path) -> Path:
    i = IDS
    rows = [
        official("张*", i["张三"], "T" + hide(i["张三"])),
        # The number's last four shown characters are not 李四's.
        official("李**", i["李四"], "T" + hide(i["李四"])[:-4] + "9999"),
        official("赵*", i["王五"], "T" + i["王五"]),
        official("王?", i["王䶮"], "T" + i["王䶮"]),
        official("赵\ufffd", i["赵六"], "T" + i["赵六"]),
        # Only a record whose ID is masked: it may be 孙七's.
        official("孙*", hide(i["孙七"]), ""),
        official("周*", i["周八"], "T" + "*" * 18),
        official("吴九", i["吴九"], "T" + i["吴九"]),
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(rows)
    return path


def verify(tmp_path: Path, roster: Path, *source: str) -> dict[str, dict[str, Any]]:
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "certcheck", "verify", str(roster), *source, "--as-of", AS_OF,
         "--cache-dir", str(tmp_path / "cache"), "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr
    for id_number in IDS.values():
        assert id_number not in done.stdout + done.stderr
    return {w["name"]: w for w in json.loads(out.read_text("utf-8"))["workers"]}


def results(workers: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {name: (w["status"], w["reason"]) for name, w in workers.items()}


def test_a_registry_with_masked_and_garbled_values(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "registry.csv")
    workers = verify(tmp_path, write_roster(tmp_path / "roster.csv"),
                     "--source", f"registry:{registry}")
    assert results(workers) == {
        "张三": ("valid", "ok"),
        "李四": ("fake", "cert_number_mismatch"),
        "王五": ("fake", "name_mismatch"),
        "王䶮": ("unverified", "record_incomplete"),
        "赵六": ("unverified", "record_incomplete"),
        "孙七": ("unverified", "unrecognized_response"),
        "周八": ("valid", "ok"),
        "吴九": ("valid", "ok"),
    }
    assert workers["孙七"]["detail"] == (
        "登记文件中证件号码被遮盖（脱敏）的记录（registry.csv 第 7 行）所显示的字与此人的身份证号相符，"
        "可能是此人的，无法判定"
    )
    assert workers["王䶮"]["detail"] == "官方记录中有乱码（? 或 �），不能判定"


@pytest.mark.parametrize("scan", [False, True])
def test_a_masked_id_in_a_registry_answers_for_whom_it_may_be(tmp_path: Path, scan: bool) -> None:
    """Opened for everyone or for a few IDs (``certcheck lookup``), a record whose ID is masked
    answers for the IDs whose characters it shows, and for no one else."""
    registry = write_registry(tmp_path / "registry.csv")
    sun, wu = IDS["孙七"], IDS["吴九"]
    source = RegistrySource(registry, ids=[sun, wu] if scan else None)
    outcome = asyncio.run(source.lookup(Query(sun, "孙七")))
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE
    assert "第 7 行" in outcome.detail
    other = asyncio.run(source.lookup(Query(wu, "吴九")))
    assert isinstance(other, Found) and [r.name for r in other.records] == ["吴九"]


def test_a_registry_id_masked_whole_may_be_anyones(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerow(official("吴九", IDS["吴九"], ""))
        out.writerow(official("**", "*" * 18, ""))
    outcome = asyncio.run(RegistrySource(path).lookup(Query(IDS["吴九"], "吴九")))
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE


def test_the_national_lookup_masking_names_numbers_and_ids(tmp_path: Path) -> None:
    i = IDS
    elsewhere = nth_id(90, region="110105")
    registry = {
        i["张三"]: [api_record("张三", i["张三"])],
        # 李四's card number as the service holds it ends otherwise than the roster's.
        i["李四"]: [api_record("李四", i["李四"], cert_number="T" + i["李四"][:-4] + "9999")],
        i["王五"]: [api_record("赵五", i["王五"])],
        i["王䶮"]: [api_record("王?", i["王䶮"])],
        i["赵六"]: [api_record("赵\ufffd", i["赵六"])],
        # An answer for 孙七 holding a record whose masked ID shows another person's digits.
        i["孙七"]: [api_record("孙七", elsewhere)],
        i["周八"]: [api_record("周八", i["周八"], cert_number="T" + "*" * 18)],
        i["吴九"]: [api_record("吴九", i["吴九"])],
    }
    every = {"mask": ("name", "cert", "id")}
    styles = {
        i["张三"]: every, i["李四"]: every, i["王五"]: every, i["孙七"]: {"mask": ("id",)},
        # A number masked whole tells nothing; the ID masked is still 周八's.
        i["周八"]: every, i["王䶮"]: {"mask": ("id",)},
    }
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    with MemServer(registry, styles=styles) as server:
        workers = verify(
            tmp_path, write_roster(tmp_path / "roster.csv"), "--source", "mem",
            "--mem-url", server.url, "--captcha", f"command:{sys.executable} {program}",
            "--timeout", "5", "--rate", "50",
        )
    assert results(workers) == {
        "张三": ("valid", "ok"),
        "李四": ("fake", "cert_number_mismatch"),
        "王五": ("fake", "name_mismatch"),
        "王䶮": ("unverified", "record_incomplete"),
        "赵六": ("unverified", "record_incomplete"),
        "孙七": ("unverified", "unrecognized_response"),
        "周八": ("valid", "ok"),
        "吴九": ("valid", "ok"),
    }
    assert workers["王五"]["detail"] == "记录姓名: 赵*"
    assert "证件号码“110105********" in workers["孙七"]["detail"]
    assert "记录不是此人的" in workers["孙七"]["detail"]
    # The register shows the records as the service masked them.
    assert workers["张三"]["certificates"][0]["姓名"] == "张*"
    assert workers["张三"]["certificates"][0]["证号"] == "T" + hide(i["张三"])


def test_a_roster_whose_names_were_masked_accuses_nobody(tmp_path: Path) -> None:
    """A roster exported from a system that masks names: 张* is not a one-character name."""
    registry = tmp_path / "registry.csv"
    with registry.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        out.writerows(official(name, IDS[name], "T" + IDS[name]) for name in PEOPLE)
    shown = {"张三": "张*", "李四": "李**", "王五": "*五", "赵六": "赵××", "孙七": "孙＊",
             "周八": "周八*"}
    roster = tmp_path / "roster.csv"
    lines = ["姓名,身份证号,操作项目"]
    lines += [f"{shown[name]},{IDS[name]},低压电工" for name in shown]
    roster.write_text("\n".join(lines) + "\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "certcheck", "verify", str(roster), "--source",
         f"registry:{registry}", "--as-of", AS_OF, "--no-cache", "-o", str(tmp_path / "o.json")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 3, done.stderr
    workers = json.loads((tmp_path / "o.json").read_text("utf-8"))["workers"]
    got = {w["row"]: (w["status"], w["reason"], w["detail"]) for w in workers}
    for row, name in enumerate(list(shown)[:5], start=2):
        assert got[row] == ("unverified", "unreadable_cell",
                            f"姓名“{shown[name]}”被遮盖（脱敏），不是完整的姓名")
    # One star after a whole name is a marker, as before.
    assert got[7][:2] == ("valid", "ok")
