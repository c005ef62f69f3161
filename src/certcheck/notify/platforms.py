"""What certcheck knows of each group-robot platform: the shape of its webhook address, its
official hosts, how much one message may hold, and what its error codes mean. Pure facts.

The limits are the platforms' documented ones, counted the strict way where a document is
vague: 企业微信 markdown ``content`` at most 4,096 bytes in UTF-8; 飞书 the whole request body
at most 20 KB (counted as 20,000 bytes); 钉钉 "about 20,000 characters", counted as 20,000
bytes of UTF-8, which also keeps under 20,000 characters. All three let a robot post 20
messages a minute (飞书 allows more; the lowest is kept for all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    DINGTALK = "dingtalk"
    WECOM = "wecom"
    FEISHU = "feishu"

    @property
    def zh(self) -> str:
        return _FACTS[self].zh

    @property
    def facts(self) -> PlatformFacts:
        return _FACTS[self]


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    zh: str
    #: Where the platform's robots live; another host is allowed (a private deployment, a
    #: gateway, a local stand-in) but named in a warning.
    official_hosts: tuple[str, ...]
    #: The webhook's path, and the query parameter (or path tail) that names the robot.
    example: str
    #: Whether the platform has 加签 (a signing secret) at all.
    signs: bool
    #: The most one message may measure (see ``markdown.measure``).
    limit: int
    #: The platform's error codes, in Chinese, for the person who reads the message.
    errors: dict[int, str]
    #: Codes that mean "too many messages": waited out once before giving up.
    too_fast: frozenset[int]


#: Messages a minute one robot accepts.
PER_MINUTE = 20

_FACTS: dict[Platform, PlatformFacts] = {
    Platform.DINGTALK: PlatformFacts(
        zh="钉钉",
        official_hosts=("oapi.dingtalk.com",),
        example="https://oapi.dingtalk.com/robot/send?access_token=…",
        signs=True,
        limit=20_000,
        errors={
            310000: "关键词或签名不符：消息中没有机器人安全设置里的自定义关键词，或加签密钥"
                    "（--notify-secret）不对、本机时钟与钉钉相差超过 1 小时，或本机 IP 不在"
                    "机器人的 IP 白名单中",
            300001: "access_token 无效：机器人地址抄错，或机器人已被移除",
            130101: "发送太快：每个机器人每分钟最多 20 条消息",
        },
        too_fast=frozenset({130101}),
    ),
    Platform.WECOM: PlatformFacts(
        zh="企业微信",
        official_hosts=("qyapi.weixin.qq.com",),
        example="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        signs=False,
        limit=4096,
        errors={
            93000: "机器人地址无效：webhook 的 key 抄错，或机器人已被移除",
            40058: "消息内容超长或格式不对（markdown 内容最多 4096 字节）",
            45009: "发送太频繁：每个机器人每分钟最多 20 条消息",
        },
        too_fast=frozenset({45009}),
    ),
    Platform.FEISHU: PlatformFacts(
        zh="飞书",
        official_hosts=("open.feishu.cn", "open.larksuite.com"),
        example="https://open.feishu.cn/open-apis/bot/v2/hook/…",
        signs=True,
        limit=20_000,
        errors={
            19021: "签名校验失败：加签密钥（--notify-secret）不对，或本机时钟与飞书相差超过"
                   " 1 小时",
            19022: "本机 IP 不在机器人的 IP 白名单中",
            19024: "消息中没有机器人安全设置里的自定义关键词",
            11232: "发送太频繁",
        },
        too_fast=frozenset({11232}),
    ),
}

_FEISHU_HOOK = re.compile(r"/open-apis/bot/v2/hook/([A-Za-z0-9_-]+)/?")


def platform_of(path: str, query: dict[str, list[str]]) -> tuple[Platform, str] | None:
    """The platform a webhook's path and query say, with the robot's identifier (the token,
    the key or the hook's tail); None when the address is none of the three.

    Known by the path, not the host: a private deployment or a local stand-in has another
    host but the same API.
    """
    if path == "/robot/send":
        return _single(Platform.DINGTALK, query.get("access_token"))
    if path == "/cgi-bin/webhook/send":
        return _single(Platform.WECOM, query.get("key"))
    hook = _FEISHU_HOOK.fullmatch(path)
    if hook is not None:
        return Platform.FEISHU, hook.group(1)
    return None


def _single(platform: Platform, values: list[str] | None) -> tuple[Platform, str] | None:
    # One non-empty value: two tokens in one address leave it unclear which robot is meant.
    if values is None or len(values) != 1 or not values[0].strip():
        return None
    return platform, values[0]
