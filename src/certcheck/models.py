"""The values that cross module boundaries: workers, official records, lookup outcomes, findings.

Everything here is a frozen dataclass or an enum so that no layer can change what another
layer produced, and so that outcomes are tagged unions the type checker can follow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from certcheck.dates import record_date
from certcheck.shown import Shown, official_name, official_number
from certcheck.text import garbled


class Status(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    FAKE = "fake"
    UNCERTIFIED = "uncertified"
    UNVERIFIED = "unverified"

    @property
    def zh(self) -> str:
        return STATUS_ZH[self]


STATUS_ZH: dict[Status, str] = {
    Status.VALID: "有效",
    Status.EXPIRED: "逾期",
    Status.FAKE: "假证",
    Status.UNCERTIFIED: "无证",
    Status.UNVERIFIED: "未核验",
}


class Reason(StrEnum):
    OK = "ok"
    VALIDITY_ENDED = "validity_ended"
    REVIEW_OVERDUE = "review_overdue"
    NOT_FOUND = "not_found"
    NAME_MISMATCH = "name_mismatch"
    CERT_NUMBER_MISMATCH = "cert_number_mismatch"
    NO_CERTIFICATE = "no_certificate"
    ITEM_NOT_COVERED = "item_not_covered"
    INVALID_ID = "invalid_id"
    ID_PRECISION_LOST = "id_precision_lost"
    MISSING_FIELD = "missing_field"
    LOOKUP_FAILED = "lookup_failed"
    CAPTCHA_FAILED = "captcha_failed"
    UNRECOGNIZED_RESPONSE = "unrecognized_response"
    REVOKED = "revoked"
    NAME_UNREADABLE = "name_unreadable"
    OTHER_AUTHORITY = "other_authority"
    RECORD_INCOMPLETE = "record_incomplete"
    TOO_RECENT = "too_recent"
    UNKNOWN_ITEM = "unknown_item"
    UNREADABLE_CELL = "unreadable_cell"
    #: The run's ``--scope`` leaves out every item the row declares: counted apart, never
    #: as unverified (``register.model.Verdict``).
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def zh(self) -> str:
        return REASON_ZH[self]


REASON_ZH: dict[Reason, str] = {
    Reason.OK: "有效",
    Reason.VALIDITY_ENDED: "超过有效期",
    Reason.REVIEW_OVERDUE: "逾期未复审",
    Reason.NOT_FOUND: "查无此证",
    Reason.NAME_MISMATCH: "姓名与证件号码不符",
    Reason.CERT_NUMBER_MISMATCH: "证号不符",
    Reason.NO_CERTIFICATE: "未持证",
    Reason.ITEM_NOT_COVERED: "所持证书不含该作业项目",
    Reason.INVALID_ID: "身份证号无效",
    Reason.ID_PRECISION_LOST: "身份证号被存为数字，末位已丢失",
    Reason.MISSING_FIELD: "缺少姓名或身份证号",
    Reason.LOOKUP_FAILED: "查询失败",
    Reason.CAPTCHA_FAILED: "验证码未通过",
    Reason.UNRECOGNIZED_RESPONSE: "查询结果无法识别",
    Reason.REVOKED: "证书已吊销或注销",
    Reason.NAME_UNREADABLE: "姓名含乱码，无法核验",
    Reason.OTHER_AUTHORITY: "证书归其他部门核发，本数据源不能核验",
    Reason.RECORD_INCOMPLETE: "官方记录不完整，无法判定",
    Reason.TOO_RECENT: "新发证书，尚未能查到",
    Reason.UNKNOWN_ITEM: "作业项目无法对应目录，无法判定",
    Reason.UNREADABLE_CELL: "花名册单元格无法识别",
    Reason.OUT_OF_SCOPE: "不在本次核验范围",
}


class FailureKind(StrEnum):
    """Why a source could not answer. Each maps to an unverified reason and nothing else, so a
    failed lookup can never be read as "not found" (lychee keeps error kinds apart the same way).
    """

    LOOKUP_FAILED = "lookup_failed"
    CAPTCHA_FAILED = "captcha_failed"
    UNRECOGNIZED_RESPONSE = "unrecognized_response"

    @property
    def reason(self) -> Reason:
        return Reason(self.value)


class WarningCode(StrEnum):
    DUE_SOON = "due_soon"
    DUPLICATE_ID = "duplicate_id"
    ROSTER_OUTDATED = "roster_outdated"
    UNKNOWN_ITEM = "unknown_item"

    @property
    def zh(self) -> str:
        return WARNING_ZH[self]


#: How many days ahead a review or an expiry makes a worker ``due_soon`` (verify's
#: ``--warn-days``) and gets them listed by ``due`` (``--within``), unless the user says.
DEFAULT_WARN_DAYS = 60

WARNING_ZH: dict[WarningCode, str] = {
    WarningCode.DUE_SOON: "即将到期或需复审",
    WarningCode.DUPLICATE_ID: "身份证号重复",
    WarningCode.ROSTER_OUTDATED: "花名册日期与官方记录不一致",
    WarningCode.UNKNOWN_ITEM: "作业项目无法对应目录",
}


class Regime(StrEnum):
    """The certificate regimes: who issues the certificate and whose lookup holds it."""

    #: 特种作业操作证, 应急管理部门 (the national lookup).
    MEM = "mem"
    #: 特种设备作业人员证, 市场监管部门.
    SPECIAL_EQUIPMENT = "special_equipment"
    #: 建筑施工特种作业操作资格证, 住房城乡建设部门.
    CONSTRUCTION = "construction"

    @property
    def zh(self) -> str:
        return REGIME_ZH[self]

    @property
    def authority(self) -> str:
        return REGIME_AUTHORITY[self]

    @property
    def validity_years(self) -> int:
        """How long one certificate of the regime is valid."""
        return REGIME_VALIDITY_YEARS[self]

    @property
    def reviewed_every_three_years(self) -> bool:
        """Only 特种作业 certificates have the 3-year 复审 (Order No. 30); the others are
        renewed at the end of their validity, so their records need no 应复审日期."""
        return self is Regime.MEM


REGIME_ZH: dict[Regime, str] = {
    Regime.MEM: "特种作业操作证",
    Regime.SPECIAL_EQUIPMENT: "特种设备作业人员证",
    Regime.CONSTRUCTION: "建筑施工特种作业操作资格证",
}
#: 特种作业 6 years (Order No. 30); 特种设备 4 years (TSG Z6001-2019); 建筑施工 2 years
#: (建质〔2008〕75号, extended by 延期复核 into a new end date on the record).
REGIME_VALIDITY_YEARS: dict[Regime, int] = {
    Regime.MEM: 6,
    Regime.SPECIAL_EQUIPMENT: 4,
    Regime.CONSTRUCTION: 2,
}
REGIME_AUTHORITY: dict[Regime, str] = {
    Regime.MEM: "应急管理部门",
    Regime.SPECIAL_EQUIPMENT: "市场监管部门",
    Regime.CONSTRUCTION: "住房城乡建设部门",
}
#: The regimes as an office names the work they cover, and as ``--scope`` takes them.
REGIME_SHORT_ZH: dict[Regime, str] = {
    Regime.MEM: "特种作业",
    Regime.SPECIAL_EQUIPMENT: "特种设备",
    Regime.CONSTRUCTION: "建筑施工",
}
#: The regimes' names in ``--scope`` and in registers (``scope``), beside the Chinese ones.
SCOPE_NAMES: dict[Regime, str] = {
    Regime.MEM: "special-operations",
    Regime.SPECIAL_EQUIPMENT: "special-equipment",
    Regime.CONSTRUCTION: "construction",
}
#: ``--scope``'s name for every regime: the default, today's behaviour.
SCOPE_ALL = "all"
_SCOPE_WORDS: dict[str, Regime | None] = {
    SCOPE_ALL: None, "全部": None,
    **{name: regime for regime, name in SCOPE_NAMES.items()},
    **{zh: regime for regime, zh in REGIME_SHORT_ZH.items()},
}
_SCOPE_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which certificate regimes a run checks (``verify --scope``). ``regimes`` None: all of
    them, as before the option existed. A worker whose every declared item lies outside is
    ``out_of_scope``: listed, counted apart, and no reason for the run to be incomplete."""

    regimes: frozenset[Regime] | None = None

    @property
    def everything(self) -> bool:
        return self.regimes is None

    @property
    def name(self) -> str:
        """``all``, ``special-operations``, ``special-operations,special-equipment``."""
        if self.regimes is None:
            return SCOPE_ALL
        return ",".join(SCOPE_NAMES[r] for r in Regime if r in self.regimes)

    @property
    def zh(self) -> str:
        """``全部``, ``特种作业``, ``特种作业、特种设备``."""
        if self.regimes is None:
            return "全部"
        return "、".join(REGIME_SHORT_ZH[r] for r in Regime if r in self.regimes)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``特种作业``, ``special-operations``, ``特种作业,特种设备``, ``all`` (or ``全部``);
        ValueError naming the word not understood. ``all`` beside a regime is everything."""
        regimes: set[Regime] = set()
        words = [w for w in _SCOPE_SEPARATORS.split(text.strip()) if w]
        if not words:
            raise ValueError(text)
        for word in words:
            key = word.lower() if word.isascii() else word
            if key not in _SCOPE_WORDS:
                raise ValueError(word)
            regime = _SCOPE_WORDS[key]
            if regime is None:
                return cls()
            regimes.add(regime)
        return cls(frozenset(regimes))


#: The default scope: every regime, as before ``--scope`` existed.
EVERY_REGIME = Scope()


class IdProblem(StrEnum):
    """Why an ID number from the roster cannot be looked up."""

    MISSING = "missing"
    PRECISION_LOST = "precision_lost"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A deciding cell the reader could not understand: an error value, a formula that was
    never calculated, or text that is neither a value nor a known placeholder.

    It travels in place of the value, so no rule can read it as one: the rules give a worker
    with any ``Unreadable`` field ``unverified`` and nothing else, and the register shows where
    it came from.
    """

    #: The column as the roster names it (its header text).
    column: str
    #: The cell as a message may quote it: short, ID numbers masked.
    text: str
    #: Why it was not understood, in Chinese (是错误值, 是没有计算结果的公式, 不是可识别的日期 …).
    why: str
    #: The row a person sees in the spreadsheet.
    row: int | None = None
    #: The roster field of the column (``name``, ``id_number``, ``cert_number``, ``item`` …).
    column_field: str | None = None

    @property
    def message(self) -> str:
        where = f"第 {self.row} 行" if self.row is not None else ""
        return f"{where}{self.column}“{self.text}”{self.why}"


