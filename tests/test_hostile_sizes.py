"""Files small on disk and huge inside (issue 19): each built here, run through the CLI in a
child process under a memory limit and a time limit.

Every attack must end within the time limit and the memory limit with exit 4 and one line on
stderr (Chinese first, no traceback), or with the correct result; never with a verdict drawn
from the hostile file, and never with calamine aborting the process (exit 134).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from factories import nth_id

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")

MEMORY = 1536 * 1024 * 1024  # the 1.5 GiB
SECONDS = 60  # the 30 s target, with room for a loaded test machine
AS_OF = "2026-12-01"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关", "证书状态",
]


def person_id(i: int) -> str:
    """A distinct valid ID for each of many people (``nth_id`` repeats after 1,000)."""
    return nth_id(i % 1000, born=f"{date(1960, 1, 1) + timedelta(days=i // 1000):%Y%m%d}")


def _limit() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def certcheck(*args: object, cwd: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """``certcheck ARGS`` in a child with the memory limit; ``code`` runs first in it."""
    prelude = code or ""
    script = prelude + "\nfrom certcheck.cli import main\nmain()\n"
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("CERTCHECK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", script, *(str(a) for a in args)],
        cwd=cwd, capture_output=True, text=True, timeout=SECONDS, preexec_fn=_limit, env=env,
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 4, one line on stderr, in Chinese, naming the problem; no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 4, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("certcheck: ")
    chinese = re.search("[\u4e00-\u9fff]", lines[0])
    # Chinese first: the English, in brackets, only follows it.
    assert chinese is not None and chinese.start() < lines[0].find("（"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# --- building workbooks by hand: the parts calamine follows, named as an attacker likes ----


def workbook(
    sheets: list[tuple[str, str]], parts: dict[str, str], shared: str | None = None
) -> bytes:
    """An .xlsx whose sheet entries (name, relationship target) and parts are given as is."""
    book = [f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>']
    rels = [f'<Relationships xmlns="{PKG}">']
    for number, (name, target) in enumerate(sheets, start=1):
        book.append(f'<sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>')
        rels.append(f'<Relationship Id="rId{number}" Type="{REL}/worksheet" Target="{target}"/>')
    if shared is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
    book.append("</sheets></workbook>")
    rels.append("</Relationships>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", "".join(book))
        archive.writestr("xl/_rels/workbook.xml.rels", "".join(rels))
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def sheet_xml(rows: str, tail: str = "") -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>{tail}</worksheet>'


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_cell_at(part: str) -> bytes:
    """One sheet, stored at ``part``, with a value at XFD1048576: calamine would allocate a
    grid of 17 billion cells and abort the process."""
    target = "/" + part
    far = sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    return workbook([("花名册", target)], {part: far})


def amplified() -> bytes:
    """One 1 MB shared string referred to by 3,000 cells: ~700 KB on disk, 3 GB in cells."""
    shared = f'<sst xmlns="{MAIN}"><si><t>{"x" * 1_000_000}</t></si></sst>'
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, 3001))
    return workbook([("花名册", "worksheets/sheet1.xml")],
                    {"xl/worksheets/sheet1.xml": sheet_xml(rows)}, shared)


def many_sheets() -> bytes:
    """50,000 sheet entries naming one part of 200 workers: 10 million workers."""
    rows = "".join(
        f'<row r="{r}">{text_cell(f"A{r}", f"工人{r}")}{text_cell(f"B{r}", nth_id(r))}</row>'
        for r in range(1, 201)
    )
    return workbook([(f"S{i}", "worksheets/sheet1.xml") for i in range(50_000)],
                    {"xl/worksheets/sheet1.xml": sheet_xml(rows)})


# --- a valid roster, registry and register to pair the hostile file with --------------------


def roster_csv(folder: Path, people: int = 3) -> Path:
    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号", "作业类别", "操作项目"])
        for i in range(people):
            writer.writerow([f"工人{i}", person_id(i), "电工作业", "低压电工作业"])
    return path


def registry_csv(folder: Path, people: int = 3) -> Path:
    path = folder / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REGISTRY_HEADER)
        for i in range(people):
            writer.writerow([
                f"工人{i}", person_id(i), f"T{person_id(i)}", "电工作业", "低压电工作业", "2022-01-01",
                "2022-01-01", "2028-01-01", "2025-01-01", "2025-01-01", "重庆市应急管理局", "有效",
            ])
    return path


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register ``verify`` wrote, for summary's lists to be paired with."""
    folder = tmp_path_factory.mktemp("register")
    out = folder / "register.xlsx"
    done = certcheck("verify", roster_csv(folder), "--source",
                     f"registry:{registry_csv(folder)}", "--as-of", AS_OF, "-o", out,
                     "--no-progress", "--no-cache", cwd=folder)
    assert done.returncode == 0, done.stderr
    return out


