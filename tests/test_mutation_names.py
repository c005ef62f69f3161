"""Name normalising with the characters that web pages and office files slip into names
(docs/mutation.md)."""

from __future__ import annotations

from certcheck.names import name_key, normalize_name, same_name


def test_invisible_characters_are_dropped() -> None:
    assert normalize_name("张\u200b三") == "张三"
    assert normalize_name("\ufeff李\u00ad四\u2060") == "李四"
    assert same_name("阿依古丽\u200c·买买提", "阿依古丽·买买提")


def test_dot_variants_become_one_middle_dot_and_vanish_in_the_key() -> None:
    assert normalize_name("阿依古丽・买买提") == "阿依古丽·买买提"
    assert normalize_name("阿依古丽．买买提") == "阿依古丽·买买提"
    assert name_key("阿依古丽－买买提") == "阿依古丽买买提"
    assert name_key("John  SMITH") == "johnsmith"


def test_different_people_stay_different() -> None:
    assert not same_name("张三", "张山")
    assert not same_name("阿依古丽·买买提", "阿依古丽")
