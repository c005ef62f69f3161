"""Telling what a file really is from its first bytes, whatever its extension says.

Rosters arrive renamed, exported by web systems as HTML with an ``.xls`` name, or encrypted;
the extension is only used to word messages, never to choose a reader.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

# Enough for every magic number and for an HTML prologue (doctype, comments, <meta>).
HEAD_BYTES = 8192

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in an OLE2 directory are UTF-16LE; an encrypted OOXML workbook keeps its real
# content in a stream of this name (MS-OFFCRYPTO), so its presence means "password".
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_HTML_START = re.compile(r"^\s*<(?:!doctype\s+html|html|table|head|body|meta|style|!--)", re.I)
_HTML_ANYWHERE = re.compile(r"<(?:html|table)[\s>]", re.I)
_SPREADSHEET_2003 = re.compile(
    r"^\s*<\?xml[^>]*>\s*(?:<\?mso-application[^>]*>\s*)?<(?:\w+:)?Workbook\b"
)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# Bytes that never occur in a text roster in any encoding we read. NUL is judged apart: a
# few stray NULs (a database export padding a field) do occur in CSV files and are removed
# when the text is read, while a file of mostly NULs (UTF-16 without a BOM, /dev/zero, a
# binary) is not a text roster.
_BINARY_CONTROL = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")
_NUL_ALLOWANCE = 8  # plus one per 100 bytes, so that a short file may hold a stray NUL too
# Documents people save under a spreadsheet's name; their text would otherwise be read as CSV.
_DOCUMENT_MAGIC = (b"%PDF-", b"{\\rtf")


class Kind(Enum):
    OOXML = "xlsx"  # .xlsx / .xlsm
    XLSB = "xlsb"
    ODS = "ods"
    XLS = "xls"  # OLE2 BIFF
    ENCRYPTED = "encrypted"  # OLE2 wrapper around a password-protected OOXML workbook
    HTML = "html"
    SPREADSHEET_2003 = "xml"  # Excel 2003 "XML Spreadsheet", often saved with an .xls name
    TEXT = "text"
    ZIP_OTHER = "zip"  # a zip that holds no workbook (a .docx, an archive)
    BROKEN_ZIP = "broken"  # starts like a zip but is not a readable one (truncated, damaged)
    BINARY = "binary"  # anything else that is not text (images, PDFs, executables)


def text_encoding_of_bom(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def decode_head(head: bytes) -> str:
    """The head as text, for sniffing HTML in UTF-8, GB18030 or UTF-16 files."""
    encoding = text_encoding_of_bom(head)
    if encoding is None and head[:200].count(b"\x00") > 20:
        # UTF-16 without a BOM: every ASCII character is followed (LE) or preceded (BE) by NUL.
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    if encoding is None:
        encoding = "utf-8"
    return head.decode(encoding, errors="ignore").lstrip("\ufeff")


def sniff(path: Path, head: bytes) -> Kind:
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(_OLE2_MAGIC):
        return Kind.ENCRYPTED if _has_encrypted_package(path) else Kind.XLS
    if head.lstrip().startswith(_DOCUMENT_MAGIC):
        return Kind.BINARY
    text = decode_head(head)
    # Before HTML: an Excel 2003 workbook holds <Table> elements, which look like HTML.
    if _SPREADSHEET_2003.match(text):
        return Kind.SPREADSHEET_2003
    if _HTML_START.match(text) or (text.lstrip().startswith("<") and _HTML_ANYWHERE.search(text)):
        return Kind.HTML
    if text_encoding_of_bom(head) is not None:
        return Kind.TEXT
    if _BINARY_CONTROL.search(head) or head.count(0) > _NUL_ALLOWANCE + len(head) // 100:
        return Kind.BINARY
    return Kind.TEXT


# --- files that are plainly something else --------------------------------------------------

#: Magic numbers of images people photograph or scan a roster into.
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"heif", b"mif1", b"msf1", b"avif")
_ARCHIVE_MAGIC = (
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gz"),
    (b"\xfd7zXZ\x00", "xz"),
)
#: What to do with each kind of foreign file, said once for every message.
_SAVE_AS = "请把花名册另存为 .xlsx（Excel 工作簿）再试"


@dataclass(frozen=True, slots=True)
class Foreign:
    """A file that is plainly not a spreadsheet: what it is, in Chinese and in English, and
    what to do instead."""

    zh: str
    en: str
    advice: str

    def message(self, name: str) -> str:
        space = " " if self.zh[:1].isascii() else ""
        return (
            f"{name} 是{space}{self.zh}，不是表格。{self.advice}"
            f"（this is {self.en}, not a spreadsheet）"
        )


def foreign(path: Path, head: bytes, kind: Kind) -> Foreign | None:
    """What a file given as a spreadsheet really is, when it is plainly a document, a picture
    or an archive; None when it may be a spreadsheet."""
    if kind is Kind.ZIP_OTHER:
        return _zip_foreign(path)
    if kind is Kind.XLS:
        return _ole_foreign(path)
    if kind is Kind.BINARY or kind is Kind.TEXT:
        start = head.lstrip()
        if start.startswith(b"%PDF-"):
            return Foreign(
                "PDF 文件",
                "a PDF",
                "PDF 中的表格无法读取；请使用花名册原来的 Excel/WPS 文件，或另存为 .xlsx 再试",
            )
        if start.startswith(b"{\\rtf"):
            return Foreign("Word 文档（RTF）", "a Word document", _SAVE_AS)
        image = _image_kind(head, path)
        if image:
            return Foreign(
                f"图片（{image}）",
                f"an image ({image})",
                "无法识别图片中的表格；请提供花名册的 Excel/WPS 文件（.xlsx）",
            )
        for magic, name in _ARCHIVE_MAGIC:
            if head.startswith(magic):
                return Foreign(
                    f"压缩包（{name}）", f"an archive ({name})", "请先解压，再给出其中的花名册文件"
                )
    return None


def _image_kind(head: bytes, path: Path) -> str | None:
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIC"
    # "BM" alone could start a CSV; a bitmap also says its own size right after it.
    if head[:2] == b"BM" and len(head) >= 6:
        try:
            size = path.stat().st_size
        except OSError:
            return None
        if int.from_bytes(head[2:6], "little") == size:
            return "BMP"
    return None


def _zip_foreign(path: Path) -> Foreign:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        names = []
    lowered = [n.lstrip("/").lower() for n in names]
    if any(n.startswith("word/") for n in lowered):
        return Foreign("Word 文档", "a Word document", _SAVE_AS)
    if any(n.startswith("ppt/") for n in lowered):
        return Foreign("PowerPoint 演示文稿", "a PowerPoint presentation", _SAVE_AS)
    if any(n.startswith("index/") and n.endswith(".iwa") for n in lowered):
        return Foreign(
            "Numbers 表格", "an Apple Numbers file", "请在 Numbers 中“导出为 Excel”（.xlsx）再试"
        )
    inside = [n for n in names if n.lower().endswith((".xlsx", ".xls", ".csv", ".ods", ".et"))]
    where = "、".join(inside[:3]) + ("等" if len(inside) > 3 else "")
    advice = (
        f"请先解压，再给出其中的花名册：{where}"
        if inside
        else "请先解压，再给出其中的花名册文件（.xlsx、.xls、.ods 或 .csv）"
    )
    return Foreign("压缩包（zip）", "a zip archive", advice)


#: Names of the streams that make an OLE2 file a Word or PowerPoint file, not a workbook.
_OLE_WORKBOOK = ("Workbook", "Book")
_OLE_FOREIGN = (
    ("WordDocument", Foreign("Word 97-2003 文档", "a Word document", _SAVE_AS)),
    ("PowerPoint Document", Foreign("PowerPoint 演示文稿", "a PowerPoint presentation", _SAVE_AS)),
)


def _ole_foreign(path: Path) -> Foreign | None:
    """A legacy Office file with a Word or PowerPoint stream and no workbook stream."""
    try:
        data = path.read_bytes()
    except OSError:
        return None

    def has_stream(name: str) -> bool:
        # A directory entry is 128 bytes and starts with the name in UTF-16, so a real
        # stream name sits at a multiple of 128; the same text in a cell rarely does.
        needle = name.encode("utf-16-le") + b"\x00\x00"
        at = data.find(needle)
        while at != -1:
            if at % 128 == 0:
                return True
            at = data.find(needle, at + 1)
        return False

    if any(has_stream(name) for name in _OLE_WORKBOOK):
        return None
    for name, what in _OLE_FOREIGN:
        if has_stream(name):
            return what
    return None


def _zip_kind(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {info.filename.lstrip("/").lower() for info in archive.infolist()}
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in mimetype:
                    return Kind.ODS
            if "content.xml" in names and "meta-inf/manifest.xml" in names:
                return Kind.ODS
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
        return Kind.BROKEN_ZIP
    if any(name.endswith("workbook.bin") for name in names):
        return Kind.XLSB
    # A .docx or .pptx has [Content_Types].xml too; only a workbook has its parts under xl/.
    if "[content_types].xml" in names and any(name.startswith("xl/") for name in names):
        return Kind.OOXML
    return Kind.ZIP_OTHER


def _has_encrypted_package(path: Path) -> bool:
    # The OLE2 directory can sit anywhere in the file, so the whole file is searched in
    # overlapping blocks; legacy .xls files are small, so this costs nothing in practice.
    block = 1 << 20
    overlap = len(ENCRYPTED_PACKAGE)
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(block):
            if ENCRYPTED_PACKAGE in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False
