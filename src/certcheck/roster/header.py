"""Finding the header row of a roster and understanding its column names.

Rosters are typed by hand: the header may sit under a title and a 填报日期 line, span two rows
under merged cells, and name a column in any of a dozen ways. Matching is done on a folded
form of the label (NFKC, no spaces, no bracketed notes such as （18位）), first against an
alias table, then by a few "contains" rules, then (never for a date) by string similarity.

Only dates about the certificate are certificate dates: 劳动合同到期日 or 体检有效期 is no 有效期,
and a bare 到期日期 is the certificate's only in a header that names certificate columns. 工种 is
the item when no column names the item, and the job (岗位) when one does. Rows of filling hints
under the column names (（必填）, 格式：YYYY-MM-DD) belong to the header.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from certcheck.ids import ID_SHAPE, check_char, normalize_id
from certcheck.roster.values import ID_AS_NUMBER
from certcheck.tablefile.grid import Cell, Grid, Row
from certcheck.text import INVISIBLE_CHARS

#: Roster fields in the order columns are reported.
FIELDS = (
    "name",
    "id_number",
    "cert_number",
    "category",
    "item",
    "job",
    "first_issued",
    "valid_from",
    "valid_until",
    "review_due",
    "reviewed",
    "issuer",
)
DATE_FIELDS = ("first_issued", "valid_from", "valid_until", "review_due", "reviewed")

# Exact aliases, compared after ``fold_label``. One edit here teaches the reader a new name.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "姓名",
        "名字",
        "人员姓名",
        "员工姓名",
        "持证人",
        "持证人姓名",
        "作业人员",
        "作业人员姓名",
        "职工姓名",
        "工人姓名",
        "name",
    ),
    "id_number": (
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "证件号码",
        "身份证",
        "证件号",
        "身份证件号码",
        "身份证件号",
        "居民身份证号码",
        "居民身份证号",
        "身份号码",
        "公民身份证号码",
        "idcard",
        "idnumber",
        "id",
    ),
    "cert_number": (
        "证号",
        "证书编号",
        "操作证号",
        "证件编号",
        "特种作业操作证号",
        "特种作业操作证编号",
        "证书号",
        "证书号码",
        "操作证编号",
        "操作证书编号",
        "特种作业证号",
        "资格证号",
        "证书编码",
        "持证编号",
        "操作证件号码",
        "操作证件号",
        "操作证号码",
        "特种作业操作证件号",
        "特种作业操作证件号码",
        "特种作业操作证号码",
        "操作证书号码",
    ),
    "category": (
        "作业类别",
        "类别",
        "证书类别",
        "特种作业类别",
        "作业种类",
        "操作类别",
        "工种类别",
        "证件类别",
        "资格类别",
        "证书类型",
        "作业类型",
        "特种作业类型",
        "证书种类",
        "操作证类别",
        "操作类型",
        "证书类别名称",
    ),
    "item": (
        "操作项目",
        "准操项目",
        "作业项目",
        "准操作项目",
        "特种作业项目",
        "作业工种",
        "特种作业工种",
        "操作工种",
        "特种作业操作项目",
        "证书名称",
        "持证项目",
        "取证项目",
        "操作证项目",
        "持证类别项目",
        "准操作项",
    ),
    # What a person does at work (岗位), not what a certificate allows. 工种 is added by rule:
    # the item when the roster has no item column, the job when it has one.
    "job": (
        "岗位",
        "工作岗位",
        "岗位名称",
        "从事岗位",
        "所在岗位",
        "现岗位",
        "现任岗位",
    ),
    "first_issued": (
        "初领日期",
        "初次领证日期",
        "初领证日期",
        "首次领证日期",
        "初领时间",
        "首次取证日期",
        "初次取证日期",
    ),
    "valid_from": (
        "有效期开始日期",
        "发证日期",
        "有效期起",
        "有效期起始日期",
        "有效期自",
        "发证时间",
        "有效期开始",
        "有效期起始时间",
        "有效起始日期",
    ),
    "valid_until": (
        "有效期结束日期",
        "有效期至",
        "有效期截止日期",
        "有效期止",
        "有效期到",
        "有效截止日期",
        "有效期",
        "证书有效期",
        "有效期截止",
        "有效期结束",
        "证书到期日期",
        "有效期限",
    ),
    "review_due": (
        "应复审日期",
        "复审日期",
        "下次复审日期",
        "复审到期日期",
        "应复审时间",
        "应复审日期（最迟）",
        "复审时间",
    ),
    "reviewed": (
        "实际复审日期",
        "复审完成日期",
        "最近复审日期",
        "上次复审日期",
        "已复审日期",
        "实际复审时间",
    ),
    "issuer": (
        "发证机关",
        "签发机关",
        "发证单位",
        "发证机构",
        "发证部门",
        "签发单位",
        "签发部门",
    ),
}
# Columns that often stand in a roster and are deliberately not used: no "unknown column" note.
IGNORED = frozenset(
    {
        "序号",
        "编号",
        "备注",
        "性别",
        "年龄",
        "出生日期",
        "出生年月",
        "联系电话",
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系方式",
        "单位",
        "单位名称",
        "所在单位",
        "工作单位",
        "部门",
        "班组",
        "职务",
        "职称",
        "学历",
        "文化程度",
        "民族",
        "籍贯",
        "住址",
        "家庭住址",
        "工号",
        "照片",
        "入职日期",
        "进场日期",
        "证件类型",
        "身份证有效期",
        "培训日期",
        "考核日期",
        "签名",
        "本人签名",
        "项目部",
        "所属项目",
        "所在项目",
        "工程名称",
        "工程项目",
        "no",
        "序",
    }
)
# How far down a header may stand: titles, dates and notes above it rarely take 10 rows.
HEADER_SCAN_ROWS = 30
# Titles name the document; these words say "this row is the title".
_TITLE_WORDS = re.compile(r"花名册|名册|名单|登记表|台账|统计表|一览表|汇总表|信息表|清单")
_NOT_TITLE = re.compile(r"^(填报|填表|日期|单位|编制|制表|统计时间|时间)")
_BRACKETED = re.compile(r"[(\[【〔<《{][^)\]】〕>》}]*[)\]】〕>》}]")
# Spaces, invisible characters and the punctuation people decorate labels with.
_NOISE = re.compile("[\\s" + INVISIBLE_CHARS + r"*※:：、/\\|_\-—.。,，;；'\"“”‘’#№]+")
_ID_SHAPE = re.compile(r"^\s*\d{15,17}[\dXx]?\s*$")

_EXACT: dict[str, str] = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


@lru_cache(maxsize=4096)
def fold_label(text: str) -> str:
    """``身份证号（18位）`` and ``身 份 证 号`` → ``身份证号``."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _BRACKETED.sub("", folded)
    folded = _NOISE.sub("", folded)
    return folded.lower()


