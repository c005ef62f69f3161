"""Cells whose value is not understood: error values and formulas without a value.

calamine hands an error cell (#N/A) and a formula that was never calculated over as an empty
cell (or xlsxwriter's default 0), so a VLOOKUP item that found nothing would read as blank.
Each loader records such cells in ``Grid.marks`` by 0-based sheet position (row, column),
with the error text or the formula to show, and leaves the cell values as calamine gives them.
"""

from __future__ import annotations

import struct
import zipfile
from contextlib import ExitStack
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlwt

from certcheck.tablefile import child_marks
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.grid import Grid, Mark, is_error_text
from certcheck.tablefile.opening import load_sheet, open_book, read_first_sheet, read_head
from certcheck.tablefile.opening import spreadsheet_kind as kind_of
from roster_fixtures import sheet_xml, tiny_xlsx

HEADER = ["姓名", "身份证号", "操作项目", "有效期至"]


def na(text: str = "#N/A") -> Mark:
    return Mark("error", text)


def formula(text: str) -> Mark:
    return Mark("formula", text)


def sheet(path: Path, name: str) -> Grid:
    with ExitStack() as stack:
        book = open_book(path, kind_of(path, read_head(path)), [], stack)
        return load_sheet(path, book, name)


# --- xlsx -----------------------------------------------------------------------------------


def test_openpyxl_lookups_never_calculated_and_error_cells(tmp_path: Path) -> None:
    """openpyxl writes formulas without a value and stores "#N/A" as an error cell. The roster
    starts at B3 under a title, so positions are absolute sheet positions, not grid indexes."""
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "花名册"
    ws["B1"] = "特种作业人员花名册"
    ws.append([])
    for col, header in enumerate(HEADER, start=2):
        ws.cell(row=3, column=col, value=header)
    ws["B4"], ws["C4"], ws["D4"], ws["E4"] = "张三", "X1", "=VLOOKUP(C4,代码!A:B,2,FALSE)", "2027-05-01"
    ws["B5"], ws["C5"], ws["D5"], ws["E5"] = "李四", "X2", "#N/A", "#REF!"
    ws["B6"], ws["C6"], ws["D6"], ws["E6"] = "王五", "X3", "低压电工作业", "2027-05-01"
    workbook.create_sheet("代码").append(["X1", "低压电工作业"])
    workbook.save(path)

    grid = read_first_sheet(path)

    assert (grid.first_row, grid.first_col) == (0, 1)
    assert grid.rows == [
        ["特种作业人员花名册", "", "", ""],
        ["", "", "", ""],
        ["姓名", "身份证号", "操作项目", "有效期至"],
        ["张三", "X1", "", "2027-05-01"],
        ["李四", "X2", "", ""],
        ["王五", "X3", "低压电工作业", "2027-05-01"],
    ]
    assert grid.marks == {
        (3, 3): formula("=VLOOKUP(C4,代码!A:B,2,FALSE)"),
        (4, 3): na("#N/A"),
        (4, 4): na("#REF!"),
    }


def test_xlsxwriter_formulas_default_zero_given_value_and_cached_error(tmp_path: Path) -> None:
    """xlsxwriter stores 0 for a formula written without a value (and asks Excel to calculate
    on load): that 0 is no value. A value given with the formula is one; "#N/A" given as the
    value is stored as an error; "#N/A" written as a string stays text for the reader's check."""
    path = tmp_path / "roster.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("花名册")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["张三", "X1"])
    ws.write_formula(1, 2, "=VLOOKUP(B2,代码!A:B,2,FALSE)")
    ws.write_row(2, 0, ["李四", "X2"])
    ws.write_formula(2, 2, "=VLOOKUP(B3,代码!A:B,2,FALSE)", None, "#N/A")
    ws.write_row(3, 0, ["王五", "X3"])
    ws.write_formula(3, 2, "=VLOOKUP(B4,代码!A:B,2,FALSE)", None, "低压电工作业")
    ws.write_row(4, 0, ["赵六", "X4", "#N/A"])
    ws.write_array_formula(5, 2, 5, 2, "{=INDEX(代码!B:B,MATCH(B6,代码!A:A,0))}")
    ws.write_dynamic_array_formula(6, 2, 6, 2, "=FILTER(代码!B:B,代码!A:A=B7)")
    workbook.close()

    grid = read_first_sheet(path)

    assert [row[2] for row in grid.rows] == [
        "操作项目", 0.0, "", "低压电工作业", "#N/A", 0.0, 0.0,
    ]
    assert grid.marks == {
        (1, 2): formula("=VLOOKUP(B2,代码!A:B,2,FALSE)"),
        (2, 2): na("#N/A"),
        (5, 2): formula("=INDEX(代码!B:B,MATCH(B6,代码!A:A,0))"),
        (6, 2): formula("=FILTER(代码!B:B,代码!A:A=B7)"),
    }
    assert is_error_text(grid.rows[4][2])


