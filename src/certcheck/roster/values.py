"""Turning raw cells into normalised worker values, and saying what was odd about them.

Every function here is pure and cheap: the row loop calls them 100,000 times for a large
roster, so the common case (an 18-character ASCII ID, a date cell, a repeated category) takes
a fast path or a cache hit before any regular expression runs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from certcheck.dates import parse_date
from certcheck.ids import ID_SHAPE, birth_date, check_char, is_valid_id, mask_id, normalize_id
from certcheck.models import IdProblem
from certcheck.names import normalize_name
from certcheck.tablefile.grid import Cell
from certcheck.text import INVISIBLE, INVISIBLE_CHARS

#: (code, message) pairs a value produced; the row loop adds the row number.
Notes = list[tuple[str, str]]

# Values that normalising cannot change, recognised before any normalising work is done:
# names of plain CJK ideographs (NFKC leaves U+4E00–U+9FFF alone), certificate numbers of
# plain ASCII letters and digits.
_PLAIN_NAME = re.compile(r"[\u4e00-\u9fff]{1,20}")
_PLAIN_CERT = re.compile(r"[0-9A-Z]{1,40}")
# What Excel shows for a long number, and what a CSV saved from such a sheet contains.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+]?\d+")
#: A number this large in an ID cell is an ID Excel stored as a float (15 significant digits).
ID_AS_NUMBER = 1e14
_LONG_DIGITS = re.compile(r"\d{12,}[\dXx]?")
_SPACES = re.compile(r"\s+")
_QUOTE_MARKS = "'`‘’"
# What people write in a 证号, date, 作业类别 or 操作项目 cell to say "none": compared after
# NFKC, trimming and case-folding (NFKC already turns － into - and ／ into /).
PLACEHOLDERS = frozenset(
    {
        "/",
        "//",
        "\\",
        "无",
        "暂无",
        "无证",
        "未取证",
        "待取证",
        "未办理",
        "-",
        "--",
        "---",
        "—",
        "——",
        "–",
        "n/a",
        "na",
        "空",
        "没有",
    }
)
_PLACEHOLDER_RAW = frozenset({*PLACEHOLDERS, "N/A", "NA"})
_RANGE = re.compile(
    r"^\s*(\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?|\d{8})"
    r"\s*(?:-|~|～|至|到|—|–|－)+\s*"
    r"(\d{4}\s*[-./年]\s*\d{1,2}\s*[-./月]\s*\d{1,2}\s*日?|\d{8})\s*$"
)


def safe(text: str) -> str:
    """Text for a message: anything that could be an ID number is masked."""
    return _LONG_DIGITS.sub(lambda m: mask_id(m.group(0)), text)


def is_placeholder(text: str) -> bool:
    """``/``, ``无``, ``—``, ``N/A``, ``暂无``…: the cell says "none given"."""
    if text in _PLACEHOLDER_RAW:
        return True
    if len(text) > 12:
        return False
    folded = INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip().casefold()
    return folded in PLACEHOLDERS


def is_blank(cell: Cell) -> bool:
    if isinstance(cell, str):
        if not cell:
            return True
        # Nearly every cell starts with what it holds: no regular expression for those.
        first = cell[0]
        if not first.isspace() and first not in INVISIBLE_CHARS:
            return False
        return cell.isspace() or not INVISIBLE.sub("", cell).strip()
    return cell is None


def number_text(value: float | int) -> str:
    """A number as the digits Excel shows for it: at most 15 significant digits."""
    if isinstance(value, int):
        return str(value)
    try:
        return str(int(Decimal(f"{value:.15g}")))
    except (InvalidOperation, ValueError, OverflowError):
        return str(value)


def id_value(cell: Cell, today: date) -> tuple[str | None, IdProblem | None, Notes]:
    """(normalised ID text, problem, notes) for an ID cell."""
    if isinstance(cell, str):
        text = cell.strip()
        if len(text) == 18 and ID_SHAPE.fullmatch(text):
            if is_valid_id(text, today):
                return text, None, []
            return text, IdProblem.INVALID, [("invalid_id", _why_invalid(text, today))]
        return _id_from_text(text, today)
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        shown = "" if cell is None else str(cell)
        if not shown:
            return None, IdProblem.MISSING, [("missing_field", "缺少身份证号")]
        return (
            shown,
            IdProblem.INVALID,
            [("invalid_id", f"身份证号单元格不是文本（{safe(shown)}）")],
        )
    if cell != cell:  # NaN
        return None, IdProblem.MISSING, [("missing_field", "缺少身份证号")]
    digits = number_text(cell)
    if abs(cell) >= ID_AS_NUMBER:
        return digits, IdProblem.PRECISION_LOST, [_precision_note(digits)]
    return digits, IdProblem.INVALID, [("invalid_id", f"身份证号 {safe(digits)} 不是 18 位")]


def _precision_note(digits: str) -> tuple[str, str]:
    return (
        "id_precision_lost",
        f"身份证号被存成了数字（{mask_id(digits)}），末几位已丢失，无法核验；"
        "请把该列设为文本格式并重新录入",
    )


def _id_from_text(text: str, today: date) -> tuple[str | None, IdProblem | None, Notes]:
    notes: Notes = []
    normalised = normalize_id(text).lstrip(_QUOTE_MARKS)
    if not normalised or is_placeholder(text.strip()):
        return None, IdProblem.MISSING, [("missing_field", "缺少身份证号")]
    if _SCIENTIFIC.fullmatch(normalised):
        try:
            digits = str(int(Decimal(normalised)))
        except (InvalidOperation, ValueError, OverflowError):
            digits = normalised
        return digits, IdProblem.PRECISION_LOST, [_precision_note(digits)]
    if normalised != text.upper():
        notes.append(
            ("id_normalised", f"身份证号 {mask_id(normalised)} 中的空格、全角或不可见字符已清除")
        )
    # ids.is_valid_id's pattern uses \d, which also admits Arabic-Indic and other digits that
    # NFKC leaves alone; only ASCII digits are an ID here.
    if ID_SHAPE.fullmatch(normalised) and is_valid_id(normalised, today):
        return normalised, None, notes
    notes.append(("invalid_id", _why_invalid(normalised, today)))
    return normalised, IdProblem.INVALID, notes


def _why_invalid(id_number: str, today: date) -> str:
    shown = mask_id(id_number)
    if not ID_SHAPE.fullmatch(id_number):
        return f"身份证号 {shown} 不是 18 位数字（末位可为 X）"
    born = birth_date(id_number)
    if born is None or born.year < 1900:
        return f"身份证号 {shown} 中的出生日期无效"
    if born > today:
        return f"身份证号 {shown} 中的出生日期在未来"
    if check_char(id_number[:17]) != id_number[17]:
        return f"身份证号 {shown} 校验位不符"
    return f"身份证号 {shown} 无效"


# A note after a name: 张伟（班长）, 王芳(临时工), 李娜【外协】, 赵六[实习].
_NAME_NOTE = re.compile(r"^(.*?)\s*[（(【\[〔［]([^（()）【】\[\]〔〕［］]*)[)）】\]〕］]\s*$")
_CLOSING = frozenset(")）】]〕］")


def name_value(cell: Cell) -> tuple[str | None, Notes]:
    if isinstance(cell, str) and _PLAIN_NAME.fullmatch(cell):
        return cell, []
    raw = _name_text(cell)
    if not raw:
        return None, [("missing_field", "缺少姓名")]
    notes: Notes = []
    bare, removed = _without_notes(raw)
    if removed:
        shown_notes = "、".join(safe(n) for n in removed if n) or "（空）"
        notes.append(("name_note_removed", f"姓名“{safe(raw)}”后的备注“{shown_notes}”已去掉"))
    name = normalize_name(bare)
    if not name:
        return None, [("missing_field", "缺少姓名")]
    if name != bare:
        notes.append(
            ("name_normalised", f"姓名“{safe(bare)}”中的空格、全角或间隔号已统一为“{name}”")
        )
    if "?" in name or "\ufffd" in name:  # NFKC has made ？ a ?
        notes.append(
            (
                "name_unreadable",
                f"姓名“{safe(name)}”中有乱码（问号或无法显示的字），多半是另存为 GBK 时丢了字；"
                "无法核验，请按身份证改正姓名",
            )
        )
    return name, notes


def _name_text(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell.strip()
    if cell is None or isinstance(cell, bool):
        return ""
    return number_text(cell) if isinstance(cell, int | float) else str(cell)


def _without_notes(raw: str) -> tuple[str, list[str]]:
    """The name without the notes after it (张伟（班长）【外协】), and those notes in order."""
    bare = raw
    removed: list[str] = []
    while (
        bare[-1] in _CLOSING
        and (note := _NAME_NOTE.match(bare)) is not None
        and normalize_name(note.group(1))
    ):
        bare = note.group(1).strip()
        removed.insert(0, note.group(2).strip())
    return bare, removed


_TEXT_CACHE: dict[str, str | None] = {}


def text_value(cell: Cell) -> str | None:
    """Category and item texts: folded and trimmed; these repeat, so results are cached."""
    if isinstance(cell, str):
        cached = _TEXT_CACHE.get(cell, "")
        if cached != "":
            return cached
        folded = _SPACES.sub(" ", INVISIBLE.sub("", unicodedata.normalize("NFKC", cell))).strip()
        result = folded if folded and not is_placeholder(folded) else None
        if len(_TEXT_CACHE) < 10_000:
            _TEXT_CACHE[cell] = result
        return result
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return number_text(cell)
    return str(cell)


def cert_value(cell: Cell) -> tuple[str | None, bool, Notes]:
    """(certificate number, exact, notes): ``exact`` is False when the cell held a number (or
    the scientific notation Excel shows for one), so its last digits may be gone."""
    if isinstance(cell, str):
        if _PLAIN_CERT.fullmatch(cell) and cell != "NA":
            return cell, True, []
        if is_placeholder(cell):
            return None, True, []
        text = normalize_id(cell).lstrip(_QUOTE_MARKS)
        if not text or is_placeholder(text):
            return None, True, []
        if _SCIENTIFIC.fullmatch(text):
            try:
                digits = str(int(Decimal(text)))
            except (InvalidOperation, ValueError, OverflowError):
                return text, True, []
            return digits, False, [_cert_precision_note(digits)]
        return text, True, []
    if cell is None or isinstance(cell, bool):
        return None, True, []
    if isinstance(cell, int | float):
        if cell != cell:
            return None, True, []
        digits = number_text(cell)
        if abs(cell) >= ID_AS_NUMBER:
            return digits, False, [_cert_precision_note(digits)]
        return digits, True, []
    return str(cell), True, []


def _cert_precision_note(digits: str) -> tuple[str, str]:
    return (
        "cert_number_precision_lost",
        f"证号被存成了数字（{mask_id(digits)}），末几位可能已丢失，不与官方证号比对；"
        "请把该列设为文本格式并重新录入",
    )


_DATE_CACHE: dict[str, date | ValueError | None] = {}


def date_value(cell: Cell) -> date | None:
    """A date cell; None when empty; ValueError when it holds something that is not a date."""
    if type(cell) is date:
        return cell
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        cached = _DATE_CACHE.get(cell)
        if cached is None and cell not in _DATE_CACHE:
            try:
                cached = parse_date(cell.strip(_QUOTE_MARKS + " \t"))
            except ValueError as exc:
                cached = exc
            if len(_DATE_CACHE) < 50_000:
                _DATE_CACHE[cell] = cached
        if isinstance(cached, ValueError):
            raise cached
        return cached
    if isinstance(cell, time | timedelta):
        raise ValueError(f"not a date: {cell!r}")
    # 20210305 typed as a number: a compact date, not serial day 20 million.
    if (
        isinstance(cell, int | float)
        and not isinstance(cell, bool)
        and 1900_01_01 <= cell <= 2199_12_31
        and float(cell).is_integer()
    ):
        return parse_date(str(int(cell)))
    return parse_date(cell)


def date_range(cell: Cell) -> tuple[date, date] | None:
    """``2021.03.05-2027.03.05`` in one 有效期 cell: (start, end), else None."""
    if not isinstance(cell, str):
        return None
    match = _RANGE.match(unicodedata.normalize("NFKC", cell))
    if match is None:
        return None
    try:
        start, end = parse_date(match.group(1)), parse_date(match.group(2))
    except ValueError:
        return None
    if start is None or end is None:
        return None
    return start, end


def shown(cell: Cell) -> str:
    """A cell as a message may quote it: short, masked."""
    text = cell if isinstance(cell, str) else str(cell)
    text = " ".join(text.split())
    return safe(text[:40] + ("…" if len(text) > 40 else ""))
