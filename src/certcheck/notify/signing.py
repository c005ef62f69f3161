"""The signatures 钉钉 and 飞书 custom robots ask for when 加签 is switched on. Pure.

Both are HMAC-SHA256 over the time and the robot's secret, base64-encoded, and both are checked
against the platform's clock (within an hour), so the time is the real one, never ``--as-of``.
企业微信 robots have no signing: the ``key`` in their address is the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉: the secret is the key, ``timestamp\\nsecret`` the message; the result goes, URL
    encoded, into the ``sign`` query parameter beside ``timestamp`` (milliseconds)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书: ``timestamp\\nsecret`` is the key and the message is empty; the result goes into
    the body as ``sign`` beside ``timestamp`` (seconds, as a string)."""
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
