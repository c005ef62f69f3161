"""Reading back registers that certcheck wrote (.xlsx or .json), for ``summary`` and ``due``.

Only what those commands need comes back: the run's metadata and, per worker, the decision
and the official record's numbers and dates. Anything that is not a certcheck register, or one
a person has broken by editing, raises :class:`RegisterFormatError` with a one-line message.
``summary`` reads thousands of registers and only counts them: :func:`tally_register` keeps the
metadata and the workers per status, not the rows, after the same checks.

Registers of every certcheck version are read. Those written before rosters of several sheets
name one sheet (``roster.sheet`` in JSON, ``roster_sheet`` on the hidden sheet) and lack the
工作表 and 证书状态 columns; they read back with that one sheet and no sheet per worker. Since
format 2 the register sheet is also the printed form: a title and the run's facts stand above
its header row, the signature lines (核验人：…) under the workers, 有效期结束日期 is headed
有效期至, a valid worker's 原因 is empty and 数据来源 names the source in Chinese; earlier
registers have the header on the first row and none of that.

Workbooks are read with python-calamine: it is several times faster than openpyxl on large
sheets and, being Rust, does not expand XML entities.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from certcheck import jsontext
from certcheck.dates import record_date
from certcheck.models import (
    EVERY_REGIME,
    REASON_ZH,
    STATUS_ZH,
    WARNING_ZH,
    Reason,
    Scope,
    Status,
    StatusClass,
    WarningCode,
    status_class,
)
from certcheck.register.errors import NotARegister as NotARegister  # re-exported
from certcheck.register.errors import RegisterFormatError as RegisterFormatError
from certcheck.register.model import Kind, Sample, SkippedSheet, Verdict
from certcheck.register.people import (
    FINGERPRINT_SHAPE,
    TOKEN_SHAPE,
    People,
    collect,
    is_masked,
)
from certcheck.register.people import Row as PersonRow
from certcheck.register.view import (
    CACHED_SUFFIX,
    FORMAT_VERSION,
    HEADERS,
    LATER_HEADERS,
    MAIN_SHEET,
    MARKER_FORMAT,
    MARKER_SHEET,
    MATCH_HEADERS,
    MATCH_SHEET,
    SIGNATURES,
    TITLE_SUFFIX,
    VALID_UNTIL_SHOWN,
    WARNING_SEPARATOR,
    source_name,
)
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import private_copy
from certcheck.tablefile.guards import (
    check_file_size,
    check_json_size,
    check_zip,
    read_checked,
    special_file,
)
from certcheck.tablefile.sniff import Kind as RosterKind
from certcheck.text import INVISIBLE

MAX_JSON_BYTES = 1024**3


@dataclass(frozen=True, slots=True)
class RegisterInfo:
    """What the run was: when, against what, for whom, and over which roster."""

    version: str
    as_of: date
    source: str
    enterprise: str | None
    kind: Kind
    roster_file: str
    #: The roster sheets read; one for registers written before several were read, none for
    #: a CSV roster.
    sheets: tuple[str, ...]
    sample: Sample | None
    generated_at: datetime | None
    skipped_sheets: tuple[SkippedSheet, ...] = ()
    #: The fingerprint of the district's match key, when the register carries match tokens.
    match_fingerprint: str | None = None
    #: The regimes the run checked (``verify --scope``); ``all`` for registers before it.
    scope: Scope = EVERY_REGIME

    @property
    def sheet(self) -> str | None:
        """The first sheet read."""
        return self.sheets[0] if self.sheets else None


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One worker of a register, as read back.

    ``id_number`` is whatever the register holds, masked (``500381********1234``) when the run
    used ``--mask-ids``. The official fields are those of the record the decision rested on.
    """

    row: int
    name: str | None
    id_number: str | None
    status: Status
    reason: Reason
    warnings: tuple[WarningCode, ...]
    declared_cert_number: str | None
    declared_category: str | None
    declared_item: str | None
    cert_number: str | None
    category: str | None
    item: str | None
    valid_until: date | None
    review_due: date | None
    reviewed: date | None
    issuer: str | None
    source: str | None
    cached: bool
    #: The roster sheet of ``row``; None for a CSV roster and in registers from before sheets.
    sheet: str | None = None
    #: The official status text of the record (证书状态), when the source gave one.
    status_text: str | None = None
    #: The worker's keyed match token, when the register was written with the district's key.
    match_token: str | None = None

    @property
    def id_masked(self) -> bool:
        return is_masked(self.id_number)

    @property
    def revoked(self) -> bool:
        """The official record is withdrawn (吊销, 注销 …): its dates no longer count."""
        text = self.status_text
        return self.reason is Reason.REVOKED or (
            text is not None and status_class(text) is StatusClass.WITHDRAWN
        )


