"""Make the sample files every example in the README and in docs/使用说明.md runs on.

- ``roster.xlsx``: what a small enterprise's safety officer keeps: a title row, a header, about
  thirty workers. ``registry.csv`` plays the national lookup for every sample roster. Together
  they exercise every status and most reasons when checked as of 2026-12-01.
- ``rosters/``: two more enterprises' rosters.
- ``registers/``: the registers ``certcheck verify`` writes for them: three self-checks (企业自查)
  and two inspectors' spot checks (执法检查), as a district office receives them.
- ``辖区企业.csv``: the district's list of enterprises (one of them sent no self-check);
  ``处罚.csv``: the measures the inspectors took. With the registers they fill 附件1.
- ``2027-03/``: 德感机械 three months on, for ``certcheck diff``: its roster as kept in March
  2027, the national lookup as it then answers (``registry.csv``) and the self-check register
  written as of 2027-03-01. Between the two checks one worker left and one came, reviews were
  recorded, a certificate was renewed, a review fell overdue, a claimed card turned out to be
  nobody's and an ID typed as a number was retyped.

Run it from the repository with the development install (it needs openpyxl and certcheck):

    .venv/bin/python samples/make_samples.py

Run twice, it writes the same bytes: ``git status`` stays clean unless what the samples hold has
changed. Everything that would carry the time of the run is pinned: the rosters' zip entries and
document properties carry fixed dates, and ``certcheck`` itself runs with its clock pinned to
``CHECKED_AT`` (``--certcheck`` below), so the registers' 核验时间, ``generated_at`` and created
date are the same every time. docs/make_pictures.py runs certcheck the same way.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
ISSUER = "重庆市应急管理局"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str, born: str, seq: int) -> str:
    first17 = f"{region}{born}{seq:03d}"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


# (name, id, category, item, valid_from, valid_until, review_due, reviewed, cert number or "")
Registry = list[tuple[str, str, str, str, str, str, str, str, str]]


def build() -> tuple[list[list[object]], Registry]:
    roster: list[list[object]] = []
    registry: Registry = []

    def person(
        seq: int,
        name: str,
        item_declared: str,
        *,
        cert: str | None = "T",
        declared_until: str | None = None,
        official: list[tuple[str, str, str, str, str, str, str]] | None = None,
        official_name: str | None = None,
        id_override: object = None,
        born: str = "19850315",
    ) -> str:
        id_number = make_id("500381", born, seq)
        number = "" if cert is None else ("T" + id_number if cert == "T" else cert)
        category = ""
        roster.append(
            [len(roster) + 1, name, id_override if id_override is not None else id_number,
             category, item_declared, number, declared_until or ""]
        )
        for cat, item, start, until, due, done, num in official or []:
            registry.append(
                (official_name or name, id_number, cat, item, start, until, due, done,
                 num if num != "T" else "T" + id_number)
            )
        return id_number

    ok_elec = ("电工作业", "低压电工作业", "2022-03-01", "2028-03-01", "2025-03-01", "2025-02-10", "T")
    ok_weld = ("焊接与热切割作业", "熔化焊接与热切割作业", "2023-06-01", "2029-06-01",
               "2026-06-01", "2026-05-08", "T")
    ok_height = ("高处作业", "登高架设作业", "2024-04-01", "2030-04-01", "2027-04-01", "", "T")
    ok_cold = ("制冷与空调作业", "制冷与空调设备安装修理作业", "2021-09-01", "2027-09-01",
               "2024-09-01", "2024-08-01", "T")
    ok_hv = ("电工作业", "高压电工作业", "2024-01-10", "2030-01-10", "2027-01-10", "", "T")

    # valid
    person(1, "张伟", "低压电工", official=[ok_elec], declared_until="2028-03-01")
    person(2, "王芳", "电工", official=[ok_hv])
    person(3, "李强", "电焊工", official=[ok_weld])
    person(4, "刘洋", "焊工", official=[ok_weld])
    person(5, "陈杰", "架子工", official=[ok_height])
    person(6, "杨敏", "制冷工", official=[ok_cold])
    person(7, "赵磊", "高压电工", official=[ok_hv, ok_elec])
    person(8, "黄丽", "登高架设作业", cert=None, official=[ok_height])
    person(9, "买买提・艾力", "低压电工作业", official=[ok_elec], official_name="买买提·艾力")
    # valid, but review due within 60 days of 2026-12-01
    person(10, "周静", "低压电工", official=[
        ("电工作业", "低压电工作业", "2023-12-20", "2029-12-20", "2026-12-20", "", "T")])
    # valid, but the roster's own date is out of date
    person(11, "吴刚", "焊工", declared_until="2027-06-01", official=[ok_weld])
    # valid: holds an expired old certificate and a valid new one for the same item
    person(12, "徐娜", "电工", official=[
        ("电工作业", "低压电工作业", "2012-05-01", "2018-05-01", "2015-05-01", "2015-04-01", "T"),
        ok_elec])
    # expired: validity ended
    person(13, "孙涛", "电焊工", official=[
        ("焊接与热切割作业", "熔化焊接与热切割作业", "2019-10-01", "2025-10-01", "2022-10-01",
         "2022-09-15", "T")])
    person(14, "马超", "低压电工", official=[
        ("电工作业", "低压电工作业", "2020-11-01", "2026-11-01", "2023-11-01", "2023-10-20", "T")])
    # expired: review overdue
    person(15, "朱琳", "架子工", official=[
        ("高处作业", "登高架设作业", "2022-08-01", "2028-08-01", "2025-08-01", "", "T")])
    person(16, "胡军", "制冷工", official=[
        ("制冷与空调作业", "制冷与空调设备运行操作作业", "2021-02-01", "2027-02-01",
         "2024-02-01", "2019-01-15", "T")])
    # fake: declared certificate, nothing found
    person(17, "郭鹏", "低压电工")
    person(18, "何洁", "焊工", declared_until="2029-01-01")
    # fake: the record for this ID carries another name
    person(19, "高明", "低压电工", official=[ok_elec], official_name="高小明")
    # fake: declared number is not the person's
    person(20, "林峰", "电焊工", cert="T370102198003150011", official=[ok_weld])
    # uncertified: nothing declared, nothing found
    person(21, "罗斌", "电工", cert=None)
    person(22, "梁秀英", "架子工", cert=None)
    # uncertified: holds a certificate, but not for the declared item
    person(23, "宋健", "高压电工", cert=None, official=[ok_elec])
    person(24, "郑霞", "熔化焊接与热切割", cert=None, official=[ok_height])
    # unverified: invalid ID (wrong check digit)
    bad = make_id("500381", "19850315", 25)
    wrong_check = bad[:17] + ("0" if bad[17] != "0" else "1")
    person(25, "谢勇", "低压电工", id_override=wrong_check)
    # unverified: the ID was typed in as a number
    num_id = make_id("500381", "19850315", 26)
    person(26, "韩冰", "低压电工", id_override=float(num_id[:15] + "000"), official=[ok_elec])
    # unverified: no ID at all
    person(27, "唐亮", "焊工", id_override="")
    roster[-1][2] = None
    # duplicate: the same person entered twice
    dup = person(28, "冯雪", "架子工", official=[ok_height])
    roster.append([len(roster) + 1, "冯雪", dup, "", "架子工", "T" + dup, ""])
    # valid, lowercase x in the roster
    for seq in range(29, 60):
        id_number = make_id("500381", "19900101", seq)
        if id_number.endswith("X"):
            roster.append([len(roster) + 1, "邓超", id_number.lower(), "", "低压电工",
                           "T" + id_number, ""])
            registry.append(("邓超", id_number, *ok_elec[:-1], "T" + id_number))
            break
    return roster, registry


ENTERPRISE = "重庆市江津区德感机械制造有限公司"
BUILDING = "江津区示例建材有限公司"
CHEMICAL = "江津区示例化工有限公司"
FOOD = "江津区示例食品有限公司"
AS_OF = "2026-12-01"

# (name, declared item, declared cert "T" = T + ID / None, official records, official name)
Person = tuple[str, str, str | None, list[tuple[str, str, str, str, str, str, str]], str | None]


def other_enterprises(registry: Registry) -> dict[str, list[list[object]]]:
    """Two more enterprises' workers; their official records are added to ``registry``."""
    elec = ("电工作业", "低压电工作业", "2023-05-10", "2029-05-10", "2026-05-10", "2026-04-20", "T")
    weld = ("焊接与热切割作业", "熔化焊接与热切割作业", "2022-07-01", "2028-07-01", "2025-07-01",
            "2025-06-12", "T")
    height = ("高处作业", "登高架设作业", "2024-03-15", "2030-03-15", "2027-03-15", "", "T")
    old_weld = ("焊接与热切割作业", "熔化焊接与热切割作业", "2019-08-01", "2025-08-01",
                "2022-08-01", "2022-07-20", "T")
    chem = ("危险化学品安全作业", "化工自动化控制仪表作业", "2023-09-01", "2029-09-01",
            "2026-09-01", "2026-08-15", "T")
    hydro = ("危险化学品安全作业", "加氢工艺作业", "2021-04-01", "2027-04-01", "2024-04-01", "", "T")
    people: dict[str, tuple[str, list[Person]]] = {
        BUILDING: ("500116", [
            ("陈立", "低压电工", "T", [elec], None),
            ("王建国", "电焊工", "T", [weld], None),
            ("李刚", "架子工", "T", [height], None),
            ("赵明", "焊工", "T", [old_weld], None),  # expired
            ("孙红", "电工", None, [], None),  # uncertified
            ("周海", "登高架设作业", "T", [height], None),
        ]),
        CHEMICAL: ("500116", [
            ("钱进", "化工自动化控制仪表作业", "T", [chem], None),
            ("吴磊", "加氢工艺作业", "T", [hydro], None),  # review overdue
            ("郑伟", "低压电工", "T", [], None),  # fake: nothing found
            ("冯涛", "电焊工", "T", [weld], None),
            ("陈静", "化工自动化控制仪表作业", "T", [chem], None),
            ("褚亮", "高压电工", None, [elec], None),  # uncertified: holds 低压 only
            ("卫东", "低压电工", "T", [elec], "卫冬"),  # fake: the record is another name's
            ("蒋平", "加氢工艺作业", "T", [hydro], None),  # review overdue
        ]),
    }
    rosters: dict[str, list[list[object]]] = {}
    for e, (enterprise, (region, workers)) in enumerate(people.items()):
        rows: list[list[object]] = []
        for i, (name, item, cert, official, official_name) in enumerate(workers, start=1):
            id_number = make_id(region, f"19{80 + e * 5 + i % 5}0{1 + i % 9}1{i % 9}",
                                100 + e * 20 + i)
            number = "" if cert is None else "T" + id_number
            rows.append([i, name, id_number, "", item, number, ""])
            for cat, op, start, until, due, done, num in official:
                registry.append((official_name or name, id_number, cat, op, start, until, due,
                                 done, "T" + id_number if num == "T" else num))
        rosters[enterprise] = rows
    return rosters


