"""Reading a registry for a few IDs (``certcheck lookup``) checks the file as reading all of it
does: the same records for those IDs, the same regimes, the same errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from certcheck.sources.interface import SourceError, SourceOptions
from certcheck.sources.registry import RegistrySource, load_registry, scan_registry
from factories import make_id

HEADER = "姓名,证件号码,证号,作业类别,操作项目,初领日期,有效期开始日期,有效期结束日期,应复审日期,实际复审日期,签发机关"
ID = make_id()
OTHER = make_id("11010519491231002")
ROW = "{name},{id},T{id},电工作业,低压电工作业,2019-01-01,2019-01-01,2025-01-01,2022-01-01,{reviewed},重庆市应急管理局"


def row(id_number: str = ID, name: str = "张三", reviewed: str = "2021-12-20") -> str:
    return ROW.format(name=name, id=id_number, reviewed=reviewed)


CASES: dict[str, str | bytes] = {
    "plain": "\n".join([HEADER, row(), row(OTHER, "李四"), row(reviewed="")]),
    "lower x and full width": "\n".join(
        [HEADER, row(ID.lower() if ID.endswith("X") else ID, "张三"),
         row(OTHER.translate(str.maketrans("0123456789", "０１２３４５６７８９")), "李四")]),
    "spaces around the ID": "\n".join([HEADER, row(f" {ID} "), row(f"{OTHER} ", "李四")]),
    "excel text cells": "\n".join([HEADER, row(f'="{ID}"'), row(OTHER, "李四")]),
    "blank lines": "\n".join([HEADER, "", row(), ",,,,,,,,,,", row(OTHER, "李四"), ""]),
    "quoted newline": "\n".join([HEADER, row(OTHER, '"李\n四"'), row()]),
    "slash dates": "\n".join([HEADER, row(OTHER, "李四").replace("2019-01-01", "2019/1/1"), row()]),
    "bad date elsewhere": "\n".join([HEADER, row(), row(OTHER, "李四", "明年")]),
    "number ID elsewhere": "\n".join([HEADER, row(), row("5.00381E+17", "李四")]),
    "empty name elsewhere": "\n".join([HEADER, row(), row(OTHER, "")]),
    "missing column": "\n".join([HEADER.replace("应复审日期,", "复审,"), row()]),
    "duplicate label": "\n".join([HEADER + ",证件号码", row() + "," + OTHER, row(OTHER, "李四")]),
    "short row": "\n".join([HEADER, row(), f"李四,{OTHER},T1,电工作业"]),
    "other regime": "\n".join([HEADER, row(), row(OTHER, "李四").replace(
        "电工作业,低压电工作业", "特种设备作业,叉车司机")]),
    "semicolons": "\n".join([HEADER.replace(",", ";"), row().replace(",", ";")]),
    "header only": HEADER,
    "empty": "",
    "gbk": ("\n".join([HEADER, row(), row(OTHER, "李四")])).encode("gb18030"),
    "nul bytes": ("\n".join([HEADER, row(), row(OTHER, "李四")])).replace("张", "张\x00"),
}


def _outcome(read):  # type: ignore[no-untyped-def]
    try:
        return read()
    except SourceError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("case", sorted(CASES))
def test_scan_matches_the_full_read(tmp_path: Path, case: str) -> None:
    path = tmp_path / "registry.csv"
    content = CASES[case]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content + "\n" if content else "", "utf-8")
    for ids in ({ID}, {OTHER}, {ID, OTHER}, {"nobody"}):
        full = _outcome(lambda: load_registry(path))
        scanned = _outcome(lambda ids=ids: scan_registry(path, frozenset(ids)))  # type: ignore[misc]
        if isinstance(full, tuple):
            assert scanned == full
            continue
        records, kinds = scanned
        assert records == {k: v for k, v in full.items() if k in ids}
        assert kinds == {(r.category, r.item) for rs in full.values() for r in rs}
        whole = RegistrySource(path)
        assert RegistrySource(path, frozenset(ids)).covered_regimes() == whole.covered_regimes()


def test_other_formats_are_read_whole_then_kept_for_the_ids(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(f'[{{"姓名": "张三", "证件号码": "{ID}", "作业类别": "电工作业", '
                    '"操作项目": "低压电工作业", "有效期结束日期": "2025-01-01", '
                    '"应复审日期": "2022-01-01"}]', "utf-8")
    assert set(scan_registry(path, frozenset({ID}))[0]) == {ID}
    assert scan_registry(path, frozenset({OTHER}))[0] == {}
    bomb = tmp_path / "registry.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (64 * 1024 * 1024))
    with pytest.raises(SourceError, match="压缩炸弹"):
        scan_registry(bomb, frozenset({ID}))


def test_a_source_opened_for_one_id_still_answers_any(tmp_path: Path) -> None:
    import asyncio

    from certcheck.models import Found, Query

    path = tmp_path / "registry.csv"
    path.write_text("\n".join([HEADER, row(), row(OTHER, "李四")]) + "\n", "utf-8")
    source = RegistrySource.from_spec(str(path), SourceOptions(ids=frozenset({ID})))
    assert isinstance(asyncio.run(source.lookup(Query(ID, "张三"))), Found)
    assert isinstance(asyncio.run(source.lookup(Query(OTHER, "李四"))), Found)
