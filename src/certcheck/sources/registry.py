"""``registry:PATH``: a local file of official records, the mock of the national lookup.

One record per row (CSV, XLSX) or per object (JSON), with the national lookup's labels.
The file is read once, fully validated, and indexed by ID number.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from certcheck.catalog import load_catalog
from certcheck.dates import iso_date, parse_date
from certcheck.ids import normalize_id
from certcheck.models import (
    DATE_FIELDS,
    RECORD_FIELDS,
    STATUS_LABEL,
    CertRecord,
    Found,
    NotFound,
    Outcome,
    Query,
    Regime,
)
from certcheck.sources.interface import (
    NATIONAL_PUBLICATION_DELAY,
    ImmediateSource,
    SourceError,
    SourceOptions,
)
from certcheck.tablefile.errors import UnusableFile
from certcheck.tablefile.guards import check_file_size, special_file
from certcheck.tablefile.opening import read_first_sheet

# An ID written the way Excel writes a number it has rounded (5.00381E+17, 500381198503150000.0):
# the last digits are gone, so no record can be matched to it.
_NUMBER_TEXT = re.compile(r"\s*[+-]?\d+(?:\.\d*(?:[eE][+-]?\d+)?|[eE][+-]?\d+)\s*")

REQUIRED = ("姓名", "证件号码", "作业类别", "操作项目", "有效期结束日期", "应复审日期")
_LABEL_TO_ATTR = dict(RECORD_FIELDS)


class RegistrySource(ImmediateSource):
    name = "registry"
    description = ("本地登记文件（CSV、XLSX 或 JSON）中的官方记录：registry:文件路径 "
                   "(a local registry file)")
    # A registry stands in for the national lookup (SPEC.md), so it is taken to be as late.
    publication_delay = NATIONAL_PUBLICATION_DELAY

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_id = load_registry(path)
        catalog = load_catalog()
        self._regimes = frozenset(
            {Regime.MEM}
            | {
                catalog.record_regime(r.category, r.item)
                for records in self._by_id.values()
                for r in records
            }
        )

    def covered_regimes(self) -> frozenset[Regime]:
        """特种作业 always; 特种设备 and 建筑施工 when the file holds records of them."""
        return self._regimes

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> RegistrySource:
        if not arg:
            raise SourceError("registry 数据源需要一个文件：--source registry:文件路径"
                              "（the registry source needs a file）")
        return cls(Path(arg))

    def lookup_now(self, query: Query) -> Outcome:
        records = self._by_id.get(query.id_number)
        return Found(records) if records else NotFound()

    @property
    def cache_identity(self) -> str:
        return f"registry:{self.path.resolve()}"

    @property
    def input_files(self) -> tuple[Path, ...]:
        return (self.path,)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())


def load_registry(path: Path) -> dict[str, tuple[CertRecord, ...]]:
    """Read and validate a registry file; SourceError names the file and the problem."""
    if not path.exists():
        raise SourceError(f"找不到登记文件 {path}（registry file not found）")
    if path.is_dir():
        raise SourceError(f"登记文件 {path} 是文件夹，请给出其中的登记文件（a folder）")
    if special_file(path):
        raise SourceError(f"登记文件 {path} 不是普通文件（管道、设备等）（not a regular file）")
    try:
        if path.suffix.lower() == ".json":
            rows: Iterable[tuple[int, Mapping[str, object]]] = _json_rows(path)
        else:
            rows = _sheet_rows(path)
        by_id: defaultdict[str, list[CertRecord]] = defaultdict(list)
        unit = "条记录" if path.suffix.lower() == ".json" else "行"
        for where, row in rows:
            record = _record(row, where, f"{path.name} 第 {where} {unit}")
            by_id[record.id_number].append(record)
    except SourceError as exc:
        raise SourceError(f"登记文件 {path.name} 有误：{exc}") from None
    except UnusableFile as exc:
        # The file safety layer names the file itself.
        raise SourceError(f"登记文件有误：{exc}") from None
    except RecursionError:
        raise SourceError(f"登记文件 {path.name} 有误：嵌套层次太深（nested too deeply）") from None
    except (OSError, UnicodeError, ValueError, csv.Error) as exc:
        raise SourceError(f"登记文件 {path.name} 无法读取（{exc}）") from None
    return {k: tuple(v) for k, v in by_id.items()}


def _check_headers(headers: Iterable[str]) -> None:
    missing = [h for h in REQUIRED if h not in set(headers)]
    if missing:
        raise SourceError(
            "缺少列 " + "、".join(missing) + "（missing columns）；应有的列为 "
            + "、".join(label for label, _ in RECORD_FIELDS)
        )


def _json_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    check_file_size(path, path.stat().st_size)
    data = json.loads(path.read_bytes().decode("utf-8-sig"))
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise SourceError("应为记录的 JSON 列表（expected a JSON list of records）")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"第 {index} 条记录不是对象（not an object）")
        _check_headers(item.keys())
        yield index, item


def _sheet_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    # Whatever the extension says: calamine aborts the whole process on some crafted
    # workbooks, and the file safety layer's sniffing and guards are what stop that.
    grid = read_first_sheet(path)
    if not grid.rows:
        raise SourceError("第一个工作表是空的（the first sheet is empty）")
    headers = [str(h).strip() for h in grid.rows[0]]
    _check_headers(headers)
    for index, values in enumerate(grid.rows[1:], start=1):
        # any(values) settles almost every row at C speed; the rest may hold a 0 cell.
        if any(values) or any(v not in ("", None) for v in values):
            yield grid.row_number(index), dict(zip(headers, values, strict=False))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_FIELDS = tuple((label, attr, attr in DATE_FIELDS) for label, attr in RECORD_FIELDS)


def _record(row: Mapping[str, object], where: int, origin: str) -> CertRecord:
    # Runs once per official record (100,000 for a district registry): the registry's own
    # YYYY-MM-DD dates take the C parser first, anything else the full date reader.
    values: dict[str, object] = {}
    get = row.get
    # "第 3 行" / "第 3 条记录": the error message above this one names the file.
    at = "第" + origin.rsplit("第", 1)[1] if "第" in origin else str(where)
    for label, attr, is_date in _FIELDS:
        raw = get(label)
        if is_date:
            if raw is None or raw == "":
                values[attr] = None
                continue
            if isinstance(raw, str):
                try:
                    values[attr] = iso_date(raw)
                    continue
                except ValueError:
                    pass
            try:
                values[attr] = parse_date(raw.strip() if isinstance(raw, str) else raw)
            except ValueError:
                raise SourceError(f"{at}：{label} 不是日期：{raw}（not a date）") from None
        elif isinstance(raw, str):
            values[attr] = raw.strip() or None
        else:
            values[attr] = _text(raw)
    raw_id = row.get("证件号码")
    if isinstance(raw_id, float) or (
        isinstance(raw_id, str) and not raw_id.isdigit() and _NUMBER_TEXT.fullmatch(raw_id)
    ):
        raise SourceError(f"{at}：证件号码被存为数字，末位已丢失（a number）")
    if not values["name"] or not values["id_number"]:
        raise SourceError(f"{at}：姓名和证件号码不能为空（must not be empty）")
    values["id_number"] = normalize_id(str(values["id_number"]))
    values["status_text"] = _text(get(STATUS_LABEL))
    values["origin"] = origin
    return CertRecord(**values)  # type: ignore[arg-type]
