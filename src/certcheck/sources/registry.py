"""``registry:PATH``: a local file of official records, the mock of the national lookup.

One record per row (CSV, XLSX) or per object (JSON), with the national lookup's labels.
The file is read once, fully validated, and indexed by ID number.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from certcheck.dates import parse_date
from certcheck.ids import normalize_id
from certcheck.models import DATE_FIELDS, RECORD_FIELDS, CertRecord, Found, NotFound, Outcome, Query
from certcheck.sources.interface import ImmediateSource, SourceError, SourceOptions

REQUIRED = ("姓名", "证件号码", "作业类别", "操作项目", "有效期结束日期", "应复审日期")
_LABEL_TO_ATTR = dict(RECORD_FIELDS)


class RegistrySource(ImmediateSource):
    name = "registry"
    description = "a local registry file (CSV, XLSX or JSON) of official records: registry:PATH"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_id = load_registry(path)

    @classmethod
    def from_spec(cls, arg: str | None, options: SourceOptions) -> RegistrySource:
        if not arg:
            raise SourceError("the registry source needs a file: --source registry:PATH")
        return cls(Path(arg))

    def lookup_now(self, query: Query) -> Outcome:
        records = self._by_id.get(query.id_number)
        return Found(records) if records else NotFound()

    @property
    def cache_identity(self) -> str:
        return f"registry:{self.path.resolve()}"

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_id.values())


def load_registry(path: Path) -> dict[str, tuple[CertRecord, ...]]:
    """Read and validate a registry file; SourceError names the file and the problem."""
    if not path.is_file():
        raise SourceError(f"registry file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            rows: Iterable[tuple[int, Mapping[str, object]]] = _json_rows(path)
        elif suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
            rows = _sheet_rows(path)
        else:
            rows = _csv_rows(path)
        by_id: defaultdict[str, list[CertRecord]] = defaultdict(list)
        for where, row in rows:
            record = _record(row, where)
            by_id[record.id_number].append(record)
    except SourceError as exc:
        raise SourceError(f"bad registry {path.name}: {exc}") from None
    except (OSError, UnicodeError, ValueError, csv.Error) as exc:
        raise SourceError(f"bad registry {path.name}: cannot read it ({exc})") from None
    return {k: tuple(v) for k, v in by_id.items()}


def _check_headers(headers: Iterable[str]) -> None:
    missing = [h for h in REQUIRED if h not in set(headers)]
    if missing:
        raise SourceError(
            "missing column(s) " + ", ".join(missing) + "; expected the labels "
            + ", ".join(label for label, _ in RECORD_FIELDS)
        )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    reader = csv.DictReader(io.StringIO(_decode(path.read_bytes()), newline=""))
    _check_headers([h.strip() for h in reader.fieldnames or []])
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    for line, row in enumerate(reader, start=2):
        if any(v and v.strip() for v in row.values() if isinstance(v, str)):
            yield line, row


def _json_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    data = json.loads(_decode(path.read_bytes()))
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise SourceError("expected a JSON list of records")
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"record {index} is not an object")
        _check_headers(item.keys())
        yield index, item


def _sheet_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    if not grid:
        raise SourceError("the first sheet is empty")
    headers = [str(h).strip() for h in grid[0]]
    _check_headers(headers)
    for line, values in enumerate(grid[1:], start=2):
        if any(v not in ("", None) for v in values):
            yield line, dict(zip(headers, values, strict=False))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _record(row: Mapping[str, object], where: int) -> CertRecord:
    values: dict[str, object] = {}
    for label, attr in RECORD_FIELDS:
        raw = row.get(label)
        if attr in DATE_FIELDS:
            try:
                values[attr] = parse_date(raw.strip() if isinstance(raw, str) else raw)
            except ValueError:
                raise SourceError(f"row {where}: {label} is not a date: {raw!r}") from None
        else:
            values[attr] = _text(raw)
    if isinstance(row.get("证件号码"), float):
        raise SourceError(f"row {where}: 证件号码 is a number, so its last digits are lost")
    if not values["name"] or not values["id_number"]:
        raise SourceError(f"row {where}: 姓名 and 证件号码 must not be empty")
    values["id_number"] = normalize_id(str(values["id_number"]))
    return CertRecord(**values)  # type: ignore[arg-type]
