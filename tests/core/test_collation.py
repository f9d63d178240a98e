"""Names sort the way their readers expect: Chinese by pinyin, Vietnamese by its alphabet."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kith.core.collation import collation_key
from kith.customers.selectors import contacts_list
from tests.factories import make_company, make_contact


def _sorted(names: list[str]) -> list[str]:
    return sorted(names, key=collation_key)


def test_chinese_names_sort_by_pinyin_among_latin_ones() -> None:
    assert _sorted(["张伟", "王芳", "Li Ming", "陈静", "李娜", "Zhou"]) == [
        "陈静",  # chen
        "Li Ming",
        "李娜",  # li na
        "王芳",  # wang
        "张伟",  # zhang
        "Zhou",
    ]
    assert collation_key("曾国藩") < collation_key("张三")  # 曾 as a family name is zēng


def test_vietnamese_letters_and_tones_follow_the_vietnamese_alphabet() -> None:
    assert _sorted(["Đỗ Hùng", "Dương An", "Đặng Bình", "Đinh Lan", "Eo"]) == [
        "Dương An",  # d < đ
        "Đặng Bình",  # đa… < đi… < đo…
        "Đinh Lan",
        "Đỗ Hùng",
        "Eo",
    ]
    assert _sorted(["Ơn", "Ôn", "On", "Ưng", "Ung"]) == ["On", "Ôn", "Ơn", "Ung", "Ưng"]
    # The tone only orders names whose letters are the same.
    assert _sorted(["Ánh", "Anh", "Ảnh", "An Bình", "An"]) == ["An", "An Bình", "Anh", "Ảnh", "Ánh"]
    # Accents Vietnamese does not use sort as their base letter.
    assert collation_key("Müller") == collation_key("Muller") > collation_key("Mueller")


@given(st.text(max_size=40))
def test_every_key_is_plain_ascii_and_stable(text: str) -> None:
    key = collation_key(text)
    assert key.isascii() and "\x00" not in key
    assert key == collation_key(text)


@pytest.mark.django_db
def test_contact_and_company_lists_sort_by_the_readers_order(users) -> None:
    for first, last, full in (
        ("伟", "张", "张伟"),
        ("静", "陈", "陈静"),
        ("Bình", "Đặng", "Đặng Bình"),
        ("An", "Dương", "Dương An"),
        ("Ann", "Evans", "Ann Evans"),
    ):
        make_contact(by=users.admin, first_name=first, last_name=last, full_name=full)
    page = contacts_list(user=users.admin, sort="name")
    assert [c.full_name for c in page.items] == [
        "陈静",
        "Dương An",
        "Đặng Bình",
        "Ann Evans",
        "张伟",
    ]
    page = contacts_list(user=users.admin, sort="-name")
    assert page.items[0].full_name == "张伟"
    make_company(by=users.admin, name="Đông Á Trading")
    make_company(by=users.admin, name="Dong Fang")
    from kith.customers.selectors import companies_list

    names = [c.name for c in companies_list(user=users.admin, sort="name").items]
    assert names == ["Dong Fang", "Đông Á Trading"]
