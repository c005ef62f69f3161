"""``certcheck diff OLD NEW --notify URL``: the changes posted to 钉钉, 企业微信 and 飞书 robots,
stood in by a local server that checks each platform's signature, size limit and rate."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from certcheck.cli import cli
from certcheck.cli import diff as _diff  # noqa: F401  (attaches the command)
from factories import nth_id
from register_sheet import register_table
from robot_server import FakeRobot, RobotServer
from test_diff import OLD_DAY, check, record, worker

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "samples" / "registers" / "德感机械-自查.register.xlsx"
NEW = ROOT / "samples" / "2027-03" / "德感机械-自查.register.xlsx"
ENTERPRISE = "重庆市江津区德感机械制造有限公司"
TOKEN = {"dingtalk": "d1ffd1ffd1ffd1ffd1ffd1ffd1ff0001", "wecom": "d1ff-wecom-0000-0000-000000000002",
         "feishu": "d1ff-fei5-0000-0000-000000000003"}
SECRET = {"dingtalk": "SECd1ffa4f5e6d7c8b9a0", "feishu": "fs-d1ff-s3cr3t", "wecom": None}
#: An ID number anywhere: 17 digits and a check character, or an old 15-digit one.
FULL_ID = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with RobotServer() as s:
        yield s


def robot(server: RobotServer, platform: str, **kw: Any) -> str:
    return server.add(FakeRobot(platform, TOKEN[platform], **kw))


def diff(old: Path, new: Path, *args: str, cache: Path | None = None) -> Result:
    env = {"COLUMNS": "160", **({"CERTCHECK_CACHE_DIR": str(cache)} if cache else {})}
    return CliRunner(env=env).invoke(cli, ["diff", str(old), str(new), *args],
                                     catch_exceptions=False)


def ids_in(register: Path) -> dict[str, str]:
    """name → full ID, as the register's own sheet holds them."""
    table = register_table(openpyxl.load_workbook(register)["核验登记表"])
    return {str(r["姓名"]): str(r["身份证号"]) for r in table.rows if r["姓名"] and r["身份证号"]}


def masked(id_number: str) -> str:
    """How a message shows an ID: full-width asterisks, so Markdown leaves it as text."""
    return id_number[:6] + "＊" * 8 + id_number[-4:]


def section(text: str, heading: str) -> str:
    """The lines of ``text`` under the section ``heading``, up to the next blank line."""
    start = text.index(heading)
    rest = text[start:].split("\n", 1)[1].lstrip("\n")
    return rest.split("\n\n", 1)[0]


# --- the sample registers, to each platform ---------------------------------------------------


@pytest.mark.parametrize("platform", ["dingtalk", "wecom", "feishu"])
def test_the_changes_reach_each_platform_signed(tmp_path: Path, server: RobotServer,
                                                platform: str) -> None:
    url = robot(server, platform, secret=SECRET[platform], keyword="certcheck")
    secret = ["--notify-secret", SECRET[platform]] if SECRET[platform] else []
    result = diff(OLD, NEW, "--notify", url, *secret, cache=tmp_path / "cache")
    # 周静 became expired and 罗斌 was found with a fake card: exit 1, and the message went out.
    assert result.exit_code == 1, result.stderr
    assert server.violations == []  # signature, size, rate as the platform checks them
    [text] = server.texts()
    assert ENTERPRISE in text and "2026-12-01" in text and "2027-03-01" in text
    assert "依法持证率 50.0% → 60.0%" in text
    assert "结论：有人变为逾期、假证或无证，需处理" in text
    ids = ids_in(NEW)
    worse = section(text, "结果变差（2 项）")
    assert f"周静 {masked(ids['周静'])}" in worse and "新逾期" in worse
    assert f"罗斌 {masked(ids['罗斌'])}" in worse and "新发现假证" in worse
    # Worse first, then the rest in the terminal's order.
    order = [text.index(h) for h in ("结果变差", "结果好转", "新增人员", "离开人员", "证书日期变化")]
    assert order == sorted(order)
    assert "严明" in section(text, "新增人员（1 项）")
    assert "梁秀英" in section(text, "离开人员（1 项）")
    assert "已发送到" in result.stderr and "1 条消息" in result.stderr
    # Not remembered: nothing is written beside the cache.
    assert not (tmp_path / "cache").exists()


