"""``certcheck sources``: what lookup sources and captcha solvers are installed."""

from __future__ import annotations

from importlib.metadata import entry_points

from rich.table import Table

from certcheck.cli.app import cli
from certcheck.cli.report import print_table
from certcheck.cli.screen import cell
from certcheck.cli.screen import console as make_console
from certcheck.sources.interface import LookupSource
from certcheck.sources.plugins import GROUP

SOLVER_GROUP = "certcheck.captcha_solvers"


@cli.command("sources")
def list_sources() -> None:
    """List the lookup sources and captcha solvers that are installed (built in and plugins)."""
    console = make_console()
    table = Table()
    for column in ("名称 name", "来自 from", "默认速率 default rate", "说明 description"):
        table.add_column(column)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        origin = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin is listed, not fatal
            table.add_row(ep.name, origin, "", f"[red]无法加载（failed to load: {cell(exc)}）[/]")
            continue
        if isinstance(loaded, type) and issubclass(loaded, LookupSource):
            rate = "不限 unlimited" if loaded.default_rate is None else f"{loaded.default_rate:g}/s"
            table.add_row(ep.name, origin, rate, cell(loaded.description))
        else:
            table.add_row(ep.name, origin, "", "[red]不是数据源（not a LookupSource）[/]")
    print_table(console, "数据源 lookup sources (--source)", table)
    solvers = Table()
    solvers.add_column("名称 name")
    solvers.add_column("来自 from")
    for ep in sorted(entry_points(group=SOLVER_GROUP), key=lambda e: e.name):
        solvers.add_row(ep.name, ep.dist.name if ep.dist is not None else ep.value)
    print_table(console, "验证码识别方式 captcha solvers (--captcha)", solvers)
