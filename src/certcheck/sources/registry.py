"""``registry:PATH``: a local file of official records, the mock of the national lookup.

One record per row (CSV, XLSX) or per object (JSON), with the national lookup's labels.
The file is read once, fully validated, and indexed by ID number.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import date
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from certcheck import jsontext
from certcheck.catalog import load_catalog
from certcheck.dates import iso_date, parse_date
from certcheck.gcpause import paused
from certcheck.ids import normalize_id, old_form
from certcheck.models import (
    DATE_FIELDS,
    LAPSED_WORDS,
    RECORD_FIELDS,
    REVOKED_WORDS,
    STATUS_LABEL,
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Outcome,
    Query,
    Regime,
)
from certcheck.shown import Agreement, Shown, compare_id, official_id
from certcheck.sources.interface import (
    NATIONAL_PUBLICATION_DELAY,
    ImmediateSource,
    SourceError,
    SourceOptions,
)
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.guards import check_json_size, read_checked, special_file
from certcheck.tablefile.opening import guarded, read_first_sheet, read_head, spreadsheet_kind
from certcheck.tablefile.sniff import Kind, text_encoding_of_bom
from certcheck.tablefile.textgrid import (
    csv_reading,
    decode_text,
    decode_unmarked,
    guess_delimiter,
    unwrap_cell,
)
from certcheck.text import garbled

if TYPE_CHECKING:
    from _csv import Reader as _CsvReader

# An ID written the way Excel writes a number it has rounded (5.00381E+17, 500381198503150000.0):
# the last digits are gone, so no record can be matched to it.
_NUMBER_TEXT = re.compile(r"\s*[+-]?\d+(?:\.\d*(?:[eE][+-]?\d+)?|[eE][+-]?\d+)\s*")

REQUIRED = ("姓名", "证件号码", "作业类别", "操作项目", "有效期结束日期", "应复审日期")
_LABEL_TO_ATTR = dict(RECORD_FIELDS)


class RegistrySource(ImmediateSource):
    name = "registry"
    description = ("本地登记文件（CSV、XLSX 或 JSON）中的官方记录：registry:文件路径"
                   "（a local registry file）")
    # A registry stands in for the national lookup (SPEC.md), so it is taken to be as late.
    publication_delay = NATIONAL_PUBLICATION_DELAY

    def __init__(self, path: Path, ids: Collection[str] | None = None) -> None:
        """Every record of the file, or with ``ids`` only those of these ID numbers.

        Either way the whole file is checked as before, and the regimes it holds are known; a
        lookup of one person (``certcheck lookup``) then neither builds nor keeps the other
        records.
        """
        self.path = path
        # A record may carry the holder's old 15-digit ID (old_form): it is read too.
        self._only = None if ids is None else frozenset(
            {*ids, *(f for f in map(old_form, ids) if f is not None)}
        )
        if self._only is None:
            self._by_id = load_registry(path)
            kinds = {(r.category, r.item) for records in self._by_id.values() for r in records}
        else:
            self._by_id, kinds = scan_registry(path, self._only)
        catalog = load_catalog()
        self._regimes = frozenset(
            {Regime.MEM} | {catalog.record_regime(category, item) for category, item in kinds}
        )
        self._unsure = _UnsureIds(self._by_id)

    def covered_regimes(self) -> frozenset[Regime]:
        """特种作业 always; 特种设备 and 建筑施工 when the file holds records of them."""
        return self._regimes

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> RegistrySource:
        if not arg:
            raise SourceError("registry 数据源需要一个文件：--source registry:文件路径"
                              "（the registry source needs a file）")
        return cls(Path(arg), options.ids)

    def lookup_now(self, query: Query) -> Outcome:
        if self._only is not None and query.id_number not in self._only:
            # Asked for someone it was not opened for: read everything after all.
            self._by_id = load_registry(self.path)
            self._unsure = _UnsureIds(self._by_id)
            self._only = None
        unsure = self._unsure.may_be(query.id_number)
        if unsure:
            # A record whose ID cannot be read, or was masked, may be this person's: neither
            # "nothing found" nor the other records can be the whole answer.
            return Failed(FailureKind.UNRECOGNIZED_RESPONSE, "；".join(unsure))
        records = self._by_id.get(query.id_number, ())
        old = old_form(query.id_number)
        if old is not None and old in self._by_id:
            # The same person under the 15-digit ID of a file typed from old papers.
            records = (*records, *self._by_id[old])
        return Found(records) if records else NotFound()

    @property
    def cache_identity(self) -> str:
        return f"registry:{self.path.resolve()}"

    @property
    def input_files(self) -> tuple[Path, ...]:
        return (self.path,)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())


_Masked = list[tuple[Shown, tuple[CertRecord, ...]]]


class _UnsureIds:
    """The records whose 证件号码 names nobody for sure, each of which answers for every ID it
    may be: one holding ? or � (a lossy save), or one the file masked (500116********017X),
    compared only on the characters it shows (``shown.compare_id``)."""

    __slots__ = ("garbled", "masked")

    def __init__(self, by_id: Mapping[str, tuple[CertRecord, ...]]) -> None:
        self.garbled = tuple((k, v) for k, v in by_id.items() if garbled(k))
        # Masked IDs by the lengths of their shown start and end, then by those characters: a
        # lookup asks each shape once, not each masked record (a file may mask every ID).
        self.masked: dict[tuple[int, int], dict[tuple[str, str], _Masked]] = {}
        for key, records in by_id.items():
            if _CANONICAL_ID.fullmatch(key) or garbled(key):
                continue
            shown = official_id(key)
            if shown.masked:
                first, last = shown.parts[0], shown.parts[-1]
                shape = self.masked.setdefault((len(first), len(last)), {})
                shape.setdefault((first, last), []).append((shown, records))

    def may_be(self, id_number: str) -> list[str]:
        """What says that records of the file may be this ID's; empty when none may."""
        said = []
        lost = [r for key, rs in self.garbled if _may_be(key, id_number) for r in rs]
        if lost:
            said.append(f"登记文件中证件号码含乱码的记录（{_where(lost)}）可能是此人的，无法判定")
        hidden = self._masked_may_be(id_number)
        if hidden:
            said.append(
                f"登记文件中证件号码被遮盖（脱敏）的记录（{_where(hidden)}）所显示的字与此人的"
                "身份证号相符，可能是此人的，无法判定"
            )
        return said

    def _masked_may_be(self, id_number: str) -> list[CertRecord]:
        old = old_form(id_number)
        forms = (id_number,) if old is None else (id_number, old)
        found: dict[str, tuple[CertRecord, ...]] = {}
        for (lead, tail), by_ends in self.masked.items():
            for form in forms:
                if lead + tail > len(form):
                    continue
                for shown, records in by_ends.get((form[:lead], form[len(form) - tail:]), ()):
                    if compare_id(shown, id_number) is not Agreement.DISAGREE:
                        found[shown.text] = records
        return [r for records in found.values() for r in records]


