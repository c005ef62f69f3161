"""Writes old_register.xlsx with certcheck as it was before rosters of several sheets (commit
41d87eb and earlier): ``roster_sheet`` on the hidden sheet, no 工作表 or 证书状态 column.
tests/test_register_sheets.py reads it back as a register written by an earlier version.

Kept so the fixture can be remade; it only runs against such an older checkout:

    git archive 41d87eb src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src python tests/data/make_old_registers.py
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from certcheck.models import (
    Answer,
    CertNumber,
    CertRecord,
    Declared,
    Finding,
    Found,
    NotFound,
    Reason,
    Status,
    Worker,
)
from certcheck.register.formats import write
from certcheck.register.model import Kind, Register, RegisterMeta

CST = timezone(timedelta(hours=8))
CHECKED = datetime(2026, 11, 29, 10, 0, tzinfo=CST)
HERE = Path(__file__).parent
# GB 11643 IDs with their check characters.
IDS = ("500381198503150019", "500381198503150027", "500381198503150035")


def _record(name: str, id_number: str, until: date, review: date) -> CertRecord:
    return CertRecord(
        name=name, id_number=id_number, cert_number="T" + id_number, category="电工作业",
        item="低压电工作业", first_issued=date(2022, 5, 1), valid_from=date(2022, 5, 1),
        valid_until=until, review_due=review, reviewed=None, issuer="重庆市应急管理局",
    )


def main() -> None:
    valid = _record("张三", IDS[0], date(2027, 1, 10), date(2026, 12, 20))
    expired = _record("李四", IDS[1], date(2026, 1, 1), date(2025, 1, 1))
    findings = (
        Finding(Worker(row=3, name="张三", id_number=IDS[0], declared=Declared(item="低压电工作业")),
                Status.VALID, Reason.OK, (), (valid,), decisive=valid,
                answer=Answer(Found((valid,)), "registry", CHECKED)),
        Finding(Worker(row=4, name="李四", id_number=IDS[1], declared=Declared(item="低压电工作业")),
                Status.EXPIRED, Reason.VALIDITY_ENDED, (), (expired,), decisive=expired,
                answer=Answer(Found((expired,)), "registry", CHECKED)),
        Finding(Worker(row=5, name="王五", id_number=IDS[2],
                       declared=Declared(cert_number=CertNumber("T" + IDS[2], ("T" + IDS[2],)))),
                Status.FAKE, Reason.NOT_FOUND, (), (),
                answer=Answer(NotFound(), "registry", CHECKED)),
    )
    meta = RegisterMeta(
        version="0.1.0", as_of=date(2026, 11, 29), source="registry", roster_file="roster.xlsx",
        sheet="Sheet1", enterprise="重庆某老登记表有限公司", kind=Kind.SELF_CHECK,
        generated_at=datetime(2026, 11, 29, 10, 30, tzinfo=CST),
    )
    register = Register(meta=meta, findings=findings)
    write(register, HERE / "old_register.xlsx")


if __name__ == "__main__":
    main()