# --- 1. a sheet at a part name the guards used to skip ---------------------------------------

HIDDEN_PARTS = ["xl/theme/sheet1.xml", "docProps/sheet1.xml", "xl/drawings/sheet1.xml"]


@pytest.mark.parametrize("part", HIDDEN_PARTS)
def test_a_far_cell_in_a_sheet_stored_under_a_theme_or_property_name_is_refused_by_verify(
    tmp_path: Path, part: str
) -> None:
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(far_cell_at(part))
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "roster.xlsx", "超出范围")


def test_the_same_sheet_as_a_registry_workbook_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "registry.xlsx"
    registry.write_bytes(far_cell_at("xl/theme/sheet1.xml"))
    done = certcheck("verify", roster_csv(tmp_path), "--source", f"registry:{registry}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "registry.xlsx", "超出范围")


def test_the_same_sheet_given_to_due_is_refused(tmp_path: Path) -> None:
    for name in ("roster.xlsx", "register.xlsx"):
        target = tmp_path / name
        target.write_bytes(far_cell_at("docProps/sheet1.xml"))
        done = certcheck("due", target, "--as-of", AS_OF, cwd=tmp_path)
        assert_refused(done, name, "超出范围")


def test_the_same_sheet_given_to_summary_is_refused(tmp_path: Path, register: Path) -> None:
    hostile = tmp_path / "list.xlsx"
    hostile.write_bytes(far_cell_at("xl/theme/sheet1.xml"))
    out = tmp_path / "form.xlsx"
    assert_refused(certcheck("summary", hostile, "-o", out, cwd=tmp_path), "超出范围")
    for option in ("--enterprises", "--actions"):
        done = certcheck("summary", register, option, hostile, "-o", out, cwd=tmp_path)
        assert_refused(done, "list.xlsx", "超出范围")
    assert not out.exists()


# --- 2. one shared string referred to by thousands of cells -----------------------------------


def test_a_shared_string_referred_to_by_thousands_of_cells_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(amplified())
    assert roster.stat().st_size < 1024 * 1024
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "roster.xlsx", "文字合计过多")


def test_the_amplified_workbook_as_a_register_is_refused(tmp_path: Path, register: Path) -> None:
    hostile = tmp_path / "register.xlsx"
    hostile.write_bytes(amplified())
    assert_refused(certcheck("due", hostile, "--as-of", AS_OF, cwd=tmp_path), "文字合计过多")
    out = tmp_path / "form.xlsx"
    assert_refused(certcheck("summary", hostile, "-o", out, cwd=tmp_path), "文字合计过多")


def test_a_single_shared_string_longer_than_any_cell_is_refused(tmp_path: Path) -> None:
    # Random text: a run of one letter would be refused as a zip bomb first.
    shared = f'<sst xmlns="{MAIN}"><si><t>{secrets.token_hex(1_000_000)}</t></si></sst>'
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(workbook([("花名册", "worksheets/sheet1.xml")], {
        "xl/worksheets/sheet1.xml": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
    }, shared))
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "单元格文字过长")


# --- 3. nested merged ranges over many rows ---------------------------------------------------


