"""``due --notify`` against each platform's robot, stood in by a local server that checks the
signature by the platform's own recipe, the size and the rate, and answers with the
platform's codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certcheck.notify.document import Document, Line, Section
from certcheck.notify.robots import parse_robot, with_secrets
from certcheck.notify.run import Pace, send_document
from certcheck.notify.send import RateLimiter
from notify_cases import AS_OF, ENTERPRISE, names_in, people, register, run_due
from robot_server import FakeClock, FakeRobot, RobotServer

TOKEN = {"dingtalk": "d1ngd1ngd1ngd1ngd1ngd1ngd1ng0001", "wecom": "we-com-key-0000-0000-000000000002",
         "feishu": "f315-hu00-0000-0000-000000000003"}
SECRET = {"dingtalk": "SECd1c2b3a4f5e6d7c8b9a0", "feishu": "fs-s3cr3t-value", "wecom": None}


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with RobotServer() as s:
        yield s


def robot(server: RobotServer, platform: str, **kw: Any) -> str:
    return server.add(FakeRobot(platform, TOKEN[platform], **kw))


def secret_args(platform: str) -> list[str]:
    secret = SECRET[platform]
    return ["--notify-secret", secret] if secret else []


@pytest.mark.parametrize("platform", ["dingtalk", "wecom", "feishu"])
def test_a_signed_message_reaches_each_platform(tmp_path: Path, server: RobotServer,
                                                platform: str) -> None:
    url = robot(server, platform, secret=SECRET[platform], keyword="到期提醒")
    persons = people(12)
    reg = register(tmp_path / "r.register.json", persons)
    result = run_due(reg, tmp_path / "cache", "--notify", url, *secret_args(platform))
    assert result.exit_code == 1, result.stderr  # people are due; the message went out
    assert server.violations == []
    [text] = server.texts()
    assert ENTERPRISE in text and AS_OF.isoformat() in text
    assert sorted(names_in([text])) == sorted(p.name for p in persons)
    assert "**已逾期（" in text or "已逾期（" in text
    assert "应复审" in text
    assert "已发送到" in result.stderr and "1 条消息，提醒 12 项" in result.stderr


@pytest.mark.parametrize("platform", ["dingtalk", "feishu"])
def test_the_signature_is_checked(tmp_path: Path, server: RobotServer, platform: str) -> None:
    url = robot(server, platform, secret=SECRET[platform])
    reg = register(tmp_path / "r.register.json", people(3))
    result = run_due(reg, tmp_path / "cache", "--notify", url, "--notify-secret", "wrong")
    assert result.exit_code == 4
    code = "310000" if platform == "dingtalk" else "19021"
    assert f"错误码 {code}" in result.stderr
    assert ("关键词或签名不符" if platform == "dingtalk" else "签名校验失败") in result.stderr
    assert "wrong" not in result.stderr
    assert server.texts() == []


def test_the_secret_may_come_from_the_environment(tmp_path: Path, server: RobotServer) -> None:
    ding = robot(server, "dingtalk", secret=SECRET["dingtalk"])
    fei = robot(server, "feishu", secret=SECRET["feishu"])
    reg = register(tmp_path / "r.register.json", people(3))
    result = run_due(reg, tmp_path / "cache", "--notify", ding, "--notify", fei,
                     env={"CERTCHECK_DINGTALK_SECRET": SECRET["dingtalk"],
                          "CERTCHECK_FEISHU_SECRET": SECRET["feishu"]})
    assert result.exit_code == 1, result.stderr
    assert len(server.texts()) == 2 and server.violations == []


#: Each listed code, the platform's answer carrying it, and the Chinese the user must read.
ERRORS = [
    ("dingtalk", 310000, "关键词或签名不符"),
    ("dingtalk", 300001, "access_token 无效"),
    ("wecom", 93000, "机器人地址无效"),
    ("wecom", 40058, "消息内容超长或格式不对"),
    ("feishu", 19021, "签名校验失败"),
    ("feishu", 19022, "本机 IP 不在机器人的 IP 白名单中"),
    ("feishu", 19024, "消息中没有机器人安全设置里的自定义关键词"),
]


def _answer(platform: str, code: int) -> dict[str, Any]:
    if platform == "feishu":
        return {"code": code, "data": {}, "msg": "refused"}
    return {"errcode": code, "errmsg": "refused"}


@pytest.mark.parametrize(("platform", "code", "zh"), ERRORS)
def test_each_error_code_is_said_in_chinese_with_exit_4(
        tmp_path: Path, server: RobotServer, platform: str, code: int, zh: str) -> None:
    url = robot(server, platform, script={1: (200, _answer(platform, code))})
    reg = register(tmp_path / "r.register.json", people(3))
    result = run_due(reg, tmp_path / "cache", "--notify", url)
    assert result.exit_code == 4
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("certcheck: ") and "发送失败" in line
    assert f"错误码 {code}" in line and zh in line
    assert "已送达 0/1 条" in line and TOKEN[platform] not in result.stderr


def test_an_unknown_robot_gets_the_platforms_own_code(tmp_path: Path,
                                                      server: RobotServer) -> None:
    # Nothing scripted: the stand-in knows no such key and says so as 企业微信 does.
    url = server.url("wecom", "no-such-key-0000000000")
    result = run_due(register(tmp_path / "r.register.json", people(2)), tmp_path / "c",
                     "--notify", url)
    assert result.exit_code == 4 and "错误码 93000" in result.stderr


@pytest.mark.parametrize(("answer", "said"), [
    ((500, b"<html>Internal Server Error</html>"), "HTTP 500"),
    ((404, b"not found"), "HTTP 404"),
    ((200, b"<html>portal login</html>"), "回答不是该平台的格式"),
    ((200, {"errcode": "0"}), "回答不是该平台的格式"),  # a code that is not a number
])
def test_http_errors_and_answers_not_understood(tmp_path: Path, server: RobotServer,
                                                answer: tuple[int, Any], said: str) -> None:
    url = robot(server, "dingtalk", script={1: answer})
    result = run_due(register(tmp_path / "r.register.json", people(2)), tmp_path / "c",
                     "--notify", url)
    assert result.exit_code == 4
    assert said in result.stderr and "发送失败" in result.stderr


def test_an_unreachable_robot(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN['dingtalk']}"
    result = run_due(register(tmp_path / "r.register.json", people(2)), tmp_path / "c",
                     "--notify", url)
    assert result.exit_code == 4
    assert "无法连接 127.0.0.1" in result.stderr


def test_one_robot_failing_does_not_stop_the_others(tmp_path: Path,
                                                    server: RobotServer) -> None:
    bad = robot(server, "dingtalk", script={1: (200, _answer("dingtalk", 300001))})
    good = robot(server, "wecom")
    result = run_due(register(tmp_path / "r.register.json", people(4)), tmp_path / "c",
                     "--notify", bad, "--notify", good)
    assert result.exit_code == 4
    assert len(server.texts("wecom")) == 1
    assert "已发送到 企业微信机器人" in result.stderr and "钉钉机器人 …0001 发送失败" in result.stderr


def test_only_masked_ids_reach_the_robot(tmp_path: Path, server: RobotServer) -> None:
    urls = [robot(server, p, secret=SECRET[p]) for p in ("dingtalk", "wecom", "feishu")]
    persons = people(40)
    reg = register(tmp_path / "r.register.json", persons)
    args = [a for u in urls for a in ("--notify", u)]
    args += ["--notify-secret", SECRET["dingtalk"], "--notify-secret", SECRET["feishu"]]
    assert run_due(reg, tmp_path / "c", *args).exit_code == 1
    everything = b"".join(r.raw for r in server.received).decode("utf-8")
    assert {r.platform for r in server.received} == {"dingtalk", "wecom", "feishu"}
    for p in persons:
        assert p.id_number not in everything
        assert p.id_number[6:14] not in everything  # not even the birth date
        assert everything.count(p.masked) == 3  # once per robot


def _big_document(n: int) -> Document:
    # Each entry near 3,000 bytes: one per 企业微信 message, so n entries are n messages.
    lines = tuple(Line(f"第 {i} 项 " + "甲" * 1000) for i in range(n))
    return Document("速率测试", ("到期提醒",), (Section("测试", lines),))


def test_21_messages_wait_for_the_minute(tmp_path: Path) -> None:
    clock = FakeClock()
    with RobotServer(clock=clock) as server:
        url = robot(server, "wecom")
        outcomes = send_document(_big_document(21), [parse_robot(url)], as_of=AS_OF,
                                 pace=Pace(monotonic=clock, sleep=clock.sleep))
    assert outcomes[0].ok and outcomes[0].delivered == 21
    assert server.violations == []  # the stand-in counted at most 20 in any minute
    assert clock.slept == [60.0]  # the 21st waited for the first to be a minute old


def test_the_stand_in_refuses_a_21st_message_within_the_minute(tmp_path: Path) -> None:
    # With a limiter that allows 100 a minute, the 21st is refused with 45009, said in
    # Chinese; certcheck waits out the window, tries once more, and a second refusal (the
    # stand-in's clock does not move: it is not the limiter's) stops the robot.
    clock, still = FakeClock(), FakeClock()
    with RobotServer(clock=still) as server:
        target = parse_robot(robot(server, "wecom"))
        loose = RateLimiter(per_window=100, clock=clock, sleep=clock.sleep)
        outcomes = send_document(_big_document(21), [target], as_of=AS_OF,
                                 pace=Pace(limiters={target.fingerprint: loose}))
    assert outcomes[0].delivered == 20
    error = outcomes[0].error
    assert error is not None and error.code == 45009 and "发送太频繁" in str(error)


@pytest.mark.parametrize("platform", ["dingtalk", "wecom", "feishu"])
def test_too_fast_is_waited_out_once(platform: str) -> None:
    # Another program posted to the same robot: the platform says "too fast" although this
    # run sent one message. certcheck waits a minute and sends it again.
    clock = FakeClock()
    code = {"dingtalk": 130101, "wecom": 45009, "feishu": 11232}[platform]
    with RobotServer(clock=clock) as server:
        url = robot(server, platform, script={1: (200, _answer(platform, code))})
        robots = with_secrets([parse_robot(url)], [], {})
        outcomes = send_document(_big_document(1), robots, as_of=AS_OF,
                                 pace=Pace(monotonic=clock, sleep=clock.sleep))
    assert outcomes[0].ok and outcomes[0].delivered == 1
    assert clock.slept == [60.0] and len(server.texts()) == 1


def _dingtalk_sign_by_the_recipe(secret: str, ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_a_dingtalk_signature_with_plus_and_slash_is_url_encoded() -> None:
    # A signature holding "+" and "/" must reach the robot URL-encoded ("+" unencoded reads as
    # a space). The moment is chosen so that the recipe's signature holds both.
    secret = SECRET["dingtalk"]
    ms = next(t for t in range(1_780_000_000_000, 1_780_000_100_000)
              if {"+", "/"} <= set(_dingtalk_sign_by_the_recipe(secret, t)))
    with RobotServer(wall=lambda: ms / 1000) as server:
        target = with_secrets([parse_robot(robot(server, "dingtalk", secret=secret))],
                              [secret], {})
        outcomes = send_document(_big_document(1), target, as_of=AS_OF,
                                 pace=Pace(wall=lambda: ms / 1000))
    assert outcomes[0].ok, outcomes[0].error
    [received] = server.received
    assert received.query["timestamp"] == [str(ms)]
    assert received.query["sign"] == [_dingtalk_sign_by_the_recipe(secret, ms)]
    assert server.violations == []


def test_a_feishu_signature_is_in_the_body_with_seconds() -> None:
    secret, seconds = SECRET["feishu"], 1_780_000_123
    with RobotServer(wall=lambda: seconds) as server:
        target = with_secrets([parse_robot(robot(server, "feishu", secret=secret))], [secret],
                              {})
        outcomes = send_document(_big_document(1), target, as_of=AS_OF,
                                 pace=Pace(wall=lambda: seconds + 0.75))
    assert outcomes[0].ok, outcomes[0].error
    body = server.received[0].body
    key = f"{seconds}\n{secret}".encode()
    assert body["timestamp"] == str(seconds)
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert server.received[0].query == {}  # nothing in the address


def test_a_signature_more_than_an_hour_off_is_refused() -> None:
    # The robot's clock is two hours ahead: the platform refuses, and says so as 310000.
    secret = SECRET["dingtalk"]
    with RobotServer(wall=lambda: 1_780_007_200.0) as server:
        target = with_secrets([parse_robot(robot(server, "dingtalk", secret=secret))],
                              [secret], {})
        outcomes = send_document(_big_document(1), target, as_of=AS_OF,
                                 pace=Pace(wall=lambda: 1_780_000_000.0))
    error = outcomes[0].error
    assert error is not None and error.code == 310000 and "本机时钟" in str(error)
