"""The fast paths of normalisation agree with the slow, thorough ones."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import SPECIAL_USE_DOMAIN_NAMES, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from kith.core.text import _fold_unicode, fold
from kith.customers.normalise import (
    _PLAIN_EMAIL,
    email_normalise,
    phone_national_digits,
    phone_normalise,
)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fold_equals_the_unicode_fold(text):
    assert fold(text) == _fold_unicode(text)


ATOM = st.text(alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=12)
LABEL = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)
PLAIN = st.builds(
    lambda atoms, labels, tld: ".".join(atoms) + "@" + ".".join([*labels, tld]),
    st.lists(ATOM, min_size=1, max_size=4),
    st.lists(LABEL, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z]{2,8}", fullmatch=True),
).filter(lambda address: _PLAIN_EMAIL.match(address) is not None)


@given(PLAIN)
@example("Ann.Lee+crm@Example.COM")
@example("a@b.co")
def test_plain_addresses_are_what_email_validator_accepts(address):
    domain = address.rpartition("@")[2].lower()
    if any(domain == n or domain.endswith("." + n) for n in SPECIAL_USE_DOMAIN_NAMES):
        return  # refused by both paths; covered below
    slow = validate_email(address, check_deliverability=False).normalized.lower()
    assert email_normalise(address) == slow


@pytest.mark.parametrize(
    "address",
    ["a..b@x.com", "a@x.test", "a@mail.localhost", "a@x.local", "a@-x.com", "a@x", ".a@x.com"],
)
def test_invalid_or_reserved_addresses_are_refused(address):
    with pytest.raises(ValueError, match="not a valid email address"):
        email_normalise(address)


def test_unicode_addresses_still_take_the_full_validation():
    assert email_normalise(" Nguyễn@Ví-Dụ.vn ") == "nguyễn@ví-dụ.vn"


def test_national_digits_match_phonenumbers_in_every_region():
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            assert phone_national_digits(e164) == phonenumbers.national_significant_number(
                number
            ), (region, e164)
            checked += 1
    assert checked > 400
    assert phone_national_digits("0912345678") == ""


def _slow_phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_international_numbers_normalise_as_phonenumbers_does_in_every_region():
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for style in (
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.E164,
            ):
                typed = phonenumbers.format_number(number, style)
                assert phone_normalise(typed) == _slow_phone(typed), (region, typed)
                checked += 1
    assert checked > 800


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_any_plus_number_normalises_as_phonenumbers_does(typed):
    try:
        fast = phone_normalise(typed)
    except ValueError:
        fast = None
    assert fast == _slow_phone(typed)


def _slow_in(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_national_numbers_take_the_fast_path_as_phonenumbers_reads_them_in_every_region():
    """Every region's example numbers typed in national form: the fast path (no parse) gives
    what the full parse gives, and it is taken for most of them."""
    from kith.customers.normalise import _national_digits

    checked = fast = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            typed = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            for variant in (typed, typed.replace(" ", ""), typed.replace(" ", "-")):
                quick = _national_digits(variant, region)
                fast += quick is not None
                if quick is not None:
                    assert quick == _slow_in(variant, region), (region, variant)
                checked += 1
    assert checked > 1200 and fast > checked // 2


@given(
    st.from_regex(r"[0-9][0-9 ().\-]{3,18}", fullmatch=True),
    st.sampled_from(["US", "VN", "CN", "GB", "DE", "FR", "AU", "JP", "IT", "BR", "AR", "MX"]),
)
def test_any_national_number_normalises_as_phonenumbers_does(typed, region):
    try:
        fast = phone_normalise(typed, region)
    except ValueError:
        fast = None
    assert fast == _slow_in(typed, region)