def _where(records: list[CertRecord]) -> str:
    return "、".join(r.origin or "?" for r in records[:3])


def _names_nobody(id_number: str) -> bool:
    """The record's 证件号码 is garbled or masked: it is kept for every lookup it may answer."""
    if _CANONICAL_ID.fullmatch(id_number):
        return False
    return garbled(id_number) or official_id(id_number).masked


def _may_be(garbled_id: str, id_number: str) -> bool:
    """The garbled ID may be ``id_number``: its readable characters stand in it, in order,
    with no more characters missing than were lost."""
    readable = [c for c in garbled_id if not garbled(c)]
    lost = len(garbled_id) - len(readable)
    if len(id_number) - len(readable) > lost or len(readable) > len(id_number):
        return False
    rest = iter(id_number)
    return all(c in rest for c in readable)


def load_registry(path: Path) -> dict[str, tuple[CertRecord, ...]]:
    """Read and validate a registry file; SourceError names the file and the problem."""

    def read() -> dict[str, tuple[CertRecord, ...]]:
        if path.suffix.lower() == ".json":
            rows: Iterable[tuple[int, Mapping[str, object]]] = _json_rows(path)
        else:
            rows = _sheet_rows(path)
        by_id: defaultdict[str, list[CertRecord]] = defaultdict(list)
        unit = _unit(path)
        known: dict[object, object] = {}
        # 100,000 records that all live to the end of the run: see gcpause.
        with paused():
            for where, row in rows:
                record = _record(row, where, f"{path.name} 第 {where} {unit}", known)
                by_id[record.id_number].append(record)
        return {k: tuple(v) for k, v in by_id.items()}

    return _reading(path, read)


