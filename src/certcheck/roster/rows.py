"""The row loop: data rows under the header → Workers and input issues.

Plain lists and local variables only: this runs once per worker, 100,000 times for a large
roster, and is most of the reader's own time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from certcheck.catalog import load_catalog
from certcheck.models import (
    CertField,
    CertNumber,
    DateField,
    Declared,
    IdProblem,
    InputIssue,
    TextField,
    Unreadable,
    Worker,
)
from certcheck.names import normalize_name
from certcheck.roster.header import DATE_FIELDS, Header, fold_label
from certcheck.roster.values import (
    ERROR_VALUE,
    ID_AS_NUMBER,
    NOT_A_DATE,
    IdReference,
    Notes,
    Unclear,
    cert_value,
    date_range,
    date_value,
    id_key,
    id_value,
    is_blank,
    is_ditto,
    is_placeholder,
    name_value,
    shown,
    text_value,
)
from certcheck.tablefile.grid import Cell, Grid, Mark, Row, is_error_text

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
# An example row: its first text (often the 序号 cell) or a note in its name says so.
_EXAMPLE = re.compile(
    r"^\s*[(（【\[]?\s*(?:示例|样例|范例|举例|例子|填写示例|填表示例|填报示例|例)\s*"
    r"(?:$|[:：)）】\]])"
)
_EXAMPLE_NOTE = re.compile(r"[(（【\[]\s*(?:示例|样例|范例|例)\s*[)）】\]]")
# What a reviewed-date cell says when no review has happened: none, not a date nobody reads.
_NOT_REVIEWED = frozenset({"未复审", "未审", "无需复审", "不需复审", "未到复审期", "未到期"})
_WHY_MARK = {
    "error": ERROR_VALUE.why,
    "formula": "是没有计算结果的公式（公式未计算或引用失效）",
    "ditto_alone": "是“同上”，但上方没有可沿用的值",
    "ditto_other": "是“同上”，但上一行是另一个人",
    "merge_other": "是跨行合并的单元格，但这一行是另一个人（姓名或身份证号不同）",
}
_NO_MARKS: dict[int, Mark] = {}
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
    ``group``. A ditto mark (同上, 〃) takes the value of the row above. Signature, stamp and
    date lines under the table (单位（盖章）：…) and example rows (示例, 例：) are not workers.
    """
    layout = _layout(header)
    start = header.last + 1
    # Merge work only when there are merges: most rosters have none below the header.
    filled, groups, clashes = _spread_merges(grid, start, (layout.name, layout.id_number))
    marks = _relative_marks(grid, start)
    if clashes:
        marks = {**marks, **clashes}
    reader = _Rows(layout, today, grid.name, marks)
    # A cell not understood is something in the row, though the grid holds no value for it.
    marked = frozenset(index for index, column in marks if column in layout.mapped)
    workers: list[Worker] = []
    issues: list[InputIssue] = []
    in_footer = False
    line_numbers = grid.line_numbers
    offset = grid.first_row + 1
    for index, row in _data_rows(grid.rows, start, layout, filled, marked):
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
        if _is_example(row, layout.name):
            issues.append(
                InputIssue(number, "example_row", "示例行（示例、样例、例：），不是人员，已跳过")
            )
            continue
        group = groups.get(index) if groups else None
        worker, notes = reader.worker(index, row, number, group)
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
    #: A job title column (岗位, 工种 beside an item column): gives the item only when the
    #: roster has no item column and the title names a catalog item.
    job: int | None
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
    #: Field → the header text, which messages about a cell name.
    labels: dict[str, str]
    #: Later columns naming a field an earlier column already names (原证号 and 新证号, a
    #: second certificate group's 证号), for the fields read from either: (field, columns).
    twins: tuple[tuple[str, tuple[int, ...]], ...] = ()
    #: Column → the header text of each twin column.
    twin_labels: dict[int, str] = field(default_factory=dict)


#: Fields a second column may give when the first is blank; two that disagree decide nothing.
TWIN_FIELDS = ("cert_number", "category", "item", "issuer")