# Fold the alias keys too, so an alias may be written with brackets in the table above.
_EXACT = {fold_label(alias): name for alias, name in _EXACT.items()}
_IGNORED = frozenset(fold_label(label) for label in IGNORED)
_ALL_ALIASES = tuple(_EXACT)


# What ``_match`` answers for labels whose field depends on the rest of the header.
#: 工种, 从事工种: the item when no column names the item, the job when one does.
_TRADE = "trade"
#: 到期日期, 截止日期 naming no subject: the certificate's date only beside certificate columns.
_DUE = "due"


def names_a_column(text: str) -> bool:
    """The text is a column name a roster header holds: a field's (姓名, 证号) or one read
    on purpose as nothing (序号, 备注)."""
    return match_label(text) is not None or fold_label(text) in _IGNORED


@lru_cache(maxsize=4096)
def match_label(text: str) -> str | None:
    """The roster field a header label names on its own, or None.

    工种 answers ``item``, what it is when no other column names the item; a bare 到期日期 or
    截止日期 answers None, as it is a certificate's date only in a header naming certificate
    columns. The header decides both with its whole row in view (``find_header``).
    """
    found = _match(text)
    if found == _TRADE:
        return "item"
    return None if found == _DUE else found


@lru_cache(maxsize=4096)
def _match(text: str) -> str | None:
    label = fold_label(text)
    if not label or label in _IGNORED:
        return None
    found = _EXACT.get(label) or _by_rules(label)
    if found is None and not _is_dated(label) and not _has(label, _ID_CARD):
        # Resemblance catches a mistyped column name (身分证号). A date, or anything about the
        # identity card, is decided by its words alone: 体检有效期至 resembles 有效期至.
        found = _by_similarity(label)
    if found == "id_number" and "身份" not in label and _names_certificate(text):
        # 证件号码（操作证）: the bracket, which folding drops, says which 证件 is meant.
        return "cert_number"
    return found


