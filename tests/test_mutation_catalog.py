"""The catalog as built from the shipped catalog.json, its guards against a bad edit, and the
matching helpers at their edges (docs/mutation.md).

``load_catalog`` is cached for the life of a process, so most tests here build a fresh catalog
from the JSON: what a safety officer's edit to catalog.json is turned into, every time.
"""

from __future__ import annotations

import pytest

from certcheck.catalog import Catalog, Coverage, RegimeData, _names, load_catalog
from certcheck.models import Regime

ELECTRICAL = frozenset(
    {"高压电工作业", "低压电工作业", "防爆电气作业", "电力电缆作业", "继电保护作业", "电气试验作业"}
)


@pytest.fixture
def fresh() -> Catalog:
    return load_catalog.__wrapped__()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a category, and an item
        ("电工作业", ELECTRICAL),
        ("低压电工作业", {"低压电工作业"}),
        # a category or an item without its trailing 作业
        ("石油天然气安全", {"司钻作业"}),
        ("氯化工艺", {"氯化工艺作业"}),
        # aliases, one with two targets
        ("电焊工", {"熔化焊接与热切割作业"}),
        ("爆破工", {"煤矿井下爆破作业", "金属非金属矿山爆破作业"}),
        ("塔吊司机", {"建筑起重机械司机（塔式起重机）"}),
        # other regimes' categories
        ("锅炉作业", {"工业锅炉司炉", "电站锅炉司炉", "锅炉水处理"}),
        ("建筑架子工", {"建筑架子工（普通脚手架）", "建筑架子工（附着升降脚手架）"}),
    ],
)
def test_a_fresh_catalog_resolves_every_kind_of_name(
    fresh: Catalog, name: str, expected: set[str]
) -> None:
    assert fresh.resolve(name) == expected


@pytest.mark.parametrize(
    ("name", "regime"),
    [
        ("电工作业", Regime.MEM),
        ("锅炉作业", Regime.SPECIAL_EQUIPMENT),
        ("叉车工", Regime.SPECIAL_EQUIPMENT),
        ("建筑电工", Regime.CONSTRUCTION),
        # not in the catalog: by keyword
        ("塔吊维修工", Regime.CONSTRUCTION),
        ("锅炉清洗工", Regime.SPECIAL_EQUIPMENT),
        ("管道疏通工", None),
        # a provincial construction type (建质〔2008〕75号 item 七)
        ("打桩工", Regime.CONSTRUCTION),
    ],
)
def test_a_fresh_catalog_places_names_in_their_regime(
    fresh: Catalog, name: str, regime: Regime | None
) -> None:
    assert fresh.regime_of(name) == regime


def test_hinted_aliases_mean_the_other_regimes_item_only_with_the_hint(fresh: Catalog) -> None:
    assert fresh.resolve("电工", Regime.CONSTRUCTION) == {"建筑电工"}
    assert fresh.regime_of("电工", Regime.CONSTRUCTION) is Regime.CONSTRUCTION
    assert fresh.resolve("焊工", Regime.SPECIAL_EQUIPMENT) == {"金属焊接操作", "非金属焊接操作"}
    assert fresh.regime_of("焊工", Regime.SPECIAL_EQUIPMENT) is Regime.SPECIAL_EQUIPMENT
    assert fresh.resolve("电工") == ELECTRICAL
    assert fresh.regime_of("电工") is Regime.MEM


def test_a_fresh_catalog_keeps_the_mem_catalog_at_hand(fresh: Catalog) -> None:
    assert len(fresh.categories) == 11
    assert fresh.categories["石油天然气安全作业"] == ("司钻作业",)
    assert fresh.aliases["爆破工"] == ("煤矿井下爆破作业", "金属非金属矿山爆破作业")


