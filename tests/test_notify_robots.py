"""Which robot an address is, its secret, and what is said about it before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from certcheck.notify.platforms import Platform
from certcheck.notify.robots import RobotError, parse_robot, warnings, with_secrets

DING = "https://oapi.dingtalk.com/robot/send?access_token=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/2c9d8f7e-6a5b-4c3d-9e8f-7a6b5c4d3e2f"


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"COLUMNS": "160", **(env or {})}).invoke(
        cli, ["due", *(str(a) for a in args)], catch_exceptions=False)


@pytest.mark.parametrize(("url", "platform", "tail"), [
    (DING, Platform.DINGTALK, "e1f0"),
    (WECOM, Platform.WECOM, "5aaa"),
    (FEISHU, Platform.FEISHU, "3e2f"),
    ("https://open.larksuite.com/open-apis/bot/v2/hook/abcd-ef01-1234", Platform.FEISHU, "1234"),
    # A local stand-in or a private deployment: the path says the API.
    ("http://127.0.0.1:8080/robot/send?access_token=0123456789tok9", Platform.DINGTALK, "tok9"),
    # A credential too short to show any of it.
    ("http://127.0.0.1:8080/robot/send?access_token=tok9", Platform.DINGTALK, ""),
])
def test_the_kind_is_known_from_the_address(url: str, platform: Platform, tail: str) -> None:
    robot = parse_robot(url)
    assert robot.platform is platform
    assert robot.label == f"{platform.zh}机器人 …{tail}"
    # The credential is not in what a robot shows of itself.
    assert robot.ident not in repr(robot) and robot.ident not in robot.label


@pytest.mark.parametrize("url", [
    "https://oapi.dingtalk.com/robot/send",  # no token
    "https://oapi.dingtalk.com/robot/send?access_token=",
    "https://oapi.dingtalk.com/robot/send?access_token=a&access_token=b",
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?token=abc",  # 钉钉's name, 企业微信's path
    "https://open.feishu.cn/open-apis/bot/v2/hook/",
    "https://open.feishu.cn/open-apis/bot/v2/hook/a/b",
    "https://example.com/hooks/abc",
    "ftp://oapi.dingtalk.com/robot/send?access_token=abc",
    "oapi.dingtalk.com/robot/send?access_token=abc",
    "",
])
def test_other_addresses_are_refused(url: str) -> None:
    with pytest.raises(RobotError, match="不是钉钉、企业微信或飞书的群机器人地址"):
        parse_robot(url)


def test_an_unknown_address_is_exit_2_before_the_file_is_read(tmp_path: Path) -> None:
    secret_url = "https://example.com/hook?token=SECRETTOKEN123"
    result = run(tmp_path / "missing.xlsx", "--notify", secret_url)
    assert result.exit_code == 2
    assert "不是钉钉、企业微信或飞书的群机器人地址" in result.stderr
    assert "找不到文件" not in result.stderr  # refused before any work
    assert "SECRETTOKEN123" not in result.stderr
    assert "https://example.com/hook?token=…" in result.stderr


@pytest.mark.parametrize("option", ["--dry-run", "--notify-all"])
def test_notify_options_without_a_robot_are_exit_2(tmp_path: Path, option: str) -> None:
    result = run(tmp_path / "missing.xlsx", option)
    assert result.exit_code == 2
    assert f"{option} 只能与 --notify 一起使用" in result.stderr


def test_secrets_go_to_the_signing_robots_in_order() -> None:
    robots = [parse_robot(u) for u in (DING, WECOM, FEISHU)]
    signed = with_secrets(robots, ["SECding", "feishu-secret"], {})
    assert [r.secret for r in signed] == ["SECding", None, "feishu-secret"]
    # An empty one: that robot is not signed, the next still is.
    assert [r.secret for r in with_secrets(robots, ["", "fs"], {})] == [None, None, "fs"]


def test_secrets_from_the_environment() -> None:
    robots = [parse_robot(u) for u in (DING, WECOM, FEISHU)]
    env = {"CERTCHECK_DINGTALK_SECRET": "SECd", "CERTCHECK_NOTIFY_SECRET": "any"}
    assert [r.secret for r in with_secrets(robots, [], env)] == ["SECd", None, "any"]
    # An option outranks the environment.
    assert with_secrets(robots, ["SECopt"], env)[0].secret == "SECopt"


def test_more_secrets_than_signing_robots_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path / "missing.xlsx", "--notify", WECOM, "--notify-secret", "SECx")
    assert result.exit_code == 2
    assert "只有 0 个机器人需要加签" in result.stderr
    assert "SECx" not in result.stderr


def test_a_host_that_is_not_the_platforms_is_named() -> None:
    said = warnings(parse_robot("https://oapi.dingtalk.com.example.cn/robot/send?access_token=x"))
    assert len(said) == 1 and "不是钉钉的官方地址 oapi.dingtalk.com" in said[0]
    said = warnings(parse_robot("http://robots.corp.local/cgi-bin/webhook/send?key=k"))
    assert any("不是企业微信的官方地址" in s for s in said)
    assert any("明文" in s for s in said)
    # The platform's own host, and a local stand-in, are not warned about.
    assert warnings(parse_robot(DING)) == []
    assert warnings(parse_robot("http://127.0.0.1:9/robot/send?access_token=x")) == []
    assert warnings(parse_robot("http://[::1]:9/robot/send?access_token=x")) == []
