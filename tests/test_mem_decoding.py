"""Answers in another encoding than UTF-8 are read as they were written (issue 18).

A body in GBK without a charset used to become U+FFFD, a GB18030 body labelled gbk lost 䶮 (GBK
lacks it), and a byte-order mark made the JSON unreadable. Names must come out as sent, or stay
visibly unreadable: never another person's name.
"""

from __future__ import annotations

import asyncio
import codecs
import json

import pytest

from certcheck.models import Answer, Declared, Found, Query, Status, Worker
from certcheck.rules import decide
from certcheck.sources.mem import MemSource
from certcheck.sources.mem_decode import declared_charset, decode_body
from factories import AS_OF, CHECKED_AT, StaticSolver, nth_id, number
from mem_server import MemServer, api_record

ANSWER = json.dumps({"code": 200, "msg": "查询成功", "data": [{"name": "刘䶮", "x": "张三"}]},
                    ensure_ascii=False)


@pytest.mark.parametrize(("data", "content_type"), [
    (ANSWER.encode("gb18030"), "application/json;charset=gbk"),
    (ANSWER.encode("gb18030"), "application/json; charset=GB2312"),
    (ANSWER.encode("gb18030"), "application/json"),
    (ANSWER.encode("gb18030"), None),
    (codecs.BOM_UTF8 + ANSWER.encode(), "application/json;charset=UTF-8"),
    (codecs.BOM_UTF8 + ANSWER.encode(), None),
    (codecs.BOM_UTF16_LE + ANSWER.encode("utf-16-le"), "application/json"),
    (ANSWER.encode(), "text/html;charset=ISO-8859-1"),  # a Java server's default label
    (ANSWER.encode("gb18030"), "text/html;charset=ISO-8859-1"),
    (ANSWER.encode(), "application/json;charset=no-such-charset"),
    (ANSWER.encode(), 'application/json; charset="utf-8"'),
])
def test_every_spelling_of_a_chinese_body_reads_as_sent(data: bytes,
                                                        content_type: str | None) -> None:
    assert decode_body(data, content_type) == ANSWER


def test_gbk_labels_are_read_as_gb18030_and_unknown_ones_are_no_label() -> None:
    assert declared_charset("application/json;charset=gbk") == "gb18030"
    assert declared_charset("text/html; charset=x-gbk") == "gb18030"
    assert declared_charset("application/json") is None
    assert declared_charset("application/json;charset=klingon") is None


def test_utf8_with_a_stray_bad_byte_keeps_it_unreadable_rather_than_guessing() -> None:
    """GB18030 reads this body without error: every name in it as other characters."""
    good = ANSWER.encode()
    at = good.index("查".encode())
    damaged = good[:at] + b"\xa0" + good[at + 1:]
    assert "刘䶮" not in damaged.decode("gb18030")
    text = decode_body(damaged, "application/json")
    assert "\ufffd" in text and "刘䶮" in text and "张三" in text


def test_a_body_no_codec_reads_keeps_u_fffd_where_it_cannot_be_read() -> None:
    text = decode_body(b'{"name": "\xff\xfe\xff"}', "application/json;charset=gbk")
    assert "\ufffd" in text and text.startswith('{"name": ')


# --- through the lookup and the rules ------------------------------------------------------


PEOPLE = {
    "gbk-bare": "张三",  # GBK without a charset: GBK has every character of this name
    "gb18030-as-gbk": "刘䶮",  # labelled gbk, in GB18030: 䶮 is not in GBK
    "utf-8-bom": "王五",
    "utf-8": "赵六",
}


def test_each_encoding_of_the_stand_in_gives_the_verdict_the_record_means() -> None:
    ids = {style: nth_id(n) for n, style in enumerate(PEOPLE)}
    registry = {ids[s]: [api_record(name, ids[s])] for s, name in PEOPLE.items()}
    queries = {s: Query(ids[s], name) for s, name in PEOPLE.items()}
    with MemServer(registry, encodings={ids[s]: s for s in PEOPLE}) as server:
        source = MemSource(solver=StaticSolver("abcd"), base_url=server.url, timeout=5)

        async def main() -> dict[str, object]:
            try:
                return {s: await source.lookup(q) for s, q in queries.items()}
            finally:
                await source.aclose()

        outcomes = asyncio.run(main())
    for style, name in PEOPLE.items():
        outcome = outcomes[style]
        assert isinstance(outcome, Found), (style, outcome)
        assert outcome.records[0].name == name, style
        assert outcome.records[0].issuer == "重庆市应急管理局", style
        worker = Worker(row=2, name=name, id_number=ids[style],
                        declared=Declared(item="低压电工作业",
                                          cert_number=number("T" + ids[style])))
        finding = decide(worker, Answer(outcome, "mem", CHECKED_AT), AS_OF)
        assert finding.status is Status.VALID, (style, finding.reason, finding.detail)