@dataclass(frozen=True, slots=True)
class RegisterData:
    path: Path
    info: RegisterInfo
    rows: tuple[RegisterRow, ...]

    @property
    def verdict(self) -> Verdict:
        return _verdict([r.status for r in self.rows if r.reason is not Reason.OUT_OF_SCOPE],
                        sum(r.reason is Reason.OUT_OF_SCOPE for r in self.rows))

    @property
    def ids_masked(self) -> bool:
        return any(r.id_masked for r in self.rows)

    @property
    def people(self) -> People:
        return collect((_person(r) for r in self.rows), self.info.match_fingerprint)

    @property
    def several_sheets(self) -> bool:
        """The roster had more than one sheet, so a row number alone does not find a worker."""
        if len(self.info.sheets) > 1:
            return True
        return len({r.sheet for r in self.rows if r.sheet}) > 1


@dataclass(frozen=True, slots=True)
class RegisterTally:
    """A register as ``summary`` counts it: the run's metadata and the workers per status.

    The rows are read, checked and dropped, so thousands of registers fit in little memory.
    """

    path: Path
    info: RegisterInfo
    verdict: Verdict
    #: Who the register names, for matching people across enterprises.
    people: People = field(default_factory=People)


def _person(r: RegisterRow) -> PersonRow:
    return (r.id_number, r.match_token, r.name, r.status, r.sheet, r.row)


def read_register(path: Path) -> RegisterData:
    """Read a register written by certcheck; raise RegisterFormatError for anything else."""
    path = _register_path(path)
    return _read_json(path) if path.suffix.lower() == ".json" else _read_xlsx(path)


def tally_register(path: Path) -> RegisterTally:
    """What :func:`read_register` would count, without keeping the rows.

    The same file is accepted or refused with the same message: a register that is broken in
    a row is refused here too.
    """
    path = _register_path(path)
    return _tally_json(path) if path.suffix.lower() == ".json" else _tally_xlsx(path)


def _register_path(path: Path) -> Path:
    """The path, once it is known to be a regular file with a register's extension."""
    path = Path(path)
    if special_file(path):
        # Opening a pipe would wait forever and a device would never end.
        raise RegisterFormatError(f"{path} 不是普通文件（管道、设备等）（not a regular file）")
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx", ".xlsm"):
        raise NotARegister(
            f"{path}：无法从“{suffix or path.name}”文件读取登记表，"
            "请给出 certcheck verify 写出的 .xlsx 或 .json 登记表（not a register file）"
        )
    return path


def _verdict(statuses: Iterable[Status], out_of_scope: int = 0) -> Verdict:
    """The verdict of the workers checked (``statuses``) and of those the scope left out."""
    counted = Counter(statuses)
    return Verdict(total=counted.total(), counts={s: counted.get(s, 0) for s in Status},
                   out_of_scope=out_of_scope)


# --- shared -------------------------------------------------------------------------------

_STATUS_BY_LABEL = {**{zh: s for s, zh in STATUS_ZH.items()}, **{s.value: s for s in Status}}
# Labels registers of earlier versions wrote for a reason since renamed.
_EARLIER_REASON_LABELS = {"官方记录缺少判定所需日期": Reason.RECORD_INCOMPLETE}
_REASON_BY_LABEL = {
    **_EARLIER_REASON_LABELS,
    **{zh: r for r, zh in REASON_ZH.items()},
    **{r.value: r for r in Reason},
}
_WARNING_BY_LABEL = {
    **{zh: w for w, zh in WARNING_ZH.items()},
    **{w.value: w for w in WarningCode},
}

_E = TypeVar("_E")


def _label(table: Mapping[str, _E], value: object, what: str, where: str) -> _E:
    if isinstance(value, str) and value.strip() in table:
        return table[value.strip()]
    raise RegisterFormatError(
        f"{where}：{_WHAT_ZH.get(what, what)}“{value}”无法识别，登记表可能被改动过"
        f"（unknown {what}）"
    )


_WHAT_ZH = {"status": "核验结果", "reason": "原因"}


def _warnings(labels: Sequence[str]) -> tuple[WarningCode, ...]:
    # Unknown warnings are skipped, not fatal: a newer certcheck may add warnings, and a
    # warning never changes a worker's status, which is what the summary counts.
    return tuple(_WARNING_BY_LABEL[w.strip()] for w in labels if w.strip() in _WARNING_BY_LABEL)