_CERT_WORDS = ("操作证", "特种作业", "证书", "资格证", "上岗证", "作业证")


def _names_certificate(text: str) -> bool:
    """A bracketed note in the label names a certificate and not the identity card."""
    notes = _BRACKETED.findall(unicodedata.normalize("NFKC", text))
    return any(any(w in note for w in _CERT_WORDS) and "身份" not in note for note in notes)


def _by_rules(label: str) -> str | None:
    """The field a label names by the words it contains, tried in an order where the more
    telling word wins (身份证 before 日期, 复审 before 有效)."""
    return (
        _identity_or_certificate(label)
        or _issuer(label)
        or ("name" if "姓名" in label else None)
        or (_date_field(label) if _is_dated(label) else None)
        or _number_or_kind(label)
    )


def _has(label: str, words: tuple[str, ...]) -> bool:
    return any(w in label for w in words)


_ID_CARD = ("身份证", "身份号", "公民身份")
# Words that make a label about the identity card something else than its number.
_ID_CARD_OTHER = (
    "有效", "期", "日期", "时间", "地址", "住址", "签发", "机关", "发证", "类型", "照片", "复印",
    "扫描", "附件", "户籍", "所在地",
)
# Words of a date that says when something ends.
_DUE_WORDS = ("到期", "截止", "届满", "失效", "过期", "期满")
_DATE_WORDS = ("日期", "时间", "期", "年月", "日", *_DUE_WORDS)
# Whatever else a roster dates: a contract, a medical, probation, hiring, the identity card,
# training, insurance, a birth. A date naming one of them is never the certificate's.
_OTHER_SUBJECTS = (
    "合同", "劳动", "劳务", "聘用", "用工", "体检", "健康", "试用", "转正", "入职", "入厂",
    "入场", "进场", "进厂", "离职", "离厂", "退场", "出场", "到岗", "上岗日期", "上岗时间",
    "身份", "居住", "暂住", "驾驶", "驾照", "行驶", "护照", "培训", "教育", "交底", "考试",
    "考核", "保险", "社保", "工伤", "意外", "出生", "生日", "参加工作", "工作时间", "退休",
    "毕业", "签订", "登记", "填报", "填表", "制表", "检验", "检测", "设备", "发放",
)


def _identity_or_certificate(label: str) -> str | None:
    if _has(label, _ID_CARD):
        # 身份证有效期, 身份证地址: about the identity card, and not its number.
        return None if _has(label, _ID_CARD_OTHER) else "id_number"
    if "证件号" in label:
        # 证件号码 alone is the identity card's; with a certificate word it is the 证号.
        if _has(label, ("操作", "特种", "证书", "编", "资格")):
            return "cert_number"
        return "id_number"
    return None


def _issuer(label: str) -> str | None:
    if _has(label, _ID_CARD):
        return None  # 身份证签发机关 is not the certificate's issuer
    if "机关" in label or (_has(label, ("发证", "签发")) and "单位" in label):
        return "issuer"
    return None


def _is_dated(label: str) -> bool:
    return _has(label, _DATE_WORDS)


