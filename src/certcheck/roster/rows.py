"""The row loop: data rows under the header → Workers and input issues.

Plain lists and local variables only: this runs once per worker, 100,000 times for a large
roster, and is most of the reader's own time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from certcheck.models import Declared, IdProblem, InputIssue, Worker
from certcheck.roster.header import DATE_FIELDS, Header, fold_label
from certcheck.roster.values import (
    ID_AS_NUMBER,
    Notes,
    cert_value,
    date_range,
    date_value,
    id_value,
    is_blank,
    is_placeholder,
    name_value,
    shown,
    text_value,
)
from certcheck.tablefile.grid import Cell, Grid, Row

# What the first text of a non-worker row at the bottom of a roster starts with.
_FOOTER = re.compile(
    r"^\s*(?:制表|审核|审批|复核|填表|填报|负责人|单位负责人|主管|经办|合计|总计|小计|共计|"
    r"说明|备注\s*[:：]|注\s*[:：\d一二三1-9、.．]|注意|签字|签名\s*[:：]|盖章|日期\s*[:：]|"
    r"联系人|联系电话|以下空白|本页)"
)
# A short label and a colon (安全员：, 单位（盖章）：, 填报日期：): a form line, not a name.
_LABEL = re.compile(r"^\s*[^\d:：]{1,20}[:：]")
# Stamp and signature words that no name holds.
_SIGN = re.compile(r"盖章|公章|签字|签名|签章|[（(]\s*章\s*[）)]")
_ID_DIGITS = re.compile(r"\d{15}")
_NO_CERT: tuple[str | None, bool, Notes] = (None, True, [])
_BLANK_CELLS = ("", None)
# Text that fold_label leaves as it is: CJK ideographs (NFKC keeps U+4E00–U+9FFF), digits and
# lower-case ASCII letters.
_FOLD_STABLE = re.compile(r"[\u4e00-\u9fff0-9a-z]+")
DATE_LABELS_ZH = {
    "first_issued": "初领日期",
    "valid_from": "有效期开始日期",
    "valid_until": "有效期结束日期",
    "review_due": "应复审日期",
    "reviewed": "实际复审日期",
}


def build_workers(grid: Grid, header: Header, today: date) -> tuple[list[Worker], list[InputIssue]]:
    """The workers under the header, in sheet order, with the notes on their values.

    A merged cell applies to every row it spans; rows one merged name or ID cell spans share a
    ``group``. Signature, stamp and date lines under the table (单位（盖章）：…) are not workers.
    """
    layout = _layout(header)
    start = header.last + 1
    # Merge work only when there are merges: most rosters have none below the header.
    filled, groups = _spread_merges(grid, start, (layout.name, layout.id_number))
    workers: list[Worker] = []
    issues: list[InputIssue] = []
    in_footer = False
    line_numbers = grid.line_numbers
    offset = grid.first_row + 1
    sheet = grid.name
    for index, row in _data_rows(grid.rows, start, layout, filled):
        number = line_numbers[index] if line_numbers is not None else index + offset
        if _not_an_id(row[layout.id_number]):
            if _is_footer(row, row[layout.name]):
                in_footer = True
                continue
            if in_footer and not _worker_like(row, layout.name, layout.mapped):
                continue
        if _repeats_header(row, layout):
            issues.append(InputIssue(number, "repeated_header", "重复的表头行，已跳过"))
            continue
        group = groups.get(index) if groups else None
        worker, notes = _worker(row, layout, today, number, sheet, group)
        workers.append(worker)
        for code, message in notes:
            issues.append(InputIssue(number, code, message))
    return workers, issues


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each field stands in the sheet's rows: worked out once per sheet, not per row."""

    name: int
    id_number: int
    cert_number: int | None
    category: int | None
    item: int | None
    issuer: int | None
    #: (field, column) of each date column, in ``DATE_FIELDS`` order.
    dates: tuple[tuple[str, int], ...]
    #: The mapped columns, ascending: a row blank in all of them is not a row.
    mapped: list[int]
    #: Rows are padded to this width so that every mapped column can be indexed.
    width: int
    #: A validity range in the 有效期结束日期 cell also gives the start when no column does.
    has_from: bool
    #: The folded name and ID labels, to recognise the header repeated among the data.
    header_name: str
    header_id: str


