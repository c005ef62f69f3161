"""The district's match key: a token per person that lets registers with masked IDs be matched.

A register written with ``--mask-ids`` shows ``500381********1234``: two such registers cannot
tell whether they name the same person. A plain hash of the ID would tell, but would also give
the ID away, because there are few enough IDs (a region, a birth date, a sequence number) to
hash every one and look the hash up. So the token is keyed: HMAC-SHA256 of the ID under a key
the district office sets. Without the key, a token says nothing about the ID; with the key,
the ID can be recovered by trying every ID, so the key is given only to those who see full IDs
anyway (whoever runs ``verify`` reads the roster in full). docs/formats.md says the same.

The key's fingerprint is written beside the tokens, so that ``summary`` can tell registers made
with another key (whose tokens cannot be compared) from registers made with its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from certcheck.ids import ID_SHAPE, birth_date, check_char, normalize_id

#: The environment variable that may hold the key itself (``--match-key-file`` wins).
KEY_ENV = "CERTCHECK_MATCH_KEY"
#: Shortest key accepted: a key short enough to guess would let anyone holding a register try
#: keys against its fingerprint and then recover every ID.
MIN_KEY_CHARS = 16
#: A key file is one line; anything much larger is not a key file.
MAX_KEY_FILE_BYTES = 4096
#: Characters of the hex token written per person (128 bits: no two IDs of a country share one).
TOKEN_CHARS = 32
#: Characters of the hex fingerprint.
FINGERPRINT_CHARS = 16
#: What a token is computed over, before the ID: a fixed label, so that the key used for the
#: tokens cannot be made to produce the fingerprint or anything else.
_TOKEN_LABEL = b"certcheck match token v1\x00"
_FINGERPRINT_LABEL = b"certcheck match key fingerprint v1"
#: How to make a key, for the messages.
MAKE_KEY_HINT = (
    "可用 python -c \"import secrets; print(secrets.token_urlsafe(32))\" > 比对密钥.txt 生成"
)


class MatchKeyError(ValueError):
    """The key cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class MatchKey:
    secret: bytes

    @classmethod
    def from_text(cls, text: str, where: str) -> MatchKey:
        secret = text.strip()
        if len(secret) < MIN_KEY_CHARS:
            raise MatchKeyError(
                f"{where}：比对密钥太短（{len(secret)} 个字符，至少 {MIN_KEY_CHARS} 个），"
                f"请用随机生成的密钥；{MAKE_KEY_HINT}（match key too short）"
            )
        return cls(secret.encode("utf-8"))

    @property
    def fingerprint(self) -> str:
        digest = hmac.new(self.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
        return digest[:FINGERPRINT_CHARS]

    def token(self, id_number: str) -> str:
        """The token of a canonical ID (see :func:`canonical_id`)."""
        digest = hmac.new(self.secret, _TOKEN_LABEL + id_number.encode("ascii"),
                          hashlib.sha256).hexdigest()
        return digest[:TOKEN_CHARS]


def load_key(path: Path | None) -> MatchKey | None:
    """The key from ``path``, else from the environment, else None."""
    if path is not None:
        try:
            if path.stat().st_size > MAX_KEY_FILE_BYTES:
                raise MatchKeyError(f"{path}：不是比对密钥文件（太大）（not a key file）")
            data = path.read_bytes()
        except OSError as exc:
            raise MatchKeyError(
                f"无法读取比对密钥文件 {path}（{exc.strerror or exc}）（cannot read the key file）"
            ) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MatchKeyError(f"{path}：比对密钥文件不是 UTF-8 文本（not text）") from None
        return MatchKey.from_text(text, str(path))
    value = os.environ.get(KEY_ENV)
    if value:
        return MatchKey.from_text(value, f"环境变量 {KEY_ENV}")
    return None


def canonical_id(text: str | None) -> str | None:
    """The ID a register's text names for matching: a well-formed 18-character ID with a real
    birth date and the right check character; None for a masked, short or mistyped one, which
    may not be matched with anybody."""
    if not text:
        return None
    # What certcheck wrote is normalised already; only text a person typed needs folding.
    value = text if ID_SHAPE.fullmatch(text) else normalize_id(text)
    if not ID_SHAPE.fullmatch(value) or birth_date(value) is None:
        return None
    return value if check_char(value[:17]) == value[17] else None
