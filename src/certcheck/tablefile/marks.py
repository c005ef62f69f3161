"""Error values and formulas without a result in an .xlsx/.xlsm sheet, read from its XML.

calamine gives an error cell (``t="e"``) and a formula with no cached value as an empty cell,
and xlsxwriter's formulas written without a value as 0; it never says a cell held a formula.
So the sheet's XML part is read again here, only when the sheet is loaded, and only in full
when it holds a formula or an error at all (a byte search over the decompressed part).

The archive has passed ``guards.check_zip`` (sizes, ratios, no DOCTYPE/ENTITY). Parts written
the usual way (every cell ``<c r="A1"…>``, no comments, CDATA, processing instructions or
namespace prefixes on cell tags) are read by byte searches around each formula and error, which
keeps a 100,000-row sheet fast; any other part is read by a streaming XML parser, so that a tag
inside a comment or CDATA section never counts.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from defusedxml.ElementTree import fromstring, iterparse

from certcheck.tablefile.child_marks import (
    ERROR,
    FORMULA,
    Found,
    MarksUnreadable,
    add,
    relationship_targets,
    resolve_part,
    shorten,
)

_CHUNK = 8 * 1024 * 1024
# No cell of a real sheet comes near this (Excel's longest text is 32,767 characters).
_CELL_SPAN = 4 * 1024 * 1024
# An array formula's range is marked cell by cell only up to this size.
_ARRAY_LIMIT = 100_000
_OFFICE_DOCUMENT = "/officeDocument"

# Any of these in a part means it may hold a formula (``</f>``, ``</x:f>``, ``<f>…</f>``) or an
# error cell (``t="e"``, ``t = 'e'``). A shared formula's ``<f …/>`` always has a master with text.
_NEEDLES = (b"f>", b'"e"', b"'e'")
# What the fast reading cannot follow, besides "<!" (comment, CDATA) and "<?" (a processing
# instruction): a cell tag written otherwise than ``<c r="A1"`` (another space, no r, r not
# first), and a cell or row tag with a namespace prefix (``<x:c``; text such as "注:c " also
# matches, which only costs the slower reading).
_ODD_CELL = re.compile(rb'<c(?! r="[A-Z])[\s/>]')
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
# A formula not followed by a non-empty value: the cells that may be marked. Found by the
# regular expression engine alone, so that the common formula with a value costs no Python.
_NO_VALUE = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)(?!\s*<v(?:\s[^>]*)?>[^<])")
# The same where xlsxwriter's default 0 is no value either.
_NO_VALUE_OR_ZERO = re.compile(
    rb"<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)(?!\s*<v(?:\s[^>]*)?>(?!0</v>)[^<])"
)
_CELL_START = b'<c r="'
_CELL_TAG = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"([^>]*)>')
_TYPE = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")
_FORMULA = re.compile(rb"<f(\s[^>]*)?(?:/>|>([^<]*)</f>)")
_VALUE = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>([^<]*)</v>)")
_ATTRIBUTES = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")
_REFERENCE = re.compile(r"^([A-Za-z]{0,3})(\d{0,7})$")


@dataclass(frozen=True)
class Workbook:
    """Where each sheet's XML is, and whether the cached values of formulas can be trusted."""

    parts: dict[str, str]
    #: ``fullCalcOnLoad``: the writer asks the reader to calculate, so it did not (openpyxl,
    #: xlsxwriter); xlsxwriter then stores 0 as the value of every formula given none.
    calculate_on_load: bool


def workbook(archive: zipfile.ZipFile) -> Workbook:
    """The sheet name -> part map, through the package and workbook relationships."""
    try:
        main = "xl/workbook.xml"
        if "_rels/.rels" in archive.namelist():
            for relation in fromstring(archive.read("_rels/.rels")):
                if (relation.get("Type") or "").endswith(_OFFICE_DOCUMENT):
                    main = resolve_part("", relation.get("Target") or "")
        folder = main.rsplit("/", 1)[0] + "/" if "/" in main else ""
        name = main.rsplit("/", 1)[-1]
        targets = relationship_targets(archive, f"{folder}_rels/{name}.rels")
        root = fromstring(archive.read(main))
    except (KeyError, ValueError, SyntaxError) as exc:
        raise MarksUnreadable(f"workbook structure: {type(exc).__name__}") from exc
    parts: dict[str, str] = {}
    calculate = False
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "sheet":
            relation = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            if relation in targets:
                parts[element.get("name") or ""] = targets[relation]
        elif tag == "calcPr":
            calculate = (element.get("fullCalcOnLoad") or "").lower() in ("1", "true")
    return Workbook(parts, calculate)


