"""``certcheck sources``: what lookup sources and captcha solvers are installed."""

from __future__ import annotations

from importlib.metadata import entry_points

from rich.console import Console
from rich.table import Table

from certcheck.cli.app import cli
from certcheck.sources.interface import LookupSource
from certcheck.sources.plugins import GROUP

SOLVER_GROUP = "certcheck.captcha_solvers"


@cli.command("sources")
def list_sources() -> None:
    """List the lookup sources and captcha solvers that are installed (built in and plugins)."""
    console = Console()
    table = Table(title="lookup sources (--source)", title_justify="left")
    for column in ("name", "from", "default rate", "description"):
        table.add_column(column)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        origin = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plugin is listed, not fatal
            table.add_row(ep.name, origin, "", f"[red]failed to load: {exc}[/]")
            continue
        if isinstance(loaded, type) and issubclass(loaded, LookupSource):
            rate = "unlimited" if loaded.default_rate is None else f"{loaded.default_rate:g}/s"
            table.add_row(ep.name, origin, rate, loaded.description)
        else:
            table.add_row(ep.name, origin, "", "[red]not a LookupSource[/]")
    console.print(table)
    solvers = Table(title="captcha solvers (--captcha)", title_justify="left")
    solvers.add_column("name")
    solvers.add_column("from")
    for ep in sorted(entry_points(group=SOLVER_GROUP), key=lambda e: e.name):
        solvers.add_row(ep.name, ep.dist.name if ep.dist is not None else ep.value)
    console.print(solvers)
