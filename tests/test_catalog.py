from __future__ import annotations

import pytest

from certcheck.catalog import load_catalog, number_regime
from certcheck.models import Regime


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("高压电工", {"高压电工作业"}),
        ("低压电工作业", {"低压电工作业"}),
        ("电焊工", {"熔化焊接与热切割作业"}),
        ("架子工", {"登高架设作业"}),
        ("裂解(裂化)工艺作业", {"裂解（裂化）工艺作业"}),
        ("低压电工作业证", {"低压电工作业"}),
        ("登高架设", {"登高架设作业"}),
    ],
)
def test_aliases_and_items_resolve(name: str, expected: set[str]) -> None:
    assert load_catalog().resolve(name) == expected


def test_broad_names_resolve_to_the_whole_category() -> None:
    catalog = load_catalog()
    assert catalog.resolve("电工") == set(catalog.categories["电工作业"])
    assert catalog.resolve("焊工") == set(catalog.categories["焊接与热切割作业"])
    assert catalog.resolve("制冷工") == set(catalog.categories["制冷与空调作业"])


def test_unknown_name_maps_to_nothing() -> None:
    assert load_catalog().resolve("管道疏通工") == frozenset()
    # Never by prefix: a boiler operator is not a low-voltage electrician.
    assert load_catalog().resolve("低压锅炉工") == frozenset()


@pytest.mark.parametrize(
    ("name", "items", "regime"),
    [
        ("叉车司机", {"叉车司机"}, Regime.SPECIAL_EQUIPMENT),
        ("叉车工", {"叉车司机"}, Regime.SPECIAL_EQUIPMENT),
        ("锅炉工", {"工业锅炉司炉", "电站锅炉司炉", "锅炉水处理"}, Regime.SPECIAL_EQUIPMENT),
        ("建筑电工", {"建筑电工"}, Regime.CONSTRUCTION),
        ("塔吊司机", {"建筑起重机械司机（塔式起重机）"}, Regime.CONSTRUCTION),
        ("高处作业吊篮安装拆卸工", {"高处作业吊篮安装拆卸工"}, Regime.CONSTRUCTION),
    ],
)
def test_other_authorities_items_resolve_in_their_regime(
    name: str, items: set[str], regime: Regime
) -> None:
    catalog = load_catalog()
    assert catalog.resolve(name) == items
    assert catalog.regime_of(name) is regime


def test_unknown_names_are_placed_by_keyword() -> None:
    catalog = load_catalog()
    assert catalog.regime_of("低压锅炉工") is Regime.SPECIAL_EQUIPMENT
    assert catalog.regime_of("建筑焊工") is Regime.CONSTRUCTION
    assert catalog.regime_of("管道疏通工") is None


def test_a_hint_turns_an_ambiguous_name_to_its_regime() -> None:
    catalog = load_catalog()
    assert catalog.resolve("电工", Regime.CONSTRUCTION) == {"建筑电工"}
    assert catalog.resolve("焊工", Regime.SPECIAL_EQUIPMENT) == {"金属焊接操作", "非金属焊接操作"}
    assert catalog.hint("建筑施工特种作业", (), None) is Regime.CONSTRUCTION
    assert catalog.hint(None, ("渝A042021000123",), None) is Regime.CONSTRUCTION
    assert catalog.hint(None, ("TS3150001",), None) is Regime.SPECIAL_EQUIPMENT
    assert catalog.hint(None, (), "重庆市市场监督管理局") is Regime.SPECIAL_EQUIPMENT
    assert catalog.hint("电工作业", ("T500381199001011234",), "重庆市应急管理局") is Regime.MEM
    # T + the ID is the 特种作业 number's shape: it settles 电工 toward 特种作业.
    assert catalog.hint("电工作业", ("T500381199001011234",), None) is Regime.MEM
    # A plain ID number is used by every authority: it says nothing.
    assert catalog.hint("电工作业", ("500381199001011234",), None) is None


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        ("低压电工作业、熔化焊接与热切割作业", ["低压电工作业", "熔化焊接与热切割作业"]),
        ("电工/焊工", ["电工", "焊工"]),
        ("低压电工，登高架设", ["低压电工", "登高架设"]),
        ("低压电工 焊工", ["低压电工", "焊工"]),
        ("高处安装、维护、拆除作业", ["高处安装、维护、拆除作业"]),
        ("高处安装、维护、拆除作业、电工", ["高处安装、维护、拆除作业", "电工"]),
        ("低压电工", ["低压电工"]),
    ],
)
def test_one_cell_splits_into_its_items(cell: str, parts: list[str]) -> None:
    assert load_catalog().split(cell) == parts


def test_every_alias_points_into_the_catalog() -> None:
    catalog = load_catalog()
    # The 11th category lists no items: its names are known, and stand for no item.
    other = "应急管理部门认定的其他作业"
    assert catalog.categories[other] == ()
    for alias, targets in catalog.aliases.items():
        assert catalog.regime_of(alias) is Regime.MEM, alias
        if targets == (other,):
            assert catalog.resolve(alias) == frozenset(), alias
        else:
            assert catalog.resolve(alias), alias


def test_catalog_has_the_eleven_categories() -> None:
    assert len(load_catalog().categories) == 11
    assert set(load_catalog().regimes) == set(Regime)


@pytest.mark.parametrize(
    ("number", "regime"),
    [
        ("T500381199001011234", Regime.MEM),
        ("t500381199001011234", Regime.MEM),
        ("T50038119900101123X", Regime.MEM),
        ("T50038119900101123x", Regime.MEM),
        ("Ｔ５００３８１１９９００１０１１２３４", Regime.MEM),
        (" T500381199001011234 ", Regime.MEM),
        ("500381199001011234", None),  # a plain ID: every authority uses it
        ("T50038119900101123", None),  # 17 characters after the T
        ("T5003811990010112345", None),
        ("TS3150001", Regime.SPECIAL_EQUIPMENT),
        ("ts3150001", Regime.SPECIAL_EQUIPMENT),
        ("ＴＳ３１５０００１", Regime.SPECIAL_EQUIPMENT),
        ("渝A042021000123", Regime.CONSTRUCTION),
        ("渝Ａ０４２０２１０００１２３", Regime.CONSTRUCTION),
        ("渝a042021000123", Regime.CONSTRUCTION),
        ("", None),
    ],
)
def test_number_regime(number: str, regime: Regime | None) -> None:
    assert number_regime(number) is regime


def test_a_hint_from_several_numbers() -> None:
    catalog = load_catalog()
    mem, se, con = Regime.MEM, Regime.SPECIAL_EQUIPMENT, Regime.CONSTRUCTION
    assert catalog.hint(None, ("T500381199001011234", "T500381199001011234"), None) is mem
    assert catalog.hint(None, ("500381199001011234", "T500381199001011234"), None) is mem
    assert catalog.hint(None, ("渝A042021000123", "TS3150001"), None) is None
    assert catalog.hint(None, ("T500381199001011234", "渝A042021000123"), None) is None
    assert catalog.hint(None, ("", "TS3150001"), None) is se
    assert catalog.hint(None, (), None) is None
    # the issuer outranks the numbers
    assert catalog.hint(None, ("渝A042021000123",), "重庆市应急管理局") is mem
    # a single number passed as text is one number, not its characters
    assert catalog.hint(None, "渝A042021000123", None) is con