def test_thousands_of_nested_merges_are_spread_in_linear_time(tmp_path: Path) -> None:
    """20,000 ranges of one column, each reaching the last row: every worker still gets the
    merged item (all ranges hold the same one) and the right verdict, well within the limit;
    spreading them range by range took minutes."""
    people = 20_000
    rows = [f'<row r="1">{text_cell("A1", "姓名")}{text_cell("B1", "身份证号")}'
            f'{text_cell("C1", "作业类别")}{text_cell("D1", "操作项目")}</row>']
    for i in range(people):
        r = i + 2
        item = text_cell(f"D{r}", "低压电工作业") if i == 0 else ""
        rows.append(f'<row r="{r}">{text_cell(f"A{r}", f"工人{i}")}'
                    f'{text_cell(f"B{r}", person_id(i))}{text_cell(f"C{r}", "电工作业")}{item}</row>')
    last = people + 1
    merges = "".join(f'<mergeCell ref="D{top}:D{last}"/>' for top in range(2, last))
    tail = f'<mergeCells count="{last - 2}">{merges}</mergeCells>'
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(workbook([("花名册", "worksheets/sheet1.xml")],
                                {"xl/worksheets/sheet1.xml": sheet_xml("".join(rows), tail)}))
    out = tmp_path / "out.json"
    started = time.monotonic()
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path, people)}",
                     "--as-of", AS_OF, "-o", out, "--no-progress", "--no-cache", cwd=tmp_path)
    # The target; spreading range by range took about a minute for these.
    assert time.monotonic() - started < 30
    assert done.returncode == 0, done.stderr[-2000:]
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert len(workers) == people
    assert {w["status"] for w in workers} == {"valid"}


def test_more_merged_ranges_than_any_roster_holds_are_refused(tmp_path: Path) -> None:
    merges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(1, 600_001))
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(workbook([("花名册", "worksheets/sheet1.xml")], {
        "xl/worksheets/sheet1.xml": sheet_xml(
            f'<row r="1">{text_cell("A1", "姓名")}</row>', f"<mergeCells>{merges}</mergeCells>"),
    }))
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "合并单元格过多")


# --- 4. many sheet entries naming one part ----------------------------------------------------


def test_fifty_thousand_sheets_naming_one_part_are_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(many_sheets())
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "roster.xlsx", "50000 个工作表")


