"""The special-equipment lookup (``--source samr``): how its answers are read, how a month-only
date decides, and the source against the stand-in (``tests/samr_server.py``) and against
answers no stand-in option makes (``httpx.MockTransport``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from certcheck.cache import AnswerCache
from certcheck.check import EngineSettings, run_lookups
from certcheck.cli.slider_prompt import PromptSliderSolver
from certcheck.cli.slider_solvers import load_slider_solver
from certcheck.cli.slider_web import WebSliderSolver
from certcheck.dates import MonthDate, month_date
from certcheck.models import (
    Answer,
    CertRecord,
    Failed,
    FailureKind,
    Found,
    NotFound,
    Query,
    Reason,
    Regime,
    SourceTraits,
    Status,
    WarningCode,
    Worker,
)
from certcheck.rules import decide, needs_lookup
from certcheck.sources.captcha import CaptchaError, NoSolverError
from certcheck.sources.interface import SourceError
from certcheck.sources.plugins import open_source
from certcheck.sources.samr import SamrSource
from certcheck.sources.samr_answer import (
    Kind,
    combine,
    read_captcha,
    read_item,
    read_list,
    read_record,
    read_samr_date,
    read_single,
    read_valid_code,
)
from certcheck.sources.samr_options import SamrOptions
from certcheck.sources.slider import NoSliderSolver, SliderPuzzle, SliderSolver
from factories import CHECKED_AT, nth_id, worker
from samr_server import SamrServer, lic_record, solver_program

SE = SourceTraits(frozenset({Regime.SPECIAL_EQUIPMENT}))
ID = nth_id(7)
QUERY = Query(ID, "张三")


def se_record(until: date | None, *, start: date | None = date(2024, 3, 10),
              item: str = "叉车司机", status: str | None = "1（有效）") -> CertRecord:
    return CertRecord(name="张三", id_number=ID, cert_number=ID, category=None, item=item,
                      first_issued=None, valid_from=start, valid_until=until, review_due=None,
                      reviewed=None, issuer="重庆市市场监督管理局", status_text=status)


def verdict(record: CertRecord, as_of: date, **declared: Any) -> tuple[Status, Reason, str]:
    who = worker("张三", ID, item=declared.pop("item", "叉车司机"), **declared)
    finding = decide(who, Answer(Found((record,)), "samr", CHECKED_AT), as_of, traits=SE)
    return finding.status, finding.reason, finding.detail or ""


# --- a month-only end date -----------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "expected"), [
    (date(2026, 11, 30), (Status.VALID, Reason.OK)),  # the whole month is still ahead
    (date(2026, 12, 1), (Status.VALID, Reason.OK)),  # every day of December is on or after it
    (date(2026, 12, 2), (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)),
    (date(2026, 12, 31), (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)),
    (date(2027, 1, 1), (Status.EXPIRED, Reason.VALIDITY_ENDED)),  # every day of it has passed
])
def test_an_end_month_decides_only_where_every_day_of_it_would(
    as_of: date, expected: tuple[Status, Reason]
) -> None:
    status, reason, detail = verdict(se_record(month_date(2026, 12)), as_of)
    assert (status, reason) == expected
    if reason is Reason.RECORD_INCOMPLETE:
        assert "只写到月份（2026-12）" in detail and as_of.isoformat() in detail


def test_a_start_month_that_may_lie_ahead_shows_no_state() -> None:
    record = se_record(date(2030, 12, 1), start=month_date(2026, 12))
    assert verdict(record, date(2026, 12, 7))[:2] == (Status.UNVERIFIED,
                                                      Reason.RECORD_INCOMPLETE)
    assert verdict(record, date(2027, 1, 1))[:2] == (Status.VALID, Reason.OK)


def test_an_end_month_is_not_before_a_start_in_that_month() -> None:
    record = se_record(month_date(2030, 3), start=date(2030, 3, 15))
    assert verdict(record, date(2030, 3, 20))[1] is Reason.RECORD_INCOMPLETE
    assert "自相矛盾" not in verdict(record, date(2030, 3, 20))[2]


def test_a_roster_date_in_the_records_month_is_not_outdated() -> None:
    record = se_record(month_date(2028, 3))
    who = worker("张三", ID, item="叉车司机", cert_number=ID, valid_until=date(2028, 3, 9))
    finding = decide(who, Answer(Found((record,)), "samr", CHECKED_AT), date(2026, 12, 7),
                     traits=SE)
    assert finding.status is Status.VALID
    assert WarningCode.ROSTER_OUTDATED not in finding.warnings
    other = worker("张三", ID, item="叉车司机", cert_number=ID, valid_until=date(2028, 4, 9))
    assert WarningCode.ROSTER_OUTDATED in decide(
        other, Answer(Found((record,)), "samr", CHECKED_AT), date(2026, 12, 7),
        traits=SE).warnings


def test_a_month_is_no_day_to_a_dictionary_or_a_cache(tmp_path: Path) -> None:
    march, first = month_date(2028, 3), date(2028, 3, 1)
    assert march != first and first != march and {march: 1}.get(first) is None
    assert str(march) == march.isoformat() == "2028-03"
    cache = AnswerCache(tmp_path, max_age=timedelta(days=7), now=lambda: CHECKED_AT)
    cache.put("samr:x", QUERY, Answer(Found((se_record(march),)), "samr", CHECKED_AT))
    back = cache.get("samr:x", QUERY)
    cache.close()
    assert back is not None and isinstance(back.outcome, Found)
    (record,) = back.outcome.records
    assert isinstance(record.valid_until, MonthDate) and record.valid_until == march
    assert record.to_dict()["有效期结束日期"] == "2028-03"


# --- reading the answers ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "item"), [
    ("叉车司机", "叉车司机"), ("N1", "N1"), ("叉车司机(N1)", "叉车司机(N1)"),
    ("N1叉车司机", "叉车司机"), ("Q2 起重机司机", "Q2 起重机司机"), ("G1工业锅炉司炉", "工业锅炉司炉"),
])
def test_items_by_name_or_code_are_understood(text: str, item: str) -> None:
    assert read_item(text)[0] == item
    assert verdict(se_record(date(2028, 3, 9), item=read_item(text)[0]), date(2026, 12, 7),
                   item=item)[:2] == (Status.VALID, Reason.OK)


@pytest.mark.parametrize("text", ["Q2叉车司机", "SMAW-FeII-2G-12-Fef3J", "N1 起重机司机"])
def test_an_item_read_two_ways_or_not_at_all_decides_nothing(text: str) -> None:
    item, note = read_item(text)
    assert verdict(se_record(date(2028, 3, 9), item=item), date(2026, 12, 7),
                   item="叉车司机")[:2] == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert note is not None and "decides nothing" in note


def test_another_authoritys_item_in_the_answer_is_not_understood() -> None:
    reading = read_record(lic_record("张三", ID, "低压电工作业"), QUERY)
    assert reading.record is None and "mem" in (reading.problem or "")


@pytest.mark.parametrize(("text", "expected"), [
    ("2027-03", month_date(2027, 3)), ("2027年3月", month_date(2027, 3)),
    ("2027-03-09", date(2027, 3, 9)), ("2027-03-09 00:00:00", date(2027, 3, 9)),
])
def test_dates_to_the_day_or_to_the_month(text: str, expected: date) -> None:
    read = read_samr_date(text)
    assert read == expected and type(read) is type(expected)


@pytest.mark.parametrize("text", ["9999-12", "1900-01", "长期", "2027-13", "2027"])
def test_what_is_no_date_or_month_is_not_read_as_one(text: str) -> None:
    with pytest.raises(ValueError):
        read_samr_date(text)


def test_valid_flag_other_than_one_leaves_the_status_unknown() -> None:
    one = read_record(lic_record("张三", ID, flag="1"), QUERY).record
    zero = read_record(lic_record("张三", ID, flag="0"), QUERY).record
    assert one is not None and zero is not None
    assert one.status_text == "1（有效）"
    assert verdict(zero, date(2026, 12, 7))[:2] == (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)
    assert "validFlag:0" in verdict(zero, date(2026, 12, 7))[2]


def test_a_record_of_another_id_is_nobodys_verdict() -> None:
    reading = read_record(lic_record("张三", nth_id(8)), QUERY)
    assert reading.record is None and "不符" in (reading.problem or "")


def _single(records: list[dict[str, Any]] | None, text: str = "") -> dict[str, Any]:
    if records is None:
        return {"messageLevel": "info", "messageText": text, "data": None}
    return {"messageLevel": "info", "messageText": text,
            "data": {"type": "person", "data": records[0]}}


def test_the_full_list_decides_and_the_single_answer_must_agree() -> None:
    forklift, crane = lic_record("张三", ID), lic_record("张三", ID, "起重机司机", number="TS1")
    both = read_list({"errcode": 0, "licList": [forklift, crane]}, QUERY)
    empty = read_list({"errcode": 0, "licList": []}, QUERY)
    only_forklift = read_list({"errcode": 0, "licList": [forklift]}, QUERY)
    shows_crane = read_single(_single([crane]), QUERY)
    nothing = read_single(_single(None, "未查询到相关信息"), QUERY)
    assert combine(shows_crane, both).kind is Kind.FOUND
    assert len(combine(shows_crane, both).records) == 2
    assert combine(nothing, empty).kind is Kind.NOT_FOUND
    for single, listed in ((shows_crane, only_forklift), (shows_crane, empty),
                           (nothing, both)):
        together = combine(single, listed)
        assert together.kind is Kind.UNRECOGNIZED and together.problem


@pytest.mark.parametrize("answer", [
    {"messageLevel": "error", "messageText": "系统繁忙", "data": None},
    {"messageLevel": "info", "messageText": "", "data": None},
    {"messageLevel": "info", "messageText": "未查询到，系统异常", "data": None},
    {"messageLevel": "info", "data": {"type": "company", "data": {"ryxm": "x"}}},
])
def test_a_single_answer_without_a_record_or_a_clear_none_is_not_understood(
    answer: dict[str, Any],
) -> None:
    assert read_single(answer, QUERY).kind is Kind.UNRECOGNIZED


@pytest.mark.parametrize(("answer", "kind"), [
    ({"data": {"licList": [lic_record("张三", ID)]}}, Kind.FOUND),
    ({"licList": None}, Kind.UNRECOGNIZED),
    ({"errcode": 0}, Kind.UNRECOGNIZED),
    ({"errcode": 1, "licList": []}, Kind.UNRECOGNIZED),
    ({"licList": [], "data": {"licList": []}}, Kind.UNRECOGNIZED),
    ({"licList": [{"ryxm": "张三", "sfzh": ID, "yxrqz": "2028-03-09"}]}, Kind.UNRECOGNIZED),
])
def test_list_shapes(answer: dict[str, Any], kind: Kind) -> None:
    assert read_list(answer, QUERY).kind is kind


@pytest.mark.parametrize(("page", "code"), [
    ('<input type="hidden" id="validCode" value="ab12cd">', "ab12cd"),
    ("<input value='ab12cd' name='v' id='validCode'/>", "ab12cd"),
    ("<html>请先完成验证</html>", None),
    ('<i id="validCode" value="a"><i id="validCode" value="b">', None),
    ('<input id="validCode" value="a&quot;b">', None),
])
def test_the_valid_code_of_the_page(page: str, code: str | None) -> None:
    assert read_valid_code(page) == code


def test_a_captcha_whose_images_are_none_is_not_a_puzzle() -> None:
    assert isinstance(read_captcha({"errcode": 0, "yHeight": 3, "bigImage": "aGVsbG8=",
                                    "smallImage": "aGVsbG8="}), str)
    assert isinstance(read_captcha({"errcode": 5, "errmsg": "系统繁忙"}), str)


# --- the source --------------------------------------------------------------------------------


def lookups(server: SamrServer, tmp_path: Path, ids: list[str], delta: int = 0,
            **names: str) -> dict[Query, Answer]:
    assert server.answer_file is not None
    options = SamrOptions(samr_url=server.url, timeout=5, solver=load_slider_solver(
        solver_program(tmp_path, server.answer_file, delta), interactive=False))
    source = open_source("samr", options)
    queries = [Query(i, names.get(i, "张三")) for i in ids]
    return run_lookups(source, queries, EngineSettings.for_source(source, rate=100))


def test_a_person_with_several_certificates_is_judged_on_them_all(tmp_path: Path) -> None:
    records = [lic_record("张三", ID, "起重机司机", number="TS-Q2"),
               lic_record("张三", ID, "叉车司机", number=ID)]
    # The single answer shows the crane card: from it alone the forklift would look uncovered.
    with SamrServer({ID: records}, answer_file=tmp_path / "gap.json") as server:
        answers = lookups(server, tmp_path, [ID])
    who = worker("张三", ID, item="叉车司机", cert_number=ID)
    finding = decide(who, answers[QUERY], date(2026, 12, 7), traits=SE)
    assert (finding.status, finding.reason) == (Status.VALID, Reason.OK)
    assert server.violations == []
    assert (server.counts.page, server.counts.single, server.counts.list) == (1, 1, 1)


def test_a_list_lacking_the_single_answers_certificate_decides_nothing(tmp_path: Path) -> None:
    shown = lic_record("张三", ID, "起重机司机", number="TS-Q2")
    with SamrServer({ID: [shown]}, answer_file=tmp_path / "gap.json",
                    raw={ID: {"list": {"errcode": 0, "licList": [lic_record("张三", ID)]}}},
                    ) as server:
        answers = lookups(server, tmp_path, [ID])
    outcome = answers[QUERY].outcome
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.UNRECOGNIZED_RESPONSE
    assert "单条查询的证书不在完整列表中" in outcome.detail


def test_a_slider_not_slid_to_the_gap_is_captcha_failed_and_asks_nothing(tmp_path: Path) -> None:
    with SamrServer({ID: [lic_record("张三", ID)]}, answer_file=tmp_path / "gap.json",
                    ) as server:
        answers = lookups(server, tmp_path, [ID], delta=25)
    outcome = answers[QUERY].outcome
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.CAPTCHA_FAILED
    assert server.counts.rejected == server.counts.check == 3
    assert server.counts.single == 0


def test_each_lookup_passes_its_own_slider_in_the_one_session(tmp_path: Path) -> None:
    people = {nth_id(i): [lic_record(f"工人{i}", nth_id(i))] for i in range(4)}
    with SamrServer(people, answer_file=tmp_path / "gap.json") as server:
        answers = lookups(server, tmp_path, list(people),
                          **{nth_id(i): f"工人{i}" for i in range(4)})
    assert all(isinstance(a.outcome, Found) for a in answers.values())
    assert server.counts.page == 1 and len(server.sessions) == 1
    assert server.counts.captcha == server.counts.list == 4
    assert server.violations == []


def test_nobody_unknown_to_both_answers_is_not_found(tmp_path: Path) -> None:
    with SamrServer({}, answer_file=tmp_path / "gap.json") as server:
        answers = lookups(server, tmp_path, [ID])
    assert isinstance(answers[QUERY].outcome, NotFound)


def test_the_stand_in_refuses_requests_outside_the_session(tmp_path: Path) -> None:
    with SamrServer({}) as server:
        bare = httpx.get(server.url + "/info-pub/pub/pubQueryVCodeData.json")
        with httpx.Client(base_url=server.url) as client:
            client.get("/info-pub/pub")
            no_header = client.get("/info-pub/pub/pubQueryVCodeData.json",
                                   headers={"Referer": server.url + "/info-pub/pub"})
    assert bare.status_code == no_header.status_code == 403
    assert len(server.violations) == 2


def transport_source(answers: dict[str, Callable[[httpx.Request], httpx.Response]],
                     offset: int = 10) -> SamrSource:
    def handle(request: httpx.Request) -> httpx.Response:
        return answers[request.url.path](request)

    class Fixed(SliderSolver):
        name = "fixed"

        @classmethod
        def from_spec(cls, arg: str | None, *, interactive: bool) -> SliderSolver:
            return cls()

        async def solve(self, puzzle: Any, *, attempt: int) -> int:
            return offset

    return SamrSource(solver=Fixed(), base_url="http://samr.test",
                      transport=httpx.MockTransport(handle))


def _captcha_answer(request: httpx.Request) -> httpx.Response:
    import base64
    import random

    from samr_server import make_puzzle

    background, piece, _, y = make_puzzle(random.Random(1))
    return httpx.Response(200, json={"errcode": 0, "yHeight": y,
                                     "bigImage": base64.b64encode(background).decode(),
                                     "smallImage": base64.b64encode(piece).decode()})


def _run(source: SamrSource) -> Any:
    async def main() -> Any:
        try:
            return await source.lookup(QUERY)
        finally:
            await source.aclose()

    return asyncio.run(main())


def test_a_firewall_refusal_is_a_failed_lookup_worth_retrying() -> None:
    source = transport_source({
        "/info-pub/pub": lambda r: httpx.Response(200, text="<html></html>"),
        "/info-pub/pub/pubQueryVCodeData.json": lambda r: httpx.Response(
            429, text="<html>too many</html>", headers={"Retry-After": "3"}),
    })
    outcome = _run(source)
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED
    assert outcome.transient and outcome.retry_after == 3


def test_an_html_page_where_json_belongs_is_never_an_answer() -> None:
    ok = {"errcode": 0}
    source = transport_source({
        "/info-pub/pub": lambda r: httpx.Response(200, text="<html></html>"),
        "/info-pub/pub/pubQueryVCodeData.json": _captcha_answer,
        "/info-pub/pub/checkPubQuerycode.json": lambda r: httpx.Response(200, json=ok),
        "/info-pub/pub/remotePubQuery.json": lambda r: httpx.Response(
            200, json={"messageText": "未查询到相关信息", "data": None}),
        "/info-pub/pub/perResult": lambda r: httpx.Response(
            200, text='<input id="validCode" value="abc">'),
        "/info-pub/pub/getPerInfoBySfzh.json": lambda r: httpx.Response(
            200, text="<html><script>challenge()</script></html>"),
    })
    outcome = _run(source)
    # Nothing found by the single answer, and a firewall's page in place of the list: a
    # refusal, asked again, never "nothing found".
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED
    assert outcome.transient and "refused" in outcome.detail


def test_the_limiters_words_in_the_answer_are_a_refusal() -> None:
    source = transport_source({
        "/info-pub/pub": lambda r: httpx.Response(200, text="<html></html>"),
        "/info-pub/pub/pubQueryVCodeData.json": lambda r: httpx.Response(
            200, json={"errcode": 500, "errmsg": "访问过于频繁，请稍后再试"}),
    })
    outcome = _run(source)
    assert isinstance(outcome, Failed) and outcome.kind is FailureKind.LOOKUP_FAILED
    assert outcome.transient and "rate limiter" in outcome.detail


def test_the_source_covers_special_equipment_only() -> None:
    source = open_source("samr", SamrOptions(solver=NoSliderSolver("none")))
    assert source.traits.regimes == frozenset({Regime.SPECIAL_EQUIPMENT})
    electrician = Worker(row=2, name="张三", id_number=ID)
    assert needs_lookup(worker("张三", ID, item="叉车司机"), source.traits)
    assert not needs_lookup(worker("张三", ID, item="低压电工作业"), source.traits)
    assert needs_lookup(electrician, source.traits)  # nothing declared: any certificate
    assert source.cache_identity == "samr:https://cnse.samr.gov.cn"
    mirror = open_source("samr:https://cnse.e-cqs.cn", SamrOptions(solver=NoSliderSolver("x")))
    assert mirror.cache_identity == "samr:https://cnse.e-cqs.cn"
    with pytest.raises(SourceError, match="--samr-url"):
        open_source("samr", SamrOptions(samr_url="ftp://x", solver=NoSliderSolver("x")))


def test_solver_names_for_the_slider() -> None:
    assert isinstance(load_slider_solver("slider-prompt", True), PromptSliderSolver)
    assert isinstance(load_slider_solver("prompt", True), PromptSliderSolver)
    assert isinstance(load_slider_solver("slider-web", False), WebSliderSolver)
    assert isinstance(load_slider_solver("viewer", True), WebSliderSolver)
    assert isinstance(load_slider_solver(None, False), NoSliderSolver)
    assert isinstance(load_slider_solver("slider-prompt", False), NoSliderSolver)
    with pytest.raises(SourceError, match="slider-web"):
        load_slider_solver("ocr", True)
    with pytest.raises(SourceError, match="command"):
        load_slider_solver("command:", False)


def test_every_built_in_name_is_in_the_project_metadata() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    points = project["project"]["entry-points"]
    assert points["certcheck.sources"]["samr"] == "certcheck.sources.samr:SamrSource"
    assert set(points["certcheck.slider_solvers"]) == {"slider-web", "slider-prompt", "command"}


def test_a_body_without_end_is_a_fault_not_an_answer() -> None:
    huge = b'{"errcode": 0, "licList": [' + b" " * (9 * 1024 * 1024) + b"]}"
    source = transport_source({
        "/info-pub/pub": lambda r: httpx.Response(200, text="<html></html>"),
        "/info-pub/pub/pubQueryVCodeData.json": lambda r: httpx.Response(200, content=huge),
    })
    outcome = _run(source)
    assert isinstance(outcome, Failed) and outcome.transient
    assert "too large" in outcome.detail


@pytest.mark.parametrize(("printed", "expected"), [
    ("123", 123), ("１２３", 123), (" 123.4\n", 123), ("abc", CaptchaError), ("9999", CaptchaError),
    ("", CaptchaError),
])
def test_what_a_slider_program_prints(tmp_path: Path, printed: str,
                                      expected: int | type[Exception]) -> None:
    import random

    from samr_server import HEIGHT, PIECE_HEIGHT, PIECE_WIDTH, WIDTH, make_puzzle

    background, piece, _, y = make_puzzle(random.Random(2))
    puzzle = SliderPuzzle(background, piece, y, WIDTH, HEIGHT, PIECE_WIDTH, PIECE_HEIGHT)
    program = tmp_path / "say.py"
    program.write_text(f"import sys\nassert len(sys.argv) == 4\nprint({printed!r}, end='')\n")
    solver = load_slider_solver(f"command:{sys.executable} {program}", interactive=False)

    async def main() -> int:
        try:
            return await solver.solve(puzzle, attempt=1)
        finally:
            await solver.aclose()

    if isinstance(expected, int):
        assert asyncio.run(main()) == expected
    else:
        with pytest.raises(expected):
            asyncio.run(main())


def test_a_slider_program_that_cannot_run_stops_asking(tmp_path: Path) -> None:
    solver = load_slider_solver(f"command:{tmp_path / 'missing'}", interactive=False)
    with pytest.raises(NoSolverError):
        asyncio.run(solver.solve(SliderPuzzle(b"", b"", 0, 1, 1, 1, 1), attempt=1))
