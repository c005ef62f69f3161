"""Long lists split under each platform's limit: no person's line cut, a group's heading repeated
with （续）, every message complete in itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certcheck.due import Dates, due_within
from certcheck.notify.document import Document, Line, Section, Tone, md_text
from certcheck.notify.due_message import due_document
from certcheck.notify.platforms import Platform
from certcheck.notify.split import split
from factories import nth_id
from notify_cases import AS_OF, ENTERPRISE, names_in, people, register, run_due
from robot_server import FakeRobot, RobotServer

#: Each platform's limit, counted as this test counts it (the platform's documented rule,
#: 钉钉's "about 20,000 characters" taken as bytes, which certcheck keeps under).
LIMIT = {"dingtalk": 20_000, "wecom": 4096, "feishu": 20_000}
HEADINGS = ("已逾期", "7 天内", "30 天内", "90 天内")


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with RobotServer() as s:
        yield s


def size(platform: str, raw: bytes) -> int:
    body = json.loads(raw)
    if platform == "feishu":
        return len(raw)
    return len(body["markdown"]["text" if platform == "dingtalk" else "content"].encode())


@pytest.mark.parametrize("platform", ["dingtalk", "wecom", "feishu"])
def test_300_people_split_at_the_limit(tmp_path: Path, server: RobotServer,
                                       platform: str) -> None:
    url = server.add(FakeRobot(platform, f"robot-{platform}-000000001"))
    persons = people(300)
    result = run_due(register(tmp_path / "r.register.json", persons), tmp_path / "c",
                     "--notify", url)
    assert result.exit_code == 1, result.stderr
    assert server.violations == []
    texts = server.texts()
    n = len(texts)
    assert n >= 2
    # Everyone exactly once, and in the order of urgency.
    assert sorted(names_in(texts)) == sorted(p.name for p in persons)
    sizes = [size(platform, r.raw) for r in server.received]
    assert all(s <= LIMIT[platform] for s in sizes)
    # Full messages: each but the last was closed only because the next line did not fit.
    assert all(s > LIMIT[platform] * 0.9 for s in sizes[:-1]), sizes
    previous_group = None
    for k, text in enumerate(texts, start=1):
        # Every message stands alone: who, when, which part.
        assert ENTERPRISE in text and AS_OF.isoformat() in text
        assert "到期提醒" in text
        title = json.loads(server.received[k - 1].raw)
        assert f"（{k}/{n}）" in json.dumps(title, ensure_ascii=False)
        # Every entry line is whole: a person, a masked ID, the errand, the days.
        entries = [t for t in text.splitlines() if t.startswith("- ")]
        assert entries and all(re.fullmatch(r"- 工人\d{3}　500381＊{8}\d{3}[\dX]　低压电工作业："
                                            r"\*\*应复审\*\* \d{4}-\d\d-\d\d，"
                                            r"(已逾期 \d+ 天|还剩 \d+ 天|今日到期)", e)
                               for e in entries), entries[:3]
        groups = re.findall(r"(已逾期|7 天内|30 天内|90 天内)（(续|\d+ 项)）", text)
        first_group, how = groups[0]
        if first_group == previous_group:
            assert how == "续"  # the group goes on from the previous message
        else:
            assert how.endswith("项")
        previous_group = groups[-1][0]


def test_the_groups_in_order_of_urgency() -> None:
    result = due_within([_dates(i, days) for i, days in enumerate([50, -3, 5, 20, 0, 7, 8])],
                        AS_OF, 90)
    [message] = split(due_document(result, enterprise="某公司", source="登记表"),
                      Platform.WECOM)
    text = message.text
    positions = [text.index(h + "（") for h in HEADINGS]
    assert positions == sorted(positions)
    assert "已逾期（1 项）" in text and "7 天内（3 项）" in text  # 0, 5 and 7 days
    assert "30 天内（2 项）" in text and "90 天内（1 项）" in text
    assert "今日到期" in text and "已逾期 3 天" in text


def _dates(row: int, days: int, name: str | None = None, item: str = "低压电工作业") -> Dates:
    return Dates(row=row, name=name or f"工人{row:03d}", id_number=nth_id(row), item=item,
                 valid_until=AS_OF + timedelta(days=3000),
                 review_due=AS_OF + timedelta(days=days), reviewed=None)


def test_text_from_the_file_cannot_format_or_link() -> None:
    hostile = "**张三** [点此](http://evil.example) <at id=all></at> # 标题\n- 注入"
    result = due_within([_dates(2, 5, name=hostile, item="<font color='red'>电工</font>")],
                        AS_OF, 90)
    for platform in Platform:
        [message] = split(due_document(result, enterprise="[单位](http://x)", source="登记表"),
                          platform)
        entries = [t for t in message.text.splitlines() if t.startswith("- ")]
        assert len(entries) == 1  # the line break in the name did not make a second entry
        assert "[" not in message.text.replace("**", "") and "](" not in message.text
        assert "<at" not in message.text and "<font color='red'>电" not in message.text
        assert "**张三**" not in message.text
        assert "［点此］（http：//evil.example）" in entries[0] or "［点此］" in entries[0]


def test_an_id_in_a_name_cell_is_masked() -> None:
    id_number = nth_id(7)
    result = due_within([_dates(2, 5, name=f"王五{id_number}")], AS_OF, 90)
    [message] = split(due_document(result, enterprise=None, source="登记表"), Platform.DINGTALK)
    assert id_number not in message.text
    assert "（未填单位名称）" in message.text


def test_long_names_and_items_are_cut_so_a_line_fits() -> None:
    result = due_within([_dates(2, 5, name="很长的名字" * 40, item="很长的作业项目" * 100)],
                        AS_OF, 90)
    [message] = split(due_document(result, enterprise="某公司", source="登记表"),
                      Platform.WECOM)
    entry = next(t for t in message.text.splitlines() if t.startswith("- "))
    assert len(entry) < 200 and entry.count("…") == 2


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_TEXT, min_size=1, max_size=120), platform=st.sampled_from(list(Platform)),
       cut=st.integers(0, 119))
def test_any_entries_are_each_sent_once_under_the_limit(lines: list[str], platform: Platform,
                                                        cut: int) -> None:
    entries = [Line(f"{i:03d} {md_text(t, limit=300)}") for i, t in enumerate(lines)]
    cut = min(cut, len(entries))
    document = Document("测试", ("引言",), (
        Section("甲组", tuple(entries[:cut]), Tone.DANGER),
        Section("乙组", tuple(entries[cut:]), Tone.INFO),
    ), ("结尾",), ("certcheck",))
    messages = split(document, platform)
    sent = [line for m in messages for line in m.lines]
    assert sent == [e for e in entries]
    for m in messages:
        raw = json.dumps(m.body, ensure_ascii=False).encode()
        assert size(platform.value, raw) <= LIMIT[platform.value] - (100 if platform is
                                                                     Platform.FEISHU else 0)
        for line in m.lines:
            assert f"- {line.text}" in m.text.splitlines()


def test_a_roster_says_its_dates_are_declared_and_names_the_enterprise(tmp_path: Path) -> None:
    path = tmp_path / "花名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["重庆某某建材有限公司特种作业人员花名册"])
    ws.append(["序号", "姓名", "身份证号", "作业类别", "操作项目", "有效期结束日期", "应复审日期"])
    ws.append([1, "张三", nth_id(1), "电工作业", "低压电工作业",
               (AS_OF + timedelta(days=20)).isoformat(), (AS_OF + timedelta(days=500)).isoformat()])
    wb.save(path)
    result = run_due(path, tmp_path / "c", "--notify",
                     "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0000-1111-2222-3333",
                     "--dry-run")
    assert result.exit_code == 1, result.stderr
    assert "单位：**重庆某某建材有限公司" in result.stdout
    assert "日期来源：**花名册（申报日期，未核验）" in result.stdout
    assert "- 张三　500381＊＊＊＊＊＊＊＊" in result.stdout and "**证书到期**" in result.stdout
    assert nth_id(1) not in result.stdout
