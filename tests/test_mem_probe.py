"""`certcheck probe`: one live lookup shown in full, against the local stand-in server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from certcheck.sources import mem_mapping as api
from factories import make_id
from mem_server import MemServer, api_record

ID = make_id()
#: The probed verdicts are judged for this day, not today: the records' dates are fixed.
AS_OF = "2026-11-29"


def solver(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print('abcd')\n")
    return f"command:{sys.executable} {program}"


def probe(tmp_path: Path, url: str, *extra: str, name: str = "张三",
          id_number: str = ID) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "certcheck", "probe", "--id", id_number, "--name", name,
           "--mem-url", url, "--captcha", solver(tmp_path), "--timeout", "3",
           "--as-of", AS_OF, *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)


def test_probe_shows_the_exchange_masked_and_which_key_filled_which_field(
    tmp_path: Path,
) -> None:
    current = api_record("张三", ID) | {"photoUrl": "/p/1.jpg", "issueDate": 1462032000000}
    older = api_record("张三", ID, valid_until=date(2016, 5, 1), history=True)
    with MemServer({ID: [current, older]}, history="list",
                   rename={"operItemName": "allowItem"}) as server:
        done = probe(tmp_path, server.url)
        asked = [e for e in server.log if e.path == api.QUERY_PATH]
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert len(asked) == 1  # one lookup
    assert ID not in out + done.stderr
    assert "idcardNum=500381********" in out
    assert '"idcardNum": "500381********' in out
    assert "<196 base64 characters>" in out  # the captcha image is not dumped
    assert "记录 1/2，当前（current）：" in out and "记录 2/2，历史数据（history）：" in out
    assert "操作项目　　　  allowItem = 低压电工作业" in out
    assert "初领日期　　　  issueDate = 1462032000000 → 2016-05-01" in out
    assert "实际复审日期　  —  无值（no value under reviewDate）" in out
    assert "未知字段（unknown key） photoUrl = /p/1.jpg" in out
    assert "  item          ← allowItem" in out
    assert "  mem_mapping 不认识的字段（unknown keys）：photoUrl" in out
    assert "verify 会采用的结果（outcome）：查到 2 条记录，其中历史数据 1 条（found）" in out
    recordings = list((tmp_path / "certcheck-probe").iterdir())
    assert len(recordings) == 1
    assert (f"已录下（recorded）：certcheck-probe/{recordings[0].name}；"
            "可用 --source replay:certcheck-probe 读回") in out
    audit = json.loads(recordings[0].read_text("utf-8"))["audit"]
    assert audit["unknown_keys"] == ["photoUrl"] and audit["history_records"] == 1

    # The recording answers again through replay: the same certificates, no network.
    again = subprocess.run(
        [sys.executable, "-m", "certcheck", "lookup", "--id", ID, "--name", "张三", "--json",
         "--source", f"replay:{tmp_path / 'certcheck-probe'}", "--as-of", "2026-11-29"],
        capture_output=True, text=True, timeout=60,
    )
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert (result["status"], len(result["certificates"])) == ("valid", 2)


def test_probe_of_an_answer_it_cannot_read_says_why_and_exits_3(tmp_path: Path) -> None:
    record = api_record("张三", ID)
    record["zyxm"] = record.pop("operItemName")
    with MemServer({ID: [record]}) as server:
        done = probe(tmp_path, server.url, "--record", str(tmp_path / "rec"))
    assert done.returncode == 3, done.stderr
    assert "答复（answer）：unrecognized" in done.stdout
    assert ("操作项目　　　  —  无值（no value under operItemName / allowItem / certItem）"
            "  必填（required）") in done.stdout
    assert "未知字段（unknown key） zyxm = 低压电工作业" in done.stdout
    assert ("不可用（not usable）：记录缺少操作项目（record without 操作项目 "
            "(operItemName/allowItem/certItem)）") in done.stdout
    assert "verify 会采用的结果（outcome）：查询结果无法识别（unrecognized_response）" in done.stdout
    assert "记录缺少操作项目（record without 操作项目 (operItemName/allowItem/certItem)）" in done.stdout
    assert len(list((tmp_path / "rec").iterdir())) == 1


def test_probe_of_nothing_found(tmp_path: Path) -> None:
    with MemServer({}, not_found="msg500") as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 0, done.stderr
    assert "答复（answer）：not_found（code 500，msg '没有查询到相关证件信息'）" in done.stdout
    assert "未查到（nothing found；网页会显示“没有查询到相关证件信息”）" in done.stdout


def test_probe_asks_the_name_exactly_as_given(tmp_path: Path) -> None:
    with MemServer({ID: [api_record("阿依古丽•买买提", ID)]}, match_names=True) as server:
        done = probe(tmp_path, server.url, name="阿依古丽·买买提")
        asked = [e.params[api.PARAM_NAME] for e in server.log if e.path == api.QUERY_PATH]
    assert done.returncode == 0, done.stderr
    assert asked == ["阿依古丽·买买提"]


def test_a_plain_http_server_behind_an_https_url_is_a_tls_error(tmp_path: Path) -> None:
    with MemServer({}) as server:
        done = probe(tmp_path, server.url.replace("http://", "https://"))
    assert done.returncode == 4
    assert "certcheck: 无法与 https://127.0.0.1:" in done.stderr and "建立安全连接" in done.stderr
    assert "建立安全连接（the TLS handshake failed" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl program")
def test_an_untrusted_certificate_is_named_plainly(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    with MemServer({}, tls=(str(cert), str(key))) as server:
        assert server.url.startswith("https://")
        done = probe(tmp_path, server.url)
        assert server.log == []  # no request got through
    assert done.returncode == 4
    assert "建立安全连接（its certificate is not trusted (self-signed certificate)）" in done.stderr


def test_a_bad_id_is_a_usage_error(tmp_path: Path) -> None:
    done = probe(tmp_path, "http://127.0.0.1:9", id_number="500381199001011234")
    assert done.returncode == 2
    assert "不是有效的身份证号（not a valid ID number）" in done.stderr
    assert "500381199001011234" not in done.stderr


def test_probe_is_listed_in_the_help() -> None:
    done = subprocess.run([sys.executable, "-m", "certcheck", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert "probe" in done.stdout


# --- what would change a verdict (issue 18) ---------------------------------------------------


def concerns(out: str) -> list[str]:
    """The lines under 需要注意, as printed."""
    if "需要注意（concerns）：" not in out:
        return []
    block = out.split("需要注意（concerns）：", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith(("!", "-"))]


def test_a_clean_answer_says_what_verify_concludes_and_nothing_to_worry_about(
    tmp_path: Path,
) -> None:
    with MemServer({ID: [api_record("张三", ID)]}) as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核对结论（what verify would conclude），核验日期 2026-11-29：" in done.stdout
    assert "  低压电工作业：有效（valid）\n" in done.stdout
    assert "回答中没有会改变结论的内容（nothing in the answer changes a verdict）" in done.stdout


def test_a_cancelled_certificate_sent_as_a_code_alone_is_named_and_exits_3(
    tmp_path: Path,
) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, status="code") as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 3, done.stdout + done.stderr
    out = done.stdout
    assert "低压电工作业：未核验（unverified），" in out and "（record_incomplete）" in out
    assert any(line.startswith("! 记录 1：证书状态 certStatus=“0”") and "无法识别" in line
               for line in concerns(out)), concerns(out)


def test_a_code_beside_its_name_decides_and_changes_nothing(tmp_path: Path) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, status="code_name") as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "低压电工作业：有效（valid）\n" in done.stdout


def test_masked_name_and_number_are_reported_but_a_genuine_holder_stays_valid(
    tmp_path: Path,
) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, mask=("name", "cert", "id")) as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = concerns(done.stdout)
    assert "- 记录 1：姓名“张*”经遮盖（脱敏, masked）；verify 只比较显示出的字，被遮住的字核对不了" \
        in lines
    assert any(line.startswith("- 记录 1：证号“T500381*") for line in lines), lines
    assert any(line.startswith("- 记录 1：证件号码“500381…") for line in lines), lines
    assert "低压电工作业：有效（valid）\n" in done.stdout
    assert ID not in done.stdout + done.stderr


def test_an_undecodable_name_is_named_and_exits_3(tmp_path: Path) -> None:
    with MemServer({ID: [api_record("李?", ID)]}) as server:
        done = probe(tmp_path, server.url, name="李䶮")
    assert done.returncode == 3, done.stdout + done.stderr
    assert any(line.startswith("! 记录 1：name“李?”含 ? 或 �") for line in concerns(done.stdout))
    assert "低压电工作业：未核验（unverified）" in done.stdout


def test_a_page_cut_short_is_named_and_exits_3(tmp_path: Path) -> None:
    records = [api_record("张三", ID, valid_until=date(2020 + n % 5, 5, 1)) for n in range(12)]
    with MemServer({ID: records}, envelope="table", paging="ignore") as server:
        done = probe(tmp_path, server.url)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "! 回答不完整（a page cut short）：total 为 12，却只带了 10 条记录；缺的记录可能改变结论，" \
        "verify 会记为未核验" in concerns(done.stdout)


def test_an_unknown_key_that_may_hold_a_status_exits_3_and_a_harmless_one_does_not(
    tmp_path: Path,
) -> None:
    deciding = api_record("张三", ID) | {"certValidFlag": "0", "createBy": "admin", "photoUrl": "/p"}
    with MemServer({ID: [deciding]}) as server:
        done = probe(tmp_path, server.url)
    lines = concerns(done.stdout)
    assert done.returncode == 3, done.stdout + done.stderr
    assert any(line.startswith("! 记录 1：未知字段 certValidFlag=“0” 可能是证书状态或日期") for line in lines)
    assert "- 记录 1：未知字段 photoUrl=“/p”（an unknown key）" in lines
    assert not any("createBy" in line for line in lines)  # every RuoYi entity has it


def test_a_firewall_challenge_is_named_in_the_exchange_and_the_concerns(tmp_path: Path) -> None:
    with MemServer({ID: [api_record("张三", ID)]}, cookie_wall=True) as server:
        done = probe(tmp_path, server.url)
    out = done.stdout
    # The firewall let the lookup through once its cookie was sent: the verdict stands.
    assert done.returncode == 0, out + done.stderr
    assert "← 拒绝（refused by a firewall or limiter）" in out
    assert any(line.startswith("- 第 1 个回答是防火墙或限流的拒绝页面") for line in concerns(out))
    assert "低压电工作业：有效（valid）\n" in out