_Kinds = set[tuple[str | None, str | None]]


def scan_registry(
    path: Path, ids: frozenset[str]
) -> tuple[dict[str, tuple[CertRecord, ...]], _Kinds]:
    """The records of ``ids`` only, and the (category, item) pairs of every record.

    The file is checked exactly as ``load_registry`` checks it, with the same errors. A CSV
    file is read one row at a time, and a row that is plainly well formed (a canonical ID
    that is not asked for, a name, dates seen before or in ISO form) is only checked, never
    made into a record: one person is looked up in a 100,000-row registry without holding it.
    """

    def read() -> tuple[dict[str, tuple[CertRecord, ...]], _Kinds]:
        head = read_head(path)
        if path.suffix.lower() == ".json" or spreadsheet_kind(path, head) is not Kind.TEXT:
            return _scan_whole(path, ids)
        return _scan_text(path, ids, head)

    return _reading(path, read)


def _scan_whole(
    path: Path, ids: frozenset[str]
) -> tuple[dict[str, tuple[CertRecord, ...]], _Kinds]:
    """A JSON or spreadsheet registry: parsed whole (no streaming parser), but every record is
    checked and dropped at once unless it is asked for, instead of all being kept."""
    rows = _json_rows(path) if path.suffix.lower() == ".json" else _sheet_rows(path)
    found: defaultdict[str, list[CertRecord]] = defaultdict(list)
    kinds: _Kinds = set()
    unit = _unit(path)
    known: dict[object, object] = {}
    for where, row in rows:
        _keep(_record(row, where, f"{path.name} 第 {where} {unit}", known), ids, found, kinds)
    return {k: tuple(v) for k, v in found.items()}, kinds


_T = TypeVar("_T")


def _reading(path: Path, read: Callable[[], _T]) -> _T:
    if not path.exists():
        raise SourceError(f"找不到登记文件 {path}（registry file not found）")
    if path.is_dir():
        raise SourceError(f"登记文件 {path} 是文件夹，请给出其中的登记文件（a folder）")
    if special_file(path):
        raise SourceError(f"登记文件 {path} 不是普通文件（管道、设备等）（not a regular file）")
    try:
        return read()
    except SourceError as exc:
        raise SourceError(f"登记文件 {path.name} 有误：{exc}") from None
    except UnusableFile as exc:
        # The file safety layer names the file itself.
        raise SourceError(f"登记文件有误：{exc}") from None
    except RecursionError:
        raise SourceError(f"登记文件 {path.name} 有误：嵌套层次太深（nested too deeply）") from None
    except (OSError, UnicodeError, ValueError, csv.Error) as exc:
        raise SourceError(f"登记文件 {path.name} 无法读取（{exc}）") from None


def _unit(path: Path) -> str:
    return "条记录" if path.suffix.lower() == ".json" else "行"


def _decoded(path: Path) -> tuple[str, str]:
    """The text of a CSV file as ``csv_book`` reads it, and its delimiter."""
    text, _ = decode_text(path.read_bytes())
    text = text.replace("\x00", "")
    return text, guess_delimiter(text)