def _layout(header: Header) -> _Layout:
    columns = header.columns
    mapped = sorted(columns.values())
    return _Layout(
        name=columns["name"],
        id_number=columns["id_number"],
        cert_number=columns.get("cert_number"),
        category=columns.get("category"),
        item=columns.get("item"),
        issuer=columns.get("issuer"),
        dates=tuple((f, columns[f]) for f in DATE_FIELDS if f in columns),
        mapped=mapped,
        width=mapped[-1] + 1,
        has_from="valid_from" in columns,
        header_name=fold_label(header.labels["name"]),
        header_id=fold_label(header.labels["id_number"]),
    )


def _data_rows(
    rows: list[Row], start: int, layout: _Layout, filled: dict[int, list[Cell]]
) -> Iterator[tuple[int, list[Cell]]]:
    """(index, row) of each row from ``start`` on that holds something in a mapped column,
    padded to the layout's width, with the values of merged cells filled in."""
    need = layout.width
    mapped = layout.mapped
    for index in range(start, len(rows)):
        row = rows[index]
        if len(row) < need:
            row = [*row, *([""] * (need - len(row)))]
        for column in mapped:
            value = row[column]
            if value not in _BLANK_CELLS and not is_blank(value):
                break
        else:
            continue
        if filled:
            spread = filled.get(index)
            if spread is not None:
                row = spread if len(spread) >= need else [*spread, *([""] * (need - len(spread)))]
        yield index, row


def _repeats_header(row: list[Cell], layout: _Layout) -> bool:
    """The row repeats the header (a roster pasted together from several printouts)."""
    name_cell = row[layout.name]
    id_cell = row[layout.id_number]
    return (
        isinstance(name_cell, str)
        and isinstance(id_cell, str)
        and _folded(name_cell) == layout.header_name
        and fold_label(id_cell) == layout.header_id
    )


def _folded(text: str) -> str:
    # Every name differs, so folding it would miss fold_label's cache on every row; a plain
    # name (CJK ideographs, digits, lower-case letters) is its own folded form.
    return text if _FOLD_STABLE.fullmatch(text) else fold_label(text)


def _worker(
    row: list[Cell], layout: _Layout, today: date, number: int, sheet: str | None,
    group: int | None,
) -> tuple[Worker, Notes]:
    """One data row as a Worker, with the notes on its values in column order."""
    name, notes = name_value(row[layout.name])
    id_number, problem, id_notes = id_value(row[layout.id_number], today)
    notes = notes + id_notes if notes else id_notes
    cert_col = layout.cert_number
    cert_number, cert_exact, cert_notes = (
        cert_value(row[cert_col]) if cert_col is not None else _NO_CERT
    )
    if cert_notes:
        notes = notes + cert_notes
    dates, notes = _declared_dates(row, layout, notes)
    category_col, item_col, issuer_col = layout.category, layout.item, layout.issuer
    declared = Declared(
        cert_number=cert_number,
        category=text_value(row[category_col]) if category_col is not None else None,
        item=text_value(row[item_col]) if item_col is not None else None,
        first_issued=dates.get("first_issued"),
        valid_from=dates.get("valid_from"),
        valid_until=dates.get("valid_until"),
        review_due=dates.get("review_due"),
        reviewed=dates.get("reviewed"),
        cert_number_exact=cert_exact,
        issuer=text_value(row[issuer_col]) if issuer_col is not None else None,
    )
    if problem is IdProblem.MISSING and name is None:
        # One note for the row that lacks both, before the others.
        notes = [("missing_field", "缺少姓名和身份证号")] + [
            note for note in notes if note[0] != "missing_field"
        ]
    return Worker(number, name, id_number, problem, declared, sheet=sheet, group=group), notes