def _layout(header: Header) -> _Layout:
    columns = header.columns
    twins = tuple(
        (name, tuple(c for c, _, f in header.duplicates if f == name))
        for name in TWIN_FIELDS
        if name in columns and any(f == name for _, _, f in header.duplicates)
    )
    twin_columns = [c for _, cs in twins for c in cs]
    # A job title alone does not make a row a worker (a line saying 岗位 only is no person).
    mapped = sorted([*(c for f, c in columns.items() if f != "job"), *twin_columns])
    return _Layout(
        name=columns["name"],
        id_number=columns["id_number"],
        cert_number=columns.get("cert_number"),
        category=columns.get("category"),
        item=columns.get("item"),
        job=columns.get("job"),
        issuer=columns.get("issuer"),
        dates=tuple((f, columns[f]) for f in DATE_FIELDS if f in columns),
        mapped=mapped,
        width=max([*columns.values(), *twin_columns]) + 1,
        has_from="valid_from" in columns,
        header_name=fold_label(header.labels["name"]),
        header_id=fold_label(header.labels["id_number"]),
        labels=dict(header.labels),
        twins=twins,
        twin_labels={c: text for c, text, f in header.duplicates if c in twin_columns},
    )


def _data_rows(
    rows: list[Row],
    start: int,
    layout: _Layout,
    filled: dict[int, list[Cell]],
    marked: frozenset[int],
) -> Iterator[tuple[int, list[Cell]]]:
    """(index, row) of each row from ``start`` on that holds something in a mapped column (a
    value, or a cell not understood: ``marked``), padded to the layout's width, with the values
    of merged cells filled in."""
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
            if index not in marked:
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


