"""Everything certcheck assumes about the special-equipment lookup, in one place.

全国特种设备公示信息查询平台 (市场监管总局) publishes no API description. What certcheck knows of
it comes from public client code (DOMAIN.md, "Neighbouring lookups"), and nothing of it has been
seen by this project in a real answer. Each field below says what it rests on:

- ``PUBLIC_CODE``: public client code names the key with this meaning;
- ``ASSUMED``: certcheck's reading where public code shows nothing (what a value means, a form
  it may take). An assumption never turns unknown text into a verdict: what does not fit is
  ``unverified``.

``certcheck probe --source samr`` shows, for one real answer, which key filled which field,
each field's basis, the keys nobody mapped and the fields left empty. When the service turns
out to differ, the fix belongs here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

DEFAULT_BASE_URL = "https://cnse.samr.gov.cn"
#: The same platform under another host (public client code uses both).
MIRROR_BASE_URL = "https://cnse.e-cqs.cn"

#: The page every step belongs to: fetched first (a browser's visit, which opens the cookie
#: session), then sent as Referer with every request.
PAGE_PATH = "/info-pub/pub"
#: ``GET`` → ``{errcode: 0, yHeight, smallImage, bigImage}`` (base64 images).
CAPTCHA_PATH = "/info-pub/pub/pubQueryVCodeData.json"
#: ``POST`` form ``moveLength`` → ``{errcode: 0}`` when the piece was slid to the gap.
CHECK_PATH = "/info-pub/pub/checkPubQuerycode.json"
#: ``GET keyword=<ID>&moveLength=`` → one certificate only (``data.data``).
SINGLE_PATH = "/info-pub/pub/remotePubQuery.json"
#: ``GET sfzh=<ID>&moveLength=`` → an HTML page holding ``id="validCode" value="…"``.
PER_RESULT_PATH = "/info-pub/pub/perResult"
#: ``GET sfzh=&validCode=&r=<ms>`` → ``licList[]``: every certificate of the person.
LIST_PATH = "/info-pub/pub/getPerInfoBySfzh.json"

PARAM_MOVE = "moveLength"
PARAM_KEYWORD = "keyword"
PARAM_ID = "sfzh"
PARAM_VALID_CODE = "validCode"
#: A cache-busting timestamp in milliseconds, as the page's script sends it.
PARAM_TIME = "r"

#: Every request but the page's says it comes from the page's script.
XHR_HEADERS: dict[str, str] = {"X-Requested-With": "XMLHttpRequest"}

# --- the slider captcha -----------------------------------------------------------------------

ERRCODE_KEY = "errcode"
ERRMSG_KEY = "errmsg"
Y_KEY = "yHeight"
PIECE_KEY = "smallImage"
BACKGROUND_KEY = "bigImage"
#: ``errcode`` of success. Any other number from the check is a piece not slid to the gap.
OK_ERRCODE = 0
#: ASSUMED: ``moveLength`` is in pixels of the background as sent (public code says "the
#: piece's x offset"; a page that shows the image scaled would convert, which it is not known
#: to do). An integer is sent.
MOVE_LENGTH_IN_IMAGE_PIXELS = True
#: The largest image decoded (background about 500×281, piece about 55×45).
MAX_IMAGE_PIXELS = 4_000_000

# --- the single answer (remotePubQuery) ---------------------------------------------------

MESSAGE_LEVEL_KEY = "messageLevel"
MESSAGE_TEXT_KEY = "messageText"
DATA_KEY = "data"
TYPE_KEY = "type"
#: ``data.type`` of an answer about a person (public code).
PERSON_TYPE = "person"
#: ASSUMED: how the single answer says it found nothing. Public code shows only a found
#: certificate; a ``messageText`` with one of these words and no ``data.data`` is read as
#: "nothing found", any other answer without a record as not understood.
NOT_FOUND_MARKERS: tuple[str, ...] = (
    "未查询到", "没有查询到", "查无", "无相关", "暂无", "没有找到", "未找到", "不存在",
)
#: …unless the message also says something went wrong.
NOT_FOUND_SPOILERS: tuple[str, ...] = ("异常", "错误", "失败", "繁忙", "超时", "验证", "登录")
#: ASSUMED: messages beside an answer that say only that it succeeded. An empty ``licList``
#: with any other message (neither these nor a "nothing found" one) is not understood.
OK_MESSAGES: frozenset[str] = frozenset({"成功", "操作成功", "查询成功", "ok", "OK", "success"})
#: Words of the service's own limiter in ``errmsg`` or ``messageText``: a refusal, retried.
REFUSAL_MARKERS: tuple[str, ...] = ("频繁", "限流", "次数过多", "请求过多", "访问过多", "过快",
                                    "拦截")

# --- the full list (perResult, then getPerInfoBySfzh) ---------------------------------------

#: ``<input … id="validCode" value="…">`` in the page, attributes in either order.
VALID_CODE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"""id\s*=\s*["']validCode["'][^>]*?\svalue\s*=\s*["']([^"'<>]*)["']"""),
    re.compile(r"""value\s*=\s*["']([^"'<>]*)["'][^>]*?\sid\s*=\s*["']validCode["']"""),
)
#: What a validCode may hold (public code saw hex); anything else is not understood.
VALID_CODE_CHARS = re.compile(r"[0-9A-Za-z_-]{1,200}")
LIST_KEY = "licList"
#: ASSUMED: ``licList`` may also stand inside an object ``data``.
LIST_CONTAINERS: tuple[str, ...] = ("data",)


class Basis(StrEnum):
    """What a field of the mapping rests on."""

    #: Public client code names the key with this meaning.
    PUBLIC_CODE = "public code"
    #: certcheck's reading; public code shows nothing of it.
    ASSUMED = "assumed"

    @property
    def zh(self) -> str:
        return "公开代码所示" if self is Basis.PUBLIC_CODE else "推定，未证实"


@dataclass(frozen=True, slots=True)
class SamrField:
    """Which key of a ``licList`` record fills one ``CertRecord`` attribute, and on what basis.

    A key present with an empty value counts as absent.
    """

    attr: str
    key: str
    #: The label the register uses for the field.
    label: str
    #: Whether public code shows the key with this meaning.
    key_basis: Basis
    #: How its values are read, and on what basis (``ASSUMED`` for every reading public code
    #: does not show).
    reading: str
    value_basis: Basis
    is_date: bool = False
    #: A current record without it makes the answer ``unrecognized_response``.
    required: bool = False


P, A = Basis.PUBLIC_CODE, Basis.ASSUMED

#: ``licList`` record keys → ``CertRecord`` attributes. The one table to correct. ``reading``
#: is said to a person (``probe``): Chinese first.
RECORD_MAP: tuple[SamrField, ...] = (
    SamrField("name", "ryxm", "姓名", P,
              "与名单上的姓名按姓名的规则比较（compared with the roster's name）", P),
    SamrField("id_number", "sfzh", "证件号码", P,
              "须是所查的身份证号（明文或打码）；其他号码的记录不是此人的"
              "（must be the queried ID）", P),
    SamrField("cert_number", "zsbh", "证号", P,
              "与名单上的证号比较（compared with the roster's 证号）", P),
    SamrField("item", "czxm", "操作项目", P,
              "TSG Z6001 的项目名称或代号（叉车司机、N1、N1叉车司机、叉车司机(N1)），"
              "经项目目录读取；其他写法不能确定涵盖任何项目（a TSG Z6001 item by name or code）", A,
              required=True),
    SamrField("valid_from", "yxrqs", "有效期开始日期", P,
              "YYYY-MM-DD（可带时间）或只写到月份的 YYYY-MM（a date, or a month only）", P,
              is_date=True),
    SamrField("valid_until", "yxrqz", "有效期结束日期", P,
              "YYYY-MM-DD 或 YYYY-MM；只写到月份时，只在该月每一天结论都相同时据此下结论"
              "（a month decides only where every day of it would）", P, is_date=True),
    SamrField("issuer", "fzjg", "签发机关", P, "按原样显示（shown as sent）", P),
    SamrField("status_text", "validFlag", "证书状态", P,
              "“1”（唯一见过的值）读作有效；其他值都使证书状态不明，记为 record_incomplete"
              "（any other value: status unknown）", A),
)

#: What a ``validFlag`` value means. ASSUMED: public code saw ``"1"`` only, on certificates
#: in force; a value not here is shown as ``validFlag:<value>`` and decides nothing.
VALID_FLAG_MEANINGS: dict[str, str] = {"1": "有效"}

#: Keys public code shows in a record that certcheck keeps but does not decide on: their meaning
#: is not shown (``zslb``, ``cyzl``, ``pzrq``) or says nothing about validity. Said to a person
#: (``probe``): Chinese first.
KNOWN_UNUSED_KEYS: dict[str, str] = {
    "ryxb": "性别（sex）",
    "zslb": "公开代码未说明其含义，或为证书类别（meaning not shown by public code）",
    "cyzl": "公开代码未说明其含义，或为从业种类（meaning not shown by public code）",
    "pzrq": "公开代码未说明其含义的日期，或为批准日期；不当作初领日期"
            "（not read as 初领日期）",
    "sjgxsj": "数据更新时间，只显示，不使用（when the record was last updated）",
    "eCertFileId": "电子证书的文件（the electronic certificate's file）",
}

#: Fields the record has no key for in public code: left empty, never guessed. 特种设备
#: certificates have no 3-year review (TSG Z6001), so no review date is needed.
UNMAPPED_ATTRS: tuple[str, ...] = ("category", "first_issued", "review_due", "reviewed")

#: ASSUMED: how long a new certificate takes to become findable (public code says nothing; the
#: national lookup of 应急管理部 takes about 3 days, and the same week is allowed here).
PUBLICATION_DELAY = timedelta(days=7)
#: A month-only date as public code saw it (``2027-03``); ``2027/03``, ``2027.03`` and
#: ``2027年3月`` are read the same way.
MONTH_PATTERN = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?")