def sheet_marks(archive: zipfile.ZipFile, book: Workbook, sheet: str) -> Found:
    """The marks of one sheet, by 0-based (row, column)."""
    part = book.parts.get(sheet)
    if part is None:
        raise MarksUnreadable("sheet part not found")
    try:
        info = archive.getinfo(part)
        if not _may_hold_marks(archive, info):
            return {}
        reader = _Cells(book.calculate_on_load)
        if not _read_regular(archive, info, reader):
            reader = _Cells(book.calculate_on_load)
            _read_parsed(archive, info, reader)
        return reader.found
    except (KeyError, ValueError, SyntaxError, zipfile.BadZipFile, EOFError) as exc:
        raise MarksUnreadable(f"sheet XML: {type(exc).__name__}") from exc


def _may_hold_marks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(info) as stream:
        while block := stream.read(_CHUNK):
            window = tail + block
            if any(needle in window for needle in _NEEDLES):
                return True
            tail = block[-2:]
    return False


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part in pieces that each end just before a cell's start tag, so no cell is split."""
    carry = b""
    with archive.open(info) as stream:
        while block := stream.read(_CHUNK):
            buffer = carry + block
            cut = buffer.rfind(_CELL_START)
            if cut > 0:
                yield buffer[:cut]
                carry = buffer[cut:]
            elif cut < 0:
                yield buffer
                carry = b""
            elif len(buffer) > _CELL_SPAN:
                raise MarksUnreadable("a cell of several MB")
            else:
                carry = buffer
    if carry:
        yield carry


def _read_regular(archive: zipfile.ZipFile, info: zipfile.ZipInfo, reader: _Cells) -> bool:
    """Read a part written the usual way; False (with nothing decided) if it is not."""
    for piece in _pieces(archive, info):
        if _irregular(piece):
            return False
        _read_piece(piece, reader)
    return True


def _irregular(piece: bytes) -> bool:
    return (
        b"<!" in piece
        or piece.find(b"<?", 4) >= 0  # past the XML declaration (after a BOM, if any)
        or _PREFIXED.search(piece) is not None
        or _ODD_CELL.search(piece) is not None
    )


def _read_piece(piece: bytes, reader: _Cells) -> None:
    # First the masters of shared formulas (their <f> has a ref; so do merged ranges and the
    # dimension, which are not in a cell): the other cells show its text moved to their place.
    hits = _found(piece, b' ref="')
    no_value = _NO_VALUE_OR_ZERO if reader.calculate_on_load else _NO_VALUE
    hits.extend(match.start() for match in no_value.finditer(piece))
    hits.extend(_found(piece, b'"e"'))
    hits.extend(_found(piece, b"'e'"))
    done: set[int] = set()
    for hit in hits:
        start = piece.rfind(_CELL_START, 0, hit)
        if start >= 0 and start not in done and _read_cell(piece, start, hit, reader):
            done.add(start)


def _found(piece: bytes, needle: bytes) -> list[int]:
    positions = []
    position = piece.find(needle)
    while position >= 0:
        positions.append(position)
        position = piece.find(needle, position + len(needle))
    return positions


def _read_cell(piece: bytes, start: int, hit: int, reader: _Cells) -> bool:
    """Hand the cell starting at ``start`` to the reader if ``hit`` lies inside it."""
    tag = _CELL_TAG.match(piece, start)
    if tag is None:
        return False
    if tag.group(3).endswith(b"/"):
        body, end = b"", tag.end()
    else:
        end = piece.find(b"</c>", tag.end())
        end = len(piece) if end < 0 else end
        body = piece[tag.end() : end]
    if hit >= end:
        return False  # not inside a cell (a <formula> of conditional formatting, say)
    reader.cell(
        int(tag.group(2)) - 1,
        _column(tag.group(1)) - 1,
        _attribute_text(_TYPE.search(tag.group(3))),
        _formula(body),
        _value(body),
    )
    return True


def _attribute_text(match: re.Match[bytes] | None) -> str | None:
    return None if match is None else match.group(1).decode("ascii", "replace")


def _formula(body: bytes) -> tuple[dict[str, str], str] | None:
    match = _FORMULA.search(body)
    if match is None:
        return None
    attributes = {
        key.decode("ascii", "replace"): _text(value)
        for key, value in _ATTRIBUTES.findall(match.group(1) or b"")
    }
    return attributes, _text(match.group(2) or b"")


def _value(body: bytes) -> str | None:
    match = _VALUE.search(body)
    if match is None:
        return None
    return _text(match.group(1) or b"")


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace"))


def _column(letters: bytes | str) -> int:
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(letter) - 64
    return number