#: Bytes read at a time from a CSV registry (256 KiB: a 1,000,000-record lookup peaks at 42 MiB
#: with it, 49 MiB with 1 MiB, and is no slower): lines are decoded and parsed a block at a time,
#: so a lookup's memory does not grow with the file.
_READ = 256 * 1024
#: The longest line of a CSV registry read a block at a time. A cell holds at most 1 MiB
#: (``textgrid``'s field limit) and a registry row about a dozen cells; a longer line is no
#: registry row and would only be held whole in memory.
MAX_LINE = 16 * 1024 * 1024
#: Lines the delimiter is guessed from (as ``guess_delimiter`` looks at them).
_HEAD_LINES = 120


def _quotes(path: Path) -> tuple[bool, bool]:
    """Whether the file (NULs dropped) holds ``"`` and ``="``, as ``_scan_text`` must know
    before its first row; one pass over the bytes at C speed. In UTF-8 and GB18030 neither
    byte occurs inside a multi-byte character."""
    quoted = False
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_READ):
            if b"\x00" in chunk:
                chunk = chunk.replace(b"\x00", b"")
            if b'"' in chunk:
                quoted = True
                if b'="' in last + chunk:
                    return True, True
            last = chunk[-1:] or last
    return quoted, False


def _text_lines(path: Path, utf8_bom: bool) -> Iterator[str]:
    """The lines of a CSV file without a byte-order mark or with UTF-8's, exactly as
    ``_decoded`` splits its text, read and decoded a block of whole lines at a time."""
    with path.open("rb") as handle:
        if utf8_bom:
            handle.read(3)
        carry = b""
        while True:
            chunk = handle.read(_READ)
            data = carry + chunk if carry else chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_LINE:
                        raise SourceError(f"有一行超过 {MAX_LINE // (1024 * 1024)} MiB，"
                                          "不是登记文件的行（a line too long）")
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            if data:
                text = data.decode("utf-8", "replace") if utf8_bom else decode_unmarked(data)[0]
                yield from io.StringIO(text.replace("\x00", ""), newline="")
            if not chunk:
                return


def _scan_text(
    path: Path, ids: frozenset[str], head: bytes
) -> tuple[dict[str, tuple[CertRecord, ...]], _Kinds]:
    # The same text, delimiter, field limit, line numbers and ="…" cells as csv_book, so every
    # row reads, and every error says, what it would through read_first_sheet; but read as a
    # stream, so that memory stays flat whatever the file's size.
    bom = text_encoding_of_bom(head)
    lines: Iterator[str]
    if bom in (None, "utf-8"):
        quoted, unwrap = _quotes(path)
        lines = _text_lines(path, bom == "utf-8")
        first = list(islice(lines, _HEAD_LINES))
        delimiter = guess_delimiter("".join(first))
        lines = chain(first, lines)
    else:  # UTF-16, which no registry export writes: read whole as before
        text, delimiter = guarded(path, lambda: _decoded(path))
        unwrap = '="' in text
        quoted = '"' in text
        lines = iter(io.StringIO(text, newline=""))
        del text
    reader = csv.reader(lines, delimiter=delimiter)
    # Without quotes no record spans two lines, so a record's line is its position.
    found: defaultdict[str, list[CertRecord]] = defaultdict(list)
    kinds: _Kinds = set()
    # (category, item) as the file has them, stripped at the end: a handful of distinct pairs.
    raw_kinds: set[tuple[str, str]] = set()
    with csv_reading(path, reader):
        headers = _scan_rows(reader, path, ids, found, kinds, raw_kinds,
                             unwrap=unwrap, quoted=quoted)
    if headers is None:
        raise SourceError("第一个工作表是空的（the first sheet is empty）")
    kinds.update((c.strip() or None, i.strip() or None) for c, i in raw_kinds)
    return {k: tuple(v) for k, v in found.items()}, kinds


