"""The register sheet's rows as worksheet XML, written straight to a file, and the workbook
put together around them.

xlsxwriter spends about 25 µs on every cell it writes (checks, a cell object, attribute lists,
escaping): 2 million cells for 100,000 workers, most of a large run. Here a row is one string
built from pieces that are mostly cached (a category, an issuer, a date occur thousands of times),
and the XML is the very text xlsxwriter writes in ``constant_memory`` mode, cell for cell: inline
strings, the same ``_xHHHH_`` escapes, ``xml:space="preserve"``, number format and row heights.
xlsxwriter still writes everything else (the header row, styles, the other sheets, the chart,
print setup, the zip); :func:`assemble` then copies its package and puts these rows into the
register sheet's ``<sheetData>``.

Cells refer to their style by the index xlsxwriter gives a format the first time a cell uses it
(``Format._get_xf_index``); asking for it in the order the cells come keeps ``styles.xml`` as it
would be if xlsxwriter had written every cell itself.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from certcheck.dates import EXCEL_EPOCH
from certcheck.jsontext import ENCODE_ERRORS

#: Excel's longest cell text, in UTF-16 code units; xlsxwriter cuts longer text there.
MAX_TEXT_UNITS = 32_767

# Excel's own escape for control characters, and the escape of text that looks like one.
_LOOKS_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
# Anything that makes a text more than <t>text</t>: an escape, XML markup, surrounding space.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_LEADING_SPACE = re.compile(r"^\s")
_TRAILING_SPACE = re.compile(r"\s$")

# Day zero of Excel's 1900 date system as it applies from 1900-03-01 on (Lotus's leap-year bug).
_EPOCH = EXCEL_EPOCH.toordinal()


def column_name(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _fit(text: str) -> str:
    # Only text of more than half the limit can exceed it, so the count is rarely needed.
    if len(text) <= MAX_TEXT_UNITS // 2:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_TEXT_UNITS:
            return text[:index]
    return text


def inline_text(text: str) -> str:
    """``<is><t>…</t></is>``: the content of an inline-string cell holding ``text``."""
    text = _fit(text)
    if not _SPECIAL.search(text):
        return f"<is><t>{text}</t></is>"
    text = _LOOKS_ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = _LEADING_SPACE.search(text) or _TRAILING_SPACE.search(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if preserve else ""
    return f"<is><t{space}>{text}</t></is>"


def number_text(value: float) -> str:
    """A number as a cell's ``<v>`` holds it."""
    return f"{value:.16G}"


def date_serial(value: date) -> float:
    """Excel's serial number for a date or a wall-clock datetime (any tzinfo is dropped)."""
    serial = float(value.toordinal() - _EPOCH)
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        serial += (seconds + value.microsecond / 1e6) / 86400
    return serial


def row_open(row: int, height: float | None) -> str:
    """The ``<row>`` tag of 0-based ``row``, with ``height`` in points when not the default."""
    if height is None:
        return f'<row r="{row + 1}">'
    # Row heights are kept in whole pixels, as xlsxwriter's set_row keeps them.
    pixels = int(height * 4.0 / 3.0 + 0.5)
    return f'<row r="{row + 1}" ht="{pixels * 0.75:.16g}" customHeight="1">'


class StyleIndex:
    """`` s="N"`` of each format, asked for the first time a cell uses it."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[int, str] = {}

    def __call__(self, fmt: Any) -> str:
        key = id(fmt)
        attribute = self._known.get(key)
        if attribute is None:
            index = fmt._get_xf_index() if fmt is not None else 0
            attribute = self._known[key] = f' s="{index}"' if index else ""
        return attribute


class RowsFile:
    """The rows of one sheet, as XML text in a scratch file, and the extent they cover."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = open(  # noqa: SIM115
            path, "w", encoding="utf-8", errors=ENCODE_ERRORS
        )
        self.write: Callable[[str], object] = self._fh.write
        #: The last 0-based row written, None when there is none.
        self.last_row: int | None = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def assemble(book: Path, target: Path, member: str, rows: RowsFile, last_column: str,
             *, compresslevel: int | None = None) -> None:
    """Copy the package ``book`` to ``target`` with ``rows`` put into the sheet ``member``.

    The sheet in ``book`` holds the rows above the workers only; its ``<dimension>`` is
    widened to the rows added, as xlsxwriter would have written it had it written them. Every
    other part, its order, names, dates and attributes are copied as they are.
    """
    rows.close()
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True
    ) as out:
        found = False
        for info in source.infolist():
            data = source.read(info)
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            if info.filename != member:
                out.writestr(copy, data)
                continue
            found = True
            # ZipFile applies its own level only to members given by name.
            copy._compresslevel = compresslevel  # type: ignore[attr-defined]
            head, end, tail = data.partition(b"</sheetData>")
            if not end:
                raise ValueError(f"{member} has no sheet data to add rows to")
            if rows.last_row is not None:
                # xlsxwriter's extent covers the rows it wrote itself (those above the
                # workers): widened to the last row added.
                head = re.sub(
                    rb'<dimension ref="A1(?::[A-Z]+[0-9]+)?"/>',
                    f'<dimension ref="A1:{last_column}{rows.last_row + 1}"/>'.encode(),
                    head, count=1,
                )
            size = rows.path.stat().st_size
            copy.file_size = len(head) + size + len(end) + len(tail)
            with out.open(copy, "w") as sink, rows.path.open("rb") as body:
                sink.write(head)
                shutil.copyfileobj(body, sink, 1 << 20)
                sink.write(end + tail)
        if not found:
            raise ValueError(f"{member} is not in the workbook")
