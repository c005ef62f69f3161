"""Red team, national lookup (issue 18): answers a Java/RuoYi/jeecg backend or the firewall in
front of it could plausibly send, through `certcheck verify --source mem` and `certcheck probe`
against the stand-in, which sends each exactly as written (``mem_server.Raw``).

The principle judged: a verdict only from values certcheck understood; anything disguised or
not understood leaves the worker `unverified` with the raw value in the detail; a refusal is
never an answer; nothing hangs; `probe` exits 3 when something would change a verdict. Each
case is a row of docs/red-team-mem.md, where what certcheck said before is recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from factories import nth_id
from mem_server import MemServer, Raw, api_record

AS_OF = "2026-11-29"
NAME = "张三"
#: Another person, whose record a confused backend puts into this person's answer.
OTHER_ID = nth_id(999, born="19800101")


def ok(records: Any) -> dict[str, Any]:
    return {"code": 200, "msg": "查询成功", "data": records}


def rec(id_number: str, drop: tuple[str, ...] = (), **values: Any) -> dict[str, Any]:
    """张三's record for 低压电工作业, valid until 2028-05-01, with ``values`` set over it."""
    record = api_record(NAME, id_number) | values
    for key in drop:
        record.pop(key)
    return record


def mojibake(text: str) -> str:
    """UTF-8 read as Latin-1 on the way: 张三 becomes å¼ ä¸\x89."""
    return text.encode().decode("latin-1")


