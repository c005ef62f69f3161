"""Everything certcheck assumes about the national lookup's API, in one place.

The endpoints, parameters and record fields were read from public client code, not from any
published specification, so they are *unconfirmed*. When the service turns out to differ, the
fix belongs here and nowhere else; recorded raw responses (``SourceOptions.record_dir``) can then
be replayed through the corrected table with ``--source replay:DIR``.
"""

from __future__ import annotations

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
#: searchType 1 = by ID; idcardTypeCode 01 = 居民身份证; personTypeCode 03 = 特种作业人员.
QUERY_FIXED_PARAMS: dict[str, str] = {
    "searchType": "1",
    "idcardTypeCode": "01",
    "personTypeCode": "03",
}

# Keys of the captcha answer.
CAPTCHA_IMAGE_KEY = "img"
CAPTCHA_UUID_KEY = "uuid"
#: The RuoYi framework the service appears to be built on sends ``captchaEnabled: false`` when
#: the captcha is switched off; then no answer is needed.
CAPTCHA_ENABLED_KEY = "captchaEnabled"

# Keys of the query answer.
CODE_KEY = "code"
MSG_KEY = "msg"
DATA_KEY = "data"
OK_CODE = 200
#: A ``msg`` containing this means the captcha answer was wrong or has expired.
CAPTCHA_MARKER = "验证码"
#: RuoYi leaves ``data`` out of a success answer that carries nothing. Whether this service
#: does that for "nothing found" is unconfirmed, and guessing wrong would turn a changed answer
#: into a "fake" verdict, so an absent ``data`` counts as unrecognized until seen for real.
MISSING_DATA_MEANS_NOT_FOUND = False


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which API keys fill one ``CertRecord`` attribute (the first key present wins)."""

    attr: str
    keys: tuple[str, ...]
    is_date: bool = False
    #: The key must be present in every record; a record without it means the API changed.
    required: bool = False
    confirmed: bool = True


#: API record keys → ``CertRecord`` attributes. The one table to correct.
RECORD_MAP: tuple[FieldMap, ...] = (
    FieldMap("name", ("name",), required=True),
    FieldMap("id_number", ("idcardNum",)),
    FieldMap("cert_number", ("certNum",)),
    # Without category, item and end date the rules would misjudge silently (an absent end
    # date reads as "no end"), so their keys are required.
    FieldMap("category", ("jobCategoryName",), required=True),
    FieldMap("item", ("operItemName",), required=True),
    # Not seen in any public client: guesses, kept optional.
    FieldMap(
        "first_issued",
        ("firstIssueDate", "initialDate", "firstDate", "issueDate"),
        is_date=True,
        confirmed=False,
    ),
    FieldMap("valid_from", ("validBeginDate",), is_date=True),
    FieldMap("valid_until", ("validEndDate",), is_date=True, required=True),
    FieldMap("review_due", ("shouldReviewDate",), is_date=True),
    FieldMap("reviewed", ("reviewDate",), is_date=True),
    FieldMap("issuer", ("issueOrgName",)),
    # 证书状态: 有效, 注销, 吊销 … A revoked or cancelled certificate does not count.
    FieldMap("status_text", ("certStatus",)),
)

#: Keys read from the API that ``CertRecord`` has no place for; they stay in the raw answer.
KEPT_RAW_ONLY: tuple[str, ...] = ()
