"""Turning raw cells into normalised worker values, and saying what was odd about them.

Every function here is pure and cheap: the row loop calls them 100,000 times for a large
roster, so the common case (an 18-character ASCII ID, a date cell, a repeated category) takes
a fast path or a cache hit before any regular expression runs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from certcheck.dates import parse_date
from certcheck.ids import ID_SHAPE, birth_date, check_char, is_valid_id, mask_id, normalize_id
from certcheck.models import CertNumber, IdProblem
from certcheck.names import normalize_name
from certcheck.shown import MASK_CHARS
from certcheck.tablefile.grid import Cell, is_error_text
from certcheck.text import INVISIBLE, INVISIBLE_CHARS

#: (code, message) pairs a value produced; the row loop adds the row number.
Notes = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Unclear:
    """A cell that is not understood, and why (in Chinese); the row loop makes it an
    ``Unreadable`` naming the row and the column."""

    why: str


@dataclass(frozen=True, slots=True)
class IdReference:
    """A 证号 cell that refers to the ID (同身份证号, 见身份证): the number is the ID's."""

    shown: str


NOT_A_DATE = Unclear("不是可识别的日期")
ERROR_VALUE = Unclear("是错误值（公式出错或引用失效）")
NOT_A_NUMBER = Unclear("不是可识别的证号")
NOT_A_NAME = Unclear("不是可识别的姓名（含数字或符号）")
NICKNAME = Unclear("像是称呼（老李、小王），不是身份证上的姓名")
#: A name the system the roster came from masked (张*, 张**, *三): compared as a name, 张 would
#: be "another name" than the official record's.
MASKED_NAME = Unclear("被遮盖（脱敏），不是完整的姓名")
# 老李, 小王: how colleagues call someone, not a name on an ID card (no surname 老 or 小 in
# use; 阿 is left out, since some minority names begin with it).
_FAMILIAR = frozenset("老小")

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


# Marks that say "the same as the row above" (同上, ditto marks).
DITTO = frozenset({"同上", "仝上", "同前", "〃", '"', "“", "”", "〝", "〞", "′′", "''", "同上。"})


# What a ditto mark starts with, after any spaces: a cheap test that spares nearly every cell
# the normalising below (this runs for every mapped cell of every row).
_DITTO_START = frozenset("同仝〃\"“”〝〞′\u2033'＂ \t\u3000")


def is_ditto(cell: Cell) -> bool:
    """同上, 〃, ": the value of the row above."""
    if not isinstance(cell, str) or not cell or len(cell) > 6 or cell[0] not in _DITTO_START:
        return False
    return unicodedata.normalize("NFKC", cell).strip() in DITTO or cell.strip() in DITTO


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


def id_key(text: str) -> str:
    """An ID cell's text as it is checked and compared: normalised (spaces, full-width and
    invisible characters gone, X upper-case), without the quote mark that keeps digits text."""
    return normalize_id(text).lstrip(_QUOTE_MARKS)


def _id_from_text(text: str, today: date) -> tuple[str | None, IdProblem | None, Notes]:
    notes: Notes = []
    normalised = id_key(text)
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


