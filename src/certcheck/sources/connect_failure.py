"""Why no connection to a service could be made, in the words a person reads.

A connection that never came about (a name that does not resolve, a port nobody listens on, a
connection that timed out, a TLS handshake that failed) means nothing was asked: the engine
stops such a run instead of marking everybody unverified. The person is told which of these it
was, since the remedy differs: DNS and "unreachable" point at the network, "refused" at a wrong
``--mem-url``, TLS at a proxy or the clock.

The cause is read from the exception chain first (httpx wraps httpcore, which wraps the
``OSError`` the socket raised) and from the message only as a fallback, for exceptions made
without a chain. The message itself is never shown: an httpx message may quote the URL, which
carries the ID number.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

#: Chinese first, the English term in parentheses.
DNS = "域名无法解析（DNS lookup failed）"
REFUSED = "连接被拒绝（connection refused）"
TIMEOUT = "连接超时（connect timeout）"
TLS = "TLS 握手失败（TLS handshake failed）"
CERTIFICATE = "服务器证书无法验证（TLS certificate not trusted）"
NETWORK = "网络不可达（network unreachable）"
OTHER = "无法建立连接（cannot connect）"

_DNS_WORDS = ("name or service not known", "nodename nor servname", "name resolution",
              "getaddrinfo", "no address associated", "no such host", "errno -2]", "errno -3]",
              "errno -5]", "errno 11001]", "errno 11004]")
_NETWORK_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN,
                             errno.EHOSTDOWN})


def failed_to_connect(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by an httpx request) means no connection was made: nothing was
    sent. A connection that broke or timed out after it was made is not one of these."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def cause(exc: BaseException) -> str:
    """Which kind of connection failure ``exc`` is, for a person."""
    chain = list(_chain(exc))
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return CERTIFICATE
        if isinstance(link, ssl.SSLError):
            return TLS
        if isinstance(link, socket.gaierror):
            return DNS
        if isinstance(link, ConnectionRefusedError):
            return REFUSED
        if isinstance(link, OSError) and link.errno in _NETWORK_ERRNOS:
            return NETWORK
    if any(isinstance(link, httpx.ConnectTimeout | TimeoutError) for link in chain):
        return TIMEOUT
    words = " ".join(str(link) for link in chain).lower()
    if "certificate" in words:
        return CERTIFICATE
    if "ssl" in words or "tls" in words or "handshake" in words:
        return TLS
    if any(w in words for w in _DNS_WORDS):
        return DNS
    if "refused" in words:
        return REFUSED
    if "unreachable" in words:
        return NETWORK
    return OTHER


def where(base_url: str) -> str:
    """The host a person knows the service by: ``cx.mem.gov.cn``, ``127.0.0.1:8000``."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return base_url
    host = url.host or base_url
    return f"{host}:{url.port}" if url.port is not None else host