def is_date_label(text: str) -> bool:
    """The label names a date (有效期, 到期日期, 劳动合同到期日)."""
    return _is_dated(fold_label(text))


def bare_due(text: str) -> bool:
    """The label is an end date naming no subject (到期日期, 截止日期)."""
    return _match(text) == _DUE


def other_subject(text: str) -> bool:
    """The label names something else than the certificate that a date may be about
    (劳动合同, 体检, 身份证 …), or a 证件 that may be the identity card."""
    label = fold_label(text)
    return _has(label, _OTHER_SUBJECTS) or some_document(text)


def some_document(text: str) -> bool:
    """The label says 证件 without saying which: the identity card or the certificate."""
    label = fold_label(text)
    return "证件" in label and not _has(label, ("操作", "特种", "资格", "证书", "作业", "身份"))


def _date_field(label: str) -> str | None:
    """Which of the certificate's dates a date label names, if any.

    Only dates about the certificate are certificate dates: a label naming another subject
    (劳动合同到期日, 体检有效期, 试用期截止) is none. 有效期 on its own names the certificate's
    validity, as the documents of other validities name themselves (身份证有效期, 健康证有效期);
    a bare 到期日期 or 截止日期 may end anything and is left to the header (``_DUE``).
    """
    if other_subject(label):
        return None
    if _has(label, ("初领", "初次", "首次")):
        return "first_issued"
    if "复审" in label:
        return "reviewed" if _has(label, ("实际", "已", "完成", "上次", "最近")) else "review_due"
    if "有效" in label:
        return "valid_from" if _has(label, ("起", "开始", "自", "始")) else "valid_until"
    if _has(label, ("发证", "领证", "取证", "签发", "颁发")):
        return "valid_from"
    if _has(label, _DUE_WORDS):
        names_it = "证" in label.replace("证件", "") or _has(label, ("特种作业", "操作", "资格"))
        return "valid_until" if names_it else _DUE
    return None


# With one of these words, 类别 / 项目 is the certificate's (作业类别, 准操项目); alone, or with
# others (人员类别, 项目名称, 所属项目), it may be anything.
_KIND_WORDS = ("作业", "操作", "证", "资格", "工种", "特种")
_ITEM_WORDS = ("作业", "操作", "准操", "持证", "取证", "特种", "证")


def _number_or_kind(label: str) -> str | None:
    if "证号" in label or "证书号" in label or ("编号" in label and "证" in label):
        return "cert_number"
    if _has(label, ("类别", "种类", "类型")):
        return "category" if _has(label, _KIND_WORDS) else None
    if "项目" in label:
        return "item" if _has(label, _ITEM_WORDS) else None
    if "工种" in label:
        return "item" if _has(label, ("特种", "作业", "操作")) else _TRADE
    if "岗位" in label:
        return "job"
    return None


def _by_similarity(label: str) -> str | None:
    if len(label) < 2:
        return None
    close = difflib.get_close_matches(label, _ALL_ALIASES, n=1, cutoff=0.8)
    return _EXACT[close[0]] if close else None


def cell_text(cell: Cell) -> str:
    return cell.strip() if isinstance(cell, str) else ""


@dataclass
class Header:
    #: Index (into grid.rows) of the first and the last header row; hint rows under the
    #: column names (``hints``) count as header rows.
    first: int
    last: int
    #: Field → column index, and field → the header text seen there.
    columns: dict[str, int]
    labels: dict[str, str]
    #: Header texts not understood (and not deliberately ignored), with their column.
    unknown: list[tuple[int, str]] = field(default_factory=list)
    #: Later columns that named a field already taken by an earlier column.
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    title: str | None = None
    #: Rows of filling hints under the column names (（必填）, 格式：YYYY-MM-DD), up to ``last``.
    hints: list[int] = field(default_factory=list)

    @property
    def label_last(self) -> int:
        """The last row holding column names."""
        return self.last - len(self.hints)

    @property
    def two_rows(self) -> bool:
        return self.label_last > self.first


