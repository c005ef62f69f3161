"""MemSource + engine + rules against the local imitation server, with and without faults.

A fault may leave a worker unverified; it must never make anyone fake, uncertified, expired
or valid when they are not.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from certcheck.check import EngineSettings, run_lookups
from certcheck.cli.prompt import load_solver
from certcheck.models import Declared, Finding, Query, Reason, Status, Worker
from certcheck.rules import decide
from certcheck.sources.mem_options import MemOptions
from certcheck.sources.plugins import open_source
from factories import AS_OF, nth_id, number
from mem_server import MemServer, api_record

UNVERIFIED_BY_FAULT = {Reason.LOOKUP_FAILED, Reason.CAPTCHA_FAILED,
                       Reason.UNRECOGNIZED_RESPONSE}


def population() -> tuple[list[Worker], dict[int, Status], dict[str, list[dict[str, Any]]]]:
    workers: list[Worker] = []
    truth: dict[int, Status] = {}
    registry: dict[str, list[dict[str, Any]]] = {}
    for n in range(30):
        kind = n % 5
        id_number = nth_id(n)
        name = f"工人{n}"
        declared = Declared(item="低压电工作业", cert_number=number("T" + id_number))
        if kind == 0:
            registry[id_number] = [api_record(name, id_number, with_time=n % 2 == 0)]
            truth[n] = Status.VALID
        elif kind == 1:
            registry[id_number] = [api_record(name, id_number, valid_until=date(2025, 1, 1),
                                              review_due=date(2024, 1, 1))]
            truth[n] = Status.EXPIRED
        elif kind == 2:
            truth[n] = Status.FAKE  # declares a certificate the lookup does not know
        elif kind == 3:
            declared = Declared(item="低压电工作业")
            truth[n] = Status.UNCERTIFIED
        else:
            registry[id_number] = [api_record("别人", id_number)]
            truth[n] = Status.FAKE  # the ID's record carries another name
        workers.append(Worker(row=n + 2, name=name, id_number=id_number, declared=declared))
    return workers, truth, registry


def captcha_program(tmp_path: Path, answer: str = "abcd") -> str:
    program = tmp_path / "answer.py"
    program.write_text(f"print({answer!r})\n")
    return f"command:{sys.executable} {program}"


def check(server: MemServer, workers: list[Worker], tmp_path: Path,
          settings: EngineSettings) -> list[Finding]:
    options = MemOptions(mem_url=server.url,
                         solver=load_solver(captcha_program(tmp_path), interactive=False),
                         timeout=0.5, interactive=False)
    source = open_source("mem", options)
    queries = [Query(w.id_number, w.name) for w in workers if w.id_number and w.name]
    answers = run_lookups(source, queries, settings)
    return [
        decide(w, answers[Query(w.id_number or "", w.name or "")], AS_OF) for w in workers
    ]


def test_clean_run_gives_every_worker_the_true_verdict(tmp_path: Path) -> None:
    workers, truth, registry = population()
    with MemServer(registry, reject_captchas=2) as server:
        findings = check(server, workers, tmp_path, EngineSettings(concurrency=8, retries=2,
                                                                    backoff_initial=0.01))
        assert server.count("/prod-api/certsearch/certInfo/netQuery") == len(workers) + 2
    for n, finding in enumerate(findings):
        assert finding.status is truth[n], (n, finding.reason, finding.detail)


# Not every 2nd request: a captcha program answers one image at a time, so captchas and queries
# alternate, and every 2nd request would be the same step of every lookup, every time.
@pytest.mark.parametrize("fault_every", [3, 5, 7])
def test_faults_never_produce_a_wrong_verdict(tmp_path: Path, fault_every: int) -> None:
    workers, truth, registry = population()
    with MemServer(registry, fault_every=fault_every, fault_steps=("captcha", "query"),
                   retry_after="0.05", timeout_sleep=0.8) as server:
        findings = check(server, workers, tmp_path, EngineSettings(
            concurrency=8, retries=3, backoff_initial=0.01, backoff_max=0.05))
        faults = Counter(e.fault for e in server.log if e.fault)
    assert set(faults) == {"500", "429", "timeout", "html", "malformed"}
    right = 0
    for n, finding in enumerate(findings):
        if finding.status is Status.UNVERIFIED:
            assert finding.reason in UNVERIFIED_BY_FAULT, (n, finding.reason)
        else:
            assert finding.status is truth[n], (n, finding.reason, finding.detail)
            right += 1
    assert right >= len(workers) // 3  # retries recover most transient faults


def test_a_repeated_person_is_asked_once(tmp_path: Path) -> None:
    workers, _, registry = population()
    with MemServer(registry) as server:
        check(server, workers[:3] + workers[:3], tmp_path, EngineSettings(concurrency=4))
        assert [server.queries_for(w.id_number or "") for w in workers[:3]] == [1, 1, 1]


def test_plugin_source_is_found_through_its_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "myplugin-0.1.dist-info").mkdir(parents=True)
    (site / "myplugin-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: myplugin\nVersion: 0.1\n"
    )
    (site / "myplugin-0.1.dist-info" / "entry_points.txt").write_text(
        "[certcheck.sources]\nmyplugin = myplugin_source:EchoSource\n"
    )
    (site / "myplugin_source.py").write_text(textwrap.dedent("""
        from certcheck.models import NotFound
        from certcheck.sources.interface import LookupSource

        class EchoSource(LookupSource):
            name = "myplugin"
            description = "a test plugin"

            def __init__(self, arg):
                self.arg = arg

            @classmethod
            def from_spec(cls, arg, options):
                return cls(arg)

            async def lookup(self, query):
                return NotFound(raw=self.arg)
    """))
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        from certcheck.check import EngineSettings, run_lookups
        from certcheck.models import Query
        from certcheck.sources.interface import SourceOptions
        from certcheck.sources.plugins import available, open_source
        source = open_source("myplugin:x", SourceOptions())
        answer = run_lookups(source, [Query("1", "a")], EngineSettings())[Query("1", "a")]
        print(type(source).__name__, source.arg, answer.outcome.raw, "myplugin" in available())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["EchoSource", "x", "x", "True"]
