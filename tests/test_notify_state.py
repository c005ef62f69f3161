"""Each reminder once: the record of what was sent, across runs, crashes and dry runs."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from certcheck.due import dates_from_register, due_within
from certcheck.notify.due_message import due_document
from certcheck.notify.robots import parse_robot
from certcheck.notify.run import Pace, send_document
from certcheck.notify.state import SentState
from certcheck.register.reader import read_register
from notify_cases import AS_OF, Person, names_in, people, register, run_due
from robot_server import FakeRobot, RobotServer


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with RobotServer() as s:
        yield s


def wecom(server: RobotServer, ident: str = "wecom-state-key-000000001", **kw: object) -> str:
    return server.add(FakeRobot("wecom", ident, **kw))  # type: ignore[arg-type]


def sent_names(server: RobotServer, since: int = 0) -> list[str]:
    return names_in(server.texts()[since:])


def test_a_second_run_sends_nothing(tmp_path: Path, server: RobotServer) -> None:
    url = wecom(server)
    persons = people(10)
    reg = register(tmp_path / "r.register.json", persons)
    assert run_due(reg, tmp_path / "c", "--notify", url).exit_code == 1
    assert sorted(sent_names(server)) == sorted(p.name for p in persons)
    again = run_due(reg, tmp_path / "c", "--notify", url)
    # Still exit 1 (people are due), but nothing reached the robot.
    assert again.exit_code == 1
    assert len(server.received) == 1
    assert "没有新的提醒，未发送；此前已提醒、无变化的 10 项未重复" in again.stderr


def test_a_new_deadline_or_a_new_tier_sends_that_person_again(tmp_path: Path,
                                                              server: RobotServer) -> None:
    url = wecom(server)
    persons = [Person(2, "工人002", 50), Person(3, "工人003", 60), Person(4, "工人004", 12),
               Person(5, "工人005", 80)]
    reg = register(tmp_path / "r.register.json", persons)
    run_due(reg, tmp_path / "c", "--notify", url)
    assert len(server.texts()) == 1
    # 工人003's review date is moved (a new record): only they are sent again.
    moved = [replace(p, review_in=70) if p.name == "工人003" else p for p in persons]
    register(reg, moved)
    result = run_due(reg, tmp_path / "c", "--notify", url)
    assert sent_names(server, 1) == ["工人003"]
    assert "此前已提醒、无变化的 3 项未重复列出" in server.texts()[1]
    assert "提醒 1 项；此前已提醒、无变化的 3 项未重复" in result.stderr
    # Five days later 工人004 (12 → 7 days left) enters 7 天内; nobody else changes tier
    # (50 → 45 and 70 → 65 stay in 90 天内, 80 → 75 too; and 8 days later, 37, 57 and 67).
    run_due(reg, tmp_path / "c", "--notify", url, as_of=AS_OF + timedelta(days=5))
    assert sent_names(server, 2) == ["工人004"]
    assert "7 天内（1 项）" in server.texts()[2]
    # And when the day has passed they are overdue: sent once more.
    run_due(reg, tmp_path / "c", "--notify", url, as_of=AS_OF + timedelta(days=13))
    assert sent_names(server, 3) == ["工人004"]
    assert "已逾期（1 项）" in server.texts()[3]


def test_notify_all_sends_everything_again(tmp_path: Path, server: RobotServer) -> None:
    url = wecom(server)
    persons = people(6)
    reg = register(tmp_path / "r.register.json", persons)
    run_due(reg, tmp_path / "c", "--notify", url)
    run_due(reg, tmp_path / "c", "--notify", url, "--notify-all")
    assert sorted(sent_names(server, 1)) == sorted(p.name for p in persons)


def test_each_robot_has_its_own_record(tmp_path: Path, server: RobotServer) -> None:
    first = wecom(server)
    reg = register(tmp_path / "r.register.json", people(5))
    run_due(reg, tmp_path / "c", "--notify", first)
    second = wecom(server, "wecom-state-key-000000002")
    run_due(reg, tmp_path / "c", "--notify", first, "--notify", second)
    assert [len(r.accepted) for r in server.robots.values()] == [1, 1]


def test_a_crash_between_two_messages_loses_and_repeats_nothing(tmp_path: Path,
                                                                server: RobotServer) -> None:
    # 企业微信 takes about 30 people a message: 80 people are 3 messages. The robot fails the
    # second one.
    url = wecom(server, script={2: (500, b"upstream error")})
    persons = people(80)
    reg = register(tmp_path / "r.register.json", persons)
    first = run_due(reg, tmp_path / "c", "--notify", url)
    assert first.exit_code == 4
    assert "HTTP 500" in first.stderr and "已送达 1/3 条" in first.stderr
    delivered = sent_names(server)
    assert 0 < len(delivered) < 80
    # The next run sends exactly the others: nobody twice, nobody missing.
    second = run_due(reg, tmp_path / "c", "--notify", url)
    assert second.exit_code == 1, second.stderr
    rest = sent_names(server, 1)
    assert sorted(delivered + rest) == sorted(p.name for p in persons)
    assert set(delivered).isdisjoint(rest)
    assert f"此前已提醒、无变化的 {len(delivered)} 项未重复" in second.stderr


def test_the_record_is_private_and_holds_no_id_or_name(tmp_path: Path,
                                                      server: RobotServer) -> None:
    url = wecom(server)
    persons = people(20)
    run_due(register(tmp_path / "r.register.json", persons), tmp_path / "c", "--notify", url)
    folder = tmp_path / "c" / "certcheck"
    state, key = folder / "notify-sent.json", folder / "notify-key"
    for path in (state, key):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    text = state.read_text("utf-8")
    for p in persons:
        assert p.id_number not in text and p.id_number[-4:] + '"' not in text
        assert p.name not in text
    data = json.loads(text)
    [entries] = data["robots"].values()
    assert len(entries) == 20
    assert {e["sent"] for e in entries.values()} == {AS_OF.isoformat()}


def test_a_record_not_understood_sends_everything_and_is_rewritten(
        tmp_path: Path, server: RobotServer) -> None:
    url = wecom(server)
    reg = register(tmp_path / "r.register.json", people(5))
    run_due(reg, tmp_path / "c", "--notify", url)
    state = tmp_path / "c" / "certcheck" / "notify-sent.json"
    state.write_text('{"format": 1, "robots": {"x": {"y": {"version": 1}}}}', "utf-8")
    result = run_due(reg, tmp_path / "c", "--notify", url)
    assert "无法读取（内容不是 certcheck 写入的格式），本次按均未发送处理" in result.stderr
    assert len(sent_names(server, 1)) == 5
    # Rewritten: the third run sends nothing.
    run_due(reg, tmp_path / "c", "--notify", url)
    assert len(server.texts()) == 2


def test_a_link_in_place_of_the_record_is_refused(tmp_path: Path, server: RobotServer) -> None:
    url = wecom(server)
    reg = register(tmp_path / "r.register.json", people(2))
    folder = tmp_path / "c" / "certcheck"
    folder.mkdir(parents=True, mode=0o700)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}", "utf-8")
    (folder / "notify-sent.json").symlink_to(elsewhere)
    result = run_due(reg, tmp_path / "c", "--notify", url)
    assert result.exit_code == 4
    assert "不是普通文件" in result.stderr
    assert server.received == [] and elsewhere.read_text("utf-8") == "{}"


def test_dry_run_prints_the_messages_and_changes_nothing(tmp_path: Path,
                                                         server: RobotServer) -> None:
    url = wecom(server)
    persons = people(8)
    reg = register(tmp_path / "r.register.json", persons)
    result = run_due(reg, tmp_path / "c", "--notify", url, "--dry-run")
    assert result.exit_code == 1
    assert server.received == []
    assert not (tmp_path / "c").exists()  # not even the folder
    assert "企业微信机器人 …0001：第 1/1 条（--dry-run，未发送）" in result.stdout
    assert sorted(names_in([result.stdout])) == sorted(p.name for p in persons)
    assert all(p.id_number not in result.stdout for p in persons)
    assert "未发送，未记录" in result.stderr
    # After a real run, a dry run shows what a real run would send now: nothing.
    run_due(reg, tmp_path / "c", "--notify", url)
    again = run_due(reg, tmp_path / "c", "--notify", url, "--dry-run")
    assert "第 1/1 条" not in again.stdout and "将收到 没有新的提醒" in again.stderr


def test_nobody_due_sends_nothing(tmp_path: Path, server: RobotServer) -> None:
    url = wecom(server)
    reg = register(tmp_path / "r.register.json", [Person(2, "工人002", 300)])
    result = run_due(reg, tmp_path / "c", "--notify", url)
    assert result.exit_code == 0
    assert server.received == [] and "没有需要提醒的人员，未发送" in result.stderr


def test_ctrl_c_between_two_messages_keeps_the_first(tmp_path: Path,
                                                     server: RobotServer) -> None:
    url = wecom(server)
    reg = register(tmp_path / "r.register.json", people(80))
    listed = due_within(dates_from_register(read_register(reg).rows), AS_OF, 90)
    document = due_document(listed, enterprise="某公司", source="登记表")
    target = parse_robot(url)
    posts = 0

    def interrupt_the_second(request: httpx.Request) -> None:
        nonlocal posts
        posts += 1
        if posts == 2:
            raise KeyboardInterrupt

    folder = tmp_path / "c" / "certcheck"
    with httpx.Client(event_hooks={"request": [interrupt_the_second]}) as client, \
            pytest.raises(KeyboardInterrupt):
        send_document(document, [target], as_of=AS_OF, state=SentState(folder),
                      pace=Pace(client=client))
    delivered = sent_names(server)
    assert 0 < len(delivered) < 80
    outcomes = send_document(document, [target], as_of=AS_OF, state=SentState(folder))
    assert outcomes[0].ok and outcomes[0].skipped == len(delivered)
    rest = sent_names(server, 1)
    assert sorted(delivered + rest) == sorted(f"工人{r:03d}" for r in range(2, 82))
