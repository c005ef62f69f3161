"""Render workbooks the way an office prints them: LibreOffice headless to PDF, then poppler
(pdfinfo, pdftotext) to read the pages back, and pdfminer for the size the type comes out at.

Tests that need these skip with the reason when they are not installed, except under CI
(``CI`` set), where a missing LibreOffice is a failure: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
MISSING = (
    None if SOFFICE and POPPLER else
    "LibreOffice (soffice) and poppler-utils (pdftotext, pdfinfo) are needed to render the "
    "workbooks; install libreoffice-calc-nogui poppler-utils fonts-noto-cjk (.ci/run does)"
)


def require() -> None:
    """Skip the calling test when the renderer is missing; fail instead under CI."""
    if MISSING is None:
        return
    if os.environ.get("CI"):
        pytest.fail(MISSING)
    pytest.skip(MISSING)


def to_pdf(sources: list[Path], outdir: Path) -> list[Path]:
    """Each workbook printed to a PDF in ``outdir``, as File ▸ Export as PDF does."""
    require()
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    # A profile of its own: two LibreOffice processes sharing one refuse to start.
    profile = (outdir / ".lo-profile").resolve().as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, sources)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    pdfs = [outdir / (s.stem + ".pdf") for s in sources]
    for pdf in pdfs:
        assert pdf.exists(), f"LibreOffice wrote no {pdf.name}"
    return pdfs


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    #: The text laid out as on the page (pdftotext -layout).
    text: str
    #: The text in reading order, cells one after another (pdftotext without -layout).
    flow: str

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    @property
    def a4(self) -> bool:
        short, long = sorted((self.width, self.height))
        return abs(short - 595.3) < 2 and abs(long - 841.9) < 2

    @property
    def squeezed(self) -> str:
        """The flowing text without any whitespace, to find text that wrapped in its cell."""
        return re.sub(r"\s+", "", self.flow)


def pages(pdf: Path) -> list[Page]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(count), str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    found = {int(n): (float(w), float(h)) for n, w, h in
             re.findall(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", sizes, re.M)}
    result = []
    for n in range(1, count + 1):
        def text(*layout: str, page: int = n) -> str:
            return subprocess.run(["pdftotext", *layout, "-f", str(page), "-l", str(page),
                                   str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout
        width, height = found[n]
        result.append(Page(n, width, height, text("-layout"), text()))
    return result


def type_sizes(pdf: Path) -> list[float]:
    """The smallest type on each page, in points as printed: the size of each character as
    the page draws it, after every scaling (LibreOffice's fit to the page included).

    A character's size is the height of its em box on the page; for one turned a quarter
    (an axis title) it is the width.
    """
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer, LTItem

    def chars(item: LTItem) -> list[LTChar]:
        if isinstance(item, LTChar):
            return [item]
        if isinstance(item, LTContainer):
            return [c for child in item for c in chars(child)]
        return []

    smallest = []
    for page in extract_pages(str(pdf)):
        sizes = []
        for char in chars(page):
            if not char.get_text().strip():
                continue
            a, _, _, d = char.matrix[:4]
            turned = abs(a) < 1e-6 and abs(d) < 1e-6
            sizes.append(char.width if turned else char.size)
        smallest.append(min(sizes, default=float("inf")))
    return smallest
