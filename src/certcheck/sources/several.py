"""Several sources in one run (``--source mem,samr``): which source serves which regime.

Each source serves the certificate regimes it holds (``covered_regimes``: the national lookup
特种作业, the special-equipment lookup 特种设备, a registry file 特种作业 and whatever else it
holds records of). Where two sources hold one regime, the one given first serves it: a source
is asked only for the regimes no earlier one serves, and a source left with none is refused,
since it would never be asked (``--source mem,mem``, or a second registry of the same kind).

Nothing here asks anybody; ``certcheck.joint`` routes each worker to the sources serving its
items and decides it from their answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from certcheck.models import REGIME_SHORT_ZH, Regime, SourceTraits
from certcheck.sources.interface import LookupSource, SourceError

#: How ``--source`` joins several sources in one value, and how registers name them.
SEPARATOR = ","


class OverlapError(SourceError):
    """A source given is left with no regime to serve: the command line is wrong (exit 2)."""


@dataclass(frozen=True)
class SourceSet:
    """The sources of one run, in the order given, and the regimes each one serves in it."""

    sources: tuple[LookupSource, ...]
    #: For each source, its regimes less those an earlier source serves.
    serves: tuple[frozenset[Regime], ...]

    @classmethod
    def of(cls, sources: Sequence[LookupSource]) -> SourceSet:
        """The set, each regime served by the first source that holds it; ``OverlapError``
        for a source whose every regime an earlier one serves."""
        taken: set[Regime] = set()
        serves: list[frozenset[Regime]] = []
        for source in sources:
            own = frozenset(source.covered_regimes() - taken)
            if not own:
                held = "、".join(REGIME_SHORT_ZH[r] for r in Regime
                                if r in source.covered_regimes())
                raise OverlapError(
                    f"数据源 {source.name} 能核验的证书（{held}）已由前面给出的数据源核验，"
                    "它不会被询问；请去掉它，或调换 --source 的顺序（each regime is served by the "
                    "first source that holds it; this one would serve none）"
                )
            serves.append(own)
            taken |= own
        return cls(tuple(sources), tuple(serves))

    @property
    def name(self) -> str:
        """``mem,samr``: what registers record as the run's source (JSON ``source``)."""
        return SEPARATOR.join(source.name for source in self.sources)

    def traits_of(self, index: int) -> SourceTraits:
        """What the rules must know of one source: the regimes it serves here, its delay."""
        return SourceTraits(self.serves[index], self.sources[index].publication_delay)

    @property
    def traits(self) -> SourceTraits:
        """The sources together: every regime some source serves, the longest delay."""
        return SourceTraits(
            frozenset().union(*self.serves),
            max(source.publication_delay for source in self.sources),
        )

    @property
    def cacheable(self) -> bool:
        return any(source.cacheable for source in self.sources)

    @property
    def input_files(self) -> tuple[Path, ...]:
        return tuple(path for source in self.sources for path in source.input_files)

    @property
    def input_folders(self) -> tuple[Path, ...]:
        return tuple(path for source in self.sources for path in source.input_folders)

    def described(self) -> str:
        """``特种作业 → mem；特种设备 → samr``: who serves what, for the terminal."""
        return "；".join(
            f"{'、'.join(REGIME_SHORT_ZH[r] for r in Regime if r in regimes)} → {source.name}"
            for source, regimes in zip(self.sources, self.serves, strict=True)
        )


# A source's name as ``--source`` takes it: a word, then ``:`` and its argument or the end.
_NAME = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.-]*)\s*(?::|$)")


def split_specs(values: Iterable[str], names: Iterable[str]) -> list[str]:
    """``--source`` values as one spec per source: each value may join several with commas
    (``mem,samr``, ``mem,registry:特种设备.csv``). A comma starts a new source only where one
    of ``names`` (the sources installed) follows, so that a comma inside a registry file's
    path stays in the path."""
    known = set(names)
    specs: list[str] = []
    for value in values:
        pieces = value.split(SEPARATOR)
        current = pieces[0]
        for piece in pieces[1:]:
            if not piece.strip():  # ``mem,`` or ``mem,,samr``: nothing between the commas
                continue
            match = _NAME.match(piece)
            if match is not None and match.group(1) in known:
                specs.append(current)
                current = piece
            else:
                current += SEPARATOR + piece
        specs.append(current)
    return [spec.strip() for spec in specs if spec.strip()]
