"""Make the pictures in docs/img/ from the samples, so the user guide shows what the current
version prints.

    .venv/bin/python docs/make_pictures.py

It runs certcheck on the samples as a user would, prints the register and the 附件1 form to
PDF with LibreOffice (headless), turns pages into PNG with poppler's pdftoppm and trims the
white margins with Pillow. Needs: libreoffice-calc-nogui, poppler-utils, fonts-noto-cjk.

Run twice, it draws the same pictures: certcheck runs with its clock pinned as in
samples/make_samples.py, so no time of day reaches the printed pages, and a picture whose
pixels did not change is not rewritten.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
IMAGES = ROOT / "docs" / "img"
AS_OF = "2026-12-01"


def certcheck(*args: str | Path) -> None:
    """certcheck as a user runs it, with the clock pinned (samples/make_samples.py)."""
    done = subprocess.run(
        [sys.executable, str(SAMPLES / "make_samples.py"), "--certcheck", *map(str, args)],
        capture_output=True, text=True, check=False, env={**os.environ, "TZ": "CST-8"},
    )
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"certcheck {args[0]} failed: {done.stderr}")


def to_pdf(workbook: Path, outdir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    profile = (outdir / ".lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(outdir), str(workbook)],
                   capture_output=True, check=True, timeout=300)
    return outdir / (workbook.stem + ".pdf")


def page_png(pdf: Path, page: int, dpi: int, out: Path) -> Image.Image:
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True)
    return Image.open(stem.with_suffix(".png")).convert("RGB")


def page_with(pdf: Path, text: str) -> int:
    """The number of the first page of ``pdf`` that holds ``text``."""
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return next(n for n, page in enumerate(pages, start=1) if text in page)


def trimmed(image: Image.Image, margin: int = 16) -> Image.Image:
    """The image without its white border, keeping ``margin`` pixels of it."""
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    return image.crop((max(left - margin, 0), max(top - margin, 0),
                       min(right + margin, image.width), min(bottom + margin, image.height)))


def save(image: Image.Image, name: str) -> None:
    path = IMAGES / name
    if path.exists() and _same_pixels(path, image):
        print(f"{path.relative_to(ROOT)}  unchanged")
        return
    image.save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}  {image.width}×{image.height}")


def _same_pixels(path: Path, image: Image.Image) -> bool:
    with Image.open(path) as old:
        before = old.convert("RGB")
    return before.size == image.size and ImageChops.difference(before, image).getbbox() is None


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        register = work / "登记表.xlsx"
        certcheck("verify", SAMPLES / "roster.xlsx", "--source",
                  f"registry:{SAMPLES / 'registry.csv'}", "--as-of", AS_OF, "--no-progress",
                  "--no-cache", "-o", register)
        form = work / "汇总表.xlsx"
        certcheck("summary", *sorted((SAMPLES / "registers").glob("*.register.xlsx")),
                  "--enterprises", SAMPLES / "辖区企业.csv", "--actions", SAMPLES / "处罚.csv",
                  "--unit", "江津区某某镇人民政府", "--filler", "张三", "--phone", "023-12345678",
                  "--date", AS_OF, "-o", form)
        register_pdf, form_pdf = to_pdf(register, work), to_pdf(form, work)

        # The register's first page as printed, its top at reading size, and the last page of
        # the form with the signature lines; then the 汇总 and 输入问题 sheets.
        summary = page_with(register_pdf, "依法持证率")
        issues = page_with(register_pdf, "怎么办")
        page = page_png(register_pdf, 1, 110, work / "p1.png")
        save(trimmed(page), "登记表-整页.png")
        close = trimmed(page_png(register_pdf, 1, 160, work / "p1-close.png"))
        save(close.crop((0, 0, close.width, close.height * 2 // 5)), "登记表-局部.png")
        last = page_png(register_pdf, summary - 1, 110, work / "plast.png")
        save(trimmed(last), "登记表-签字页.png")
        save(trimmed(page_png(register_pdf, summary, 110, work / "p2.png")), "登记表-汇总.png")
        save(trimmed(page_png(register_pdf, issues, 110, work / "p3.png")), "登记表-输入问题.png")
        save(trimmed(page_png(form_pdf, 1, 110, work / "f1.png")), "附件1.png")
        save(trimmed(page_png(form_pdf, 2, 110, work / "f2.png")), "附件1-分单位明细.png")


if __name__ == "__main__":
    main()
