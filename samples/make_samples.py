"""Make samples/roster.xlsx and samples/registry.csv.

The roster is what a small enterprise's safety officer would keep: a title row, a header, about
thirty workers. The registry plays the national lookup. Together they exercise every status and
most reasons when checked as of 2026-12-01:

    python samples/make_samples.py
    certcheck verify samples/roster.xlsx --source registry:samples/registry.csv --as-of 2026-12-01
"""

from __future__ import annotations

import csv
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
    person(24, "郑霞", "电焊工", cert=None, official=[ok_height])
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


def main() -> None:
    roster, registry = build()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(["重庆市江津区德感机械制造有限公司特种作业人员花名册"])
    ws.merge_cells("A1:G1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["序号", "姓名", "身份证号码（18位）", "作业类别", "操作项目", "证号", "有效期至"])
    for row in roster:
        ws.append(row)
    ws.append([])
    ws.append(["制表人：安全科 李明", None, "审核人：", None, None, "填报日期：2026年11月28日"])
    for col, width in zip("ABCDEFG", (6, 14, 22, 12, 16, 22, 12)):
        ws.column_dimensions[col].width = width
    wb.save(HERE / "roster.xlsx")

    with (HERE / "registry.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["姓名", "证件号码", "证号", "作业类别", "操作项目", "初领日期", "有效期开始日期",
                      "有效期结束日期", "应复审日期", "实际复审日期", "签发机关"])
        for name, id_number, cat, item, start, until, due, done, number in registry:
            out.writerow([name, id_number, number, cat, item, start, start, until, due, done, ISSUER])
    print(f"wrote {len(roster)} workers and {len(registry)} official records")


if __name__ == "__main__":
    main()
