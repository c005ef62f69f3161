"""Refusing files that would hurt the reader before any reader sees them.

python-calamine allocates a dense grid spanning the first to the last cell it is told about,
and aborts the whole process (not an exception) when that allocation fails: a 1.5 KB xlsx
with one cell at XFD1048576 asks for 512 GiB. Zip bombs expand without limit in every reader.
So the archive, the cell references (xlsx) and the repeated rows and cells (ods) are checked
here, with bounded streaming work, and the formats whose cells are only known by reading them,
and .ods as well, are read in a child process with a memory limit (see ``isolated``).
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.sniff import Kind

# A roster is a few MB at most; anything far larger is not a roster and would only waste memory.
MAX_FILE_SIZE = 256 * 1024 * 1024
# 100,000 workers × 11 columns is ~56 MiB of sheet XML; 4× that leaves room and stops bombs.
MAX_UNCOMPRESSED = 256 * 1024 * 1024
# Sheet XML compresses 10–30×, xlsxwriter's repetitive rows up to ~100×; bombs reach 1000×+.
MAX_RATIO = 200
# Tiny parts (a 2 KB styles.xml of spaces) may compress absurdly well and are harmless.
RATIO_FLOOR = 1024 * 1024
# Real workbooks have tens of parts; thousands means a crafted archive.
MAX_MEMBERS = 5000
# calamine's dense grid costs ~32 bytes a cell: 10 M cells ≈ 320 MiB, enough for 100,000 rows
# of 100 columns.
MAX_CELLS = 10_000_000
# Excel's own limits: a reference beyond them was not written by a spreadsheet program.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
# No tag in sheet XML and no Excel cell text (32,767 characters) comes near this many bytes
# between two "<"; longer means a crafted file, and it bounds what the scanner holds.
MAX_TAG_SPAN = 1024 * 1024
# Text a workbook may expand to: the shared strings its cells refer to, counted once per
# reference (calamine and then Python copy the string into every cell that refers to it). A
# 100,000-row roster holds ~20–30 MiB of text; one 1 MB string referred to by 3,000 cells is
# 3 GB. 10 M cells (MAX_CELLS) of ~25 bytes each is the most an honest file reaches.
MAX_TEXT = 256 * 1024 * 1024
# One shared string: Excel keeps at most 32,767 characters in a cell (~96 KiB of UTF-8, plus
# rich-text markup); the CSV reader's cell limit is the same 1 MiB.
MAX_CELL_TEXT = 1024 * 1024
# Worksheets in one workbook: Excel opens a few hundred at most in practice; 50,000 entries
# naming one part would be read 50,000 times.
MAX_SHEETS = 1000
# Merged ranges in one workbook: a roster merges a few columns per group of rows (100,000
# rows in groups of two over five columns is 250,000). The readers' work grows with them.
MAX_MERGES = 500_000
# Rows of a text table (CSV, TXT): past Excel's 1,048,576 rows, room for a registry of a
# million records; each row costs a list and a line number however short it is.
MAX_TEXT_ROWS = 2 * EXCEL_MAX_ROWS
# JSON values: a registry of a million records of eight fields is ~17 M; each value costs
# ~50–100 bytes once parsed, so an array of 80 M empty objects (3 bytes each on disk, a
# 256 MiB file) would need ~6 GB.
MAX_JSON_VALUES = 20_000_000
# JSON objects: each costs ~60 bytes empty and several hundred with a record's fields.
MAX_JSON_OBJECTS = 2_000_000
_CHUNK = 8 * 1024 * 1024

_ENTITY_DECL = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
# Anything that defeats the fast path below: "<!" (comments and CDATA may hold fake tags,
# DOCTYPE is refused), and cell/row tags with a namespace prefix, without r, with r not first,
# or with an r that is not a plain A1-style reference. The lookahead skips the common tags
# at once, which makes the scan ~2× faster.
_IRREGULAR = re.compile(
    rb"<(?!c r=\"[A-Z]{1,3}\d{1,7}\"|row r=\"|/|v>|is>|t>|t |f>|f )"
    rb"(?:!|(?:[^\s<>/=!?:\"']+:)?(?:c|row)[\s/>])"
)
# Cell references of cells that may hold a value. A self-closing ``<c r="XFD1048576" s="0"/>``
# only carries a style, calamine skips it, and Gnumeric writes whole sheets of them.
_HOLDS = rb'"[^>]*(?<!/)>'
# References beyond column Z or row 99,999: rare in a roster, so collecting only these is cheap
# and everything else is known to lie within Z99999.
_NOTABLE = re.compile(rb'<c r="([A-Z]{2,}|[A-Z](?=\d{6}))(\d+)' + _HOLDS)
_REF_ALL = re.compile(rb'<c r="([A-Z]+)(\d+)' + _HOLDS)
# Precise mode: every row/cell start tag, whatever its form.
_ANY_TAG = re.compile(rb"<(?:[^\s<>/=!?:\"']+:)?(c|row)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]*)\s*(\d*)\s*["']""")
_COMMENT_OR_CDATA = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)


