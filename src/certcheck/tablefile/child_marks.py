"""Error values and formulas without a result in .xls, .xlsb and .ods files.

calamine hands an error cell (``#N/A``) and a formula with no result over as an empty cell, and
does not say a cell held a formula at all. These readers find them from the file itself.

This module runs inside the limited child process of ``isolated`` (loaded there by its file
path), so it imports only the standard library and defusedxml, and every loop is bounded by
the size of the file. It is also imported in the parent for the shared helpers. A finding is a
plain ``(kind, text)`` tuple so that it crosses the process boundary as a pickle of plain values.

What counts: an error value, cached or typed, and a formula whose result is empty. In .xls and
.ods a formula that was never calculated cannot be told from one that gave an empty text (BIFF
always stores a result, xlwt stores "empty text"; LibreOffice writes an empty result as no value),
and ``IFERROR(VLOOKUP(…),"")`` is a lookup that failed with the failure hidden: either way the
cell does not say what the sheet means.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any

from defusedxml.ElementTree import fromstring, iterparse

#: (row, col) -> (kind, text), 0-based sheet positions.
Found = dict[tuple[int, int], tuple[str, str]]

ERROR = "error"
FORMULA = "formula"
# More marked cells than this in one sheet is no roster (each costs ~150 bytes in the parent);
# the sheet is refused rather than read with some of them missed.
MAX_MARKS = 1_000_000
# What a mark shows of a formula: enough to recognise it.
TEXT_LIMIT = 60

# The error codes of BIFF (and BIFF12), as Excel shows them.
BIFF_ERRORS = {
    0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
    0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA",
}


# Excel's and WPS's error values (WPS shows Excel's spellings, in its Chinese UI too), Excel 365's
# newer ones, and LibreOffice's ``Err:502``. A CSV or HTML export writes them as plain text, and
# a sheet may hold them as typed text: either way the cell's value is not known.
_ERROR_TEXTS = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!",
    "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!",
    "#EXTERNAL!",
})
# ``#N/A N/A``, ``#N/A Invalid Security``: market-data add-ins' spellings of #N/A; ``Err:502``:
# LibreOffice; ``########``: a value too wide for its column, as a CSV export writes it.
_ERROR_SHAPES = re.compile(r"#N/A\s.*|ERR:\d{3}|#{3,}", re.S)
_MAYBE_ERROR = re.compile("[#＃:：]")


def is_error_text(text: str) -> bool:
    """True for a text that is a spreadsheet's error value (``#N/A``, ``#REF!``), however typed.

    Full-width forms (``＃Ｎ／Ａ``, as a Chinese input method types them), case and surrounding
    space do not matter.
    """
    if _MAYBE_ERROR.search(text) is None:  # the common case, a plain value, decided at once
        return False
    folded = unicodedata.normalize("NFKC", text).strip().upper()
    return folded in _ERROR_TEXTS or _ERROR_SHAPES.fullmatch(folded) is not None


class TooManyMarks(Exception):
    """A sheet holds more error values or formulas without a result than MAX_MARKS."""


class MarksUnreadable(Exception):
    """The file's structure could not be followed to look for error values."""


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def add(found: Found, position: tuple[int, int], kind: str, text: str) -> None:
    if len(found) >= MAX_MARKS and position not in found:
        raise TooManyMarks
    found[position] = (kind, text)


# ---------------------------------------------------------------------------------------------
# .ods: one pass over content.xml gives the merged ranges (calamine has none for ODS) and marks.

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_CELLS = (_T + "table-cell", _T + "covered-table-cell")
# Repeats beyond a million are a crafted file; calamine would not get this far with them anyway.
_REPEAT_LIMIT = 1 << 20
_MERGE_LIMIT = 100_000


def _count(elem: Any, name: str) -> int:
    try:
        return max(1, min(int(elem.get(_T + name) or 1), _REPEAT_LIMIT))
    except ValueError:
        return 1


