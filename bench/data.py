"""Generated rosters and registries for the benchmarks: realistic mixes, reproducible by seed."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ITEMS = [
    ("电工作业", "低压电工作业", "电工"),
    ("电工作业", "高压电工作业", "高压电工"),
    ("焊接与热切割作业", "熔化焊接与热切割作业", "电焊工"),
    ("高处作业", "登高架设作业", "架子工"),
    ("制冷与空调作业", "制冷与空调设备安装修理作业", "制冷工"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
REGISTRY_HEADER = ["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
                   "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"]
ROSTER_HEADER = ["序号", "姓名", "身份证号", "作业类别", "操作项目", "证号", "有效期至"]


def make_id(n: int, rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
    first17 = f"500381{born:%Y%m%d}{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def generate(directory: Path, size: int, seed: int = 7, *,
             roster: bool = True) -> tuple[Path, Path]:
    """Write roster.xlsx (size workers; not with ``roster=False``) and registry.csv; return
    their paths."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    roster_path = directory / f"roster-{size}.xlsx"
    registry_path = directory / f"registry-{size}.csv"
    seen: set[str] = set()
    workbook = xlsxwriter.Workbook(str(roster_path), {"constant_memory": True}) if roster else None
    sheet = workbook.add_worksheet("花名册") if workbook is not None else None
    if sheet is not None:
        sheet.write_row(0, 0, ROSTER_HEADER)
    with registry_path.open("w", encoding="utf-8-sig", newline="") as fh:
        registry = csv.writer(fh)
        registry.writerow(REGISTRY_HEADER)
        for n in range(size):
            id_number = make_id(n, rng)
            while id_number in seen:
                id_number = make_id(n, rng)
            seen.add(id_number)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            category, item, everyday = rng.choice(ITEMS)
            start = date(2019, 1, 1) + timedelta(days=rng.randrange(2400))
            until = start + timedelta(days=6 * 365)
            due = start + timedelta(days=3 * 365)
            reviewed = due - timedelta(days=20) if rng.random() < 0.8 else None
            fate = rng.random()
            number = "T" + id_number
            if fate < 0.85:  # holds the certificate the roster says
                registry.writerow([name, id_number, number, category, item, start, start, until,
                                   due, reviewed or "", "重庆市应急管理局"])
            elif fate < 0.9:  # holds one for another item
                other = ITEMS[(ITEMS.index((category, item, everyday)) + 1) % len(ITEMS)]
                registry.writerow([name, id_number, number, other[0], other[1], start, start,
                                   until, due, reviewed or "", "重庆市应急管理局"])
            elif fate < 0.95:  # declared, never issued
                pass
            else:  # nothing declared, nothing issued
                number = ""
            if sheet is not None:
                sheet.write_row(n + 1, 0, [n + 1, name, id_number, category, everyday, number,
                                           until.isoformat() if number else ""])
    if workbook is not None:
        workbook.close()
    return roster_path, registry_path
