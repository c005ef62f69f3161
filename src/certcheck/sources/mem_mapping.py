"""Everything certcheck assumes about the national lookup's API, in one place.

The endpoints, parameters and record fields were read from public client code, not from any
published specification, and the public clients disagree with each other, so most of this is
*unconfirmed* (``confirmed=False`` below). The table accepts every spelling the evidence allows;
``certcheck probe`` shows for one real answer which key filled which field, which keys the table
does not know and which expected fields were missing. When the service turns out to differ, the
fix belongs here and nowhere else; recorded raw responses (``--record DIR``) can then be replayed
through the corrected table with ``--source replay:DIR``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://cx.mem.gov.cn"

#: The single-page app the API belongs to; sent as Referer because the API is meant to be
#: called from that page.
REFERER_PATH = "/special?index=0"
#: ``GET`` → ``{"img": <base64 image>, "uuid": "…", "msg": "…"}``.
CAPTCHA_PATH = "/prod-api/certsearch/code"
#: ``GET`` with ``QUERY_FIXED_PARAMS`` plus name, ID, captcha answer and uuid.
QUERY_PATH = "/prod-api/certsearch/certInfo/netQuery"

# Query-string names of the per-person parameters.
PARAM_NAME = "name"
PARAM_ID = "idcardNum"
PARAM_CAPTCHA = "code"
PARAM_UUID = "uuid"
#: A paged answer (RuoYi's ``rows`` + ``total``) holds 10 records unless asked for more, and a
#: person's certificates cut at 10 could decide wrongly (the cancelled one, the valid one left
#: out). So every query asks for one large page. A service that does not page ignores them; a
#: page still cut short (``total`` above the records sent) decides nothing (``mem_answer``).
QUERY_PAGE_PARAMS: dict[str, str] = {"pageNum": "1", "pageSize": "100"}
#: searchType 1 = by ID; idcardTypeCode 01 = 居民身份证; personTypeCode 03 = 特种作业人员.
QUERY_FIXED_PARAMS: dict[str, str] = {
    "searchType": "1",
    "idcardTypeCode": "01",
    "personTypeCode": "03",
    **QUERY_PAGE_PARAMS,
}

# Keys of the captcha answer.
CAPTCHA_IMAGE_KEY = "img"
CAPTCHA_UUID_KEY = "uuid"
#: The RuoYi framework the service appears to be built on sends ``captchaEnabled: false`` when
#: the captcha is switched off; then no answer is needed.
CAPTCHA_ENABLED_KEY = "captchaEnabled"
#: What a captcha answer may consist of: public clients strip everything else (the captcha had
#: four digits in 2024). Answers are NFKC-folded and spaces dropped before this filter.
CAPTCHA_ANSWER_CHARS = re.compile(r"[0-9A-Za-z]")

# --- the query answer: envelope -------------------------------------------------------------

CODE_KEY = "code"
MSG_KEY = "msg"
DATA_KEY = "data"
OK_CODE = 200
#: Other codes that say success: RuoYi's older ``AjaxResult`` and ``TableDataInfo`` (and many
#: front-end table conventions) send ``code: 0``. Read as success for the records the answer
#: carries; without records it is "nothing found" only when the message says so (not found is
#: an accusation, and elsewhere 0 is sometimes a failure code).
OTHER_OK_CODES: tuple[int, ...] = (0,)
#: A ``msg`` containing one of these means the captcha answer was wrong or has expired
#: (RuoYi's defaults; a captcha lives about 2 minutes and is good for one query).
CAPTCHA_MARKERS: tuple[str, ...] = ("验证码错误", "验证码已失效", "验证码过期")
#: With a code other than ``OK_CODE``, any ``msg`` that mentions the captcha (验证码不能为空,
#: 验证码不正确 …) is taken as a rejected captcha too: a new captcha is the right next step.
CAPTCHA_WORD = "验证码"
#: A ``msg`` containing one of these means nothing was found, whatever ``code`` says: the page
#: then shows 没有查询到相关证件信息. Public clients treat each of them so.
NOT_FOUND_MARKERS: tuple[str, ...] = ("没有查询到相关证件信息", "未查询到", "暂无数据", "无数据")
#: …unless the message also says something went wrong (``无数据库连接``, ``查询无数据，系统异常``):
#: "nothing found" is a verdict about a person, so an error message must never pass for one.
NOT_FOUND_SPOILERS: tuple[str, ...] = ("异常", "错误", "失败", "繁忙", "超时", "数据库", "数据源")
#: An answer with ``OK_CODE`` and no ``data`` at all (RuoYi leaves out an empty ``data``) is
#: nothing found, as an empty list is, provided no other key of the answer holds anything that
#: could be records (see ``ENVELOPE_KEYS``).
MISSING_DATA_MEANS_NOT_FOUND = True
#: An answer with a success code and no records is "nothing found" only when its message says
#: so (``NOT_FOUND_MARKERS``), says the query succeeded (one of these, compared in lower case),
#: or is empty. Any other message (您的请求已被拦截, 会话已过期, 请先登录 …) is not understood:
#: "nothing found" accuses a person of a fake certificate, so it must be said, not presumed.
SUCCESS_MARKERS: tuple[str, ...] = ("成功", "完成", "ok", "success")
#: Top-level keys of an answer that carry no records and need no report.
ENVELOPE_KEYS: tuple[str, ...] = (CODE_KEY, MSG_KEY, DATA_KEY, "total", "success", "timestamp")

# --- where the records are ------------------------------------------------------------------

#: ``data`` is normally the list of records. When it is an object, the current records may be
#: under one of these keys (RuoYi's table answer uses ``rows``; ``rows`` may also stand at the
#: top level beside ``total``).
CURRENT_LIST_KEYS: tuple[str, ...] = ("rows", "list", "records", "certList", "current")
#: Lists of older certificates, the ones the page shows under the divider 历史数据 — under
#: ``data`` when it is an object, or beside ``data`` at the top level. *Unconfirmed*: no public
#: client reads them; these are the plausible spellings.
HISTORY_LIST_KEYS: tuple[str, ...] = (
    "hisData", "historyData", "historyList", "hisList", "history", "oldData",
)
#: Keys of an object ``data`` that carry no records (paging).
DATA_OBJECT_KEYS: tuple[str, ...] = ("total", "pageNum", "pageSize", "count")
#: A record flagged by one of these keys with a true value (``true``, ``1``, ``"1"``, ``"Y"``,
#: ``"是"``, ``"true"``) is a history record. *Unconfirmed*.
HISTORY_FLAG_KEYS: tuple[str, ...] = ("isHistory", "historyFlag", "hisFlag", "isHis")
#: A record whose value under one of these keys mentions ``HISTORY_WORD`` is a history record.
HISTORY_TEXT_KEYS: tuple[str, ...] = ("dataType", "dataSource", "recordType")
HISTORY_WORD = "历史"
TRUE_FLAGS: frozenset[str] = frozenset({"true", "1", "y", "yes", "是", "历史", "历史数据"})


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which API keys fill one ``CertRecord`` attribute: the first key with a value wins.

    A key present with an empty value (``""``, ``null``, blanks) counts as absent.
    """

    attr: str
    keys: tuple[str, ...]
    #: The label the page shows (and the register uses) for the field.
    label: str
    is_date: bool = False
    #: A current record without a value for it makes the answer unrecognized.
    required: bool = False
    #: Whether a real answer has shown the first key. Nothing is, so far (see the README).
    confirmed: bool = False
    #: Every key with a value is read, not only the first (证书状态 sent as a code and a name).
    every_key: bool = False