class _OdsTable:
    def __init__(self, name: str | None) -> None:
        self.name = name
        self.row = 0
        self.col = 0
        self.merges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.marks: Found = {}
        # Marks of the current row, copied to each of its repeats when the row ends.
        self.row_marks: list[tuple[int, str, str]] = []

    def cell(self, elem: Any) -> None:
        rows_spanned = _count(elem, "number-rows-spanned")
        cols_spanned = _count(elem, "number-columns-spanned")
        if (rows_spanned > 1 or cols_spanned > 1) and len(self.merges) < _MERGE_LIMIT:
            self.merges.append(
                ((self.row, self.col), (self.row + rows_spanned - 1, self.col + cols_spanned - 1))
            )
        repeat = _count(elem, "number-columns-repeated")
        mark = ods_cell_mark(elem)
        if mark is not None:
            if len(self.row_marks) + repeat > MAX_MARKS:
                raise TooManyMarks
            self.row_marks.extend((self.col + i, *mark) for i in range(repeat))
        self.col += repeat

    def end_row(self, elem: Any) -> None:
        repeat = _count(elem, "number-rows-repeated")
        if self.row_marks:
            if len(self.marks) + repeat * len(self.row_marks) > MAX_MARKS:
                raise TooManyMarks
            for i in range(repeat):
                for col, kind, text in self.row_marks:
                    self.marks[(self.row + i, col)] = (kind, text)
        self.row += repeat
        self.col = 0
        self.row_marks = []


# The attribute that holds a formula's result, by its office:value-type.
_ODS_VALUE = {
    "float": "value", "percentage": "value", "currency": "value", "date": "date-value",
    "time": "time-value", "boolean": "boolean-value", "string": "string-value",
}


def ods_cell_mark(elem: Any) -> tuple[str, str] | None:
    """The mark of one ODS cell element whose children have been read, or None."""
    formula = elem.get(_T + "formula")
    if elem.get(_CALCEXT + "value-type") == "error":
        return ERROR, shorten(_cell_text(elem).strip()) or "#N/A"
    if formula is None:
        return None
    shown = _cell_text(elem)
    # Writers without LibreOffice's calcext attribute store an error result as its text.
    if is_error_text(shown):
        return ERROR, shorten(shown.strip())
    kind = elem.get(_O + "value-type")
    result = elem.get(_O + _ODS_VALUE.get(kind or "", "value"))
    if kind is None or (not result and not shown):
        return FORMULA, shorten("=" + ods_formula_text(formula))
    return None


def _cell_text(elem: Any) -> str:
    return "\n".join("".join(p.itertext()) for p in elem.iter(_TEXT_P))


_ODS_REF = re.compile(r"\[([^\]\[]*)\]")
_ODS_PREFIX = re.compile(r"^[a-z]+:=?")


def ods_formula_text(formula: str) -> str:
    """``of:=VLOOKUP([.B3];[$代码.A:.B];2;0)`` as a user types it: ``VLOOKUP(B3,代码!A:B,2,0)``."""
    body = _ODS_PREFIX.sub("", formula, count=1)

    def reference(match: re.Match[str]) -> str:
        parts = []
        for part in match.group(1).split(":"):
            sheet, dot, cell = part.rpartition(".")
            sheet = sheet.lstrip("$")
            parts.append(f"{sheet}!{cell}" if dot and sheet else cell)
        return ":".join(parts)

    return _ODS_REF.sub(reference, body).replace(";", ",")


def ods_tables(path: str) -> dict[str, tuple[list[tuple[tuple[int, int], tuple[int, int]]], Found]]:
    """Each table's merged ranges and marks, by table name, from content.xml."""
    tables: dict[str, tuple[list[tuple[tuple[int, int], tuple[int, int]]], Found]] = {}
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        depth = 0
        table = _OdsTable(None)
        for event, elem in iterparse(stream, events=("start", "end")):
            tag = elem.tag
            if tag == _T + "table":
                if event == "start":
                    depth += 1
                    if depth == 1:
                        table = _OdsTable(elem.get(_T + "name"))
                    continue
                if depth == 1 and table.name is not None:
                    tables[table.name] = (table.merges, table.marks)
                depth -= 1
                elem.clear()
            elif depth != 1 or event != "end":
                continue
            elif tag == _T + "table-row":
                table.end_row(elem)
                elem.clear()
            elif tag in _CELLS:
                table.cell(elem)
                elem.clear()
    return tables


