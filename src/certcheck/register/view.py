"""What every writer shows of a register: masking, the flat worker row and the printed form.

The masking lives here, once, so that ``--mask-ids`` means the same in JSON, CSV and XLSX, and
the flat row lives here so that the CSV columns are the workbook's data columns by construction:
the workbook's register sheet puts the columns an office signs first (:data:`SHEET_COLUMNS`),
made from the very same values (:func:`sheet_row`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from certcheck.ids import mask_id, normalize_id
from certcheck.matchkey import MatchKey, canonical_id
from certcheck.models import CertRecord, Finding, Reason
from certcheck.text import INVISIBLE_CHARS

#: Any run of 15 or more digits (an 18-digit ID may end in X). Free text such as certificate
#: numbers (often ``T`` + the ID) or a source's detail message may quote an ID; masking every
#: ID-shaped run errs on the side of hiding too much rather than too little.
#: An ID-shaped run inside free text: 15 or more digits, ASCII or full-width (a cell typed
#: with a Chinese input method), with invisible characters between them allowed (a cell
#: pasted from a web page or a chat, which a reader sees as the whole number).
_DIGITS = "0-9\uff10-\uff19"
_ID_LIKE = re.compile(
    f"[{_DIGITS}](?:[{INVISIBLE_CHARS}]*[{_DIGITS}]){{13,}}[{INVISIBLE_CHARS}]*[{_DIGITS}Xx\uff38\uff58]"
)
_GAP = "[ \\-\uff0d]?"
_GAPS = re.compile("[ \\-\uff0d]")
#: An ID typed in groups, a space or a hyphen between its parts (region, year, month, day,
#: sequence, check): ``500381 19900101 1234``. The gaps stand only where an ID's parts meet,
#: so that two dates side by side (``2026-12-01 2027-01-01``) are not taken for one.
_GROUPED_ID = re.compile(
    f"(?<![{_DIGITS}])[{_DIGITS}]{{6}}{_GAP}(?:19|20|\uff11\uff19|\uff12\uff10)[{_DIGITS}]{{2}}"
    f"{_GAP}[{_DIGITS}]{{2}}{_GAP}[{_DIGITS}]{{2}}{_GAP}[{_DIGITS}]{{3}}{_GAP}"
    f"[{_DIGITS}Xx\uff38\uff58](?![{_DIGITS}])"
)
#: Own IDs shorter than this are not searched for in free text: a roster typo such as "12"
#: would otherwise blank out every "12" in a certificate number.
_MIN_EMBEDDED = 8

# The workbook's sheet names and its marker, here rather than with the writer so that reading
# a register back does not load xlsxwriter.
MAIN_SHEET = "核验登记表"
SUMMARY_SHEET = "汇总"
ISSUES_SHEET = "输入问题"
MARKER_SHEET = "_certcheck"
#: Identifies the hidden sheet's content.
MARKER_FORMAT = "certcheck-register"
#: Bumped when the layout changes so that an older certcheck could not read it: version 2 put
#: a title and the run's facts above the header row and the signature lines under the table.
FORMAT_VERSION = 2

CACHED_SUFFIX = "（缓存）"
WARNING_SEPARATOR = "；"


class Masker:
    """Masks ID numbers when the register asks for it; otherwise passes values through.

    ``grouped`` also masks an ID typed in groups (``500381 19900101 1234``), which a person
    reads whole: for what a person reads (the terminal, a group chat). A register's cells keep
    the stricter rule, so that two dates or numbers side by side are never taken for one ID."""

    __slots__ = ("enabled", "grouped")

    def __init__(self, enabled: bool, *, grouped: bool = False) -> None:
        self.enabled = enabled
        self.grouped = grouped

    def id(self, value: str | None) -> str | None:
        if not self.enabled or not value:
            return value
        return mask_id(value)

    def text(self, value: str | None, *known_ids: str | None) -> str | None:
        """Mask the given IDs and anything ID-shaped wherever they occur inside ``value``."""
        if not self.enabled or not value:
            return value
        for known in known_ids:
            if known and len(known) >= _MIN_EMBEDDED and known in value:
                value = value.replace(known, mask_id(known))
        value = _ID_LIKE.sub(_masked_run, value)
        return _GROUPED_ID.sub(_masked_run, value) if self.grouped else value


def _masked_run(match: re.Match[str]) -> str:
    return mask_id(normalize_id(_GAPS.sub("", match.group(0))))


#: The hidden sheet of the workbook that holds the match tokens, when a key was given.
MATCH_SHEET = "_certcheck_match"
#: Its header row: the worker's sheet and row (which survive sorting the register), the token.
MATCH_HEADERS = ("sheet", "row", "match_token")
#: The scheme of the tokens, as the registers name it.
MATCH_SCHEME = "hmac-sha256-v1"


def match_token(finding: Finding, key: MatchKey | None) -> str | None:
    """The worker's keyed token: only for an ID the roster gave whole and valid, since a
    token of a mistyped ID would match whoever that typo happens to be."""
    worker = finding.worker
    if key is None or worker.id_problem is not None:
        return None
    canonical = canonical_id(worker.id_number)
    return key.token(canonical) if canonical is not None else None


def official(finding: Finding) -> CertRecord | None:
    """The record whose data the register shows: the decisive one, else the first found."""
    if finding.decisive is not None:
        return finding.decisive
    return finding.certificates[0] if finding.certificates else None


class CellKind(Enum):
    TEXT = "text"
    INT = "int"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: CellKind
    width: float


#: The register sheet's columns, which are also the CSV's, in order.
COLUMNS: tuple[Column, ...] = (
    Column("工作表", CellKind.TEXT, 12),
    Column("行号", CellKind.INT, 6),
    Column("姓名", CellKind.TEXT, 10),
    Column("身份证号", CellKind.TEXT, 21),
    Column("核验结果", CellKind.TEXT, 9),
    Column("原因", CellKind.TEXT, 20),
    Column("提示", CellKind.TEXT, 24),
    Column("申报证号", CellKind.TEXT, 22),
    Column("申报作业类别", CellKind.TEXT, 14),
    Column("申报操作项目", CellKind.TEXT, 18),
    Column("官方证号", CellKind.TEXT, 22),
    Column("官方作业类别", CellKind.TEXT, 14),
    Column("官方操作项目", CellKind.TEXT, 18),
    Column("有效期结束日期", CellKind.DATE, 13),
    Column("应复审日期", CellKind.DATE, 12),
    Column("实际复审日期", CellKind.DATE, 13),
    Column("签发机关", CellKind.TEXT, 20),
    Column("证书状态", CellKind.TEXT, 10),
    Column("核验时间", CellKind.DATETIME, 19),
    Column("数据来源", CellKind.TEXT, 12),
    Column("说明", CellKind.TEXT, 30),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
#: Columns added after the first registers were written; a reader must do without them.
LATER_HEADERS: frozenset[str] = frozenset({"工作表", "证书状态"})
#: Position of the status column, which the workbook colours.
STATUS_COLUMN = HEADERS.index("核验结果")

Cell = str | int | date | datetime | None


#: What an office calls each source certcheck has; a plugin's name is shown as it is given.
SOURCE_ZH: dict[str, str] = {"registry": "本地登记文件", "mem": "国家平台", "replay": "回放",
                             "samr": "特种设备平台"}
_SOURCE_BY_TEXT = {f"{zh}（{name}）": name for name, zh in SOURCE_ZH.items()}
#: Several sources of one run (``mem,samr``) as registers name them, and as they show them.
_SOURCES_JOINED, _SOURCES_SHOWN = ",", "、"


def source_text(name: str) -> str:
    """``本地登记文件（registry）``: the source in Chinese, its name for the command line after;
    several sources one after the other (``国家平台（mem）、特种设备平台（samr）``)."""
    if _SOURCES_JOINED in name:
        return _SOURCES_SHOWN.join(source_text(part) for part in name.split(_SOURCES_JOINED))
    zh = SOURCE_ZH.get(name)
    return f"{zh}（{name}）" if zh else name


def source_name(text: str) -> str:
    """The source's name from what :func:`source_text` shows (registers before it: the name)."""
    if _SOURCES_SHOWN in text:
        return _SOURCES_JOINED.join(source_name(part) for part in text.split(_SOURCES_SHOWN))
    return _SOURCE_BY_TEXT.get(text, text)


