"""The catalogs of operation items, per certificate regime, and the everyday names rosters use.

The data lives in ``data/catalog.json`` so that a safety officer's new alias is a one-line edit.
Three regimes are known: 特种作业 (``mem``, the national lookup), 特种设备 (市场监管部门) and
建筑施工 (住房城乡建设部门). A name is matched whole, never by prefix: 低压锅炉工 is not 低压电工,
and 高处作业吊篮安装拆卸工 is not 高处作业.

A cell may also narrow a name by another one: ``电工作业-低压电工作业``, ``电工（低压）``,
``（电工作业）低压电工作业``. Such a cell means its narrowest name, and only when every other
name in it contains that one (``焊接与热切割作业-低压电工作业`` means nothing). A name the catalog
does not know is never replaced by a broader one: it stays unknown.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from certcheck.models import Regime

# Brackets, punctuation, dashes and spaces do not distinguish operation names:
# 裂解(裂化) = 裂解（裂化）.
_PUNCT = re.compile(r"[\s()（）【】\[\]、,，.。·:：/／\\\-－—–‐‑‒―~～]+")
# A bracketed part of a name: 焊工（电焊）, 电工(持证), （电工作业）低压电工作业.
_BRACKETED = re.compile(r"[(（【\[]([^)）】\]]*)[)）】\]]")
# What joins a name to the name that narrows it: 电工作业-低压电工作业, 电工作业——低压电工,
# 电工：低压电工, 电工作业/低压电工作业, 电工作业 低压电工作业.
_QUALIFIER = re.compile(r"[\s\-－—–‐‑‒―~～:：/／\\]+")
# A cell narrowing a name has few parts (category, item, a note); more is a list, not a name.
_MAX_PIECES = 4
# Longest run of separated pieces that ``split`` tries to join into one name: 高处安装、维护、
# 拆除作业 is three. The cap keeps a long cell's split linear.
_MAX_JOIN = 6
# What a roster appends to an item without changing it, stripped in this order:
# 低压电工作业证, 焊工操作证 / 高处作业人员 / 焊工作业.
_SUFFIXES = (
    re.compile(r"(?:特种作业操作证|操作资格证|操作证|作业证|资格证|证书|证)$"),
    re.compile(r"人员$"),
    re.compile(r"作业$"),
)
# One item of a cell that lists several, between the separators: 低压电工、焊工 / 电工/焊工 /
# one per line.
_ITEM = re.compile(r"[^、/／,，;；|｜+＋\s]+")
# A bracketed year or date says when, not what: 低压电工（2019）, 焊工(2021.03).
_DATE_NOTE = re.compile(r"[\d\s年月日号.\-/]+")
# A 特种设备 certificate's restriction narrows below the catalog: 起重机司机（限桥式起重机）.
_RESTRICTION = "限"
# Certificate number shapes (DOMAIN.md).
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
    ``alternatives`` are the other regimes the declared name may belong to when nothing on the
    row settles it (电工 is 特种作业's, or 建筑施工's 建筑电工); empty when the row's hint
    settled it.
    """

    items: frozenset[str]
    text: str
    shown: str
    regime: Regime
    #: Other regimes the name may belong to when nothing on the row settles it (电工 may be a
    #: 建筑电工); a source that holds none of them cannot tell that the worker has no such card.
    alternatives: frozenset[Regime] = frozenset()

    @property
    def known(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True, slots=True)
class _Entry:
    items: frozenset[str]
    regime: Regime
    #: The regimes where the name is a hinted alias, besides its own; empty under a hint.
    alternatives: frozenset[Regime] = frozenset()


@dataclass(frozen=True, slots=True)
class _Part:
    """One declared item that a piece of a cell stands for, and how it is shown."""

    shown: str
    entry: _Entry


@dataclass(frozen=True, slots=True)
class RegimeData:
    categories: dict[str, tuple[str, ...]]
    aliases: dict[str, tuple[str, ...]]
    hinted_aliases: dict[str, tuple[str, ...]]
    keywords: tuple[str, ...]
    category_words: tuple[str, ...]
    issuer_words: tuple[str, ...]