# ---------------------------------------------------------------------------------------------
# .xls: the Workbook stream of the compound file, then its BIFF5/BIFF8 records.

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF


class _Compound:
    """Just enough of the compound file format (MS-CFB) to read one stream, every chain bounded
    by the number of sectors so that a crafted loop cannot run forever."""

    def __init__(self, data: bytes) -> None:
        if data[:8] != _CFB_SIGNATURE or len(data) < 512:
            raise MarksUnreadable("not a compound file")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise MarksUnreadable("unknown sector size")
        self.size = 1 << shift
        self.sectors = (len(data) - 1) // self.size  # the header takes the first sector's room
        (fat_count, self.dir_start, self.mini_cutoff, self.minifat_start, minifat_count,
         difat_start, difat_count) = struct.unpack_from("<I I 4x I I I I I", data, 44)
        del minifat_count
        self.fat = self._fat(fat_count, difat_start, difat_count)

    def _sector(self, number: int) -> bytes:
        if number >= self.sectors:
            raise MarksUnreadable("sector beyond the file")
        start = (number + 1) * self.size
        return self.data[start : start + self.size]

    def _fat(self, fat_count: int, difat_start: int, difat_count: int) -> list[int]:
        listed = list(struct.unpack_from("<109I", self.data, 76))
        per_sector = self.size // 4 - 1
        sector = difat_start
        for _ in range(min(difat_count, self.sectors)):
            if sector in (_END_OF_CHAIN, _FREE):
                break
            entries = struct.unpack(f"<{per_sector + 1}I", self._sector(sector))
            listed.extend(entries[:per_sector])
            sector = entries[per_sector]
        fat: list[int] = []
        for number in listed[: min(fat_count, self.sectors)]:
            if number >= self.sectors:
                raise MarksUnreadable("allocation table beyond the file")
            fat.extend(struct.unpack(f"<{self.size // 4}I", self._sector(number)))
        return fat

    def _chain(self, start: int, table: list[int]) -> Iterator[int]:
        sector = start
        for _ in range(len(table) + 1):
            if sector == _END_OF_CHAIN:
                return
            if sector >= len(table):
                raise MarksUnreadable("broken sector chain")
            yield sector
            sector = table[sector]
        raise MarksUnreadable("sector chain loops")

    def _read(self, start: int, size: int | None = None) -> bytes:
        data = b"".join(self._sector(s) for s in self._chain(start, self.fat))
        return data if size is None else data[:size]

    def stream(self, names: tuple[str, ...]) -> bytes:
        directory = self._read(self.dir_start)
        entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
        if not entries:
            raise MarksUnreadable("no directory")
        root_start, root_size = struct.unpack_from("<II", entries[0], 116)
        for entry in entries:
            length = min(struct.unpack_from("<H", entry, 64)[0], 64)
            name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace")
            if entry[66] != 2 or name.lower() not in names:
                continue
            start, size = struct.unpack_from("<II", entry, 116)
            if size >= self.mini_cutoff:
                return self._read(start, size)
            mini_stream = self._read(root_start, root_size)
            minifat_bytes = b""
            if self.minifat_start < _END_OF_CHAIN:
                minifat_bytes = self._read(self.minifat_start)
            minifat = list(struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes))
            return b"".join(
                mini_stream[s * 64 : s * 64 + 64] for s in self._chain(start, minifat)
            )[:size]
        raise MarksUnreadable("no Workbook stream")