def _regime(
    categories: dict[str, tuple[str, ...]],
    aliases: dict[str, tuple[str, ...]] | None = None,
    hinted: dict[str, tuple[str, ...]] | None = None,
) -> RegimeData:
    return RegimeData(categories, aliases or {}, hinted or {}, (), (), ())


def test_a_name_in_two_regimes_is_refused() -> None:
    with pytest.raises(ValueError, match="'锅炉作业' is in two regimes"):
        Catalog(
            {
                Regime.MEM: _regime({"锅炉作业": ("工业锅炉司炉",)}),
                Regime.SPECIAL_EQUIPMENT: _regime({"锅炉作业": ("电站锅炉司炉",)}),
            }
        )


def test_an_alias_to_nothing_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="alias '焊把式' points to unknown '焊接作业'"):
        Catalog({Regime.MEM: _regime({"电工作业": ("低压电工作业",)}, {"焊把式": ("焊接作业",)})})
    with pytest.raises(ValueError, match="alias '电工' points to unknown '建筑电工'"):
        Catalog({Regime.MEM: _regime({"电工作业": ()}, hinted={"电工": ("建筑电工",)})})


def test_a_small_catalog_keeps_its_regimes_apart() -> None:
    catalog = Catalog(
        {
            Regime.MEM: _regime({"电工作业": ("低压电工作业",)}),
            Regime.CONSTRUCTION: _regime(
                {"建筑电工": ("建筑电工",)}, hinted={"电工": ("建筑电工",)}
            ),
        }
    )
    assert catalog.resolve("电工") == {"低压电工作业"}
    assert catalog.resolve("电工", Regime.CONSTRUCTION) == {"建筑电工"}
    assert catalog.regime_of("建筑电工") is Regime.CONSTRUCTION


def test_alias_values_must_be_names() -> None:
    assert _names("电工作业") == ("电工作业",)
    assert _names(["煤矿井下爆破作业", "金属非金属矿山爆破作业"]) == (
        "煤矿井下爆破作业",
        "金属非金属矿山爆破作业",
    )
    for bad in (["电工作业", 3], 3, None):
        with pytest.raises(ValueError, match="expected a name or a list of names"):
            _names(bad)


def test_unknown_names_resolve_to_nothing() -> None:
    assert load_catalog().resolve("管道疏通工") == frozenset()
    assert load_catalog().resolve("   ") == frozenset()


def test_split_keeps_names_with_separators_whole() -> None:
    catalog = load_catalog()
    assert catalog.split("") == []
    assert catalog.split("   ") == []
    assert catalog.split("低压 电工、焊工") == ["低压 电工", "焊工"]
    assert catalog.split("焊工/低压 电工") == ["焊工", "低压 电工"]
    assert catalog.split("高处安装、维护、拆除作业、焊工") == ["高处安装、维护、拆除作业", "焊工"]
    assert catalog.split("管道疏通工、焊工") == ["管道疏通工", "焊工"]


def test_an_unknown_declared_item_is_kept_as_written() -> None:
    catalog = load_catalog()
    assert catalog.coverages(None, "管道疏通工") == (
        Coverage(frozenset(), "管道疏通工", "管道疏通工", Regime.MEM),
    )
    # Unknown names are placed by their keywords, before any hint.
    assert catalog.coverages(None, "塔吊维修工") == (
        Coverage(frozenset(), "塔吊维修工", "塔吊维修工", Regime.CONSTRUCTION),
    )
    # The hint that the keyword outranks stays a possibility.
    assert catalog.coverages(None, "锅炉清洗工", Regime.CONSTRUCTION) == (
        Coverage(
            frozenset(),
            "锅炉清洗工",
            "锅炉清洗工",
            Regime.SPECIAL_EQUIPMENT,
            frozenset({Regime.CONSTRUCTION}),
        ),
    )
    assert catalog.coverages(None, "管道疏通工", Regime.CONSTRUCTION) == (
        Coverage(frozenset(), "管道疏通工", "管道疏通工", Regime.CONSTRUCTION),
    )