class Catalog:
    """Categories, items and aliases of every regime, with a folded index for matching.

    ``compounds`` are names that declare several items at once (高低压电工 = 高压电工 and
    低压电工); ``notes`` are bracketed remarks that say nothing about the item (持证, 复审).
    """

    def __init__(
        self,
        regimes: dict[Regime, RegimeData],
        compounds: dict[str, tuple[str, ...]] | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.regimes = regimes
        mem = regimes[Regime.MEM]
        #: The MEM catalog (Order No. 30), as before regimes were added.
        self.categories = mem.categories
        self.aliases = mem.aliases
        owner: dict[str, tuple[frozenset[str], Regime]] = {}
        self._hinted: dict[Regime, dict[str, _Entry]] = {}
        for regime, data in regimes.items():
            own = _build_index(data)
            for key, items in own.items():
                if key in owner and owner[key][1] is not regime:
                    raise ValueError(f"catalog name {key!r} is in two regimes")
                owner[key] = (items, regime)
            self._hinted[regime] = {
                fold(alias): _Entry(_targets(own, alias, targets), regime)
                for alias, targets in data.hinted_aliases.items()
            }
        self._by_fold = {
            key: _Entry(items, regime, self._hinted_elsewhere(key, regime))
            for key, (items, regime) in owner.items()
        }
        self._notes = frozenset(fold(note) for note in notes)
        self._compounds: dict[str, tuple[str, ...]] = {}
        for name, targets in (compounds or {}).items():
            self._add_compound(name, targets)

    def _hinted_elsewhere(self, key: str, regime: Regime) -> frozenset[Regime]:
        return frozenset(
            r for r, hinted in self._hinted.items() if r is not regime and key in hinted
        )

    def _add_compound(self, name: str, targets: tuple[str, ...]) -> None:
        key = fold(name)
        if key in self._by_fold:
            raise ValueError(f"catalog compound {name!r} is also a catalog name")
        for target in targets:
            if self._lookup(target, None) is None:
                raise ValueError(f"catalog compound {name!r} points to unknown {target!r}")
        self._compounds[key] = targets

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
        """What a name stands for as a whole: a compound's items together."""
        parts = self._parts(name, hint)
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0].entry
        items = frozenset().union(*(p.entry.items for p in parts))
        return _Entry(items, parts[0].entry.regime, _common(p.entry.alternatives for p in parts))

    @lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, kept for its lifetime
    def _lookup(self, name: str, hint: Regime | None) -> _Entry | None:
        """One catalog name, alias or hinted alias, written whole (suffixes aside)."""
        hinted = self._hinted.get(hint, {}) if hint is not None else {}
        for key in _forms(name):
            found = hinted.get(key)
            if found is not None:
                return found
            found = self._by_fold.get(key)
            if found is not None:
                # A hint settles the regime: the name has no alternatives under it.
                if hint is not None and found.alternatives:
                    return _Entry(found.items, found.regime)
                return found
        return None

    @lru_cache(maxsize=4096)  # noqa: B019 - one catalog per process, kept for its lifetime
    def _parts(self, name: str, hint: Regime | None) -> tuple[_Part, ...]:
        """The declared items one name stands for; empty when it is not understood."""
        name = name.strip()
        if not name:
            return ()
        entry = self._lookup(name, hint)
        if entry is not None:
            return (_Part(name, entry),)
        for key in _forms(name):
            targets = self._compounds.get(key)
            if targets is not None:
                return self._compound(targets, hint)
        return self._narrowed(name, hint)

    def _compound(self, targets: tuple[str, ...], hint: Regime | None) -> tuple[_Part, ...]:
        parts: list[_Part] = []
        for target in targets:
            # Never None: every target was looked up when the catalog was built.
            entry = self._lookup(target, hint)
            if entry is None:  # pragma: no cover
                return ()
            parts.append(_shown_by_item(target, entry))
        return tuple(parts)

    def _narrowed(self, name: str, hint: Regime | None) -> tuple[_Part, ...]:
        """A name narrowed by another in the same cell: the narrowest, if the others contain it.

        ``电工作业-低压电工作业`` and ``电工（低压）`` mean 低压电工作业; ``电工（高压、低压）``
        means both items; a bracketed note (持证, 2019) is left aside. Anything else is not
        understood: a bracket that names something else, or names that do not nest.
        """
        pieces = _pieces(name)
        if pieces == [name] or len(pieces) > _MAX_PIECES:
            return ()
        found = self._nested(name, pieces, hint)
        if found or hint is None:
            return found
        # 电工：低压电工 under a 建筑施工 hint: the hint turns 电工 into 建筑电工, which does not
        # contain 低压电工; the cell still means 低压电工作业, as 低压电工 alone would.
        return tuple(
            _Part(p.shown, _Entry(p.entry.items, p.entry.regime))
            for p in self._nested(name, pieces, None)
        )

    def _nested(self, name: str, pieces: list[str], hint: Regime | None) -> tuple[_Part, ...]:
        resolved: list[tuple[_Part, ...]] = []
        for piece in pieces:
            parts = self._declared(piece, hint)
            if parts:
                resolved.append(parts)
            elif not self._is_note(piece):
                return ()
        if not resolved:
            return ()
        spans = [frozenset().union(*(p.entry.items for p in parts)) for parts in resolved]
        # The later of equal pieces: the item comes after its category. A list (电工、焊工)
        # may be what narrows (电工（高压、低压）), never what is narrowed.
        for index in range(len(resolved) - 1, -1, -1):
            if all(
                i == index or (len(resolved[i]) == 1 and spans[index] <= spans[i])
                for i in range(len(resolved))
            ):
                return _settled(name, resolved, index)
        return ()

    def _declared(self, text: str, hint: Regime | None) -> tuple[_Part, ...]:
        """Every item a piece names, when it names only known ones (高压、低压 → two)."""
        parts: list[_Part] = []
        for piece in self.split(text):
            found = self._parts(piece, hint)
            if not found:
                return ()
            parts.extend(found)
        return tuple(parts)

    def _is_note(self, piece: str) -> bool:
        key = fold(piece)
        return (
            key in self._notes
            or key.startswith(_RESTRICTION)
            or _DATE_NOTE.fullmatch(unicodedata.normalize("NFKC", piece)) is not None
        )

    def _keyword_regime(self, name: str) -> Regime | None:
        text = unicodedata.normalize("NFKC", name)
        for regime in _KEYWORD_ORDER:
            if regime in self.regimes and any(w in text for w in self.regimes[regime].keywords):
                return regime
        return None

    def _unknown_regimes(self, name: str, hint: Regime | None) -> tuple[Regime, frozenset[Regime]]:
        """The regime of a name the catalog does not know, and the others it may belong to.

        Suggestions, strongest first: another authority's keyword (塔吊, 锅炉), a regime where
        the name is a hinted alias (安全管理), the row's hint, a 特种作业 keyword (电工, 焊).
        The first is the regime, the rest are its alternatives; with none, 特种作业.
        """
        text = unicodedata.normalize("NFKC", name)
        keys = _forms(name)
        suggested = [
            r
            for r in _KEYWORD_ORDER[:2]
            if r in self.regimes and any(w in text for w in self.regimes[r].keywords)
        ]
        suggested += [r for r in _KEYWORD_ORDER if any(k in self._hinted.get(r, {}) for k in keys)]
        if hint is not None:
            suggested.append(hint)
        if any(word in text for word in self.regimes[Regime.MEM].keywords):
            suggested.append(Regime.MEM)
        ordered = list(dict.fromkeys(suggested)) or [Regime.MEM]
        return ordered[0], frozenset(ordered[1:])

    def split(self, text: str) -> list[str]:
        """The items of one cell: ``低压电工、焊工`` → two; ``高处安装、维护、拆除作业`` → one.

        Pieces are re-joined greedily whenever the joined text is a known name, so a catalog
        name that contains a separator stays whole, and so does a name narrowed by another
        (``电工作业/低压电工作业``, ``电工作业 低压电工作业``).
        """
        text = text.strip()
        if not text or self._parts(text, None):
            return [text] if text else []
        spans = [(m.start(), m.end()) for m in _ITEM.finditer(text)]
        if len(spans) <= 1:
            return [text]
        parts: list[str] = []
        i = 0
        while i < len(spans):
            taken = i + 1
            for j in range(min(len(spans), i + _MAX_JOIN), i + 1, -1):
                if self._parts(text[spans[i][0] : spans[j - 1][1]], None):
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
        The item column speaks when it is filled, else the category column. An item the
        catalog does not know stays unknown (``Coverage.known`` is False), whatever the
        category: 电工作业 with 配电房值班 is not any 电工作业 item.
        """
        return self._coverages(category, item, hint)

    @lru_cache(maxsize=4096)  # noqa: B019 - rosters repeat a handful of item texts
    def _coverages(
        self, category: str | None, item: str | None, hint: Regime | None
    ) -> tuple[Coverage, ...]:
        declared = item if item and item.strip() else category
        if declared is None or not declared.strip():
            return ()
        return tuple(c for part in self.split(declared) for c in self._coverage(part, hint))

    def _coverage(self, part: str, hint: Regime | None) -> tuple[Coverage, ...]:
        found = self._parts(part, hint)
        if found:
            return tuple(
                Coverage(
                    p.entry.items, fold(p.shown), p.shown, p.entry.regime, p.entry.alternatives
                )
                for p in found
            )
        regime, alternatives = self._unknown_regimes(part, hint)
        return (Coverage(frozenset(), fold(part), part, regime, alternatives),)

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

    @lru_cache(maxsize=4096)  # noqa: B019 - rosters repeat a handful of category/item pairs
    def contradicts(self, category: str, item: str) -> bool:
        """The row's category and item cannot both be right: an item it names lies outside the
        category (焊接与热切割作业 beside 低压电工作业), or the category is narrower than the
        item (低压电工作业 in the category column, 电工作业 in the item column). False when
        either is not a catalog name: there is nothing to compare. Under some regime both must
        agree (电工 beside 建筑电工 does, as 建筑施工's 电工)."""
        categories = tuple(self.split(category))
        if not categories or not all(self._parts(c, None) for c in categories):
            return False
        hints: tuple[Regime | None, ...] = (None, *self.regimes)
        return any(
            self._parts(part, None) and not any(self._fits(categories, part, h) for h in hints)
            for part in self.split(item)
        )

    def _fits(self, categories: tuple[str, ...], item: str, hint: Regime | None) -> bool:
        allowed = frozenset().union(*(self.resolve(c, hint) for c in categories))
        held = self.resolve(item, hint)
        return bool(held & allowed) and not allowed < held

    def hint(
        self,
        category: str | None,
        cert_numbers: Sequence[str] = (),
        issuer: str | None = None,
    ) -> Regime | None:
        """The regime a roster row points to by its issuer, category or certificate numbers.

        None when nothing points anywhere: an ambiguous name (电工) then stays with MEM, with
        the other regimes as its alternatives. A 证号 cell may list several numbers; numbers
        that point to different regimes point nowhere. A 特种作业 category (电工作业) is no
        hint: offices write it for construction electricians too.
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
        if len(numbers) == 1:  # the usual cell: no set to build
            return number_regime(numbers[0]) if numbers[0].strip() else None
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


# A row's number is asked for its shape three times (the hint, whether it compares, whether it
# claims a card here): kept for the run, as names and items are.
@lru_cache(maxsize=65536)
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


@lru_cache(maxsize=4096)
def _forms(name: str) -> tuple[str, ...]:
    """The folded keys a name is looked up by, whole first, then without its suffixes."""
    forms = [fold(name)]
    for suffix in _SUFFIXES:
        stripped = suffix.sub("", forms[-1])
        if stripped and stripped != forms[-1]:
            forms.append(stripped)
    return tuple(f for f in dict.fromkeys(forms) if f)


def _pieces(name: str) -> list[str]:
    """The names a cell narrows one by another: outside brackets, split at dashes, colons,
    slashes and spaces; each bracket's content is one piece."""
    outside = _BRACKETED.sub(" ", name)
    pieces = [p for p in _QUALIFIER.split(outside) if p]
    pieces += [m.group(1).strip() for m in _BRACKETED.finditer(name) if m.group(1).strip()]
    return pieces


def _common(sets: Iterable[frozenset[Regime]]) -> frozenset[Regime]:
    """The regimes every one of several sets allows (never called with none)."""
    return frozenset.intersection(*sets)


def _settled(name: str, resolved: list[tuple[_Part, ...]], index: int) -> tuple[_Part, ...]:
    """The narrowest piece's items, with only the alternatives every piece allows: 焊接与热切割
    作业-电焊工 is 特种作业's alone, as its category says."""
    alternatives = _common(p.entry.alternatives for parts in resolved for p in parts)
    narrow = resolved[index]
    if len(narrow) == 1:
        entry = narrow[0].entry
        return (_Part(name, _Entry(entry.items, entry.regime, alternatives)),)
    return tuple(
        _shown_by_item(p.shown, _Entry(p.entry.items, p.entry.regime, alternatives)) for p in narrow
    )


def _shown_by_item(shown: str, entry: _Entry) -> _Part:
    """One of several items a name declares, shown by its catalog name when it has one:
    高低压电工 and 电工（高压、低压） are 高压电工作业 and 低压电工作业, not a bare 高压."""
    only = next(iter(entry.items)) if len(entry.items) == 1 else shown
    return _Part(only, entry)


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
    compounds = {k: _names(v) for k, v in raw.get("compound", {}).items()}
    return Catalog(regimes, compounds, _names(raw.get("notes", [])))