# --- 证书状态 ---------------------------------------------------------------------------------

#: Keys that may carry a certificate's status. A RuoYi backend stores a status as a dictionary
#: code (``certStatus: "0"``, ``"05"``) and often sends the code's name beside it
#: (``certStatusName: "注销"``); others send the word itself under ``certStatus``. Every key here
#: with a value is read, names first. Words decide: a known word under any key (有效/正常 in
#: force, 注销/吊销/撤销 withdrawn, 过期/失效 lapsed; ``models.status_class``); a code beside a
#: word is taken for that word's code. Words of two meanings, an unknown word, or codes with no
#: word (and none in ``STATUS_CODES``) leave the status unknown: the record then decides
#: nothing (``record_incomplete``), its raw values shown. *Unconfirmed*: the plausible
#: spellings. ``status``/``state`` are read too: a cancellation sent there must not pass unseen,
#: and a key that turns out to mean something else shows in ``probe`` and is taken out here.
STATUS_KEYS: tuple[str, ...] = (
    "certStatusName", "certStatusLabel", "certStatusDesc", "certStatusText", "certStatusStr",
    "certStatusCn", "certStateName", "certStateLabel",
    "statusName", "statusLabel", "statusDesc", "statusText", "statusStr",
    "certStatus", "certState", "status", "state",
)
#: Keys of a yes/no flag beside or instead of a status (``validFlag: true``, ``isValid: 0``,
#: ``yxbz`` for 有效标志). What a flag means is not known, and ``false`` may well say the
#: certificate is not valid: so a flag is read as a status value too. ``true`` (``TRUE_STATUS_
#: FLAGS``) counts as a code: harmless beside a word that decides, deciding nothing alone. Any
#: other value (``false``, ``0``, ``N``) is never taken for a code: it is shown as
#: ``isValid:false`` and leaves the record's status unknown (``record_incomplete``), even beside
#: 有效. A word under a flag key (``validFlag: 有效``) is read as any status word.
STATUS_FLAG_KEYS: tuple[str, ...] = (
    "validFlag", "isValid", "valid", "validMark", "isEffective", "effective", "effectFlag",
    "effectiveFlag", "yxbz", "sfyx",
)
TRUE_STATUS_FLAGS: frozenset[str] = frozenset({"true", "1", "y", "yes"})
#: Per status key, the dictionary codes whose meaning a real answer has shown, as the word each
#: stands for (``{"certStatus": {"0": "有效", "05": "注销"}}``). Empty: no code is confirmed, and
#: a code guessed wrong would make a cancelled certificate valid. A known code is read as
#: ``05（注销）`` and decides as its word does; one that contradicts the name beside it leaves
#: the status unknown.
STATUS_CODES: dict[str, dict[str, str]] = {}