def test_a_lone_unknown_item_is_shown_as_its_cell_wrote_it() -> None:
    # Split into one piece or not split at all, the cell is quoted whole, stray 、 and all: the
    # row's detail shows the text that was not understood, as it was written.
    catalog = load_catalog()
    assert catalog.split("配电房值班、") == ["配电房值班、"]
    assert catalog.split("、配电房值班") == ["、配电房值班"]
    (coverage,) = catalog.coverages(None, "配电房值班、")
    assert coverage.shown == "配电房值班、"
    assert not coverage.known


def test_the_category_never_stands_in_for_an_unknown_item() -> None:
    # 配电房值班 under 电工作业 is not "any 电工作业 item": it stays unknown.
    (coverage,) = load_catalog().coverages("电工作业", "配电房值班")
    assert coverage.items == frozenset()
    assert not coverage.known
    assert coverage.shown == "配电房值班"
    assert coverage.regime is Regime.MEM


def test_covers_with_what_a_record_names() -> None:
    catalog = load_catalog()
    (low_voltage,) = catalog.coverages(None, "低压电工")
    assert catalog.covers(low_voltage, "电工作业", None)
    assert catalog.covers(low_voltage, "电工作业", "  ")
    assert catalog.covers(low_voltage, None, "低压电工作业")
    assert not catalog.covers(low_voltage, "焊接与热切割作业", None)
    assert not catalog.covers(low_voltage, "电工作业", "高压电工作业")
    assert not catalog.covers(low_voltage, None, None)
    assert not catalog.covers(low_voltage, " ", "")
    (unknown,) = catalog.coverages(None, "打桩工")
    assert catalog.covers(unknown, None, "打桩工")
    assert catalog.covers(unknown, "打桩工", None)
    assert not catalog.covers(unknown, None, None)


def test_record_regime() -> None:
    catalog = load_catalog()
    assert catalog.record_regime("建筑施工特种作业", "建筑电工") is Regime.CONSTRUCTION
    assert catalog.record_regime(None, "叉车司机") is Regime.SPECIAL_EQUIPMENT
    assert catalog.record_regime("锅炉作业", "  ") is Regime.SPECIAL_EQUIPMENT
    assert catalog.record_regime("  ", "塔吊维修工") is Regime.CONSTRUCTION
    assert catalog.record_regime("管道", "管道疏通工") is Regime.MEM
    assert catalog.record_regime(None, "打桩工") is Regime.CONSTRUCTION
    assert catalog.record_regime(None, None) is Regime.MEM
    # the item speaks before the category
    assert catalog.record_regime("锅炉作业", "建筑电工") is Regime.CONSTRUCTION


def test_hint_from_the_category() -> None:
    catalog = load_catalog()
    assert catalog.hint("锅炉作业", (), None) is Regime.SPECIAL_EQUIPMENT
    assert catalog.hint("电工作业", (), None) is None
    assert catalog.hint("住建局颁发", (), None) is Regime.CONSTRUCTION
    assert catalog.hint("质量技术监督局颁发", (), None) is Regime.SPECIAL_EQUIPMENT
    assert catalog.hint("某单位自定类别", (), None) is None
    assert catalog.hint("某单位自定类别", ("渝A042021000123",), None) is Regime.CONSTRUCTION


# ---- the cached matching functions (mutmut leaves them alone; see docs/mutation.md) -------


def test_a_bracketed_note_after_a_name_is_ignored() -> None:
    catalog = load_catalog()
    assert catalog.resolve("低压电工(持证)") == {"低压电工作业"}
    assert catalog.resolve("焊工【复审】") == {"熔化焊接与热切割作业", "压力焊作业", "钎焊作业"}


def _seen(coverages: tuple[Coverage, ...]) -> list[tuple[frozenset[str], str, Regime]]:
    """What a finding shows of each declared item: the items it needs, its name, its regime."""
    return [(c.items, c.shown, c.regime) for c in coverages]


