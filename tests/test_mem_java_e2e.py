"""`certcheck verify --source mem` against a stand-in that answers as Java/RuoYi backends do
(issue 18): 证书状态 as a dictionary code with or without its name, pages cut at 10 records,
other frameworks' envelopes, dates as epoch numbers or Java's ``Date.toString()``, and the
captcha answer nested or switched off. Each worker's verdict is what its records mean, and a
status or a page certcheck cannot be sure of leaves the worker unverified, the raw values shown.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from certcheck.sources import mem_mapping as api
from factories import nth_id
from mem_server import MemServer, api_record

AS_OF = date(2026, 11, 29)
OTHER_ITEM = "高压电工作业"


def _record(name: str, id_number: str, *, status: str = "有效", **dates: Any) -> dict[str, Any]:
    record = api_record(name, id_number, **dates)
    record["certStatus"] = status
    return record


def _many(name: str, id_number: str) -> list[dict[str, Any]]:
    """Twelve records: ten of another item, an expired 低压电工作业 card in the first ten, and its
    renewal as the 12th, which a page of 10 leaves out."""
    others = [api_record(name, id_number, item=OTHER_ITEM, cert_number=f"H{n}{id_number}")
              for n in range(9)]
    expired = api_record(name, id_number, valid_from=date(2016, 5, 1),
                         valid_until=date(2022, 5, 1), review_due=date(2019, 5, 1))
    eleventh = api_record(name, id_number, item=OTHER_ITEM, cert_number=f"H9{id_number}")
    return [*others, expired, eleventh, api_record(name, id_number)]


#: name → (records builder, per-ID style, expected (status, reason), words the detail shows)
Case = tuple[Any, dict[str, Any], tuple[str, str], tuple[str, ...]]
CASES: dict[str, Case] = {
    # 证书状态 as a dictionary code
    "注销带名称": (lambda n, i: [_record(n, i, status="注销")], {"status": "code_name"},
              ("uncertified", "revoked"), ("注销",)),
    "有效带标签": (lambda n, i: [_record(n, i)], {"status": "code_label"}, ("valid", "ok"), ()),
    "注销仅代码": (lambda n, i: [_record(n, i, status="注销")], {"status": "code"},
              ("unverified", "record_incomplete"), ("“05”",)),
    "有效仅代码": (lambda n, i: [_record(n, i)], {"status": "code"},
              ("unverified", "record_incomplete"), ("“0”",)),
    # pages
    "表格": (lambda n, i: [_record(n, i)], {"envelope": "table"}, ("valid", "ok"), ()),
    "截断一页": (_many, {"envelope": "table", "paging": "ignore"},
             ("unverified", "unrecognized_response"), ("total 12, records 10",)),
    "整页": (_many, {"envelope": "table", "paging": "honour"}, ("valid", "ok"), ()),
    "分页截断": (_many, {"envelope": "mybatis", "paging": "ignore"},
             ("unverified", "unrecognized_response"), ("total 12, records 10",)),
    "分页整页": (_many, {"envelope": "jeecg", "paging": "honour"}, ("valid", "ok"), ()),
    # envelopes
    "字符串": (lambda n, i: [_record(n, i)], {"envelope": "json_string"}, ("valid", "ok"), ()),
    "无代码": (lambda n, i: [_record(n, i)], {"envelope": "success"}, ("valid", "ok"), ()),
    "分页": (lambda n, i: [_record(n, i)], {"envelope": "mybatis"}, ("valid", "ok"), ()),
    "吊销分页": (lambda n, i: [_record(n, i, status="吊销")],
             {"envelope": "mybatis", "status": "code_name"}, ("uncertified", "revoked"), ()),
    "结果": (lambda n, i: [_record(n, i)], {"envelope": "jeecg"}, ("valid", "ok"), ()),
    "结果列表": (lambda n, i: [_record(n, i)], {"envelope": "jeecg_list"}, ("valid", "ok"), ()),
    "查无分页": (lambda n, i: [], {"envelope": "jeecg", "paging": "ignore"},
             ("fake", "not_found"), ()),
    "查无表格": (lambda n, i: [], {"envelope": "table"}, ("fake", "not_found"), ()),
    "陌生外壳": (lambda n, i: [_record(n, i)], {"envelope": "unknown"},
             ("unverified", "unrecognized_response"), ("payload",)),
    # dates: the last day of validity is still valid, read in China's time zone
    "秒": (lambda n, i: [_record(n, i, valid_until=AS_OF)], {"dates": "seconds"},
          ("valid", "ok"), ()),
    "毫秒": (lambda n, i: [_record(n, i, valid_until=AS_OF - timedelta(days=1))],
           {"dates": "millis"}, ("expired", "validity_ended"), ()),
    "爪哇": (lambda n, i: [_record(n, i, valid_until=AS_OF)], {"dates": "java"},
           ("valid", "ok"), ()),
    "爪哇逾期": (lambda n, i: [_record(n, i, valid_until=AS_OF - timedelta(days=1))],
             {"dates": "java", "envelope": "table"}, ("expired", "validity_ended"), ()),
}


def _population() -> tuple[list[tuple[str, str]], dict[str, Any], dict[str, Any]]:
    rows, registry, styles = [], {}, {}
    for n, (name, (records, style, _, _)) in enumerate(CASES.items()):
        id_number = nth_id(n, born="19800101")
        rows.append((name, id_number))
        built = records(name, id_number)
        if built:
            registry[id_number] = built
        styles[id_number] = style
    return rows, registry, styles


def _roster(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["姓名,身份证号,证号,操作项目"] + [f"{n},{i},T{i},低压电工" for n, i in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _verify(tmp_path: Path, server: MemServer, roster: Path) -> dict[str, dict[str, Any]]:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
         "--mem-url", server.url, "--captcha", f"command:{sys.executable} {program}",
         "--as-of", AS_OF.isoformat(), "--no-cache", "--timeout", "5", "--rate", "100",
         "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode in (0, 1, 3), done.stderr
    return {w["name"]: w for w in json.loads(out.read_text("utf-8"))["workers"]}


def test_every_java_shape_gives_the_verdict_its_records_mean(tmp_path: Path) -> None:
    rows, registry, styles = _population()
    with MemServer(registry, styles=styles) as server:
        workers = _verify(tmp_path, server, _roster(tmp_path / "roster.csv", rows))
        page_sizes = {e.params.get("pageSize") for e in server.log if e.path == api.QUERY_PATH}
    assert page_sizes == {api.QUERY_PAGE_PARAMS["pageSize"]}
    got = {name: (w["status"], w["reason"]) for name, w in workers.items()}
    assert got == {name: case[2] for name, case in CASES.items()}
    for name, (_, _, _, shown) in CASES.items():
        for words in shown:
            assert words in (workers[name]["detail"] or ""), (name, workers[name]["detail"])


@pytest.mark.parametrize(
    ("nested", "switch", "off"),
    [(True, "captchaEnabled", False), (False, "captchaOnOff", True),
     (True, "captchaOnOff", True)],
)
def test_a_captcha_answer_nested_or_switched_off_is_understood(
    tmp_path: Path, nested: bool, switch: str, off: bool
) -> None:
    names = ("工人甲", "工人乙")
    rows = [(name, nth_id(n, born="19800101")) for n, name in enumerate(names)]
    registry = {i: [_record(name, i)] for name, i in rows}
    with MemServer(registry, captcha_nested=nested, captcha_switch=switch,
                   captcha_off=off) as server:
        workers = _verify(tmp_path, server, _roster(tmp_path / "roster.csv", rows))
        answers = [e.params.get(api.PARAM_CAPTCHA, "") for e in server.log
                   if e.path == api.QUERY_PATH]
    assert {(w["status"], w["reason"]) for w in workers.values()} == {("valid", "ok")}
    # A captcha switched off is not answered: the solver is never asked.
    assert answers == (["", ""] if off else ["abcd", "abcd"])