def _scan_rows(
    reader: _CsvReader, path: Path, ids: frozenset[str],
    found: defaultdict[str, list[CertRecord]], kinds: _Kinds,
    raw_kinds: set[tuple[str, str]], *, unwrap: bool, quoted: bool,
) -> list[str] | None:
    """Every row of ``reader``, checked as ``scan_registry`` says; returns the headers."""
    # Date texts known to read as ISO dates; "" is an empty cell, which is allowed.
    good_dates: set[str] = {""}
    unit = _unit(path)
    previous_end = 0
    headers: list[str] | None = None
    pick: Callable[[list[str]], tuple[str, ...]] = itemgetter(0)
    shortest = 0
    if not unwrap and not quoted:
        # One record per line: rows go by in blocks whose checks run at C speed.
        headers = _scan_blocks(reader, path, ids, found, kinds, raw_kinds, good_dates)
    for values in reader:
        where = previous_end + 1
        previous_end = reader.line_num
        if unwrap:
            values = [unwrap_cell(cell) for cell in values]  # type: ignore[misc]
        if headers is None:
            headers = [str(h).strip() for h in values]
            _check_headers(headers)
            pick, shortest = _picker(headers)
            continue
        if not any(values):
            continue
        if len(values) >= shortest and _plain(picked := pick(values), ids, good_dates):
            raw_kinds.add((picked[2], picked[3]))
            continue
        _keep(_record(dict(zip(headers, values, strict=False)), where,
                      f"{path.name} 第 {where} {unit}"), ids, found, kinds)
    return headers


#: Rows checked together in ``_scan_blocks``.
_BLOCK = 2048
# Canonical IDs, one per line: checked for a whole block in one match.
_CANONICAL_IDS = re.compile(r"(?:[0-9]{17}[0-9X]\n)*[0-9]{17}[0-9X]")


def _picker(headers: list[str]) -> tuple[Callable[[list[str]], tuple[str, ...]], int]:
    """(name, ID, category, item, dates…) of a row, and the least cells a row needs for it."""
    at = {label: headers.index(label) for label, _ in RECORD_FIELDS if label in headers}
    needed = [at["姓名"], at["证件号码"], at["作业类别"], at["操作项目"]]
    needed += [at[label] for label, attr in RECORD_FIELDS if attr in DATE_FIELDS and label in at]
    # A label twice makes dict(zip(...)) pick a cell by row length, and a column the format
    # does not have must be looked at (_other_columns): every row is made whole.
    if any(headers.count(label) > 1 for label in at) or set(headers) - _LABELS - {""}:
        return itemgetter(*needed), 1 << 62
    return itemgetter(*needed), max(needed) + 1


def _keep(record: CertRecord, ids: frozenset[str],
          found: defaultdict[str, list[CertRecord]], kinds: _Kinds) -> None:
    kinds.add((record.category, record.item))
    if record.id_number in ids or _names_nobody(record.id_number):
        found[record.id_number].append(record)


def _scan_blocks(
    reader: Iterator[list[str]], path: Path, ids: frozenset[str],
    found: defaultdict[str, list[CertRecord]], kinds: _Kinds,
    raw_kinds: set[tuple[str, str]], good_dates: set[str],
) -> list[str] | None:
    """The rows of a file whose records are one line each; returns the headers.

    A block of rows that are all plainly well formed (see ``_scan_text``) is checked column by
    column with set operations and one regular expression; a block with anything else in it
    (a short or blank row, an ID to normalise or asked for, a date to look at) is read row by
    row, each row made into a record as ``load_registry`` makes it.
    """
    first = next(reader, None)
    if first is None:
        return None
    headers = [str(h).strip() for h in first]
    _check_headers(headers)
    pick, shortest = _picker(headers)
    unit = _unit(path)
    line = 1
    while block := list(islice(reader, _BLOCK)):
        start, line = line, line + len(block)
        if min(map(len, block)) >= shortest:
            columns = list(zip(*map(pick, block), strict=True))
            dates = set(chain.from_iterable(columns[4:]))
            if (ids.isdisjoint(columns[1]) and all(map(str.strip, columns[0]))
                    and _CANONICAL_IDS.fullmatch("\n".join(columns[1]))
                    and (good_dates.issuperset(dates) or _iso_dates(dates, good_dates))):
                raw_kinds.update(zip(columns[2], columns[3], strict=True))
                continue
        for offset, values in enumerate(block, start=1):
            if len(values) >= shortest and _plain(picked := pick(values), ids, good_dates):
                raw_kinds.add((picked[2], picked[3]))
            elif any(values):
                where = start + offset
                _keep(_record(dict(zip(headers, values, strict=False)), where,
                              f"{path.name} 第 {where} {unit}"), ids, found, kinds)
    return headers


