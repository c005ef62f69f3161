"""Finding sources and captcha solvers by name through their entry point groups, guarded.

The built-in sources register there too (see pyproject.toml), so a plugin is a peer of them,
but it cannot take a built-in's name: the names in ``BUILT_IN`` always load certcheck's own
class, and a plugin registering one of them is refused (said once, when that name is used).
Two plugins registering one name are an error naming both, when that name is used.

A plugin is somebody else's code running in certcheck's process. Every mistake it can make
while being found, imported and built is a ``PluginError`` naming it (exit 4): an import that
raises anything — ``SystemExit`` and ``KeyboardInterrupt`` included, which would otherwise end
the run with the plugin's exit code (``SystemExit(0)`` read as "compliant") —, a class of the
wrong kind or with attributes of the wrong type, a ``from_spec`` that raises or returns
something else. A Ctrl-C the person really pressed meanwhile is still an interruption.
Nothing here stops a plugin written to do harm (``os._exit``, deleting files): it runs with
the user's rights, like any program they install.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import EntryPoint, distributions
from typing import TypeVar, cast

from certcheck.models import Regime
from certcheck.sources.interface import LookupSource, SourceError, SourceOptions

log = logging.getLogger(__name__)

GROUP = "certcheck.sources"
SOLVER_GROUP = "certcheck.captcha_solvers"
#: Solvers of a slider captcha (the special-equipment lookup's); ``sources.slider``.
SLIDER_GROUP = "certcheck.slider_solvers"
#: The distribution the built-ins come from.
CERTCHECK = "certcheck"

#: The names certcheck keeps for its own classes, per group (the same as pyproject.toml, which
#: a test checks). Resolved from here, not from the installed metadata, so that no plugin and
#: no stale copy of certcheck's own metadata can put another class behind them.
BUILT_IN: dict[str, dict[str, str]] = {
    GROUP: {
        "registry": "certcheck.sources.registry:RegistrySource",
        "mem": "certcheck.sources.mem:MemSource",
        "replay": "certcheck.sources.replay:ReplaySource",
        "samr": "certcheck.sources.samr:SamrSource",
    },
    SOLVER_GROUP: {
        "prompt": "certcheck.cli.prompt:PromptSolver",
        "viewer": "certcheck.cli.prompt:ViewerSolver",
        "command": "certcheck.sources.captcha:CommandSolver",
    },
    SLIDER_GROUP: {
        "slider-web": "certcheck.cli.slider_web:WebSliderSolver",
        "slider-prompt": "certcheck.cli.slider_prompt:PromptSliderSolver",
        "command": "certcheck.sources.slider:CommandSliderSolver",
    },
}

#: What a plugin group's things are called, for the person reading an error.
_ZH = {"source": "数据源", "captcha solver": "验证码识别方式", "slider solver": "滑块验证方式"}
_WHAT = {GROUP: "source", SOLVER_GROUP: "captcha solver", SLIDER_GROUP: "slider solver"}
#: The longest piece of a plugin's own text (an exception's message) quoted in a message:
#: enough to say what went wrong, short enough to stay one readable line.
QUOTE_CHARS = 200

T = TypeVar("T")


def what_of(group: str) -> str:
    return _WHAT.get(group, "plugin")


@dataclass(frozen=True, slots=True)
class Entry:
    """One name registered in a group: by certcheck itself or by an installed distribution."""

    group: str
    name: str
    value: str  # "module:attribute"
    dist: str

    @property
    def builtin(self) -> bool:
        return self.dist == CERTCHECK and BUILT_IN.get(self.group, {}).get(self.name) == self.value

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    @property
    def label(self) -> str:
        """``table（myplugin:TableSource，来自 myplugin）``: enough to find and uninstall it."""
        return f"{self.name}（{self.value}，来自 {self.dist}）"

    def load(self) -> object:
        return EntryPoint(self.name, self.value, self.group).load()


class PluginError(SourceError):
    """A plugin that cannot be used; ``problem`` says what is wrong without naming it."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Installed:
    """What one group holds once the built-ins' names are kept for them."""

    #: Each usable name and the one entry it stands for.
    chosen: dict[str, Entry]
    #: Plugins that registered a built-in's name.
    refused: tuple[Entry, ...]
    #: Names more than one plugin registered, with all of them.
    clashes: dict[str, tuple[Entry, ...]]
    #: Distributions whose entry points could not be read, and why.
    unreadable: tuple[tuple[str, str], ...]