def _iso_date(value: object, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        try:  # a date the official record gave to the month only, written ``YYYY-MM``
            return record_date(value.strip())
        except ValueError:
            pass
    raise RegisterFormatError(f"{where}：{value!r} 不是日期（YYYY-MM-DD）")


def _iso_datetime(value: str, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise RegisterFormatError(f"{where}：{value!r} 不是时间（not a timestamp）") from None


def _kind(value: object, where: str) -> Kind:
    try:
        return Kind(str(value))
    except ValueError:
        raise RegisterFormatError(f"{where}：未知的检查类型 {value!r}（unknown kind）") from None


def _split_source(value: str | None) -> tuple[str | None, bool]:
    if value and value.endswith(CACHED_SUFFIX):
        return source_name(value[: -len(CACHED_SUFFIX)]), True
    return (source_name(value) if value else value), False


def _reason(value: object, status: Status, where: str) -> Reason:
    """The reason a row gives; none for a valid worker means ``ok`` (registers before format 2
    wrote 有效 there)."""
    if status is Status.VALID and value in (None, ""):
        return Reason.OK
    return _label(_REASON_BY_LABEL, value, "reason", where)


# --- xlsx ---------------------------------------------------------------------------------


def _checked_bytes(path: Path) -> bytes:
    """The file's bytes, read once and through the file safety layer's guards: calamine aborts
    the whole process on some crafted sheets (a cell at XFD1048576), and a zip bomb would fill
    memory. The workbook is then read from these very bytes."""
    size = path.stat().st_size  # FileNotFoundError: the CLI reports a missing file as such
    if path.is_dir():
        raise NotARegister(f"{path} 是文件夹，不是登记表文件（a folder）")
    try:
        check_file_size(path, size)
        data = read_checked(path)
        check_zip(path, RosterKind.OOXML, data)
    except UnusableFile as exc:
        # Refused before its sheets were seen, so nothing says it is a register.
        raise NotARegister(f"{path}: {exc}") from None
    return data


def _read_xlsx(path: Path) -> RegisterData:
    marker, main, table, match = _xlsx_cells(path)
    info = _info_from_marker(path, marker)
    _check_title(path, table.above, info.enterprise)
    tokens = _match_tokens(path, match)
    rows = tuple(_sheet_rows(path, main, table, tokens))
    _check_count(path, marker.get("workers"), len(rows))
    return RegisterData(path=path, info=info, rows=rows)


def _tally_xlsx(path: Path) -> RegisterTally:
    marker, main, table, match = _xlsx_cells(path)
    info = _info_from_marker(path, marker)
    _check_title(path, table.above, info.enterprise)
    statuses, left_out = _sheet_statuses(path, main, table)
    _check_count(path, marker.get("workers"), len(statuses))
    people = _sheet_people(
        table.cells, statuses, _match_tokens(path, match), info.match_fingerprint
    )
    checked = [s for s, out in zip(statuses, left_out, strict=True) if not out]
    return RegisterTally(path=path, info=info, verdict=_verdict(checked, sum(left_out)),
                         people=people)


@dataclass(frozen=True, slots=True)
class _Table:
    """The register sheet's header row and its worker rows, without the signature lines."""

    cells: list[list[Any]]
    #: The sheet row number (from 1) of each of ``cells``, the header first: what a message
    #: names, since signature lines moved among the workers (a sort) are left out.
    numbers: list[int] = field(default_factory=list)
    #: Rows of the sheet above the header: a title and the run's facts since format 2.
    above: list[list[Any]] = field(default_factory=list)

    def number(self, index: int) -> int:
        """The sheet row of ``cells[index]``."""
        return self.numbers[index] if index < len(self.numbers) else index + 1


#: How far down the header row is looked for.
_HEADER_SEARCH = 10
#: The signature lines' first cells: 核验人： and 单位（盖章）： (the others stand beside them).
_SIGNATURE_STARTS = (SIGNATURES[0], SIGNATURES[2])


def _worker_table(cells: list[list[Any]]) -> _Table:
    """The header and the worker rows of the register sheet's ``cells``.

    Left out: what stands above the header (the title, the run's facts), the signature lines
    wherever they are — a sort of the whole sheet moves them among or above the workers, and
    cutting the sheet at them would drop every worker after them without a word — and, under
    the signature lines, rows that are not a worker's (a note, a name written in). A worker's
    row under them (typed in by hand) is read, so that the count of rows tells it was added.
    Registers before format 2 have no title and no signature lines.
    """
    top = next((i for i, line in enumerate(cells[:_HEADER_SEARCH]) if _is_header(line)), 0)
    header = cells[top] if cells else []
    labels = [str(h).strip() if h is not None else "" for h in header]
    number_col = labels.index("行号") if "行号" in labels else None
    status_col = labels.index("核验结果") if "核验结果" in labels else None
    kept: list[list[Any]] = [header] if cells else []
    numbers: list[int] = [top + 1] if cells else []
    signed = False
    for i in range(top + 1, len(cells)):
        line = cells[i]
        if _is_signature(line):
            signed = True
            continue
        if signed and not _worker_shaped(line, number_col, status_col):
            continue
        kept.append(line)
        numbers.append(i + 1)
    while len(kept) > 1 and _blank(kept[-1]):
        kept.pop()
        numbers.pop()
    return _Table(kept, numbers, cells[:top])


def _is_header(line: Sequence[Any]) -> bool:
    texts = {v.strip() for v in line if isinstance(v, str)}
    return "行号" in texts and "核验结果" in texts


def _is_signature(line: Sequence[Any]) -> bool:
    first = line[0] if line else None
    return isinstance(first, str) and first.strip().startswith(_SIGNATURE_STARTS)


def _worker_shaped(line: Sequence[Any], number_col: int | None, status_col: int | None) -> bool:
    """A row that reads as a worker's: a row number and a known result."""
    if number_col is None or status_col is None:
        return False
    number = line[number_col] if number_col < len(line) else None
    status = line[status_col] if status_col < len(line) else None
    return _plain_row_number(number) and isinstance(status, str) \
        and status.strip() in _STATUS_BY_LABEL


def _json_recorded(data: Mapping[str, Any]) -> object:
    """How many workers a JSON register was written with: those checked (``total``) and those
    the run's scope left out, which ``total`` does not count."""
    verdict = data["verdict"]
    total, left_out = verdict.get("total"), verdict.get("out_of_scope", 0)
    if isinstance(total, int) and isinstance(left_out, int) \
            and not isinstance(total, bool) and not isinstance(left_out, bool):
        return total + left_out
    return total


def _check_count(path: Path, recorded: object, found: int) -> None:
    """The register holds as many workers as ``verify`` wrote: a row deleted (the fake worker's),
    a row typed in, or rows lost to a sort would otherwise change the counts without a word."""
    if isinstance(recorded, str) and recorded.strip().isdigit():
        recorded = int(recorded.strip())
    if not isinstance(recorded, int) or isinstance(recorded, bool) or recorded == found:
        return
    raise RegisterFormatError(
        f"{path}：登记表现有 {found} 行人员，而生成时是 {recorded} 人，有行被增删过（登记表可能"
        "被改动过）；请给出 certcheck verify 写出的登记表，或重新运行 verify"
        "（rows added or removed）"
    )


def _name_key(name: str) -> str:
    return "".join(INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).split())


def _check_title(path: Path, above: Sequence[Sequence[Any]], recorded: str | None) -> None:
    """The printed title names the enterprise the register records: a title retyped to another
    enterprise leaves the two disagreeing, and nothing says which one the register is."""
    first = above[0][0] if above and above[0] else None
    if not recorded or not isinstance(first, str) or not first.strip().endswith(TITLE_SUFFIX):
        return
    titled = first.strip()[: -len(TITLE_SUFFIX)].strip()
    if titled and _name_key(titled) != _name_key(recorded):
        raise RegisterFormatError(
            f"{path}：标题中的单位“{titled}”与登记表记录的单位“{recorded.strip()}”不同（登记表"
            "可能被改动过）；单位名称有误时，请用 verify --enterprise 重新生成登记表"
            "（enterprise edited）"
        )


#: A worker's place in the register: (sheet or "", row), which sorting the sheet keeps.
_Place = tuple[str, int]


def _match_tokens(path: Path, cells: list[list[Any]] | None) -> dict[_Place, str]:
    """The match sheet's tokens by worker; refuses a token that is not one."""
    if cells is None:
        return {}
    tokens: dict[_Place, str] = {}
    for n, raw in enumerate(cells[1:], start=2):
        line = list(raw) + [None] * (len(MATCH_HEADERS) - len(raw))
        if _blank(line):
            continue
        sheet, row, token = line[: len(MATCH_HEADERS)]
        if isinstance(row, float) and row.is_integer():
            row = int(row)
        if not isinstance(row, int) or not isinstance(token, str) \
                or not TOKEN_SHAPE.fullmatch(token):
            raise RegisterFormatError(
                f"{path}（{MATCH_SHEET} 第 {n} 行）：比对标记无法识别，登记表可能被改动过"
                "（match token not readable）"
            )
        tokens[(_text(sheet) or "", row)] = token
    return tokens


def _sheet_people(
    cells: list[list[Any]], statuses: list[Status], tokens: Mapping[_Place, str],
    fingerprint: str | None,
) -> People:
    """Who the worker sheet names, once its rows are known to be well formed: ``statuses``
    are those of its rows that are not blank, in order."""
    header = [str(h).strip() if h is not None else "" for h in cells[0]]
    id_col, row_col, name_col = header.index("身份证号"), header.index("行号"), header.index("姓名")
    sheet_col = header.index("工作表") if "工作表" in header else None
    lines = (list(raw) + [None] * (len(header) - len(raw)) for raw in cells[1:] if not _blank(raw))

    def rows() -> Iterator[PersonRow]:
        for line, status in zip(lines, statuses, strict=True):
            sheet = _text(line[sheet_col]) if sheet_col is not None else None
            row = int(line[row_col])
            yield (_text(line[id_col]), tokens.get((sheet or "", row)), _text(line[name_col]),
                   status, sheet, row)

    return collect(rows(), fingerprint)


def _xlsx_cells(
    path: Path,
) -> tuple[dict[str, str], str, _Table, list[list[Any]] | None]:
    """The marker sheet's keys and values, the worker sheet's name and its worker table, and
    the match sheet's cells when the marker says there is one.

    The workbook is dropped on return: only the cells of the worker sheet are kept.
    """
    data = _checked_bytes(path)
    # calamine reads the copy of the bytes that were checked, kept until it is done.
    with private_copy(data, ".xlsx") as copy:
        del data
        marker, main, cells, match = _calamine_cells(path, copy)
    return marker, main, _worker_table(cells), match


def _calamine_cells(
    path: Path, copy: Path
) -> tuple[dict[str, str], str, list[list[Any]], list[list[Any]] | None]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(copy))
        names = list(wb.sheet_names)
    except CalamineError as exc:
        raise NotARegister(f"{path}：无法读取工作簿（{exc}）") from None
    try:
        if MARKER_SHEET not in names:
            raise NotARegister(
                f"{path} 不是 certcheck 登记表（没有 {MARKER_SHEET} 工作表），"
                "请给出 certcheck verify 写出的登记表（not a certcheck register）"
            )
        marker_cells = wb.get_sheet_by_name(MARKER_SHEET).to_python()
        marker = {
            str(row[0]).strip(): "" if len(row) < 2 or row[0] is None else str(row[1]).strip()
            for row in marker_cells
            if row and row[0] not in (None, "")
        }
        _check_marker(path, marker)
        main = marker.get("main_sheet") or MAIN_SHEET
        if main not in names:
            raise RegisterFormatError(f"{path}：缺少工作表 {main}，是否被改了名？（sheet missing）")
        cells = wb.get_sheet_by_name(main).to_python()
        match = None
        if marker.get("match_key_fingerprint"):
            if MATCH_SHEET not in names:
                raise RegisterFormatError(
                    f"{path}：缺少工作表 {MATCH_SHEET}（比对标记），登记表可能被改动过"
                    "（sheet missing）"
                )
            match = wb.get_sheet_by_name(MATCH_SHEET).to_python()
    except CalamineError as exc:
        raise RegisterFormatError(f"{path}：无法读取工作簿（{exc}）") from None
    return marker, main, cells, match