# Excel's own XML for a VLOOKUP filled down C2:C5: a shared formula whose master holds the text,
# the other cells only its index; one lookup failed (#N/A), one was saved uncalculated, and an
# IFERROR hid a failure as an empty text.
_EXCEL_SHARED = (
    '<row r="1" spans="1:4"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>代码</t></is></c><c r="C1" t="inlineStr"><is><t>操作项目</t></is></c>'
    '<c r="D1" t="inlineStr"><is><t>备注</t></is></c></row>'
    '<row r="2" spans="1:4"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2"><v>1</v></c>'
    '<c r="C2" s="1" t="str"><f t="shared" ref="C2:C5" si="0">VLOOKUP(B2,代码!$A$1:$B$9,2,FALSE)</f>'
    "<v>低压电工作业</v></c></row>"
    '<row r="3" spans="1:4"><c r="A3" t="inlineStr"><is><t>李四</t></is></c><c r="B3"><v>7</v></c>'
    '<c r="C3" s="1" t="e"><f t="shared" si="0"/><v>#N/A</v></c></row>'
    '<row r="4" spans="1:4"><c r="A4" t="inlineStr"><is><t>王五</t></is></c><c r="B4"><v>2</v></c>'
    '<c r="C4" s="1"><f t="shared" si="0"/></c>'
    '<c r="D4" t="str"><f>IFERROR(VLOOKUP(B4,代码!A:B,2,FALSE),"")</f><v></v></c></row>'
    '<row r="5" spans="1:4"><c r="A5" t="inlineStr"><is><t>赵六</t></is></c><c r="B5"><v>1</v></c>'
    '<c r="C5" s="1" t="str"><f t="shared" si="0"/><v>低压电工作业</v></c></row>'
)


def test_excel_shared_formula_is_shown_as_the_cell_reads_it(tmp_path: Path) -> None:
    path = tiny_xlsx(tmp_path / "roster.xlsx", sheet_xml(_EXCEL_SHARED))

    grid = read_first_sheet(path)

    assert grid.rows[1:] == [
        ["张三", 1.0, "低压电工作业", ""],
        ["李四", 7.0, "", ""],
        ["王五", 2.0, "", ""],
        ["赵六", 1.0, "低压电工作业", ""],
    ]
    assert grid.marks == {
        (2, 2): na("#N/A"),
        (3, 2): formula("=VLOOKUP(B4,代码!$A$1:$B$9,2,FALSE)"),
        (3, 3): formula('=IFERROR(VLOOKUP(B4,代码!A:B,2,FALSE),"")'),
    }


@pytest.mark.parametrize(("calc", "expected"), [
    ("", {}),
    ('<calcPr calcId="124519" fullCalcOnLoad="1"/>', {(1, 2): formula("=VLOOKUP(B2,代码!A:B,2,FALSE)")}),
])
def test_a_zero_is_no_value_only_where_the_writer_did_not_calculate(
    tmp_path: Path, calc: str, expected: dict[tuple[int, int], Mark]
) -> None:
    """Excel stores 0 for a VLOOKUP of an empty cell: a value (the reader judges it). A writer
    that asks for calculation on load (fullCalcOnLoad) calculated nothing: its 0 is a default."""
    body = '<row r="2"><c r="C2"><f>VLOOKUP(B2,代码!A:B,2,FALSE)</f><v>0</v></c></row>'
    path = tiny_xlsx(tmp_path / "made.xlsx", sheet_xml(body))
    rewritten = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", b"</sheets>" + calc.encode())
            target.writestr(info, data)

    grid = read_first_sheet(rewritten)

    assert grid.rows == [[0.0]]
    assert grid.marks == expected


