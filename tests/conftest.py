import signal
import sys
from pathlib import Path

# Tests import their small helpers (factories, mem_server) as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))

import pytest

# A shell that starts a job in the background without job control (``cmd &`` in a script, a CI
# runner's wrapper) starts it with SIGINT ignored, and every process it starts inherits that:
# the tests that press Ctrl-C would then see nothing happen. A handler, unlike "ignore", is
# reset to the default in the programs the tests start, so certcheck gets its KeyboardInterrupt.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the user's real answer cache."""
    monkeypatch.setenv("CERTCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
