"""certcheck: check special-operations certificates (特种作业操作证) of a worker roster."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("certcheck")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
