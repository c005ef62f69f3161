"""The catalogs of operation items, per certificate regime, and the everyday names rosters use.

The data lives in ``data/catalog.json`` so that a safety officer's new alias is a one-line edit.
Three regimes are known: 特种作业 (``mem``, the national lookup), 特种设备 (市场监管部门) and
建筑施工 (住房城乡建设部门). A name is matched whole, never by prefix: 低压锅炉工 is not 低压电工,
and 高处作业吊篮安装拆卸工 is not 高处作业.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from certcheck.models import Regime

# Brackets, punctuation and spaces do not distinguish operation names: 裂解(裂化) = 裂解（裂化）.
_PUNCT = re.compile(r"[\s()（）【】\[\]、,，.。·:：/／\\-]+")
# A bracketed note after a name: 焊工（电焊）, 电工(持证).
_BRACKETED = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
# What a roster appends to an item without changing it: 低压电工作业证, 焊工操作证.
_CERT_SUFFIX = re.compile(r"(?:特种作业操作证|操作资格证|操作证|作业证|资格证|证书|证)$")
# One item of a cell that lists several, between the separators: 低压电工、焊工 / 电工/焊工 /
# one per line.
_ITEM = re.compile(r"[^、/／,，;；|｜+＋\s]+")
# Certificate number shapes that belong to another authority (DOMAIN.md).
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CONSTRUCTION_NUMBER = re.compile(rf"[{_PROVINCES}][A-Z]\d{{2}}", re.IGNORECASE)
_SPECIAL_EQUIPMENT_NUMBER = re.compile(r"TS", re.IGNORECASE)
# The 特种作业 number: T and the holder's 18-character ID.
_MEM_NUMBER = re.compile(r"T\d{17}[\dX]", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

#: Regimes in the order an unknown name is tested against their keywords: 建筑起重机械 is
#: construction before its 起重机 makes it special equipment.
_KEYWORD_ORDER = (Regime.CONSTRUCTION, Regime.SPECIAL_EQUIPMENT, Regime.MEM)


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """The form in which operation names are compared."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).upper()


@dataclass(frozen=True, slots=True)
class Coverage:
    """One declared operation item: the catalog items that may cover it, and its regime.

    ``items`` is empty when the declaration names nothing in the catalog; then ``text`` (the
    folded declaration) is compared literally with a record's item and category.
    """

    items: frozenset[str]
    text: str
    shown: str
    regime: Regime

    @property
    def known(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True, slots=True)
class _Entry:
    items: frozenset[str]
    regime: Regime


@dataclass(frozen=True, slots=True)
class RegimeData:
    categories: dict[str, tuple[str, ...]]
    aliases: dict[str, tuple[str, ...]]
    hinted_aliases: dict[str, tuple[str, ...]]
    keywords: tuple[str, ...]
    category_words: tuple[str, ...]
    issuer_words: tuple[str, ...]


