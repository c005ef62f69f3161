"""``summary`` over the registers a district office really receives: a rerun of the same
enterprise, a correction, the same person on two enterprises' rosters, and registers written
with ``--mask-ids`` with and without the district's match key.

Every register is written by ``certcheck verify`` (the registry source, a pinned ``--as-of``)
and ``summary`` runs as a command; the tests read what the office sees: the form's cells, the
rows of 来源登记表 and 跨单位人员, and the lines on the terminal.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from factories import nth_id
from register_sheet import register_table

AS_OF = "2026-12-01"
A = "重庆江津甲建材有限公司"
B = "重庆江津乙机械厂"
REGISTRY_HEADER = [
    "姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
    "有效期结束日期", "应复审日期", "实际复审日期", "签发机关",
]
ZHANG, LI, WANG, ZHAO = (nth_id(n, region="500116") for n in (31, 32, 33, 34))
#: An ID the registry holds nobody under: 李四's before his roster line was corrected.
LI_TYPO = nth_id(39, region="500116")
KEY_1 = "kV9-district-key-one-2026-abcdefghijklmnop"
KEY_2 = "pQ4-another-district-key-zyxwvutsrqponml"

#: Rows of the form sheet (1-based) with the figures the tests read, and the figures' column.
SELF_CHECKED_CELL = "D6"  # 开展自查（家）
SELF_FAKE_CELL = "D8"  # 假冒特种作业操作证（个）


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


# --- building registers as an enterprise does -----------------------------------------------


def write_registry(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(REGISTRY_HEADER)
        for name, id_number in (("张三", ZHANG), ("李四", LI), ("王五", WANG), ("赵六", ZHAO)):
            out.writerow([name, id_number, "T" + id_number, "电工作业", "低压电工作业",
                          "2023-01-01", "2023-01-01", "2029-01-01", "2027-06-01", "",
                          "重庆市应急管理局"])
    return path


def write_roster(path: Path, people: list[tuple[str, str]]) -> Path:
    """A CSV roster: the header on line 1, so a worker's 行号 is their line."""
    lines = ["姓名,身份证号,证号,操作项目"]
    lines += [f"{name},{id_number},T{id_number},低压电工" for name, id_number in people]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CERTCHECK_MATCH_KEY"}
    env["CERTCHECK_CACHE_DIR"] = str(tmp / "cache")
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def certcheck(tmp: Path, *args: str | Path, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "certcheck", *(str(a) for a in args)], cwd=tmp,
        capture_output=True, text=True, timeout=300, env=env or clean_env(tmp), check=False,
    )


