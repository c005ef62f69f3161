"""The floor for a roster run: the plain I/O of the same job with no certcheck logic.

Reads the roster with ``pandas.read_excel(engine="calamine")`` and the registry with ``csv``,
writes an xlsxwriter workbook with the register's 19 columns for every row, and dumps the same
rows as JSON. Usage: python bench/floor.py ROSTER REGISTRY OUT_DIR
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pandas as pd
import xlsxwriter

COLUMNS = 19


def main(roster: Path, registry: Path, out: Path) -> None:
    frame = pd.read_excel(roster, engine="calamine", dtype=str)
    with registry.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    by_id = {r[1]: r for r in records[1:]}
    headers = [f"c{i}" for i in range(COLUMNS)]
    rows = []
    for values in frame.fillna("").itertuples(index=False):
        found = by_id.get(values[2], ())
        row = [*values, *found][:COLUMNS]
        rows.append(row + [""] * (COLUMNS - len(row)))
    workbook = xlsxwriter.Workbook(str(out / "floor.xlsx"), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    with (out / "floor.json").open("w", encoding="utf-8") as fh:
        fh.write("[\n")
        fh.write(",\n".join(json.dumps(dict(zip(headers, row, strict=True)), ensure_ascii=False)
                            for row in rows))
        fh.write("\n]\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