def find_header(grid: Grid) -> Header | None:
    """The first row (or pair of rows) within HEADER_SCAN_ROWS naming both 姓名 and an ID."""
    rows = grid.rows
    limit = min(len(rows), HEADER_SCAN_ROWS)
    for index in range(limit):
        if index + 1 >= limit and sum(1 for c in rows[index] if cell_text(c)) < 2:
            continue
        header = header_at(grid, index)
        if header is not None:
            return header
    return None


def header_at(grid: Grid, index: int, *, titled: bool = True) -> Header | None:
    """The header whose first row is ``rows[index]``, if that row (alone or with the row
    below) names both 姓名 and an ID; hint rows under it are part of it. ``titled``: look for
    the title line above (the rows above are read, so a caller scanning a long sheet says no).
    """
    rows = grid.rows
    top = [cell_text(c) for c in rows[index]]
    single = _map_labels(top)
    combined: _Mapping | None = None
    following = rows[index + 1] if index + 1 < len(rows) else None
    if (
        following is not None
        and not _looks_like_data(following)
        and not is_hint_row(following)
        and not _is_title(top)
        and not _above_the_header(top)
        # A worker's row is never the upper row of a header: the last row of a page above a
        # page header repeated under it (printouts pasted together).
        and not _holds_values(rows[index])
    ):
        below = [cell_text(c) for c in following]
        combined = _map_labels(_combine(grid, index, top, below))
        if not _adds_fields(single, combined, below) or _stands_alone(below, combined):
            combined = None
    chosen, last = (combined, index + 1) if combined and combined.complete else (single, index)
    if not chosen.complete:
        return None
    hints: list[int] = []
    while last + 1 < len(rows) and len(hints) < _MAX_HINT_ROWS and is_hint_row(rows[last + 1]):
        last += 1
        hints.append(last)
    return Header(
        first=index,
        last=last,
        columns=chosen.columns,
        labels=chosen.labels,
        unknown=chosen.unknown,
        duplicates=chosen.duplicates,
        title=_title(rows[:index]) if titled else None,
        hints=hints,
    )


# Texts a worker's row holds and a header never does: a number, a date, an error value, an ID
# or a certificate number.
_VALUE_TEXT = re.compile(
    r"^\s*(?:\d+(?:\.\d+)?|\d{4}\s*[-./年]\s*\d{1,2}.*|#.+|[A-Za-z]{0,3}\d{8,}.*)$"
)


def _holds_values(row: Row) -> bool:
    """The row holds a value no header label is: a number or a date cell, or such a text (a
    worker's row whose ID cell is an error value still holds its 序号, 证号 and dates)."""
    for cell in row:
        if cell is None or isinstance(cell, bool):
            continue
        if not isinstance(cell, str) or _VALUE_TEXT.match(cell):
            return True
    return False


# A form field filled in: a short label, a colon and a value (填报日期：2026年11月20日).
_FILLED_FIELD = re.compile(r"^[^\d:：]{1,20}[:：]\s*\S")


def _above_the_header(texts: list[str]) -> bool:
    """The row is a title naming the list or a line of filled-in form fields (填报单位：…,
    填报日期：…): it stands above the header and is no upper header row, whose labels would
    otherwise join the column names under them (填报日期：… over 有效期至, …花名册 over
    证件类型)."""
    shown = [t for t in texts if t]
    return bool(shown) and all(names_a_list(t) or _FILLED_FIELD.match(t) for t in shown)


# ---- hint rows under the column names ----------------------------------------------------

# Templates handed out by a 主管部门 tell the filler what each column wants, in a row under the
# column names: （必填）, （18位，文本格式）, 例如：低压电工作业, 格式：YYYY-MM-DD, 请填写….
_MAX_HINT_ROWS = 3
_HINT_START = re.compile(
    r"^(?:[(（\[【〔<《][^)）\]】〕>》]*[)）\]】〕>》]$"
    r"|(?:例如|比如|例|如|注|格式|提示|说明|填写说明)\s*[:：]"
    r"|(?:请|需|须|应)?(?:填写|输入|选择|按|填入|下拉))"
)
_HINT_WORDS = re.compile(
    r"必填|选填|非必填|可不填|可空|文本格式|格式[:：为]|yyyy|请填|下拉选择|如实填写", re.IGNORECASE
)
_ID_DIGITS = re.compile(r"\d{15}")