#: API record keys → ``CertRecord`` attributes. The one table to correct.
#:
#: Only the operation item is required. Without it no rule can tell what a certificate covers
#: (a record naming only its category would cover every item of the category), so a missing
#: item would turn into a wrong verdict either way. Everything else the rules already guard:
#: no ``name`` means the service matched the person itself; no 有效期结束日期 (or no
#: 应复审日期 past the first three years) makes the record ``record_incomplete``, never valid;
#: no certificate number compares as the ID number, which the number is believed to be; no
#: status means not revoked (the unknown-key report shows a status key the table missed).
RECORD_MAP: tuple[FieldMap, ...] = (
    FieldMap("name", ("name",), "姓名"),
    FieldMap("id_number", ("idcardNum", "idCard"), "证件号码"),
    FieldMap("cert_number", ("certNum", "certNumber", "certNo", "cardNo"), "证号"),
    FieldMap("category", ("jobCategoryName", "jobTypeName", "workType"), "作业类别"),
    FieldMap("item", ("operItemName", "allowItem", "certItem"), "操作项目", required=True),
    FieldMap(
        "first_issued",
        ("issueDate", "firstIssueDate", "initialDate", "firstDate"),
        "初领日期",
        is_date=True,
    ),
    FieldMap("valid_from", ("validBeginDate", "validFrom", "certStartDate"), "有效期开始日期",
             is_date=True),
    FieldMap("valid_until", ("validEndDate", "validUntil", "certEndDate"), "有效期结束日期",
             is_date=True),
    FieldMap("review_due", ("shouldReviewDate",), "应复审日期", is_date=True),
    FieldMap("reviewed", ("reviewDate",), "实际复审日期", is_date=True),
    FieldMap("issuer", ("issueOrgName", "issueAuth", "issueOrg"), "签发机关"),
    # 证书状态: 有效, 注销, 吊销 … A revoked or cancelled certificate does not count. Read from
    # every key of STATUS_KEYS (below) that has a value.
    FieldMap("status_text", STATUS_KEYS + STATUS_FLAG_KEYS, "证书状态", every_key=True),
)