def test_sheets_under_the_count_limit_still_add_up_their_cells(tmp_path: Path) -> None:
    """900 sheets (under the limit) naming one part 12,000 rows deep: 10.8 million rows in
    all, each its own grid."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 12_001))
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(workbook([(f"S{i}", "worksheets/sheet1.xml") for i in range(900)],
                                {"xl/worksheets/sheet1.xml": sheet_xml(rows)}))
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "合计单元格过多")


# --- 5. text files of tiny cells, JSON of empty objects ---------------------------------------

BIG = 250 * 1024 * 1024  # just under the 256 MiB file size limit


def test_a_csv_roster_of_empty_cells_is_refused_not_a_traceback(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    with roster.open("wb") as handle:
        handle.write("姓名,身份证号\n".encode())
        handle.write(b"," * BIG)
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "roster.csv", "单元格过多")


def test_a_csv_roster_of_tiny_lines_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    with roster.open("wb") as handle:
        handle.write("姓名,身份证号\n".encode())
        handle.write(b"a\n" * (BIG // 2))
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "roster.csv", "行数过多")


def test_a_json_registry_of_empty_objects_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "registry.json"
    with registry.open("wb") as handle:
        handle.write(b"[" + b"{}," * (BIG // 3) + b"{}]")
    done = certcheck("verify", roster_csv(tmp_path), "--source", f"registry:{registry}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", cwd=tmp_path)
    assert_refused(done, "registry.json", "JSON 中的", "过多")


def test_a_json_register_of_empty_objects_is_refused(tmp_path: Path) -> None:
    register = tmp_path / "register.json"
    with register.open("wb") as handle:
        handle.write(b'{"certcheck": "1", "workers": [' + b"{}," * (BIG // 3) + b"{}]}")
    done = certcheck("due", register, "--as-of", AS_OF, cwd=tmp_path)
    assert_refused(done, "JSON 中的", "过多")
    out = tmp_path / "form.xlsx"
    assert_refused(certcheck("summary", register, "-o", out, cwd=tmp_path), "JSON 中的", "过多")


def test_an_enterprise_list_of_empty_cells_is_refused(tmp_path: Path, register: Path) -> None:
    hostile = tmp_path / "enterprises.csv"
    hostile.write_bytes("企业名称\n".encode() + b"," * (60 * 1024 * 1024))
    out = tmp_path / "form.xlsx"
    done = certcheck("summary", register, "--enterprises", hostile, "-o", out, cwd=tmp_path)
    assert_refused(done, "enterprises.csv", "单元格过多")


def test_running_out_of_memory_anywhere_is_exit_4_in_one_line(tmp_path: Path) -> None:
    """A MemoryError wherever it strikes (here: as the command starts) ends as bad input in
    one line, never as a traceback with exit 1, which a script would read as violations."""
    code = textwrap.dedent("""
        import certcheck.roster
        def exhausted(*args, **kwargs):
            raise MemoryError()
        certcheck.roster.read_roster = exhausted
    """)
    done = certcheck("verify", roster_csv(tmp_path), "--source",
                     f"registry:{registry_csv(tmp_path)}", "--as-of", AS_OF, "--no-progress",
                     "--no-cache", cwd=tmp_path, code=code)
    assert_refused(done, "内存不足")


# --- 6. the file swapped between the guard and the reader -------------------------------------


def test_a_workbook_swapped_after_the_guards_is_not_what_calamine_reads(tmp_path: Path) -> None:
    """The guards pass a harmless roster; the moment they finish, the file on disk becomes
    one with a cell at XFD1048576. The reader must read the bytes that were checked: the
    three workers, not an aborted process."""
    good = tmp_path / "good.xlsx"
    rows = [f'<row r="1">{text_cell("A1", "姓名")}{text_cell("B1", "身份证号")}'
            f'{text_cell("C1", "作业类别")}{text_cell("D1", "操作项目")}</row>']
    for i in range(3):
        r = i + 2
        rows.append(f'<row r="{r}">{text_cell(f"A{r}", f"工人{i}")}{text_cell(f"B{r}", person_id(i))}'
                    f'{text_cell(f"C{r}", "电工作业")}{text_cell(f"D{r}", "低压电工作业")}</row>')
    good.write_bytes(workbook([("花名册", "worksheets/sheet1.xml")],
                              {"xl/worksheets/sheet1.xml": sheet_xml("".join(rows))}))
    evil = tmp_path / "evil.xlsx"
    evil.write_bytes(far_cell_at("xl/worksheets/sheet1.xml"))
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(good.read_bytes())
    code = textwrap.dedent(f"""
        import shutil
        from certcheck.tablefile import guards
        checked = guards.check_zip
        def swapping(*args, **kwargs):
            checked(*args, **kwargs)
            shutil.copyfile({str(evil)!r}, {str(roster)!r})
        guards.check_zip = swapping
    """)
    out = tmp_path / "out.json"
    done = certcheck("verify", roster, "--source", f"registry:{registry_csv(tmp_path)}",
                     "--as-of", AS_OF, "-o", out, "--no-progress", "--no-cache", cwd=tmp_path,
                     code=code)
    assert roster.read_bytes() == evil.read_bytes()  # the swap did happen
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert [w["status"] for w in workers] == ["valid"] * 3


# --- 7. OpenDocument spreadsheets: repeated rows and cells --------------------------------------

ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def ods_book(rows: str) -> bytes:
    """An .ods of one table, 花名册, holding ``rows`` (table:table-row elements) as given."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content xmlns:office="{ODS_OFFICE}" xmlns:table="{ODS_TABLE}" '
        f'xmlns:text="{ODS_TEXT}" office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="花名册">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", (
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>"))
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ods_cell(text: str, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (f'<table:table-cell office:value-type="string"{repeated}>'
            f"<text:p>{text}</text:p></table:table-cell>")


def ods_row(cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{cells}</table:table-row>"


def verify_ods(folder: Path, content: bytes) -> subprocess.CompletedProcess[str]:
    roster = folder / "roster.ods"
    roster.write_bytes(content)
    return certcheck("verify", roster, "--source", f"registry:{registry_csv(folder)}",
                     "--as-of", AS_OF, "-o", folder / "out.json", "--no-progress", "--no-cache",
                     cwd=folder)


def test_an_ods_cell_repeated_over_every_row_and_column_is_refused(tmp_path: Path) -> None:
    """One cell repeated 16,384 times across and its row 1,048,576 times down: under 1 KB on
    disk, 17 billion cells in a grid."""
    hostile = ods_book(ods_row(ods_cell("x", 16_384), 1_048_576))
    assert len(hostile) < 2048
    done = verify_ods(tmp_path, hostile)
    assert_refused(done, "roster.ods", "展开后过多")
    assert not (tmp_path / "out.json").exists()
    register = tmp_path / "register.ods"
    register.write_bytes(hostile)
    assert_refused(certcheck("due", register, "--as-of", AS_OF, cwd=tmp_path), "展开后过多")


def test_rows_repeated_past_the_cell_limit_below_a_real_roster_are_refused(tmp_path: Path) -> None:
    """A plausible header, then a value row repeated 5 million times over four columns."""
    header = ods_row(ods_cell("姓名") + ods_cell("身份证号") + ods_cell("作业类别") + ods_cell("操作项目"))
    done = verify_ods(tmp_path, ods_book(header + ods_row(ods_cell("工人", 4), 5_000_000)))
    assert_refused(done, "roster.ods", "展开后过多")


def test_an_ods_cell_of_long_text_repeated_is_refused(tmp_path: Path) -> None:
    """A 1 MB text repeated across 3,000 columns: ~0.5 MB on disk, 3 GB of cell text."""
    text = secrets.token_hex(500_000)
    done = verify_ods(tmp_path, ods_book(ods_row(ods_cell("姓名") + ods_cell(text, 3000))))
    assert_refused(done, "roster.ods", "文字合计过多")


def test_an_ods_cell_of_text_longer_than_any_cell_is_refused(tmp_path: Path) -> None:
    text = secrets.token_hex(1_000_000)
    done = verify_ods(tmp_path, ods_book(ods_row(ods_cell("姓名") + ods_cell(text))))
    assert_refused(done, "roster.ods", "单元格文字过长")


def test_an_honest_ods_ending_in_a_million_empty_rows_is_read_under_the_limit(
    tmp_path: Path,
) -> None:
    """LibreOffice ends every sheet with empty cells repeated to the sheet's edge; those are no
    attack. Read in the memory-limited child, under the test's own limit, it gives each worker
    the verdict its registry record calls for."""
    rows = [ods_row(ods_cell("姓名") + ods_cell("身份证号") + ods_cell("作业类别")
                    + ods_cell("操作项目"))]
    rows += [ods_row(ods_cell(f"工人{i}") + ods_cell(person_id(i)) + ods_cell("电工作业")
                     + ods_cell("低压电工作业") + '<table:table-cell table:number-columns-repeated="1020"/>')
             for i in range(3)]
    rows.append(ods_row('<table:table-cell table:number-columns-repeated="1024"/>', 1_048_572))
    done = verify_ods(tmp_path, ods_book("".join(rows)))
    assert done.returncode == 0, done.stderr[-2000:]
    workers = json.loads((tmp_path / "out.json").read_text("utf-8"))["workers"]
    assert [w["status"] for w in workers] == ["valid"] * 3


# --- 8. HTML tables saved as .xls: spans laid out as cells ------------------------------------


def verify_html(folder: Path, body: str) -> subprocess.CompletedProcess[str]:
    roster = folder / "roster.xls"
    roster.write_text(f'<html><meta charset="utf-8"><body><table>{body}</table></body></html>',
                      encoding="utf-8")
    return certcheck("verify", roster, "--source", f"registry:{registry_csv(folder)}",
                     "--as-of", AS_OF, "-o", folder / "out.json", "--no-progress", "--no-cache",
                     cwd=folder)


def test_an_html_table_of_wide_spans_is_refused(tmp_path: Path) -> None:
    """200,000 cells each spanning 1,000 columns: 3 MB on disk, 200 million cells laid out."""
    body = "<tr><td>姓名</td><td>身份证号</td></tr><tr>" + "<td colspan=1000>x" * 200_000
    done = verify_html(tmp_path, body)
    assert_refused(done, "roster.xls", "单元格过多")
    assert not (tmp_path / "out.json").exists()


def test_an_html_table_of_spans_reaching_down_is_refused(tmp_path: Path) -> None:
    """Each row starts spans 1,000 rows deep and 1,000 columns wide, so every later row is
    padded with the cells they cover."""
    body = "<tr><td>姓名</td><td>身份证号</td></tr>" + "<tr><td rowspan=1000 colspan=1000>x" * 20_000
    done = verify_html(tmp_path, body)
    assert_refused(done, "roster.xls", "单元格过多")


def test_an_html_cell_longer_than_any_cell_is_refused(tmp_path: Path) -> None:
    done = verify_html(tmp_path, "<tr><td>姓名</td><td>" + "甲" * 2_000_000 + "</td></tr>")
    assert_refused(done, "roster.xls", "单元格文字过长")