def _check_marker(path: Path, marker: Mapping[str, str]) -> None:
    if marker.get("format") != MARKER_FORMAT:
        raise NotARegister(
            f"{path} 不是 certcheck 登记表（{MARKER_SHEET} 工作表无法识别）"
            "（not a certcheck register）"
        )
    version = marker.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise RegisterFormatError(
            f"{path}：登记表格式 {version} 比本版 certcheck 能读的（{FORMAT_VERSION}）新，"
            "请升级 certcheck（newer format）"
        )


def _info_from_marker(path: Path, marker: Mapping[str, str]) -> RegisterInfo:
    where = f"{path} ({MARKER_SHEET})"
    as_of = _iso_date(marker.get("as_of"), where)
    if as_of is None:
        raise RegisterFormatError(f"{where}：缺少核验基准日期（as-of date missing）")
    sample = None
    if marker.get("sample_size"):
        try:
            sample = Sample(
                size=int(marker["sample_size"]),
                population=int(marker.get("sample_population") or 0),
                seed=int(marker["sample_seed"]) if marker.get("sample_seed") else None,
            )
        except ValueError:
            raise RegisterFormatError(
                f"{where}：抽查人数或随机种子不是数（not a number）"
            ) from None
    return RegisterInfo(
        version=marker.get("certcheck", ""),
        as_of=as_of,
        source=marker.get("source", ""),
        enterprise=marker.get("enterprise") or None,
        kind=_kind(marker.get("kind"), where),
        roster_file=marker.get("roster_file", ""),
        sheets=_marker_sheets(marker, where),
        sample=sample,
        generated_at=_iso_datetime(marker.get("generated_at", ""), where),
        skipped_sheets=_marker_skipped(marker, where),
        match_fingerprint=_fingerprint(marker.get("match_key_fingerprint") or None, where),
        scope=_scope(marker.get("scope"), where),
    )