def quoted(exc: BaseException, limit: int | None = QUOTE_CHARS) -> str:
    """``ValueError: bad thing``, cut to ``limit`` characters; an exception whose ``str`` itself
    raises is named by its type alone."""
    try:
        text = str(exc)
    except BaseException:  # a plugin's __str__ may raise anything
        text = ""
    name = type(exc).__name__
    text = re.sub(r"\s+", " ", text).strip()
    said = f"{name}: {text}" if text else name
    return said if limit is None or len(said) <= limit else said[: limit - 1] + "…"


def _dist_name(dist: object) -> str:
    try:
        name = dist.metadata["Name"]  # type: ignore[attr-defined]
    except Exception:  # broken metadata names nothing
        return "?"
    return str(name) if name else "?"


def installed(group: str = GROUP) -> Installed:
    """Every entry of ``group``, read distribution by distribution, so that one broken
    ``entry_points.txt`` (which makes ``importlib.metadata.entry_points()`` raise for all of
    them) costs only its own plugins."""
    builtins = BUILT_IN.get(group, {})
    chosen = {name: Entry(group, name, value, CERTCHECK) for name, value in builtins.items()}
    claims: dict[str, list[Entry]] = {}
    refused: list[Entry] = []
    unreadable: list[tuple[str, str]] = []
    seen: set[str] = set()
    for dist in distributions():
        dist_name = _dist_name(dist)
        key = re.sub(r"[-_.]+", "-", dist_name).lower()
        if key in seen:  # the first copy on the path is the one Python imports
            continue
        seen.add(key)
        try:
            points = [ep for ep in dist.entry_points if ep.group == group]
        except Exception as exc:  # a malformed entry_points.txt
            unreadable.append((dist_name, quoted(exc)))
            continue
        for point in points:
            entry = Entry(group, point.name, point.value, dist_name)
            if point.name in builtins:
                if not entry.builtin:
                    refused.append(entry)
                continue
            claims.setdefault(point.name, []).append(entry)
    clashes: dict[str, tuple[Entry, ...]] = {}
    for name, entries in claims.items():
        if len(entries) == 1:
            chosen[name] = entries[0]
        else:
            clashes[name] = tuple(entries)
    return Installed(chosen, tuple(refused), clashes, tuple(unreadable))


def available(group: str = GROUP) -> dict[str, Entry]:
    """The names that can be used in ``group`` (neither refused nor claimed twice)."""
    return installed(group).chosen


def refused_words(entry: Entry) -> str:
    zh = _ZH.get(what_of(entry.group), "插件")
    return (f"插件 {entry.label} 注册了内置{zh}名称 {entry.name}，已忽略，使用内置的 {entry.name}"
            f"（a plugin cannot replace the built-in {what_of(entry.group)} {entry.name}）")


def clash_words(name: str, entries: tuple[Entry, ...]) -> str:
    zh = _ZH.get(what_of(entries[0].group), "插件")
    who = "、".join(entry.label for entry in entries)
    return (f"{zh}名称 {name} 被 {len(entries)} 个插件同时注册：{who}；请卸载多余的一个"
            f"（two plugins registered one name）")


def resolve(group: str, name: str) -> Entry:
    """The entry ``name`` stands for in ``group``; SourceError when none or several."""
    what = what_of(group)
    found = installed(group)
    for entry in found.refused:
        if entry.name == name:
            log.warning("%s", refused_words(entry))
    if name in found.clashes:
        raise SourceError(clash_words(name, found.clashes[name]))
    if name not in found.chosen:
        known = "、".join(sorted(found.chosen)) or "无"
        raise SourceError(f"没有名为 {name} 的{_ZH.get(what, what)}（unknown {what}）；"
                          f"已安装：{known}")
    return found.chosen[name]


@contextmanager
def _interrupts() -> Iterator[Callable[[], bool]]:
    """Whether the person pressed Ctrl-C while a plugin's code ran: a ``KeyboardInterrupt``
    without it is the plugin's own, a fault of the plugin rather than the user stopping."""
    pressed = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal pressed
        pressed = True
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: Ctrl-C is not delivered here anyway
        previous = None
    try:
        yield lambda: pressed
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _fault(entry: Entry, doing: str, problem: str) -> PluginError:
    zh = _ZH.get(what_of(entry.group), "插件")
    return PluginError(f"{zh}插件 {entry.label} {doing}：{problem}", problem)


def load_entry(entry: Entry, base: type) -> type:
    """The class behind ``entry``, checked; ``PluginError`` naming it for anything wrong."""
    with _interrupts() as pressed:
        try:
            loaded = entry.load()
        except BaseException as exc:  # SystemExit(0) must not end the run
            if isinstance(exc, KeyboardInterrupt) and pressed():
                raise
            raise _fault(entry, "无法加载",
                         f"导入时出错（failed to load: {quoted(exc)}）") from exc
    wrong = class_problem(loaded, base, entry.name)
    if wrong is not None:
        raise _fault(entry, "不能使用", wrong)
    return cast("type", loaded)


