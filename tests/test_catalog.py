from __future__ import annotations

import pytest

from certcheck.catalog import load_catalog


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
    assert load_catalog().resolve("叉车司机") == frozenset()


def test_every_alias_points_into_the_catalog() -> None:
    catalog = load_catalog()
    for alias in catalog.aliases:
        assert catalog.resolve(alias), alias


def test_catalog_has_the_eleven_categories() -> None:
    assert len(load_catalog().categories) == 11