class Catalog:
    """Categories, items and aliases of every regime, with a folded index for matching."""

    def __init__(self, regimes: dict[Regime, RegimeData]) -> None:
        self.regimes = regimes
        mem = regimes[Regime.MEM]
        #: The MEM catalog (Order No. 30), as before regimes were added.
        self.categories = mem.categories
        self.aliases = mem.aliases
        self._by_fold: dict[str, _Entry] = {}
        self._hinted: dict[Regime, dict[str, _Entry]] = {}
        for regime, data in regimes.items():
            own = _build_index(data)
            for key, items in own.items():
                if key in self._by_fold and self._by_fold[key].regime is not regime:
                    raise ValueError(f"catalog name {key!r} is in two regimes")
                self._by_fold[key] = _Entry(items, regime)
            self._hinted[regime] = {
                fold(alias): _Entry(_targets(own, alias, targets), regime)
                for alias, targets in data.hinted_aliases.items()
            }

    def resolve(self, name: str, hint: Regime | None = None) -> frozenset[str]:
        """The items a category, an item or an alias stands for; empty if unknown."""
        entry = self._entry(name, hint)
        return entry.items if entry is not None else frozenset()

    def regime_of(self, name: str, hint: Regime | None = None) -> Regime | None:
        """The regime a name belongs to: by the catalog, else by its keywords; None if neither."""
        entry = self._entry(name, hint)
        if entry is not None:
            return entry.regime
        return self._keyword_regime(name)

    @lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, kept for its lifetime
    def _entry(self, name: str, hint: Regime | None) -> _Entry | None:
        text = unicodedata.normalize("NFKC", name).strip()
        candidates = [text, _BRACKETED.sub("", text)]
        candidates += [_CERT_SUFFIX.sub("", c) for c in candidates]
        for candidate in candidates:
            key = fold(candidate)
            if not key:
                continue
            if hint is not None and key in self._hinted[hint]:
                return self._hinted[hint][key]
            found = self._by_fold.get(key)
            if found is not None:
                return found
        return None

    def _keyword_regime(self, name: str) -> Regime | None:
        text = unicodedata.normalize("NFKC", name)
        for regime in _KEYWORD_ORDER:
            if any(word in text for word in self.regimes[regime].keywords):
                return regime
        return None

    def split(self, text: str) -> list[str]:
        """The items of one cell: ``低压电工、焊工`` → two; ``高处安装、维护、拆除作业`` → one.

        Pieces are re-joined greedily whenever the joined text is a known name, so a catalog
        name that contains a separator stays whole.
        """
        text = text.strip()
        if not text or self._entry(text, None) is not None:
            return [text] if text else []
        spans = [(m.start(), m.end()) for m in _ITEM.finditer(text)]
        if len(spans) <= 1:
            return [text]
        parts: list[str] = []
        i = 0
        while i < len(spans):
            taken = i + 1
            for j in range(len(spans), i + 1, -1):
                joined = text[spans[i][0] : spans[j - 1][1]]
                if self._entry(joined, None) is not None:
                    taken = j
                    break
            parts.append(text[spans[i][0] : spans[taken - 1][1]])
            i = taken
        return parts

    def coverages(
        self, category: str | None, item: str | None, hint: Regime | None = None
    ) -> tuple[Coverage, ...]:
        """What a roster row's declared work requires, one entry per declared item.

        Empty when the row declares no work (then any certificate of the person will do).
        """
        return self._coverages(category, item, hint)

    @lru_cache(maxsize=4096)  # noqa: B019 - rosters repeat a handful of item texts
    def _coverages(
        self, category: str | None, item: str | None, hint: Regime | None
    ) -> tuple[Coverage, ...]:
        category = category if category and category.strip() else None
        item = item if item and item.strip() else None
        if item is not None:
            parts = self.split(item)
            if len(parts) == 1 and self._entry(parts[0], hint) is None and category:
                # 作业类别 电工作业 with an item the catalog does not know: the category decides.
                whole = self._entry(category, hint)
                if whole is not None:
                    return (Coverage(whole.items, fold(category), parts[0], whole.regime),)
        elif category is not None:
            parts = self.split(category)
        else:
            return ()
        return tuple(self._coverage(part, hint) for part in parts)

    def _coverage(self, part: str, hint: Regime | None) -> Coverage:
        entry = self._entry(part, hint)
        if entry is not None:
            return Coverage(entry.items, fold(part), part, entry.regime)
        regime = self._keyword_regime(part) or hint or Regime.MEM
        return Coverage(frozenset(), fold(part), part, regime)

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

    def record_regime(self, category: str | None, item: str | None) -> Regime:
        """The regime an official record belongs to (MEM unless its names say otherwise)."""
        for text in (item, category):
            if text and text.strip():
                regime = self.regime_of(text)
                if regime is not None:
                    return regime
        return Regime.MEM

    def hint(
        self,
        category: str | None,
        cert_numbers: Sequence[str] = (),
        issuer: str | None = None,
    ) -> Regime | None:
        """The regime a roster row points to by its issuer, category or certificate numbers.

        None when nothing points anywhere: an ambiguous name (电工) then stays with MEM. A 证号
        cell may list several numbers; numbers that point to different regimes point nowhere.
        A 特种作业 category (电工作业) is no hint: offices write it for construction
        electricians too.
        """
        if issuer and issuer.strip():
            for regime in _KEYWORD_ORDER:
                if regime in self.regimes and any(
                    word in issuer for word in self.regimes[regime].issuer_words
                ):
                    return regime
        if category and category.strip():
            by_category = self._category_hint(category)
            if by_category is not None:
                return by_category
        # A bare string is one number, not a sequence of characters.
        numbers = (cert_numbers,) if isinstance(cert_numbers, str) else cert_numbers
        regimes = {number_regime(n) for n in numbers if n and n.strip()} - {None}
        return regimes.pop() if len(regimes) == 1 else None

    def _category_hint(self, category: str) -> Regime | None:
        entry = self._entry(category, None)
        if entry is not None:
            return entry.regime if entry.regime is not Regime.MEM else None
        for regime in _KEYWORD_ORDER:
            if regime in self.regimes and any(
                word in category for word in self.regimes[regime].category_words
            ):
                return regime
        return None