def test_a_long_formula_is_shortened(tmp_path: Path) -> None:
    long_formula = "IF(ISNA(VLOOKUP(B2,'[人员台账.xlsx]特种作业'!$A$1:$Z$999,7,FALSE)),\"\",VLOOKUP(B2,'[人员台账.xlsx]特种作业'!$A$1:$Z$999,7,FALSE))"
    body = f'<row r="2"><c r="C2"><f>{long_formula}</f></c></row>'
    path = tiny_xlsx(tmp_path / "roster.xlsx", sheet_xml(body))

    mark = read_first_sheet(path).marks[(1, 2)]

    assert mark == formula("=IF(ISNA(VLOOKUP(B2,'[人员台账.xlsx]特种作业'!$A$1:$Z$999,7,FALSE))…")
    assert len(mark.text) == 60


def test_sheet_parts_are_found_through_the_relationships(tmp_path: Path) -> None:
    """Sheet names map to their parts through workbook.xml and its relationships, whatever the
    parts are called: here the first sheet lives in sheet2.xml and the second in sheet1.xml."""
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first["A1"] = "填表说明"
    first["B2"] = "#DIV/0!"
    second = workbook.create_sheet("花名册")
    second.append(HEADER)
    second.append(["张三", "X1", "#N/A"])
    workbook.save(path)
    swapped = tmp_path / "swapped.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(swapped, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = (data.replace(b"sheet1.xml", b"TMP").replace(b"sheet2.xml", b"sheet1.xml")
                        .replace(b"TMP", b"sheet2.xml"))
            renamed = {"xl/worksheets/sheet1.xml": "xl/worksheets/sheet2.xml",
                       "xl/worksheets/sheet2.xml": "xl/worksheets/sheet1.xml"}
            target.writestr(renamed.get(info.filename, info.filename), data)

    assert sheet(swapped, "说明").marks == {(1, 1): na("#DIV/0!")}
    assert sheet(swapped, "花名册").marks == {(1, 2): na("#N/A")}


@pytest.mark.parametrize(
    "body",
    [
        '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
        '<!-- <c r="B2" t="e"><v>#N/A</v></c> <c r="C2"><f>VLOOKUP(A2,X!A:B,2,0)</f></c> --></row>',
        '<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[<c r="C2"><f>NA()</f></c> t="e"]]></t></is></c></row>',
        '<?note <c r="C2" t="e"><v>#N/A</v></c>?><row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c></row>',
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lt;f&gt;VLOOKUP(…)&lt;/f&gt; t="e"</t></is></c></row>',
    ],
    ids=["comment", "cdata", "processing-instruction", "escaped-text"],
)
def test_formula_and_error_tags_outside_cells_do_not_count(tmp_path: Path, body: str) -> None:
    path = tiny_xlsx(tmp_path / "roster.xlsx", sheet_xml(body))

    grid = read_first_sheet(path)

    assert grid.marks == {}
    assert grid.rows[-1][0] in ("张三", '<c r="C2"><f>NA()</f></c> t="e"', '<f>VLOOKUP(…)</f> t="e"')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Namespace-prefixed tags, as some generators write them.
        ('<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>张三</x:t></x:is></x:c>'
         '<x:c r="C2"><x:f>VLOOKUP(A2,代码!A:B,2,FALSE)</x:f></x:c>'
         '<x:c r="D2" t="e"><x:v>#REF!</x:v></x:c></x:row>',
         {(1, 2): formula("=VLOOKUP(A2,代码!A:B,2,FALSE)"), (1, 3): na("#REF!")}),
        # Cells without r follow the cell before them; single quotes; a comment elsewhere.
        ("<!-- written by hand --><row r='2'><c t='inlineStr'><is><t>张三</t></is></c>"
         "<c/><c t='e'><v>#N/A</v></c></row><row><c><f>NA()</f><v/></c></row>",
         {(1, 2): na("#N/A"), (2, 0): formula("=NA()")}),
    ],
    ids=["prefixed", "positional"],
)
def test_unusual_but_valid_xml_is_read_by_the_parser(
    tmp_path: Path, body: str, expected: dict[tuple[int, int], Mark]
) -> None:
    root = ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    path = tiny_xlsx(tmp_path / "roster.xlsx", sheet_xml(body, root_attrs=root))

    assert read_first_sheet(path).marks == expected


