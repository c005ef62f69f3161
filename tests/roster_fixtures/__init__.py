"""Builders for roster files used by the roster tests: real workbooks, CSV, HTML, and
hand-made zip archives for the hostile cases."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from certcheck.ids import check_char


def make_id(region: str = "500381", born: date = date(1985, 3, 15), seq: int = 1) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


ID_A = make_id(seq=1)
ID_B = make_id(seq=2)
ID_C = make_id(born=date(1990, 1, 1), seq=31)


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "Sheet1",
    at: tuple[int, int] = (1, 1),
    merges: Iterable[str] = (),
    sheets_before: Iterable[tuple[str, str, Sequence[Sequence[Any]]]] = (),
) -> Path:
    """Rows written from cell ``at`` (1-based row, column); ``sheets_before`` are
    (name, state, rows) sheets placed first, state "visible" or "hidden"."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    for name, state, other in sheets_before:
        sheet = workbook.create_sheet(name)
        sheet.sheet_state = state  # type: ignore[assignment]
        _fill(sheet, other, (1, 1))
    first.title = title
    _fill(first, rows, at)
    for merge in merges:
        first.merge_cells(merge)
    workbook.move_sheet(first, offset=len(workbook.sheetnames) - 1)
    workbook.active = len(workbook.sheetnames) - 1
    workbook.save(path)
    return path


def _fill(sheet: Any, rows: Sequence[Sequence[Any]], at: tuple[int, int]) -> None:
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.cell(row=at[0] + r, column=at[1] + c, value=value)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADER_CELLS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
)


def sheet_xml(body: str, *, prolog: str = "", root_attrs: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"{root_attrs}>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def tiny_xlsx(path: Path, sheet: str, extra: dict[str, bytes | str] | None = None) -> Path:
    """A minimal xlsx written part by part, for content no library would write."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def tiny_ods(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    sheet: str = "花名册",
    spans: dict[tuple[int, int], tuple[int, int]] | None = None,
) -> Path:
    """A minimal OpenDocument spreadsheet of text cells; an empty row list entry is a blank row.

    ``spans`` maps a 0-based (row, column) to (rows spanned, columns spanned): a merged cell as
    LibreOffice writes it, the cells it covers written as covered cells."""
    covered = {
        (r + dr, c + dc)
        for (r, c), (height, width) in (spans or {}).items()
        for dr in range(height)
        for dc in range(width)
        if dr or dc
    }
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if (r, c) in covered:
                cells.append("<table:covered-table-cell/>")
                continue
            height, width = (spans or {}).get((r, c), (1, 1))
            span = (
                f' table:number-rows-spanned="{height}" table:number-columns-spanned="{width}"'
                if (height, width) != (1, 1)
                else ""
            )
            cells.append(
                f'<table:table-cell{span} office:value-type="string"><text:p>{value}</text:p>'
                "</table:table-cell>"
                if value
                else f"<table:table-cell{span}/>"
            )
        body.append(f"<table:table-row>{''.join(cells) or '<table:table-cell/>'}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">'
        f"{''.join(body)}</table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


Rows = Sequence[Sequence[Any]]


def write_book(
    path: Path,
    sheets: Sequence[tuple[str, Rows]],
    *,
    merges: dict[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
) -> Path:
    """An .xlsx of several sheets, in order, as openpyxl (and so Excel) writes them: real
    merged cells, hidden sheets marked hidden."""
    workbook = openpyxl.Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    hidden = set(hidden)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        _fill(sheet, rows, (1, 1))
        for merge in (merges or {}).get(name, ()):
            sheet.merge_cells(merge)
        if name in hidden:
            sheet.sheet_state = "hidden"
    workbook.active = next(i for i, (name, _) in enumerate(sheets) if name not in hidden)
    workbook.save(path)
    return path


def write_xls(
    path: Path,
    sheets: Sequence[tuple[str, Rows]],
    *,
    merges: dict[str, Iterable[tuple[int, int, int, int]]] | None = None,
    hidden: Iterable[str] = (),
) -> Path:
    """A legacy .xls (BIFF8) written by xlwt, as old office software saves it. ``merges`` are
    (first_row, last_row, first_col, last_col), 0-based, the value taken from the first cell."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    hidden = set(hidden)
    for name, rows in sheets:
        sheet = workbook.add_sheet(name)
        spans = list((merges or {}).get(name, ()))
        covered = {
            (r, c) for r0, r1, c0, c1 in spans for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
        }
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value not in (None, "") and (r, c) not in covered:
                    sheet.write(r, c, value)
        for r0, r1, c0, c1 in spans:
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
            sheet.write_merge(r0, r1, c0, c1, value)
        if name in hidden:
            sheet.visibility = 1
    workbook.save(str(path))
    return path
