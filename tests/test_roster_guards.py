"""Hostile files are refused with a clear message before any reader can be hurt by them.

The tests that hand a crafted sheet to the reader run it in a child process: should a guard
ever regress, calamine aborts that child, not the test session.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from certcheck.roster import RosterError, read_roster
from certcheck.roster import reader as reader_module
from certcheck.tablefile import guards, isolated
from roster_fixtures import HEADER_CELLS, ID_A, sheet_xml, tiny_xlsx, write_xlsx

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets"
FAR_CELL = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'

_RUN = """
import sys
from pathlib import Path
from certcheck.roster import RosterError, read_roster
try:
    roster = read_roster(Path(sys.argv[1]))
except RosterError as exc:
    print("REFUSED", exc)
else:
    print("READ", len(roster.workers))
"""


def read_in_child(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"reader crashed: {done.returncode} {done.stderr[-500:]}"
    return done.stdout.strip()


@pytest.mark.parametrize(
    "body",
    [
        FAR_CELL,
        # The same cell written in ways a naive scan would miss.
        '<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',
        "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>",
        '<row r="1048576"><c t="n" r="XFD1048576"><v>1</v></c></row>',
        '<!-- <c r="A1"> --><row r="1048576"><c  r="XFD1048576"><v>1</v></c></row>',
        '<row r="1048576">' + "<c><v>1</v></c>" * 17_000 + "</row>",
        '<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
        '<row r="1048576"><c r=" XFD 1048576 "><v>1</v></c></row>',
    ],
    ids=[
        "plain",
        "prefixed",
        "single-quoted",
        "r-not-first",
        "comment-and-spaces",
        "implicit",
        "lower-case",
        "padded",
    ],
)
def test_cell_at_the_far_corner_is_refused(tmp_path: Path, body: str) -> None:
    root = ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    path = tiny_xlsx(tmp_path / "far.xlsx", sheet_xml(HEADER_CELLS + body, root_attrs=root))
    assert path.stat().st_size < 200_000
    result = read_in_child(path)
    assert result.startswith("REFUSED") and "超出范围" in result


def test_far_cell_is_found_wherever_the_stream_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny chunks put a chunk boundary inside every tag at some point of the scan.
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>张{r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
        for r in range(2, 40)
    )
    safe = tiny_xlsx(tmp_path / "ok.xlsx", sheet_xml(HEADER_CELLS + rows))
    far = tiny_xlsx(tmp_path / "far.xlsx", sheet_xml(HEADER_CELLS + rows + FAR_CELL))
    for size in (7, 61, 1000):
        monkeypatch.setattr(guards, "_CHUNK", size)
        guards.check_zip(safe, guards.Kind.OOXML)
        with pytest.raises(RosterError, match="超出范围"):
            guards.check_zip(far, guards.Kind.OOXML)


def test_style_only_cells_at_the_far_corner_are_harmless(tmp_path: Path) -> None:
    # Gnumeric writes empty styled cells to XFD1048576; they hold no value and are no risk.
    body = (
        HEADER_CELLS + f'<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    )
    path = tiny_xlsx(tmp_path / "styled.xlsx", sheet_xml(body))
    assert read_in_child(path) == "READ 1"


def test_declared_dimension_alone_does_not_refuse(tmp_path: Path) -> None:
    body = HEADER_CELLS + '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c></row>'
    sheet = sheet_xml(body).replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    assert read_in_child(tiny_xlsx(tmp_path / "dim.xlsx", sheet)) == "READ 1"


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tiny_xlsx(
        tmp_path / "bomb.xlsx",
        sheet_xml(HEADER_CELLS),
        extra={"xl/media/padding.xml": b"\0" * (20 * 1024 * 1024)},
    )
    assert path.stat().st_size < 100_000
    with pytest.raises(RosterError, match="压缩炸弹"):
        read_roster(path)


def test_too_large_when_expanded_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "MAX_UNCOMPRESSED", 2000)
    path = write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号"], ["张三", ID_A]])
    with pytest.raises(RosterError, match="解压后过大"):
        read_roster(path)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_entity_expansion_in_a_sheet_is_refused(tmp_path: Path) -> None:
    path = tiny_xlsx(tmp_path / "lol.xlsx", sheet_xml(HEADER_CELLS, prolog=BILLION_LAUGHS))
    with pytest.raises(RosterError, match="DOCTYPE/ENTITY"):
        read_roster(path)


def test_entity_expansion_in_any_part_is_refused(tmp_path: Path) -> None:
    strings = (
        f'<?xml version="1.0"?>{BILLION_LAUGHS}'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&lol3;</t></si></sst>"
    )
    path = tiny_xlsx(
        tmp_path / "lol.xlsx", sheet_xml(HEADER_CELLS), extra={"xl/sharedStrings.xml": strings}
    )
    with pytest.raises(RosterError, match="DOCTYPE/ENTITY"):
        read_roster(path)


def test_parts_no_reader_parses_are_sized_but_not_scanned(tmp_path: Path) -> None:
    # A theme or document-properties part is never parsed, so a DOCTYPE in it harms no one and
    # the roster is read; a compression bomb hidden in it is still refused by its size.
    theme = f'<?xml version="1.0"?>{BILLION_LAUGHS}<a:theme xmlns:a="urn:x"/>'
    path = tiny_xlsx(
        tmp_path / "theme.xlsx",
        sheet_xml(
            HEADER_CELLS + '<row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c>'
            f'<c r="B2" t="inlineStr"><is><t>{ID_A}</t></is></c></row>'
        ),
        extra={"xl/theme/theme1.xml": theme, "docProps/app.xml": theme},
    )
    assert [w.name for w in read_roster(path).workers] == ["张三"]
    bomb = tiny_xlsx(
        tmp_path / "bomb.xlsx",
        sheet_xml(HEADER_CELLS),
        extra={"xl/theme/theme1.xml": "<a>" + " " * (50 * 1024 * 1024) + "</a>"},
    )
    with pytest.raises(RosterError, match="压缩炸弹"):
        read_roster(bomb)


@pytest.mark.parametrize(
    "name", ["pass_protected.xlsx", "pass_protected.ods", "pass_protected.xlsb"]
)
def test_password_protected_corpus_files_are_refused(name: str) -> None:
    if not (CORPUS / name).exists():
        pytest.skip("corpus not present")
    with pytest.raises(RosterError, match="密码") as error:
        read_roster(CORPUS / name)
    assert "不加密的副本" in str(error.value)


def test_encrypted_ooxml_is_recognised_without_any_reader(tmp_path: Path) -> None:
    # An OLE2 container holding an "EncryptedPackage" stream is a password-protected workbook.
    path = tmp_path / "locked.xlsx"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    path.write_bytes(header + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 512)
    with pytest.raises(RosterError, match="密码"):
        read_roster(path)


def test_encrypted_ods_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.ods"
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        '<manifest:encryption-data manifest:checksum-type="SHA1" manifest:checksum="x"/>'
        "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", b"\x8f\x12 encrypted bytes")
    with pytest.raises(RosterError, match="密码"):
        read_roster(path)


def test_a_reader_child_that_dies_becomes_a_roster_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (CORPUS / "date.ods").exists():
        pytest.skip("corpus not present")
    # So little memory that the child fails while starting: the parent still explains.
    monkeypatch.setattr(isolated, "CHILD_MEMORY", 16 * 1024 * 1024)
    with pytest.raises(RosterError) as error:
        read_roster(CORPUS / "date.ods")
    assert "date.ods" in str(error.value) and "\n" not in str(error.value)


def test_an_unexpected_failure_inside_the_reader_is_still_a_roster_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(reader_module, "find_header", broken)
    path = write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号"], ["张三", ID_A]])
    with pytest.raises(RosterError) as error:
        read_roster(path)
    assert "\n" not in str(error.value)


def test_huge_file_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guards, "MAX_FILE_SIZE", 100)
    path = tmp_path / "r.csv"
    path.write_text("姓名,身份证号\n" + f"张三,{ID_A}\n" * 20, encoding="utf-8")
    with pytest.raises(RosterError, match="文件过大"):
        read_roster(path)
