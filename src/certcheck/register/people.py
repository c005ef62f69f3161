"""Who a register names, in the little memory ``summary`` can keep for thousands of registers.

``summary`` looks for a person in the registers of two or more enterprises. It keeps, per
register, only a number per worker: the worker's ID packed into an integer when the register
holds it whole and valid, else the first 63 bits of the worker's keyed match token
(``certcheck.matchkey``) when the register carries one. The names and results of the few people
found twice are read again from their registers; this is only where to look.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from certcheck.matchkey import FINGERPRINT_CHARS, TOKEN_CHARS, canonical_id

TOKEN_SHAPE = re.compile(f"[0-9a-f]{{{TOKEN_CHARS}}}")
FINGERPRINT_SHAPE = re.compile(f"[0-9a-f]{{{FINGERPRINT_CHARS}}}")
_CHECK_CHARS = "0123456789X"


def pack_id(canonical: str) -> int:
    """A canonical ID as an integer below 2**63: 17 digits, then the check character."""
    return int(canonical[:17]) * 11 + _CHECK_CHARS.index(canonical[17])


def unpack_id(packed: int) -> str:
    first17, check = divmod(packed, 11)
    return f"{first17:017d}{_CHECK_CHARS[check]}"


def token_prefix(token: str) -> int:
    """The first 63 bits of a hex token: as good as the token for finding candidates, which
    are then compared on the whole token."""
    return int(token[:16], 16) >> 1


def _packed() -> array[int]:
    return array("q")


@dataclass(frozen=True, slots=True)
class People:
    #: Workers whose ID the register holds whole and valid, packed (``pack_id``).
    ids: array[int] = field(default_factory=_packed)
    #: Workers whose ID is masked but who carry a match token: its prefix (``token_prefix``).
    tokens: array[int] = field(default_factory=_packed)
    #: Workers whose ID is masked and who carry no token: nobody can be matched with them.
    unmatchable: int = 0
    #: The fingerprint of the key that made the register's tokens, if it has any.
    fingerprint: str | None = None

    @property
    def masked(self) -> int:
        """Workers whose ID the register shows masked."""
        return len(self.tokens) + self.unmatchable


def is_masked(id_text: str | None) -> bool:
    return id_text is not None and "*" in id_text


def collect(rows: Iterable[tuple[str | None, str | None]], fingerprint: str | None) -> People:
    """``rows``: each worker's ID as the register shows it and its match token (or None)."""
    people = People(fingerprint=fingerprint)
    unmatchable = 0
    for id_text, token in rows:
        canonical = canonical_id(id_text) if not is_masked(id_text) else None
        if canonical is not None:
            people.ids.append(pack_id(canonical))
        elif is_masked(id_text):
            if token is not None:
                people.tokens.append(token_prefix(token))
            else:
                unmatchable += 1
    if unmatchable:
        return People(people.ids, people.tokens, unmatchable, fingerprint)
    return people
