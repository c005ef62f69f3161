"""certcheck: check special-operations certificates (特种作业操作证) of a worker roster."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is looked up on first use: importlib.metadata costs more than the rest of
    # ``certcheck --help`` together, and only ``--version`` and the registers need it.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("certcheck")
    except PackageNotFoundError:  # running from a source tree that was not installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