def _declared_dates(
    row: list[Cell], layout: _Layout, notes: Notes
) -> tuple[dict[str, date | None], Notes]:
    """The row's dates by field, and ``notes`` with one more for each date not understood
    (a new list then: ``notes`` may be shared)."""
    dates: dict[str, date | None] = {}
    for field_name, column in layout.dates:
        raw = row[column]
        try:
            dates[field_name] = date_value(raw)
        except (ValueError, OverflowError):
            note = _unparsed_date(dates, field_name, raw, layout.has_from)
            if note is not None:
                notes = [*notes, note]
    return dates, notes


def _unparsed_date(
    dates: dict[str, date | None], field_name: str, raw: Cell, has_from: bool
) -> tuple[str, str] | None:
    """Sets the field of a date cell that is not one date: a placeholder (无, /, —) gives none,
    a validity range gives its ends; anything else gives none and the note returned."""
    if isinstance(raw, str) and is_placeholder(raw):
        dates[field_name] = None
        return None
    span = date_range(raw) if field_name in ("valid_from", "valid_until") else None
    if span is not None:
        dates[field_name] = span[0] if field_name == "valid_from" else span[1]
        if field_name == "valid_until" and not has_from:
            dates["valid_from"] = span[0]
        return None
    dates[field_name] = None
    return (
        "bad_date",
        f"{DATE_LABELS_ZH[field_name]}“{shown(raw)}”不是可识别的日期，已按空白处理",
    )


def _is_footer(row: list[Cell], name_cell: Cell) -> bool:
    """A row without an ID that is a form line: its first text, or its name cell, is a label
    with a colon, a stamp or signature line, or a note (制表人：, 单位（盖章）：, 注：…)."""
    if isinstance(name_cell, str) and name_cell and _form_text(name_cell):
        return True
    for value in row:
        if isinstance(value, str):
            if value and not value.isspace():
                return _FOOTER.match(value) is not None or _form_text(value)
        elif value is not None:
            return False
    return False


def _form_text(text: str) -> bool:
    return _LABEL.match(text) is not None or _SIGN.search(text) is not None


def _worker_like(row: list[Cell], name_col: int, mapped: list[int]) -> bool:
    """Below a footer line, a row still counts as a worker when it holds a plain name (no
    colon, no digits) and something else a worker row holds."""
    name = row[name_col]
    if not isinstance(name, str) or not name.strip() or _form_text(name):
        return False
    if any(ch.isdigit() or ch in ":：" for ch in name):
        return False
    return any(c != name_col and not is_blank(row[c]) for c in mapped)


def _spread_merges(
    grid: Grid, start: int, person_columns: tuple[int, int]
) -> tuple[dict[int, list[Cell]], dict[int, int]]:
    """Rows (by index) that a vertical merge below the header reaches, with the merged value
    copied into them; and for rows a merged name or ID cell spans, the row number of the
    merge's first row (the person's group)."""
    filled: dict[int, list[Cell]] = {}
    groups: dict[int, int] = {}
    if not grid.merges:
        return filled, groups
    rows = grid.rows
    for (r0, c0), (r1, _c1) in grid.merges:
        top = r0 - grid.first_row
        column = c0 - grid.first_col
        if r1 <= r0 or top < start or column < 0 or top >= len(rows):
            continue
        source = filled.get(top) or rows[top]
        if column >= len(source):
            continue
        value = source[column]
        if is_blank(value):
            continue
        last = min(r1 - grid.first_row, len(rows) - 1)
        for index in range(top + 1, last + 1):
            row = filled.get(index)
            if row is None:
                row = filled[index] = list(rows[index])
            if column >= len(row):
                row.extend([""] * (column + 1 - len(row)))
            row[column] = value
        if column in person_columns:
            number = grid.row_number(top)
            for index in range(top, last + 1):
                groups[index] = number
    return filled, groups


def _not_an_id(cell: Cell) -> bool:
    if isinstance(cell, str):
        return _ID_DIGITS.search(cell) is None
    return not isinstance(cell, int | float) or isinstance(cell, bool) or abs(cell) < ID_AS_NUMBER
