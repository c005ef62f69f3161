"""The comparison written to files: ``.xlsx`` (the changes and an overview sheet), ``.json``
(everything, for programs) and ``.csv`` (the changes), each written atomically, mode 0600.

Each change is one row: the new register's sheet and row (the old one's for a person who
left), the old ones beside them, the findings before and after, and the worker's own
certificate dates before and after (blank where a row holds none of its own). IDs are text,
as the registers hold them unless ``mask`` asks for them masked. Rows that cannot be told apart
are one row per group, with their row numbers and findings counted.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from certcheck import __version__
from certcheck.atomic import atomic_write
from certcheck.diff.compare import (
    Ambiguity,
    Change,
    ChangeKind,
    Concern,
    DateField,
    RegisterDiff,
    Side,
    own_dates,
    shown_id,
)
from certcheck.diff.digest import (
    AMBIGUOUS_TITLE,
    ambiguity_text,
    change_text,
    concern_text,
    conclusion,
    counts_text,
    item_of,
    percent,
    points,
)
from certcheck.jsontext import ENCODE_ERRORS
from certcheck.models import Status
from certcheck.register.csv_ import neutralise
from certcheck.register.layout import footer_text, print_landscape
from certcheck.register.reader import RegisterRow

SUFFIXES = (".xlsx", ".json", ".csv")

HEADERS = (
    "变化", "工作表", "行号", "原工作表", "原行号", "姓名", "身份证号", "作业项目",
    "原核验结果", "新核验结果", "原有效期至", "新有效期至", "原应复审日期", "新应复审日期",
    "原实际复审日期", "新实际复审日期", "说明",
)
_WIDTHS = (14, 12, 6, 12, 6, 10, 21, 22, 10, 10, 12, 12, 12, 12, 13, 13, 50)
_DATE_FIELDS = (DateField.VALID_UNTIL, DateField.REVIEW_DUE, DateField.REVIEWED)

Cell = str | int | date | None


def write(diff: RegisterDiff, path: Path, concerns: Sequence[Concern], *, mask: bool) -> None:
    """Write ``diff`` to ``path`` in the format its extension names."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(to_dict(diff, concerns, mask=mask), ensure_ascii=False, indent=2)
        atomic_write(path, lambda tmp: _write_text(tmp, text + "\n"))
    elif suffix == ".csv":
        atomic_write(path, lambda tmp: _write_csv(diff, tmp, mask))
    else:
        atomic_write(path, lambda tmp: _write_xlsx(diff, concerns, tmp, mask))


def _write_text(tmp: Path, text: str) -> None:
    with open(tmp, "w", encoding="utf-8", errors=ENCODE_ERRORS) as fh:
        fh.write(text)


# --- the rows ---------------------------------------------------------------------------------


def _id(row: RegisterRow, mask: bool) -> str:
    return shown_id(row) if mask else (row.id_number or "")


def label(change: Change) -> str:
    """The 变化 column: ``新逾期``, ``新增人员``, ``证书日期变化`` …"""
    return change.move.zh if change.move is not None else change.kind.zh


def _dates(row: RegisterRow | None) -> list[date | None]:
    if row is None or not own_dates(row):
        return [None] * len(_DATE_FIELDS)
    return [f.of(row) for f in _DATE_FIELDS]


def change_row(change: Change, mask: bool) -> tuple[Cell, ...]:
    old, new = change.old, change.new
    row = change.row
    before, after = _dates(old), _dates(new)
    return (
        label(change),
        new.sheet if new else None, new.row if new else None,
        old.sheet if old else None, old.row if old else None,
        row.name, _id(row, mask), item_of(row),
        old.status.zh if old else None, new.status.zh if new else None,
        before[0], after[0], before[1], after[1], before[2], after[2],
        change_text(change),
    )


def _rows_text(rows: Sequence[RegisterRow]) -> str:
    return "、".join(f"{r.sheet} {r.row}" if r.sheet else str(r.row) for r in rows)


def ambiguity_row(group: Ambiguity) -> tuple[Cell, ...]:
    row = group.row
    return (
        AMBIGUOUS_TITLE, None, _rows_text(group.new), None, _rows_text(group.old),
        row.name, shown_id(row), item_of(row),
        counts_text(group.counts(group.old)), counts_text(group.counts(group.new)),
        None, None, None, None, None, None,
        ambiguity_text(group),
    )


def rows(diff: RegisterDiff, mask: bool) -> list[tuple[Cell, ...]]:
    return ([change_row(c, mask) for c in diff.changes]
            + [ambiguity_row(a) for a in diff.ambiguous])


# --- CSV -------------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def _write_csv(diff: RegisterDiff, tmp: Path, mask: bool) -> None:
    with open(tmp, "w", encoding="utf-8-sig", newline="", errors=ENCODE_ERRORS) as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        out.writerows([_csv_cell(v) for v in line] for line in rows(diff, mask))


# --- JSON ------------------------------------------------------------------------------------


def _side(side: Side) -> dict[str, Any]:
    info, verdict = side.info, side.verdict
    return {
        "file": side.path.name,
        "as_of": info.as_of.isoformat(),
        "enterprise": info.enterprise,
        "kind": info.kind.value,
        "sample": info.sample is not None,
        "ids_masked": side.ids_masked,
        "workers": verdict.total,
        "counts": {s.value: verdict.counts[s] for s in Status},
        "rate": round(verdict.rate, 4),
    }


