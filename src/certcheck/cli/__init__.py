"""The command line. ``app`` holds the group and the error handling; one module per command,
imported only when its command runs (``app.COMMANDS``), so that ``certcheck --help`` is quick."""

from certcheck.cli.app import cli


def main() -> None:
    cli(prog_name="certcheck")


__all__ = ["cli", "main"]