def test_a_feishu_card_is_red_when_someone_got_worse(server: RobotServer) -> None:
    url = robot(server, "feishu")
    assert diff(OLD, NEW, "--notify", url).exit_code == 1
    [received] = server.received
    card = received.body["card"]
    assert card["header"]["template"] == "red"
    assert "登记表变化" in card["header"]["title"]["content"]
    assert "<font color='red'>结果变差" in card["elements"][0]["content"]


def test_no_full_id_reaches_any_robot(server: RobotServer) -> None:
    urls = [robot(server, p) for p in ("dingtalk", "wecom", "feishu")]
    assert diff(OLD, NEW, *(a for u in urls for a in ("--notify", u))).exit_code == 1
    assert {r.platform for r in server.received} == {"dingtalk", "wecom", "feishu"}
    everything = b"".join(r.raw for r in server.received).decode("utf-8")
    assert FULL_ID.findall(everything) == []
    people = {**ids_in(OLD), **ids_in(NEW)}
    for name, number in people.items():
        assert number not in everything, name
        assert number[6:14] not in everything, name  # not even the birth date
    # The digest's masked form would have turned bold: every asterisk is full-width.
    assert "*" * 8 not in everything and masked(people["梁秀英"]) in everything


def test_every_run_sends_the_whole_report(tmp_path: Path, server: RobotServer) -> None:
    url = robot(server, "wecom")
    for _ in range(2):
        assert diff(OLD, NEW, "--notify", url, cache=tmp_path / "cache").exit_code == 1
    first, second = server.texts()
    assert first == second and "周静" in second
    assert not (tmp_path / "cache").exists()


def test_diff_has_no_options_of_a_record(server: RobotServer) -> None:
    url = robot(server, "wecom")
    for option in ("--notify-all", "--cache-dir"):
        result = diff(OLD, NEW, "--notify", url, option)
        assert result.exit_code == 2 and option in result.stderr
    assert server.received == []


# --- a dry run, failures and the exit code ----------------------------------------------------


def test_a_dry_run_prints_the_messages_and_sends_nothing(server: RobotServer) -> None:
    ding, fei = robot(server, "dingtalk"), robot(server, "feishu")
    result = diff(OLD, NEW, "--notify", ding, "--notify", fei, "--dry-run")
    assert result.exit_code == 1, result.stderr
    assert server.received == []
    out = result.stdout
    assert out.count("第 1/1 条（--dry-run，未发送）") == 2
    assert f"标题：登记表变化：{ENTERPRISE}（2026-12-01 → 2027-03-01）" in out
    assert f"周静 {masked(ids_in(NEW)['周静'])}" in out
    assert FULL_ID.findall(out) == []
    assert "将收到 1 条消息" in result.stderr and "未发送" in result.stderr
    # The terminal's own summary came first.
    assert out.index("结论：有人变为逾期") < out.index("--dry-run，未发送")


def test_dry_run_without_notify_is_a_usage_error() -> None:
    result = diff(OLD, NEW, "--dry-run")
    assert result.exit_code == 2 and "只能与 --notify 一起使用" in result.stderr


def test_an_address_that_is_no_robot_is_refused_before_reading(tmp_path: Path) -> None:
    result = diff(tmp_path / "missing-a.xlsx", tmp_path / "missing-b.xlsx",
                  "--notify", "https://example.com/hook")
    assert result.exit_code == 2, result.stderr
    assert "找不到文件" not in result.stderr


@pytest.mark.parametrize(("platform", "answer", "said"), [
    ("dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"}, "关键词或签名不符"),
    ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "机器人地址无效"),
    ("feishu", {"code": 19021, "data": {}, "msg": "sign match fail"}, "签名校验失败"),
])
def test_a_failing_robot_is_exit_4_in_chinese(server: RobotServer, platform: str,
                                              answer: dict[str, Any], said: str) -> None:
    url = robot(server, platform, script={1: (200, answer)})
    result = diff(OLD, NEW, "--notify", url)
    assert result.exit_code == 4
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("certcheck: ") and "发送失败" in line and said in line
    assert "已送达 0/1 条" in line and "其余的未发送" in line
    assert TOKEN[platform] not in result.stderr
    assert "结论：有人变为逾期、假证或无证，需处理" in result.stdout  # the summary is not lost