Build = Callable[[str], Any]
#: case → (the answer for the person's ID, (status, reason), words the detail shows)
CASES: dict[str, tuple[Build, tuple[str, str], tuple[str, ...]]] = {
    # --- 证书状态 ---------------------------------------------------------------------------
    "code_as_number": (lambda i: ok([rec(i, certStatus=0)]),
                       ("unverified", "record_incomplete"), ("“0”",)),
    "code_number_with_name": (lambda i: ok([rec(i, certStatus=5, certStatusName="注销")]),
                              ("uncertified", "revoked"), ("注销",)),
    "validFlag_false_alone": (lambda i: ok([rec(i, drop=("certStatus",), validFlag=False)]),
                              ("unverified", "record_incomplete"), ("validFlag:false",)),
    "isValid_false_beside_word": (lambda i: ok([rec(i, isValid=False)]),
                                  ("unverified", "record_incomplete"), ("isValid:false",)),
    "isValid_0_alone": (lambda i: ok([rec(i, drop=("certStatus",), isValid=0)]),
                        ("unverified", "record_incomplete"), ("isValid:0",)),
    "validFlag_true_alone": (lambda i: ok([rec(i, drop=("certStatus",), validFlag=True)]),
                             ("unverified", "record_incomplete"), ("“true”",)),
    "validFlag_true_beside_word": (lambda i: ok([rec(i, validFlag=True)]), ("valid", "ok"), ()),
    "validFlag_1_beside_cancelled": (lambda i: ok([rec(i, validFlag=1, certStatus="注销")]),
                                     ("uncertified", "revoked"), ()),
    "status_object": (lambda i: ok([rec(i, certStatus={"code": "05", "name": "注销"})]),
                      ("unverified", "unrecognized_response"), ("certStatus",)),
    "word_with_note": (lambda i: ok([rec(i, certStatus="有效(已复审)")]), ("valid", "ok"), ()),
    "suspended": (lambda i: ok([rec(i, certStatus="暂扣")]), ("uncertified", "revoked"), ()),
    "reported_lost": (lambda i: ok([rec(i, certStatus="挂失")]),
                      ("unverified", "record_incomplete"), ("挂失",)),
    "review_pending": (lambda i: ok([rec(i, certStatus="待复审")]),
                       ("unverified", "record_incomplete"), ("待复审",)),
    "english_word": (lambda i: ok([rec(i, certStatus="VALID")]),
                     ("unverified", "record_incomplete"), ("VALID",)),
    # --- masks and placeholders -------------------------------------------------------------
    "fullwidth_stars": (lambda i: ok([rec(i, name="张＊＊")]), ("valid", "ok"), ()),
    "name_latin_x": (lambda i: ok([rec(i, name="张x")]),
                     ("unverified", "record_incomplete"), ("张x",)),
    "name_black_dot": (lambda i: ok([rec(i, name="张●")]), ("valid", "ok"), ()),
    "name_hash": (lambda i: ok([rec(i, name="张#")]),
                  ("unverified", "record_incomplete"), ("张#",)),
    "name_null": (lambda i: ok([rec(i, name="null")]),
                  ("unverified", "record_incomplete"), ("null",)),
    "id_masked_4_4": (lambda i: ok([rec(i, idcardNum=i[:4] + "*" * 10 + i[-4:])]),
                      ("valid", "ok"), ()),
    "number_black_dots": (lambda i: ok([rec(i, certNum="T" + i[:6] + "●" * 8 + i[-4:])]),
                          ("valid", "ok"), ()),
    "number_x_run": (lambda i: ok([rec(i, certNum="T" + i[:6] + "xxxxxxxx" + i[-4:])]),
                     ("valid", "ok"), ()),
    "number_dash": (lambda i: ok([rec(i, certNum="-")]), ("valid", "ok"), ()),
    "number_wu": (lambda i: ok([rec(i, certNum="无")]), ("valid", "ok"), ()),
    "another_id_clear": (lambda i: ok([rec(i, idcardNum=OTHER_ID)]),
                         ("unverified", "unrecognized_response"), ("记录不是此人的",)),
    "only_another_person": (lambda i: ok([api_record("李四", OTHER_ID)]),
                            ("unverified", "unrecognized_response"), ("记录不是此人的",)),
    "another_beside_own": (lambda i: ok([rec(i), api_record("李四", OTHER_ID)]),
                           ("unverified", "unrecognized_response"), ("记录不是此人的",)),
    # --- encodings --------------------------------------------------------------------------
    "name_mojibake": (lambda i: ok([rec(i, name=mojibake(NAME))]),
                      ("unverified", "record_incomplete"), ("å¼",)),
    "name_html_references": (lambda i: ok([rec(i, name="&#24352;&#19977;")]),
                             ("unverified", "record_incomplete"), ("&#24352;",)),
    "name_escapes_left": (lambda i: ok([rec(i, name="\\u5f20\\u4e09")]),
                          ("unverified", "record_incomplete"), ("\\u5f20",)),
    "item_mojibake": (lambda i: ok([rec(i, operItemName=mojibake("低压电工作业"))]),
                      ("unverified", "record_incomplete"), ("ä½",)),
    "latin1_label_utf8_body": (
        lambda i: Raw(json.dumps(ok([rec(i)]), ensure_ascii=False).encode(),
                      content_type="application/json;charset=ISO-8859-1"),
        ("valid", "ok"), ()),
    # --- envelopes --------------------------------------------------------------------------
    "code_string_200": (lambda i: {"code": "200", "msg": "ok", "data": [rec(i)]},
                        ("valid", "ok"), ()),
    "code_0_records": (lambda i: {"code": 0, "msg": "操作成功", "data": [rec(i)]},
                       ("valid", "ok"), ()),
    "code_0_table": (lambda i: {"code": 0, "msg": "查询成功", "total": 1, "rows": [rec(i)]},
                     ("valid", "ok"), ()),
    "code_0_string_expired": (
        lambda i: {"code": "0", "msg": "操作成功",
                   "data": [rec(i, validEndDate="2025-05-01")]},
        ("expired", "validity_ended"), ()),
    "code_0_empty": (lambda i: {"code": 0, "msg": "操作成功", "data": []},
                     ("unverified", "unrecognized_response"), ("code 0",)),
    "code_0_not_found": (lambda i: {"code": 0, "msg": "未查询到相关证件信息", "data": []},
                         ("fake", "not_found"), ()),
    "code_0_failed": (lambda i: {"code": 0, "msg": "查询失败", "data": []},
                      ("unverified", "unrecognized_response"), ("查询失败",)),
    "jeecg_records_null": (
        lambda i: {"success": True, "code": 200, "message": "",
                   "result": {"records": None, "total": 0}},
        ("fake", "not_found"), ()),
    "total_as_string": (lambda i: {"code": 200, "msg": "ok", "total": "12", "rows": [rec(i)]},
                        ("unverified", "unrecognized_response"), ("total 12, records 1",)),
    "rows_null_total_0": (lambda i: {"code": 200, "msg": "ok", "total": 0, "rows": None},
                          ("fake", "not_found"), ()),
    "data_in_data": (lambda i: {"code": 200, "msg": "ok", "data": {"data": [rec(i)]}},
                     ("unverified", "unrecognized_response"), ("data.data",)),
    "records_under_not_found": (
        lambda i: {"code": 200, "msg": "未查询到相关信息", "data": [rec(i)]},
        ("unverified", "unrecognized_response"), ("未查询到相关信息",)),
    "blocked_in_json": (lambda i: {"code": 200, "msg": "会话已过期，请重新登录", "data": []},
                        ("unverified", "unrecognized_response"), ("会话已过期",)),
    "not_logged_in": (lambda i: {"code": 401, "msg": "认证失败，无法访问系统资源"},
                      ("unverified", "unrecognized_response"), ("401",)),
    # --- dates ------------------------------------------------------------------------------
    "date_chinese": (lambda i: ok([rec(i, validEndDate="2028年05月01日")]), ("valid", "ok"), ()),
    "date_compact": (lambda i: ok([rec(i, validEndDate="20280501")]), ("valid", "ok"), ()),
    "date_slashes": (lambda i: ok([rec(i, validEndDate="2028/5/1")]), ("valid", "ok"), ()),
    "date_timestamp": (lambda i: ok([rec(i, validEndDate="2028-05-01 00:00:00.0")]),
                       ("valid", "ok"), ()),
    "date_jackson_utc": (lambda i: ok([rec(i, validEndDate="2028-04-30T16:00:00.000+0000")]),
                         ("valid", "ok"), ()),
    "date_long_term": (lambda i: ok([rec(i, validEndDate="长期")]),
                       ("unverified", "unrecognized_response"), ("长期",)),
    "date_9999": (lambda i: ok([rec(i, validEndDate="9999-12-31")]),
                  ("unverified", "unrecognized_response"), ("9999-12-31",)),
    "date_2099": (lambda i: ok([rec(i, validEndDate="2099-12-31")]),
                  ("unverified", "unrecognized_response"), ("2099-12-31",)),
    "date_1900": (lambda i: ok([rec(i, validBeginDate="1900-01-01", validEndDate="1900-01-01")]),
                  ("unverified", "unrecognized_response"), ("1900-01-01",)),
    "date_null_text": (lambda i: ok([rec(i, validEndDate="null")]),
                       ("unverified", "unrecognized_response"), ("null",)),
    # --- the same certificate twice ----------------------------------------------------------
    "twice_valid_and_cancelled": (lambda i: ok([rec(i), rec(i, certStatus="注销")]),
                                  ("unverified", "unrecognized_response"), ("有效”与“注销",)),
    "twice_current_and_history": (lambda i: ok([rec(i), rec(i, isHistory=True)]),
                                  ("valid", "ok"), ()),
    "renewed_same_number": (
        lambda i: ok([rec(i), rec(i, validBeginDate="2016-05-01", validEndDate="2022-05-01",
                                  shouldReviewDate="2019-05-01")]),
        ("valid", "ok"), ()),
    # --- refusals in the service's own clothes, then the answer ------------------------------
    "refused_blocked_json": (lambda i: [Raw({"code": 200, "msg": "您的请求已被拦截", "data": []}),
                                        Raw(ok([rec(i)]))], ("valid", "ok"), ()),
    "refused_too_fast": (lambda i: [Raw({"code": 200, "msg": "操作过快，请稍后再试", "data": []}),
                                    Raw(ok([rec(i)]))], ("valid", "ok"), ()),
    "refused_english": (lambda i: [Raw({"code": 500, "msg": "Too many requests"}),
                                   Raw(ok([rec(i)]))], ("valid", "ok"), ()),
    "cdn_504_page": (lambda i: [Raw("<html><body>504 Gateway Time-out</body></html>",
                                    status=504, content_type="text/html"),
                                Raw(ok([rec(i)]))], ("valid", "ok"), ()),
    "json_labelled_html": (lambda i: Raw(json.dumps(ok([rec(i)]), ensure_ascii=False),
                                         content_type="text/html;charset=UTF-8"),
                           ("valid", "ok"), ()),
}