@dataclass(frozen=True, slots=True)
class CertNumber:
    """What a roster's 证号 cell says, understood.

    ``numbers`` are compared with the official numbers one by one; empty when the cell holds
    no comparable number (a number Excel stored as a float, whose last digits may be lost; a
    card being reissued; a certificate still being trained for). ``claims`` is False when the
    cell says there is no card yet (培训中, 待发证): the row then claims no certificate.
    """

    shown: str
    numbers: tuple[str, ...] = ()
    claims: bool = True


#: A deciding roster value: understood (``T``), explicitly none (None: empty or a placeholder),
#: or not understood (``Unreadable``).
DateField = date | Unreadable | None
TextField = str | Unreadable | None
CertField = CertNumber | Unreadable | None


@dataclass(frozen=True, slots=True)
class Declared:
    """What the roster row claims about the worker's certificate and work.

    Every field is understood, None, or ``Unreadable``: the type checker makes every rule tell
    them apart, and ``rules`` reads them only through a view built when none is unreadable.
    """

    cert_number: CertField = None
    category: TextField = None
    item: TextField = None
    first_issued: DateField = None
    valid_from: DateField = None
    valid_until: DateField = None
    review_due: DateField = None
    reviewed: DateField = None
    #: The issuing body the roster names (发证机关), if it has such a column.
    issuer: TextField = None

    @property
    def unreadable(self) -> tuple[Unreadable, ...]:
        """The fields not understood, in column order."""
        values = (
            self.cert_number, self.category, self.item, self.first_issued, self.valid_from,
            self.valid_until, self.review_due, self.reviewed, self.issuer,
        )
        # Nearly every row has none: one pass over the types, no tuple built for them.
        if Unreadable not in map(type, values):
            return ()
        return tuple(value for value in values if isinstance(value, Unreadable))

    @property
    def claims_certificate(self) -> bool:
        """The row claims a certificate: its 证号 cell claims one, or it gives a certificate
        date (understood values only; a cell not understood claims nothing either way)."""
        cert = self.cert_number
        if isinstance(cert, CertNumber) and cert.claims:
            return True
        return any(
            isinstance(d, date)
            for d in (
                self.first_issued, self.valid_from, self.valid_until, self.review_due,
                self.reviewed,
            )
        )

    @property
    def cert_shown(self) -> str | None:
        """The 证号 cell as the register shows it."""
        return shown_text(self.cert_number)

    @property
    def category_shown(self) -> str | None:
        return shown_text(self.category)

    @property
    def item_shown(self) -> str | None:
        return shown_text(self.item)


