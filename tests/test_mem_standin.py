"""A whole run against a stand-in that answers in every shape the evidence allows, with garbage.

Issue 11 measured 1 of 16 workers judged against such a stand-in. Here each of 16 workers gets
another shape (no holder name, other keys, unknown keys, "nothing found" said three ways,
history records, a name stored with another middle dot, a Latin name in upper case …), the
captcha is rejected with another wording, and 5 % of all requests get a garbage body (a web
firewall's 403 or challenge page, a truncated or empty body). Every worker must get the verdict
the records mean.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from certcheck.check import EngineSettings, run_lookups
from certcheck.cli.prompt import load_solver
from certcheck.models import Declared, Query, Reason, Status, Worker
from certcheck.rules import decide
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.plugins import open_source
from factories import AS_OF, nth_id, number
from mem_server import MemServer, api_record

ITEM = "低压电工作业"
ALT_1 = {"certNum": "certNumber", "jobCategoryName": "jobTypeName", "operItemName": "allowItem",
         "validBeginDate": "validFrom", "validEndDate": "validUntil", "issueOrgName": "issueAuth"}
ALT_2 = {"certNum": "certNo", "jobCategoryName": "workType", "operItemName": "certItem",
         "validBeginDate": "certStartDate", "validEndDate": "certEndDate", "issueOrgName": "issueOrg"}
EXPIRED = {"valid_until": date(2025, 1, 1), "review_due": date(2024, 1, 1)}


def population() -> tuple[list[Worker], dict[int, tuple[Status, Reason]], dict[str, Any],
                          dict[str, Any]]:
    """Workers, the true verdict per row, the stand-in's registry and its per-ID shapes."""
    cases: list[tuple[str, list[dict[str, Any]] | None, dict[str, Any], bool,
                      tuple[Status, Reason]]] = [
        # name, records (None: nothing), shape, declares a certificate, truth
        ("工人甲", [{}], {}, True, (Status.VALID, Reason.OK)),
        ("工人乙", [{}], {"drop_keys": ("name",)}, True, (Status.VALID, Reason.OK)),
        ("工人丙", [{}], {"rename": ALT_1, "drop_keys": ("name",)}, True,
         (Status.VALID, Reason.OK)),
        ("工人丁", [{}], {"rename": ALT_2}, True, (Status.VALID, Reason.OK)),
        ("工人戊", [{}], {"rename": {"certNum": "cardNo"}, "extra_keys": {"photo": "x.jpg"}},
         True, (Status.VALID, Reason.OK)),
        ("工人己", None, {"not_found": "msg500"}, True, (Status.FAKE, Reason.NOT_FOUND)),
        ("工人庚", None, {"not_found": "missing"}, False,
         (Status.UNCERTIFIED, Reason.NO_CERTIFICATE)),
        ("工人辛", None, {"not_found": "nodata"}, True, (Status.FAKE, Reason.NOT_FOUND)),
        ("工人壬", [{}, {"history": True, "valid_until": date(2016, 5, 1)}],
         {"history": "nested", "drop_keys": ("name",)}, True, (Status.VALID, Reason.OK)),
        # Only an older certificate (历史数据): history never decides, so nobody is judged on it.
        ("工人癸", [{"history": True, **EXPIRED}], {"history": "list"}, True,
         (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)),
        ("工人子", [EXPIRED, {"history": True, "valid_until": date(2016, 5, 1)}],
         {"history": "flag"}, True, (Status.EXPIRED, Reason.VALIDITY_ENDED)),
        ("阿依古丽·买买提", [{"name": "阿依古丽•买买提"}], {"match_names": True}, True,
         (Status.VALID, Reason.OK)),
        ("JohnSmith", [{"name": "JOHNSMITH"}], {"match_names": True}, True,
         (Status.VALID, Reason.OK)),
        ("工人丑", [{"no_end": True}], {"drop_keys": ("name",)}, True,
         (Status.UNVERIFIED, Reason.RECORD_INCOMPLETE)),
        ("工人寅", [{"name": "别人"}], {}, True, (Status.FAKE, Reason.NAME_MISMATCH)),
        ("工人卯", [{"status": "注销"}], {"rename": ALT_1}, True,
         (Status.UNCERTIFIED, Reason.REVOKED)),
    ]
    workers, truth, registry, styles = [], {}, {}, {}
    for n, (name, records, shape, declares, verdict) in enumerate(cases):
        id_number = nth_id(n)
        if records is not None:
            built = []
            for spec in records:
                spec = dict(spec)
                no_end, status = spec.pop("no_end", False), spec.pop("status", None)
                record = api_record(spec.pop("name", name), id_number, **spec)
                if no_end:
                    del record["validEndDate"]
                if status:
                    record["certStatus"] = status
                built.append(record)
            registry[id_number] = built
        styles[id_number] = shape
        declared = Declared(item=ITEM, cert_number=number("T" + id_number) if declares else None)
        workers.append(Worker(row=n + 2, name=name, id_number=id_number, declared=declared))
        truth[n] = verdict
    return workers, truth, registry, styles


def captcha_program(tmp_path: Path) -> str:
    program = tmp_path / "answer.py"
    program.write_text("print(' ABCD ')\n")  # spaces and case as a person might type them
    return f"command:{sys.executable} {program}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_worker_of_every_shape_is_judged_despite_garbage(tmp_path: Path,
                                                               seed: int) -> None:
    workers, truth, registry, styles = population()
    with MemServer(registry, styles=styles, captcha_answer="ABCD", garbage_rate=0.05, seed=seed,
                   reject_captchas=2, wrong_captcha_msg="验证码已失效") as server:
        options = MemOptions(mem_url=server.url,
                             solver=load_solver(captcha_program(tmp_path), interactive=False),
                             timeout=2.0, interactive=False)
        source = open_source("mem", options)
        queries = [Query(w.id_number or "", w.name or "") for w in workers]
        answers = run_lookups(source, queries, EngineSettings(
            concurrency=4, retries=4, backoff_initial=0.01, backoff_max=0.05))
        faults = Counter(server.faults())
    findings = [decide(w, answers[q], AS_OF) for w, q in zip(workers, queries, strict=True)]
    judged = {n: (f.status, f.reason) for n, f in enumerate(findings)}
    assert judged == truth
    assert sum(faults.values()) >= 1  # the garbage was really served
