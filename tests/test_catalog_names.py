"""The names offices really write in a roster's 作业类别 / 操作项目 cells (issue 17), and what the
catalog makes of them: the items each must be covered by, its regime, and the other regimes it
may belong to when nothing on the row says which.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certcheck.catalog import Catalog, Coverage, RegimeData, load_catalog
from certcheck.models import Regime

MEM = Regime.MEM
SE = Regime.SPECIAL_EQUIPMENT
CON = Regime.CONSTRUCTION

ELECTRICAL = {
    "高压电工作业",
    "低压电工作业",
    "防爆电气作业",
    "电力电缆作业",
    "继电保护作业",
    "电气试验作业",
}
WELDING = {"熔化焊接与热切割作业", "压力焊作业", "钎焊作业"}
HEIGHTS = {"登高架设作业", "高处安装、维护、拆除作业"}
COOLING = {"制冷与空调设备运行操作作业", "制冷与空调设备安装修理作业"}
BLASTING = {"煤矿井下爆破作业", "金属非金属矿山爆破作业"}
HOISTING = {"煤矿提升机操作作业", "金属非金属矿山提升机操作作业"}
FUSION = {"熔化焊接与热切割作业"}
LOW = {"低压电工作业"}
HIGH = {"高压电工作业"}
CONSTRUCTION_OTHER = {
    "建筑焊工",
    "建筑起重机械安装质量检验工",
    "桩机操作工",
    "建筑混凝土泵操作工",
    "建筑施工现场场内机动车司机",
}


@pytest.mark.parametrize(
    ("name", "items", "regime"),
    [
        # 特种作业: welding
        ("电气焊工", FUSION, MEM),
        ("电气焊", FUSION, MEM),
        ("焊割工", FUSION, MEM),
        ("焊割", FUSION, MEM),
        ("熔焊工", FUSION, MEM),
        ("熔化焊工", FUSION, MEM),
        ("焊工(电焊)", FUSION, MEM),
        ("焊工（电焊）", FUSION, MEM),
        ("电焊工（气割）", FUSION, MEM),
        ("焊接工", WELDING, MEM),
        ("金属焊接切割作业", WELDING, MEM),
        ("压焊工", {"压力焊作业"}, MEM),
        # 特种作业: electrical
        ("电工(低压)", LOW, MEM),
        ("电工（高压）", HIGH, MEM),
        ("低压电工作业证", LOW, MEM),
        ("低压电工作业人员", LOW, MEM),
        ("电工作业人员", ELECTRICAL, MEM),
        ("防爆", {"防爆电气作业"}, MEM),
        ("电工（防爆）", {"防爆电气作业"}, MEM),
        ("水电工", ELECTRICAL, MEM),
        # 特种作业: heights, cooling
        ("登高工", HEIGHTS, MEM),
        ("高空作业人员", HEIGHTS, MEM),
        ("高处作业人员", HEIGHTS, MEM),
        ("登高架设工", {"登高架设作业"}, MEM),
        ("外墙清洗工", {"高处安装、维护、拆除作业"}, MEM),
        ("制冷空调工", COOLING, MEM),
        ("空调维修", {"制冷与空调设备安装修理作业"}, MEM),
        ("制冷设备操作工", {"制冷与空调设备运行操作作业"}, MEM),
        # 特种作业: mines (both sectors where the name does not say which)
        ("爆破员", BLASTING, MEM),
        ("放炮员", BLASTING, MEM),
        ("绞车司机", HOISTING, MEM),
        ("井下电钳工", {"煤矿井下电气作业", "金属非金属矿山井下电气作业"}, MEM),
        ("瓦检工", {"煤矿瓦斯检查作业"}, MEM),
        # 特种设备 (TSG Z6001-2019) codes and names
        ("A", {"特种设备安全管理"}, SE),
        ("P", {"气瓶充装"}, SE),
        ("T", {"电梯修理"}, SE),
        ("F", {"安全阀校验"}, SE),
        ("N1", {"叉车司机"}, SE),
        ("Q1", {"起重机指挥"}, SE),
        ("特种设备安全管理员", {"特种设备安全管理"}, SE),
        ("特种设备安全管理人员", {"特种设备安全管理"}, SE),
        ("电梯安全管理员", {"特种设备安全管理"}, SE),
        ("司炉工", {"工业锅炉司炉", "电站锅炉司炉"}, SE),
        ("充装工", {"气瓶充装", "移动式压力容器充装"}, SE),
        ("龙门吊司机", {"起重机司机"}, SE),
        ("叉车司机(N1)", {"叉车司机"}, SE),
        ("起重机司机（限桥式起重机）", {"起重机司机"}, SE),
        # 建筑施工 (建质〔2008〕75号), item (七) and its provincial types
        ("经省级以上人民政府建设主管部门认定的其他特种作业", CONSTRUCTION_OTHER, CON),
        ("桩机操作工", {"桩机操作工"}, CON),
        ("打桩工", {"桩机操作工"}, CON),
        ("混凝土泵车操作工", {"建筑混凝土泵操作工"}, CON),
        ("挖掘机司机", {"建筑施工现场场内机动车司机"}, CON),
        ("装载机司机", {"建筑施工现场场内机动车司机"}, CON),
        ("建筑焊工", {"建筑焊工"}, CON),
        ("建筑焊工（电焊、气焊、切割）", {"建筑焊工"}, CON),
        ("起重信号工", {"建筑起重信号司索工"}, CON),
        ("司索工", {"建筑起重信号司索工"}, CON),
        ("施工电梯司机", {"建筑起重机械司机（施工升降机）"}, CON),
    ],
)
def test_everyday_names_resolve_to_their_items_and_regime(
    name: str, items: set[str], regime: Regime
) -> None:
    catalog = load_catalog()
    assert catalog.resolve(name) == items
    assert catalog.regime_of(name) is regime
    (coverage,) = catalog.coverages(None, name)
    assert coverage.known
    assert coverage.items == items
    assert coverage.shown == name


@pytest.mark.parametrize(
    "name",
    [
        "安全监管总局认定的其他作业",
        "国家安全生产监督管理总局认定的其他作业",
        "应急管理部门认定的其他作业",
    ],
)
def test_the_eleventh_category_is_known_by_all_its_names_and_names_no_item(name: str) -> None:
    catalog = load_catalog()
    assert catalog.regime_of(name) is MEM
    (coverage,) = catalog.coverages(None, name)
    # The ministry's list of "other" operations is not in the catalog: nothing to match by.
    assert coverage.items == frozenset()
    assert coverage.regime is MEM
    assert catalog.split(f"{name}、焊工") == [name, "焊工"]


# ---- whole names, never prefixes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("低压锅炉工", set()),  # not 低压电工
        ("高处作业吊篮安装拆卸工", {"高处作业吊篮安装拆卸工"}),  # not 高处作业
        ("电工班长", set()),
        ("焊工组长", set()),
        ("高压容器操作工", set()),  # not 高压电工
        ("司索工长", set()),
        ("T型焊接", set()),  # not 电梯修理 (T)
        ("A区电工", set()),  # not 特种设备安全管理 (A)
        ("高低压柜操作", set()),  # not 高低压电工
    ],
)
def test_names_are_matched_whole(name: str, items: set[str]) -> None:
    assert load_catalog().resolve(name) == items


def _catalog_names() -> list[str]:
    raw = json.loads(resources.files("certcheck").joinpath("data/catalog.json").read_text("utf-8"))
    names: set[str] = set(raw["compound"])
    for data in raw["regimes"].values():
        names |= set(data["categories"]) | set(data["aliases"]) | set(data["hinted_aliases"])
        for items in data["categories"].values():
            names |= set(items)
    return sorted(names)


NAMES = _catalog_names()
# Characters no catalog name, alias, note or keyword contains: a name with one of them added is
# an unrelated, longer name.
FOREIGN = "甲乙丙丁戊己庚辛壬癸丑寅卯辰巳午未申酉戌亥"


def test_the_foreign_characters_are_in_no_catalog_text() -> None:
    text = resources.files("certcheck").joinpath("data/catalog.json").read_text("utf-8")
    assert not set(FOREIGN) & set(text)


@given(
    name=st.sampled_from(NAMES),
    extra=st.text(alphabet=FOREIGN, min_size=1, max_size=3),
    where=st.integers(min_value=0),
    hint=st.sampled_from([None, MEM, SE, CON]),
)
def test_no_catalog_name_matches_a_longer_unrelated_name(
    name: str, extra: str, where: int, hint: Regime | None
) -> None:
    catalog = load_catalog()
    position = where % (len(name) + 1)
    longer = name[:position] + extra + name[position:]
    assert catalog.resolve(longer, hint) == frozenset()
    # As a whole cell too, unless the name itself lists (高处安装、维护、拆除作业): then the
    # pieces around the added characters are read as a list of items.
    if not set(name) & set("、/，, "):
        assert [c.known for c in catalog.coverages(None, longer, hint)] == [False]


# ---- one name, several items: compounds --------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["高低压电工", "高、低压电工", "高低压电工作业证", "高压低压电工", "高低压电工（持证）"]
)
def test_high_and_low_voltage_declares_both_items(cell: str) -> None:
    catalog = load_catalog()
    assert catalog.coverages("电工作业", cell) == (
        Coverage(frozenset(HIGH), "高压电工作业", "高压电工作业", MEM),
        Coverage(frozenset(LOW), "低压电工作业", "低压电工作业", MEM),
    )


def test_a_low_voltage_card_covers_only_the_low_voltage_half() -> None:
    catalog = load_catalog()
    high, low = catalog.coverages("电工作业", "高低压电工")
    assert catalog.covers(low, "电工作业", "低压电工作业")
    assert not catalog.covers(high, "电工作业", "低压电工作业")


@pytest.mark.parametrize("cell", ["电工（高压、低压）", "电工(高低压)"])
def test_a_bracket_listing_both_voltages_declares_both_items(cell: str) -> None:
    coverages = load_catalog().coverages(None, cell)
    assert [(c.items, c.shown) for c in coverages] == [
        (frozenset(HIGH), "高压电工作业"),
        (frozenset(LOW), "低压电工作业"),
    ]


def test_a_compound_sits_among_other_items() -> None:
    coverages = load_catalog().coverages(None, "高低压电工、焊工")
    assert [c.items for c in coverages] == [HIGH, LOW, WELDING]


# ---- a category and its item in one cell -------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "电工作业-低压电工作业",
        "电工作业——低压电工",
        "电工作业—低压电工作业",
        "电工：低压电工",
        "电工作业:低压电工作业",
        "电工作业/低压电工作业",
        "（电工作业）低压电工作业",
        "(电工作业)低压电工",
        "电工作业 低压电工作业",
        "电工作业（低压电工作业）",
        "电工 低压电工作业证",
    ],
)
def test_a_category_prefix_resolves_to_the_item(cell: str) -> None:
    catalog = load_catalog()
    assert catalog.split(cell) == [cell]
    assert catalog.coverages(None, cell) == (Coverage(frozenset(LOW), _fold(cell), cell, MEM),)


def _fold(text: str) -> str:
    """The folded text, written out for the cells above: without brackets, dashes, colons,
    slashes and spaces."""
    for mark in "-—：:/（）() ":
        text = text.replace(mark, "")
    return text


def test_a_welding_category_prefix_resolves_to_its_item() -> None:
    (coverage,) = load_catalog().coverages(None, "焊接与热切割作业-熔化焊接与热切割作业")
    assert coverage.items == FUSION
    assert coverage.regime is MEM


@pytest.mark.parametrize(
    "cell",
    [
        "焊接与热切割作业-低压电工作业",  # a prefix that is not the item's category
        "（焊接与热切割作业）低压电工",
        "高处作业：低压电工",
        "电工（焊工）",
        "电工（配电房）",  # a bracket that names nothing the catalog knows
        "建筑施工特种作业-低压电工作业",
    ],
)
def test_a_prefix_that_is_not_the_items_category_is_unknown(cell: str) -> None:
    (coverage,) = load_catalog().coverages(None, cell)
    assert not coverage.known
    assert coverage.shown == cell


def test_a_slash_or_space_between_unrelated_items_still_separates_them() -> None:
    catalog = load_catalog()
    assert catalog.split("电工/焊工") == ["电工", "焊工"]
    assert catalog.split("焊接与热切割作业/低压电工作业") == ["焊接与热切割作业", "低压电工作业"]
    assert catalog.split("电工作业 低压电工作业 焊工") == ["电工作业 低压电工作业", "焊工"]
    assert catalog.split("低压 电工、焊工") == ["低压 电工", "焊工"]


def test_a_category_prefix_before_a_list_of_its_items_declares_each() -> None:
    coverages = load_catalog().coverages(None, "电工作业：低压电工作业、高压电工作业")
    assert [(c.items, c.shown) for c in coverages] == [
        (frozenset(LOW), "低压电工作业"),
        (frozenset(HIGH), "高压电工作业"),
    ]


@pytest.mark.parametrize(
    "cell", ["低压电工（复审）", "低压电工(2019)", "低压电工【持证】", "低压电工(2021.03)"]
)
def test_a_bracketed_note_leaves_the_item_as_it_is(cell: str) -> None:
    (coverage,) = load_catalog().coverages(None, cell)
    assert coverage.items == LOW


# ---- an unknown item is never replaced by its category ------------------------------------


@pytest.mark.parametrize(
    ("category", "item"),
    [
        ("电工作业", "配电房值班"),
        ("焊接与热切割作业", "铆焊工"),
        ("高处作业", "吊装工"),
        ("锅炉作业", "锅炉房值班"),
        ("建筑施工特种作业", "钢筋工"),
    ],
)
def test_an_unknown_item_stays_unknown_under_a_known_category(category: str, item: str) -> None:
    (coverage,) = load_catalog().coverages(category, item)
    assert coverage.items == frozenset()
    assert not coverage.known
    assert coverage.shown == item


def test_everyday_names_under_their_category_are_their_own_items() -> None:
    catalog = load_catalog()
    (welder,) = catalog.coverages("焊接与热切割作业", "电气焊工")
    assert welder.items == FUSION
    assert catalog.covers(welder, "焊接与热切割作业", "熔化焊接与热切割作业")
    high, low = catalog.coverages("电工作业", "高低压电工")
    assert (high.items, low.items) == (HIGH, LOW)


# ---- alternatives: the other authority a name may belong to ----------------------------


@pytest.mark.parametrize(
    ("name", "regime", "alternatives"),
    [
        ("电工", MEM, {CON}),
        ("电工证", MEM, {CON}),
        ("焊工", MEM, {SE, CON}),
        ("电焊工", MEM, {SE, CON}),
        ("气焊工", MEM, {SE, CON}),
        ("电气焊工", MEM, {SE, CON}),
        ("焊工（电焊）", MEM, {SE, CON}),
        ("架子工", MEM, {CON}),
        ("脚手架工", MEM, {CON}),
        ("司索工", CON, {SE}),
        ("起重信号工", CON, {SE}),
        ("信号工", CON, {SE}),
        ("起重机司机", SE, {CON}),
        ("起重工", SE, {CON}),
        # official names and unambiguous everyday ones
        ("电工作业", MEM, set()),
        ("低压电工", MEM, set()),
        ("焊接与热切割作业-电焊工", MEM, set()),
        ("叉车司机", SE, set()),
        ("塔吊司机", CON, set()),
        ("建筑电工", CON, set()),
    ],
)
def test_without_a_hint_an_ambiguous_name_keeps_its_alternatives(
    name: str, regime: Regime, alternatives: set[Regime]
) -> None:
    (coverage,) = load_catalog().coverages(None, name)
    assert coverage.known
    assert coverage.regime is regime
    assert coverage.alternatives == alternatives


@pytest.mark.parametrize(
    ("name", "hint", "items", "regime"),
    [
        ("电工", MEM, ELECTRICAL, MEM),
        ("电工", CON, {"建筑电工"}, CON),
        ("焊工", SE, {"金属焊接操作", "非金属焊接操作"}, SE),
        ("焊工", CON, {"建筑焊工"}, CON),
        ("电焊工", MEM, FUSION, MEM),
        ("司索工", SE, {"起重机指挥"}, SE),
        ("司索工", MEM, {"建筑起重信号司索工"}, CON),
        ("起重信号工", SE, {"起重机指挥"}, SE),
        ("架子工", CON, {"建筑架子工（普通脚手架）", "建筑架子工（附着升降脚手架）"}, CON),
    ],
)
def test_a_hint_settles_the_regime_and_leaves_no_alternatives(
    name: str, hint: Regime, items: set[str], regime: Regime
) -> None:
    (coverage,) = load_catalog().coverages(None, name, hint)
    assert coverage.items == items
    assert coverage.regime is regime
    assert coverage.alternatives == frozenset()


def test_the_mem_number_shape_is_the_hint_that_settles_an_electrician() -> None:
    catalog = load_catalog()
    hint = catalog.hint(None, ("T500381199001011234",), None)
    assert hint is MEM
    (coverage,) = catalog.coverages(None, "电工", hint)
    assert (coverage.regime, coverage.alternatives) == (MEM, frozenset())
    # a plain ID number settles nothing
    hint = catalog.hint(None, ("500381199001011234",), None)
    assert hint is None
    (coverage,) = catalog.coverages(None, "电工", hint)
    assert (coverage.regime, coverage.alternatives) == (MEM, {CON})


@pytest.mark.parametrize(
    ("name", "hint", "regime", "alternatives"),
    [
        ("管道疏通工", None, MEM, set()),  # nothing suggests anything
        ("管道疏通工", CON, CON, set()),
        ("锅炉电工", None, SE, {MEM}),  # 锅炉 before 电工
        ("塔吊电工", None, CON, {MEM}),
        ("管道电焊工", CON, CON, {MEM}),  # the hint, and 焊
        ("锅炉清洗工", CON, SE, {CON}),
        ("安全管理", None, SE, set()),  # 特种设备安全管理 under a 特种设备 hint
    ],
)
def test_an_unknown_name_lists_every_regime_its_words_suggest(
    name: str, hint: Regime | None, regime: Regime, alternatives: set[Regime]
) -> None:
    (coverage,) = load_catalog().coverages(None, name, hint)
    assert not coverage.known
    assert coverage.regime is regime
    assert coverage.alternatives == alternatives


# ---- the catalog refuses a bad compound ---------------------------------------------------


def _small() -> dict[Regime, RegimeData]:
    return {MEM: RegimeData({"电工作业": ("高压电工作业", "低压电工作业")}, {}, {}, (), (), ())}


def test_a_compound_of_unknown_names_is_refused() -> None:
    with pytest.raises(ValueError, match="compound '高低压电工' points to unknown '中压电工'"):
        Catalog(_small(), {"高低压电工": ("高压电工", "中压电工")})


def test_a_compound_that_is_also_a_catalog_name_is_refused() -> None:
    with pytest.raises(ValueError, match="compound '电工' is also a catalog name"):
        Catalog(_small(), {"电工": ("高压电工", "低压电工")})


def test_a_small_catalog_expands_its_compound() -> None:
    catalog = Catalog(_small(), {"高低压电工": ("高压电工", "低压电工")})
    assert [c.items for c in catalog.coverages(None, "高低压电工")] == [HIGH, LOW]