_BOF, _EOF, _BOUNDSHEET, _CODEPAGE, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0042, 0x002F
_FORMULA, _BOOLERR, _STRING, _SHRFMLA, _ARRAY = 0x0006, 0x0205, 0x0207, 0x04BC, 0x0221
_CONTINUE = 0x003C
_LOOKED_AT = frozenset({_FORMULA, _BOOLERR, _STRING, _SHRFMLA, _ARRAY, _CONTINUE})


def _records(stream: bytes, position: int) -> Iterator[tuple[int, bytes]]:
    while position + 4 <= len(stream):
        number, size = struct.unpack_from("<HH", stream, position)
        yield number, stream[position + 4 : position + 4 + size]
        position += 4 + size


def xls_marks(path: str) -> dict[str, Found]:
    """Each worksheet's marks, by sheet name, read from the BIFF records."""
    with open(path, "rb") as handle:
        data = handle.read()
    stream = _Compound(data).stream(("workbook", "book"))
    biff8 = True
    codepage = "cp1252"
    sheets: list[tuple[str, int]] = []
    for number, body in _records(stream, 0):
        if number == _BOF:
            biff8 = struct.unpack_from("<H", body, 0)[0] == 0x0600
        elif number == _FILEPASS:
            raise MarksUnreadable("encrypted")
        elif number == _CODEPAGE and len(body) >= 2:
            codepage = _codepage(struct.unpack_from("<H", body, 0)[0])
        elif number == _BOUNDSHEET and len(body) >= 8 and body[5] == 0:
            offset = struct.unpack_from("<I", body)[0]
            sheets.append((_sheet_name(body[6:], biff8, codepage), offset))
        elif number == _EOF:
            break
    return {name: _SheetScan(biff8).run(stream, offset) for name, offset in sheets}


def _codepage(number: int) -> str:
    named = {1200: "utf-16-le", 367: "ascii", 10000: "mac-roman", 0x8000: "mac-roman",
             0x8001: "cp1252"}.get(number)
    try:
        return codecs.lookup(named or f"cp{number}").name
    except LookupError:
        return "cp1252"  # only sheet names are decoded with it


def _sheet_name(raw: bytes, biff8: bool, codepage: str) -> str:
    length = raw[0] if raw else 0
    if not biff8:
        return raw[1 : 1 + length].decode(codepage, "replace")
    if len(raw) >= 2 and raw[1] & 1:
        return raw[2 : 2 + 2 * length].decode("utf-16-le", "replace")
    return raw[2 : 2 + length].decode("latin-1")