def test_a_blank_item_leaves_the_category_to_decide() -> None:
    assert _seen(load_catalog().coverages("电工作业", "  ")) == [
        (ELECTRICAL, "电工作业", Regime.MEM)
    ]
    assert load_catalog().coverages("  ", "  ") == ()


def test_a_name_known_only_under_the_hint_is_an_item_not_a_category_fallback() -> None:
    # 司索工 means the construction item only when the row points to construction.
    coverages = load_catalog().coverages("建筑施工特种作业", "司索工", Regime.CONSTRUCTION)
    assert _seen(coverages) == [(frozenset({"建筑起重信号司索工"}), "司索工", Regime.CONSTRUCTION)]


def test_a_category_known_only_under_the_hint_does_not_decide_an_unknown_item() -> None:
    (coverage,) = load_catalog().coverages("安全管理", "锅炉房值班", Regime.SPECIAL_EQUIPMENT)
    assert coverage.items == frozenset()
    assert coverage.shown == "锅炉房值班"
    assert coverage.regime is Regime.SPECIAL_EQUIPMENT


# ---- a fresh catalog for what the cached lookups compute once per process ----------------
# mutmut runs a mutant only against the tests that called its function in the unmutated run;
# behind the caches, only the first test to ask for a name calls them. A fresh catalog calls
# them every time.


def test_a_fresh_catalog_gives_ambiguous_names_their_alternatives(fresh: Catalog) -> None:
    (electrician,) = fresh.coverages(None, "电工")
    assert (electrician.regime, electrician.alternatives) == (
        Regime.MEM,
        {Regime.CONSTRUCTION},
    )
    (slinger,) = fresh.coverages(None, "司索工")
    assert (slinger.regime, slinger.alternatives) == (
        Regime.CONSTRUCTION,
        {Regime.SPECIAL_EQUIPMENT},
    )
    (welder,) = fresh.coverages(None, "焊工（电焊）")
    assert welder.items == {"熔化焊接与热切割作业"}
    assert welder.alternatives == {Regime.SPECIAL_EQUIPMENT, Regime.CONSTRUCTION}
    (settled,) = fresh.coverages(None, "焊接与热切割作业-电焊工")
    assert settled.alternatives == frozenset()
    (low,) = fresh.coverages(None, "低压电工")
    assert low.alternatives == frozenset()
    (hinted,) = fresh.coverages(None, "电工", Regime.MEM)
    assert hinted.alternatives == frozenset()
    # 起重机司机 is also a hinted alias of its own regime: that is no alternative.
    (crane,) = fresh.coverages(None, "起重机司机")
    assert (crane.regime, crane.alternatives) == (Regime.SPECIAL_EQUIPMENT, {Regime.CONSTRUCTION})
    # Each item of a narrowed list keeps what every piece allows.
    both = fresh.coverages(None, "焊工（电焊、气焊）")
    assert [(c.items, c.alternatives) for c in both] == [
        ({"熔化焊接与热切割作业"}, {Regime.SPECIAL_EQUIPMENT, Regime.CONSTRUCTION}),
        ({"熔化焊接与热切割作业"}, {Regime.SPECIAL_EQUIPMENT, Regime.CONSTRUCTION}),
    ]


def test_a_fresh_catalog_reads_a_bracketed_note(fresh: Catalog) -> None:
    assert _seen(fresh.coverages(None, "低压电工（复审）")) == [
        (frozenset({"低压电工作业"}), "低压电工（复审）", Regime.MEM)
    ]
    assert not fresh.coverages(None, "低压电工（配电房）")[0].known


