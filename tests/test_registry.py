from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openpyxl
import pytest

from certcheck.models import Found, NotFound, Query
from certcheck.sources.interface import SourceError
from certcheck.sources.registry import RegistrySource
from factories import make_id

HEADER = "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,实际复审日期,签发机关"
ID = make_id()


def _csv(tmp_path: Path, *rows: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "registry.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding=encoding)
    return path


def _lookup(source: RegistrySource, id_number: str = ID, name: str = "张三"):
    return asyncio.run(source.lookup(Query(id_number, name)))


def test_every_record_for_an_id(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        f"张三,{ID},T{ID},电工作业,低压电工作业,2016-01-01,2022-01-01,2028-01-01,2025-01-01,2024-12-01,重庆市应急管理局",
        f"张三,{ID},,焊接与热切割作业,熔化焊接与热切割作业,2020-01-01,2020-01-01,2026-01-01,2023-01-01,,重庆市应急管理局",
    )
    outcome = _lookup(RegistrySource(path))
    assert isinstance(outcome, Found)
    assert [r.item for r in outcome.records] == ["低压电工作业", "熔化焊接与热切割作业"]
    assert outcome.records[1].cert_number is None
    assert outcome.records[0].reviewed is not None
    assert isinstance(_lookup(RegistrySource(path), make_id("11010519491231002")), NotFound)


def test_gbk_csv(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"张三,{ID},,电工作业,低压电工作业,,,2028-01-01,2025-01-01,,", encoding="gbk")
    assert isinstance(_lookup(RegistrySource(path)), Found)


def test_json_and_xlsx_registries(tmp_path: Path) -> None:
    keys = HEADER.split(",")
    values = ["张三", ID, "", "电工作业", "高压电工作业", "", "", "2028-01-01", "2025-01-01", "", "x"]
    jpath = tmp_path / "r.json"
    jpath.write_text(json.dumps([dict(zip(keys, values, strict=True))], ensure_ascii=False), "utf-8")
    assert isinstance(_lookup(RegistrySource(jpath)), Found)
    xpath = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(keys)
    ws.append(values)
    wb.save(xpath)
    outcome = _lookup(RegistrySource(xpath))
    assert isinstance(outcome, Found)
    assert outcome.records[0].item == "高压电工作业"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("姓名,证号\n张三,1\n", "missing column"),
        (HEADER + f"\n张三,{ID},,电工作业,低压电工作业,,,someday,2025-01-01,,\n", "not a date"),
        (HEADER + "\n,,,电工作业,低压电工作业,,,2028-01-01,2025-01-01,,\n", "must not be empty"),
    ],
)
def test_malformed_registry_names_file_and_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(SourceError) as err:
        RegistrySource(path)
    assert "bad.csv" in str(err.value)
    assert message in str(err.value)


def test_missing_and_garbage_registry(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        RegistrySource(tmp_path / "nope.csv")
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\x01{{{")
    with pytest.raises(SourceError, match=r"junk\.json"):
        RegistrySource(junk)


def test_immediate_path_matches_the_engine_path(tmp_path: Path) -> None:
    from certcheck.check import EngineSettings, run_lookups

    path = _csv(tmp_path, f"张三,{ID},,电工作业,低压电工作业,,,2028-01-01,2025-01-01,,")
    other = make_id("11010519491231002")
    queries = [Query(ID, "张三"), Query(other, "李四"), Query(ID, "张三")]
    fast = run_lookups(RegistrySource(path), queries, EngineSettings())
    slow = run_lookups(RegistrySource(path), queries, EngineSettings(rate=1000))
    assert len(fast) == 2
    assert {q: a.outcome for q, a in fast.items()} == {q: a.outcome for q, a in slow.items()}
    assert all(a.source == "registry" and not a.cached for a in fast.values())


def test_a_raising_immediate_source_fails_the_lookup_not_the_run() -> None:
    from certcheck.check import EngineSettings, run_lookups
    from certcheck.models import Failed, Reason
    from certcheck.sources.interface import ImmediateSource

    class Broken(ImmediateSource):
        name = "broken"

        @classmethod
        def from_spec(cls, arg, options):  # type: ignore[no-untyped-def]
            return cls()

        def lookup_now(self, query: Query):  # type: ignore[no-untyped-def]
            raise RuntimeError(f"disk gone while reading {query.id_number}")

    answer = run_lookups(Broken(), [Query(ID, "张三")], EngineSettings())[Query(ID, "张三")]
    assert isinstance(answer.outcome, Failed)
    assert answer.outcome.reason is Reason.LOOKUP_FAILED
    assert ID not in answer.outcome.detail


def test_a_record_without_end_date_says_which_row_lacks_what(tmp_path: Path) -> None:
    from datetime import date

    from certcheck.rules import decide
    from factories import answer, worker

    path = _csv(
        tmp_path,
        f"张三,{ID},T{ID},电工作业,低压电工作业,2016-01-01,2022-01-01,,2025-01-01,2024-12-01,重庆市应急管理局",
    )
    source = RegistrySource(path)
    finding = decide(worker(id_number=ID), answer(_lookup(source)), date(2026, 11, 29),
                     traits=source.traits)
    assert (finding.status.value, finding.reason.value) == ("unverified", "record_incomplete")
    assert finding.detail == "官方记录缺少有效期结束日期（registry.csv 第 2 行）"


def test_certificate_status_column_is_read_and_revokes(tmp_path: Path) -> None:
    from datetime import date

    from certcheck.rules import decide
    from factories import answer, worker

    path = tmp_path / "registry.csv"
    path.write_text(
        HEADER + ",证书状态\n"
        f"张三,{ID},T{ID},电工作业,低压电工作业,2022-01-01,2022-01-01,2028-01-01,2025-01-01,2024-12-01,重庆市应急管理局,注销\n",
        encoding="utf-8",
    )
    source = RegistrySource(path)
    outcome = _lookup(source)
    assert isinstance(outcome, Found)
    assert outcome.records[0].status_text == "注销"
    assert outcome.records[0].to_dict()["证书状态"] == "注销"
    finding = decide(worker(id_number=ID), answer(outcome), date(2026, 11, 29), traits=source.traits)
    assert (finding.status.value, finding.reason.value) == ("uncertified", "revoked")


def test_a_registry_covers_the_regimes_it_holds(tmp_path: Path) -> None:
    from certcheck.models import Regime

    mem_only = _csv(
        tmp_path,
        f"张三,{ID},T{ID},电工作业,低压电工作业,2022-01-01,2022-01-01,2028-01-01,2025-01-01,,重庆市应急管理局",
    )
    assert RegistrySource(mem_only).traits.regimes == {Regime.MEM}
    other = tmp_path / "other"
    other.mkdir()
    with_forklift = _csv(
        other,
        f"张三,{ID},TS{ID},场（厂）内专用机动车辆作业,叉车司机,2022-01-01,2022-01-01,2026-12-31,2026-12-31,,重庆市市场监督管理局",
    )
    assert RegistrySource(with_forklift).traits.regimes == {Regime.MEM, Regime.SPECIAL_EQUIPMENT}


def test_iso_week_dates_are_not_registry_dates(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        f"张三,{ID},T{ID},电工作业,低压电工作业,2022-01-01,2022-01-01,2028-W10-1,2025-01-01,,重庆市应急管理局",
    )
    with pytest.raises(SourceError, match="有效期结束日期"):
        RegistrySource(path)
