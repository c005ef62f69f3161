"""The JSON register of SPEC.md ("JSON register"), for machines and for ``-o -``.

The keys of SPEC.md are all present, in its order. The few extra keys carry what the
``summary`` and ``due`` commands read back and what the workbook shows anyway:

- top level: ``scope`` (the regimes checked, ``verify --scope``: ``all``, or names such as
  ``special-operations``, several joined by commas), ``sample`` ({size, population, seed} or
  null) and ``generated_at``;
- in ``verdict``: ``out_of_scope``, the workers the scope left out (reason ``out_of_scope``),
  who are in none of the other counts, nor in ``total`` or ``rate``;
- in ``roster``: ``skipped_sheets``, the workbook's sheets that were not read, as
  ``[{"name": …, "why": …}]`` (``why`` in Chinese);
- per worker: ``status_zh``, ``reason_zh``, ``source`` (where the answer came from or null),
  ``cached``, ``detail``, and ``decisive`` (index into ``certificates`` of the record the
  decision rests on, or null) so a reader picks the same record as the workbook does.
- only when ``verify`` was given the district's match key: top-level ``match_key``
  ({"scheme": "hmac-sha256-v1", "fingerprint": …}) and per worker ``match_token`` (or null for
  a worker without a valid ID); see :mod:`certcheck.matchkey`.

``roster.sheets`` lists the sheets read (empty for a CSV roster) and each worker's ``sheet``
the one its ``row`` is on (null for a CSV roster). Registers written before several sheets were
read carry ``roster.sheet`` instead; :mod:`certcheck.register.reader` reads both.
Certificates carry ``证书状态`` (the official status text) when the source gave one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from certcheck.atomic import atomic_write
from certcheck.jsontext import ENCODE_ERRORS, mend
from certcheck.matchkey import MatchKey
from certcheck.models import CertRecord, Finding, Status
from certcheck.register.model import Register
from certcheck.register.view import MATCH_SCHEME, Masker, match_token, official, sheet_of


def register_to_dict(reg: Register) -> dict[str, Any]:
    """The register as the JSON object of SPEC.md (plus the documented extras)."""
    data = _head(reg)
    masker = Masker(reg.mask_ids)
    data["workers"] = list(_workers(reg, masker))
    data["input_issues"] = list(_issues(reg, masker))
    return data


def _head(reg: Register) -> dict[str, Any]:
    """Every key of the register but its two lists, which come last and may be long."""
    meta = reg.meta
    verdict = reg.verdict
    sample = meta.sample
    head: dict[str, Any] = {
        "certcheck": meta.version,
        "as_of": meta.as_of.isoformat(),
        "source": meta.source,
        "roster": {
            "file": meta.roster_file,
            "sheets": list(meta.sheets),
            "skipped_sheets": [{"name": name, "why": why} for name, why in meta.skipped_sheets],
        },
        "enterprise": meta.enterprise,
        "kind": meta.kind.value,
        "scope": meta.scope.name,
        "sample": (
            None
            if sample is None
            else {"size": sample.size, "population": sample.population, "seed": sample.seed}
        ),
        "generated_at": meta.generated_at.isoformat(),
        "verdict": {
            "compliant": verdict.compliant,
            "complete": verdict.complete,
            "rate": round(verdict.rate, 4),
            "total": verdict.total,
            "counts": {s.value: verdict.counts[s] for s in Status},
            "out_of_scope": verdict.out_of_scope,
        },
    }
    if reg.match_key is not None:
        head["match_key"] = {"scheme": MATCH_SCHEME, "fingerprint": reg.match_key.fingerprint}
    return head


def _workers(reg: Register, masker: Masker) -> Iterator[dict[str, Any]]:
    sheets = reg.meta.sheets
    key = reg.match_key
    for finding in reg.findings:
        yield _worker(finding, masker, sheets, key)


def _issues(reg: Register, masker: Masker) -> Iterator[dict[str, Any]]:
    for issue in reg.input_issues:
        yield {"row": issue.row, "code": issue.code, "message": masker.text(issue.message)}


def _worker(
    finding: Finding, masker: Masker, sheets: Sequence[str], key: MatchKey | None
) -> dict[str, Any]:
    worker = finding.worker
    declared = worker.declared
    answer = finding.answer
    record = official(finding)
    try:
        decisive = finding.certificates.index(record) if record is not None else None
    except ValueError:
        decisive = None
    data: dict[str, Any] = {
        "sheet": sheet_of(finding, sheets),
        "row": worker.row,
        "name": masker.text(worker.shown_name, worker.id_number),
        "id_number": masker.id(worker.id_number),
        "status": finding.status.value,
        "status_zh": finding.status.zh,
        "reason": finding.reason.value,
        "reason_zh": finding.reason.zh,
        "warnings": [w.value for w in finding.warnings],
        "declared": {
            "cert_number": masker.text(declared.cert_shown, worker.id_number),
            "category": masker.text(declared.category_shown, worker.id_number),
            "item": masker.text(declared.item_shown, worker.id_number),
        },
        "certificates": [_record(r, masker, worker.id_number) for r in finding.certificates],
        "decisive": decisive,
        "checked_at": answer.checked_at.isoformat() if answer is not None else None,
        "source": answer.source if answer is not None else None,
        "cached": answer.cached if answer is not None else False,
        "detail": masker.text(finding.detail, worker.id_number),
    }
    if key is not None:
        data["match_token"] = match_token(finding, key)
    return data


def _record(record: CertRecord, masker: Masker, own_id: str | None) -> dict[str, str | None]:
    data = record.to_dict()
    if masker.enabled:
        data["证件号码"] = masker.id(record.id_number)
        data["证号"] = masker.text(record.cert_number, own_id, record.id_number)
        for key in ("姓名", "作业类别", "操作项目"):
            if isinstance(data.get(key), str):
                data[key] = masker.text(data[key], own_id)
    return data


def _chunks(reg: Register) -> Iterator[str]:
    """The JSON register in pieces: the run's fields indented, then one worker per line.

    One compact line per worker keeps a 100,000-worker register readable with ``grep`` and
    lets the C encoder do the work: with ``indent`` json falls back to its pure-Python encoder,
    which made the JSON the slowest output of a large run. Each worker's object is made just
    before its line is written, so a large register never holds them all (130 MiB at 100,000).
    """
    masker = Masker(reg.mask_ids)
    head = json.dumps(_head(reg), ensure_ascii=False, indent=2)
    yield head[: head.rindex("}")].rstrip()
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for key, items in (("workers", _workers(reg, masker)), ("input_issues", _issues(reg, masker))):
        yield f',\n  "{key}": ['
        separator = "\n    "
        for item in items:
            yield separator + encode(item)
            separator = ",\n    "
        yield "]" if separator == "\n    " else "\n  ]"
    yield "\n}"


def dumps(reg: Register) -> str:
    """The JSON register as text (no trailing newline), Chinese kept readable, and with
    U+FFFD for an unpaired surrogate, which no terminal or pipe could take."""
    return mend("".join(_chunks(reg)))


def write_json(reg: Register, path: Path) -> None:
    """Write the JSON register to ``path`` atomically, mode 0600."""

    def writer(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", errors=ENCODE_ERRORS) as fh:
            fh.writelines(_chunks(reg))
            fh.write("\n")

    atomic_write(path, writer)
