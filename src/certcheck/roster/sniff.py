"""Telling what a file really is from its first bytes, whatever its extension says.

Rosters arrive renamed, exported by web systems as HTML with an ``.xls`` name, or encrypted;
the extension is only used to word messages, never to choose a reader.
"""

from __future__ import annotations

import re
import zipfile
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
    if "[content_types].xml" in names:
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
