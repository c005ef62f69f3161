"""Checking installed plugins for ``certcheck sources`` without trusting them to behave.

Listing what is installed must work precisely when a plugin is broken, so each plugin is
imported in a child process of its own, under a memory limit and a deadline, and says in one
line of JSON what it is. Why a child and not a thread with a deadline: a thread cannot be
stopped, so an import that sleeps, loops or waits on a lock would still hold the process (and
Python's import lock for its modules) after the deadline, and ``os._exit``, a crash in a C
extension or a runaway allocation would take the listing down with it. A child is killed, with
its whole process group, and only its plugin is reported. Children run a few at a time, so
that several hanging plugins cost one deadline, not one each.

The built-ins are certcheck's own and are loaded here directly.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from certcheck.sources.plugins import (
    GROUP,
    SLIDER_GROUP,
    Entry,
    PluginError,
    load_entry,
    quoted,
)

#: Seconds one plugin's import may take. Importing a heavy library (an OCR model for a captcha
#: solver) takes a few seconds on a cold disk; an import still running after ten is stuck.
IMPORT_SECONDS = 10.0
#: Address space of a child: the interpreter, certcheck and ordinary libraries fit in a few
#: hundred MB; a runaway import is stopped well below the 1.5 GiB any attack may cost.
CHILD_MEMORY = 1024 * 1024 * 1024
#: Children at once: plugins are few; a group of hundreds still takes one deadline per batch.
PARALLEL = 8
#: The most a child's answer may be: one line of JSON with a description cut short. A plugin
#: that writes more into the answer's pipe is not read further.
ANSWER_BYTES = 64 * 1024
#: The longest description listed; a docstring-sized one is a plugin's mistake, not a line.
DESCRIPTION_CHARS = 300


@dataclass(frozen=True, slots=True)
class Checked:
    """What a listing says of one entry: usable with its rate and description, or a problem."""

    entry: Entry
    problem: str | None = None
    rate: float | None = None
    description: str = ""


def _base(group: str) -> type:
    if group == GROUP:
        from certcheck.sources.interface import LookupSource

        return LookupSource
    if group == SLIDER_GROUP:
        from certcheck.sources.slider import SliderSolver

        return SliderSolver
    from certcheck.sources.captcha import CaptchaSolver

    return CaptchaSolver


def _described(entry: Entry) -> Checked:
    """Load ``entry`` here (the built-ins, and in the child a plugin) and say what it is."""
    try:
        loaded = load_entry(entry, _base(entry.group))
    except PluginError as exc:
        return Checked(entry, exc.problem)
    rate = getattr(loaded, "default_rate", None)
    description = getattr(loaded, "description", "")
    return Checked(entry, None, rate, str(description)[:DESCRIPTION_CHARS])


def check_all(entries: list[Entry]) -> list[Checked]:
    """Each entry checked: the built-ins here, every other one in a bounded child."""
    done: dict[Entry, Checked] = {}
    plugins = [e for e in entries if not e.builtin]
    for entry in entries:
        if entry.builtin:
            done[entry] = _described(entry)
    for start in range(0, len(plugins), PARALLEL):
        for checked in _check_batch(plugins[start:start + PARALLEL]):
            done[checked.entry] = checked
    return [done[entry] for entry in entries]


def _limit_child() -> None:  # pragma: no cover - runs in the child
    import resource

    # Never above a limit the parent already has (a caller's own limit is inherited, and a
    # hard limit cannot be raised by an unprivileged process).
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = CHILD_MEMORY if hard == resource.RLIM_INFINITY else min(CHILD_MEMORY, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _start(entry: Entry) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from certcheck.sources.plugin_check import child; child()",
               entry.group, entry.name, entry.value, entry.dist]
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        # Its own process group: a plugin that starts processes of its own loses them with it.
        start_new_session=True,
        preexec_fn=_limit_child if sys.platform != "win32" else None,
    )


def _stop(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    child.wait()


def _check_batch(entries: list[Entry]) -> list[Checked]:
    deadline = time.monotonic() + IMPORT_SECONDS
    children = {entry: _start(entry) for entry in entries}
    answers: dict[Entry, bytearray] = {entry: bytearray() for entry in entries}
    too_long: set[Entry] = set()
    with selectors.DefaultSelector() as selector:
        for entry, child in children.items():
            assert child.stdout is not None
            selector.register(child.stdout, selectors.EVENT_READ, entry)
        while selector.get_map() and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                entry = key.data
                chunk = os.read(key.fd, 65536)
                if chunk and len(answers[entry]) + len(chunk) <= ANSWER_BYTES:
                    answers[entry] += chunk
                    continue
                if chunk:
                    too_long.add(entry)
                selector.unregister(key.fileobj)
        unfinished = {key.data for key in selector.get_map().values()}
    results = []
    for entry, child in children.items():
        problem: str | None
        if entry in unfinished:
            _stop(child)
            problem = (f"导入超过 {IMPORT_SECONDS:g} 秒仍未完成，已停止"
                       f"（import took longer than {IMPORT_SECONDS:g} s）")
        else:
            try:
                child.wait(max(0.0, deadline - time.monotonic()) + 1)
            except subprocess.TimeoutExpired:
                _stop(child)
            problem = _problem_of(bytes(answers[entry]), child.returncode, entry in too_long)
        if child.stdout is not None:
            child.stdout.close()
        results.append(_parsed(entry, bytes(answers[entry])) if problem is None
                       else Checked(entry, problem))
    return results


def _problem_of(answer: bytes, returncode: int | None, too_long: bool) -> str | None:
    if too_long:
        return "导入时写出了过多内容（wrote too much while loading）"
    if not answer:
        if returncode is not None and returncode < 0:
            how = f"被信号 {-returncode} 终止（killed by signal {-returncode}）"
        else:
            how = f"退出码 {returncode}（exit code {returncode}）"
        return f"导入时进程结束，{how}；可能是内存不足或插件自行退出"
    return None


def _parsed(entry: Entry, answer: bytes) -> Checked:
    try:
        said = json.loads(answer)
        problem, rate, description = said["problem"], said["rate"], said["description"]
        valid = (problem is None or isinstance(problem, str)) and isinstance(description, str)
        valid = valid and (rate is None or isinstance(rate, int | float))
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        return Checked(entry, "导入时的输出无法读取（its answer could not be read）")
    return Checked(entry, problem, rate, description[:DESCRIPTION_CHARS])


def child() -> None:  # pragma: no cover - runs in the child, tested through the listing
    """Import one plugin and write one line of JSON about it to the original stdout."""
    group, name, value, dist = sys.argv[1:5]
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # What the plugin prints while being imported goes nowhere, not into the answer.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        checked = _described(Entry(group, name, value, dist))
        said = {"problem": checked.problem, "rate": checked.rate,
                "description": checked.description}
    except BaseException as exc:  # whatever happens, one answer
        said = {"problem": f"检查时出错（{quoted(exc)}）", "rate": None, "description": ""}
    answer.write(json.dumps(said, ensure_ascii=True) + "\n")
    answer.flush()
    # At once: neither the plugin's threads nor its atexit handlers may hold the listing up.
    os._exit(0)