def _scope(value: object, where: str) -> Scope:
    """The scope a register records; every regime for registers written before scopes."""
    if value is None or value == "":
        return EVERY_REGIME
    if not isinstance(value, str):
        raise RegisterFormatError(f"{where}：核验范围 {value!r} 无法识别（unknown scope）")
    try:
        return Scope.parse(value)
    except ValueError:
        raise RegisterFormatError(
            f"{where}：核验范围“{value}”无法识别，登记表可能被改动过（unknown scope）"
        ) from None


def _fingerprint(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not FINGERPRINT_SHAPE.fullmatch(value):
        raise RegisterFormatError(
            f"{where}：比对密钥指纹 {value!r} 无法识别，登记表可能被改动过（fingerprint）"
        )
    return value


def _marker_json(marker: Mapping[str, str], key: str, where: str) -> Any:
    try:
        return jsontext.loads(marker[key])
    except (json.JSONDecodeError, RecursionError):
        raise RegisterFormatError(
            f"{where}：{key} 无法读取，登记表可能被改动过（not readable）"
        ) from None


def _marker_sheets(marker: Mapping[str, str], where: str) -> tuple[str, ...]:
    if not marker.get("roster_sheets"):
        # Written before several sheets were read: one sheet, or none for a CSV roster.
        first = marker.get("roster_sheet")
        return (first,) if first else ()
    names = _marker_json(marker, "roster_sheets", where)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RegisterFormatError(f"{where}：roster_sheets 不是工作表名称的列表（not a list）")
    return tuple(names)


def _marker_skipped(marker: Mapping[str, str], where: str) -> tuple[SkippedSheet, ...]:
    if not marker.get("roster_skipped_sheets"):
        return ()
    return _skipped(_marker_json(marker, "roster_skipped_sheets", where), where)


def _skipped(value: object, where: str) -> tuple[SkippedSheet, ...]:
    if not isinstance(value, list):
        raise RegisterFormatError(f"{where}：未读取的工作表不是列表（not a list）")
    pairs: list[SkippedSheet] = []
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("why", ""), str)
        ):
            raise RegisterFormatError(f"{where}：未读取的工作表缺少名称（name missing）")
        pairs.append((item["name"], item.get("why", "")))
    return tuple(pairs)


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        # A number where text was written means someone retyped the cell; show its digits.
        return str(int(value))
    return str(value)


