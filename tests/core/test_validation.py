"""The shared field checks and the one stale-edit policy (kith.core.validation)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kith.core.errors import FieldError, StaleEdit
from kith.core.validation import (
    choice_check,
    currency_clean,
    text_clean,
    unknown_fields_check,
    version_check,
)


def test_text_clean_trims_and_reports_length_and_missing_values():
    errors: dict[str, str] = {}
    assert text_clean("  Nguyễn  Văn ", field="name", limit=20, errors=errors) == "Nguyễn Văn"
    assert errors == {}
    assert text_clean("x" * 6, field="title", limit=5, errors=errors) == "xxxxxx"
    assert text_clean(None, field="subject", limit=5, errors=errors, required=True) == ""
    assert errors == {
        "title": "Use at most 5 characters.",
        "subject": "This field is required.",
    }


def test_choice_and_currency_checks_name_the_field():
    errors: dict[str, str] = {}
    choice_check("high", ["low", "high"], field="priority", errors=errors)
    choice_check("urgent!", ["low", "high"], field="priority", errors=errors)
    assert currency_clean(" vnd ", field="currency", errors=errors) == "VND"
    assert currency_clean("US$", field="price_currency", errors=errors) == "US$"
    assert errors == {
        "priority": "“urgent!” is not a valid choice.",
        "price_currency": "Use a three-letter currency code such as USD, VND or CNY.",
    }


def test_unknown_fields_are_refused_by_name():
    unknown_fields_check({"name": "x"}, frozenset({"name", "title"}))
    with pytest.raises(FieldError) as caught:
        unknown_fields_check({"name": "x", "owner": 1, "id": 2}, frozenset({"name"}))
    assert caught.value.errors == {
        "id": "This field cannot be changed.",
        "owner": "This field cannot be changed.",
    }


def test_an_edit_needs_the_version_it_was_made_from():
    record = SimpleNamespace(version=3, __str__=lambda self: "Deal 7")
    version_check(record, 3)
    with pytest.raises(FieldError) as missing:
        version_check(record, None)
    assert list(missing.value.errors) == ["version"]
    with pytest.raises(StaleEdit, match=r"version 3, yours 2"):
        version_check(record, 2)