def shown_text(value: CertField | TextField) -> str | None:
    """A declared text field as outputs show it: the number or text, or the unread cell."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, CertNumber):
        return value.shown
    return value.text


def understood_date(value: DateField) -> date | None:
    """The date for displays that list what the roster says (``due`` from a roster); an
    unreadable cell shows as no date there, and never reaches a rule this way."""
    return value if isinstance(value, date) else None


@dataclass(frozen=True, slots=True)
class OtherRow:
    """Another roster row, as a worker's row may need to name it."""

    row: int
    name: str
    sheet: str | None = None
    #: The name as the cell wrote it, when a marker was taken off.
    written_name: str | None = None


@dataclass(frozen=True, slots=True)
class Worker:
    """One data row of the roster, normalised.

    ``id_number`` holds the normalised text (upper-case X, no spaces) whenever there was any,
    even when it is invalid, so outputs can show what the roster said. ``id_problem`` says
    whether it may be looked up.
    """

    row: int
    name: str | None
    id_number: str | None
    id_problem: IdProblem | None = None
    declared: Declared = field(default_factory=Declared)
    #: The sheet the row is on (None for a CSV or a single-table file).
    sheet: str | None = None
    #: For rows that one merged person cell spans (one person over several item rows): the
    #: row of the merge's first cell, the same for all of them. None otherwise.
    group: int | None = None
    #: The name or ID cell could not be read (an error value, a formula with no value): the
    #: worker is not looked up and stays unverified.
    unreadable: tuple[Unreadable, ...] = ()
    #: The name as the cell wrote it, when a note or marker was taken off (张伟2, 【外协】李娜):
    #: a record carrying that spelling is still the worker's, never a name mismatch.
    written_name: str | None = None
    #: Other rows of the roster that give this very ID under another name: the roster
    #: contradicts itself about whose ID it is (often one pasted into the next row).
    shared_with: tuple[OtherRow, ...] = ()

    @property
    def name_unreadable(self) -> bool:
        """The name holds ``?`` or ``\ufffd`` left by a lossy save: it names nobody for sure."""
        return garbled(self.name)

    @property
    def shown_name(self) -> str | None:
        """The name as outputs show it: the name read, or what an unreadable name cell held,
        so that the row can be found and mended."""
        if self.name is not None:
            return self.name
        return next((u.text for u in self.unreadable if u.column_field == "name"), None)

    @property
    def lookup_key(self) -> tuple[str, str] | None:
        """(id_number, name) when this worker can be looked up, else None."""
        if self.id_problem is not None or not self.id_number or not self.name:
            return None
        if self.name_unreadable or self.unreadable:
            return None
        return (self.id_number, self.name)