def write_roster(path: Path, title: str, rows: list[list[object]], signed: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append([title])
    ws.merge_cells("A1:G1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["序号", "姓名", "身份证号码（18位）", "作业类别", "操作项目", "证号", "有效期至"])
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append([signed, None, "审核人：", None, None, "填报日期：2026年11月28日"])
    for col, width in zip("ABCDEFG", (6, 14, 22, 12, 16, 22, 12)):
        ws.column_dimensions[col].width = width
    written = io.BytesIO()
    wb.save(written)
    path.write_bytes(fixed_dates(written.getvalue()))


#: The date every roster says it was made (its 填报日期), in its zip entries and properties.
MADE = (2026, 11, 28, 0, 0, 0)
_PROPERTY_DATE = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def fixed_dates(workbook: bytes) -> bytes:
    """The workbook with its zip entries and its created/modified properties dated ``MADE``:
    openpyxl dates both with the time it saves."""
    out = io.BytesIO()
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*MADE)
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = _PROPERTY_DATE.sub(rf"\g<1>{stamp}\g<3>", data.decode()).encode()
            fixed = zipfile.ZipInfo(entry.filename, date_time=MADE)
            fixed.compress_type = entry.compress_type
            fixed.external_attr = entry.external_attr
            target.writestr(fixed, data)
    return out.getvalue()


#: When certcheck checks the samples: the morning of the as-of date, in China's time zone.
CHECKED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
#: China's time zone for the pinned run, in the POSIX form both Linux's and Windows' C
#: libraries read without a zone database.
PINNED_TZ = "CST-8"


def certcheck_pinned(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``certcheck ARGS`` as a user would, with its clock pinned to ``CHECKED_AT``."""
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--certcheck", *map(str, args)],
        capture_output=True, text=True, check=False, env={**os.environ, "TZ": PINNED_TZ},
    )


def _run_pinned(args: list[str]) -> None:
    """certcheck's command line, with every clock it reads the time from showing
    ``CHECKED_AT``: the lookups' (核验时间), the register's ``generated_at``, and the date
    xlsxwriter writes into a workbook's properties."""
    import xlsxwriter.core

    import certcheck.check
    import certcheck.pipeline
    from certcheck.cli import main

    real = datetime
    # The morning of the run's as-of date: a register checked "as of" a later day was written
    # on that day, not on the first samples' day.
    checked_at = CHECKED_AT
    if "--as-of" in args:
        day = date.fromisoformat(args[args.index("--as-of") + 1])
        checked_at = CHECKED_AT.replace(year=day.year, month=day.month, day=day.day)

    class Pinned(real):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            if tz is None:
                return checked_at.astimezone().replace(tzinfo=None)
            return checked_at.astimezone(tz)  # type: ignore[arg-type]

    certcheck.check.SystemClock.now = lambda self: checked_at.astimezone()  # type: ignore[method-assign]
    certcheck.pipeline.datetime = Pinned  # type: ignore[misc]
    xlsxwriter.core.datetime = Pinned  # type: ignore[attr-defined]
    sys.argv = ["certcheck", *args]
    main()


LATER_AS_OF = "2027-03-01"
LATER = HERE / "2027-03"


def later(roster: list[list[object]], registry: Registry) -> tuple[list[list[object]], Registry]:
    """德感机械's roster and the national lookup's records as of ``LATER_AS_OF``.

    - 梁秀英 (无证) left; 严明 came, with a valid certificate;
    - 罗斌 (无证) now declares a certificate the lookup does not hold: 假证;
    - 韩冰's ID, typed as a number and cut, is retyped as text;
    - 朱琳 (逾期未复审) had the review done; 王芳 and 赵磊 had theirs done before it fell due;
    - 马超 (超过有效期) renewed the certificate;
    - 周静's review fell due on 2026-12-20 and was not done: 逾期.
    """
    ids = {row[1]: str(row[2]) for row in roster if isinstance(row[2], str)}
    rows: list[list[object]] = []
    for row in roster:
        name = row[1]
        if name == "梁秀英":
            continue
        row = list(row)
        if name == "罗斌":
            row[5] = "T" + str(row[2])
        if name == "韩冰":
            row[2] = make_id("500381", "19850315", 26)
        rows.append(row)
    newcomer = make_id("500381", "19920708", 61)
    rows.append([0, "严明", newcomer, "", "低压电工", "T" + newcomer, ""])
    for n, row in enumerate(rows, start=1):
        row[0] = n

    reviews = {("朱琳", "登高架设作业"): "2027-01-15", ("王芳", "高压电工作业"): "2027-01-05",
               ("赵磊", "高压电工作业"): "2027-01-08"}
    records: Registry = []
    for name, id_number, cat, item, start, until, due, done, number in registry:
        done = reviews.get((name, item), done)
        records.append((name, id_number, cat, item, start, until, due, done, number))
    records.append(("马超", ids["马超"], "电工作业", "低压电工作业", "2026-12-15", "2032-12-15",
                    "2029-12-15", "", "T" + ids["马超"]))
    records.append(("严明", newcomer, "电工作业", "低压电工作业", "2026-10-01", "2032-10-01",
                    "2029-10-01", "", "T" + newcomer))
    return rows, records


def write_registry(path: Path, registry: Registry) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
                      "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"])
        for name, id_number, cat, item, start, until, due, done, number in registry:
            out.writerow([name, id_number, number, cat, item, start, start, until, due, done, ISSUER])