def _row_dict(row: RegisterRow | None, mask: bool) -> dict[str, Any] | None:
    if row is None:
        return None
    own = own_dates(row)
    return {
        "sheet": row.sheet,
        "row": row.row,
        "name": row.name,
        "id_number": _id(row, mask),
        "item": item_of(row) or None,
        "status": row.status.value,
        "reason": row.reason.value,
        **{f.value: _iso(f.of(row)) if own else None for f in _DATE_FIELDS},
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _change_dict(change: Change, mask: bool) -> dict[str, Any]:
    return {
        "change": change.kind.value,
        "move": change.move.value if change.move is not None else None,
        "label": label(change),
        "worse": change.worse,
        "text": change_text(change),
        "old": _row_dict(change.old, mask),
        "new": _row_dict(change.new, mask),
        "dates": [{"field": d.field.value, "old": _iso(d.old), "new": _iso(d.new)}
                  for d in change.dates],
        "id_corrected": change.id_corrected,
        "item_changed": change.item_changed,
        "name_changed": change.name_changed,
    }


def _ambiguity_dict(group: Ambiguity) -> dict[str, Any]:
    def brief(rows: Sequence[RegisterRow]) -> list[dict[str, Any]]:
        return [{"sheet": r.sheet, "row": r.row, "status": r.status.value} for r in rows]

    return {
        "name": group.row.name,
        "id_number": shown_id(group.row),
        "old": brief(group.old),
        "new": brief(group.new),
        "worse_statuses": [s.value for s in group.worse_statuses],
        "text": ambiguity_text(group),
    }


def to_dict(diff: RegisterDiff, concerns: Sequence[Concern], *, mask: bool) -> dict[str, Any]:
    return {
        "certcheck": __version__,
        "old": _side(diff.old),
        "new": _side(diff.new),
        "matching": diff.matching.value,
        "rate_change_points": round(diff.rate_points, 1),
        "worse": diff.worse,
        "concerns": [c.value for c in concerns],
        "changes": [_change_dict(c, mask) for c in diff.changes],
        "ambiguous": [_ambiguity_dict(a) for a in diff.ambiguous],
    }


# --- XLSX ------------------------------------------------------------------------------------

_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def overview(diff: RegisterDiff, concerns: Sequence[Concern]) -> list[tuple[str, str]]:
    """The 概况 sheet: the two registers, the rate, how people were matched, the counts."""
    old, new = diff.old, diff.new
    lines = [
        ("单位", old.info.enterprise or ""),
        ("旧登记表", old.path.name),
        ("新登记表", new.path.name),
        ("旧核验基准日", old.info.as_of.isoformat()),
        ("新核验基准日", new.info.as_of.isoformat()),
        ("旧人数", str(old.verdict.total)),
        ("新人数", str(new.verdict.total)),
        ("旧依法持证率", percent(old.verdict.rate)),
        ("新依法持证率", percent(new.verdict.rate)),
        ("依法持证率变化", points(diff.rate_points)),
        ("对应方式", diff.matching.zh),
        ("结论", conclusion(diff)),
    ]
    if new.info.enterprise and new.info.enterprise != old.info.enterprise:
        lines.insert(1, ("新登记表单位", new.info.enterprise))
    for kind in ChangeKind:
        lines.append((kind.zh, str(len(diff.of(kind)))))
    lines.append((AMBIGUOUS_TITLE, str(len(diff.ambiguous))))
    lines.extend(("提示", concern_text(c, old, new)) for c in concerns)
    return lines


def _write_xlsx(diff: RegisterDiff, concerns: Sequence[Concern], tmp: Path, mask: bool) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp), _WORKBOOK_OPTIONS)
    try:
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        text = wb.add_format({"border": 1, "valign": "top"})
        wrap = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd", "valign": "top"})
        worse = wb.add_format({"border": 1, "font_color": "#C00000", "bold": True,
                               "valign": "top"})
        ws = wb.add_worksheet("变化")
        for col, (h, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True)):
            ws.set_column(col, col, width)
            ws.write_string(0, col, h, head)
        flagged = [c.worse for c in diff.changes] + [a.worse for a in diff.ambiguous]
        for r, (line, bad) in enumerate(zip(rows(diff, mask), flagged, strict=True), start=1):
            for col, value in enumerate(line):
                if value is None:
                    ws.write_blank(r, col, None, text)
                elif isinstance(value, date):
                    ws.write_datetime(r, col, datetime(value.year, value.month, value.day), day)
                elif isinstance(value, int):
                    ws.write_number(r, col, value, text)
                else:
                    # Text, so an 18-digit ID keeps its last digits.
                    fmt = worse if bad and col == 0 else wrap if col == len(HEADERS) - 1 else text
                    ws.write_string(r, col, value, fmt)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(flagged), 1), len(HEADERS) - 1)
        print_landscape(ws, footer=footer_text(
            f"登记表变化：{diff.old.info.as_of.isoformat()} → {diff.new.info.as_of.isoformat()}",
            diff.new.info.enterprise or ""))
        summary = wb.add_worksheet("概况")
        summary.set_column(0, 0, 16)
        summary.set_column(1, 1, 70)
        for r, (key, value) in enumerate(overview(diff, concerns)):
            summary.write_string(r, 0, key, head)
            summary.write_string(r, 1, value, wrap)
        print_landscape(summary, repeat_header=False)
    finally:
        wb.close()
