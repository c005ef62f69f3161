"""How long read_roster takes on a 100,000-row roster, against pandas + calamine on the same file.

Run: python bench/bench_roster.py [ROWS]
Prints both times and their ratio; the floor (pandas.read_excel with the calamine engine) is
measured in the same run so the ratio means the same thing on any machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import xlsxwriter

from certcheck.ids import check_char
from certcheck.roster import read_roster

HEADERS = (
    "序号",
    "姓名",
    "身份证号",
    "证号",
    "作业类别",
    "操作项目",
    "初领日期",
    "有效期开始日期",
    "有效期结束日期",
    "应复审日期",
    "实际复审日期",
)


def make_id(i: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=i % 15000)
    first17 = f"500381{born:%Y%m%d}{i % 1000:03d}"
    return first17 + check_char(first17)


def write_roster(path: Path, rows: int) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("花名册")
    datefmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["重庆某某建设有限公司特种作业人员花名册"])
    sheet.write_row(1, 0, HEADERS)
    for i in range(rows):
        r = i + 2
        id_number = make_id(i)
        issued = date(2015, 1, 1) + timedelta(days=i % 2000)
        sheet.write_number(r, 0, i + 1)
        sheet.write_string(r, 1, f"工人{i}")
        sheet.write_string(r, 2, id_number)
        sheet.write_string(r, 3, "T" + id_number)
        sheet.write_string(r, 4, "电工作业")
        sheet.write_string(r, 5, "低压电工作业")
        for c, d in enumerate(
            (issued, issued, issued + timedelta(days=2190), issued + timedelta(days=1095)), start=6
        ):
            sheet.write_datetime(r, c, d, datefmt)  # type: ignore[arg-type]
        sheet.write_string(r, 10, "")
    workbook.close()


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        write_roster(path, rows)
        floor = best_of(3, lambda: pd.read_excel(path, engine="calamine", dtype=str, header=1))
        ours = best_of(3, lambda: read_roster(path))
        roster = read_roster(path)
        assert len(roster.workers) == rows, len(roster.workers)
    print(f"rows: {rows}")
    print(f"pandas.read_excel(engine='calamine', dtype=str): {floor:.3f} s")
    print(f"read_roster:                                     {ours:.3f} s")
    print(f"ratio read_roster / pandas: {ours / floor:.2f}")


if __name__ == "__main__":
    main()