def unsafe(path: Path, why: str) -> UnusableFile:
    return UnusableFile(
        f"{path.name}：{why}，为安全起见不予读取。请在 Excel/WPS 中打开并另存为新的 .xlsx 后再试"
        f"（refused as unsafe: {why}）"
    )


def password_protected(path: Path) -> UnusableFile:
    return UnusableFile(
        f"{path.name} 设有打开密码，无法读取。请打开后另存一份不加密的副本再试"
        "（the workbook is password-protected; save an unprotected copy）"
    )


def special_file(path: Path) -> bool:
    """True for a path that exists but is neither a regular file nor a folder.

    Opening a FIFO blocks until someone writes to it, and a device such as /dev/zero never
    ends, so such paths (or links to them) must be refused before anything opens them.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def resolved(path: Path) -> Path:
    """``path`` with its links followed, or made absolute when they loop: Python 3.11's
    ``Path.resolve`` raises RuntimeError for a link loop (3.13 an OSError), and comparing paths
    is no reason to stop a run; opening such a path later fails as a missing file does."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path.absolute()


def check_file_size(path: Path, size: int) -> None:
    if size > MAX_FILE_SIZE:
        raise unsafe(path, f"文件过大（{size // (1024 * 1024)} MiB）")


def read_checked(path: Path) -> bytes:
    """The whole content of a regular file of a sane size, read through one descriptor.

    Every guard and every reader then works on these bytes, so a file swapped or grown
    between the check and the read (a shared folder) cannot reach a reader unchecked. The
    descriptor is checked with fstat, not the name: a link to a regular file is a normal way
    to hand a file over, while a FIFO or a device swapped in is refused without blocking
    (O_NONBLOCK). Raises OSError for a path that cannot be opened, ``UnusableFile`` for one
    that is not a regular file or is too large.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise UnusableFile(
                f"{path} 不是普通文件（管道、设备等），无法读取。"
                "请给出 .xlsx/.xls/.csv 文件的路径（not a regular file）"
            )
        check_file_size(path, status.st_size)
        # One byte more than allowed tells a file that grew past the limit since fstat.
        data = _read_at_most(handle, MAX_FILE_SIZE + 1)
    check_file_size(path, len(data))
    return data


def check_text_cells(path: Path, data: bytes) -> None:
    """Refuse a text table whose cells or rows would cost far more memory than its size.

    Each cell costs ~50 bytes (a str object and its slot in a row) however short it is, so a
    file of 256 MiB of commas would become 256 M cells and ~12 GB. Counted on the bytes, at C
    speed, before anything is parsed: every delimiter any text reader here may pick (",",
    tab, ";") and every line end starts at most one more cell, so this bounds the cells
    whichever delimiter is guessed and however quotes fall.
    """
    rows = data.count(b"\n") + data.count(b"\r") + 1
    if rows > MAX_TEXT_ROWS:
        raise unsafe(path, f"行数过多（约 {rows} 行）")
    cells = rows + data.count(b",") + data.count(b"\t") + data.count(b";")
    if cells > MAX_CELLS:
        raise unsafe(path, f"单元格过多（约 {cells} 个）")


def check_json_size(path: Path, data: bytes) -> None:
    """Refuse JSON whose values would cost far more memory than its size, before parsing.

    ``[{},{},…]`` grows 25× once parsed. Every value after the first in an array or object
    follows a "," or ":" (those inside strings only add to the count), so these bound the
    values; "{" bounds the objects.
    """
    values = data.count(b",") + data.count(b":") + 1
    if values > MAX_JSON_VALUES:
        raise unsafe(path, f"JSON 中的值过多（约 {values} 个）")
    objects = data.count(b"{")
    if objects > MAX_JSON_OBJECTS:
        raise unsafe(path, f"JSON 中的对象过多（约 {objects} 个）")


def _read_at_most(handle: io.RawIOBase, limit: int) -> bytes:
    parts: list[bytes] = []
    left = limit
    while left > 0:
        block = handle.read(min(left, _CHUNK))
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


def check_zip(path: Path, kind: Kind, data: bytes | None = None) -> None:
    """Archive limits, entity declarations, encryption and (for xlsx) the cell references,
    the sheets, the merged ranges and the text the cells expand to.

    ``data`` is the file's content as ``read_checked`` gave it; the readers must then be
    handed the same bytes. Without it the file is opened by name (tests, tools).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as archive:
            infos = archive.infolist()
            _check_archive(path, infos)
            if kind is Kind.ODS:
                _check_ods_encryption(path, archive)
            if kind is Kind.OOXML:
                _check_workbook(path, archive, infos)
                return
            for info in infos:
                if info.is_dir() or info.file_size == 0:
                    continue
                _scan_entities(path, archive, info)
            if kind is Kind.ODS:
                _check_ods_content(path, archive)
    except UnusableFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            SafeET.ParseError) as exc:
        raise UnusableFile(
            f"{path.name} 已损坏，无法读取（{type(exc).__name__}）。"
            "请用 Excel/WPS 打开修复后另存再试"
        ) from exc