def _check_source(cls: type[LookupSource]) -> str | None:
    rate = cls.default_rate
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                             or not math.isfinite(rate) or rate <= 0):
        return f"default_rate 应为正数或 None，却是 {_kind(rate)}"
    if not isinstance(cls.description, str):
        return f"description 应为文字，却是 {_kind(cls.description)}"
    if not isinstance(cls.cacheable, bool):
        return f"cacheable 应为 True 或 False，却是 {_kind(cls.cacheable)}"
    regimes = cls.regimes
    if (not isinstance(regimes, frozenset) or not regimes
            or not all(isinstance(r, Regime) for r in regimes)):
        return f"regimes 应为 Regime 的非空 frozenset，却是 {_kind(regimes)}"
    delay = cls.publication_delay
    if not isinstance(delay, timedelta) or delay < timedelta(0):
        return f"publication_delay 应为不小于零的 timedelta，却是 {_kind(delay)}"
    options = cls.options_type
    if not (isinstance(options, type) and issubclass(options, SourceOptions)):
        return f"options_type 应为 SourceOptions 的子类，却是 {_kind(options)}"
    return None


def _kind(value: object) -> str:
    if isinstance(value, type):
        return f"类 {value.__name__}"
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return type(value).__name__


def class_problem(loaded: object, base: type, name: str) -> str | None:
    """What is wrong with ``loaded`` as the ``base`` registered as ``name``, or None."""
    try:
        if not (isinstance(loaded, type) and issubclass(loaded, base)):
            return f"不是 {base.__name__}，却是 {_kind(loaded)}（not a {base.__name__}）"
        declared = getattr(loaded, "name", None)
        if not isinstance(declared, str):
            return f"name 应为文字，却是 {_kind(declared)}（name is not a str）"
        if declared != name:
            return (f"name 是 {declared}，与注册名称 {name} 不同"
                    f"（its name must be the name it is registered under）")
        if inspect.isabstract(loaded):
            missing = "、".join(sorted(getattr(loaded, "__abstractmethods__", ())))
            return f"没有实现 {missing}（abstract methods not implemented）"
        if issubclass(loaded, LookupSource):
            return _check_source(loaded)
        one_at_a_time = getattr(loaded, "one_at_a_time", False)
        if not isinstance(one_at_a_time, bool):
            return f"one_at_a_time 应为 True 或 False，却是 {_kind(one_at_a_time)}"
        return None
    except BaseException as exc:  # a metaclass may raise anything when asked
        if isinstance(exc, KeyboardInterrupt):
            raise
        return f"检查时出错（checking it raised {quoted(exc)}）"


def construct(entry: Entry, make: Callable[[], T], kind: type) -> T:
    """``make()`` (the plugin's ``from_spec``), guarded like its import. A built-in is trusted:
    its errors are the CLI's to word. The plugin's own ``SourceError`` is its message for the
    user and is kept as it is."""
    if entry.builtin:
        return make()
    with _interrupts() as pressed:
        try:
            made = make()
        except SourceError:
            raise
        except BaseException as exc:  # SystemExit(0) must not end the run
            if isinstance(exc, KeyboardInterrupt) and pressed():
                raise
            raise _fault(entry, "无法创建",
                         f"from_spec 出错（from_spec raised {quoted(exc)}）") from exc
    if not isinstance(made, kind):
        raise _fault(entry, "无法创建", f"from_spec 返回了 {_kind(made)}，不是 {kind.__name__}")
    return made


def load_plugin(group: str, name: str, base: type) -> tuple[Entry, type]:
    """The entry registered as ``name`` in ``group`` and its checked class."""
    entry = resolve(group, name)
    return entry, load_entry(entry, base)


def load_class(name: str) -> type[LookupSource]:
    return cast("type[LookupSource]", load_plugin(GROUP, name, LookupSource)[1])


def open_source(
    spec: str,
    options: SourceOptions | None = None,
    *,
    options_for: Callable[[type[LookupSource]], SourceOptions] | None = None,
) -> LookupSource:
    """``registry:roster.csv`` → the registry source for that file.

    ``options_for`` builds the options once the source's class is known, so that a source's
    own options (``options_type``) are made only for it; else ``options`` (default: none).
    """
    name, sep, arg = spec.partition(":")
    entry, loaded = load_plugin(GROUP, name.strip(), LookupSource)
    cls = cast("type[LookupSource]", loaded)
    chosen = options_for(cls) if options_for is not None else options or SourceOptions()
    return construct(entry, lambda: cls.from_spec(arg if sep else None, chosen), LookupSource)