def name_value(cell: Cell) -> tuple[str | Unclear | None, Notes]:
    """The name, with notes and markers taken off (张伟（班长）, 【外协】李娜, 张伟2, 王芳*);
    ``Unclear`` for an error value or a name that still holds digits or symbols."""
    if isinstance(cell, str) and _PLAIN_NAME.fullmatch(cell):
        return (NICKNAME, []) if len(cell) == 2 and cell[0] in _FAMILIAR else (cell, [])
    raw = _name_text(cell)
    if not raw:
        return None, [("missing_field", "缺少姓名")]
    if is_error_text(raw):
        return ERROR_VALUE, []
    notes: Notes = []
    # Invisible characters pasted from web pages may stand after a note (韩梅（班长）\ufeff)
    # and hide it from the note patterns; they are no part of a name anyway.
    visible = INVISIBLE.sub("", raw).strip()
    bare, removed = _without_notes(visible)
    if _masked_name(bare, removed):
        return MASKED_NAME, []
    if removed:
        shown_notes = "、".join(safe(n) for n in removed if n) or "（空）"
        where = "中" if _LEADING_NOTE.match(raw) else "后"
        notes.append(("name_note_removed", f"姓名“{safe(raw)}”{where}的备注“{shown_notes}”已去掉"))
    name = normalize_name(_spaced_parts(bare))
    if not name:
        return None, [("missing_field", "缺少姓名")]
    if name != bare or visible != raw:
        written = bare if name != bare else raw
        notes.append(
            ("name_normalised", f"姓名“{safe(written)}”中的空格、全角或间隔号已统一为“{name}”")
        )
    if "?" in name or "\ufffd" in name:  # NFKC has made ？ a ?
        notes.append(
            (
                "name_unreadable",
                f"姓名“{safe(name)}”中有乱码（问号或无法显示的字），多半是另存为 GBK 时丢了字；"
                "无法核验，请按身份证改正姓名",
            )
        )
    elif not _name_like(name):
        return NOT_A_NAME, notes
    elif len(name) == 2 and name[0] in _FAMILIAR:
        return NICKNAME, notes
    return name, notes


_MASKS = frozenset(MASK_CHARS)


def _masked_name(bare: str, removed: list[str]) -> bool:
    """The name was masked rather than marked: a mask stands inside or before it (*三, 张*三,
    张＊), or what was taken off after it is two masks or more (张**), or one that left a
    single character (张*). One ``*`` after a whole name is a marker (王芳*)."""
    if not _MASKS.isdisjoint(unicodedata.normalize("NFKC", bare)):
        return True
    return any(
        note and _MASKS.issuperset(note) and (len(note) > 1 or len(normalize_name(bare)) == 1)
        for note in removed
    )


# A middle dot (or the hyphen typed for one) and an apostrophe (O'Neil) belong in names.
_NAME_PUNCTUATION = frozenset("\u00b7 -\u2010\u2011\u2012\u2013\u2014\u2212'\u2019")


_CJK_PART = re.compile(r"[\u4e00-\u9fff]{2,}")


def _spaced_parts(name: str) -> str:
    """A transliterated name whose parts a space separates (阿依古丽 买买提) stands for the
    middle dot the ID card has; a space that only pads a short name (张 三, 欧阳 修) does not."""
    parts = name.split()
    if (
        len(parts) > 1
        and sum(map(len, parts)) >= 5
        and all(_CJK_PART.fullmatch(part) for part in parts)
    ):
        return "\u00b7".join(parts)
    return name


def _name_like(name: str) -> bool:
    """Letters of any script (with their combining marks), middle dots and spaces: what a
    person's name is made of. Anything else (a digit, a symbol) means the cell is not a name."""
    for char in name:
        if char in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(char)[0] not in "LM":
            return False
    return True