class _Rows:
    """Turns one table's data rows into workers: the values of each cell, the cells not
    understood (as ``Unreadable``), and the ditto marks resolved against the row above."""

    def __init__(
        self, layout: _Layout, today: date, sheet: str | None, marks: dict[tuple[int, int], Mark]
    ) -> None:
        self.layout = layout
        self.today = today
        self.sheet = sheet
        #: The marked cells by row index, then column.
        self.marks: dict[int, dict[int, Mark]] = {}
        for (index, column), mark in marks.items():
            self.marks.setdefault(index, {})[column] = mark
        #: The row above as resolved (ditto marks replaced), its marks, and its worker.
        self.above: list[Cell] | None = None
        self.above_marks: dict[int, Mark] = {}
        self.above_worker: Worker | None = None
        #: Column → why its cell is not understood: it disagrees with a twin column.
        self.differ: dict[int, str] = {}

    def worker(
        self, index: int, row: list[Cell], number: int, group: int | None
    ) -> tuple[Worker, Notes]:
        """One data row as a Worker, with the notes on its values in column order."""
        layout = self.layout
        marks = self.marks.get(index, _NO_MARKS) if self.marks else _NO_MARKS
        if any(is_ditto(row[c]) for c in layout.mapped):
            row, marks, group = self._resolve_ditto(row, marks, number, group)
        if layout.twins:
            row, marks = self._join_twins(row, marks)
        unreadable: list[Unreadable] = []
        name, notes = self._name(row, marks, number, unreadable)
        written = self._written(row, name, notes) if notes else None
        id_number, problem, id_notes = self._id(row, marks, number, unreadable)
        notes = notes + id_notes if notes else id_notes
        if name is not None and problem is None and _not_the_card_name(name, id_number):
            why = "不是身份证上的汉字姓名（拼音或外文），无法与官方记录比对"
            unreadable.append(self._unreadable("name", shown(row[layout.name]), why, number))
        declared, notes = self._declared(row, marks, number, id_number, problem, notes)
        if problem is IdProblem.MISSING and name is None and not unreadable:
            # One note for the row that lacks both, before the others.
            notes = [("missing_field", "缺少姓名和身份证号")] + [
                note for note in notes if note[0] != "missing_field"
            ]
        unread = tuple(unreadable)
        declared_unread = declared.unreadable
        for cell in (*unread, *declared_unread) if unread or declared_unread else ():
            message = f"{cell.column}“{cell.text}”{cell.why}，该人员未核验"
            notes = [*notes, ("unreadable_cell", message)]
        worker = Worker(
            number, name, id_number, problem, declared, sheet=self.sheet, group=group,
            unreadable=unread, written_name=written,
        )
        self.above, self.above_marks, self.above_worker = row, marks, worker
        return worker, notes

    # ---- the person ------------------------------------------------------------------

    def _name(
        self, row: list[Cell], marks: dict[int, Mark], number: int, unreadable: list[Unreadable]
    ) -> tuple[str | None, Notes]:
        column = self.layout.name
        mark = marks.get(column)
        if mark is not None:
            unreadable.append(self._unreadable("name", mark.text, _why(mark), number))
            return None, []
        value, notes = name_value(row[column])
        if isinstance(value, Unclear):
            unreadable.append(self._unreadable("name", shown(row[column]), value.why, number))
            return None, notes
        return value, notes

    def _written(self, row: list[Cell], name: str | None, notes: Notes) -> str | None:
        """The name as written, when the reader took a note or a marker off it."""
        if name is None or not any(code == "name_note_removed" for code, _ in notes):
            return None
        cell = row[self.layout.name]
        written = normalize_name(cell) if isinstance(cell, str) else None
        return written if written and written != name else None

    def _id(
        self, row: list[Cell], marks: dict[int, Mark], number: int, unreadable: list[Unreadable]
    ) -> tuple[str | None, IdProblem | None, Notes]:
        column = self.layout.id_number
        cell = row[column]
        mark = marks.get(column)
        if mark is not None or (isinstance(cell, str) and is_error_text(cell)):
            text, why = (
                (mark.text, _why(mark)) if mark is not None else (shown(cell), ERROR_VALUE.why)
            )
            unreadable.append(self._unreadable("id_number", text, why, number))
            return None, IdProblem.MISSING, []
        return id_value(cell, self.today)

    # ---- what the row declares -------------------------------------------------------

    def _declared(
        self,
        row: list[Cell],
        marks: dict[int, Mark],
        number: int,
        id_number: str | None,
        problem: IdProblem | None,
        notes: Notes,
    ) -> tuple[Declared, Notes]:
        layout = self.layout
        cert: CertField = None
        if layout.cert_number is not None:
            cert, cert_notes = self._cert(row, marks, number, id_number, problem)
            if cert_notes:
                notes = notes + cert_notes
        dates, notes = self._dates(row, marks, number, notes)
        item = self._text("item", row, marks, number)
        item_label = layout.labels.get("item")
        if item is None and layout.job is not None:
            # No item column, or its cell left blank: the job says what the person does.
            item = self._job(row, marks)
            item_label = layout.labels.get("job")
        category = self._text("category", row, marks, number)
        if (
            isinstance(category, str)
            and isinstance(item, str)
            and load_catalog().contradicts(category, item)
        ):
            why = f"与{item_label or '操作项目'}“{shown(item)}”不一致"
            category = self._unreadable("category", shown(category), why, number)
        declared = Declared(
            cert_number=cert,
            category=category,
            item=item,
            first_issued=dates.get("first_issued"),
            valid_from=dates.get("valid_from"),
            valid_until=dates.get("valid_until"),
            review_due=dates.get("review_due"),
            reviewed=dates.get("reviewed"),
            issuer=self._text("issuer", row, marks, number),
        )
        return declared, notes

    def _cert(
        self,
        row: list[Cell],
        marks: dict[int, Mark],
        number: int,
        id_number: str | None,
        problem: IdProblem | None,
    ) -> tuple[CertField, Notes]:
        column = self.layout.cert_number
        assert column is not None
        mark = marks.get(column)
        if mark is not None:
            return self._unreadable("cert_number", mark.text, _why(mark), number), []
        cell = row[column]
        if column in self.differ:
            return self._unreadable("cert_number", shown(cell), self.differ[column], number), []
        value, notes = cert_value(cell)
        if isinstance(value, Unclear):
            return self._unreadable("cert_number", shown(cell), value.why, number), notes
        if isinstance(value, IdReference):
            # The number is the ID's; an ID that cannot be used gives nothing to compare.
            numbers = (id_number,) if id_number and problem is None else ()
            return CertNumber(value.shown, numbers), notes
        return value, notes

    def _text(
        self, field_name: str, row: list[Cell], marks: dict[int, Mark], number: int
    ) -> TextField:
        column: int | None = getattr(self.layout, field_name)
        if column is None:
            return None
        mark = marks.get(column)
        if mark is not None:
            return self._unreadable(field_name, mark.text, _why(mark), number)
        if column in self.differ:
            return self._unreadable(field_name, shown(row[column]), self.differ[column], number)
        value = text_value(row[column])
        if isinstance(value, Unclear):
            return self._unreadable(field_name, shown(row[column]), value.why, number)
        return value

    def _job(self, row: list[Cell], marks: dict[int, Mark]) -> TextField:
        """The job title as the item, when the row gives no item and the title names a
        catalog item or the work of a regime (岗位 电工 is the work, 电瓶叉车司机 is 特种设备
        work the catalog does not name; 岗位 班长 says nothing about it)."""
        column = self.layout.job
        assert column is not None
        if column in marks:
            return None
        value = text_value(row[column])
        if not isinstance(value, str):
            return None
        catalog = load_catalog()
        parts = catalog.split(value)
        if parts and all(catalog.resolve(part) for part in parts):
            return value
        return value if any(catalog.regime_of(part) for part in parts) else None

    def _dates(
        self, row: list[Cell], marks: dict[int, Mark], number: int, notes: Notes
    ) -> tuple[dict[str, DateField], Notes]:
        """The row's dates by field. A date cell that is not a date is not understood; a
        validity range (2021.03.05-2027.03.05) gives both ends."""
        dates: dict[str, DateField] = {}
        has_from = self.layout.has_from
        for field_name, column in self.layout.dates:
            mark = marks.get(column)
            if mark is not None:
                dates[field_name] = self._unreadable(field_name, mark.text, _why(mark), number)
                continue
            raw = row[column]
            try:
                dates[field_name] = date_value(raw)
                continue
            except (ValueError, OverflowError):
                pass
            if isinstance(raw, str) and (is_placeholder(raw) or _not_reviewed(field_name, raw)):
                dates[field_name] = None
                continue
            span = date_range(raw) if field_name in ("valid_from", "valid_until") else None
            if span is not None:
                dates[field_name] = span[0] if field_name == "valid_from" else span[1]
                if field_name == "valid_until" and not has_from:
                    dates["valid_from"] = span[0]
                continue
            why = ERROR_VALUE.why if isinstance(raw, str) and is_error_text(raw) else NOT_A_DATE.why
            dates[field_name] = self._unreadable(field_name, shown(raw), why, number)
        return dates, notes

    # ---- two columns for one field ----------------------------------------------------

    def _join_twins(
        self, row: list[Cell], marks: dict[int, Mark]
    ) -> tuple[list[Cell], dict[int, Mark]]:
        """The row with each twinned field's value in its first column: the one column that
        is filled, or the value all filled columns agree on. Columns that disagree leave the
        field not understood (``differ``), whatever either says."""
        layout = self.layout
        self.differ = {}
        joined, marks = list(row), dict(marks)
        for field_name, others in layout.twins:
            first: int = getattr(layout, field_name)
            filled = [c for c in (first, *others) if c in marks or not _no_value(row[c])]
            if not filled or filled == [first]:
                continue
            marked = [c for c in filled if c in marks]
            if marked:
                marks[first] = marks[marked[0]]
                continue
            joined[first] = row[filled[0]]
            same = _same_number if field_name == "cert_number" else _same_cell
            clash = next((c for c in filled if not same(row[c], row[filled[0]])), None)
            if clash is not None:
                label = layout.twin_labels.get(clash, "")
                self.differ[first] = f"与同一行“{label}”列的“{shown(row[clash])}”不一致"
        return joined, marks

    # ---- ditto marks ---------------------------------------------------------------

    def _resolve_ditto(
        self, row: list[Cell], marks: dict[int, Mark], number: int, group: int | None
    ) -> tuple[list[Cell], dict[int, Mark], int | None]:
        """The row with each 同上 replaced by the value above (and its mark, if it had one).

        For the person's own cells and the 证号, a ditto takes the value above only when the
        row is the same person as the row above (each of name and ID says 同上 or reads the
        same as above): one person over several item rows. Otherwise, and with nothing above,
        the cell is not understood. Rows whose name or ID says 同上 are one entry (``group``).
        """
        layout = self.layout
        above, above_worker = self.above, self.above_worker
        resolved = list(row)
        marks = dict(marks)
        person = (layout.name, layout.id_number)
        same_person = above is not None and self._same_person(row, above)
        for column in layout.mapped:
            if not is_ditto(row[column]):
                continue
            if above is None:
                marks[column] = Mark("ditto_alone", shown(row[column]))
            elif (column in person or column == layout.cert_number) and not same_person:
                marks[column] = Mark("ditto_other", shown(row[column]))
            else:
                resolved[column] = above[column]
                if column in self.above_marks:
                    marks[column] = self.above_marks[column]
        if (
            same_person
            and any(is_ditto(row[c]) for c in person)
            and above_worker is not None
            and group is None
        ):
            group = above_worker.group if above_worker.group is not None else above_worker.row
        return resolved, marks, group

    def _same_person(self, row: list[Cell], above: list[Cell]) -> bool:
        """The row names the person of the row above: each of its name and ID cells is 同上
        or reads the same as above (张伟 and 张伟（班长）, an ID with and without a space or
        an invisible character)."""
        layout = self.layout
        return (
            is_ditto(row[layout.name]) or _same_name(row[layout.name], above[layout.name])
        ) and (
            is_ditto(row[layout.id_number])
            or _same_id(row[layout.id_number], above[layout.id_number])
        )

    # ---- helpers ------------------------------------------------------------------------

    def _unreadable(self, field_name: str, text: str, why: str, number: int) -> Unreadable:
        label = self.layout.labels.get(field_name) or FIELD_LABELS_ZH.get(field_name, field_name)
        return Unreadable(
            column=label, text=text or "（空）", why=why, row=number, column_field=field_name
        )


