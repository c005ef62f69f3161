"""Finding sources by name through the ``certcheck.sources`` entry point group.

The built-in sources register there too (see pyproject.toml), so a plugin is a peer of them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from certcheck.sources.interface import LookupSource, SourceError, SourceOptions

GROUP = "certcheck.sources"


def available(group: str = GROUP) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


#: What a plugin group's things are called, for the person reading an error.
_ZH = {"source": "数据源", "captcha solver": "验证码识别方式"}


def load_plugin(group: str, name: str, base: type, what: str) -> type:
    """The class registered as ``name`` in ``group``; SourceError says what went wrong."""
    eps = available(group)
    if name not in eps:
        known = "、".join(sorted(eps)) or "无"
        raise SourceError(f"没有名为 {name} 的{_ZH.get(what, what)}（unknown {what}）；"
                          f"已安装：{known}")
    try:
        loaded = eps[name].load()
    except Exception as exc:  # a broken plugin must not take the CLI down with a traceback
        raise SourceError(f"{_ZH.get(what, what)}插件 {name} 无法加载"
                          f"（{what} plugin failed to load: {exc}）") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise SourceError(f"{_ZH.get(what, what)}插件 {name} 不是 {base.__name__}，无法使用"
                          f"（not a {base.__name__}）")
    return loaded


def load_class(name: str) -> type[LookupSource]:
    return cast("type[LookupSource]", load_plugin(GROUP, name, LookupSource, "source"))


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
    cls = load_class(name.strip())
    chosen = options_for(cls) if options_for is not None else options or SourceOptions()
    return cls.from_spec(arg if sep else None, chosen)
