"""``certcheck sources``: what lookup sources and captcha solvers are installed.

Every plugin is checked in a bounded child process (``sources.plugin_check``), so that the
listing survives any broken one and says, in its row, what is wrong with it. Everything a
plugin names (its entry point's name, its module, its description, its error) is shown as
text: rich markup or control characters in it are printed, not obeyed.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from certcheck.cli.app import cli
from certcheck.cli.linebreak import narrowest
from certcheck.cli.report import print_table
from certcheck.cli.screen import UNWRAPPED, plain
from certcheck.cli.screen import console as make_console
from certcheck.sources.plugin_check import Checked, check_all
from certcheck.sources.plugins import (
    GROUP,
    SLIDER_GROUP,
    SOLVER_GROUP,
    Entry,
    Installed,
    clash_words,
    installed,
)


def _text(value: object, style: str = "") -> Text:
    return Text(plain(value), style=style)


def _from(entry: Entry) -> Text:
    return _text(f"{entry.dist}（{entry.value}）")


def _rows(found: Installed) -> list[tuple[Text, Text, Text, Text]]:
    """One row per entry: usable ones with their rate and description, and one line for each
    broken, refused or clashing plugin saying what is wrong."""
    rows: list[tuple[Entry, tuple[Text, Text, Text, Text]]] = []
    for checked in check_all(list(found.chosen.values())):
        rows.append((checked.entry, _row(checked)))
    for entry in found.refused:
        rows.append((entry, (_text(entry.name), _from(entry), Text(""), _text(
            f"已拒绝：不能替换内置的 {entry.name}，使用的是内置的（refused: a built-in's name）",
            "red"))))
    for name, entries in found.clashes.items():
        for entry in entries:
            rows.append((entry, (_text(name), _from(entry), Text(""), _text(
                f"不能使用：{clash_words(name, entries)}", "red"))))
    rows.sort(key=lambda row: (row[0].name, not row[0].builtin, row[0].dist))
    unreadable = [(Text("?"), _text(dist), Text(""), _text(
        f"插件清单无法读取（entry_points.txt unreadable: {why}）", "red"))
        for dist, why in found.unreadable]
    return [row for _, row in rows] + unreadable


def _row(checked: Checked) -> tuple[Text, Text, Text, Text]:
    entry = checked.entry
    if checked.problem is not None:
        return (_text(entry.name), _from(entry), Text(""),
                _text(f"不能使用：{checked.problem}", "red"))
    origin = _text("内置 built-in") if entry.builtin else _from(entry)
    if entry.group != GROUP:
        return _text(entry.name), origin, Text(""), _text(checked.description)
    rate = "不限 unlimited" if checked.rate is None else f"{checked.rate:g}/s"
    return _text(entry.name), origin, Text(rate), _text(checked.description)


def _give_way(console: Console, table: Table, *columns: Column) -> None:
    """In a terminal too narrow for the whole table, the short columns (where from, the rate)
    wrap as far as their words allow, so that the description keeps the room to show how a
    source is written (``registry:文件路径``) whole."""
    natural = console.measure(table, options=console.options.update_width(UNWRAPPED)).maximum
    if natural <= console.width:
        return
    for column in columns:
        texts = [str(column.header), *(c.plain if isinstance(c, Text) else str(c)
                                        for c in column.cells)]
        column.max_width = max(narrowest(text) for text in texts)


def _table(rate: bool) -> Table:
    """The columns every listing shares: the name never cut, the description folded where a
    word is wider than its column, so that nothing is lost to "…"."""
    table = Table()
    table.add_column("名称 name", no_wrap=True)
    table.add_column("来自 from")
    if rate:
        table.add_column("默认速率 default rate")
    table.add_column("说明 description", overflow="fold")
    return table


def _print_listing(console: Console, title: str, group: str, *, rate: bool = False) -> None:
    table = _table(rate)
    for name, origin, speed, said in _rows(installed(group)):
        table.add_row(*((name, origin, speed, said) if rate else (name, origin, said)))
    _give_way(console, table, *table.columns[1:-1])
    print_table(console, title, table)


@cli.command("sources")
def list_sources() -> None:
    """列出已安装的数据源和验证码识别方式，内置的与插件的（sources and solvers）

    每个数据源的写法见“说明”一栏，如 --source registry:文件路径。
    """
    console = make_console()
    _print_listing(console, "数据源 lookup sources (--source)", GROUP, rate=True)
    _print_listing(console, "验证码识别方式 captcha solvers (--captcha)", SOLVER_GROUP)
    _print_listing(console, "滑块验证方式 slider solvers (--captcha，用于 samr)", SLIDER_GROUP)