def _read_parsed(archive: zipfile.ZipFile, info: zipfile.ZipInfo, reader: _Cells) -> None:
    """Read any well-formed part with a streaming parser, positions as calamine counts them:
    a cell or row without ``r`` follows the one before it."""
    row, col = -1, -1
    with archive.open(info) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row":
                    found = _REFERENCE.match((element.get("r") or "").strip())
                    row = int(found.group(2)) - 1 if found and found.group(2) else row + 1
                    col = -1
                elif tag == "c":
                    row, col = _position(element.get("r"), row, col)
                continue
            if tag == "c":
                formula, value = None, None
                for child in element:
                    name = _local(child.tag)
                    if name == "f":
                        attributes = {_local(k): v for k, v in child.attrib.items()}
                        formula = (attributes, child.text or "")
                    elif name == "v":
                        value = child.text or ""
                reader.cell(row, col, element.get("t"), formula, value)
                element.clear()
            elif tag == "row":
                element.clear()


def _position(reference: str | None, row: int, col: int) -> tuple[int, int]:
    found = _REFERENCE.match((reference or "").strip())
    if found is None or not (found.group(1) or found.group(2)):
        return row, col + 1
    col = _column(found.group(1)) - 1 if found.group(1) else col + 1
    row = int(found.group(2)) - 1 if found.group(2) else row
    return row, col


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


class _Cells:
    """What each formula or error cell means, whichever way the part was read."""

    def __init__(self, calculate_on_load: bool) -> None:
        self.calculate_on_load = calculate_on_load
        self.found: Found = {}
        # Shared formulas by their si: the master's position and text; the other cells of the
        # shared range carry only ``<f t="shared" si="0"/>``.
        self.shared: dict[str, tuple[int, int, str]] = {}

    def cell(
        self,
        row: int,
        col: int,
        kind: str | None,
        formula: tuple[dict[str, str], str] | None,
        value: str | None,
    ) -> None:
        if row < 0 or col < 0:
            return
        if kind == "e":
            add(self.found, (row, col), ERROR, shorten(value or "") or "#N/A")
            return
        if formula is None:
            return
        attributes, text = formula
        if attributes.get("t") == "shared":
            text = self._shared(attributes.get("si", ""), row, col, text)
        # No value, or an empty one: never calculated, or a lookup whose failure IFERROR hid.
        uncalculated = value is None or (value == "" and kind in (None, "n"))
        default_zero = self.calculate_on_load and value == "0" and kind in (None, "n")
        if not (value is None or value == "" or default_zero):
            return
        # _xlfn. and _xlws. are how the file spells Excel's newer functions, not what users see.
        text = text.replace("_xlfn.", "").replace("_xlws.", "")
        mark = shorten("=" + text) if text else "=…"
        add(self.found, (row, col), FORMULA, mark)
        # The other cells of an array formula's range hold no formula of their own.
        if (uncalculated or default_zero) and attributes.get("t") == "array":
            self._array(attributes.get("ref", ""), mark)

    def _shared(self, index: str, row: int, col: int, text: str) -> str:
        if text:
            self.shared[index] = (row, col, text)
            return text
        master = self.shared.get(index)
        if master is None:
            return ""
        return shift_references(master[2], row - master[0], col - master[1])

    def _array(self, reference: str, mark: str) -> None:
        corners = [_REFERENCE.match(part) for part in reference.upper().split(":")]
        if len(corners) != 2 or not all(c and c.group(1) and c.group(2) for c in corners):
            return
        (top, left), (bottom, right) = (
            (int(c.group(2)) - 1, _column(c.group(1)) - 1) for c in corners if c
        )
        if (bottom - top + 1) * (right - left + 1) > _ARRAY_LIMIT:
            return
        for row in range(top, bottom + 1):
            for col in range(left, right + 1):
                add(self.found, (row, col), FORMULA, mark)


# A relative cell reference outside quotes: ``A2`` or ``$A2`` moves with the cell, ``$A$2``
# does not. Quoted text and quoted sheet names are matched first so that they are left alone.
_SHIFTABLE = re.compile(
    r"\"[^\"]*\"|'[^']*'|(?<![\w.$])(\$?)([A-Z]{1,3})(\$?)(\d{1,7})(?![\w(!])"
)


def shift_references(formula: str, rows: int, cols: int) -> str:
    """The master formula of a shared range as it reads in a cell ``rows`` and ``cols`` away."""

    def move(match: re.Match[str]) -> str:
        if match.group(2) is None:
            return match.group(0)
        col_fixed, letters, row_fixed, digits = match.groups()
        col = _column(letters) + (0 if col_fixed else cols)
        row = int(digits) + (0 if row_fixed else rows)
        if col < 1 or row < 1:
            return "#REF!"
        return f"{col_fixed}{_letters(col)}{row_fixed}{row}"

    return _SHIFTABLE.sub(move, formula)


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