#: The Chinese name of each field, for a message when the header text is not at hand.
FIELD_LABELS_ZH = {
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "证号",
    "category": "作业类别",
    "item": "操作项目",
    "issuer": "发证机关",
    **DATE_LABELS_ZH,
}


def _why(mark: Mark) -> str:
    return _WHY_MARK.get(mark.kind, ERROR_VALUE.why)


def _not_reviewed(field_name: str, text: str) -> bool:
    return field_name == "reviewed" and "".join(text.split()) in _NOT_REVIEWED


# Han characters, in which a resident ID card of China gives the holder's name.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _not_the_card_name(name: str, id_number: str | None) -> bool:
    """A resident ID card (every valid ID but a foreigner's permanent residence card, 9…)
    gives the name in Chinese characters, which the national lookup compares: a name without
    any (Zhang Wei, a name in Uyghur script) is not the card's and cannot be compared."""
    return bool(id_number) and not (id_number or "").startswith("9") and not _HAN.search(name)


def _no_value(cell: Cell) -> bool:
    return is_blank(cell) or (isinstance(cell, str) and is_placeholder(cell))


def _same_number(a: Cell, b: Cell) -> bool:
    """Two 证号 cells that say the same number: T + ID is the ID written with its T."""

    def key(cell: Cell) -> Cell:
        if not isinstance(cell, str):
            return cell
        text = "".join(unicodedata.normalize("NFKC", cell).split()).upper()
        return text[1:] if text.startswith("T") else text

    return key(a) == key(b)