@dataclass(frozen=True, slots=True)
class InputIssue:
    """Something odd in the roster that was fixed or could not be fixed."""

    row: int | None
    code: str
    message: str
    #: The sheet of ``row`` when the roster's rows come from several sheets (the message says
    #: so too); None otherwise.
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class CertRecord:
    """One official certificate record, as the national lookup shows it.

    ``name`` is None when the source matched name and ID itself and sent no name (the national
    lookup does): the record is then the queried person's.
    """

    name: str | None
    id_number: str
    cert_number: str | None
    category: str | None
    item: str | None
    first_issued: date | None
    valid_from: date | None
    valid_until: date | None
    review_due: date | None
    reviewed: date | None
    issuer: str | None
    #: The official status text (证书状态 / certStatus), e.g. 有效, 注销; None when not given.
    status_text: str | None = None
    #: Where the record came from, for messages (``registry.csv 第 12 行``); None for a lookup.
    origin: str | None = None
    #: An older certificate the lookup lists under 历史数据; it never decides over a current one.
    history: bool = False
    #: Further official status values beside ``status_text``, when the source sends several: a
    #: dictionary code beside its name (``certStatusName: 注销``, ``certStatus: 05``), or two
    #: status keys. All of them count (``status_meaning``).
    other_statuses: tuple[str, ...] = ()

    @property
    def statuses(self) -> tuple[str, ...]:
        """Every official status value given, ``status_text`` first; blank ones left out."""
        text = self.status_text
        first = (text,) if text is not None and text.strip() else ()
        if not self.other_statuses:
            return first
        return first + tuple(v for v in self.other_statuses if v.strip())

    @property
    def status_shown(self) -> str | None:
        """The official status values as outputs show them (``注销 / 05``); None when none."""
        values = self.statuses
        return " / ".join(values) if values else None

    @property
    def status_meaning(self) -> StatusClass | None:
        """What the official status values say together (``statuses_class``); None when they
        say nothing sure, or when there are none."""
        if not self.other_statuses:
            text = self.status_text
            # One value: a code has no status word in it, so ``status_class`` is its meaning.
            return status_class(text) if text is not None and text.strip() else None
        return statuses_class(self.statuses)

    @property
    def holder(self) -> Shown | None:
        """The holder's name as far as the record shows it (masked, 张*, or garbled, 张?, it is
        compared only as ``shown`` says); None when the record gives no name."""
        name = self.name
        return official_name(name) if name is not None else None

    @property
    def number_shown(self) -> Shown | None:
        """The 证号 as far as the record shows it; None when the record gives none."""
        number = self.cert_number
        return official_number(number) if number and not number.isspace() else None

    @property
    def revoked(self) -> bool:
        """The official status says the certificate no longer counts (吊销, 撤销, 注销, 无效)."""
        return self.status_meaning is StatusClass.WITHDRAWN

    @property
    def lapsed(self) -> bool:
        """The official status says the certificate ran out or missed its review (失效, 过期):
        the dates must show why, or the record decides nothing."""
        return self.status_meaning is StatusClass.LAPSED

    @property
    def status_understood(self) -> bool:
        """The official status is absent or says one known thing. A code alone (``0``, ``05``)
        may mean 注销 as well as 有效, and so may an unknown word or two words of different
        meanings: they decide nothing."""
        return self.status_meaning is not None or not self.statuses

    def to_dict(self) -> dict[str, str | None]:
        """The record with the registry's (Chinese) keys and ISO dates."""
        data: dict[str, str | None] = {
            label: _iso(getattr(self, attr)) if attr in DATE_FIELDS else getattr(self, attr)
            for label, attr in RECORD_FIELDS
        }
        if self.status_text is not None:
            data[STATUS_LABEL] = self.status_text
        if self.other_statuses:
            data[OTHER_STATUS_LABEL] = STATUS_SEPARATOR.join(self.other_statuses)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> CertRecord:
        """The inverse of ``to_dict``: registry labels, dates as ``YYYY-MM-DD`` (``YYYY-MM`` for
        a date the official record gives to the month only)."""
        values: dict[str, object] = {}
        for label, attr in RECORD_FIELDS:
            raw = data.get(label)
            if attr in DATE_FIELDS:
                values[attr] = record_date(str(raw)) if raw else None
            else:
                values[attr] = str(raw) if raw not in (None, "") else None
        status = data.get(STATUS_LABEL)
        values["status_text"] = str(status) if status not in (None, "") else None
        others = data.get(OTHER_STATUS_LABEL)
        if others not in (None, ""):
            values["other_statuses"] = tuple(str(others).split(STATUS_SEPARATOR))
        return cls(**values)  # type: ignore[arg-type]


