"""``certcheck verify --source samr`` end to end: a roster of forklift, crane and boiler
operators checked against the stand-in lookup (``tests/samr_server.py``) through the CLI, with
the slider answered by ``--captcha command:PROGRAM``; ``probe --source samr``; ``sources``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from certcheck.dates import MonthDate, month_date
from certcheck.register.reader import read_register
from factories import nth_id
from samr_server import SamrServer, lic_record, solver_program

AS_OF = "2026-12-07"
# (name, ID, 证号 declared, 操作项目 declared)
ROSTER = [
    ("刘强", nth_id(11), nth_id(11), "叉车司机"),
    ("陈刚", nth_id(12), nth_id(12), "N1"),
    ("王磊", nth_id(13), "", "起重机司机（Q2）"),
    ("赵军", nth_id(14), nth_id(14), "工业锅炉司炉"),
    ("孙伟", nth_id(15), "", "行车工"),
]


def people() -> dict[str, list[dict[str, Any]]]:
    return {
        nth_id(11): [lic_record("刘强", nth_id(11), "叉车司机")],
        nth_id(12): [lic_record("陈刚", nth_id(12), "N1叉车司机")],
        # Two certificates; the single answer shows the forklift one.
        nth_id(13): [lic_record("王磊", nth_id(13), "叉车司机", number="TS-N1-13"),
                     lic_record("王磊", nth_id(13), "Q2", number="TS-Q2-13",
                                valid_until="2029-05")],
        nth_id(14): [lic_record("赵军", nth_id(14), "G1", valid_from="2023-06",
                                valid_until="2027-06")],
        nth_id(15): [lic_record("孙伟", nth_id(15), "起重机司机")],
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SamrServer]:
    with SamrServer(people(), answer_file=tmp_path / "gap.json") as running:
        yield running


def write_roster(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,身份证号,证号,操作项目\n" + "".join(
        f"{name},{id_number},{number},{item}\n" for name, id_number, number, item in rows),
        "utf-8")
    return roster


def run(tmp_path: Path, server: SamrServer, roster: Path, *extra: str,
        as_of: str = AS_OF) -> tuple[int, dict[str, Any], str]:
    assert server.answer_file is not None
    out = tmp_path / "out.json"
    done = subprocess.run([
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "samr",
        "--samr-url", server.url, "--captcha", solver_program(tmp_path, server.answer_file),
        "--as-of", as_of, "--enterprise", "测试公司", "--no-progress", "--rate", "100",
        "--timeout", "5", "--cache-dir", str(tmp_path / "cache"), "-o", str(out),
        "-o", str(tmp_path / "out.xlsx"), *extra,
    ], capture_output=True, text=True, timeout=120)
    data = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return done.returncode, data, done.stdout + done.stderr


def verdicts(data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {w["name"]: (w["status"], w["reason"]) for w in data["workers"]}


def test_a_roster_of_special_equipment_operators_can_reach_compliant(
    tmp_path: Path, server: SamrServer,
) -> None:
    code, data, said = run(tmp_path, server, write_roster(tmp_path, ROSTER))
    assert code == 0, said
    assert set(verdicts(data).values()) == {("valid", "ok")}
    assert data["source"] == "samr"
    assert data["verdict"]["rate"] == 1.0
    assert server.violations == []
    boiler = next(w for w in data["workers"] if w["name"] == "赵军")
    (certificate,) = boiler["certificates"]
    assert certificate["有效期结束日期"] == "2027-06"  # the month, as the record gave it
    assert certificate["有效期开始日期"] == "2023-06"
    assert "Traceback" not in said
    # The workbook shows the month as text, and reads back as the month (summary, due).
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert "2027-06" in [c.value for row in sheet.iter_rows() for c in row]
    back = {row.name: row for row in read_register(tmp_path / "out.xlsx").rows}
    assert back["赵军"].valid_until == month_date(2027, 6)
    assert isinstance(back["赵军"].valid_until, MonthDate)


def test_a_declared_certificate_the_list_lacks_is_fake(tmp_path: Path,
                                                       server: SamrServer) -> None:
    rows = [
        ("刘强", nth_id(11), nth_id(99), "叉车司机"),  # a number none of his cards has
        ("周敏", nth_id(16), nth_id(16), "叉车司机"),  # a card the lookup does not know at all
        ("王磊", nth_id(13), "", "锅炉水处理"),  # cards, but none for this item
        ("陈刚", nth_id(12), nth_id(12), "叉车司机"),
    ]
    code, data, said = run(tmp_path, server, write_roster(tmp_path, rows))
    assert code == 1, said
    assert verdicts(data) == {
        "刘强": ("fake", "cert_number_mismatch"),
        "周敏": ("fake", "not_found"),
        "王磊": ("uncertified", "item_not_covered"),
        "陈刚": ("valid", "ok"),
    }


@pytest.mark.parametrize(("as_of", "expected", "code"), [
    ("2027-05-31", ("valid", "ok"), 0),
    ("2027-06-15", ("unverified", "record_incomplete"), 3),
    ("2027-07-01", ("expired", "validity_ended"), 1),
])
def test_an_end_month_decides_only_outside_that_month(
    tmp_path: Path, server: SamrServer, as_of: str, expected: tuple[str, str], code: int,
) -> None:
    roster = write_roster(tmp_path, [("赵军", nth_id(14), nth_id(14), "工业锅炉司炉")])
    got, data, said = run(tmp_path, server, roster, as_of=as_of)
    assert got == code, said
    assert verdicts(data)["赵军"] == expected
    if expected[1] == "record_incomplete":
        (worker,) = data["workers"]
        assert "只写到月份（2027-06）" in worker["detail"]


def test_mem_items_beside_special_equipment_ones_are_other_authoritys(
    tmp_path: Path, server: SamrServer,
) -> None:
    rows = [*ROSTER[:2], ("吴芳", nth_id(17), f"T{nth_id(17)}", "低压电工作业")]
    code, data, said = run(tmp_path, server, write_roster(tmp_path, rows))
    assert code == 3, said
    assert verdicts(data)["吴芳"] == ("unverified", "other_authority")
    assert server.counts.list == 2  # the electrician was not asked here


def test_without_a_person_or_a_program_nobody_is_asked_about(tmp_path: Path,
                                                             server: SamrServer) -> None:
    roster = write_roster(tmp_path, ROSTER[:1])
    done = subprocess.run([
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "samr",
        "--samr-url", server.url, "--as-of", AS_OF, "--no-progress", "--no-cache",
        "-o", str(tmp_path / "out.json")], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL)
    assert done.returncode == 3, done.stderr
    data = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert verdicts(data)["刘强"] == ("unverified", "captcha_failed")
    assert server.counts.page == server.counts.captcha == 0


def probe(tmp_path: Path, server: SamrServer, id_number: str, name: str,
          *extra: str) -> subprocess.CompletedProcess[str]:
    assert server.answer_file is not None
    return subprocess.run([
        sys.executable, "-m", "certcheck", "probe", "--source", "samr", "--id", id_number,
        "--name", name, "--samr-url", server.url, "--as-of", AS_OF,
        "--captcha", solver_program(tmp_path, server.answer_file), *extra,
    ], capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_probe_shows_every_field_with_what_it_rests_on(tmp_path: Path,
                                                      server: SamrServer) -> None:
    done = probe(tmp_path, server, nth_id(13), "王磊")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.startswith("certcheck probe：向特种设备查询平台 "), out  # Chinese first
    for step in ("GET /info-pub/pub/pubQueryVCodeData.json",
                 "POST /info-pub/pub/checkPubQuerycode.json",
                 "GET /info-pub/pub/remotePubQuery.json", "GET /info-pub/pub/perResult",
                 "GET /info-pub/pub/getPerInfoBySfzh.json"):
        assert step in out
    assert nth_id(13) not in out  # ID numbers masked, also inside the bodies
    assert "base64 characters>" in out and "bigImage" in out  # the images left out
    assert "完整列表（getPerInfoBySfzh）：查到（found），2 条记录" in out
    assert "有效期结束日期  yxrqz = 2029-05（只写到月份，month only）" in out
    assert "czxm = Q2  [字段：公开代码所示；读法：推定，未证实]" in out
    assert "validFlag = 1 → 1（有效）" in out
    assert "已知字段，不使用（known key, not used） pzrq" in out and "不当作初领日期" in out
    assert "  叉车司机：有效（valid）\n" in out and "  Q2：有效（valid）\n" in out
    assert "- 记录 1：validFlag=“1” 按推定的含义读取" in out


def test_probe_exits_3_when_verify_would_leave_an_item_unverified(
    tmp_path: Path, server: SamrServer,
) -> None:
    done = probe(tmp_path, server, nth_id(14), "赵军", "--item", "工业锅炉司炉",
                 "--as-of", "2027-06-10")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "! verify 的结论会是未核验（unverified）：工业锅炉司炉" in done.stdout


def test_sources_lists_the_lookup_and_the_slider_solvers() -> None:
    done = subprocess.run([sys.executable, "-m", "certcheck", "sources"], capture_output=True,
                          text=True, timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin"})
    assert done.returncode == 0, done.stderr
    assert "cnse.samr.gov.cn" in done.stdout
    for name in ("slider-web", "slider-prompt"):
        assert name in done.stdout
    assert "slider solvers" in done.stdout
    # Every description, of sources and solvers alike, is Chinese first.
    rows = [line.split("│") for line in done.stdout.splitlines() if line.startswith("│")]
    assert len(rows) >= 10, done.stdout
    for row in rows:
        said = row[-2].strip()
        assert "\u4e00" <= said[0] <= "\u9fff", row


PAGE_PERSON = '''#!{python}
"""Stands for the person at the slider page certcheck opened (as BROWSER): for each new
puzzle on the page, the stand-in's gap is sent as the offset, as a drag would send it."""
import json, sys, time, urllib.request
url, answer_file = sys.argv[1], {answer_file!r}
open({opened!r}, "a").write(url + "\\n")
done, deadline = set(), time.monotonic() + 90
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url + "puzzle") as r:
            puzzle = json.load(r)
    except OSError:
        break  # certcheck has finished
    if puzzle.get("done"):
        break
    if puzzle.get("id") and puzzle["id"] not in done:
        done.add(puzzle["id"])
        gap = json.load(open(answer_file))
        assert puzzle["y"] == gap["y"] and puzzle["background"].startswith("data:image/png")
        body = json.dumps({{"id": puzzle["id"], "offset": gap["x"]}}).encode()
        request = urllib.request.Request(url + "answer", data=body,
                                         headers={{"Content-Type": "application/json"}})
        urllib.request.urlopen(request).close()
    time.sleep(0.1)
'''


def test_verify_with_the_slider_page_in_the_browser(tmp_path: Path, server: SamrServer) -> None:
    assert server.answer_file is not None
    person = tmp_path / "person"
    opened = tmp_path / "opened"
    person.write_text(PAGE_PERSON.format(python=sys.executable, answer_file=str(
        server.answer_file), opened=str(opened)))
    person.chmod(0o755)
    roster = write_roster(tmp_path, ROSTER[:3])
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY",)}
    done = subprocess.run([
        sys.executable, "-m", "certcheck", "verify", str(roster), "--source", "samr",
        "--samr-url", server.url, "--captcha", "slider-web", "--as-of", AS_OF,
        "--no-progress", "--no-cache", "--rate", "100", "-o", str(tmp_path / "out.json"),
    ], capture_output=True, text=True, timeout=120, env={**env, "BROWSER": str(person)})
    assert done.returncode == 0, done.stderr
    (url,) = opened.read_text().split()  # opened once; later puzzles came to the same page
    assert url.startswith("http://127.0.0.1:") and url in done.stderr
    data = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert set(verdicts(data).values()) == {("valid", "ok")}
    assert server.counts.captcha == 3