def _same_cell(a: Cell, b: Cell) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return "".join(a.split()).upper() == "".join(b.split()).upper()
    return a == b


def _same_name(a: Cell, b: Cell) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        mine, theirs = name_value(a)[0], name_value(b)[0]
        return isinstance(mine, str) and mine == theirs
    return not is_blank(a) and a == b


def _same_id(a: Cell, b: Cell) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        mine = id_key(a)
        return bool(mine) and mine == id_key(b)
    return not is_blank(a) and a == b


def _relative_marks(grid: Grid, start: int) -> dict[tuple[int, int], Mark]:
    """The grid's marks by (row index, column index), spread over the rows a merged cell
    spans like its value."""
    if not grid.marks:
        return {}
    first_row, first_col = grid.first_row, grid.first_col
    marks = {(r - first_row, c - first_col): m for (r, c), m in grid.marks.items()}
    for top, column, first, bottom in _vertical_reaches(grid, len(grid.rows)):
        mark = marks.get((top, column))
        if mark is None or top < start:
            continue
        for index in range(first, bottom + 1):
            marks.setdefault((index, column), mark)
    return marks


def _vertical_reaches(grid: Grid, height: int) -> list[tuple[int, int, int, int]]:
    """(top, column, first, last) row and column indices of each merge spanning rows: its
    value sits at (top, column) and reaches rows first…last, the rows an earlier merge of the
    same column already covers cut off.

    Merged ranges never overlap in a file Excel wrote; a crafted one nests thousands in one
    column (20,000 over 100,000 rows took eleven minutes to spread). Cut this way, each cell
    is reached at most once, so spreading is linear in the grid, whatever the merges say.
    """
    spans = sorted(
        (c0 - grid.first_col, r0 - grid.first_row, min(r1 - grid.first_row, height - 1))
        for (r0, c0), (r1, _c1) in grid.merges
        if r1 > r0 and c0 >= grid.first_col and 0 <= r0 - grid.first_row < height
    )
    reaches: list[tuple[int, int, int, int]] = []
    column, covered = -1, -1
    for col, top, bottom in spans:
        if col != column:
            column, covered = col, -1
        if bottom > covered:
            reaches.append((top, col, max(top, covered) + 1, bottom))
            covered = bottom
    return reaches