class _SheetScan:
    """One worksheet substream: error cells, error results and empty results of formulas."""

    def __init__(self, biff8: bool) -> None:
        self.biff8 = biff8
        self.found: Found = {}
        # The tokens of shared and array formulas, by the cell that holds them: a formula
        # record of such a formula has only a reference to it, and it may come later.
        self.masters: dict[tuple[int, int], bytes] = {}
        # Marked formulas' tokens, turned into text once the whole sheet has been read.
        self.pending: dict[tuple[int, int], bytes] = {}
        self.awaiting_string: tuple[int, int] | None = None
        self.last_formula: tuple[int, int] | None = None
        self.last_tokens = b""

    def run(self, stream: bytes, offset: int) -> Found:
        # Most records are values of other kinds; they are stepped over without being copied.
        depth, position, header = 0, offset, struct.Struct("<HH")
        while position + 4 <= len(stream):
            number, size = header.unpack_from(stream, position)
            start, position = position + 4, position + 4 + size
            if number == _BOF:
                depth += 1
            elif number == _EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif depth != 1:
                continue
            elif number in _LOOKED_AT:
                self.record(number, stream[start:position])
            else:
                self.awaiting_string = None
        for cell, tokens in self.pending.items():
            self.found[cell] = (FORMULA, self.formula_text(tokens))
        return self.found

    def record(self, number: int, body: bytes) -> None:
        if number == _FORMULA and len(body) >= 22:
            self.formula(body)
        elif number == _BOOLERR and len(body) >= 8 and body[7] == 1:
            row, col = struct.unpack_from("<HH", body)
            add(self.found, (row, col), ERROR, BIFF_ERRORS.get(body[6], "#N/A"))
        elif number == _STRING and self.awaiting_string is not None:
            if len(body) < 2 or struct.unpack_from("<H", body)[0] == 0:
                self.empty_result(self.awaiting_string)
            self.awaiting_string = None
        elif number in (_SHRFMLA, _ARRAY) and self.last_formula is not None:
            self.masters[self.last_formula] = _tokens(body, 8 if number == _SHRFMLA else 12)
        elif number != _CONTINUE:
            self.awaiting_string = None

    def formula(self, body: bytes) -> None:
        row, col = struct.unpack_from("<HH", body)
        result = body[6:14]
        self.last_formula = (row, col)
        self.last_tokens = _tokens(body, 20)
        self.awaiting_string = None
        if result[6:8] != b"\xff\xff":
            return  # a number
        if result[0] == 2:
            add(self.found, (row, col), ERROR, BIFF_ERRORS.get(result[2], "#N/A"))
        elif result[0] == 3:
            self.empty_result((row, col))
        elif result[0] == 0:
            self.awaiting_string = (row, col)

    def empty_result(self, position: tuple[int, int]) -> None:
        # Always the cell of the last formula record: its result, or the STRING right after it.
        add(self.found, position, FORMULA, "=…")
        self.pending[position] = self.last_tokens

    def formula_text(self, tokens: bytes) -> str:
        # ptgExp: the cell is part of a shared or array formula whose tokens are elsewhere.
        if tokens[:1] == b"\x01" and len(tokens) >= 5:
            master = struct.unpack_from("<HH", tokens, 1)
            tokens = self.masters.get((master[0], master[1]), b"")
        outer, known = _functions(tokens) if self.biff8 else (None, None)
        if outer:
            return f"={outer}(…)"
        return f"=…{known}(…)…" if known else "=…"


def _tokens(body: bytes, start: int) -> bytes:
    if len(body) < start + 2:
        return b""
    size = struct.unpack_from("<H", body, start)[0]
    return body[start + 2 : start + 2 + size]


# Functions of the BIFF function table a roster's lookup formulas use.
_FUNCTIONS = {
    1: "IF", 2: "ISNA", 3: "ISERROR", 4: "SUM", 10: "NA", 28: "LOOKUP", 29: "INDEX", 31: "MID",
    48: "TEXT", 64: "MATCH", 65: "DATE", 101: "HLOOKUP", 102: "VLOOKUP", 111: "CHAR",
    115: "LEFT", 116: "RIGHT", 118: "TRIM", 119: "REPLACE", 120: "SUBSTITUTE", 129: "ISBLANK",
    221: "TODAY", 336: "CONCATENATE", 351: "DATEDIF", 353: "CONCATENATE",
}
# Size in bytes of each BIFF8 token, by its base number (the class bits folded out).
_FIXED = {
    0x01: 5, 0x02: 5, 0x16: 1, 0x1C: 2, 0x1D: 2, 0x1E: 3, 0x1F: 9,
    0x20: 8, 0x21: 3, 0x22: 4, 0x23: 5, 0x24: 5, 0x25: 9, 0x26: 7, 0x27: 7, 0x28: 7, 0x29: 3,
    0x2A: 5, 0x2B: 9, 0x2C: 5, 0x2D: 9, 0x39: 7, 0x3A: 7, 0x3B: 11, 0x3C: 7, 0x3D: 11,
}