def _name_text(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell.strip()
    if cell is None or isinstance(cell, bool):
        return ""
    return number_text(cell) if isinstance(cell, int | float) else str(cell)


# Markers offices put before or after a name: 【外协】李娜, (临时)王芳, 张伟2, 王芳*, 李娜※.
_LEADING_NOTE = re.compile(
    r"^\s*[（(【\[〔［<《]([^（()）【】\[\]〔〕［］<>《》]{1,12})[)）】\]〕］>》]\s*(.+)$"
)
_TRAILING_MARK = re.compile(r"^(.*?[^\s\d*※★☆#＃+＋△▲●○√✓])\s*([\d*※★☆#＃+＋△▲●○√✓]+)$")


def _without_notes(raw: str) -> tuple[str, list[str]]:
    """The name without the notes and markers around it (张伟（班长）【外协】, 【外协】李娜,
    (实习)【外协】王磊, 张伟2), and those notes in the order they were written."""
    bare = raw
    leading: list[str] = []
    trailing: list[str] = []
    while (match := _LEADING_NOTE.match(bare)) is not None and normalize_name(match.group(2)):
        # (实习)【外协】王磊: each note in front is taken off.
        leading.append(match.group(1).strip())
        bare = match.group(2).strip()
    while bare:
        note = _NAME_NOTE.match(bare) if bare[-1] in _CLOSING else None
        if note is not None and normalize_name(note.group(1)):
            bare = note.group(1).strip()
            trailing.insert(0, note.group(2).strip())
            continue
        mark = _TRAILING_MARK.match(bare)
        if mark is not None and normalize_name(mark.group(1)):
            bare = mark.group(1).strip()
            trailing.insert(0, mark.group(2))
            continue
        break
    return bare, leading + trailing


_TEXT_CACHE: dict[str, str | Unclear | None] = {}


def text_value(cell: Cell) -> str | Unclear | None:
    """Category, item and issuer texts: folded and trimmed; these repeat, so results are
    cached. An error value is not a text."""
    if isinstance(cell, str):
        cached = _TEXT_CACHE.get(cell, "")
        if cached != "":
            return cached
        folded = _SPACES.sub(" ", INVISIBLE.sub("", unicodedata.normalize("NFKC", cell))).strip()
        result: str | Unclear | None = (
            folded if folded and not is_placeholder(folded) else None
        )
        if result is not None and is_error_text(folded):
            result = ERROR_VALUE
        if len(_TEXT_CACHE) < 10_000:
            _TEXT_CACHE[cell] = result
        return result
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return number_text(cell)
    return str(cell)


CertValue = CertNumber | IdReference | Unclear | None

# The shape of one certificate number: ASCII letters and digits (T + ID, TS…, a province's
# 渝A04…), with at least four digits; hyphens inside. Compared after NFKC and upper-casing.
_PROVINCE = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_NUMBER = re.compile(rf"(?:[{_PROVINCE}][A-Z]?)?[A-Z]{{0,6}}\d[0-9A-Z\-]{{2,39}}")
_DIGIT_RUN = re.compile(r"\d{4}")
# Between several numbers in one cell: 、，；/ or a line break (spaces too, once a whole cell
# without them is not one number).
_NUMBER_SEPARATORS = re.compile(r"[、,，;；/／|｜\s]+")
# A label before a number, per item: 电工：T5003…, 焊工:T5003…, 证号：….
_LABEL = re.compile(r"^[^\d:：]{1,20}[:：]")
# A bracketed note after or around a number: T5003…（复审中）, (电工)T5003….
_NOTE = re.compile(r"[(（【\[〔［][^)）】\]〕］]*[)）】\]〕］]")
_ID_WORDS = ("身份证", "证件号", "身份号码", "公民身份")
_ID_REFERENCE = re.compile(
    r"^(?:同|见|即|为|是|与|和|参见|详见|按)?(?:本人)?(?:身份证|证件|身份|公民身份)(?:号码|号)?"
    r"(?:码)?(?:相同|一致|同)?$"
)
# The card exists but is not at hand: being reissued, renewed, reviewed, lost. The row claims
# a certificate; there is no number to compare.
_CARD_HELD = (
    "补办", "补证", "遗失", "丢失", "挂失", "换证", "复审", "年审", "延期", "换发", "补发",
)
# There is no card yet: the row claims no certificate.
_NO_CARD_YET = (
    "培训", "待发", "待领", "待取", "未发证", "未领证", "未取证", "待考", "报名", "考试中",
    "考试合格", "考核合格", "正在办", "办理中", "学徒", "未取得", "尚未取得", "无证",
)


def cert_value(cell: Cell) -> tuple[CertValue, Notes]:
    """What a 证号 cell says: numbers to compare, a reference to the ID, a card without a
    number (being reissued: claims one; being trained for: claims none), none, or something
    not understood. A number stored as a number (or as the ``5.00381E+17`` Excel shows for
    one) may have lost digits: it claims a certificate but is never compared."""
    if isinstance(cell, str):
        if _PLAIN_CERT.fullmatch(cell) and cell != "NA" and _DIGIT_RUN.search(cell):
            return CertNumber(cell, (cell,)), []
        return _cert_from_text(cell)
    if cell is None or isinstance(cell, bool):
        return None, []
    if isinstance(cell, int | float):
        if cell != cell:
            return None, []
        digits = number_text(cell)
        if abs(cell) >= ID_AS_NUMBER:
            return CertNumber(digits), [_cert_precision_note(digits)]
        if not _is_number(digits):
            return NOT_A_NUMBER, []
        return CertNumber(digits, (digits,)), []
    return NOT_A_NUMBER, []


def _cert_from_text(cell: str) -> tuple[CertValue, Notes]:
    if is_placeholder(cell) or is_blank(cell):
        return None, []
    if is_error_text(cell):
        return ERROR_VALUE, []
    text = normalize_id(cell).lstrip(_QUOTE_MARKS)
    if not text or is_placeholder(text):
        return None, []
    if _SCIENTIFIC.fullmatch(text):
        try:
            digits = str(int(Decimal(text)))
        except (InvalidOperation, ValueError, OverflowError):
            return NOT_A_NUMBER, []
        return CertNumber(digits), [_cert_precision_note(digits)]
    shown_text = " ".join(cell.split())
    numbers = _numbers(unicodedata.normalize("NFKC", cell).upper())
    if numbers is not None:
        return CertNumber(shown_text, numbers), []
    return _cert_words(shown_text), []


def _numbers(text: str) -> tuple[str, ...] | None:
    """The certificate numbers a cell lists, each in the shape of one; None when any part of
    the cell is not a number."""
    text = INVISIBLE.sub("", text).strip().strip(_QUOTE_MARKS)
    if not _DIGIT_RUN.search(text):
        return None
    bare = _NOTE.sub(" ", text).strip()
    whole = "".join(bare.split())
    spaced = bare.split()
    # T500381 199001011234 is one number typed with a space; two numbers on two lines are two.
    if _is_number(whole) and (
        len(spaced) == 1 or _ID_SHAPED.fullmatch(whole) or not all(map(_is_number, spaced))
    ):
        return (whole,)
    found: list[str] = []
    for piece in _NUMBER_SEPARATORS.split(bare):
        piece = _LABEL.sub("", piece.strip())
        if not piece:
            continue
        if not _is_number(piece):
            return None
        found.append(piece)
    return tuple(found) or None


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None and len(_DIGITS.findall(text)) >= 4


_DIGITS = re.compile(r"\d")
# An ID number, with or without the T of a 特种作业 certificate: one number however it is spaced.
_ID_SHAPED = re.compile(r"T?\d{17}[\dX]")


def _cert_words(shown_text: str) -> CertValue:
    """A 证号 cell of words: a reference to the ID, a card without a number, or unknown."""
    folded = _WORD_NOISE.sub("", unicodedata.normalize("NFKC", shown_text))
    if _ID_REFERENCE.fullmatch(folded) or (
        len(folded) <= 12 and any(w in folded for w in _ID_WORDS) and "同" in folded
    ):
        return IdReference(shown_text)
    if any(word in folded for word in _CARD_HELD):
        return CertNumber(shown_text)
    if any(word in folded for word in _NO_CARD_YET):
        return CertNumber(shown_text, claims=False)
    return NOT_A_NUMBER


# Punctuation and spaces that do not change what a 证号 cell of words says.
_WORD_NOISE = re.compile(r"[\s、,，.。:：;；!！()（）【】\[\]\-—_~～\"'“”‘’]+")


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
    """A cell as a message may quote it: short, masked; a number as Excel shows it."""
    if isinstance(cell, str):
        text = cell
    elif isinstance(cell, int | float) and not isinstance(cell, bool):
        text = number_text(cell) if float(cell).is_integer() else str(cell)
    else:
        text = str(cell)
    text = " ".join(text.split())
    return safe(text[:40] + ("…" if len(text) > 40 else ""))