def test_a_fresh_catalog_narrows_under_a_hint(fresh: Catalog) -> None:
    # The hint holds inside a narrowed name: 焊工 is 特种设备's, 电焊 its 金属焊接操作.
    assert _seen(fresh.coverages(None, "焊工（电焊）", Regime.SPECIAL_EQUIPMENT)) == [
        (frozenset({"金属焊接操作"}), "焊工（电焊）", Regime.SPECIAL_EQUIPMENT)
    ]
    # Where the hint makes the names not nest, they are read without it.
    (low,) = fresh.coverages(None, "电工：低压电工", Regime.CONSTRUCTION)
    assert (low.items, low.shown, low.regime, low.alternatives) == (
        {"低压电工作业"},
        "电工：低压电工",
        Regime.MEM,
        frozenset(),
    )
    assert _seen(fresh.coverages(None, "电工（高压、低压）", Regime.CONSTRUCTION)) == [
        (frozenset({"高压电工作业"}), "高压电工作业", Regime.MEM),
        (frozenset({"低压电工作业"}), "低压电工作业", Regime.MEM),
    ]


def test_a_fresh_catalog_narrows_at_most_four_pieces(fresh: Catalog) -> None:
    (four,) = fresh.coverages(None, "电工作业-电工-低压电工（复审）")
    assert four.items == {"低压电工作业"}
    (five,) = fresh.coverages(None, "电工作业-电工-低压电工-低压（复审）")
    assert not five.known


def test_a_fresh_catalog_shows_each_item_of_a_narrowed_list(fresh: Catalog) -> None:
    # One catalog item is shown by its name; a name of several items as written.
    coverages = fresh.coverages(None, "电工作业：电工、低压电工")
    assert [(c.items, c.shown) for c in coverages] == [
        (ELECTRICAL, "电工"),
        (frozenset({"低压电工作业"}), "低压电工作业"),
    ]


def test_a_small_catalog_places_an_unknown_name_without_the_other_regimes() -> None:
    catalog = Catalog({Regime.MEM: _regime({"电工作业": ("低压电工作业",)})})
    assert catalog.coverages(None, "管道疏通工") == (
        Coverage(frozenset(), "管道疏通工", "管道疏通工", Regime.MEM),
    )


def test_a_compound_target_follows_the_hint() -> None:
    catalog = Catalog(
        {
            Regime.MEM: _regime(
                {"电工作业": ("低压电工作业",), "焊接与热切割作业": ("钎焊作业", "压力焊作业")}
            ),
            Regime.CONSTRUCTION: _regime(
                {"建筑电工": ("建筑电工",)}, hinted={"电工": ("建筑电工",)}
            ),
        },
        {"电工焊工": ("电工", "焊接与热切割作业")},
    )
    assert _seen(catalog.coverages(None, "电工焊工", Regime.CONSTRUCTION)) == [
        (frozenset({"建筑电工"}), "建筑电工", Regime.CONSTRUCTION),
        # a target of several items is shown as the compound names it
        (frozenset({"钎焊作业", "压力焊作业"}), "焊接与热切割作业", Regime.MEM),
    ]


# ---- a category beside an item ----------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "item", "contradicts"),
    [
        # the item lies outside the category
        ("焊接与热切割作业", "低压电工作业", True),
        ("电工作业", "低压电工、焊工", True),
        # the category is narrower than the item
        ("低压电工作业", "电工作业", True),
        # the item is one or several of the category's
        ("电工作业", "低压电工作业", False),
        ("电工作业", "低压电工、高压电工", False),
        # the same name in both columns
        ("低压电工作业", "低压电工作业", False),
        # both 建筑施工's under its hint, whichever column holds the bare 电工
        ("电工", "建筑电工", False),
        ("建筑电工", "电工", False),
        # a name the catalog does not know leaves nothing to compare
        ("电工作业", "配电房值班", False),
        ("配电房值班", "低压电工作业", False),
    ],
)
def test_a_category_contradicts_an_item_it_cannot_hold(
    fresh: Catalog, category: str, item: str, contradicts: bool
) -> None:
    assert fresh.contradicts(category, item) is contradicts