def verify(roster: Path, out: Path, *options: str, registry: Path = HERE / "registry.csv",
           as_of: str = AS_OF) -> None:
    """Run certcheck verify as a user would; exit 1 (violations found) is expected."""
    done = certcheck_pinned(
        "verify", roster, "--source", f"registry:{registry}", "--as-of", as_of,
        "--no-progress", "--no-cache", "-o", out, *options,
    )
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"verify {roster.name} failed ({done.returncode}): {done.stderr}")


def main() -> None:
    roster, registry = build()
    write_roster(HERE / "roster.xlsx", ENTERPRISE + "特种作业人员花名册", roster, "制表人：安全科 李明")
    # Made before the other enterprises' records join the registry: the later lookup is asked
    # about 德感机械's workers only.
    later_roster, later_registry = later(roster, registry)
    others = other_enterprises(registry)
    write_registry(HERE / "registry.csv", registry)

    rosters = HERE / "rosters"
    rosters.mkdir(exist_ok=True)
    files = {BUILDING: rosters / "示例建材-花名册.xlsx", CHEMICAL: rosters / "示例化工-花名册.xlsx"}
    for enterprise, rows in others.items():
        write_roster(files[enterprise], enterprise + "特种作业人员花名册", rows, "制表人：办公室")

    registers = HERE / "registers"
    registers.mkdir(exist_ok=True)
    for old in registers.glob("*.register.*"):
        old.unlink()
    verify(HERE / "roster.xlsx", registers / "德感机械-自查.register.xlsx")
    verify(files[BUILDING], registers / "示例建材-自查.register.xlsx")
    verify(files[CHEMICAL], registers / "示例化工-自查.register.xlsx")
    verify(HERE / "roster.xlsx", registers / "德感机械-执法检查.register.xlsx",
           "--kind", "inspection", "--sample", "8", "--seed", "2023")
    verify(files[CHEMICAL], registers / "示例化工-执法检查.register.xlsx",
           "--kind", "inspection", "--sample", "4", "--seed", "7")

    LATER.mkdir(exist_ok=True)
    for old in LATER.glob("*.register.*"):
        old.unlink()
    write_registry(LATER / "registry.csv", later_registry)
    write_roster(LATER / "德感机械-花名册.xlsx", ENTERPRISE + "特种作业人员花名册", later_roster,
                 "制表人：安全科 李明")
    verify(LATER / "德感机械-花名册.xlsx", LATER / "德感机械-自查.register.xlsx",
           registry=LATER / "registry.csv", as_of=LATER_AS_OF)

    with (HERE / "辖区企业.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["序号", "单位名称", "所属镇街"])
        for i, name in enumerate((ENTERPRISE, BUILDING, CHEMICAL, FOOD), start=1):
            out.writerow([i, name, "德感街道" if i == 1 else "示例镇"])
    with (HERE / "处罚.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["单位名称", "措施", "罚款（万元）", "文书编号"])
        out.writerow([ENTERPRISE, "责令整改", "2", "（津）应急罚〔2026〕101号"])
        out.writerow([CHEMICAL, "停产整顿", "3.5", "（津）应急罚〔2026〕102号"])
    print(f"wrote {len(roster)} + {sum(len(r) for r in others.values())} workers, "
          f"{len(registry)} official records, 5 registers, the enterprise list, the actions and "
          f"{LATER.name}/ ({len(later_roster)} workers as of {LATER_AS_OF})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--certcheck"]:
        _run_pinned(sys.argv[2:])
    else:
        main()
