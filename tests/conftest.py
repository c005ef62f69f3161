import sys
from pathlib import Path

# Tests import their small helpers (factories, mem_server) as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the user's real answer cache."""
    monkeypatch.setenv("CERTCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
