"""The command line. ``app`` holds the group and the error handling; one module per command."""

from certcheck.cli.app import cli


def main() -> None:
    # Importing the command modules attaches them to the group.
    from certcheck.cli import due, lookup, probe, sources, summary, verify  # noqa: F401

    cli(prog_name="certcheck")


__all__ = ["cli", "main"]
