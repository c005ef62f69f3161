"""The group robots to post to: which platform an address is, its secret, and the signed
request for one message.

A robot's address holds its credential (钉钉's ``access_token``, 企业微信's ``key``, 飞书's hook
id): whoever has it can post to the group. So it is never shown whole: a robot is named by its
platform, its host and the last four characters of the credential (``钉钉机器人 …3f9a``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from certcheck.notify.platforms import Platform, platform_of
from certcheck.notify.signing import dingtalk_sign, feishu_sign

#: The environment variables a secret may come from, so that it stays out of shell history:
#: one per platform, then one for any signing robot.
SECRET_ENV = {
    Platform.DINGTALK: "CERTCHECK_DINGTALK_SECRET",
    Platform.FEISHU: "CERTCHECK_FEISHU_SECRET",
}
ANY_SECRET_ENV = "CERTCHECK_NOTIFY_SECRET"


class RobotError(ValueError):
    """A robot address or secret that cannot be used; the message is Chinese and shows no
    credential."""


@dataclass(frozen=True, slots=True)
class Robot:
    platform: Platform
    #: The address as given: it holds the credential, so it is left out of ``repr``.
    url: str = field(repr=False)
    #: The credential inside ``url``.
    ident: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def label(self) -> str:
        """``钉钉机器人 …3f9a``: enough to tell two robots apart, not enough to post. A
        credential too short to lose four characters (no platform's is) shows none."""
        tail = self.ident[-4:] if len(self.ident) >= 12 else ""
        return f"{self.platform.zh}机器人 …{tail}"

    @property
    def fingerprint(self) -> str:
        """What the record of sent reminders knows a robot by: a hash of its address, which
        cannot be turned back into the credential (a long random token)."""
        parts = urlsplit(self.url)
        text = "\x1f".join((self.platform.value, parts.hostname or "", str(parts.port or ""),
                            self.ident))
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        return f"Robot({self.label})"


def parse_robot(url: str) -> Robot:
    """The robot an address names; ``RobotError`` when it is no 钉钉, 企业微信 or 飞书 webhook."""
    text = url.strip()
    parts = urlsplit(text)
    known = None
    if parts.scheme in ("http", "https") and parts.hostname:
        known = platform_of(parts.path, parse_qs(parts.query, keep_blank_values=True))
    if known is None:
        raise RobotError(
            f"--notify {shown_url(text)} 不是钉钉、企业微信或飞书的群机器人地址；应为 "
            + "、".join(p.facts.example for p in Platform)
            + "（not a group robot webhook）"
        )
    platform, ident = known
    return Robot(platform, text, ident)


def shown_url(url: str) -> str:
    """An address as it may be shown: scheme, host and path, every query value and the tail
    of a 飞书 hook replaced by ``…``."""
    parts = urlsplit(url)
    path = parts.path
    if "/hook/" in path:
        path = path[: path.index("/hook/") + len("/hook/")] + "…"
    query = "&".join(f"{name}=…" for name in parse_qs(parts.query, keep_blank_values=True))
    shown = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], path, query, ""))
    return shown[:200]


def with_secrets(
    robots: Sequence[Robot], secrets: Sequence[str], environ: Mapping[str, str]
) -> list[Robot]:
    """Each robot with its signing secret.

    The n-th ``--notify-secret`` belongs to the n-th robot that can sign (钉钉 and 飞书, in the
    order of ``--notify``; 企业微信 takes none); an empty one means "not signed". A signing robot
    without one takes ``CERTCHECK_DINGTALK_SECRET`` / ``CERTCHECK_FEISHU_SECRET``, else
    ``CERTCHECK_NOTIFY_SECRET``, else is not signed (the robot may be secured by a keyword or
    an IP list instead).
    """
    signing = [r for r in robots if r.platform.facts.signs]
    if len(secrets) > len(signing):
        raise RobotError(
            f"给了 {len(secrets)} 个 --notify-secret，但只有 {len(signing)} 个机器人需要加签"
            "（钉钉、飞书；企业微信不加签）；第 n 个密钥对应第 n 个钉钉或飞书机器人"
            "（more secrets than signing robots）"
        )
    remaining = list(secrets)
    out: list[Robot] = []
    for robot in robots:
        secret: str | None = None
        if robot.platform.facts.signs:
            secret = remaining.pop(0) if remaining else (
                environ.get(SECRET_ENV[robot.platform]) or environ.get(ANY_SECRET_ENV))
        out.append(Robot(robot.platform, robot.url, robot.ident, (secret or "").strip() or None))
    return out


def unique(robots: Sequence[Robot]) -> tuple[list[Robot], list[Robot]]:
    """The robots with each one once, and those given again (posting twice to one group)."""
    seen: set[str] = set()
    kept: list[Robot] = []
    again: list[Robot] = []
    for robot in robots:
        (again if robot.fingerprint in seen else kept).append(robot)
        seen.add(robot.fingerprint)
    return kept, again


def warnings(robot: Robot) -> list[str]:
    """What the user should know before names go out: a host that is not the platform's, an
    unencrypted address."""
    said: list[str] = []
    host = robot.host
    loopback = _loopback(host)
    facts = robot.platform.facts
    if host not in facts.official_hosts and not loopback:
        said.append(f"{robot.label} 的地址不是{facts.zh}的官方地址 "
                    f"{'、'.join(facts.official_hosts)}，消息将发往 {host}；请确认这是本单位"
                    "的私有部署或网关（not the platform's own host）")
    if urlsplit(robot.url).scheme == "http" and not loopback:
        said.append(f"{robot.label} 的地址是 http，姓名和打码的身份证号将以明文经网络发送；"
                    "请改用 https（not encrypted）")
    return said


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Request:
    url: str = field(repr=False)
    body: bytes


def request_for(robot: Robot, payload: Mapping[str, object], now_s: float) -> Request:
    """The POST that delivers ``payload``, signed when the robot has a secret. ``now_s`` is
    the real time (the platforms refuse a signature more than an hour off their clock)."""
    url = robot.url
    body: dict[str, object] = dict(payload)
    if robot.secret is not None and robot.platform is Platform.DINGTALK:
        timestamp_ms = int(now_s * 1000)
        url = _with_query(url, timestamp=str(timestamp_ms),
                          sign=dingtalk_sign(robot.secret, timestamp_ms))
    elif robot.secret is not None and robot.platform is Platform.FEISHU:
        timestamp_s = int(now_s)
        body = {"timestamp": str(timestamp_s), "sign": feishu_sign(robot.secret, timestamp_s),
                **body}
    return Request(url, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _with_query(url: str, **extra: str) -> str:
    """``url`` with ``extra`` set in its query, replacing any of those names already there (an
    address copied together with an old signature)."""
    parts = urlsplit(url)
    pairs = [(name, value)
             for name, values in parse_qs(parts.query, keep_blank_values=True).items()
             if name not in extra for value in values]
    # Every reserved character encoded: a base64 signature holds ``+``, ``/`` and ``=``.
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}"
                     for k, v in [*pairs, *extra.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
