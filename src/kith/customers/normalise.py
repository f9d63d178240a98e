"""Normalisation of contact data on entry: emails, phones, names, domains.

Each function returns the normalised value or raises ValueError with a message for the user.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from kith.core.text import clean

# Plain ASCII addresses, the vast majority: dot-separated atoms, then letter-TLD domain labels
# without "--" (punycode and reserved forms go the long way). email-validator accepts every
# address this matches, unchanged but for case (tests/customers/test_normalise.py checks it);
# checking them here costs a fiftieth of the full validation, which matters for bulk imports.
_PLAIN_EMAIL = re.compile(
    r"^(?=.{1,254}$)(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?!.*--)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def email_normalise(raw: str) -> str:
    """A syntactically valid address, lower-cased ("Ann@Example.COM " -> "ann@example.com").

    No DNS lookup: entry must work offline and fast.
    """
    value = clean(raw)
    if not value:
        raise ValueError(_("Enter an email address."))
    if _PLAIN_EMAIL.match(value) and not _special_use(value.rpartition("@")[2].lower()):
        return value.lower()
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_("“%(value)s” is not a valid email address.") % {"value": value}) from exc
    return result.normalized.lower()


def _special_use(domain: str) -> bool:
    return any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES)


def phone_normalise(raw: str, region: str | None = None) -> str:
    """The number in E.164 ("+84 912 345 678", "0912345678" in VN -> "+84912345678").

    Numbers without a country code are read in `region` (an ISO country code; default:
    KITH_DEFAULT_PHONE_REGION). The error of a refused number says how to write it.
    """
    value = clean(raw)
    if not value:
        raise ValueError(_("Enter a phone number."))
    international = _international_digits(value)
    if international is not None:
        return international
    region = (region or settings.KITH_DEFAULT_PHONE_REGION or "US").upper()
    national = _national_digits(value, region)
    if national is not None:
        return national
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_phone_help(value, region)) from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError(_phone_help(value, region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_help(value: str, region: str) -> str:
    """Why `value` was refused and how to write it: with its country code, or for the region
    it was read in (an example of each)."""
    example = phonenumbers.example_number(region)
    local = (
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        if example is not None
        else ""
    )
    return _(
        "“%(value)s” is not a valid phone number in %(region)s (numbers without a country code "
        "are read there, e.g. %(local)s). Write it with its country code, e.g. +84 912 345 678, "
        "or choose the contact's country."
    ) % {"value": value, "region": region, "local": local or "—"}


# "+84 90-123 4567", "(+86) 138 0013 8000": a "+", then digits and the usual separators only.
_INTERNATIONAL = re.compile(r"^\(?\+[\d\s().\-/]{7,24}$")
_SEPARATORS = re.compile(r"[\s().\-/]")


def _international_digits(value: str) -> str | None:
    """A number written with its country code, checked without phonenumbers.parse (the slow
    part, which bulk imports would pay per row): the E.164 form when it is a valid number,
    None to leave the decision to the full parse (anything unusual: extensions, letters, a
    national prefix "0" after the country code)."""
    if not _INTERNATIONAL.match(value):
        return None
    e164 = "+" + _SEPARATORS.sub("", value).lstrip("+")
    if not e164[1:].isdigit() or not 8 <= len(e164) <= 16:
        return None
    national = phone_national_digits(e164)
    if not national or national.startswith("0"):
        return None
    number = phonenumbers.PhoneNumber(
        country_code=int(e164[1 : len(e164) - len(national)]), national_number=int(national)
    )
    return e164 if _valid(number) else None


# "0912 345 678", "(212) 555-0123", "138 0013 8000": digits and the usual separators only.
_NATIONAL = re.compile(r"^[\d\s().\-/]{4,24}$")


@lru_cache(maxsize=512)
def _region_rules(region: str) -> tuple[int, str, Any, Any, bool] | None:
    """(country code, national prefix, its pattern for parsing, the international dialling
    prefix pattern, whether the national prefix is plainly that prefix) of `region`."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None or metadata.national_prefix_transform_rule:
        return None
    for_parsing = metadata.national_prefix_for_parsing or metadata.national_prefix or ""
    simple = bool(metadata.national_prefix) and for_parsing == metadata.national_prefix
    return (
        metadata.country_code,
        metadata.national_prefix or "",
        re.compile(for_parsing) if for_parsing else None,
        re.compile(metadata.international_prefix) if metadata.international_prefix else None,
        simple,
    )


def _national_digits(value: str, region: str) -> str | None:
    """A number written without its country code, read in `region` without
    phonenumbers.parse (what it does for plain digits, as cheap checks): the E.164 form when it
    is a valid number, None to leave the decision to the full parse (anything that parse
    might read another way: an international dialling prefix, the country code written
    without "+", a carrier code, a national number with a leading zero)."""
    if not _NATIONAL.match(value):
        return None
    digits = _SEPARATORS.sub("", value)
    # ASCII digits only: str.isdigit also takes full-width ones, which the full parse folds.
    rules = _region_rules(region) if digits.isascii() and digits.isdigit() else None
    if rules is None:
        return None
    country_code, prefix, for_parsing, international, simple = rules
    if (international and international.match(digits)) or digits.startswith(str(country_code)):
        return None
    if for_parsing is not None and for_parsing.match(digits):
        if not simple:
            return None
        digits = digits[len(prefix) :]  # parse strips it when what is left is a valid number
    if not 4 <= len(digits) <= 14 or digits.startswith("0"):
        return None
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(digits))
    return f"+{country_code}{digits}" if _valid(number) else None


def _valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number, cheaper for the first region of a shared country code
    (+1: the US, which is_valid_number also tries first, before the 24 other NANP regions)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(number.country_code or 0, ())
    if len(regions) > 1 and phonenumbers.is_valid_number_for_region(number, regions[0]):
        metadata = PhoneMetadata.metadata_for_region(regions[0])
        if metadata is not None and not metadata.leading_digits:
            return True
    return phonenumbers.is_valid_number(number)


def phone_national_digits(e164: str) -> str:
    """The national significant number of an E.164 number ("+84912345678" -> "912345678").

    E.164 is "+", the country code, then the national significant number, and country codes
    are prefix-free, so the first 1-3 digits that form a known code are the ones to drop.
    """
    if not e164.startswith("+") or not e164[1:].isdigit():
        return ""
    for length in (1, 2, 3):
        if int(e164[1 : 1 + length]) in COUNTRY_CODE_TO_REGION_CODE:
            return e164[1 + length :]
    return ""


def domain_normalise(raw: str) -> str:
    """A bare lower-case domain ("https://www.Example.com/x" -> "example.com")."""
    value = clean(raw).lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/")[0].split("?")[0]
    value = value.removeprefix("www.")
    if value:
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(_("“%(value)s” is not a valid domain.") % {"value": raw}) from exc
    if value and not _DOMAIN.match(value):
        raise ValueError(_("“%(value)s” is not a valid domain.") % {"value": raw})
    return value


def social_normalise(raw: str) -> str:
    """A social handle or profile URL, trimmed; a leading @ is kept as typed."""
    value = clean(raw)
    if not value:
        raise ValueError(_("Enter a handle."))
    return value
