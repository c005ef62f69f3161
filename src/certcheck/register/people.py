"""Who a register names, in the little memory ``summary`` can keep for thousands of registers.

``summary`` looks for a person in the registers of two or more enterprises. Per register it
keeps only the workers who can be matched: those whose ID the register holds whole and valid
(packed into an integer), and those whose ID is masked but who carry a keyed match token
(``certcheck.matchkey``, kept as its 16 bytes). For each of them it keeps what the office is
shown when the person is found twice (name, result, sheet and row, the masked ID), in a few
flat columns rather than an object per worker: a few dozen bytes a worker.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from certcheck.ids import ID_SHAPE, mask_id, masked_form
from certcheck.matchkey import FINGERPRINT_CHARS, TOKEN_CHARS, canonical_id
from certcheck.models import Status

TOKEN_SHAPE = re.compile(f"[0-9a-f]{{{TOKEN_CHARS}}}")
FINGERPRINT_SHAPE = re.compile(f"[0-9a-f]{{{FINGERPRINT_CHARS}}}")
TOKEN_BYTES = TOKEN_CHARS // 2
_CHECK_CHARS = "0123456789X"
#: Joins the texts of a column; a text holding it has it replaced, never shifts the column.
_SEP = "\x1f"
_STATUSES = tuple(Status)


def pack_id(canonical: str) -> int:
    """A canonical ID as an integer below 2**63: 17 digits, then the check character."""
    return int(canonical[:17]) * 11 + _CHECK_CHARS.index(canonical[17])


def unpack_id(packed: int) -> str:
    first17, check = divmod(packed, 11)
    return f"{first17:017d}{_CHECK_CHARS[check]}"


def token_prefix(token: bytes) -> int:
    """The first 63 bits of a token: as good as the token for finding candidates, which are
    then compared on the whole token."""
    return int.from_bytes(token[:8], "big") >> 1


def is_masked(id_text: str | None) -> bool:
    return masked_form(id_text) is not None


@dataclass(frozen=True, slots=True)
class Worker:
    """One matchable worker of a register, as the office is shown them."""

    #: The packed whole ID, or the 16 bytes of the match token.
    identity: int | bytes
    name: str | None
    status: Status
    sheet: str | None
    row: int
    #: The ID as it may be shown: masked.
    id_shown: str


def _joined(texts: list[str | None]) -> str:
    return _SEP.join((t or "").replace(_SEP, "\ufffd") for t in texts)


def _split(text: str, count: int) -> list[str | None]:
    if not count:
        return []
    return [t or None for t in text.split(_SEP)]


@dataclass(frozen=True, slots=True)
class People:
    #: Workers whose ID the register holds whole and valid, packed (``pack_id``).
    ids: array[int] = field(default_factory=lambda: array("q"))
    #: Workers whose ID is masked but who carry a match token: the tokens, 16 bytes each.
    tokens: bytes = b""
    #: Workers whose ID is masked and who carry no token: nobody can be matched with them.
    unmatchable: int = 0
    #: The fingerprint of the key that made the register's tokens, if it has any.
    fingerprint: str | None = None
    # The ID workers, then the token workers: names, results, sheets, rows; the masked IDs
    # of the token workers.
    names: str = ""
    statuses: bytes = b""
    sheets: str = ""
    rows: array[int] = field(default_factory=lambda: array("q"))
    shown: str = ""

    @property
    def token_count(self) -> int:
        return len(self.tokens) // TOKEN_BYTES

    def token_list(self) -> Iterator[bytes]:
        for i in range(0, len(self.tokens), TOKEN_BYTES):
            yield self.tokens[i:i + TOKEN_BYTES]

    def workers(self) -> Iterator[Worker]:
        """Every matchable worker, the ID workers first."""
        total = len(self.ids) + self.token_count
        names, sheets = _split(self.names, total), _split(self.sheets, total)
        shown = _split(self.shown, self.token_count)
        identities: list[int | bytes] = [*self.ids, *self.token_list()]
        for i, identity in enumerate(identities):
            if isinstance(identity, int):
                masked = mask_id(unpack_id(identity))
            else:
                masked = shown[i - len(self.ids)] or ""
            yield Worker(identity, names[i], _STATUSES[self.statuses[i]], sheets[i],
                         self.rows[i], masked)


#: What a reader gives per worker: the ID as the register shows it, the match token (or None),
#: the name, the result, the sheet and the row.
Row = tuple[str | None, str | None, str | None, Status, str | None, int]


@dataclass(slots=True)
class _Columns:
    names: list[str | None] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    sheets: list[str | None] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def add(self, name: str | None, status: int, sheet: str | None, row: int) -> None:
        self.names.append(name)
        self.statuses.append(status)
        self.sheets.append(sheet)
        self.rows.append(row)


_STATUS_INDEX = {s: i for i, s in enumerate(_STATUSES)}


def collect(rows: Iterable[Row], fingerprint: str | None) -> People:
    ids: array[int] = array("q")
    tokens = bytearray()
    by_id, by_token = _Columns(), _Columns()
    shown: list[str | None] = []
    unmatchable = 0
    for id_text, token, name, status, sheet, row in rows:
        # An ID as certcheck writes it (18 plain characters) is never a masked one: the masked
        # forms hold "*" or four X in the middle. Most rows skip the folding.
        if id_text is not None and ID_SHAPE.fullmatch(id_text):
            canonical = canonical_id(id_text)
            if canonical is not None:
                ids.append(pack_id(canonical))
                by_id.add(name, _STATUS_INDEX[status], sheet, row)
            continue
        if is_masked(id_text):
            if token is None:
                unmatchable += 1
                continue
            tokens += bytes.fromhex(token)
            shown.append(masked_form(id_text))
            by_token.add(name, _STATUS_INDEX[status], sheet, row)
            continue
        canonical = canonical_id(id_text)
        if canonical is not None:
            ids.append(pack_id(canonical))
            by_id.add(name, _STATUS_INDEX[status], sheet, row)
    return People(
        ids=ids, tokens=bytes(tokens), unmatchable=unmatchable, fingerprint=fingerprint,
        names=_joined(by_id.names + by_token.names),
        statuses=bytes(by_id.statuses + by_token.statuses),
        sheets=_joined(by_id.sheets + by_token.sheets),
        rows=array("q", by_id.rows + by_token.rows), shown=_joined(shown),
    )