def _columns(path: Path, sheet: str, cells: list[list[Any]]) -> dict[str, int]:
    """Where each register column is on the worker sheet; refuses a sheet that lacks one."""
    if not cells:
        raise RegisterFormatError(f"{path}：工作表 {sheet} 是空的（empty sheet）")
    header = [str(h).strip() if h is not None else "" for h in cells[0]]
    if "有效期结束日期" not in header and VALID_UNTIL_SHOWN in header:
        header[header.index(VALID_UNTIL_SHOWN)] = "有效期结束日期"
    missing = [h for h in HEADERS if h not in header and h not in LATER_HEADERS]
    if missing:
        raise RegisterFormatError(
            f"{path}：工作表 {sheet} 缺少列 {'、'.join(missing)}，登记表可能被改动过"
            "（missing columns）"
        )
    return {h: header.index(h) for h in HEADERS if h in header}


def _blank(line: Sequence[Any]) -> bool:
    return all(v in (None, "") for v in line)


def _sheet_rows(
    path: Path, sheet: str, table: _Table, tokens: Mapping[_Place, str] | None = None
) -> Iterator[RegisterRow]:
    cells = table.cells
    pos = _columns(path, sheet, cells)
    width = len(cells[0])
    for index, raw in enumerate(cells[1:], start=1):
        line = list(raw) + [None] * (width - len(raw))
        if not _blank(line):
            yield _sheet_row(line, pos, f"{path}（{sheet} 第 {table.number(index)} 行）",
                             tokens or {})


def _sheet_row(
    line: list[Any], pos: Mapping[str, int], where: str, tokens: Mapping[_Place, str]
) -> RegisterRow:
    def get(h: str) -> Any:
        # A column added later is absent from older registers: empty there.
        return line[pos[h]] if h in pos else None

    row_no = get("行号")
    if isinstance(row_no, float) and row_no.is_integer():
        row_no = int(row_no)
    if not isinstance(row_no, int):
        raise RegisterFormatError(f"{where}：行号 {row_no!r} 不是行号（not a row number）")
    source, cached = _split_source(_text(get("数据来源")))
    status = _label(_STATUS_BY_LABEL, get("核验结果"), "status", where)
    sheet = _text(get("工作表"))
    return RegisterRow(
        row=row_no,
        name=_text(get("姓名")),
        id_number=_text(get("身份证号")),
        status=status,
        reason=_reason(get("原因"), status, where),
        warnings=_warnings((_text(get("提示")) or "").split(WARNING_SEPARATOR)),
        declared_cert_number=_text(get("申报证号")),
        declared_category=_text(get("申报作业类别")),
        declared_item=_text(get("申报操作项目")),
        cert_number=_text(get("官方证号")),
        category=_text(get("官方作业类别")),
        item=_text(get("官方操作项目")),
        valid_until=_iso_date(get("有效期结束日期"), where),
        review_due=_iso_date(get("应复审日期"), where),
        reviewed=_iso_date(get("实际复审日期"), where),
        issuer=_text(get("签发机关")),
        source=source,
        cached=cached,
        sheet=sheet,
        status_text=_text(get("证书状态")),
        match_token=tokens.get((sheet or "", row_no)),
    )