def _functions(tokens: bytes) -> tuple[str | None, str | None]:
    """The last function a BIFF8 formula calls, which in reverse Polish order is the outermost,
    if it is one of _FUNCTIONS; and the last of _FUNCTIONS it calls."""
    position, last, known = 0, None, None
    while position < len(tokens):
        token = tokens[position]
        base = token if token < 0x20 else 0x20 | (token & 0x1F)
        if 0x03 <= base <= 0x15:
            size = 1
        elif base == 0x17 and position + 2 < len(tokens):
            size = 3 + tokens[position + 1] * (2 if tokens[position + 2] & 1 else 1)
        elif base == 0x19 and position + 3 < len(tokens):
            choose = tokens[position + 1] & 0x04
            count = struct.unpack_from("<H", tokens, position + 2)[0]
            size = 4 + (2 * (count + 1) if choose else 0)
        elif base in _FIXED:
            size = _FIXED[base]
        else:
            break  # a token this walk does not know: keep what was found
        if base in (0x21, 0x22) and position + size <= len(tokens):
            number = struct.unpack_from("<H", tokens, position + size - 2)[0] & 0x7FFF
            last = _FUNCTIONS.get(number)
            known = last or known
        position += size
    return last, known


# ---------------------------------------------------------------------------------------------
# .xlsb: the BIFF12 records of each worksheet part.

_BRT_ROW, _BRT_CELL_ERROR, _BRT_FMLA_STRING, _BRT_FMLA_ERROR = 0, 3, 8, 11
_BRT_BUNDLE_SHEET = 156


def _biff12(data: bytes) -> Iterator[tuple[int, bytes]]:
    position = 0
    while position < len(data):
        number, position = _varint(data, position, 2)
        size, position = _varint(data, position, 4)
        yield number, data[position : position + size]
        position += size


def _varint(data: bytes, position: int, most: int) -> tuple[int, int]:
    value = 0
    for i in range(most):
        if position >= len(data):
            raise MarksUnreadable("record cut short")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            break
    return value, position


def _wide_string(data: bytes, position: int) -> tuple[str | None, int]:
    count = struct.unpack_from("<I", data, position)[0]
    if count == 0xFFFFFFFF:
        return None, position + 4
    end = position + 4 + 2 * count
    return data[position + 4 : end].decode("utf-16-le", "replace"), end


def xlsb_marks(path: str) -> dict[str, Found]:
    """Each worksheet's error cells and empty formula results, by sheet name."""
    with zipfile.ZipFile(path) as archive:
        targets = relationship_targets(archive, "xl/_rels/workbook.bin.rels")
        sheets: dict[str, Found] = {}
        for number, body in _biff12(archive.read("xl/workbook.bin")):
            if number != _BRT_BUNDLE_SHEET or len(body) < 12:
                continue
            relation, position = _wide_string(body, 8)
            name, _ = _wide_string(body, position)
            part = targets.get(relation or "")
            if name is not None and part is not None:
                sheets[name] = _xlsb_sheet(archive.read(part))
    return sheets


def _xlsb_sheet(data: bytes) -> Found:
    found: Found = {}
    row = 0
    for number, body in _biff12(data):
        if number == _BRT_ROW and len(body) >= 4:
            row = struct.unpack_from("<I", body)[0]
        elif number in (_BRT_CELL_ERROR, _BRT_FMLA_ERROR) and len(body) >= 9:
            col = struct.unpack_from("<I", body)[0]
            add(found, (row, col), ERROR, BIFF_ERRORS.get(body[8], "#N/A"))
        elif (
            number == _BRT_FMLA_STRING
            and len(body) >= 12
            and struct.unpack_from("<I", body, 8)[0] == 0
        ):
            add(found, (row, struct.unpack_from("<I", body)[0]), FORMULA, "=…")
    return found


def relationship_targets(archive: zipfile.ZipFile, rels: str) -> dict[str, str]:
    """Relationship id -> part name, for the relationships of the part beside ``rels``."""
    base = rels.split("_rels/", 1)[0]
    root = fromstring(archive.read(rels))
    targets: dict[str, str] = {}
    for element in root:
        if element.tag.rsplit("}", 1)[-1] != "Relationship":
            continue
        target = element.get("Target") or ""
        targets[element.get("Id") or ""] = resolve_part(base, target)
    return targets


def resolve_part(base: str, target: str) -> str:
    """A relationship target as a part name: absolute (``/xl/…``) or relative to ``base``."""
    path = target.lstrip("/") if target.startswith("/") else base + target
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)