def test_a_sheet_without_formulas_or_errors_has_no_marks(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("花名册")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, ["张三", "X1", "低压电工作业", "2027-05-01"])
    ws.set_landscape()  # orientation="landscape": an "e" before a quote that is no error
    workbook.close()

    assert read_first_sheet(path).marks == {}


def test_too_many_marks_refuse_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_marks, "MAX_MARKS", 3)
    body = "".join(f'<row r="{r}"><c r="C{r}" t="e"><v>#N/A</v></c></row>' for r in range(2, 7))
    path = tiny_xlsx(tmp_path / "roster.xlsx", sheet_xml(body))

    with pytest.raises(UnusableFile, match="错误值或没有结果的公式过多"):
        read_first_sheet(path)


# --- xls ------------------------------------------------------------------------------------


def test_xlwt_formulas_have_no_result_and_error_cells_are_marked(tmp_path: Path) -> None:
    """xlwt writes formulas without calculating them (an empty result) and error cells as
    BOOLERR records; calamine gives both as empty cells."""
    path = tmp_path / "roster.xls"
    workbook = xlwt.Workbook(encoding="utf-8")
    ws = workbook.add_sheet("花名册")
    for col, header in enumerate(HEADER):
        ws.write(2, col + 1, header)
    ws.write(3, 1, "张三")
    ws.write(3, 3, xlwt.Formula('VLOOKUP(C4,$G$1:$H$9,2,FALSE)'))
    ws.write(4, 1, "李四")
    ws.row(4).set_cell_error(3, 0x2A)  # #N/A
    ws.row(4).set_cell_error(4, "#REF!")
    ws.write(5, 1, "王五")
    ws.write(5, 3, "低压电工作业")
    ws.write(5, 4, xlwt.Formula('IF(C6="","",DATE(2027,5,1))'))
    ws.write(6, 1, "赵六")
    ws.write(6, 3, "#N/A")
    workbook.save(str(path))

    grid = read_first_sheet(path)

    assert (grid.first_row, grid.first_col) == (2, 1)
    assert grid.rows == [
        ["姓名", "身份证号", "操作项目", "有效期至"],
        ["张三", "", "", ""],
        ["李四", "", "", ""],
        ["王五", "", "低压电工作业", ""],
        ["赵六", "", "#N/A", ""],
    ]
    assert grid.marks == {
        (3, 3): formula("=VLOOKUP(…)"),
        (4, 3): na("#N/A"),
        (4, 4): na("#REF!"),
        (5, 4): formula("=IF(…)"),
    }


def test_xls_marks_are_per_sheet(tmp_path: Path) -> None:
    path = tmp_path / "roster.xls"
    workbook = xlwt.Workbook(encoding="utf-8")
    workbook.add_sheet("说明").write(0, 0, "填表说明")
    ws = workbook.add_sheet("电工")
    ws.write(0, 0, "姓名")
    ws.write(1, 0, "张三")
    ws.row(1).set_cell_error(1, "#DIV/0!")
    workbook.save(str(path))

    assert sheet(path, "说明").marks == {}
    assert sheet(path, "电工").marks == {(1, 1): na("#DIV/0!")}