_DATE_HEADERS = ("有效期结束日期", "应复审日期", "实际复审日期")
#: The cells that can make a row unreadable (see ``_sheet_row``); text cells never do.
_CHECKED_HEADERS = ("行号", "核验结果", "原因", *_DATE_HEADERS)


def _sheet_statuses(path: Path, sheet: str, table: _Table) -> tuple[list[Status], list[bool]]:
    """The status of every worker on the sheet, as ``_sheet_rows`` would give them, and for
    each whether the run's scope left it out (reason ``out_of_scope``).

    A register's columns hold a handful of distinct values (a few statuses and reasons, a few
    hundred dates), so each distinct value is checked once instead of building every row. If
    anything is off, the rows are read one by one, which refuses the register with the row
    named, exactly as ``read_register`` does.
    """
    pos = _columns(path, sheet, table.cells)
    statuses = _quick_statuses(table.cells, pos)
    if statuses is None:
        rows = list(_sheet_rows(path, sheet, table))
        return ([row.status for row in rows],
                [row.reason is Reason.OUT_OF_SCOPE for row in rows])
    reason = pos["原因"]
    left_out = [isinstance(value, str) and value.strip() in _OUT_OF_SCOPE_LABELS
                for value in (line[reason] for line in table.cells[1:])]
    return statuses, left_out


#: What a register's 原因 cell says of a worker the scope left out.
_OUT_OF_SCOPE_LABELS = frozenset({Reason.OUT_OF_SCOPE.zh, Reason.OUT_OF_SCOPE.value})


def _quick_statuses(cells: list[list[Any]], pos: Mapping[str, int]) -> list[Status] | None:
    """The statuses when every row is plainly well formed; None when one may not be."""
    if any(h not in pos for h in _CHECKED_HEADERS) or any(len(c) != len(cells[0]) for c in cells):
        return None
    lines = cells[1:]
    number, status = pos["行号"], pos["核验结果"]
    # A row whose 行号 is empty is either blank (skipped) or broken (refused): the slow path.
    if not all(_plain_row_number(line[number]) for line in lines):
        return None
    statuses = _meanings(_STATUS_BY_LABEL, [line[status] for line in lines])
    if statuses is None:
        return None
    reason = pos["原因"]
    # An empty reason is a valid worker's; any other row without one is refused by the slow path.
    given = [line[reason] for line in lines if line[reason] not in (None, "")]
    if len(given) < len(lines) and any(
        statuses[line[status]] is not Status.VALID for line in lines
        if line[reason] in (None, "")
    ):
        return None
    if _meanings(_REASON_BY_LABEL, given) is None:
        return None
    if not all(_date_or_empty(v) for h in _DATE_HEADERS for v in set(_column(lines, pos[h]))):
        return None
    return [statuses[line[status]] for line in lines]


def _column(lines: list[list[Any]], index: int) -> list[object]:
    return [line[index] for line in lines]


def _meanings(table: Mapping[str, _E], values: list[object]) -> dict[object, _E] | None:
    """What each distinct value of a column means; None if one is not a label of ``table``."""
    meaning: dict[object, _E] = {}
    for value in set(values):
        if not isinstance(value, str) or value.strip() not in table:
            return None
        meaning[value] = table[value.strip()]
    return meaning


def _plain_row_number(value: object) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _date_or_empty(value: object) -> bool:
    try:
        _iso_date(value, "")
    except RegisterFormatError:
        return False
    return True


# --- json ---------------------------------------------------------------------------------


def _json_document(path: Path) -> dict[str, Any]:
    """The parsed file, once it is known to be a certcheck register."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise RegisterFormatError(f"{path} 远大于任何登记表，拒绝读取（far too large）")
    try:
        content = read_checked(path)
        check_json_size(path, content)
    except UnusableFile as exc:
        raise NotARegister(f"{path}: {exc}") from None
    try:
        data = jsontext.loads(content.decode("utf-8-sig"))
        del content
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotARegister(f"{path} 不是 JSON 登记表（{exc}）") from None
    except RecursionError:
        raise NotARegister(f"{path} 不是 JSON 登记表（嵌套层次太深）") from None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("certcheck"), str)
        and isinstance(data.get("workers"), list)
        and isinstance(data.get("verdict"), dict)
    ):
        raise NotARegister(
            f"{path} 不是 certcheck 登记表（没有 certcheck、verdict 和 workers 键），"
            "请给出 certcheck verify 写出的登记表（not a certcheck register）"
        )
    return data


@contextmanager
def _json_content(path: Path) -> Iterator[None]:
    """Whatever a person's edit breaks in a JSON register comes out as one line naming it."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise RegisterFormatError(
            f"{path}：certcheck 登记表中有无法识别的内容，登记表可能被改动过"
            f"（{type(exc).__name__}: {exc}）"
        ) from None


