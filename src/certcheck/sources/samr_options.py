"""What the special-equipment lookup (``samr``) takes from the person running certcheck.

Its own options, declared by ``SamrSource.options_type``: the CLI builds them for ``samr`` only.
Kept apart from ``samr.py`` so that choosing a source does not load the HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from certcheck.sources.interface import SourceOptions
from certcheck.sources.samr_mapping import DEFAULT_BASE_URL

if TYPE_CHECKING:  # a type only: the solvers load asyncio, which a local source never needs
    from certcheck.sources.slider import SliderSolver


@dataclass(frozen=True, slots=True)
class SamrOptions(SourceOptions):
    #: Base URL of the service (``--samr-url``; ``samr:URL`` overrides it).
    samr_url: str = DEFAULT_BASE_URL
    #: Who slides the piece. None: nobody, so every lookup fails as ``captcha_failed`` at once.
    solver: SliderSolver | None = None
    #: Seconds one request to the service may take in all, to the last byte of its answer.
    timeout: float = 20.0