def test_a_broken_compound_file_is_not_read_with_its_errors_unseen() -> None:
    with pytest.raises(child_marks.MarksUnreadable):
        child_marks._Compound(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


# --- ods (as LibreOffice writes it: tests/test_marks_libreoffice.py) -------------------------


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_ERROR_CELL = (
    '<table:table-cell table:formula="of:=NA()" office:value-type="string" '
    'office:string-value="" calcext:value-type="error"{repeat}><text:p>#N/A</text:p>'
    "</table:table-cell>"
)


def _text_cell(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def _ods(path: Path, rows: list[str]) -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="花名册">'
        + "".join(rows) + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods_repeated_cells_and_rows_are_each_marked(tmp_path: Path) -> None:
    """Identical neighbours are one element with a repeat count in ODF; each cell it stands
    for is marked. A formula stored without any value (a generator that does not calculate)
    is marked too."""
    rows = [
        "<table:table-row>" + _text_cell("姓名") + _text_cell("代码") + _text_cell("项目") + "</table:table-row>",
        '<table:table-row table:number-rows-repeated="2">' + _text_cell("张三")
        + _ERROR_CELL.format(repeat=' table:number-columns-repeated="2"') + "</table:table-row>",
        "<table:table-row>" + _text_cell("李四") + "<table:table-cell/>"
        + '<table:table-cell table:formula="of:=VLOOKUP([.A4];[$代码.A1:.B9];2;0)"/>'
        + "</table:table-row>",
    ]

    grid = read_first_sheet(_ods(tmp_path / "roster.ods", rows))

    assert grid.rows == [["姓名", "代码", "项目"], ["张三", "", ""], ["张三", "", ""], ["李四", "", ""]]
    assert grid.marks == {
        (1, 1): Mark("error", "#N/A"), (1, 2): Mark("error", "#N/A"),
        (2, 1): Mark("error", "#N/A"), (2, 2): Mark("error", "#N/A"),
        (3, 2): Mark("formula", "=VLOOKUP(A4,代码!A1:B9,2,0)"),
    }


def test_ods_marks_are_at_sheet_positions_past_empty_rows_and_columns(tmp_path: Path) -> None:
    rows = [
        '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="3"/></table:table-row>',
        '<table:table-row><table:table-cell table:number-columns-repeated="2"/>' + _text_cell("姓名") + _text_cell("项目") + "</table:table-row>",
        '<table:table-row><table:table-cell table:number-columns-repeated="2"/>' + _text_cell("张三")
        + _ERROR_CELL.format(repeat="") + "</table:table-row>",
    ]

    grid = read_first_sheet(_ods(tmp_path / "roster.ods", rows))

    assert (grid.first_row, grid.first_col) == (2, 2)
    assert grid.rows == [["姓名", "项目"], ["张三", ""]]
    assert grid.marks == {(3, 3): na("#N/A")}


def test_ods_error_results_without_libreoffices_error_type(tmp_path: Path) -> None:
    """A writer without LibreOffice's calcext attribute stores an error result as a number
    with the error as its text; a formula typed as a date but without its date has no value.
    calamine leaves that last cell out of the grid altogether: a mark may lie beyond a row's
    last cell."""
    rows = [
        "<table:table-row>" + _text_cell("张三")
        + '<table:table-cell table:formula="of:=VLOOKUP([.A1];[$代码.A1:.B9];2;0)" '
        'office:value-type="float" office:value="0"><text:p>#N/A</text:p></table:table-cell>'
        + '<table:table-cell table:formula="of:=[$代码.C1]" office:value-type="date"/>'
        + "</table:table-row>",
    ]

    grid = read_first_sheet(_ods(tmp_path / "roster.ods", rows))

    assert grid.rows == [["张三", 0.0]]
    assert grid.marks == {(0, 1): na("#N/A"), (0, 2): formula("=代码!C1")}


# --- xlsb -----------------------------------------------------------------------------------
# No Python library writes .xlsb; these are the BIFF12 records Excel writes, the fewest a reader
# needs: book and sheet list, sheet dimension, rows and cells.


def _record(number: int, body: bytes = b"") -> bytes:
    head = bytes([number]) if number < 128 else bytes([(number & 0x7F) | 0x80, number >> 7])
    assert len(body) < 128
    return head + bytes([len(body)]) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def _row(number: int) -> bytes:
    return _record(0, struct.pack("<IIHBBBI", number, 0, 300, 0, 0, 0, 0))


def _text(col: int, text: str) -> bytes:
    return _record(6, struct.pack("<II", col, 0) + _wide(text))


_XLSB_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
    '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
    "</Types>"
)
_XLSB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/{kind}" Target="{target}"/></Relationships>'
)