def test_a_failing_robot_is_exit_4_also_when_nothing_got_worse(tmp_path: Path,
                                                               server: RobotServer) -> None:
    ids = [nth_id(i) for i in range(2)]
    old = check(tmp_path, "old", [worker("陈一", ids[0]), worker("林二", ids[1])],
                [record("陈一", ids[0]), record("林二", ids[1], due="2026-06-01")], OLD_DAY)
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("林二", ids[1])],
                [record("陈一", ids[0]),
                 record("林二", ids[1], due="2026-06-01", reviewed="2026-12-10")],
                "2027-01-15")
    assert diff(old, new).exit_code == 0  # 林二's review is recorded: better, not worse
    bad = robot(server, "dingtalk", script={1: (200, {"errcode": 300001, "errmsg": "token"})})
    good = robot(server, "wecom")
    result = diff(old, new, "--notify", bad, "--notify", good)
    assert result.exit_code == 4
    assert "access_token 无效" in result.stderr
    [text] = server.texts("wecom")  # the other robot was still served
    assert "复审后恢复有效" in section(text, "结果好转（1 项）")
    assert "结论：没有人变为逾期、假证或无证" in text


def test_nothing_changed_sends_nothing(tmp_path: Path, server: RobotServer) -> None:
    again = tmp_path / "again.register.xlsx"
    shutil.copy(NEW, again)
    result = diff(NEW, again, "--notify", robot(server, "dingtalk"))
    assert result.exit_code == 0, result.stderr
    assert server.received == []
    assert "两份登记表没有变化，未发送到工作群" in result.stderr


# --- a long diff, and text from the registers -------------------------------------------------

SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = "一二三四五六七八九十"


def test_a_long_diff_is_split_under_the_limit(tmp_path: Path, server: RobotServer) -> None:
    """60 people whose review was due in January: valid in December, all expired in March,
    which is more than one 企业微信 message (4,096 bytes) holds."""
    names = [f"{SURNAMES[i % 10]}{GIVEN[i // 10]}明" for i in range(60)]
    ids = [nth_id(i) for i in range(60)]
    rows = [worker(n, i) for n, i in zip(names, ids, strict=True)]
    records = [record(n, i, due="2027-01-10") for n, i in zip(names, ids, strict=True)]
    old = check(tmp_path, "december", rows, records, OLD_DAY)
    new = check(tmp_path, "march", rows, records, "2027-03-01")
    result = diff(old, new, "--notify", robot(server, "wecom"))
    assert result.exit_code == 1, result.stderr
    assert server.violations == []
    texts = server.texts("wecom")
    assert len(texts) >= 2
    for k, text in enumerate(texts, start=1):
        assert len(text.encode("utf-8")) <= 4096
        assert f"（{k}/{len(texts)}）" in text.splitlines()[0]
        assert "2026-12-01 → 2027-03-01" in text  # every message says which check
        assert "certcheck" in text
    assert "结果变差（60 项）" in texts[0] and "结果变差（续）" in texts[1]
    named = [m for t in texts for m in re.findall(r"^- (\S+) 500381", t, re.M)]
    assert sorted(named) == sorted(names)  # everyone once, no line cut between two
    assert f"已发送到 企业微信机器人 …0002：{len(texts)} 条消息，提醒 60 项" in result.stderr


def test_text_from_the_registers_cannot_format_the_message(tmp_path: Path,
                                                           server: RobotServer) -> None:
    hostile = "**某某**[公司](http://evil.example) <at user_id=\"all\"></at>"
    ids = [nth_id(i) for i in range(2)]
    records = [record("陈一", ids[0])]
    old = check(tmp_path, "old", [worker("陈一", ids[0])], records, OLD_DAY,
                enterprise=hostile)
    # A name that starts like a numbered list and holds an asterisk; an item that is a link.
    new = check(tmp_path, "new", [worker("陈一", ids[0]), worker("1. 黄*三", ids[1], "[x](y)")],
                records, "2027-01-15", enterprise=hostile)
    urls = [robot(server, p) for p in ("dingtalk", "wecom", "feishu")]
    assert diff(old, new, *(a for u in urls for a in ("--notify", u))).exit_code == 0
    texts = server.texts()
    assert len(texts) == 3
    for text in texts:
        # The address stays readable but is no link: no platform links "http：／／".
        assert "＊＊某某＊＊［公司］（http：／／evil.example）" in text
        assert "://" not in text and "](" not in text and "<at" not in text and "**某某**" not in text
        assert "- 1． 黄＊三" in text and "［x］（y）" in text
        assert not re.search(r"^- \d+\.", text, re.M)