# Parts of a workbook package that no reader certcheck uses ever parses (pictures, themes,
# charts, drawings, document properties): the archive limits above still count their size,
# but scanning their XML would only cost time (about 40 % of checking a small register).
_NEVER_PARSED = ("docProps/", "xl/theme/", "xl/charts/", "xl/drawings/", "xl/media/",
                 "xl/printerSettings/", "customXml/")


def _never_parsed(name: str, targets: frozenset[str]) -> bool:
    """A part no reader parses: under one of those folders, and named by no relationship of
    the workbook. calamine follows the relationships, not the folder names, so a sheet stored
    as xl/theme/sheet1.xml is read as a sheet and must be checked as one."""
    return name.startswith(_NEVER_PARSED) and _base(name) not in targets


def _base(name: str) -> str:
    """A part's file name, lowercased: what relationship targets are compared by. Comparing
    only that much may check a part that is not a sheet, never the reverse, whatever the
    relative paths and the case calamine resolves."""
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()


# --- the workbook as calamine reads it -------------------------------------------------------

_RELATIONSHIP = re.compile(rb"<(?:[^\s<>/=!?:\"']+:)?Relationship(?=[\s/>])([^>]*)>")
_SHEET_ENTRY = re.compile(rb"<(?:[^\s<>/=!?:\"']+:)?sheet(?=[\s/>])([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([^\s=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Where one shared string starts: calamine keeps one string per <si>, <si/> included.
_SI_START = re.compile(rb"<(?:[^\s<>/=!?:\"']+:)?si(?=[\s/>])")
# A cell value that may be a shared string's index; any <v> counts (a number cell too), so the
# sum is an upper bound whatever the t attribute says. A piece may end just before the "<".
_VALUE = re.compile(rb"v(?:\s[^>]*)?>\s*\+?(\d{1,12})\s*(?=<|\Z)")


@dataclass
class _Layout:
    """What the relationships and the workbook part say: which parts are read as what."""

    #: File names (see ``_base``) of every relationship target.
    targets: frozenset[str] = frozenset()
    #: File names of the shared-string tables.
    shared: frozenset[str] = frozenset()
    #: How many sheet entries name each file name; a part named twice is read twice.
    uses: dict[str, int] = field(default_factory=dict)
    sheets: int = 0


@dataclass
class _Part:
    info: zipfile.ZipInfo
    extent: _Extent
    exact: bool
    #: Upper bound of the number of cell values (each <v> and </v> counted).
    values: int = 0
    merges: int = 0


def _check_workbook(path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    layout = _layout(path, archive, infos)
    if layout.sheets > MAX_SHEETS:
        raise unsafe(path, f"工作簿中有 {layout.sheets} 个工作表")
    lengths: list[int] = []
    parts: list[_Part] = []
    for info in infos:
        if info.is_dir() or info.file_size == 0 or _never_parsed(info.filename, layout.targets):
            continue
        if _base(info.filename) in layout.shared:
            lengths = _longest_each(lengths, _string_lengths(path, archive, info))
        part = _scan_part(path, archive, info)
        _check_extent(path, part.extent)
        parts.append(part)
    uses = [max(layout.uses.get(_base(part.info.filename), 0), 1) for part in parts]
    if sum(n * part.merges for n, part in zip(uses, parts, strict=True)) > MAX_MERGES:
        raise unsafe(path, "合并单元格过多")
    _check_total_extent(path, archive, parts, uses)
    _check_text(path, archive, parts, uses, lengths)


def _layout(path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> _Layout:
    """Relationship targets from the package's and the workbook's .rels parts, and the
    sheet entries of the workbook part(s), read with bounded regular expressions (the parts
    are small, and DOCTYPE is refused in them as everywhere)."""
    targets: set[str] = set()
    shared: set[str] = set()
    by_id: dict[bytes, set[str]] = {}
    books: set[str] = {"workbook.xml"}
    for info in infos:
        name = info.filename.lower()
        if not name.endswith(".rels") or ("workbook" not in name and _base(name) != ".rels"):
            continue
        for attributes in _RELATIONSHIP.findall(_small_part(path, archive, info)):
            values = _attributes(attributes)
            target = _base(values.get(b"target", b"").decode("utf-8", "replace"))
            kind = values.get(b"type", b"")
            targets.add(target)
            by_id.setdefault(values.get(b"id", b""), set()).add(target)
            if kind.endswith(b"/sharedStrings"):
                shared.add(target)
            if kind.endswith(b"/officeDocument"):
                books.add(target)
    layout = _Layout(frozenset(targets), frozenset(shared | {"sharedstrings.xml"}))
    for info in infos:
        if info.is_dir() or _base(info.filename) not in books:
            continue
        for attributes in _SHEET_ENTRY.findall(_small_part(path, archive, info)):
            layout.sheets += 1
            values = _attributes(attributes)
            # r:id, whatever the prefix: calamine looks the relationship up by it.
            ids = [v for k, v in values.items() if k.rsplit(b":", 1)[-1] == b"id" and b":" in k]
            for target in set().union(*(by_id.get(i, set()) for i in ids)):
                layout.uses[target] = layout.uses.get(target, 0) + 1
    return layout


def _small_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A relationships or workbook part, whole; they are a few KB in any honest file."""
    if info.file_size > MAX_UNCOMPRESSED // 16:
        raise unsafe(path, f"部件 {info.filename} 过大")
    data = archive.read(info)
    if _ENTITY_DECL.search(data):
        raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
    return data


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return {
        key.lower() if b":" not in key else key: (double if double or not single else single)
        for key, double, single in _ATTRIBUTE.findall(tag)
    }


def _string_lengths(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[int]:
    """The size in bytes of each shared string's XML, markup included: an upper bound of the
    text calamine keeps for it, by its index."""
    lengths: list[int] = []
    open_size: int | None = None  # the string still open at the end of the last piece
    for piece in _chunks(archive, info, path):
        head, *rest = _SI_START.split(piece)
        if open_size is not None:
            open_size += len(head)
        if rest:
            if open_size is not None:
                lengths.append(open_size)
            lengths.extend(map(len, rest[:-1]))
            open_size = len(rest[-1])
    if open_size is not None:
        lengths.append(open_size)
    if lengths and max(lengths) > MAX_CELL_TEXT:
        raise unsafe(path, f"单元格文字过长（超过 {MAX_CELL_TEXT // 1024} KiB）")
    return lengths


def _longest_each(one: list[int], other: list[int]) -> list[int]:
    """Two tables for one workbook (a crafted file): whichever calamine uses, the longer."""
    if not one:
        return other
    longer, shorter = (one, other) if len(one) >= len(other) else (other, one)
    return [max(a, b) for a, b in zip(shorter, longer, strict=False)] + longer[len(shorter) :]


def _scan_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Part:
    bound = _Extent()
    values = merges = 0
    for piece in _chunks(archive, info, path):
        if _IRREGULAR.search(piece):
            extent, values, merges = _precise_extent(path, archive, info)
            return _Part(info, extent, True, values, merges)
        _bound_extent(piece, bound)
        values += piece.count(b"v>")
        merges += piece.count(b"mergeCell")
    if bound.cells <= MAX_CELLS:
        return _Part(info, bound, False, values, merges)
    return _Part(info, _exact_extent(path, archive, info), True, values, merges)


def _exact_extent(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Extent:
    exact = _Extent()
    for piece in _chunks(archive, info, path):
        for letters, digits in _REF_ALL.findall(piece):
            exact.cols = max(exact.cols, _col_number(letters))
            exact.rows = max(exact.rows, int(digits))
    return exact


def _check_total_extent(
    path: Path, archive: zipfile.ZipFile, parts: list[_Part], uses: list[int]
) -> None:
    """The cells of all sheets together: each sheet gets its own grid, and a part that many
    sheet entries name is read once per entry. The quick bounds are loose (any cell implies
    Z99999), so when they add up past the limit the parts are counted exactly first."""
    if sum(n * part.extent.cells for n, part in zip(uses, parts, strict=True)) <= MAX_CELLS:
        return
    for part in parts:
        if not part.exact:
            part.extent, part.exact = _exact_extent(path, archive, part.info), True
    total = sum(n * part.extent.cells for n, part in zip(uses, parts, strict=True))
    if total > MAX_CELLS:
        raise unsafe(path, f"各工作表合计单元格过多（约 {total} 个）")


def _check_text(
    path: Path, archive: zipfile.ZipFile, parts: list[_Part], uses: list[int], lengths: list[int]
) -> None:
    """The shared strings the cells refer to, counted once per reference. The quick bound
    (every value the longest string) settles honest files; past the limit each value is
    looked up."""
    if not lengths:
        return
    longest = max(lengths)
    if sum(n * part.values * longest for n, part in zip(uses, parts, strict=True)) <= MAX_TEXT:
        return
    total = 0
    for n, part in zip(uses, parts, strict=True):
        if part.values:
            total += n * _referred_text(path, archive, part.info, lengths, longest)
            if total > MAX_TEXT:
                limit = MAX_TEXT // (1024 * 1024)
                raise unsafe(path, f"单元格引用的文字合计过多（超过 {limit} MiB）")


def _referred_text(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, lengths: list[int], longest: int
) -> int:
    size = lengths.__getitem__
    count = len(lengths)
    total = 0
    for piece in _chunks(archive, info, path):
        if b"CDATA" in piece:
            # A value inside CDATA escapes the pattern: count every value as the longest.
            total += piece.count(b"v>") * longest
            continue
        indices = [int(i) for i in _VALUE.findall(piece)]
        total += sum(map(size, (i for i in indices if i < count)))
    return total


def _check_archive(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise unsafe(path, f"压缩包内有 {len(infos)} 个部件")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise password_protected(path)
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise unsafe(path, "疑似压缩炸弹（压缩比异常）")
    if total > MAX_UNCOMPRESSED:
        raise unsafe(path, f"解压后过大（{total // (1024 * 1024)} MiB）")


def _check_ods_encryption(path: Path, archive: zipfile.ZipFile) -> None:
    try:
        manifest = archive.read("META-INF/manifest.xml")
    except KeyError:
        return
    if len(manifest) > MAX_TAG_SPAN or _ENTITY_DECL.search(manifest):
        raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
    root = SafeET.fromstring(manifest)
    if any(element.tag.rsplit("}", 1)[-1] == "encryption-data" for element in root.iter()):
        raise password_protected(path)


# --- the cells of an OpenDocument spreadsheet ----------------------------------------------

_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODS_CELLS = (_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell")
_ODS_ROW = _ODS_TABLE + "table-row"


@dataclass
class _OdsCount:
    """What the tables of content.xml expand to, as a reader lays the repeats out."""

    #: Cells of the tables already finished, each its own grid (rows × columns).
    cells: int = 0
    text: int = 0
    merges: int = 0
    #: The current table: rows passed, and how far down and across its values reach.
    row: int = 0
    rows: int = 0
    cols: int = 0

    def close_table(self) -> None:
        self.cells += self.rows * self.cols
        self.row = self.rows = self.cols = 0

    @property
    def all_cells(self) -> int:
        return self.cells + self.rows * self.cols


def _repeats(attrib: dict[str, str], name: str) -> int:
    """A repeat or span count as a reader takes it: digits (an optional "+"), what Rust's
    integer parsing accepts; anything else counts once, as the readers reject or ignore it."""
    value = (attrib.get(_ODS_TABLE + name) or "1").strip().lstrip("+")
    return int(value) if value.isdigit() and len(value) <= 18 else 1


class _OdsCounter:
    """Parser target counting the cells, text and merges of content.xml as it streams by; no
    tree is built, so its memory is that of the counts, whatever the file holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = _OdsCount()
        self.depth = 0
        # The cells being read (a table inside a cell nests them): attributes, text so far.
        self.cells: list[tuple[dict[str, str], list[int]]] = []
        # The row being read: the next column, how far its values reach, its text and merges.
        self.col = self.row_cols = self.row_text = self.row_merges = 0
        self.row_repeat = 1

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in _ODS_CELLS:
            self.cells.append((attrib, [0]))
        elif tag == _ODS_ROW:
            self.col = self.row_cols = self.row_text = self.row_merges = 0
            self.row_repeat = _repeats(attrib, "number-rows-repeated")
        elif tag == _ODS_TABLE + "table":
            self.depth += 1
            if self.depth == 1:
                self.count.row = self.count.rows = self.count.cols = 0

    def data(self, text: str) -> None:
        if self.cells:
            size = self.cells[-1][1]
            size[0] += len(text)
            if size[0] > MAX_CELL_TEXT:
                raise unsafe(self.path, f"单元格文字过长（超过 {MAX_CELL_TEXT // 1024} KiB）")

    def end(self, tag: str) -> None:
        if tag in _ODS_CELLS and self.cells:
            attrib, (text,) = self.cells.pop()
            repeat = _repeats(attrib, "number-columns-repeated")
            if text or attrib.get(_ODS_OFFICE + "value-type") is not None:
                self.row_cols = self.col + repeat
                self.row_text += text * repeat
            if (_repeats(attrib, "number-rows-spanned") > 1
                    or _repeats(attrib, "number-columns-spanned") > 1):
                self.row_merges += repeat
            self.col += repeat
        elif tag == _ODS_ROW:
            count = self.count
            repeat = self.row_repeat
            if self.row_cols:
                count.rows = count.row + repeat
                count.cols = max(count.cols, self.row_cols)
            count.row += repeat
            count.text += self.row_text * repeat
            count.merges += self.row_merges * repeat
            _check_ods_count(self.path, count)
        elif tag == _ODS_TABLE + "table":
            if self.depth == 1:
                self.count.close_table()
            self.depth -= 1

    def close(self) -> None:
        _check_ods_count(self.path, self.count)


def _check_ods_content(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse an .ods whose repeated rows and cells expand past the cell, text or merge limits.

    ``table:number-columns-repeated`` and ``number-rows-repeated`` let a few bytes stand for
    16,384 × 1,048,576 cells, and each repeat of a cell copies its text; calamine lays every
    repeat out in its grid. Empty cells do not count: LibreOffice itself ends every sheet with a
    row of 1,024 empty cells repeated a million times, and the grid stops at the last value.
    Streamed through the same defused parser as the rest (no DOCTYPE, no entities).
    """
    try:
        info = archive.getinfo("content.xml")
    except KeyError:
        return
    counter = _OdsCounter(path)
    parser = SafeET.XMLParser(target=counter)
    with archive.open(info) as stream:
        while block := stream.read(_CHUNK):
            parser.feed(block)
    parser.close()


def _check_ods_count(path: Path, count: _OdsCount) -> None:
    if count.all_cells > MAX_CELLS:
        raise unsafe(path, f"表格中重复的单元格展开后过多（约 {count.all_cells} 个）")
    if count.text > MAX_TEXT:
        raise unsafe(path, f"单元格文字合计过多（超过 {MAX_TEXT // (1024 * 1024)} MiB）")
    if count.merges > MAX_MERGES:
        raise unsafe(path, "合并单元格过多")


@dataclass
class _Extent:
    """The largest row and column (1-based) a sheet part refers to."""

    rows: int = 0
    cols: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.cols


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """The member's bytes in pieces that each end just before a "<", so no tag is ever split."""
    carry = b""
    with archive.open(info) as stream:
        while block := stream.read(_CHUNK):
            buffer = carry + block
            cut = buffer.rfind(b"<")
            if cut < 0:
                carry = b""  # no tag starts in it, so nothing to check
            elif cut > 0:
                yield buffer[:cut]
                carry = buffer[cut:]
            elif len(buffer) <= MAX_TAG_SPAN:
                carry = buffer  # one unfinished tag: wait for the rest of it
            elif _looks_binary(buffer):
                yield buffer
                carry = b""
            else:
                raise unsafe(path, "XML 中有异常长的片段")
    if carry:
        yield carry


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:4096]


def _scan_entities(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Entity declarations in a part of an .ods or .xlsb (whose cells the child reads)."""
    for piece in _chunks(archive, info, path):
        if _ENTITY_DECL.search(piece):
            raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")


def _bound_extent(piece: bytes, bound: _Extent) -> None:
    """Raise ``bound`` to an upper bound of the rows and columns this piece's cells reach.

    Done with one C-speed search instead of one match per cell: columns beyond Z and rows
    beyond 99,999 are rare, so only those references are ever collected. Row tags are not
    counted: calamine sizes its grid from cells, and Excel writes formatted empty rows down to
    1,048,576. A bound over the limit sends the part to an exact count.
    """
    if b'<c r="' not in piece:
        return
    notable = _NOTABLE.findall(piece)
    cols, rows = 26, 99_999
    if notable:
        cols = max(cols, *(_col_number(letters) for letters in {n[0] for n in notable}))
        rows = max(rows, *(int(digits) for digits in {n[1] for n in notable}))
    bound.rows = max(bound.rows, rows)
    bound.cols = max(bound.cols, cols)


def _precise_extent(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> tuple[_Extent, int, int]:
    """Follow every row and cell tag as a reader would, for parts written in an unusual way;
    with the part's values and merged ranges counted as ``_scan_part`` counts them."""
    data = archive.read(info)
    if _ENTITY_DECL.search(data):
        raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
    values, merges = data.count(b"v>"), data.count(b"mergeCell")
    data = _COMMENT_OR_CDATA.sub(b"", data)
    if _ENTITY_DECL.search(data):
        raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
    extent = _Extent()
    row = 0
    col = 0
    for match in _ANY_TAG.finditer(data):
        ref = _R_ATTR.search(match.group(2))
        if match.group(1) == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and (ref.group(1) or ref.group(2)):
            col = _col_number(ref.group(1).upper()) if ref.group(1) else col + 1
            row = int(ref.group(2)) if ref.group(2) else row
        else:
            col += 1
        if match.group(2).rstrip().endswith(b"/"):
            continue
        extent.cols = max(extent.cols, col)
        extent.rows = max(extent.rows, row)
        if extent.rows > EXCEL_MAX_ROWS or extent.cols > EXCEL_MAX_COLS:
            break
    return extent, values, merges


def _col_number(letters: bytes) -> int:
    number = 0
    for byte in letters[:8]:
        number = number * 26 + (byte - 64)
    return number if len(letters) <= 8 else EXCEL_MAX_COLS + 1


def _check_extent(path: Path, extent: _Extent) -> None:
    if extent.rows > EXCEL_MAX_ROWS or extent.cols > EXCEL_MAX_COLS or extent.cells > MAX_CELLS:
        raise unsafe(
            path,
            f"工作表引用了超出范围的单元格（约 {extent.rows} 行 × {extent.cols} 列）",
        )


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes that is no symbolic link.

    Opened with ``O_NOFOLLOW`` (a link to /dev/zero or to a file elsewhere is refused, not
    followed) and ``O_NONBLOCK`` (a FIFO does not block the open), then judged by the
    descriptor that is read, so a file swapped after a check cannot slip in. FileNotFoundError
    passes through; everything else unusable is ``UnusableFile``.
    """
    flags = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if os.path.islink(path):
            raise UnusableFile(f"{path.name} 是符号链接，不予读取（a symbolic link）") from exc
        raise UnusableFile(f"无法打开 {path.name}（{exc.strerror or exc}）") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnusableFile(
                f"{path.name} 不是普通文件（管道、设备等），不予读取（not a regular file）"
            )
        if info.st_size > limit:
            raise UnusableFile(f"{path.name} 过大（{info.st_size // (1024 * 1024)} MiB，"
                               f"上限 {limit // (1024 * 1024)} MiB）（too large）")
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise UnusableFile(f"{path.name} 过大（上限 {limit // (1024 * 1024)} MiB）（too large）")
    return data