#: Registry/JSON labels in their official order, with the attribute each one fills.
RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("姓名", "name"),
    ("证件号码", "id_number"),
    ("证号", "cert_number"),
    ("作业类别", "category"),
    ("操作项目", "item"),
    ("初领日期", "first_issued"),
    ("有效期开始日期", "valid_from"),
    ("有效期结束日期", "valid_until"),
    ("应复审日期", "review_due"),
    ("实际复审日期", "reviewed"),
    ("签发机关", "issuer"),
)
#: The optional label of the official status text (证书状态).
STATUS_LABEL = "证书状态"
#: The label of a record's further status values (``CertRecord.other_statuses``), joined by
#: ``STATUS_SEPARATOR``.
OTHER_STATUS_LABEL = "其他证书状态"
STATUS_SEPARATOR = "；"
#: Status words meaning the certificate was withdrawn and does not count. 失效 is not among
#: them: the national lookup also says 失效 of a certificate that merely ran out, which the
#: dates decide.
REVOKED_WORDS = ("吊销", "撤销", "注销", "无效", "暂扣")
#: Status words whose meaning is known: the withdrawn ones above, those of a certificate in
#: force, and those of one that ran out or missed its review (the dates decide those).
IN_FORCE_WORDS = ("有效", "正常", "在用", "已复审")
#: Status words of a certificate that ran out or missed its review: the dates decide, and
#: must show it.
LAPSED_WORDS = ("失效", "过期", "逾期", "到期", "超期")
KNOWN_STATUS_WORDS = (*REVOKED_WORDS, *IN_FORCE_WORDS, *LAPSED_WORDS)
# A status word under a negation says the opposite or nothing sure (未注销, 正常（未吊销）,
# 未到期, 不在有效期内); 逾期未复审 negates no status word.
_NEGATED = re.compile("[未非不没].{0,2}?(?:" + "|".join(KNOWN_STATUS_WORDS) + ")")


