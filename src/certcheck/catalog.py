"""The catalog of special operations (特种作业目录) and the everyday names rosters use for them.

The data lives in ``data/catalog.json`` so that a safety officer's new alias is a one-line edit.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# Brackets, punctuation and spaces do not distinguish operation names: 裂解(裂化) = 裂解（裂化）.
_PUNCT = re.compile(r"[\s()（）【】\[\]、,，.。·:：/／\\-]+")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """The form in which operation names are compared."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True, slots=True)
class Coverage:
    """The operation items that a roster's declared work may be covered by.

    ``items`` is empty when the declaration names nothing in the catalog; then ``text`` is the
    folded declaration, compared literally with a record's item and category.
    """

    items: frozenset[str]
    text: str

    @property
    def known(self) -> bool:
        return bool(self.items)


class Catalog:
    """Categories, their items, and aliases, with a folded index for loose matching."""

    def __init__(self, categories: dict[str, tuple[str, ...]], aliases: dict[str, str]) -> None:
        self.categories = categories
        self.aliases = aliases
        self._by_fold = _build_index(categories, aliases)
        self._prefixes = sorted((k for k in self._by_fold if len(k) >= 2), key=len, reverse=True)

    def resolve(self, name: str) -> frozenset[str]:
        """The items a category, an item or an alias stands for; empty if unknown."""
        return self._resolve(name)

    @lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, kept for its lifetime
    def _resolve(self, name: str) -> frozenset[str]:
        key = fold(name)
        found = self._by_fold.get(key)
        if found is not None:
            return found
        # "低压电工作业证", "焊工（电焊）": a known name followed by decoration.
        for known in self._prefixes:
            if key.startswith(known):
                return self._by_fold[known]
        return frozenset()

    def coverage(self, category: str | None, item: str | None) -> Coverage | None:
        """What a roster row's declared work requires; None when it declares no work."""
        # Rosters repeat a handful of item names thousands of times.
        return self._coverage(category, item)

    @lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, kept for its lifetime
    def _coverage(self, category: str | None, item: str | None) -> Coverage | None:
        for text in (item, category):
            if text and text.strip():
                items = self.resolve(text)
                if items:
                    return Coverage(items, fold(text))
        declared = item or category
        if declared and declared.strip():
            return Coverage(frozenset(), fold(declared))
        return None

    def covers(
        self, coverage: Coverage, record_category: str | None, record_item: str | None
    ) -> bool:
        """Whether a certificate with this category and item covers the declared work."""
        if coverage.known:
            if record_item and record_item.strip():
                return bool(self.resolve(record_item) & coverage.items)
            # A record that names only its category covers the items of that category.
            if record_category and record_category.strip():
                return bool(self.resolve(record_category) & coverage.items)
            return False
        return coverage.text in {fold(t) for t in (record_item, record_category) if t}


def _build_index(
    categories: dict[str, tuple[str, ...]], aliases: dict[str, str]
) -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    for category, items in categories.items():
        index[fold(category)] = frozenset(items)
        for item in items:
            index[fold(item)] = frozenset({item})
    # Names are often written without the trailing 作业: 低压电工, 登高架设, 电工.
    for category, items in categories.items():
        for name, target in [(category, frozenset(items))] + [(i, frozenset({i})) for i in items]:
            if name.endswith("作业"):
                index.setdefault(fold(name[:-2]), target)
    for alias, target_name in aliases.items():
        resolved = index.get(fold(target_name))
        if resolved is None:
            raise ValueError(f"catalog alias {alias!r} points to unknown {target_name!r}")
        index.setdefault(fold(alias), resolved)
    return index


@cache
def load_catalog() -> Catalog:
    raw = json.loads(resources.files("certcheck").joinpath("data/catalog.json").read_text("utf-8"))
    categories = {k: tuple(v) for k, v in raw["categories"].items()}
    return Catalog(categories=categories, aliases=dict(raw["aliases"]))