#: Record keys read on purpose into nothing (the history markers are read, not mapped); they are
#: not reported as unknown.
KEPT_RAW_ONLY: tuple[str, ...] = HISTORY_FLAG_KEYS + HISTORY_TEXT_KEYS

#: Dates may come as epoch milliseconds (a Java backend's default); they are read in China's
#: time zone, as are date-times that carry another offset.
SERVICE_UTC_OFFSET_HOURS = 8
#: Dates a backend stores for "no date" or "no end" (长期): the far-future sentinels of Java
#: code and databases (2099-12-31, 2999-12-31, 9999-12-31) and the epoch or 1900 left where a
#: date was null. No special-operations certificate runs that long (6 years) or began that
#: early, so they are read as not a date: a validity "until 9999" must not make anyone valid.
DATE_SENTINEL_FROM_YEAR = 2099
DATE_SENTINEL_BEFORE_YEAR = 1971
#: How many digits an epoch date has: seconds (a date from 1973 to 2286) or milliseconds (from
#: 1973 on). 11 digits could be either and is not read; 8 digits are ``YYYYMMDD``.
EPOCH_SECONDS_DIGITS = (9, 10)
EPOCH_MILLIS_DIGITS = (12, 13)
#: Java's ``Date.toString()`` (a ``Date`` field serialised without a format):
#: ``Mon Mar 01 00:00:00 CST 2021``, in the zone it names, as hours from UTC. ``CST`` is China
#: Standard Time on a server in China (a JVM in the US would say CDT/CST for Central time, which
#: this service does not run in). Another zone is not read.
JAVA_DATE_ZONES: dict[str, int] = {
    "CST": 8, "GMT+08:00": 8, "GMT+8": 8, "UTC+08:00": 8, "HKT": 8, "UTC": 0, "GMT": 0,
}

# --- Java frameworks' envelopes ---------------------------------------------------------------
#
# The service is believed to be RuoYi (``{code, msg, data}``); the same answer may come in the
# envelope of another common Java framework, and each is read:
#
# * RuoYi's table answer: ``{code, msg, total, rows: [...]}``;
# * MyBatis-Plus's page: ``data: {records: [...], total, size, current, pages}``;
# * jeecg-boot: ``{success, message, code, result: {records, total, ...}}`` or ``result: [...]``;
# * ``data`` (or ``result``) as a JSON string holding the list or object;
# * ``success: true`` without any ``code``; ``success: false`` is a failure.
#
# Anything else (no code, no ``success``) is ``unrecognized_response``, never "nothing found".