def _plain(picked: tuple[str, ...], ids: frozenset[str], good_dates: set[str]) -> bool:
    """The row (as ``_picker`` picks it) is well formed and none of ``ids``, plainly so; False
    means "make the record to be sure"."""
    raw = picked[1]
    # A canonical ID is its own normal form: one of ids only if equal to one.
    return bool(
        len(raw) == 18 and raw not in ids and raw.isascii()
        and (raw.isdigit() or (raw[:17].isdigit() and raw[17] == "X"))
        and picked[0].strip()
        and (good_dates.issuperset(picked[4:]) or _iso_dates(picked[4:], good_dates))
    )


def _iso_dates(texts: Iterable[str], good: set[str]) -> bool:
    """Every text is empty or an ISO date (remembered in ``good``); False: look closer."""
    for text in texts:
        if text not in good:
            try:
                iso_date(text)
            except ValueError:
                return False
            good.add(text)
    return True


def _check_headers(headers: Iterable[str]) -> None:
    missing = [h for h in REQUIRED if h not in set(headers)]
    if missing:
        raise SourceError(
            "缺少列 " + "、".join(missing) + "（missing columns）；应有的列为 "
            + "、".join(label for label, _ in RECORD_FIELDS)
        )


def _json_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    content = read_checked(path)
    check_json_size(path, content)
    data = jsontext.loads(content.decode("utf-8-sig"))
    del content
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise SourceError("应为记录的 JSON 列表（expected a JSON list of records）")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"第 {index} 条记录不是对象（not an object）")
        _check_headers(item.keys())
        yield index, item


def _sheet_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    # Whatever the extension says: calamine aborts the whole process on some crafted
    # workbooks, and the file safety layer's sniffing and guards are what stop that.
    grid = read_first_sheet(path)
    if not grid.rows:
        raise SourceError("第一个工作表是空的（the first sheet is empty）")
    headers = [str(h).strip() for h in grid.rows[0]]
    _check_headers(headers)
    for index, values in enumerate(grid.rows[1:], start=1):
        # any(values) settles almost every row at C speed; the rest may hold a 0 cell.
        if any(values) or any(v not in ("", None) for v in values):
            yield grid.row_number(index), dict(zip(headers, values, strict=False))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_FIELDS = tuple((label, attr, attr in DATE_FIELDS) for label, attr in RECORD_FIELDS)


#: Text cells that repeat from record to record (a category, an item, an issuer): one string
#: object each instead of 100,000 copies.
_SHARED_TEXT = frozenset({"category", "item", "issuer"})
_CANONICAL_ID = re.compile(r"[0-9]{17}[0-9X]")