def _read_json(path: Path) -> RegisterData:
    data = _json_document(path)
    with _json_content(path):
        info = _info_from_json(path, data)
        rows = tuple(_json_rows(path, data))
        _check_count(path, _json_recorded(data), len(rows))
        return RegisterData(path=path, info=info, rows=rows)


def _tally_json(path: Path) -> RegisterTally:
    data = _json_document(path)
    with _json_content(path):
        info = _info_from_json(path, data)
        statuses: list[Status] = []
        people: list[PersonRow] = []
        left_out = 0
        for r in _json_rows(path, data):
            if r.reason is Reason.OUT_OF_SCOPE:
                left_out += 1
            else:
                statuses.append(r.status)
            people.append(_person(r))
        _check_count(path, _json_recorded(data), len(statuses) + left_out)
        return RegisterTally(path=path, info=info, verdict=_verdict(statuses, left_out),
                             people=collect(people, info.match_fingerprint))


def _opt_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | int):
        raise TypeError(f"expected text, got {value!r}")
    return str(value)


def _info_from_json(path: Path, data: dict[str, Any]) -> RegisterInfo:
    where = str(path)
    as_of = _iso_date(data["as_of"], where)
    if as_of is None:
        raise RegisterFormatError(f"{where}：缺少核验基准日期（as-of date missing）")
    raw_sample = data.get("sample")
    sample = None
    if isinstance(raw_sample, dict):
        seed = raw_sample.get("seed")
        sample = Sample(
            size=int(raw_sample["size"]),
            population=int(raw_sample["population"]),
            seed=int(seed) if seed is not None else None,
        )
    roster = data.get("roster") or {}
    if "sheets" in roster:
        names = roster["sheets"]
        if not isinstance(names, list):
            raise TypeError(f"roster.sheets is {names!r}, not a list")
        sheets = tuple(name for name in map(_opt_str, names) if name)
    else:
        # Written before several sheets were read: ``roster.sheet``, one name or null.
        first = _opt_str(roster.get("sheet"))
        sheets = (first,) if first else ()
    skipped = _skipped(roster.get("skipped_sheets") or [], where)
    generated = data.get("generated_at")
    match_key = data.get("match_key")
    fingerprint = match_key.get("fingerprint") if isinstance(match_key, dict) else None
    return RegisterInfo(
        version=data["certcheck"],
        as_of=as_of,
        source=str(data.get("source") or ""),
        enterprise=_opt_str(data.get("enterprise")),
        kind=_kind(data.get("kind"), where),
        roster_file=str(roster.get("file") or ""),
        sheets=sheets,
        sample=sample,
        generated_at=_iso_datetime(generated, where) if isinstance(generated, str) else None,
        skipped_sheets=skipped,
        match_fingerprint=_fingerprint(fingerprint, where),
        scope=_scope(data.get("scope"), where),
    )


def _json_rows(path: Path, data: dict[str, Any]) -> Iterator[RegisterRow]:
    for n, w in enumerate(data["workers"]):
        where = f"{path} (workers[{n}])"
        certs: list[dict[str, Any]] = w.get("certificates") or []
        # Registers from before "decisive" existed: the workbook shows the first record then.
        chosen = w.get("decisive", 0 if certs else None)
        record: dict[str, Any] = certs[chosen] if chosen is not None else {}
        declared = w.get("declared") or {}
        source = _opt_str(w.get("source"))
        yield RegisterRow(
            row=int(w["row"]),
            name=_opt_str(w.get("name")),
            id_number=_opt_str(w.get("id_number")),
            status=_label(_STATUS_BY_LABEL, w.get("status"), "status", where),
            reason=_label(_REASON_BY_LABEL, w.get("reason"), "reason", where),
            warnings=_warnings([str(x) for x in w.get("warnings") or []]),
            declared_cert_number=_opt_str(declared.get("cert_number")),
            declared_category=_opt_str(declared.get("category")),
            declared_item=_opt_str(declared.get("item")),
            cert_number=_opt_str(record.get("证号")),
            category=_opt_str(record.get("作业类别")),
            item=_opt_str(record.get("操作项目")),
            valid_until=_iso_date(record.get("有效期结束日期"), where),
            review_due=_iso_date(record.get("应复审日期"), where),
            reviewed=_iso_date(record.get("实际复审日期"), where),
            issuer=_opt_str(record.get("签发机关")),
            source=source,
            cached=bool(w.get("cached", False)),
            sheet=_opt_str(w.get("sheet")),
            status_text=_opt_str(record.get("证书状态")),
            match_token=_json_token(w.get("match_token"), where),
        )


def _json_token(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not TOKEN_SHAPE.fullmatch(value):
        raise RegisterFormatError(
            f"{where}：比对标记无法识别，登记表可能被改动过（match token not readable）"
        )
    return value
