"""Refusing files that would hurt the reader before any reader sees them.

python-calamine allocates a dense grid spanning the first to the last cell it is told about,
and aborts the whole process (not an exception) when that allocation fails: a 1.5 KB xlsx
with one cell at XFD1048576 asks for 512 GiB. Zip bombs expand without limit in every reader.
So the archive and the cell references are checked here, with bounded streaming work, and the
formats whose cell positions cannot be checked cheaply (.xls, .xlsb, .ods) are read in a child
process with a memory limit instead (see ``isolated``).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
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


def check_file_size(path: Path, size: int) -> None:
    if size > MAX_FILE_SIZE:
        raise unsafe(path, f"文件过大（{size // (1024 * 1024)} MiB）")


def check_zip(path: Path, kind: Kind) -> None:
    """Archive limits, entity declarations, encryption and (for xlsx) the cell references."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_archive(path, infos)
            if kind is Kind.ODS:
                _check_ods_encryption(path, archive)
            for info in infos:
                if info.is_dir() or info.file_size == 0 or _never_parsed(info.filename):
                    continue
                extent = _scan_member(path, archive, info, cells=kind is Kind.OOXML)
                if extent is not None:
                    _check_extent(path, extent)
    except UnusableFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise UnusableFile(
            f"{path.name} 已损坏，无法读取（{type(exc).__name__}）。"
            "请用 Excel/WPS 打开修复后另存再试"
        ) from exc


# Parts of a workbook package that no reader certcheck uses ever parses (pictures, themes,
# charts, drawings, document properties): the archive limits above still count their size,
# but scanning their XML would only cost time (about 40 % of checking a small register).
_NEVER_PARSED = ("docProps/", "xl/theme/", "xl/charts/", "xl/drawings/", "xl/media/",
                 "xl/printerSettings/", "customXml/")


def _never_parsed(name: str) -> bool:
    return name.startswith(_NEVER_PARSED)


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


def _scan_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, cells: bool
) -> _Extent | None:
    bound = _Extent()
    for piece in _chunks(archive, info, path):
        if not cells:
            if _ENTITY_DECL.search(piece):
                raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
            continue
        if _IRREGULAR.search(piece):
            return _precise_extent(path, archive, info)
        _bound_extent(piece, bound)
    if not cells:
        return None
    if bound.cells <= MAX_CELLS:
        return bound
    exact = _Extent()
    for piece in _chunks(archive, info, path):
        for letters, digits in _REF_ALL.findall(piece):
            exact.cols = max(exact.cols, _col_number(letters))
            exact.rows = max(exact.rows, int(digits))
    return exact


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


def _precise_extent(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Extent:
    """Follow every row and cell tag as a reader would, for parts written in an unusual way."""
    data = archive.read(info)
    if _ENTITY_DECL.search(data):
        raise unsafe(path, "文件中含有 XML 实体声明（DOCTYPE/ENTITY）")
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
    return extent


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