#: A value shown with the key it came under (``validFlag:有效``): a source writes it so when no
#: mapping says what the value means, so its words say nothing either.
_RAW_KEYED = re.compile(r"\s*[A-Za-z][A-Za-z0-9_]*\s*:")


class StatusClass(StrEnum):
    """What an official 证书状态 text says, when it says one thing."""

    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    IN_FORCE = "in_force"


@lru_cache(maxsize=1024)
def status_class(text: str) -> StatusClass | None:
    """The one meaning of a 证书状态 text; None for a code, an unknown word, a garbled text, a
    negated word or words of two meanings (吊销 with 有效). Words are taken out as they are
    found, withdrawn first, so 无效 is not also read as 有效."""
    if garbled(text) or _NEGATED.search(text) is not None or _RAW_KEYED.match(text):
        return None
    rest = text
    found: list[StatusClass] = []
    for kind, words in (
        (StatusClass.WITHDRAWN, REVOKED_WORDS),
        (StatusClass.LAPSED, LAPSED_WORDS),
        (StatusClass.IN_FORCE, IN_FORCE_WORDS),
    ):
        if any(word in rest for word in words):
            found.append(kind)
            for word in words:
                rest = rest.replace(word, "")
    return found[0] if len(found) == 1 else None


#: A dictionary code as a status value: ASCII letters and digits (``0``, ``05``, ``A1``), no word.
_STATUS_CODE = re.compile(r"[0-9A-Za-z_.\-]{1,20}")