def _solver(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


def _raw(answer: Any) -> Raw | list[Raw]:
    return answer if isinstance(answer, Raw | list) else Raw(answer)


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every case as one worker of one roster, as an office writes it (name, ID, 证号, item)."""
    tmp_path = tmp_path_factory.mktemp("red_team_mem")
    ids = {case: nth_id(n, born="19800101") for n, case in enumerate(CASES)}
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目,备注\n" + "".join(
        f"{NAME},{i},T{i},低压电工,{case}\n" for case, i in ids.items()), "utf-8")
    out = tmp_path / "out.json"
    raw = {i: _raw(CASES[case][0](i)) for case, i in ids.items()}
    with MemServer({}, raw=raw) as server:
        done = subprocess.run(
            [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
             "--mem-url", server.url, "--captcha", _solver(tmp_path), "--as-of", AS_OF,
             "--no-cache", "--timeout", "5", "--rate", "100", "-o", str(out)],
            capture_output=True, text=True, timeout=600,
        )
    assert done.returncode in (0, 1, 3), done.stderr
    by_row = {w["row"]: w for w in json.loads(out.read_text("utf-8"))["workers"]}
    return {case: by_row[n + 2] for n, case in enumerate(CASES)}


@pytest.mark.parametrize("case", list(CASES))
def test_each_invention_gets_the_verdict_its_answer_means(
    verdicts: dict[str, dict[str, Any]], case: str
) -> None:
    _, expected, words = CASES[case]
    worker = verdicts[case]
    assert (worker["status"], worker["reason"]) == expected, worker.get("detail")
    for word in words:
        assert word in (worker.get("detail") or ""), worker.get("detail")


def _verify_one(tmp_path: Path, answers: Raw | list[Raw], captcha: list[Raw] | None = None,
                ) -> tuple[dict[str, Any], float]:
    i = nth_id(1, born="19800101")
    roster = tmp_path / "one.csv"
    roster.write_text(f"姓名,身份证号,证号,操作项目\n{NAME},{i},T{i},低压电工\n", "utf-8")
    out = tmp_path / "one.json"
    with MemServer({}, raw={i: answers}, raw_captcha=captcha or []) as server:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "mem",
             "--mem-url", server.url, "--captcha", _solver(tmp_path), "--as-of", AS_OF,
             "--no-cache", "--timeout", "5", "-o", str(out)],
            capture_output=True, text=True, timeout=120,
        )
        took = time.monotonic() - started
    assert done.returncode in (0, 1, 3), done.stderr
    return json.loads(out.read_text("utf-8"))["workers"][0], took


@pytest.mark.parametrize("retry_after", ["86400", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_a_retry_after_of_a_day_or_a_century_is_given_up_not_waited_for(
    tmp_path: Path, retry_after: str
) -> None:
    i = nth_id(1, born="19800101")
    refusal = Raw("<html>busy</html>", status=503 if "GMT" in retry_after else 429,
                  content_type="text/html", headers={"Retry-After": retry_after})
    worker, took = _verify_one(tmp_path, [refusal, Raw(ok([rec(i)]))])
    assert (worker["status"], worker["reason"]) == ("unverified", "lookup_failed")
    assert took < 30


def test_a_captcha_endpoint_that_answers_with_a_challenge_page_is_asked_again(
    tmp_path: Path,
) -> None:
    i = nth_id(1, born="19800101")
    challenge = Raw("<html><script>challenge()</script></html>", content_type="text/html")
    worker, _ = _verify_one(tmp_path, Raw(ok([rec(i)])), captcha=[challenge, challenge])
    assert (worker["status"], worker["reason"]) == ("valid", "ok")


def _probe(tmp_path: Path, answers: Raw | list[Raw]) -> subprocess.CompletedProcess[str]:
    i = nth_id(1, born="19800101")
    with MemServer({}, raw={i: answers}) as server:
        return subprocess.run(
            [sys.executable, "-m", "certcheck", "probe", "--id", i, "--name", NAME,
             "--mem-url", server.url, "--captcha", _solver(tmp_path), "--timeout", "5",
             "--as-of", AS_OF, "--item", "低压电工"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )


#: Cases whose answer changes what verify concludes: probe must say so with exit 3.
PROBE_WARNS = ("validFlag_false_alone", "isValid_false_beside_word", "name_latin_x",
               "name_mojibake", "name_html_references", "name_null", "another_id_clear",
               "date_9999", "twice_valid_and_cancelled", "records_under_not_found",
               "blocked_in_json", "code_0_empty")


@pytest.mark.parametrize("case", PROBE_WARNS)
def test_probe_exits_3_where_verify_would_not_give_the_services_verdict(
    tmp_path: Path, case: str
) -> None:
    i = nth_id(1, born="19800101")
    done = _probe(tmp_path, _raw(CASES[case][0](i)))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "! " in done.stdout
    assert "未核验（unverified）" in done.stdout


def test_probe_names_a_number_sent_as_a_placeholder_and_stays_0(tmp_path: Path) -> None:
    i = nth_id(1, born="19800101")
    done = _probe(tmp_path, _raw(ok([rec(i, certNum="-")])))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "- 记录 1：certNum“-”是乱码、转义或占位符" in done.stdout
    assert "低压电工：有效（valid）\n" in done.stdout


def test_probe_exits_3_for_a_refusal_in_json_every_time(tmp_path: Path) -> None:
    done = _probe(tmp_path, Raw({"code": 200, "msg": "您的请求已被拦截", "data": []}))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "不是查询结果" in done.stdout
    assert "无证" not in done.stdout and "假证" not in done.stdout


def test_the_date_sentinels_leave_ordinary_dates_alone() -> None:
    """The sentinels are years no certificate has: a date beside them still reads."""
    from certcheck.sources.mem_answer import read_date

    assert read_date("2098-12-31") == date(2098, 12, 31)
    assert read_date("1971-01-01") == date(1971, 1, 1)
    with pytest.raises(ValueError, match="placeholder"):
        read_date("9999-12-31")