def test_xlsb_error_cells_error_results_and_empty_results(tmp_path: Path) -> None:
    book = (_record(131) + _record(143)
            + _record(156, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("花名册"))
            + _record(144) + _record(132))
    no_formula_tokens = struct.pack("<I", 0)
    sheet_part = (
        _record(129) + _record(148, struct.pack("<IIII", 0, 3, 0, 1)) + _record(145)
        + _row(0) + _text(0, "姓名") + _text(1, "操作项目")
        + _row(1) + _text(0, "张三") + _record(3, struct.pack("<II", 1, 0) + b"\x2a")  # #N/A
        + _row(2) + _text(0, "李四")  # a formula whose cached result is #DIV/0!
        + _record(11, struct.pack("<IIBH", 1, 0, 0x07, 0) + no_formula_tokens)
        + _row(3) + _text(0, "王五")  # a formula whose cached result is empty text
        + _record(8, struct.pack("<II", 1, 0) + _wide("") + struct.pack("<H", 0) + no_formula_tokens)
        + _record(146) + _record(130)
    )
    path = tmp_path / "roster.xlsb"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _XLSB_TYPES)
        archive.writestr("_rels/.rels", _XLSB_RELS.format(kind="officeDocument", target="xl/workbook.bin"))
        archive.writestr("xl/workbook.bin", book)
        archive.writestr("xl/_rels/workbook.bin.rels",
                         _XLSB_RELS.format(kind="worksheet", target="worksheets/sheet1.bin"))
        archive.writestr("xl/worksheets/sheet1.bin", sheet_part)

    grid = read_first_sheet(path)

    assert grid.rows == [["姓名", "操作项目"], ["张三", ""], ["李四", ""], ["王五", ""]]
    assert grid.marks == {
        (1, 1): na("#N/A"),
        (2, 1): na("#DIV/0!"),
        (3, 1): formula("=…"),
    }


# --- the shared corpus of real and odd files ------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="spreadsheet corpus not present beside the repo")


@needs_corpus
def test_excel_saved_error_values() -> None:
    grid = read_first_sheet(CORPUS / "errors.xlsx")

    assert grid.rows == [[""]] * 7
    assert grid.marks == {
        (0, 0): na("#DIV/0!"), (1, 0): na("#NAME?"), (2, 0): na("#VALUE!"), (3, 0): na("#NULL!"),
        (4, 0): na("#REF!"), (5, 0): na("#NUM!"), (6, 0): na("#N/A"),
    }


@needs_corpus
def test_biff5_with_a_mac_codepage_is_read_and_has_no_marks() -> None:
    grid = read_first_sheet(CORPUS / "biff5_write.xls")

    assert grid.rows[0] == [1.0, 2.0, 3.0, ""]
    assert grid.marks == {}


# --- text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["#N/A", " #n/a ", "＃Ｎ／Ａ", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!",
     "#SPILL!", "#CALC!", "#GETTING_DATA", "#N/A N/A", "Err:502", "Ｅｒｒ：５０４", "########"],
)
def test_error_texts(text: str) -> None:
    assert is_error_text(text)


@pytest.mark.parametrize(
    "text",
    ["", "N/A", "无", "/", "-", "张三", "低压电工作业", "T500381198503150011", "2027-05-01",
     "#1 班组", "3#楼", "#", "##", "备注：已复审", "N/A N/A"],
)
def test_texts_that_are_not_errors(text: str) -> None:
    assert not is_error_text(text)


def test_csv_cells_are_text_and_have_no_marks(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("姓名,身份证号,操作项目\n张三,X1,#N/A\n".encode("gb18030"))

    grid = read_first_sheet(path)

    assert grid.rows[1] == ["张三", "X1", "#N/A"]
    assert grid.marks == {}