def number_regime(cert_number: str) -> Regime | None:
    """The regime a certificate number's shape belongs to, when it says.

    ``渝A04…`` is 建筑施工, ``TS…`` 特种设备, ``T`` + an 18-character ID 特种作业 (full-width
    and lower-case alike). A plain ID number says nothing: every regime uses it.
    """
    # Most numbers are ASCII (T + ID): NFKC cannot change them.
    number = cert_number if cert_number.isascii() else unicodedata.normalize("NFKC", cert_number)
    number = _SPACES.sub("", number)
    if _CONSTRUCTION_NUMBER.match(number):
        return Regime.CONSTRUCTION
    if _SPECIAL_EQUIPMENT_NUMBER.match(number):
        return Regime.SPECIAL_EQUIPMENT
    if _MEM_NUMBER.fullmatch(number):
        return Regime.MEM
    return None


def _targets(
    index: dict[str, frozenset[str]], alias: str, targets: tuple[str, ...]
) -> frozenset[str]:
    items: set[str] = set()
    for target in targets:
        resolved = index.get(fold(target))
        if resolved is None:
            raise ValueError(f"catalog alias {alias!r} points to unknown {target!r}")
        items |= resolved
    return frozenset(items)


def _build_index(data: RegimeData) -> dict[str, frozenset[str]]:
    index: dict[str, frozenset[str]] = {}
    categories = data.categories
    for category, items in categories.items():
        index[fold(category)] = frozenset(items)
        for item in items:
            index.setdefault(fold(item), frozenset({item}))
    # Names are often written without the trailing 作业: 低压电工, 登高架设, 电工.
    for category, items in categories.items():
        for name, target in [(category, frozenset(items))] + [(i, frozenset({i})) for i in items]:
            if name.endswith("作业"):
                index.setdefault(fold(name[:-2]), target)
    for alias, targets in data.aliases.items():
        index.setdefault(fold(alias), _targets(index, alias, targets))
    return index


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"catalog: expected a name or a list of names, got {value!r}")


@cache
def load_catalog() -> Catalog:
    raw = json.loads(resources.files("certcheck").joinpath("data/catalog.json").read_text("utf-8"))
    regimes: dict[Regime, RegimeData] = {}
    for key, data in raw["regimes"].items():
        regimes[Regime(key)] = RegimeData(
            categories={k: tuple(v) for k, v in data["categories"].items()},
            aliases={k: _names(v) for k, v in data["aliases"].items()},
            hinted_aliases={k: _names(v) for k, v in data.get("hinted_aliases", {}).items()},
            keywords=tuple(data.get("keywords", ())),
            category_words=tuple(data.get("category_words", ())),
            issuer_words=tuple(data.get("issuer_words", ())),
        )
    return Catalog(regimes)
