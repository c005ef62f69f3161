"""People found in the registers of two or more enterprises: leads of 转借、冒用 of certificates.

The campaign targets certificates lent to or used by someone else. One ID on the rosters of two
enterprises is such a lead (or a worker who changed jobs): the district office wants to see it.

Who is the same person:

- registers that hold IDs whole are matched on the ID (well formed, with a valid check
  character: a mistyped ID matches nobody);
- registers written with ``--mask-ids`` hold ``500381********1234``, which matches nothing:
  the shown digits are shared by many people. Such a register can be matched only through its
  keyed match tokens (``certcheck.matchkey``), and only when ``summary`` is given the key that
  made them: then every whole ID is turned into its token too, and people are matched on
  tokens. Registers whose tokens another key made, or masked ones without tokens, are said to
  be unmatched, never guessed at.

Only the registers that count are compared (a superseded register is not another enterprise's
roster), enterprise by enterprise as the form counts them: a self-check and an inspection of
one enterprise are one enterprise, and registers that name none count as one, （未注明单位）.
A first pass compares one number per person (the packed ID, or 63 bits of the token); the
people it finds twice are then matched on the whole ID or token. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from certcheck.ids import normalize_id
from certcheck.matchkey import MatchKey
from certcheck.models import Status
from certcheck.register.model import Kind
from certcheck.register.people import People, Worker, token_prefix, unpack_id
from certcheck.summary.enterprises import enterprise_key
from certcheck.summary.supersede import Counted

#: Files named in one message at most; more are counted.
_NAMED_FILES = 5


@dataclass(frozen=True, slots=True)
class Appearance:
    """One person on one enterprise's register."""

    enterprise: str
    kind: Kind
    file: str
    name: str | None
    status: Status
    sheet: str | None
    row: int