def verify(tmp: Path, roster: Path, out: str, enterprise: str | None, *options: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    named = ("--enterprise", enterprise) if enterprise is not None else ()
    done = certcheck(tmp, "verify", roster, "--source", f"registry:{tmp / 'registry.csv'}",
                     "--as-of", AS_OF, "--no-progress", "--no-cache", *named, "-o", out,
                     *options, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registers of the scenarios, each written once by ``verify``, in this order."""
    tmp = tmp_path_factory.mktemp("office")
    write_registry(tmp / "registry.csv")
    (tmp / "key1.txt").write_text(KEY_1 + "\n", "utf-8")
    (tmp / "key2.txt").write_text(KEY_2 + "\n", "utf-8")
    a_first = write_roster(tmp / "甲-花名册.csv", [("张三", ZHANG), ("李四", LI_TYPO),
                                                   ("王五", WANG)])
    a_fixed = write_roster(tmp / "甲-花名册-更正.csv", [("张三", ZHANG), ("李四", LI),
                                                       ("王五", WANG)])
    a_left = write_roster(tmp / "甲-花名册-王五离职.csv", [("张三", ZHANG), ("李四", LI_TYPO)])
    b = write_roster(tmp / "乙-花名册.csv", [("王五", WANG), ("赵六", ZHAO)])

    verify(tmp, a_first, "甲-自查.register.xlsx", A)
    # The same roster again, the name typed with a space and a full-width space.
    verify(tmp, a_first, "甲-自查-重跑.register.xlsx", "重庆江津 甲建材有限公司\u3000")
    verify(tmp, a_fixed, "甲-自查-更正.register.xlsx", A)
    verify(tmp, a_left, "甲-自查-离职后.register.xlsx", A)
    verify(tmp, b, "乙-自查.register.xlsx", B)
    verify(tmp, a_first, "甲-遮挡.register.xlsx", A, "--mask-ids")
    verify(tmp, b, "乙-遮挡.register.json", B, "--mask-ids")
    verify(tmp, a_first, "甲-遮挡-密钥1.register.xlsx", A, "--mask-ids",
           "--match-key-file", "key1.txt")
    # The key from the environment, as a district may set it on the office's computer.
    verify(tmp, b, "乙-遮挡-密钥1.register.json", B, "--mask-ids",
           env=clean_env(tmp, CERTCHECK_MATCH_KEY=KEY_1))
    verify(tmp, b, "乙-遮挡-密钥2.register.xlsx", B, "--mask-ids", "--match-key-file", "key2.txt")
    return tmp


def summary(tmp: Path, *args: str, out: str = "汇总表.xlsx",
            env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], Path]:
    target = tmp / out
    target.unlink(missing_ok=True)
    done = certcheck(tmp, "summary", *args, "--date", AS_OF, "-o", target, env=env)
    return done, target


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def table(path: Path, sheet: str) -> list[dict[str, object]]:
    """The sheet's table as dicts by header, up to the first empty row."""
    rows = sheet_rows(path, sheet)
    header = [str(h) for h in rows[0]]
    found = []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        found.append(dict(zip(header, row, strict=False)))
    return found


def notes_below(path: Path, sheet: str) -> list[str]:
    rows = sheet_rows(path, sheet)
    first_blank = next(i for i, row in enumerate(rows) if all(v is None for v in row))
    return [str(row[0]) for row in rows[first_blank:] if row and row[0] is not None]


def terminal(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def lines_about(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


# --- one enterprise counted once ------------------------------------------------------------


def test_a_rerun_counts_once_and_the_earlier_register_is_named_superseded(office: Path) -> None:
    done, form = summary(office, "甲-自查.register.xlsx", "甲-自查-重跑.register.xlsx")
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(form)["汇总表"]
    assert ws[SELF_CHECKED_CELL].value == 1
    assert ws[SELF_FAKE_CELL].value == 1  # 李四's certificate, once, not twice

    said = lines_about(terminal(done), "（superseded）")
    assert len(said) == 1
    assert "甲-自查.register.xlsx" in said[0] and "已被 甲-自查-重跑.register.xlsx" in said[0]
    assert "不计入汇总" in said[0]
    assert "（1 份登记表，另有 1 份已被替代，1 家单位）" in done.stderr

    registers = {r["文件"]: r for r in table(form, "来源登记表")}
    assert registers["甲-自查-重跑.register.xlsx"]["计入汇总"] == "计入"
    assert registers["甲-自查.register.xlsx"]["计入汇总"] == \
        "否：已被替代（由 甲-自查-重跑.register.xlsx 替代）"
    # Both keep their own figures, so the office sees what was replaced.
    assert registers["甲-自查.register.xlsx"]["假证"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                        str(registers["甲-自查.register.xlsx"]["核验时间"]))
    # One enterprise, under the name the counted register gives it.
    detail = table(form, "分单位明细")
    assert [row["单位名称"] for row in detail] == ["重庆江津 甲建材有限公司", "合计"]
    assert detail[0]["来源登记表"] == "甲-自查-重跑.register.xlsx"


def test_a_correction_counts_with_its_own_figures_whatever_the_order_given(office: Path) -> None:
    # The correction is named first: what decides is when each register was made.
    done, form = summary(office, "甲-自查-更正.register.xlsx", "甲-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(form)["汇总表"]
    assert ws[SELF_CHECKED_CELL].value == 1
    assert ws[SELF_FAKE_CELL].value == 0
    said = lines_about(terminal(done), "（superseded）")
    assert len(said) == 1 and said[0].index("甲-自查.register.xlsx") < said[0].index("已被")
    registers = {r["文件"]: r for r in table(form, "来源登记表")}
    assert registers["甲-自查-更正.register.xlsx"]["计入汇总"] == "计入"
    assert registers["甲-自查-更正.register.xlsx"]["假证"] == 0
    assert str(registers["甲-自查.register.xlsx"]["计入汇总"]).startswith("否：已被替代")


def test_json_names_the_superseded_register(office: Path) -> None:
    done = certcheck(office, "summary", "甲-自查.register.xlsx", "甲-自查-更正.register.xlsx",
                     "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["假冒特种作业操作证（个）"] == 0
    assert [r["file"] for r in data["registers"]] == ["甲-自查-更正.register.xlsx"]
    assert [(r["file"], r["superseded_by"]) for r in data["superseded"]] == [
        ("甲-自查.register.xlsx", "甲-自查-更正.register.xlsx")]


def test_terminal_table_says_how_many_were_superseded(office: Path) -> None:
    done = certcheck(office, "summary", "甲-自查.register.xlsx", "甲-自查-重跑.register.xlsx",
                     "乙-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    assert "2 份登记表（另有 1 份已被替代，未计入），2 家单位" in done.stdout


def _edited_copy(office: Path, tmp_path: Path, name: str, edit: dict[str, object]) -> Path:
    """A JSON register as a person's editor leaves it: one worker's result changed."""
    data = json.loads((office / name).read_text("utf-8"))
    data.update(edit)
    data["workers"][0]["status"] = "fake"
    data["workers"][0]["status_zh"] = "假冒"
    copy = tmp_path / ("改-" + name)
    copy.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return copy


def test_two_different_registers_of_the_same_moment_are_not_picked_between(
    office: Path, tmp_path: Path
) -> None:
    copy = _edited_copy(office, tmp_path, "乙-遮挡.register.json", {})
    done = certcheck(office, "summary", office / "乙-遮挡.register.json", copy)
    assert done.returncode == 4
    assert "核验结果却不同" in done.stderr and "改-乙-遮挡.register.json" in done.stderr
    assert "请只给出应计入的一份" in done.stderr


def test_without_a_time_the_same_day_cannot_be_decided_and_a_later_day_wins(
    office: Path, tmp_path: Path
) -> None:
    same_day = _edited_copy(office, tmp_path, "乙-遮挡.register.json", {"generated_at": None})
    done = certcheck(office, "summary", office / "乙-遮挡.register.json", same_day)
    assert done.returncode == 4
    assert "没有生成时间" in done.stderr and "无法判断哪一份较新" in done.stderr

    later = _edited_copy(office, tmp_path, "乙-遮挡.register.json",
                         {"generated_at": None, "as_of": "2026-12-05"})
    done = certcheck(office, "summary", office / "乙-遮挡.register.json", later, "--format",
                     "json")
    assert done.returncode == 0, done.stderr
    assert [r["file"] for r in json.loads(done.stdout)["registers"]] == [later.name]


def test_similar_names_stay_two_enterprises_and_are_pointed_out(office: Path) -> None:
    other = office / "甲-简称.register.xlsx"
    if not other.exists():
        verify(office, office / "甲-花名册.csv", other.name, "重庆江津甲建材（有限公司）")
    done, form = summary(office, "甲-自查.register.xlsx", other.name)
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(form)["汇总表"][SELF_CHECKED_CELL].value == 2
    said = lines_about(done.stderr, "名称相近")
    assert len(said) == 1 and A in said[0] and "重庆江津甲建材（有限公司）" in said[0]
    assert not lines_about(done.stderr, "superseded")


# --- the same person in two enterprises -----------------------------------------------------


def test_a_person_on_two_enterprises_rosters_is_listed_masked(office: Path) -> None:
    done, form = summary(office, "甲-自查.register.xlsx", "乙-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    rows = table(form, "跨单位人员")
    assert [(r["序号"], r["姓名"], r["身份证号"], r["单位名称"], r["检查类型"], r["核验结果"],
             r["登记表"], r["行号"]) for r in rows] == [
        (1, "王五", masked(WANG), A, "企业自查", "有效", "甲-自查.register.xlsx", 4),
        (1, "王五", masked(WANG), B, "企业自查", "有效", "乙-自查.register.xlsx", 2),
    ]
    assert notes_below(form, "跨单位人员") == [
        "比对了 2 家单位的 4 人：1 人的身份证号出现在两家及以上单位，可能转借、冒用证件，请核查"]

    out = terminal(done)
    lead = lines_about(out, masked(WANG))
    assert lead == [f"  王五 {masked(WANG)}：{A}（企业自查：有效）；{B}（企业自查：有效）"]
    assert "1 人的身份证号出现在两家及以上单位" in out
    for id_number in (ZHANG, LI, LI_TYPO, WANG, ZHAO):
        assert id_number not in out
    cells = " ".join(str(v) for sheet in openpyxl.load_workbook(form).worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert WANG not in cells


def test_nobody_shared_is_said(office: Path) -> None:
    done, form = summary(office, "甲-自查-离职后.register.xlsx", "乙-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    assert table(form, "跨单位人员") == []
    assert notes_below(form, "跨单位人员") == [
        "比对了 2 家单位的 4 人，未发现同一身份证号出现在两家及以上单位"]
    assert "跨单位比对：比对了 2 家单位的 4 人，未发现" in done.stderr


def test_a_superseded_register_is_not_matched(office: Path) -> None:
    # 王五 left 甲 after its first register; the register made after he left is the one that
    # counts, so he is on one enterprise's roster only.
    done, form = summary(office, "甲-自查.register.xlsx", "甲-自查-离职后.register.xlsx",
                         "乙-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    assert table(form, "跨单位人员") == []
    assert not lines_about(terminal(done), masked(WANG))


def test_one_enterprise_has_nothing_to_compare(office: Path) -> None:
    done, form = summary(office, "甲-自查.register.xlsx")
    assert done.returncode == 0, done.stderr
    assert notes_below(form, "跨单位人员") == ["只有一家单位的登记表，无需跨单位比对"]
    assert "跨单位比对" not in done.stderr


# --- masked registers and the district's key ------------------------------------------------


def test_masked_registers_without_a_key_could_not_be_matched(office: Path) -> None:
    done, form = summary(office, "甲-遮挡.register.xlsx", "乙-遮挡.register.json")
    assert done.returncode == 0, done.stderr
    assert table(form, "跨单位人员") == []
    said = lines_about(done.stderr, "could not match")
    assert len(said) == 1
    assert "甲-遮挡.register.xlsx、乙-遮挡.register.json" in said[0]
    assert "身份证号已遮挡（--mask-ids），又没有比对标记，其中 5 人无法与其他单位比对" in said[0]
    notes = notes_below(form, "跨单位人员")
    assert notes[0] == "未能比对：2 家单位中，能比对的人员只在 0 家单位的登记表中（原因见提示）"
    assert any("无法与其他单位比对" in n for n in notes[1:])
    assert "跨单位比对：未能比对" in done.stderr
    assert any("无法与其他单位比对" in str(r[1]) for r in sheet_rows(form, "提示"))


def test_masked_registers_with_the_same_key_are_matched(office: Path) -> None:
    done, form = summary(office, "甲-遮挡-密钥1.register.xlsx", "乙-遮挡-密钥1.register.json",
                         "--match-key-file", "key1.txt")
    assert done.returncode == 0, done.stderr
    rows = table(form, "跨单位人员")
    assert [(r["姓名"], r["身份证号"], r["单位名称"], r["核验结果"]) for r in rows] == [
        ("王五", masked(WANG), A, "有效"), ("王五", masked(WANG), B, "有效")]
    assert lines_about(done.stderr, masked(WANG)) == [
        f"  王五 {masked(WANG)}：{A}（企业自查：有效）；{B}（企业自查：有效）"]
    assert not lines_about(done.stderr, "could not match")


def test_the_key_also_matches_a_masked_register_with_a_whole_one(office: Path) -> None:
    done, form = summary(office, "甲-自查.register.xlsx", "乙-遮挡-密钥1.register.json",
                         env=clean_env(office, CERTCHECK_MATCH_KEY=KEY_1))
    assert done.returncode == 0, done.stderr
    assert [r["单位名称"] for r in table(form, "跨单位人员")] == [A, B]


def test_tokens_without_the_key_at_summary_are_not_matched(office: Path) -> None:
    done, form = summary(office, "甲-遮挡-密钥1.register.xlsx", "乙-遮挡-密钥1.register.json")
    assert done.returncode == 0, done.stderr
    assert table(form, "跨单位人员") == []
    said = lines_about(done.stderr, "could not match")
    assert len(said) == 1 and "用同一密钥运行 summary --match-key-file 即可比对" in said[0]


def test_registers_of_different_keys_are_not_matched_and_it_is_said(office: Path) -> None:
    printed = verify(office, office / "乙-花名册.csv", "乙-再遮挡-密钥2.register.xlsx", B,
                     "--mask-ids", "--match-key-file", "key2.txt").stderr
    fingerprint = re.search(r"密钥指纹 ([0-9a-f]+)", printed)
    assert fingerprint is not None
    done, form = summary(office, "甲-遮挡-密钥1.register.xlsx", "乙-遮挡-密钥2.register.xlsx",
                         "--match-key-file", "key1.txt")
    assert done.returncode == 0, done.stderr
    assert table(form, "跨单位人员") == []
    said = lines_about(done.stderr, "different key")
    assert len(said) == 1
    assert said[0].startswith("提示：乙-遮挡-密钥2.register.xlsx：比对标记由另一密钥写入")
    assert f"密钥指纹 {fingerprint.group(1)}，本次密钥指纹" in said[0]
    notes = notes_below(form, "跨单位人员")
    assert notes[0] == "未能比对：2 家单位中，能比对的人员只在 1 家单位的登记表中（原因见提示）"
    assert any("由另一密钥写入" in n for n in notes[1:])


def _register_texts(path: Path) -> Iterator[str]:
    if path.suffix == ".json":
        yield path.read_text("utf-8")
        return
    with zipfile.ZipFile(path) as package:
        for member in package.namelist():
            yield package.read(member).decode("utf-8", "replace")


def test_a_masked_register_holds_neither_the_id_nor_a_plain_hash_of_it(office: Path) -> None:
    for name in ("甲-遮挡-密钥1.register.xlsx", "乙-遮挡-密钥1.register.json"):
        text = "".join(_register_texts(office / name)).lower()
        for id_number in (ZHANG, WANG, ZHAO):
            assert id_number.lower() not in text
            for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
                assert digest(id_number.encode()).hexdigest()[:16] not in text
    book = openpyxl.load_workbook(office / "甲-遮挡-密钥1.register.xlsx")
    assert book["_certcheck_match"].sheet_state == "hidden"
    assert "_certcheck_match" not in [ws.title for ws in book.worksheets
                                      if ws.sheet_state == "visible"]


def test_a_short_key_is_refused_before_any_work(office: Path) -> None:
    (office / "short.txt").write_text("123456\n", "utf-8")
    done = certcheck(office, "verify", "甲-花名册.csv", "--source",
                     f"registry:{office / 'registry.csv'}", "--match-key-file", "short.txt",
                     "-o", "不该写.register.xlsx")
    assert done.returncode == 2
    assert "比对密钥太短" in done.stderr and "secrets.token_urlsafe" in done.stderr
    assert not (office / "不该写.register.xlsx").exists()
    done = certcheck(office, "summary", "甲-自查.register.xlsx",
                     env=clean_env(office, CERTCHECK_MATCH_KEY="short"))
    assert done.returncode == 2 and "比对密钥太短" in done.stderr


def test_tokens_follow_their_workers_when_the_register_is_sorted(
    office: Path, tmp_path: Path
) -> None:
    # An office sorts the register sheet by name before filing it; the hidden tokens are found
    # by sheet and row, not by position.
    book = openpyxl.load_workbook(office / "甲-遮挡-密钥1.register.xlsx")
    ws = book["核验登记表"]
    sheet = register_table(ws)
    rows = [list(row.values()) for row in sheet.rows]
    for r, values in enumerate(reversed(rows), start=sheet.first_row):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    sorted_copy = tmp_path / "甲-排序后.register.xlsx"
    book.save(sorted_copy)
    done, form = summary(office, str(sorted_copy), "乙-遮挡-密钥1.register.json",
                         "--match-key-file", "key1.txt")
    assert done.returncode == 0, done.stderr
    assert [(r["姓名"], r["单位名称"], r["行号"]) for r in table(form, "跨单位人员")] == [
        ("王五", A, 4), ("王五", B, 2)]


def test_a_token_edited_by_hand_is_refused(office: Path, tmp_path: Path) -> None:
    data = json.loads((office / "乙-遮挡-密钥1.register.json").read_text("utf-8"))
    data["workers"][0]["match_token"] = "not a token"
    edited = tmp_path / "乙-改.register.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    done = certcheck(office, "summary", edited)
    assert done.returncode == 4
    assert "乙-改.register.json" in done.stderr and "比对标记无法识别" in done.stderr