def _record(row: Mapping[str, object], where: int, origin: str,
            known: dict[object, object] | None = None) -> CertRecord:
    # Runs once per official record (100,000 for a district registry): the registry's own
    # YYYY-MM-DD dates take the C parser first, anything else the full date reader. ``known``
    # keeps the dates and repeating texts already read during one file's reading, so each is
    # parsed once and shared, which also saves their copies' memory. A date or text seen
    # before is taken inline; only a new one costs a call.
    values: dict[str, object] = {}
    get = row.get
    if known is None:
        known = {}
    for label, attr, is_date in _FIELDS:
        raw = get(label)
        if is_date:
            if raw is None or raw == "":
                values[attr] = None
            elif isinstance(raw, str) and (day := known.get(raw)) is not None:
                values[attr] = day
            else:
                values[attr] = _new_date(raw, label, where, origin, known)
        elif isinstance(raw, str):
            text = raw.strip() or None
            if attr in _SHARED_TEXT and text is not None:
                text = known.setdefault(("text", text), text)  # type: ignore[assignment]
            values[attr] = text
        else:
            values[attr] = _text(raw)
    raw_id = get("证件号码")
    # The usual ID, 17 digits and a digit or X as text, is neither a rounded number nor other
    # than its normal form: only another one costs the closer look.
    if not (values["name"] and isinstance(raw_id, str) and _CANONICAL_ID.fullmatch(raw_id)):
        values["id_number"] = _id_text(row, values, where, origin)
    values["status_text"] = _text(get(STATUS_LABEL))
    values["origin"] = origin
    if len(row) > len(_LABELS) or not row.keys() <= _LABELS:
        _other_columns(row, where, origin)
    return CertRecord(**values)  # type: ignore[arg-type]


_LABELS = frozenset({*(label for label, _ in RECORD_FIELDS), STATUS_LABEL})
# What, in a column that is not the registry's, would say the record does not count.
_NOT_COUNTING = (*REVOKED_WORDS, *LAPSED_WORDS, "历史")


def _other_columns(row: Mapping[str, object], where: int, origin: str) -> None:
    """A column the registry format does not have is not read; one that says the record is
    withdrawn, lapsed or history (状态: 注销, 数据类型: 历史数据) would then be ignored
    silently, so the file is refused, naming the row and the column."""
    for key in row.keys() - _LABELS:
        value = row[key]
        if isinstance(value, str) and any(word in value for word in _NOT_COUNTING):
            raise SourceError(
                f"{_row_words(origin, where)}：列“{key}”写有“{value.strip()[:20]}”，"
                f"但它不是登记文件的列，不会被读取；证书状态请写在“{STATUS_LABEL}”列，"
                "历史记录不放入登记文件（a column the registry format does not have）"
            )


def _new_date(raw: object, label: str, where: int, origin: str,
              known: dict[object, object]) -> date | None:
    """A date cell not read before in this file; an ISO text is kept in ``known``."""
    if isinstance(raw, str):
        try:
            day = known[raw] = iso_date(raw)
            return day
        except ValueError:
            pass
    try:
        return parse_date(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        raise SourceError(
            f"{_row_words(origin, where)}：{label} 不是日期：{raw}（not a date）"
        ) from None


def _id_text(row: Mapping[str, object], values: Mapping[str, object], where: int,
             origin: str) -> str:
    """The record's ID number in its normal form; SourceError when it is lost or missing."""
    raw_id = row.get("证件号码")
    if isinstance(raw_id, float) or (
        isinstance(raw_id, str) and not raw_id.isdigit() and _NUMBER_TEXT.fullmatch(raw_id)
    ):
        raise SourceError(
            f"{_row_words(origin, where)}：证件号码被存为数字，末位已丢失（a number）"
        )
    if not values["name"] or not values["id_number"]:
        raise SourceError(
            f"{_row_words(origin, where)}：姓名和证件号码不能为空（must not be empty）"
        )
    id_text = str(values["id_number"])
    # An ASCII ID of 17 digits and a digit or X is already its own normal form.
    if not (len(id_text) == 18 and id_text.isascii() and _CANONICAL_ID.fullmatch(id_text)):
        id_text = normalize_id(id_text)
    return id_text


def _row_words(origin: str, where: int) -> str:
    """"第 3 行" / "第 3 条记录": the error message above this one names the file."""
    return "第" + origin.rsplit("第", 1)[1] if "第" in origin else str(where)
