"""A Word document, a PDF, a picture or an archive given as the roster is named for what it is,
with what to do, in one line, and never with a reader's own error text; and a typo in
--source fails before the roster is read."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from certcheck.cli import cli
from certcheck.cli import verify as _verify  # noqa: F401  (attaches the command)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAVE_AS = "请把花名册另存为 .xlsx（Excel 工作簿）再试"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def verify(path: Path) -> Result:
    return run("verify", path, "--source", f"registry:{SAMPLES / 'registry.csv'}",
               "--no-progress", "--no-cache", "-o", path.with_suffix(".out.json"))


def _zip(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def docx(path: Path) -> Path:
    # The parts Word writes for a one-paragraph document (a table of workers in it or not).
    return _zip(path, {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.'
                               'openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
        "word/document.xml": '<?xml version="1.0"?><w:document><w:body><w:p><w:r>'
                             "<w:t>姓名 身份证号</w:t></w:r></w:p></w:body></w:document>",
        "docProps/app.xml": "<Properties/>",
    })


def pptx(path: Path) -> Path:
    return _zip(path, {"[Content_Types].xml": "<Types/>", "_rels/.rels": "<Relationships/>",
                       "ppt/presentation.xml": "<p:presentation/>"})


def ole2(path: Path, streams: list[str]) -> Path:
    """A compound file whose directory holds ``streams`` (after the root entry), the way Word
    97-2003 and Excel 97-2003 files are laid out."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x1E:0x20] = struct.pack("<H", 9)  # 512-byte sectors
    directory = bytearray()
    for i, name in enumerate(["Root Entry", *streams]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le")
        entry[: len(encoded)] = encoded
        entry[64:66] = struct.pack("<H", len(encoded) + 2)
        entry[66] = 5 if i == 0 else 2
        directory += entry
    directory += bytes(-len(directory) % 512)
    path.write_bytes(bytes(header) + bytes(directory) + bytes(1024))
    return path


def image(path: Path, fmt: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return path


CASES = [
    ("花名册.docx", docx, "花名册.docx 是 Word 文档，不是表格。" + SAVE_AS),
    # Renamed: the content decides, not the name.
    ("花名册.xlsx", docx, "花名册.xlsx 是 Word 文档，不是表格。" + SAVE_AS),
    ("花名册.doc", lambda p: ole2(p, ["WordDocument", "1Table"]),
     "花名册.doc 是 Word 97-2003 文档，不是表格。" + SAVE_AS),
    ("花名册.pptx", pptx, "花名册.pptx 是 PowerPoint 演示文稿，不是表格。" + SAVE_AS),
    ("花名册.pdf", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
     "花名册.pdf 是 PDF 文件，不是表格。PDF 中的表格无法读取；请使用花名册原来的 Excel/WPS 文件，"
     "或另存为 .xlsx 再试"),
    ("花名册.jpg", lambda p: image(p, "JPEG"),
     "花名册.jpg 是图片（JPEG），不是表格。无法识别图片中的表格；请提供花名册的 Excel/WPS 文件（.xlsx）"),
    ("花名册.png", lambda p: image(p, "PNG"), "花名册.png 是图片（PNG），不是表格。"),
    ("花名册.bmp", lambda p: image(p, "BMP"), "花名册.bmp 是图片（BMP），不是表格。"),
    ("花名册.webp", lambda p: image(p, "WEBP"), "花名册.webp 是图片（WebP），不是表格。"),
    ("花名册.zip", lambda p: _zip(p, {"德感机械/花名册.xlsx": "x", "说明.txt": "y"}),
     "花名册.zip 是压缩包（zip），不是表格。请先解压，再给出其中的花名册：德感机械/花名册.xlsx"),
    ("花名册.rar", lambda p: p.write_bytes(b"Rar!\x1a\x07\x01\x00" + bytes(64)),
     "花名册.rar 是压缩包（rar），不是表格。请先解压，再给出其中的花名册文件"),
]


@pytest.mark.parametrize(("name", "make", "expected"), CASES, ids=[c[0] for c in CASES])
def test_named_for_what_it_is(tmp_path: Path, name: str, make, expected: str) -> None:
    path = tmp_path / name
    make(path)
    result = verify(path)
    assert result.exit_code == 4
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("certcheck: " + expected)
    # The English follows, for a search engine or a colleague.
    assert "not a spreadsheet" in lines[0]
    # No reader's own words (calamine's "Relationships", "Cfb error", "File not found").
    for leak in ("Relationships", "Cfb", "File not found", "Error", "error"):
        assert leak not in lines[0]


def test_a_real_legacy_workbook_is_still_read(tmp_path: Path) -> None:
    # The stream that makes a file a workbook wins over any other name in the directory.
    path = ole2(tmp_path / "a.xls", ["Workbook", "WordDocument"])
    from certcheck.tablefile.sniff import Kind, foreign, sniff

    head = path.read_bytes()[:8192]
    assert sniff(path, head) is Kind.XLS and foreign(path, head, Kind.XLS) is None


def test_a_typo_in_source_fails_before_the_roster_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certcheck.roster

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the roster was read before the source was checked")

    monkeypatch.setattr(certcheck.roster, "read_roster", never)
    result = run("verify", SAMPLES / "roster.xlsx", "--source", "registy:samples/registry.csv",
                 "-o", tmp_path / "r.json")
    assert result.exit_code == 4
    assert "registy" in result.stderr
    missing = run("verify", SAMPLES / "roster.xlsx", "--source", "registry:no-such-file.csv",
                  "-o", tmp_path / "r.json")
    assert missing.exit_code == 4 and "no-such-file.csv" in missing.stderr


def test_due_names_a_foreign_file_once(tmp_path: Path) -> None:
    from certcheck.cli import due as _due  # noqa: F401  (attaches the command)

    path = docx(tmp_path / "到期.docx")
    result = run("due", path)
    assert result.exit_code == 4
    assert result.stderr.strip() == (
        f"certcheck: 到期.docx 是 Word 文档，不是表格。{SAVE_AS}（this is a Word document, not a "
        "spreadsheet）"
    )