def _is_example(row: list[Cell], name_col: int) -> bool:
    """The row is an example of how to fill the form, not a worker: a cell before its name (the
    序号, wherever that column stands) says 示例 / 样例 / 例：, or its name carries such a note
    (张三（示例）)."""
    for cell in row[:name_col]:
        if isinstance(cell, str) and "例" in cell and _EXAMPLE.match(cell):
            return True
    name = row[name_col]
    return isinstance(name, str) and "例" in name and _EXAMPLE_NOTE.search(name) is not None


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
) -> tuple[dict[int, list[Cell]], dict[int, int], dict[tuple[int, int], Mark]]:
    """Rows (by index) that a vertical merge below the header reaches, with the merged value
    copied into them; for rows a merged name or ID cell spans, the row number of the merge's
    first row (the person's group); and the cells a merged name or ID cell reaches in a row
    of another person (its other person cell says someone else), marked instead of filled."""
    filled: dict[int, list[Cell]] = {}
    groups: dict[int, int] = {}
    clashes: dict[tuple[int, int], Mark] = {}
    if not grid.merges:
        return filled, groups, clashes
    rows = grid.rows
    for top, column, first, bottom in _vertical_reaches(grid, len(rows)):
        if top < start:
            continue
        source = filled.get(top) or rows[top]
        if column >= len(source):
            continue
        value = source[column]
        if is_blank(value):
            continue
        reach = list(range(first, bottom + 1))
        if column in person_columns:
            other = person_columns[column == person_columns[0]]
            reach, others = _same_person(rows, source, reach, other)
            clashes.update(((index, column), Mark("merge_other", shown(value))) for index in others)
            number = grid.row_number(top)
            groups.update((index, number) for index in (top, *reach))
        _fill(filled, rows, reach, column, value)
    return filled, groups, clashes


def _fill(
    filled: dict[int, list[Cell]], rows: list[Row], reach: list[int], column: int, value: Cell
) -> None:
    """Copy a merged cell's value into the rows it reaches below its first row."""
    for index in reach:
        row = filled.get(index)
        if row is None:
            row = filled[index] = list(rows[index])
        if column >= len(row):
            row.extend([""] * (column + 1 - len(row)))
        row[column] = value


def _same_person(
    rows: list[Row], source: list[Cell], reach: list[int], other: int
) -> tuple[list[int], list[int]]:
    """(rows of ``reach`` whose other person cell is blank, a ditto or the same as the merge's
    first row, the rows whose other person cell names someone else)."""
    theirs = source[other] if other < len(source) else ""
    same: list[int] = []
    different: list[int] = []
    for index in reach:
        row = rows[index]
        mine = row[other] if other < len(row) else ""
        if is_blank(mine) or is_ditto(mine) or _same_cell(mine, theirs):
            same.append(index)
        else:
            different.append(index)
    return same, different


def _not_an_id(cell: Cell) -> bool:
    if isinstance(cell, str):
        return _ID_DIGITS.search(cell) is None
    return not isinstance(cell, int | float) or isinstance(cell, bool) or abs(cell) < ID_AS_NUMBER