@dataclass(frozen=True, slots=True)
class CrossPerson:
    #: The ID as it may be shown: masked.
    id_shown: str
    appearances: tuple[Appearance, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the registers give, in order: two names on one ID is a lead in itself."""
        return tuple(dict.fromkeys(a.name or "（无姓名）" for a in self.appearances))


@dataclass(frozen=True, slots=True)
class CrossCheck:
    people: tuple[CrossPerson, ...] = ()
    #: Distinct people compared; 0 when fewer than two enterprises sent registers.
    compared: int = 0
    #: Enterprises whose registers were counted.
    enterprises: int = 0
    #: Of those, the enterprises with at least one person who could be compared.
    comparable: int = 0
    #: What could not be matched, and why (Chinese, one line each).
    notes: tuple[str, ...] = ()


def cross_check(counted: Sequence[tuple[str, Counted]], key: MatchKey | None) -> CrossCheck:
    """``counted``: each register that counts, with the enterprise it counts for."""
    companies = [enterprise_key(name) for name, _ in counted]
    if len(set(companies)) < 2:
        return CrossCheck()
    fingerprint = key.fingerprint if key is not None else None
    # Tokens only when the key is given and some register needs them: IDs compare as they are.
    by_token = key is not None and any(
        d.people.tokens and d.people.fingerprint == fingerprint for _, d in counted
    )
    used = key if by_token else None
    first: dict[int, int] = {}
    found: set[int] = set()
    comparable: set[int] = set()
    for (_, data), company in zip(counted, _numbers(companies), strict=True):
        for node in _nodes(data.people, used):
            comparable.add(company)
            seen = first.setdefault(node, company)
            if seen != company:
                found.add(node)
    people, contradictions = _resolve(counted, found, used) if found else ((), ())
    return CrossCheck(people=people, compared=len(first), enterprises=len(set(companies)),
                      comparable=len(comparable),
                      notes=(*_notes(counted, key), *contradictions))


def _numbers(companies: list[str]) -> Iterator[int]:
    index: dict[str, int] = {}
    for company in companies:
        yield index.setdefault(company, len(index))


def _nodes(people: People, key: MatchKey | None) -> Iterator[int]:
    """The number each matchable person of a register is compared by: the packed ID, or with
    the key, 63 bits of the token (one the key makes of a whole ID, or the register's own)."""
    if key is None:
        yield from people.ids
        return
    for packed in people.ids:
        yield token_prefix(_token(key, packed))
    if people.fingerprint == key.fingerprint:
        for token in people.token_list():
            yield token_prefix(token)


def _token(key: MatchKey, packed: int) -> bytes:
    return bytes.fromhex(key.token(unpack_id(packed)))


def _identity(worker: Worker, key: MatchKey | None, fingerprint: str | None) -> int | bytes | None:
    """What a worker is matched on, exactly: the packed ID, or with the key, the whole token."""
    if key is None:
        return worker.identity if isinstance(worker.identity, int) else None
    if isinstance(worker.identity, int):
        return _token(key, worker.identity)
    return worker.identity if fingerprint == key.fingerprint else None


def _node(identity: int | bytes) -> int:
    return identity if isinstance(identity, int) else token_prefix(identity)


def _resolve(
    counted: Sequence[tuple[str, Counted]], found: set[int], key: MatchKey | None
) -> tuple[tuple[CrossPerson, ...], tuple[str, ...]]:
    """The people behind the numbers found in two enterprises, matched on the whole ID or
    token, with what their registers say of them; and the tokens that cannot be one person's.

    A token is made from the whole ID, so every register shows its holder's ID masked alike
    (the first six and last four characters). One token beside two different masked IDs was
    copied or edited by hand: it is said, never listed as one person in two enterprises."""
    groups: dict[int | bytes, list[tuple[str, Appearance, str]]] = {}
    for name, data in counted:
        people = data.people
        if not any(node in found for node in _nodes(people, key)):
            continue
        # Once per register, not per worker: every entry shares the register's strings.
        company, kind, file = enterprise_key(name), data.info.kind, data.path.name
        for worker in people.workers():
            identity = _identity(worker, key, people.fingerprint)
            if identity is None or _node(identity) not in found:
                continue
            groups.setdefault(identity, []).append((
                company,
                Appearance(enterprise=name, kind=kind, file=file,
                           name=worker.name, status=worker.status, sheet=worker.sheet,
                           row=worker.row),
                worker.id_shown,
            ))
    people_found = []
    contradictions = []
    for entries in groups.values():
        if len({company for company, _, _ in entries}) < 2:
            continue
        shown = dict.fromkeys(normalize_id(id_shown) for _, _, id_shown in entries)
        if len(shown) > 1:
            files = "、".join(dict.fromkeys(a.file for _, a, _ in entries))
            contradictions.append(
                f"{files}：同一比对标记对应的身份证号却不同（{'、'.join(shown)}），比对标记或身份证号"
                "可能被改动过，未列为同一人；请核对这些登记表（tokens contradict）")
            continue
        people_found.append(
            CrossPerson(id_shown=entries[0][2], appearances=tuple(a for _, a, _ in entries)))
    return tuple(people_found), tuple(contradictions)


def _files(datas: Iterable[Counted]) -> str:
    names = [d.path.name for d in datas]
    shown = "、".join(names[:_NAMED_FILES])
    return shown if len(names) <= _NAMED_FILES else f"{shown} 等 {len(names)} 份登记表"


def _notes(counted: Sequence[tuple[str, Counted]], key: MatchKey | None) -> Iterator[str]:
    """Which registers' people could not be compared, and what would let them be."""
    datas = [d for _, d in counted]
    bare = [d for d in datas if d.people.unmatchable]
    if bare:
        n = sum(d.people.unmatchable for d in bare)
        yield (f"{_files(bare)}：身份证号已遮挡（--mask-ids），又没有比对标记，其中 {n} 人"
               "无法与其他单位比对（could not match）；核验时用区县的比对密钥"
               "（verify --match-key-file）写入比对标记，才能比对遮挡的身份证号")
    tokened = [d for d in datas if d.people.tokens]
    if key is None and tokened:
        n = sum(d.people.token_count for d in tokened)
        prints = "、".join(sorted({d.people.fingerprint or "" for d in tokened}))
        yield (f"{_files(tokened)}：身份证号已遮挡，带有比对标记（密钥指纹 {prints}），但未给出"
               f"比对密钥，其中 {n} 人无法比对（could not match）；用同一密钥运行 "
               "summary --match-key-file 即可比对")
    elif key is not None:
        foreign = [d for d in tokened if d.people.fingerprint != key.fingerprint]
        if foreign:
            n = sum(d.people.token_count for d in foreign)
            prints = "、".join(sorted({d.people.fingerprint or "" for d in foreign}))
            yield (f"{_files(foreign)}：比对标记由另一密钥写入（密钥指纹 {prints}，本次密钥指纹 "
                   f"{key.fingerprint}），其中 {n} 人无法比对（different key）")
