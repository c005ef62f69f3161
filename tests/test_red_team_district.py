"""Red-team attacks on the district's features (issue 20): the printed register as an office edits
it, ``summary`` merging registers, ``diff``, ``due --notify`` / ``diff --notify`` and the
messages. Each test is an attack that failed before its fix (docs/red-team-district.md says
what it did then), run through the command line in a child process with a pinned as-of date,
local registry files and the robot stand-in; never the network.

The principle judged: a verdict only from values the tool understood. A summary never counts an
enterprise twice nor drops another enterprise's register without a word; diff never claims
someone got worse or better without evidence, nor pairs two people silently; a group robot
never receives a full ID, a link or a format from a cell; ``--mask-ids`` means no full ID in
any output.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.cell.cell import MergedCell

from certcheck.cli import cli
from certcheck.cli import due as _due  # noqa: F401  (attaches the command)
from factories import nth_id
from robot_server import FakeRobot, RobotServer
from test_cli_verify import write_registry, write_roster
from test_diff import HEADER, check, record, worker

AS_OF = "2026-12-01"
LATER = "2027-01-15"
ENTERPRISE = "重庆市江津区测试机械有限公司"
#: An ID a person can read, however it is typed: digits (ASCII or full-width) with invisible
#: characters, spaces or hyphens between them, read after those are taken out.
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_NOT_SEEN = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad\u180e]")


def readable(text: str) -> str:
    """``text`` as a reader takes its digits in: full-width folded, invisible characters gone."""
    return _NOT_SEEN.sub("", unicodedata.normalize("NFKC", text))


def full_ids(text: str) -> list[str]:
    """Every full ID a person reads in ``text``, also one typed in groups."""
    seen = readable(text)
    grouped = re.sub(r"(?<=[0-9])[ \-](?=[0-9])", "", seen)
    return FULL_ID.findall(seen) + FULL_ID.findall(grouped)


def certcheck(*args: object, cache: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CERTCHECK_MATCH_KEY"}
    environment.update({"COLUMNS": "200", **(env or {})})
    if cache is not None:
        environment["CERTCHECK_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-m", "certcheck", *(str(a) for a in args)],
                          capture_output=True, text=True, env=environment, timeout=120)


def one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The single ``certcheck:`` line of a refusal, holding ``words``."""
    assert done.returncode == code, (done.returncode, done.stdout[-800:], done.stderr[-800:])
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert lines[0].startswith("certcheck: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def summary(*registers: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    done = certcheck("summary", *registers, "--date", AS_OF, "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


IDS = [nth_id(i) for i in range(16)]
NAMES = ["陈一", "林二", "黄三", "吴四", "郑五", "何六", "罗七", "梁八", "宋九", "唐十"]


def enterprise_check(tmp_path: Path, name: str, *extra: str, fake: Sequence[int] = (3,),
                     people: int = 5, enterprise: str = ENTERPRISE, as_of: str = AS_OF,
                     suffixes: Sequence[str] = (".xlsx",), names: Sequence[str] = NAMES,
                     first: int = 0, typed: Sequence[str] | None = None) -> Path:
    """A register of ``people`` workers (person i holds ``IDS[first + i]``), those in ``fake``
    with no record in the lookup; ``typed`` are the IDs the roster gives instead, if others."""
    truth = IDS[first:first + people]
    given = list(typed) if typed is not None else truth
    rows = [worker(names[i], given[i]) for i in range(people)]
    records = [record(names[i], truth[i]) for i in range(people) if i not in fake]
    return check(tmp_path, name, rows, records, as_of, *extra, suffixes=tuple(suffixes),
                 enterprise=enterprise)


def register_rows(path: Path) -> list[list[Any]]:
    ws = openpyxl.load_workbook(path)["核验登记表"]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def rewrite_rows(path: Path, rows: list[list[Any]]) -> None:
    """Write ``rows`` over the register sheet, as a person's sort or edit leaves it."""
    wb = openpyxl.load_workbook(path)
    ws = wb["核验登记表"]
    for r, line in enumerate(rows, start=1):
        for c in range(1, ws.max_column + 1):
            target = ws.cell(r, c)
            if not isinstance(target, MergedCell):
                target.value = line[c - 1] if c - 1 < len(line) else None
    wb.save(path)


def header_at(rows: list[list[Any]]) -> int:
    return next(i for i, r in enumerate(rows) if "行号" in r and "核验结果" in r)


# --- the printed register, edited in an office -------------------------------------------------


def test_a_sort_that_lifts_the_signature_lines_above_the_workers_loses_nobody(
    tmp_path: Path,
) -> None:
    # Excel sorting the whole sheet by 序号, descending: text before numbers, blanks last. The
    # signature lines (核验人：… first) land under the header, the workers after them. The
    # reader cut the sheet at 核验人： and read no worker: summary counted 0 people and no fake,
    # due listed nobody, diff had everyone leave.
    original = enterprise_check(tmp_path, "a")
    edited = tmp_path / "sorted.register.xlsx"
    shutil.copy(original, edited)
    rows = register_rows(edited)
    top = header_at(rows) + 1
    below = rows[top:]
    signatures = sorted((r for r in below if isinstance(r[0], str)),
                        key=lambda r: not str(r[0]).startswith("核验人"))
    workers = sorted((r for r in below if isinstance(r[0], int | float)), key=lambda r: -r[0])
    blanks = [r for r in below if r[0] in (None, "")]
    rewrite_rows(edited, rows[:top] + signatures + workers + blanks)

    data = summary(edited)
    assert data["假冒特种作业操作证（个）"] == 1
    assert [r["workers"] for r in data["registers"]] == [5]
    due = certcheck("due", edited, "--within", "400", "--as-of", AS_OF)
    assert due.returncode == 1 and "未列入：假证 1 人" in due.stdout, due.stdout
    assert due.stdout.count("应复审") == 4
    changes = certcheck("diff", original, edited)
    assert changes.returncode == 0 and "5 人" in changes.stdout and "离开人员" not in changes.stdout
    assert "没有变化" in changes.stdout


def test_a_worker_typed_in_under_the_signature_lines_is_refused_not_dropped(
    tmp_path: Path,
) -> None:
    # The row was left out without a word: the office's 假证 was not on the form.
    path = enterprise_check(tmp_path, "a")
    rows = register_rows(path)
    rows.append([6, "手工加的", nth_id(40), "低压电工", "", None, None, "假证", "查无此证",
                 "Sheet", 99])
    rewrite_rows(path, rows)
    one_line(certcheck("summary", path, "--date", AS_OF), 4, "有行被增删过",
             "现有 6 行人员", "生成时是 5 人")


def test_a_worker_deleted_from_a_json_register_is_refused(tmp_path: Path) -> None:
    # Deleting the fake worker's object gave a register with no fake and 4 people.
    path = enterprise_check(tmp_path, "a", suffixes=(".json",))
    data = json.loads(path.read_text("utf-8"))
    del data["workers"][3]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    one_line(certcheck("summary", path, "--date", AS_OF), 4, "有行被增删过")
    one_line(certcheck("diff", path, path), 4, "有行被增删过")


def test_a_title_retyped_to_another_enterprise_is_refused(tmp_path: Path) -> None:
    # The form said 重庆乙公司, the summary counted the register under the hidden name.
    path = enterprise_check(tmp_path, "a")
    wb = openpyxl.load_workbook(path)
    wb["核验登记表"]["A1"].value = "重庆乙公司特种作业人员持证情况登记表"
    wb.save(path)
    one_line(certcheck("summary", path, "--date", AS_OF), 4, "重庆乙公司", ENTERPRISE,
             "enterprise edited")


def test_signature_lines_filled_in_with_names_and_an_id_are_no_workers(tmp_path: Path) -> None:
    path = enterprise_check(tmp_path, "a")
    rows = register_rows(path)
    for line in rows:
        if isinstance(line[0], str) and line[0].startswith("核验人"):
            line[0] = f"核验人：张三 {nth_id(41)}"
            line[4] = "单位负责人（签字）：李四"
    rewrite_rows(path, rows)
    data = summary(path)
    assert data["registers"][0]["workers"] == 5 and data["假冒特种作业操作证（个）"] == 1


# --- which register counts ---------------------------------------------------------------------


def test_a_sample_does_not_replace_the_full_self_check(tmp_path: Path) -> None:
    # A sample of 3 written after the self-check of all 10 replaced it: 2 fakes became 0.
    full = enterprise_check(tmp_path, "full", fake=(3, 7), people=10)
    sample = enterprise_check(tmp_path, "sample", "--sample", "3", "--seed", "1",
                              fake=(3, 7), people=10)
    line = one_line(certcheck("summary", full, sample, "--date", AS_OF), 4,
                    "sample.register.xlsx", "full.register.xlsx", "只抽查了 3 人（共 10 人）",
                    "核验的是全部人员", "请只给出应计入的一份")
    assert "a sample does not replace another check" in line
    # Given alone, either counts.
    assert summary(full)["假冒特种作业操作证（个）"] == 2


def test_spot_checks_of_two_draws_do_not_replace_each_other_but_a_rerun_of_one_does(
    tmp_path: Path,
) -> None:
    everyone = tuple(range(10))
    first = enterprise_check(tmp_path, "first", "--kind", "inspection", "--sample", "3",
                             "--seed", "1", fake=everyone, people=10)
    other = enterprise_check(tmp_path, "other", "--kind", "inspection", "--sample", "3",
                             "--seed", "2", fake=(), people=10)
    one_line(certcheck("summary", first, other, "--date", AS_OF), 4, "另一次抽查的 3 人")
    rerun = enterprise_check(tmp_path, "rerun", "--kind", "inspection", "--sample", "3",
                             "--seed", "1", fake=(), people=10)
    data = summary(first, rerun)
    assert [r["file"] for r in data["registers"]] == ["rerun.register.xlsx"]
    assert data["发现假证（个）"] == 0


def test_names_of_invisible_characters_name_no_enterprise(tmp_path: Path) -> None:
    # Two names of zero-width characters folded to one empty key: one enterprise, and the
    # first register was "superseded" by the other's, its fake gone.
    a = enterprise_check(tmp_path, "a", enterprise="\u200b")
    b = enterprise_check(tmp_path, "b", enterprise="\u2060", fake=())
    data = summary(a, b)
    assert data["superseded"] == []
    assert [r["enterprise"] for r in data["registers"]] == ["（未注明单位）"] * 2
    assert data["假冒特种作业操作证（个）"] == 1


@pytest.mark.parametrize("edit", [{"enterprise": ENTERPRISE.replace("有限公司", "有限责任公司")},
                                  {"kind": "inspection"}])
def test_one_run_relabelled_in_one_of_its_files_is_refused(tmp_path: Path,
                                                           edit: dict[str, str]) -> None:
    # The .json of the run renamed (or made an inspection) by hand: the run's workers were
    # counted twice, its fake too.
    xlsx = enterprise_check(tmp_path, "a", suffixes=(".xlsx", ".json"))
    json_path = xlsx.with_suffix(".json")
    data = json.loads(json_path.read_text("utf-8"))
    data.update(edit)
    json_path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    one_line(certcheck("summary", xlsx, json_path, "--date", AS_OF), 4, "relabelled copy",
             "a.register.xlsx", "a.register.json")


def test_a_match_token_copied_to_another_worker_is_no_lead(tmp_path: Path) -> None:
    # 乙公司's worker given 甲公司's worker's token was listed as one person in two enterprises
    # (转借), under the other's masked ID.
    key = tmp_path / "key.txt"
    key.write_text("k" * 32, "utf-8")
    a = enterprise_check(tmp_path, "a", "--mask-ids", "--match-key-file", str(key),
                         enterprise="甲公司", fake=())
    b = enterprise_check(tmp_path, "b", "--mask-ids", "--match-key-file", str(key),
                         enterprise="乙公司", fake=(), people=3, first=6)
    token = openpyxl.load_workbook(a)["_certcheck_match"].cell(2, 3).value
    wb = openpyxl.load_workbook(b)
    wb["_certcheck_match"].cell(2, 3).value = token
    wb.save(b)
    data = summary(a, b, extra=("--match-key-file", str(key)))
    assert data["cross_enterprise"] == []
    assert any("tokens contradict" in w for w in data["warnings"]), data["warnings"]


# --- diff --------------------------------------------------------------------------------------


def diff_json(old: Path, new: Path, out: Path) -> tuple[subprocess.CompletedProcess[str],
                                                        dict[str, Any]]:
    done = certcheck("diff", old, new, "-o", out)
    return done, json.loads(out.read_text("utf-8")) if out.exists() else {}


def test_a_new_name_under_one_id_is_said(tmp_path: Path) -> None:
    # Married, 林二 became 林小二: nothing was said (结论：没有变化).
    old = enterprise_check(tmp_path, "old", fake=())
    renamed = ["陈一", "林小二", "黄三", "吴四", "郑五"]
    new = enterprise_check(tmp_path, "new", fake=(), as_of=LATER, names=renamed)
    done, data = diff_json(old, new, tmp_path / "d.json")
    assert done.returncode == 0, done.stderr
    assert "姓名变化（1）" in done.stdout and "姓名 林二 → 林小二" in done.stdout
    assert [(c["change"], c["name_changed"]) for c in data["changes"]] == [("name", True)]
    assert "没有变化" not in done.stdout


def test_two_people_whose_ids_were_swapped_are_not_paired_silently(tmp_path: Path) -> None:
    old = enterprise_check(tmp_path, "old", fake=())
    swapped = [IDS[1], IDS[0], *IDS[2:5]]
    new = enterprise_check(tmp_path, "new", fake=(), as_of=LATER, typed=swapped)
    done, _ = diff_json(old, new, tmp_path / "d.json")
    # The lookup finds each name on the other's ID: worse, and both names are said.
    assert done.returncode == 1
    assert "姓名 林二 → 陈一" in done.stdout and "姓名 陈一 → 林二" in done.stdout


def test_a_renamed_person_in_masked_registers_is_no_newcomer(tmp_path: Path) -> None:
    # 林二, found with a fake card, corrected to 林小二 in the roster: with masked IDs the two
    # rows were "离开" and "新增… 假证", and diff exited 1 though nobody got worse.
    old = enterprise_check(tmp_path, "old", "--mask-ids", fake=(1,))
    new = enterprise_check(tmp_path, "new", "--mask-ids", fake=(1,), as_of=LATER,
                           names=["陈一", "林小二", "黄三", "吴四", "郑五"])
    done, data = diff_json(old, new, tmp_path / "d.json")
    assert done.returncode == 0, done.stdout
    assert "新增人员" not in done.stdout and "离开人员" not in done.stdout
    assert "同一脱敏身份证号、姓名不同（林二、林小二），无法确定是否同一人" in done.stdout
    assert data["ambiguous"][0]["worse_statuses"] == []
    # A count that rose is still worse: the new row is fake, the old one was valid.
    valid_before = enterprise_check(tmp_path, "before", "--mask-ids", fake=())
    worse = certcheck("diff", valid_before, new)
    assert worse.returncode == 1 and "其中有人变为假证" in worse.stdout


@pytest.mark.parametrize("mask", ["＊" * 8, "xxxxxxxx", "××××××××"])
def test_ids_masked_by_hand_are_compared_as_masked(tmp_path: Path, mask: str) -> None:
    # An office masked the IDs of its copy by hand: every person "left" and "came back", the
    # fake one as a newcomer with a fake card (exit 1).
    old = enterprise_check(tmp_path, "old")
    new = enterprise_check(tmp_path, "new", as_of=LATER)
    rows = register_rows(new)
    col = rows[header_at(rows)].index("身份证号")
    for line in rows[header_at(rows) + 1:]:
        if isinstance(line[col], str) and len(line[col]) == 18:
            line[col] = line[col][:6] + mask + line[col][-4:]
    rewrite_rows(new, rows)
    done = certcheck("diff", old, new)
    assert done.returncode == 0, done.stdout
    assert "按脱敏身份证号和姓名" in done.stdout and "没有变化" in done.stdout


# --- the group robots --------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with RobotServer() as s:
        yield s


HOSTILE_NAMES = [
    "张\u200b三" + IDS[0][:9] + "\u200b" + IDS[0][9:],  # zero-width spaces in the ID
    "李" + IDS[1].translate(str.maketrans("0123456789", "０１２３４５６７８９")),  # full width
    f"{IDS[2][:6]} {IDS[2][6:14]} {IDS[2][14:]}",  # in groups, as people type it
    "赵\u2060" + IDS[3][:9] + "\u2060" + IDS[3][9:],  # word joiners
    "http://evil.example/登录",  # a bare address, which platforms turn into a link
    "1. 列表",  # after "- " a numbered list nested in the entry
]


def hostile_register(tmp_path: Path) -> Path:
    """A register (JSON) whose names a person has edited into attacks, all due for review."""
    rows = [worker(f"工{i}", IDS[i]) for i in range(len(HOSTILE_NAMES))]
    records = [record(f"工{i}", IDS[i], due="2026-12-20") for i in range(len(rows))]
    path = check(tmp_path, "hostile", rows, records, AS_OF, suffixes=(".json",))
    data = json.loads(path.read_text("utf-8"))
    for w, name in zip(data["workers"], HOSTILE_NAMES, strict=True):
        w["name"] = name
    data["workers"][0]["declared"]["item"] = "低压电工 " + IDS[5]
    data["enterprise"] = f"测试机械{IDS[6]}有限公司"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_no_id_reaches_a_robot_however_it_is_typed(tmp_path: Path, server: RobotServer) -> None:
    urls = [server.add(FakeRobot(p, f"red-{p}-000000000001"))
            for p in ("dingtalk", "wecom", "feishu")]
    register = hostile_register(tmp_path)
    done = certcheck("due", register, "--within", "90", "--as-of", AS_OF,
                     *(a for u in urls for a in ("--notify", u)), cache=tmp_path / "cache")
    assert done.returncode == 1, done.stderr
    assert len(server.received) == 3
    for received in server.received:
        body = received.raw.decode("utf-8")
        assert full_ids(body) == [], received.platform
    # Nor on the terminal.
    assert full_ids(done.stdout) == [] and full_ids(done.stderr) == []


def test_a_cell_cannot_put_a_link_or_a_list_into_the_message(tmp_path: Path,
                                                             server: RobotServer) -> None:
    url = server.add(FakeRobot("dingtalk", "red-dingtalk-000000000002"))
    done = certcheck("due", hostile_register(tmp_path), "--within", "90", "--as-of", AS_OF,
                     "--notify", url, cache=tmp_path / "cache")
    assert done.returncode == 1, done.stderr
    [text] = server.texts()
    assert "://" not in text and "http：／／evil.example" in text
    assert not re.search(r"^- \d+[.)]\s", text, re.M)
    assert "- 1． 列表" in text


def test_a_record_that_cannot_be_written_is_said_and_the_other_robots_are_served(
    tmp_path: Path, server: RobotServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The disk filled after the first robot's message: the run ended with "磁盘空间不足" alone,
    # not saying the message had gone out, and the second robot was never served.
    import certcheck.notify.state as state

    real = state.atomic_write

    def full_disk(path: Path, data: Any) -> None:
        if path.name == state.STATE_FILE:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(state, "atomic_write", full_disk)
    urls = [server.add(FakeRobot(p, f"red-{p}-000000000003")) for p in ("dingtalk", "wecom")]
    register = hostile_register(tmp_path)
    result = CliRunner(env={"COLUMNS": "200", "CERTCHECK_CACHE_DIR": str(tmp_path / "c")}).invoke(
        cli, ["due", str(register), "--within", "90", "--as-of", AS_OF,
              *(a for u in urls for a in ("--notify", u))])
    assert result.exit_code == 4
    assert len(server.texts("dingtalk")) == 1 and len(server.texts("wecom")) == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("certcheck:")]
    assert len(lines) == 2 and all("但提醒记录无法写入（磁盘空间不足" in line and "已送达 1/1 条"
                                   in line and "下次运行时会再发一次" in line for line in lines)
    assert "Traceback" not in result.stderr


# --- the outputs with --mask-ids ---------------------------------------------------------------


def test_mask_ids_hides_an_id_typed_into_the_enterprise_an_item_or_a_sheet_name(
    tmp_path: Path,
) -> None:
    # The title, the footer, 汇总 and the hidden sheets showed the enterprise's ID; the printed
    # 作业类别/操作项目 the item's (full-width digits too); the terminal and 汇总 the sheet's.
    roster = tmp_path / "roster.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = IDS[7]
    ws.append(HEADER)
    ws.append(worker("陈一", IDS[0]))
    ws.append(worker("林二", IDS[1], "低压电工" + IDS[8]))
    wide = IDS[9].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ws.append(worker("黄三", IDS[2], "低压电工" + wide))
    wb.save(roster)
    registry = write_registry(tmp_path / "registry.csv",
                              [record(n, IDS[i]) for i, n in enumerate(NAMES[:3])])
    outs = [tmp_path / f"out.{s}" for s in ("xlsx", "json", "csv")]
    done = certcheck("verify", roster, "--source", f"registry:{registry}", "--as-of", AS_OF,
                     "--no-cache", "--no-progress", "--mask-ids",
                     "--enterprise", f"某公司{IDS[10]}", *(a for o in outs for a in ("-o", o)))
    assert done.returncode == 3, done.stderr  # the two items are not in the catalog
    assert full_ids(done.stdout + done.stderr) == []
    with zipfile.ZipFile(outs[0]) as book:
        for part in book.namelist():
            assert full_ids(book.read(part).decode("utf-8", "replace")) == [], part
    for out in outs[1:]:
        assert full_ids(out.read_text("utf-8-sig")) == [], out.name
    # The register still reads back, its tokens of sheet and row consistent.
    assert summary(outs[0])["registers"][0]["workers"] == 3


def test_the_footer_keeps_its_page_numbers_whatever_the_enterprise_name(tmp_path: Path) -> None:
    # An "&" doubled at the cut became "&" + "&C…": the page numbers printed as text, left.
    path = enterprise_check(tmp_path, "a", enterprise="某" * 112 + "&公司")
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    footer = re.search(r"<oddFooter>(.*?)</oddFooter>", sheet)
    assert footer is not None
    text = footer.group(1).replace("&amp;", "&")
    left = text[: text.index("&C第 &P 页")]
    assert (len(left) - len(left.rstrip("&"))) % 2 == 0, left[-10:]


# --- the messages ------------------------------------------------------------------------------


def test_a_split_path_that_is_a_folder_is_called_a_folder(tmp_path: Path) -> None:
    (tmp_path / "一个 文件夹").mkdir()
    done = subprocess.run([sys.executable, "-m", "certcheck", "verify", "一个", "文件夹",
                           "--as-of", AS_OF], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60)
    line = one_line(done, 2, "“一个 文件夹” 是一个文件夹", '"一个 文件夹"')
    assert "是一个文件：" not in line


def test_summary_quotes_a_split_register_path_even_when_its_first_word_is_a_file(
    tmp_path: Path,
) -> None:
    register = enterprise_check(tmp_path, "a")
    shutil.copy(register, tmp_path / "我的 登记表.xlsx")
    shutil.copy(register, tmp_path / "我的")
    done = subprocess.run([sys.executable, "-m", "certcheck", "summary", "我的", "登记表.xlsx"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    one_line(done, 2, "找不到文件 登记表.xlsx", '写成 "我的 登记表.xlsx"')


def test_summary_quotes_a_split_output_path(tmp_path: Path) -> None:
    register = enterprise_check(tmp_path, "a")
    done = subprocess.run([sys.executable, "-m", "certcheck", "summary", register.name,
                           "-o", "新的", "汇总.xlsx"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    one_line(done, 2, "找不到文件 汇总.xlsx", '"新的 汇总.xlsx"')
    assert not (tmp_path / "新的").exists()


def test_an_id_in_the_enterprise_is_masked_on_the_terminals(tmp_path: Path) -> None:
    # due's 单位： line and diff's printed it whole.
    named = f"测试机械{IDS[6]}有限公司"
    old = enterprise_check(tmp_path, "old", enterprise=named)
    new = enterprise_check(tmp_path, "new", enterprise=named, as_of=LATER)
    due = certcheck("due", old, "--within", "400", "--as-of", AS_OF)
    changes = certcheck("diff", old, new)
    for done in (due, changes):
        assert done.returncode in (0, 1), done.stderr
        assert "测试机械500381" in done.stdout and full_ids(done.stdout + done.stderr) == []


def test_a_roster_given_to_due_reads_its_sheet_name_masked(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.xlsx", [*HEADER, "应复审日期"],
                          [[*worker("陈一", IDS[0]), "2026-12-20"]])
    wb = openpyxl.load_workbook(roster)
    wb.active.title = IDS[4]  # type: ignore[union-attr]
    wb.save(roster)
    done = certcheck("due", roster, "--within", "90", "--as-of", AS_OF)
    assert done.returncode == 1, done.stderr
    assert full_ids(done.stdout + done.stderr) == []
