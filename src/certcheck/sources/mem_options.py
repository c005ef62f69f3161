"""What the national lookup (``mem``) takes from the person running certcheck.

Its own options, declared by ``MemSource.options_type``: the CLI builds them for ``mem`` only,
so no other source sees a captcha solver, a URL or a recording folder. Kept apart from
``mem.py`` so that choosing a source does not load the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from certcheck.sources.interface import SourceOptions
from certcheck.sources.mem_mapping import DEFAULT_BASE_URL

if TYPE_CHECKING:  # a type only: the solvers load asyncio, which a local source never needs
    from certcheck.sources.captcha import CaptchaSolver


@dataclass(frozen=True, slots=True)
class MemOptions(SourceOptions):
    #: Base URL of the service (``--mem-url``; ``mem:URL`` overrides it).
    mem_url: str = DEFAULT_BASE_URL
    #: Who answers the captchas. None: nobody, so every lookup fails as ``captcha_failed``
    #: at once instead of waiting for an answer that cannot come.
    solver: CaptchaSolver | None = None
    #: Seconds one request to the service may take in all, to the last byte of its answer.
    timeout: float = 20.0
    #: Where every final exchange is written for audit and ``replay:DIR``; None: nowhere.
    record_dir: Path | None = None