def source_label(finding: Finding) -> str | None:
    answer = finding.answer
    if answer is None:
        return None
    shown = source_text(answer.source)
    return shown + CACHED_SUFFIX if answer.cached else shown


def sheet_of(finding: Finding, sheets: Sequence[str]) -> str | None:
    """The roster sheet the worker's row is on: the worker's own, else the one sheet read."""
    if finding.worker.sheet:
        return finding.worker.sheet
    return sheets[0] if len(sheets) == 1 else None


def count_by_sheet(found: Iterable[str | None], sheets: Sequence[str]) -> list[tuple[str, int]]:
    """Workers per sheet: every sheet read, in workbook order (0 when none of its rows are
    here, as in a sample), then any other sheet the rows name."""
    counts = Counter(found)
    listed = [(name, counts.pop(name, 0)) for name in sheets]
    return listed + [(name, n) for name, n in counts.items() if name is not None]


def flat_row(
    finding: Finding, masker: Masker, sheets: Sequence[str] = ()
) -> tuple[Cell, ...]:
    """One worker as the values of :data:`COLUMNS`, masked as the register asks."""
    worker = finding.worker
    declared = worker.declared
    record = official(finding)
    own_id = worker.id_number
    answer = finding.answer
    if record is None:
        rec: tuple[Cell, ...] = (None,) * 8
    else:
        rec = (
            masker.text(record.cert_number, own_id, record.id_number),
            masker.text(record.category),
            masker.text(record.item),
            record.valid_until,
            record.review_due,
            record.reviewed,
            record.issuer,
            record.status_shown,
        )
    return (
        sheet_of(finding, sheets),
        worker.row,
        masker.text(worker.shown_name, own_id),
        masker.id(own_id),
        finding.status.zh,
        # A valid worker needs no reason; 有效 twice on a signed form reads like a typo.
        None if finding.reason is Reason.OK else finding.reason.zh,
        WARNING_SEPARATOR.join(w.zh for w in finding.warnings) or None,
        masker.text(declared.cert_shown, own_id),
        masker.text(declared.category_shown, own_id),
        masker.text(declared.item_shown, own_id),
        *rec,
        answer.checked_at if answer is not None else None,
        source_label(finding),
        masker.text(finding.detail, own_id),
    )