def is_hint_row(row: Row) -> bool:
    """The row holds filling hints only (and so no ID, no number, no date)."""
    seen = False
    for cell in row:
        if not isinstance(cell, str):
            return False
        text = unicodedata.normalize("NFKC", cell).strip()
        if not text:
            continue
        if _ID_DIGITS.search(text) or not (_HINT_START.match(text) or _HINT_WORDS.search(text)):
            return False
        seen = True
    return seen


@dataclass
class _Mapping:
    columns: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    unknown: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)
    #: 工种 columns and bare 到期日期 columns, decided once the whole row is read.
    trades: list[tuple[int, str]] = field(default_factory=list)
    dues: list[tuple[int, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return "name" in self.columns and "id_number" in self.columns

    def take(self, found: str, column: int, shown: str) -> None:
        """The column names ``found``, unless an earlier column already did."""
        if found in self.columns:
            self.duplicates.append((column, shown, found))
        else:
            self.columns[found] = column
            self.labels[found] = shown


# Fields that show a header is about certificates, so that a bare 到期日期 is the certificate's.
_CERTIFICATE_FIELDS = ("cert_number", "category", "item", "issuer", *DATE_FIELDS)


def _map_labels(labels: list[str] | list[tuple[str, ...]]) -> _Mapping:
    """Map each column's label (or candidate labels, best first) to a field; first column wins."""
    mapping = _Mapping()
    for column, entry in enumerate(labels):
        candidates = (entry,) if isinstance(entry, str) else entry
        candidates = tuple(c for c in candidates if c)
        if not candidates:
            continue
        found, shown = _column_field(candidates)
        if found is None:
            if not any(fold_label(c) in _IGNORED for c in candidates):
                # Under a merged parent the whole label says most: 劳动合同 / 起.
                mapping.unknown.append((column, max(candidates, key=len)))
        elif found == _TRADE:
            mapping.trades.append((column, shown))
        elif found == _DUE:
            mapping.dues.append((column, shown))
        else:
            mapping.take(found, column, shown)
    # Dues first: a 工种 column is no sign that the header is about certificates.
    if any(f in mapping.columns for f in _CERTIFICATE_FIELDS):
        for column, shown in mapping.dues:
            mapping.take("valid_until", column, shown)
    else:
        mapping.unknown.extend(mapping.dues)
    for column, shown in mapping.trades:
        mapping.take("job" if "item" in mapping.columns else "item", column, shown)
    mapping.unknown.sort()
    mapping.duplicates.sort()
    return mapping


def _column_field(candidates: tuple[str, ...]) -> tuple[str | None, str]:
    """The field one column names (or ``_TRADE`` / ``_DUE``), and the label that names it."""
    found: str | None = None
    shown = candidates[0]
    for candidate in candidates:
        answer = _match(candidate)
        if answer == _DUE:
            if found is None:
                found, shown = answer, candidate
            continue
        if answer:
            found, shown = answer, candidate
            break
    if (found in DATE_FIELDS or found == _DUE) and any(other_subject(c) for c in candidates):
        return None, shown  # 有效期 under a merged 劳动合同 or 身份证 above it
    return found, shown


def _combine(grid: Grid, index: int, top: list[str], below: list[str]) -> list[tuple[str, ...]]:
    """Candidate labels per column for a two-row header: the lower label, parent+lower, parent.

    A parent merged over several columns holds its text only in its first cell; it is carried
    to the columns the merge covers (or, without merge information, to the following columns
    that have a lower label of their own).
    """
    width = max(len(top), len(below))
    top = top + [""] * (width - len(top))
    below = below + [""] * (width - len(below))
    parents = list(top)
    merged = _merged_parents(grid, index, width)
    carried = ""
    for column in range(width):
        if top[column]:
            carried = top[column] if below[column] else ""
        elif column in merged:
            parents[column] = top[merged[column]]
        elif carried and below[column]:
            parents[column] = carried
        else:
            carried = ""
    combined: list[tuple[str, ...]] = []
    for column in range(width):
        parent, child = parents[column], below[column]
        if child and parent:
            combined.append((child, parent + child, parent))
        else:
            combined.append((child or parent,))
    return combined


def _merged_parents(grid: Grid, index: int, width: int) -> dict[int, int]:
    """Column → column holding the text, for merges that cover row ``index`` horizontally."""
    sheet_row = grid.first_row + index
    result: dict[int, int] = {}
    for (r0, c0), (r1, c1) in grid.merges:
        first = c0 - grid.first_col
        # A merge starting left of the grid (a slice of a sheet) holds its text outside it.
        if r0 <= sheet_row <= r1 and c1 > c0 and first >= 0:
            for column in range(first + 1, min(c1 - grid.first_col + 1, width)):
                result[column] = first
    return result


def _adds_fields(single: _Mapping, combined: _Mapping, below: list[str]) -> bool:
    """A second header row names, on its own, a field the first row did not, or holds nothing
    but field names (证书编号 under a merged 特种作业操作证 that already read as one)."""
    own = [match_label(text) for text in below if text]
    if own and all(own):
        return True
    return any(f and f not in single.columns and f in combined.columns for f in own)


def _stands_alone(below: list[str], combined: _Mapping) -> bool:
    """The lower row is a complete header by itself and the upper one (a title) adds nothing."""
    alone = _map_labels(below)
    return alone.complete and set(combined.columns) <= set(alone.columns)


def _looks_like_data(row: Row) -> bool:
    for cell in row:
        if isinstance(cell, float | int) and not isinstance(cell, bool) and (
            abs(cell) >= ID_AS_NUMBER
        ):
            return True
        if isinstance(cell, str) and _ID_SHAPE.match(cell):
            return True
    return False


def _is_title(texts: list[str]) -> bool:
    """The row holds one text naming a list of people (…项目部特种作业人员花名册): the title,
    never the upper row of a two-row header, whose words (项目, 特种) would else join every
    column's label below it."""
    distinct = {t for t in texts if t}
    return len(distinct) == 1 and names_a_list(distinct.pop())


def names_a_list(text: str) -> bool:
    """The text is a title naming a list of people (…花名册, 焊工名单)."""
    return _TITLE_WORDS.search(text) is not None and not _NOT_TITLE.match(text)


def _title(above: list[Row]) -> str | None:
    """The title line above the header: the one naming a roster, else the first lone text."""
    lone: list[str] = []
    for row in above:
        texts = [t for t in (cell_text(c) for c in row) if t]
        if len(set(texts)) != 1:
            continue
        text = " ".join(texts[0].split())
        if names_a_list(text):
            return text
        if not _NOT_TITLE.match(text) and ":" not in text and "：" not in text:
            lone.append(text)
    return lone[0] if lone else None


# ---- letting the values decide between the ID column and the certificate-number column -----

# Data rows looked at; an ID column shows itself in far fewer.
_SAMPLE_ROWS = 300
# The share of a column's values that must be valid IDs for it to be the ID column.
_ID_SHARE = 0.5


def settle_by_values(grid: Grid, header: Header) -> str | None:
    """Where the header leaves the ID column in doubt, the values decide; returns a note.

    Two columns may both be called 证件号码, or the certificate-number column may stand first
    under a label that also means ID. The column whose values are mostly valid 18-character IDs
    is the ID column; a doubtful column holding other shapes (T500381…) is the certificate
    number. When both hold IDs (a certificate number is often the ID itself), the header's
    choice stands.
    """
    columns = header.columns
    id_col = columns["id_number"]
    id_doubtful = _doubtful(header.labels["id_number"])
    twins = [(c, text) for c, text, f in header.duplicates if f == "id_number"]
    cert_col = columns.get("cert_number")
    if not twins and not (id_doubtful and cert_col is not None):
        return None
    sample = grid.rows[header.last + 1 : header.last + 1 + _SAMPLE_ROWS]
    shift = grid.first_col + 1  # column numbers as the sheet shows them
    id_share = _id_share(sample, id_col)
    if id_share is not None and id_share >= _ID_SHARE:
        if cert_col is not None:
            return None
        return _twin_as_certificate(header, sample, twins, id_col, shift)
    candidates = [*twins]
    if cert_col is not None and id_doubtful:
        candidates.append((cert_col, header.labels["cert_number"]))
    best = _most_ids(sample, candidates)
    if best is None:
        return None
    return _move_id(header, best, id_col, cert_col, shift, old_is_blank=id_share is None)


def _twin_as_certificate(
    header: Header, sample: list[Row], twins: list[tuple[int, str]], id_col: int, shift: int
) -> str | None:
    """The ID column holds IDs: a doubtful twin of it that does not is the 证号 column."""
    for column, text in twins:
        share = _id_share(sample, column)
        if share is not None and share < _ID_SHARE and _doubtful(text):
            _assign(header, "cert_number", column, text)
            return (
                f"第 {column + shift} 列“{text}”的内容不是身份证号，已作为证号列"
                f"（身份证号取第 {id_col + shift} 列）"
            )
    return None


def _most_ids(sample: list[Row], candidates: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The candidate (column, label) whose values are most often IDs, if enough are."""
    best: tuple[float, int, str] | None = None
    for column, text in candidates:
        share = _id_share(sample, column)
        if share is not None and share >= _ID_SHARE and (best is None or share > best[0]):
            best = (share, column, text)
    return (best[1], best[2]) if best is not None else None


def _move_id(
    header: Header,
    new: tuple[int, str],
    id_col: int,
    cert_col: int | None,
    shift: int,
    *,
    old_is_blank: bool,
) -> str:
    """Make ``new`` the ID column. The old one takes the 证号's place when the two swap, or
    when there is no 证号 column and the old one is not empty; otherwise it is ignored."""
    new_id, new_text = new
    old_text = header.labels["id_number"]
    _assign(header, "id_number", new_id, new_text)
    if new_id == cert_col or (cert_col is None and not old_is_blank):
        _assign(header, "cert_number", id_col, old_text)
        role = "已作为证号列"
    else:
        role = "已忽略"
    return (
        f"第 {new_id + shift} 列“{new_text}”的内容是身份证号，已作为身份证号列；"
        f"第 {id_col + shift} 列“{old_text}”的内容不是身份证号，{role}"
    )


def _doubtful(label: str) -> bool:
    """证件号码 may be the ID or the certificate number; 身份证号 is only the ID."""
    return "身份" not in fold_label(label)


def _assign(header: Header, field_name: str, column: int, text: str) -> None:
    header.duplicates = [d for d in header.duplicates if d[0] != column]
    for other, col in list(header.columns.items()):
        if col == column and other != field_name:
            del header.columns[other]
            del header.labels[other]
    header.columns[field_name] = column
    header.labels[field_name] = text


def _id_share(rows: list[Row], column: int) -> float | None:
    """The share of the column's non-blank values that are valid IDs; None when all are blank."""
    seen = valid = 0
    for row in rows:
        if column >= len(row):
            continue
        cell = row[column]
        if isinstance(cell, bool):
            continue
        if isinstance(cell, int | float):
            seen += 1
            valid += abs(cell) >= ID_AS_NUMBER  # an ID typed as a number is still an ID column
            continue
        if not isinstance(cell, str) or not cell.strip():
            continue
        seen += 1
        text = normalize_id(cell)
        if len(text) == 18 and ID_SHAPE.fullmatch(text) and check_char(text[:17]) == text[17]:
            valid += 1
    return valid / seen if seen else None
