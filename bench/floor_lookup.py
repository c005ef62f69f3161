"""The floor of ``certcheck lookup`` against a registry file: the csv module reads the file and
keeps the rows of one ID. Usage: python bench/floor_lookup.py REGISTRY.csv ID
"""

from __future__ import annotations

import csv
import sys

with open(sys.argv[1], encoding="utf-8-sig", newline="") as fh:
    found = [row for row in csv.reader(fh) if len(row) > 1 and row[1] == sys.argv[2]]
print(found)