def is_status_code(text: str) -> bool:
    """The status value is a code (``0``, ``05``), not a word: alone it says nothing known."""
    return _STATUS_CODE.fullmatch(text.strip()) is not None


@lru_cache(maxsize=1024)
def statuses_class(values: tuple[str, ...]) -> StatusClass | None:
    """The one meaning of a record's status values. Words decide: a code beside words is taken
    for their code. None when there is no word (codes alone), when a word has no known meaning,
    or when the words mean different things (a name and a translated code that disagree)."""
    classes = {status_class(v) for v in values if not is_status_code(v)}
    return classes.pop() if len(classes) == 1 else None


DATE_FIELDS = frozenset(
    {"first_issued", "valid_from", "valid_until", "review_due", "reviewed"}
)


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


@dataclass(frozen=True, slots=True)
class SourceTraits:
    """What the rules must know of the source that answered.

    ``regimes``: the certificate regimes it holds, so a worker whose item another authority
    certifies is not called fake for being absent. ``publication_delay``: how long a newly
    issued certificate takes to become findable in it.
    """

    regimes: frozenset[Regime] = frozenset({Regime.MEM})
    publication_delay: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Query:
    """What a source is asked: one person, by ID number and name."""

    id_number: str
    name: str


@dataclass(frozen=True, slots=True)
class Found:
    """The source answered with at least one record for this ID number."""

    records: tuple[CertRecord, ...]
    raw: str | None = None
    #: What a reader of the raw answer should know (keys the source did not understand, the
    #: spellings of the name that were asked); not part of the decision.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class NotFound:
    """The source answered definitively that it holds nothing for this person."""

    raw: str | None = None
    #: As for ``Found``: e.g. the spellings of the name that were asked, all in vain.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The source could not answer. Never a reason to call a worker fake or uncertified.

    ``kind`` is a ``FailureKind``, which only maps to unverified reasons. A plugin that passes
    anything else (``Reason.NOT_FOUND``, a string) gets ``lookup_failed``: a failure is never
    read as an answer.
    """

    kind: FailureKind
    detail: str
    raw: str | None = None
    #: Worth trying again (transport error, timeout, 5xx, 429); the engine retries these.
    transient: bool = False
    #: Seconds the server asked us to wait (``Retry-After``), if it said.
    retry_after: float | None = None
    #: No connection to the service could be made (its name did not resolve, the connection
    #: was refused or timed out, TLS failed): nothing was asked. The engine stops a run that
    #: keeps getting these instead of writing a register of people nobody asked about.
    unreachable: bool = False

    def __post_init__(self) -> None:
        kind: object = self.kind
        if not isinstance(kind, FailureKind):
            try:
                coerced = FailureKind(str(kind))
            except ValueError:
                coerced = FailureKind.LOOKUP_FAILED
                object.__setattr__(self, "detail", f"{self.detail} (source said {kind!s})")
            object.__setattr__(self, "kind", coerced)

    @property
    def reason(self) -> Reason:
        """The unverified reason this failure gives the worker."""
        return self.kind.reason


Outcome = Found | NotFound | Failed


@dataclass(frozen=True, slots=True)
class Answer:
    """An outcome together with where and when it was obtained."""

    outcome: Outcome
    source: str
    checked_at: datetime
    cached: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """The decision for one worker."""

    worker: Worker
    status: Status
    reason: Reason
    warnings: tuple[WarningCode, ...]
    certificates: tuple[CertRecord, ...]
    decisive: CertRecord | None = None
    answer: Answer | None = None
    detail: str | None = None
