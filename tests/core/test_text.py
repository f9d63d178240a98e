"""Text keys and normalisers, checked on examples and with generated input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kith.core.pagination import Ordering, cursor_decode, cursor_encode
from kith.core.text import digits, fold
from kith.customers.normalise import domain_normalise, email_normalise, phone_normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ＷＡＮＧ　伟", "wang 伟"),
        ("  Jane   DOE ", "jane doe"),
        ("Trần Thị Ánh Tuyết", "tran thi anh tuyet"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_fold(raw, expected):
    assert fold(raw) == expected


@given(st.text())
def test_fold_is_idempotent_and_lower(text):
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(st.text())
def test_digits_only_digits(text):
    assert digits(text).isdigit() or digits(text) == ""


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("0912 345 678", "VN", "+84912345678"),
        ("+84 912-345-678", "US", "+84912345678"),
        ("138 1234 5678", "CN", "+8613812345678"),
        ("１３８ １２３４ ５６７８", "CN", "+8613812345678"),  # full-width digits
    ],
)
def test_phone_normalise(raw, region, expected):
    assert phone_normalise(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "abc", "", "+1 000"])
def test_phone_normalise_refuses(raw):
    with pytest.raises(ValueError, match="phone"):
        phone_normalise(raw, "US")


@given(st.text(max_size=30))
def test_phone_normalise_never_crashes(raw):
    try:
        result = phone_normalise(raw, "VN")
    except ValueError:
        return
    assert result.startswith("+") and result[1:].isdigit()
    assert phone_normalise(result, "US") == result  # E.164 is a fixed point


def test_email_normalise():
    assert email_normalise("  Ann@Example.COM ") == "ann@example.com"
    with pytest.raises(ValueError, match="not a valid email"):
        email_normalise("ann@")


@given(st.emails())
def test_email_normalise_is_idempotent(email):
    try:
        once = email_normalise(email)
    except ValueError:
        return
    assert email_normalise(once) == once


def test_domain_normalise():
    assert domain_normalise("https://www.Example.com/path?q=1") == "example.com"
    assert domain_normalise("bücher.de") == "xn--bcher-kva.de"
    with pytest.raises(ValueError):
        domain_normalise("not a domain")


@given(st.one_of(st.text(max_size=20), st.integers()), st.integers(min_value=1, max_value=2**40))
def test_cursor_round_trip(value, pk):
    assert cursor_decode(cursor_encode(value, pk, "n")) == (value, pk, "n")
    assert Ordering("sort_name").key == "sort_name"
