"""Hostile and broken plugins, installed through their entry points and run in a child process
under a memory and a time limit: a clean exit 4 naming the plugin, or a correct result, never
a verdict (exit 0 / 1) nobody checked, never a traceback, and ``certcheck sources`` lists the
rest whatever one plugin does."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from certcheck.sources.plugins import BUILT_IN
from factories import nth_id

ROOT = Path(__file__).resolve().parents[1]
#: The limits of issue 19: every attack ends within 30 s and under 1.5 GiB.
MEMORY = 1536 * 1024 * 1024
SECONDS = 30
AS_OF = "2026-11-29"

#: A plugin that works: every worker it is asked about holds a valid certificate.
GOOD = '''
from datetime import date
from certcheck.models import CertRecord, Found
from certcheck.sources.interface import ImmediateSource


def valid(query):
    return Found((CertRecord(
        name=query.name, id_number=query.id_number, cert_number="T" + query.id_number,
        category="电工作业", item="低压电工作业", first_issued=date(2024, 5, 1),
        valid_from=date(2024, 5, 1), valid_until=date(2030, 5, 1), review_due=date(2027, 5, 1),
        reviewed=None, issuer="重庆市应急管理局"),))


class Good(ImmediateSource):
    name = "good"
    description = "answers valid for everyone"

    @classmethod
    def from_spec(cls, arg, options):
        return cls()

    def lookup_now(self, query):
        return valid(query)
'''


def install(site: Path, dist: str, modules: dict[str, str], entries: str) -> None:
    """A distribution ``dist`` holding ``modules`` and the ``entry_points.txt`` text given."""
    site.mkdir(exist_ok=True)
    for module, code in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(code), "utf-8")
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entries), "utf-8")


def _limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def certcheck(site: Path, *args: str | Path, home: Path | None = None,
              ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    if home is not None:
        env["XDG_CACHE_HOME"] = str(home)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "certcheck", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=SECONDS,
                          stdin=subprocess.DEVNULL, preexec_fn=_limit)
    assert time.monotonic() - started < SECONDS
    return done


def refused(done: subprocess.CompletedProcess[str], *named: str) -> str:
    """A clean exit 4: one line on stderr, naming what is given, no traceback."""
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for words in named:
        assert words in lines[0], lines[0]
    return lines[0]


NAMES = "甲乙丙丁戊己庚"


def roster(tmp_path: Path, people: int = 2) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("姓名,身份证号,操作项目\n" + "".join(
        f"工人{NAMES[n]},{nth_id(n)},低压电工\n" for n in range(people)), "utf-8")
    return path


def verify(site: Path, tmp_path: Path, source: str, *extra: str
           ) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / "out.json"
    done = certcheck(site, "verify", roster(tmp_path), "--source", source, "--as-of", AS_OF,
                     "--no-cache", "--no-progress", "-o", out, *extra)
    return done, out


# ---- loading a source plugin ------------------------------------------------------------

#: What a plugin's module does when imported, and what the message then says.
AT_IMPORT = {
    "SystemExit(0)": ("raise SystemExit(0)", "SystemExit: 0"),
    "sys.exit()": ("import sys\nsys.exit()", "SystemExit"),
    "SystemExit(1)": ("raise SystemExit(1)", "SystemExit: 1"),
    "KeyboardInterrupt": ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    "a BaseException of its own": (
        "class Boom(BaseException):\n    pass\nraise Boom('bang')", "Boom: bang"),
    "an exception": ("raise ValueError('no config')", "ValueError: no config"),
    "a missing module": ("import certcheck_no_such_module", "ModuleNotFoundError"),
    "memory": ("hoard = bytearray(4 * 1024 ** 3)", "MemoryError"),
    "an exception whose str raises": (
        "class Odd(Exception):\n    def __str__(self):\n        raise SystemExit(0)\n"
        "raise Odd()", "Odd"),
}


@pytest.mark.parametrize("case", list(AT_IMPORT))
def test_a_plugin_failing_at_import_is_exit_4_naming_it(tmp_path: Path, case: str) -> None:
    code, said = AT_IMPORT[case]
    site = tmp_path / "site"
    install(site, "hostile", {"hostile_table": code + "\n"},
            "[certcheck.sources]\ntable = hostile_table:Table\n")
    done, out = verify(site, tmp_path, "table")
    refused(done, "table", "hostile_table:Table", "来自 hostile", "无法加载", said)
    assert not out.exists()


#: A plugin's class that is wrong in some way, and what the message says of it.
WRONG_CLASS = {
    "a function": ("def Table():\n    pass", "不是 LookupSource"),
    "a number": ("Table = 5", "不是 LookupSource，却是 5"),
    "another class": ("class Table:\n    name = 'table'", "不是 LookupSource"),
    "a name that is no text": ("class Table(Good):\n    name = 5", "name 应为文字，却是 5"),
    "no name": ("class Table(Good):\n    pass\ndel Good.name", "name 应为文字，却是 None"),
    "a name that is a built-in's": ("class Table(Good):\n    name = 'registry'",
                                   "name 是 registry，与注册名称 table 不同"),
    "a rate that is text": ("class Table(Good):\n    name = 'table'\n    default_rate = 'fast'",
                            "default_rate 应为正数或 None"),
    "an infinite rate": ("class Table(Good):\n    name = 'table'\n"
                         "    default_rate = float('inf')", "default_rate 应为正数或 None"),
    "regimes as text": ("class Table(Good):\n    name = 'table'\n    regimes = 'MEM'",
                        "regimes 应为 Regime 的非空 frozenset"),
    "a description that is no text": (
        "class Table(Good):\n    name = 'table'\n    description = ['x']", "description 应为文字"),
    "no lookup": ("from certcheck.sources.interface import LookupSource\n"
                  "class Table(LookupSource):\n    name = 'table'\n"
                  "    @classmethod\n    def from_spec(cls, arg, options):\n        return cls()",
                  "没有实现 lookup"),
    "a metaclass that exits when asked": (
        "class Meta(type(Good)):\n    @property\n    def name(cls):\n"
        "        raise SystemExit(0)\n"
        "class Table(Good, metaclass=Meta):\n    pass", "检查时出错（checking it raised SystemExit: 0）"),
}


@pytest.mark.parametrize("case", list(WRONG_CLASS))
def test_a_plugin_of_the_wrong_shape_is_exit_4_naming_it(tmp_path: Path, case: str) -> None:
    code, said = WRONG_CLASS[case]
    site = tmp_path / "site"
    install(site, "wrong", {"wrong_table": GOOD + "\n" + code + "\n"},
            "[certcheck.sources]\ntable = wrong_table:Table\n")
    done, out = verify(site, tmp_path, "table")
    refused(done, "table", "wrong_table:Table", "不能使用", said)
    assert not out.exists()


#: What ``from_spec`` does, and what the message says of it.
AT_CONSTRUCTION = {
    "SystemExit(0)": ("raise SystemExit(0)", "from_spec raised SystemExit: 0"),
    "KeyboardInterrupt": ("raise KeyboardInterrupt", "from_spec raised KeyboardInterrupt"),
    "an exception": ("raise RuntimeError('no table')", "from_spec raised RuntimeError: no table"),
    "None returned": ("return None", "from_spec 返回了 None，不是 LookupSource"),
}


@pytest.mark.parametrize("case", list(AT_CONSTRUCTION))
def test_a_plugin_failing_to_be_built_is_exit_4_naming_it(tmp_path: Path, case: str) -> None:
    body, said = AT_CONSTRUCTION[case]
    code = GOOD + textwrap.dedent(f"""
        class Table(Good):
            name = "table"

            @classmethod
            def from_spec(cls, arg, options):
                {body}
    """)
    site = tmp_path / "site"
    install(site, "broken", {"broken_table": code}, "[certcheck.sources]\ntable = broken_table:Table\n")
    done, out = verify(site, tmp_path, "table")
    refused(done, "table", "broken_table:Table", "无法创建", said)
    assert not out.exists()


def test_a_plugins_own_source_error_is_its_message(tmp_path: Path) -> None:
    code = GOOD + textwrap.dedent("""
        from certcheck.sources.interface import SourceError

        class Table(Good):
            name = "table"

            @classmethod
            def from_spec(cls, arg, options):
                raise SourceError("表格文件不存在（no table file）")
    """)
    site = tmp_path / "site"
    install(site, "polite", {"polite_table": code}, "[certcheck.sources]\ntable = polite_table:Table\n")
    done, _ = verify(site, tmp_path, "table")
    assert refused(done, "表格文件不存在（no table file）")


def test_ctrl_c_while_a_plugin_is_imported_is_an_interruption(tmp_path: Path) -> None:
    """The person's own Ctrl-C is not the plugin's fault: exit 130, as anywhere else."""
    marker = tmp_path / "importing"
    site = tmp_path / "site"
    install(site, "slow", {"slow_table": f"""
        import pathlib, time
        pathlib.Path({str(marker)!r}).write_text("now")
        time.sleep(60)
    """}, "[certcheck.sources]\ntable = slow_table:Table\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "certcheck", "verify", str(roster(tmp_path)), "--source", "table",
         "--no-cache", "-o", str(tmp_path / "out.json")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(site)}, preexec_fn=_limit)
    try:
        deadline = time.monotonic() + SECONDS
        while not marker.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=SECONDS)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, stderr
    assert "已中断" in stderr and "Traceback" not in stderr


def test_a_solver_plugin_failing_at_import_is_exit_4_naming_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "badsolver", {"bad_solver": "raise SystemExit(0)\n"},
            "[certcheck.captcha_solvers]\nocr = bad_solver:Ocr\n")
    done, out = verify(site, tmp_path, "mem", "--captcha", "ocr",
                       "--mem-url", "http://127.0.0.1:9/")
    refused(done, "验证码识别方式插件 ocr", "bad_solver:Ocr", "SystemExit: 0")
    assert not out.exists()


# ---- a plugin that ends the run during a lookup ---------------------------------------------

DURING_LOOKUP = GOOD + '''
import asyncio
from certcheck.sources.interface import LookupSource


class Boom(BaseException):
    pass


RAISE = {
    "工人乙": lambda: SystemExit(0),
    "工人丁": lambda: Boom("bang"),
    "工人己": lambda: asyncio.CancelledError(),
}


def answer(query):
    make = RAISE.get(query.name)
    if make is not None:
        raise make()
    return valid(query)


class Local(Good):
    name = "local"

    def lookup_now(self, query):
        return answer(query)


class Remote(LookupSource):
    name = "remote"

    @classmethod
    def from_spec(cls, arg, options):
        return cls()

    async def lookup(self, query):
        return answer(query)


class Interrupting(Good):
    name = "interrupting"

    def lookup_now(self, query):
        raise KeyboardInterrupt


class ExitingTraits(Good):
    name = "exitingtraits"

    @property
    def traits(self):
        raise SystemExit(0)
'''

LOOKUP_ENTRIES = """\
[certcheck.sources]
local = lookup_plugin:Local
remote = lookup_plugin:Remote
interrupting = lookup_plugin:Interrupting
exitingtraits = lookup_plugin:ExitingTraits
"""


@pytest.mark.parametrize("source", ["local", "remote"])
def test_a_plugin_exiting_in_a_lookup_leaves_that_worker_unverified(
    tmp_path: Path, source: str
) -> None:
    site = tmp_path / "site"
    install(site, "lookup", {"lookup_plugin": DURING_LOOKUP}, LOOKUP_ENTRIES)
    out = tmp_path / "out.json"
    done = certcheck(site, "verify", roster(tmp_path, 7), "--source", source, "--as-of", AS_OF,
                     "--no-cache", "--no-progress", "-o", out)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert [(w["name"], w["status"], w["reason"], w["detail"]) for w in workers] == [
        ("工人甲", "valid", "ok", None),
        ("工人乙", "unverified", "lookup_failed", "数据源出错（source error）：SystemExit: 0"),
        ("工人丙", "valid", "ok", None),
        ("工人丁", "unverified", "lookup_failed", "数据源出错（source error）：Boom: bang"),
        ("工人戊", "valid", "ok", None),
        ("工人己", "unverified", "lookup_failed", "数据源出错（source error）：CancelledError"),
        ("工人庚", "valid", "ok", None),
    ]


def test_a_plugin_raising_keyboard_interrupt_in_a_lookup_ends_as_interrupted(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    install(site, "lookup", {"lookup_plugin": DURING_LOOKUP}, LOOKUP_ENTRIES)
    done, out = verify(site, tmp_path, "interrupting")
    assert done.returncode == 130, done.stderr
    assert "已中断" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_a_system_exit_from_anywhere_else_in_a_plugin_is_exit_4(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "lookup", {"lookup_plugin": DURING_LOOKUP}, LOOKUP_ENTRIES)
    done, out = verify(site, tmp_path, "exitingtraits")
    refused(done, "SystemExit(0)", "没有得出结论")
    assert not out.exists()


# ---- built-in names and names claimed twice ----------------------------------------------

HIJACK = GOOD + '''

class Registry(Good):
    name = "registry"


class Mem(Good):
    name = "mem"
'''


def test_a_plugin_cannot_replace_a_built_in_source(tmp_path: Path) -> None:
    """The plugin would call everyone valid (exit 0); the registry file knows nobody."""
    site = tmp_path / "site"
    install(site, "hijack", {"hijack": HIJACK},
            "[certcheck.sources]\nregistry = hijack:Registry\nmem = hijack:Mem\n")
    registry = tmp_path / "registry.csv"
    registry.write_text("姓名,证件号码,证号,作业类别,操作项目,有效期结束日期,应复审日期\n"
                        f"某人,{nth_id(77)},T{nth_id(77)},电工作业,低压电工作业,2030-01-01,"
                        "2027-01-01\n", "utf-8")
    done, out = verify(site, tmp_path, f"registry:{registry}")
    assert done.returncode == 1, done.stderr
    workers = json.loads(out.read_text("utf-8"))["workers"]
    assert {w["status"] for w in workers} == {"uncertified"}
    assert "插件 registry（hijack:Registry，来自 hijack） 注册了内置数据源名称 registry，已忽略" \
        in done.stderr
    listed = certcheck(site, "sources")
    assert listed.returncode == 0, listed.stderr
    for name in ("registry", "mem"):
        assert re.search(rf"{name} .*hijack（hijack:{name.title()}）.*已拒绝：不能替换内置的 {name}",
                         listed.stdout), listed.stdout


def test_a_plugin_cannot_replace_a_built_in_solver(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "hijack", {"hijack_solver": "raise SystemExit(0)\n"},
            "[certcheck.captcha_solvers]\nprompt = hijack_solver:Prompt\n")
    listed = certcheck(site, "sources")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"prompt .*hijack（hijack_solver:Prompt）.*已拒绝", listed.stdout)
    assert re.search(r"prompt .*内置 built-in", listed.stdout)


def test_two_plugins_with_one_name_are_an_error_naming_both(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "first", {"first_table": GOOD + "\nclass Table(Good):\n    name = 'table'\n"},
            "[certcheck.sources]\ntable = first_table:Table\ngood = first_table:Good\n")
    install(site, "second", {"second_table": GOOD + "\nclass Table(Good):\n    name = 'table'\n"},
            "[certcheck.sources]\ntable = second_table:Table\n")
    done, out = verify(site, tmp_path, "table")
    refused(done, "数据源名称 table 被 2 个插件同时注册", "first_table:Table，来自 first",
            "second_table:Table，来自 second")
    assert not out.exists()
    good, _ = verify(site, tmp_path, "good")  # the other name of the first one still works
    assert good.returncode == 0, good.stderr
    listed = certcheck(site, "sources")
    assert listed.returncode == 0, listed.stderr
    for dist in ("first", "second"):
        assert re.search(rf"table .*{dist}（{dist}_table:Table）.*不能使用：数据源名称 table 被 2",
                         listed.stdout), listed.stdout


def test_the_built_in_names_are_those_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["entry-points"] == BUILT_IN


# ---- certcheck sources survives every broken plugin ---------------------------------------

BROKEN = {
    "exits": "raise SystemExit(0)\n",
    "interrupts": "raise KeyboardInterrupt\n",
    "sleeps": "import time\ntime.sleep(600)\n",
    "hard_exit": "import os\nos._exit(0)\n",
    "crashes": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    "hoards": "hoard = bytearray(4 * 1024 ** 3)\n",
    "chatty": "import sys\nprint('{\"problem\": null}' * 100000)\nsys.stderr.write('noise')\n"
              + GOOD + "\nclass Chatty(Good):\n    name = 'chatty'\n",
    "wrong_types": GOOD + "\nclass WrongTypes(Good):\n    name = 'wrong_types'\n"
                   "    default_rate = 'fast'\n",
    "nameless": GOOD + "\nclass Nameless(Good):\n    name = 5\n",
    "marked": GOOD + '\nclass Marked(Good):\n    name = "[bold red]marked[/]"\n'
              '    description = "[link=http://x]click[/link] \\x1b[2J\\x1b]0;title\\x07 ok"\n',
}
BROKEN_ENTRIES = """\
[certcheck.sources]
exits = broken_exits:Source
interrupts = broken_interrupts:Source
sleeps = broken_sleeps:Source
hard_exit = broken_hard_exit:Source
crashes = broken_crashes:Source
hoards = broken_hoards:Source
chatty = broken_chatty:Chatty
wrong_types = broken_wrong_types:WrongTypes
nameless = broken_nameless:Nameless
[bold red]marked[/] = broken_marked:Marked
good = broken_good:Good
"""


def test_sources_lists_every_plugin_however_broken(tmp_path: Path) -> None:
    site = tmp_path / "site"
    modules = {f"broken_{name}": code for name, code in BROKEN.items()}
    install(site, "broken", {**modules, "broken_good": GOOD}, BROKEN_ENTRIES)
    install(site, "garbled", {}, "[certcheck.sources]\nthis line is not an entry point\n")
    started = time.monotonic()
    listed = certcheck(site, "sources")
    assert time.monotonic() - started < SECONDS
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr + listed.stdout
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines()
            if line.startswith("│")}
    assert re.search(r"不限 unlimited .*answers valid for everyone", rows["good"])
    assert re.search(r"1/s .*国家特种作业操作证查询平台", rows["mem"])
    expected = {
        "exits": "导入时出错（failed to load: SystemExit: 0）",
        "interrupts": "导入时出错（failed to load: KeyboardInterrupt）",
        "sleeps": "导入超过 10 秒仍未完成，已停止",
        "hard_exit": "导入时进程结束，退出码 0",
        "crashes": f"导入时进程结束，被信号 {int(signal.SIGSEGV)} 终止",
        "hoards": "MemoryError",
        "wrong_types": "default_rate 应为正数或 None，却是 str",
        "nameless": "name 应为文字，却是 5",
    }
    for name, said in expected.items():
        assert "不能使用：" in rows[name] and said in rows[name], (name, rows[name])
    # What a plugin prints while imported is neither shown nor taken for its answer.
    assert re.search(r"不限 unlimited .*answers valid for everyone", rows["chatty"])
    assert "noise" not in listed.stdout + listed.stderr
    # Markup and control characters are shown as text, never obeyed.
    marked = rows["[bold red]marked[/]"]
    assert "[link=http://x]click[/link] \\x1b[2J\\x1b]0;title\\x07 ok" in marked
    assert "\x1b" not in listed.stdout
    assert re.search(r"\? .*garbled .*插件清单无法读取", listed.stdout)
