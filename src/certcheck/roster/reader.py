"""``read_roster``: from a file path to a ``Roster``, or a one-line ``RosterError``.

The order is fixed: look at the first bytes, refuse what is unsafe, load the cells with the
reader the content calls for, pick the sheet, find the header, normalise the rows. Nothing
but ``RosterError`` leaves this function, whatever the file holds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from certcheck.gcpause import paused
from certcheck.ids import mask_id
from certcheck.models import CertNumber, InputIssue, OtherRow, Unreadable, Worker
from certcheck.names import name_key
from certcheck.roster.header import (
    FIELDS,
    Header,
    bare_due,
    cell_text,
    find_header,
    is_date_label,
    other_subject,
    settle_by_values,
    some_document,
)
from certcheck.roster.model import Roster, RosterError, SkippedSheet
from certcheck.roster.rows import TWIN_FIELDS, build_workers
from certcheck.roster.tables import Table, split_tables
from certcheck.roster.values import is_blank, safe
from certcheck.tablefile.grid import Book, Grid, SheetInfo, SheetUnreadable
from certcheck.tablefile.opening import (
    extension_note,
    guarded,
    load_sheet,
    open_book,
    read_content,
    spreadsheet_kind,
)
from certcheck.tablefile.sniff import HEAD_BYTES


def read_roster(path: Path, sheet: str | None = None, *, today: date | None = None) -> Roster:
    """Read the workers of a roster file.

    ``sheet`` picks a sheet by name; by default every visible sheet holding a roster is read
    (instructions, examples, empty and hidden sheets are not; a hidden one only when no visible
    sheet holds a roster). ``today`` is the date birth dates in IDs must not pass (default:
    the real today).
    Raises ``RosterError`` (one line: what is wrong, what to do) for anything unusable.
    """
    path = Path(path)
    # The grid and the workers made from it hold no cycles, and the collector would otherwise
    # walk everything already loaded (a registry of 300,000 records) again and again.
    with paused():
        return guarded(path, lambda: _read(path, sheet, today or date.today()))


def _read(path: Path, wanted: str | None, today: date) -> Roster:
    data = read_content(path)
    kind = spreadsheet_kind(path, data[:HEAD_BYTES])
    issues: list[InputIssue] = []
    mismatch = extension_note(path, kind)
    if mismatch:
        issues.append(InputIssue(None, "format_mismatch", mismatch))
    with ExitStack() as stack:
        book = open_book(path, kind, issues, stack, data)
        chosen, skipped, sheet_issues = _pick(path, book, wanted)
    issues.extend(sheet_issues)
    several = len(chosen) > 1
    workers: list[Worker] = []
    seen: dict[str, str] = {}
    title: str | None = None
    for number, (grid, header) in enumerate(chosen):
        tables = split_tables(grid, header)
        sheet_workers, own = _read_tables(tables, today)
        if several:
            prefix = f"工作表“{grid.name}”："
            own = [InputIssue(i.row, i.code, prefix + i.message, grid.name) for i in own]
        issues.extend(own)
        workers.extend(sheet_workers)
        for table in tables:
            for name, label in table.header.labels.items():
                seen.setdefault(name, label)
        if number == 0:
            title = tables[0].header.title
    workers, shared = _shared_ids(workers, several)
    issues.extend(shared)
    issues.extend(_numbers_of_others(workers, seen.get("cert_number", "证号")))
    return Roster(
        file=path,
        sheets=tuple(grid.name for grid, _ in chosen if grid.name),
        workers=tuple(workers),
        issues=tuple(issues),
        columns={f: seen[f] for f in FIELDS if f in seen},
        title=title,
        skipped=tuple(skipped),
    )


def _read_tables(tables: list[Table], today: date) -> tuple[list[Worker], list[InputIssue]]:
    """The workers of a sheet's tables, in order, and the notes on their headers and rows.

    The columns are the headers' own, settled by the values under each; a header repeating
    the one above takes that one's settled columns, and is noted once.
    """
    workers: list[Worker] = []
    issues: list[InputIssue] = []
    for number, table in enumerate(tables):
        grid, header = table.grid, table.header
        if table.repeats is not None:
            model = tables[table.repeats].header
            header.columns, header.labels = dict(model.columns), dict(model.labels)
            issues.append(_repeated(grid, header))
        else:
            if number:
                issues.append(_another_table(tables[number - 1], table))
            settled = settle_by_values(grid, header)
            if settled:
                issues.append(
                    InputIssue(grid.row_number(header.label_last), "column_by_values", settled)
                )
            issues.extend(_header_issues(grid, header))
        table_workers, row_issues = build_workers(grid, header, today)
        workers.extend(table_workers)
        issues.extend(row_issues)
    return workers, issues


def _repeated(grid: Grid, header: Header) -> InputIssue:
    first, last = grid.row_number(header.first), grid.row_number(header.last)
    rows = f"（第 {first}–{last} 行）" if last > first else "行"
    return InputIssue(first, "repeated_header", f"重复的表头{rows}，已跳过")


def _another_table(previous: Table, table: Table) -> InputIssue:
    """The note that a sheet holds one more table, read by its own header."""
    grid, header = table.grid, table.header
    row = grid.row_number(header.first)
    if grid.first_row + header.first == previous.grid.first_row + previous.header.first:
        last = grid.first_col + max(header.columns.values()) + 1
        where = f"第 {grid.first_col + 1}–{last} 列是并排的另一张表"
    else:
        where = f"第 {row} 行起是另一张表"
    fields = _short("、".join(header.labels[f] for f in ("name", "id_number")))
    return InputIssue(row, "several_tables", f"{where}（表头：{fields}…），按它自己的表头读取")


_Chosen = list[tuple[Grid, Header]]
# Sheet names that say "instructions", "example" or "template", with the reason a skipped sheet
# is given. The whole name must say so: 模板班 (a formwork crew), 示范车间 and 说明书装订组 are
# rosters. Around the word a name may only hold what a roster's name holds (特种作业人员花名册
# 模板), joining words (填表说明及示例), a note (模板（勿删）) and a sheet number (Sheet说明2).
_NOT_A_ROSTER = (
    ("填表说明", r"说明|须知|要求|注意事项|帮助|指南|指引"),
    ("示例", r"示例|样表|样例|范例|例表|示范|样本|举例"),
    ("模板", r"模板|模版"),
)
_NAME_DECORATION = (
    r"特种作业|特殊工种|作业|人员|花名册|名册|名单|登记|信息|台账|填表|填报|填写|使用|导入|上报"
    r"|表格|表|页|sheet|勿删|请勿删除|不要删除|不可删除|及|和|与|[\d()（）\[\]【】、,，.\-_]"
)
_NOT_A_ROSTER_NAME = re.compile(
    "(?:{0})*(?:{1})(?:{0}|{1})*".format(
        _NAME_DECORATION, "|".join(words for _, words in _NOT_A_ROSTER)
    )
)
_HIDDEN = "隐藏"
_EMPTY = "空表"
_NO_HEADER = "没有姓名和身份证号列"


def _pick(
    path: Path, book: Book, wanted: str | None
) -> tuple[_Chosen, list[SkippedSheet], list[InputIssue]]:
    """The sheets to read as rosters, the sheets not read (and why), and notes on the choice.

    Every visible sheet holding a roster header is read. When none does, a sheet whose name
    says "instructions" or "example" is tried, then a hidden one: the first that holds a
    roster is read, with a note.
    """
    issues: list[InputIssue] = []
    if wanted is not None and book.single:
        issues.append(
            InputIssue(None, "sheet_ignored", f"该文件只有一张表，--sheet {wanted} 被忽略")
        )
        wanted = None
    if wanted is not None:
        return [_named_sheet(path, book, wanted)], [], issues
    picking = _Picking(book)
    set_aside = picking.visible_sheets()
    if not picking.chosen:
        used = picking.first_roster(set_aside)
        if used is not None:
            issues.append(
                InputIssue(
                    None,
                    "instruction_sheet_used",
                    f"其他工作表中没有花名册，读取了工作表“{used.name}”"
                    f"（名称像{picking.why_not[used.name]}）；请确认其中不是示例人员",
                )
            )
    if not picking.chosen:
        used = picking.first_roster(info for info in book.sheets if not info.visible)
        if used is not None:
            issues.append(
                InputIssue(
                    None,
                    "hidden_sheet_used",
                    f"可见的工作表中没有花名册，读取了隐藏的工作表“{used.name}”",
                )
            )
    if not picking.chosen:
        raise picking.failure(path)
    issues.extend(
        InputIssue(None, "sheet_unreadable", f"工作表“{name}”无法读取（{why}）")
        for name, why in picking.unreadable
    )
    return picking.chosen, picking.skipped(), issues


def _shared_ids(
    workers: list[Worker], several: bool
) -> tuple[list[Worker], list[InputIssue]]:
    """Workers whose ID another row gives under another name learn those rows, and each such
    later row gets a note: the roster contradicts itself about whose ID it is. IDs that cannot
    be used, and names not read, are no such case."""
    entries: dict[str, list[tuple[int, str]]] = {}
    for index, w in enumerate(workers):
        if w.id_number and w.id_problem is None and w.name and not w.unreadable:
            entries.setdefault(w.id_number, []).append((index, name_key(w.name)))
    issues: list[InputIssue] = []
    for id_number, rows in entries.items():
        if len({key for _, key in rows}) < 2:
            continue
        for position, (index, key) in enumerate(rows):
            others = [workers[i] for i, other in rows if other != key]
            workers[index] = replace(workers[index], shared_with=tuple(
                OtherRow(o.row, o.name or "", o.sheet, o.written_name) for o in others
            ))
            earlier = [workers[i] for i, other in rows[:position] if other != key]
            if earlier:
                issues.append(_shared_note(workers[index].row, id_number, earlier[0], several))
    return workers, issues


def _numbers_of_others(workers: list[Worker], label: str) -> list[InputIssue]:
    """A 证号 that is another row's ID number (with or without its T) is that person's
    number, not this one's: a 证号 column slipped by a row, or pasted from the wrong line. It
    is not understood, rather than compared (which would call everyone on the roster fake)."""
    owners: dict[str, Worker] = {}
    for w in workers:
        if w.id_number and w.id_problem is None:
            owners.setdefault(w.id_number, w)
    issues: list[InputIssue] = []
    for index, w in enumerate(workers):
        cert = w.declared.cert_number
        if not isinstance(cert, CertNumber) or not cert.numbers:
            continue
        other = next((owners[key] for n in cert.numbers
                      if (key := _as_id(n)) in owners and key != w.id_number), None)
        if other is None:
            continue
        why = f"是第 {other.row} 行“{other.name or ''}”的身份证号，不是本人的证号（证号列可能错行）"
        cell = Unreadable(label, safe(cert.shown), why, w.row, "cert_number")
        workers[index] = replace(w, declared=replace(w.declared, cert_number=cell))
        message = f"{label}“{cell.text}”{why}，该人员未核验"
        issues.append(InputIssue(w.row, "unreadable_cell", message))
    return issues


def _as_id(number: str) -> str:
    """A certificate number as the ID number it would be (T + ID is the 特种作业 shape)."""
    text = "".join(number.split()).upper()
    return text[1:] if text.startswith("T") else text


def _shared_note(row: int, id_number: str, first: Worker, several: bool) -> InputIssue:
    where = f"工作表“{first.sheet}”" if several and first.sheet else ""
    return InputIssue(
        row, "id_shared",
        f"身份证号 {mask_id(id_number)} 与{where}第 {first.row} 行“{first.name}”的相同，"
        "姓名却不同；请核对是否复制粘贴错了",
    )


def _named_sheet(path: Path, book: Book, wanted: str) -> tuple[Grid, Header]:
    """The sheet ``--sheet`` names, which must hold a roster."""
    name = _match_sheet(path, book, wanted)
    grid = load_sheet(path, book, name)
    header = find_header(grid)
    if header is None:
        raise _no_header(path, [grid], name)
    return grid, header


@dataclass
class _Picking:
    """The sheets of a book tried as rosters so far, and what became of each."""

    book: Book
    chosen: _Chosen = field(default_factory=list)
    #: Sheet name → why it was not read (set aside, hidden, empty, no header, unreadable).
    why_not: dict[str, str] = field(default_factory=dict)
    #: Sheets read without finding a header, for the message when none has one.
    tried: list[Grid] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    read: set[str] = field(default_factory=set)

    def visible_sheets(self) -> list[SheetInfo]:
        """Read every visible sheet that holds a roster; return those set aside for their
        name (填表说明, 示例, 模板), to be tried only when no other sheet holds one."""
        set_aside: list[SheetInfo] = []
        for info in self.book.sheets:
            if not info.visible:
                self.why_not[info.name] = _HIDDEN
                continue
            kind = _not_a_roster(info.name)
            if kind is not None:
                self.why_not[info.name] = kind
                set_aside.append(info)
                continue
            self.attempt(info)
        return set_aside

    def first_roster(self, infos: Iterable[SheetInfo]) -> SheetInfo | None:
        """Read the first of ``infos`` that holds a roster, and return it."""
        for info in infos:
            if self.attempt(info):
                return info
        return None

    def attempt(self, info: SheetInfo) -> bool:
        """Read the sheet as a roster if it holds one; note why not otherwise."""
        try:
            grid = self.book.grid(info.name)
        except SheetUnreadable as exc:
            self.unreadable.append((info.name, str(exc)))
            self.why_not[info.name] = "无法读取"
            return False
        header = find_header(grid)
        if header is None:
            self.tried.append(grid)
            self.why_not.setdefault(info.name, _NO_HEADER if _has_content(grid) else _EMPTY)
            return False
        self.chosen.append((grid, header))
        self.read.add(info.name)
        return True

    def failure(self, path: Path) -> RosterError:
        """The error when no sheet holds a roster."""
        if not self.tried and self.unreadable:
            name, why = self.unreadable[0]
            return RosterError(
                f"{path.name} 的工作表无法读取（{name}：{why}）。"
                "请用 Excel/WPS 打开后另存为 .xlsx 再试"
            )
        return _no_header(path, self.tried, None)

    def skipped(self) -> list[SkippedSheet]:
        return [
            SkippedSheet(info.name, self.why_not.get(info.name, _NO_HEADER))
            for info in self.book.sheets
            if info.name not in self.read
        ]


def _not_a_roster(name: str) -> str | None:
    folded = _fold(name)
    if not _NOT_A_ROSTER_NAME.fullmatch(folded):
        return None
    for why, words in _NOT_A_ROSTER:
        if re.search(words, folded):
            return why
    return None


def _has_content(grid: Grid) -> bool:
    return any(not is_blank(cell) for row in grid.rows for cell in row)


def _match_sheet(path: Path, book: Book, wanted: str) -> str:
    names = [info.name for info in book.sheets]
    if wanted in names:
        return wanted
    folded = _fold(wanted)
    for name in names:
        if _fold(name) == folded:
            return name
    listed = "、".join(f"“{n}”" for n in names) or "（无）"
    raise RosterError(
        f"{path.name} 中没有名为“{wanted}”的工作表。现有工作表：{listed}；请用 --sheet 指定其中之一"
    )


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _no_header(path: Path, grids: list[Grid], sheet: str | None) -> RosterError:
    where = f"工作表“{sheet}”" if sheet else path.name
    if not any(g.rows for g in grids):
        return RosterError(f"{where} 中没有任何数据。请确认选对了文件或工作表（--sheet）")
    found: set[str] = set()
    for grid in grids:
        for row in grid.rows[:30]:
            for cell in row:
                if isinstance(cell, str) and cell.strip():
                    named = _field_of(cell)
                    if named:
                        found.add(named)
    missing = [
        zh for needed, zh in (("name", "姓名"), ("id_number", "身份证号")) if needed not in found
    ]
    what = "、".join(missing) if missing else "姓名和身份证号（不在同一表头行）"
    return RosterError(
        f"{where} 中找不到{what}列（前 30 行内）。请确认表头含有“姓名”和“身份证号”，"
        "或用 --sheet 指定花名册所在的工作表"
    )


def _field_of(text: str) -> str | None:
    from certcheck.roster.header import match_label

    return match_label(text)


def _header_issues(grid: Grid, header: Header) -> list[InputIssue]:
    issues: list[InputIssue] = []
    header_row = grid.row_number(header.label_last)
    shift = grid.first_col + 1  # column numbers as the sheet shows them
    if header.two_rows:
        issues.append(
            InputIssue(
                grid.row_number(header.first),
                "header_two_rows",
                f"表头占两行（第 {grid.row_number(header.first)}–{header_row} 行），已合并识别",
            )
        )
    for index in header.hints:
        texts = [t for t in (cell_text(c) for c in grid.rows[index]) if t]
        issues.append(
            InputIssue(
                grid.row_number(index),
                "hint_row",
                f"表头下的填写提示行（“{_short(texts[0])}”…），已跳过，不作为人员",
            )
        )
    for column, text in header.unknown:
        issues.append(
            InputIssue(header_row, "unknown_column", _unknown_column(text, column + shift))
        )
    for column, text, field_name in header.duplicates:
        what = (
            "两列都读取：只填一列时取所填的值，两列不一致时该人员未核验"
            if field_name in TWIN_FIELDS
            else "已忽略"
        )
        issues.append(
            InputIssue(
                header_row,
                "duplicate_column",
                f"列“{_short(text)}”（第 {column + shift} 列）与前面的"
                f"“{header.labels[field_name]}”含义相同，{what}",
            )
        )
    return issues


def _unknown_column(text: str, column: int) -> str:
    """Why a column is not read: a date of a 证件 that may be the identity card, a date about
    something else than the certificate, a bare 到期日期 in a header naming no certificate
    column, or a name not understood."""
    where = f"列“{_short(text)}”（第 {column} 列）"
    if some_document(text) and is_date_label(text):
        return (
            f"{where}没有写明是身份证还是操作证的日期，已忽略；"
            "如是操作证的有效期，请把表头改为“操作证有效期至”"
        )
    if other_subject(text) and is_date_label(text):
        return f"{where}不是证书的日期，已忽略"
    if bare_due(text):
        return (
            f"{where}没有写明是什么的日期，表中也没有证号、作业类别等证书列，已忽略；"
            "如是操作证的有效期，请把表头改为“有效期至”"
        )
    return f"未识别的列“{_short(text)}”（第 {column} 列），已忽略"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text[:30] + ("…" if len(text) > 30 else "")