#: Keys of the message: RuoYi says ``msg``, jeecg and others ``message``. All with text are read.
MSG_KEYS: tuple[str, ...] = (MSG_KEY, "message")
#: Where the records are: ``data``, or jeecg's ``result``.
BODY_KEYS: tuple[str, ...] = (DATA_KEY, "result")
#: ``true`` stands for ``OK_CODE`` when there is no ``code``; ``false`` is a failure whatever the
#: code says.
SUCCESS_KEY = "success"
#: How many records a paged answer has in all (at the top level, or in a page object).
TOTAL_KEY = "total"
#: Keys of a page object, or of the answer, that say how it is paged and hold no records:
#: RuoYi's, MyBatis-Plus's ``Page`` and jeecg's. ``current`` is also a list key: a number there
#: is MyBatis-Plus's page number, a list the current records.
PAGE_KEYS: tuple[str, ...] = (
    "total", "pageNum", "pageSize", "pageNo", "count", "current", "size", "pages", "orders",
    "searchCount", "optimizeCountSql", "optimizeJoinOfCountSql", "hitCount", "countId",
    "maxLimit", "isSearchCount",
)
#: Top-level keys of an answer that carry no records, besides ``ENVELOPE_KEYS``.
MORE_ENVELOPE_KEYS: tuple[str, ...] = (*MSG_KEYS, *BODY_KEYS, SUCCESS_KEY, *PAGE_KEYS)
#: The captcha answer may be nested under one of these (RuoYi-Vue-Plus: ``data.img``,
#: ``data.uuid``, ``data.captchaEnabled``), as an object or as a JSON string.
CAPTCHA_BODY_KEYS: tuple[str, ...] = (DATA_KEY, "result")
#: Switches that say whether a captcha is needed: ``captchaEnabled`` and RuoYi's older
#: ``captchaOnOff``. Off when one says ``false`` and none says ``true``.
CAPTCHA_SWITCH_KEYS: tuple[str, ...] = (CAPTCHA_ENABLED_KEY, "captchaOnOff")

# --- names --------------------------------------------------------------------------------

#: The service matches the name exactly. A name with a middle dot is asked again with these
#: dots in this order (then with none) when nothing was found; a Latin name in upper case.
NAME_DOTS: tuple[str, ...] = ("\u00b7", "\u2022", "\u30fb")
#: Every character that stands for a middle dot in a name as rosters and records write it.
NAME_DOT_CHARS = "\u00b7\u2022\u30fb\uff65\u2027\u22c5\u2219\u0387.．"
#: Extra queries per person, each with a new captcha.
MAX_NAME_VARIANTS = 2

# --- refusals: a web firewall or the service's own limiter ----------------------------------

#: HTTP statuses with which a web firewall (or the service) refuses a request instead of
#: answering it: 403 and 429, 405 (some cloud firewalls), 412 (a JavaScript challenge of
#: anti-bot products), 468 (a firewall's own code). Each is retried with backoff, slows the
#: whole run and is never read as an answer.
REFUSAL_STATUSES: frozenset[int] = frozenset({403, 405, 412, 429, 468})
#: The API never redirects: a redirect sends the client to a firewall's challenge page.
REFUSAL_REDIRECTS: frozenset[int] = frozenset({301, 302, 303, 307, 308})
#: A refusal when it says when to come back (``Retry-After``); without it, a fault as other
#: 5xx are.
REFUSAL_STATUSES_WITH_RETRY_AFTER: frozenset[int] = frozenset({503})
#: A JSON answer whose ``code`` is one of these is a refusal, whatever its ``msg``.
REFUSAL_CODES: frozenset[int] = frozenset({429})
#: A JSON answer whose ``msg`` contains one of these is the service's own rate limiter
#: (RuoYi's ``@RateLimiter`` says 访问过于频繁，请稍候再试 with code 500), on either endpoint,
#: whatever its ``code``: never an answer about a person.
REFUSAL_MARKERS: tuple[str, ...] = (
    "频繁", "限流", "次数过多", "请求过多", "访问过多",
    # A limiter that says "too fast", a firewall that answers in the service's own JSON
    # (您的请求已被拦截), and English limiters (compared in lower case).
    "过快", "拦截", "too many requests", "rate limit",
)
#: A captcha the service rejects with one of these had expired (or was unknown to it): the
#: person typed nothing wrong (RuoYi says 验证码已失效 for an expired one, 验证码错误 for a
#: wrong answer).
CAPTCHA_EXPIRED_MARKERS: tuple[str, ...] = ("失效", "过期")