# --- the register sheet of the workbook: the form an office signs, then the data ----------

#: The columns an office signs, which the workbook prints, in their printed order. 作业类别/
#: 操作项目 and 证号 are what the roster declares (what the worker does, the certificate shown),
#: else what the official record says; 有效期至 is the official record's 有效期结束日期.
#: Their widths add up to what one A4 landscape page holds at 10-point type even where the
#: default font is wider than Calibri (LibreOffice without it); longer values wrap.
PRINT_COLUMNS: tuple[Column, ...] = (
    Column("序号", CellKind.INT, 5),
    Column("姓名", CellKind.TEXT, 9),
    Column("身份证号", CellKind.TEXT, 20),
    Column("作业类别/操作项目", CellKind.TEXT, 18),
    Column("证号", CellKind.TEXT, 20),
    Column("有效期至", CellKind.DATE, 11),
    Column("应复审日期", CellKind.DATE, 11),
    Column("核验结果", CellKind.TEXT, 7),
    Column("原因", CellKind.TEXT, 14),
)
#: The register sheet's header for 有效期结束日期: the printed 有效期至 is that column.
VALID_UNTIL_SHOWN = "有效期至"
_SHOWN_AS = {"有效期结束日期": VALID_UNTIL_SHOWN}
_PRINTED = frozenset(c.header for c in PRINT_COLUMNS)
#: The register sheet's columns: the printed ones, then the rest of :data:`COLUMNS` (on screen
#: only) in their order.
SHEET_COLUMNS: tuple[Column, ...] = PRINT_COLUMNS + tuple(
    c for c in COLUMNS if c.header not in _PRINTED and _SHOWN_AS.get(c.header) not in _PRINTED
)
#: For each column of :data:`SHEET_COLUMNS`, its place in :func:`flat_row`'s values; None for
#: the columns made for print.
_FLAT_INDEX: tuple[int | None, ...] = tuple(
    next((i for i, h in enumerate(HEADERS) if h == c.header or _SHOWN_AS.get(h) == c.header),
         None)
    for c in SHEET_COLUMNS
)
_DECLARED_CERT, _DECLARED_CATEGORY, _DECLARED_ITEM, _OFFICIAL_CERT, _CATEGORY, _ITEM = (
    HEADERS.index(h) for h in ("申报证号", "申报作业类别", "申报操作项目", "官方证号",
                               "官方作业类别", "官方操作项目")
)
_SERIAL, _OPERATION, _CERT = (
    [c.header for c in SHEET_COLUMNS].index(h) for h in ("序号", "作业类别/操作项目", "证号")
)
#: The signature lines under the printed table, as offices file the register.
SIGNATURES: tuple[str, ...] = ("核验人：", "单位负责人（签字）：", "单位（盖章）：", "日期：")
#: The printed form's title after the enterprise's name.
TITLE_SUFFIX = "特种作业人员持证情况登记表"


def operation_text(category: Cell, item: Cell) -> str | None:
    """``电工作业/低压电工作业``; either alone when the other is not known."""
    parts = [p for p in (category, item) if isinstance(p, str) and p]
    return "/".join(parts) or None


def sheet_row(serial: int, flat: tuple[Cell, ...]) -> tuple[Cell, ...]:
    """The register sheet's values of the worker numbered ``serial`` whose flat row is
    ``flat``: the values are the same, masked alike, only placed and joined for print."""
    declared = operation_text(flat[_DECLARED_CATEGORY], flat[_DECLARED_ITEM])
    values: list[Cell] = [None if i is None else flat[i] for i in _FLAT_INDEX]
    values[_SERIAL] = serial
    values[_OPERATION] = declared or operation_text(flat[_CATEGORY], flat[_ITEM])
    values[_CERT] = flat[_DECLARED_CERT] or flat[_OFFICIAL_CERT]
    return tuple(values)
