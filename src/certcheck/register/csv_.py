"""The CSV register: the workbook's register sheet as UTF-8 CSV that Excel opens correctly.

Encoding is UTF-8 with a byte-order mark, because without it Excel on a Chinese Windows reads
the file as GBK and shows mojibake.

CSV injection (OWASP): a spreadsheet program evaluates a cell that starts with ``=``, ``+``,
``-`` or ``@`` (and, after its own trimming, a tab or carriage return, or their full-width forms
that an IME produces) as a formula. Every cell of every column that starts with one of those
characters gets a leading ``'``; nothing else is changed. The ``'`` is visible in the file and to
a program reading it: a name that really starts with ``=`` reads back as ``'=``. That is the
accepted cost of making the file safe to open; the JSON and XLSX registers carry values
unaltered.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from certcheck.atomic import atomic_write
from certcheck.jsontext import ENCODE_ERRORS
from certcheck.register.model import Register
from certcheck.register.view import HEADERS, Cell, Masker, flat_row

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")


def neutralise(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate; return other text unchanged."""
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def write_csv(reg: Register, path: Path) -> None:
    """Write the CSV register to ``path`` atomically, mode 0600."""
    masker = Masker(reg.mask_ids)

    def writer(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="", errors=ENCODE_ERRORS) as fh:
            out = csv.writer(fh)
            out.writerow(HEADERS)
            sheets = reg.meta.sheets
            out.writerows([_text(v) for v in flat_row(f, masker, sheets)] for f in reg.findings)

    atomic_write(path, writer)
