"""Cleaning of the typed lists a contact is entered with: emails, phones, social handles, addresses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from kith.core.text import clean
from kith.customers.countries import country_code
from kith.customers.models import Address, ContactPoint
from kith.customers.normalise import email_normalise, phone_normalise, social_normalise

NORMALISERS: dict[str, Callable[[str], str]] = {
    ContactPoint.Kind.EMAIL: email_normalise,
    ContactPoint.Kind.PHONE: phone_normalise,
    ContactPoint.Kind.SOCIAL: social_normalise,
}
# The error key of each kind: "emails.0", "phones.1", "socials.0".
LIST_NAMES: dict[str, str] = {
    ContactPoint.Kind.EMAIL: "emails",
    ContactPoint.Kind.PHONE: "phones",
    ContactPoint.Kind.SOCIAL: "socials",
}
ADDRESS_FIELDS = ("kind", "line1", "line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True)
class PointInput:
    kind: str
    value: str
    label: str = ""
    is_primary: bool = False


def points_clean(
    kind: str,
    items: Iterable[str | Mapping[str, Any]],
    errors: dict[str, str],
    *,
    region: str | None = None,
) -> list[PointInput]:
    """Normalised, de-duplicated points of one kind; exactly one is primary when any exist.

    Items are plain values or {"value", "label", "is_primary"}; problems go into `errors`.
    Phone numbers without a country code are read in `region` (see phone_region_choose).
    """
    normalise = NORMALISERS[kind]
    if kind == ContactPoint.Kind.PHONE and region:
        normalise = partial(phone_normalise, region=region)
    result: list[PointInput] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, Mapping):
            raw = str(item.get("value") or "")
            label = clean(str(item.get("label") or ""))[:32]
            primary = bool(item.get("is_primary"))
        else:
            raw, label, primary = str(item or ""), "", False
        if not raw.strip():
            continue
        try:
            value = normalise(raw)
        except ValueError as exc:
            errors[f"{LIST_NAMES[kind]}.{index}"] = str(exc)
            continue
        if value in seen:
            continue
        seen.add(value)
        result.append(PointInput(kind=kind, value=value, label=label, is_primary=primary))
    primaries = [p for p in result if p.is_primary]
    chosen = primaries[0] if primaries else (result[0] if result else None)
    return [
        PointInput(kind=p.kind, value=p.value, label=p.label, is_primary=p is chosen)
        for p in result
    ]


def addresses_clean(
    items: Iterable[Mapping[str, Any]], errors: dict[str, str]
) -> list[dict[str, str]]:
    """Addresses with a first line and, when given, a country (stored as its two-letter ISO
    code; a name in English, Chinese or Vietnamese is read as its code). A country alone is a
    valid partial address: where someone is, without a street."""
    result: list[dict[str, str]] = []
    kinds = set(Address.Kind.values)
    for index, item in enumerate(items):
        row = {name: clean(str(item.get(name) or "")) for name in ADDRESS_FIELDS}
        if not any(row[name] for name in ADDRESS_FIELDS if name != "kind"):
            continue
        row["kind"] = row["kind"] or Address.Kind.WORK
        if row["kind"] not in kinds:
            errors[f"addresses.{index}.kind"] = _("Choose a valid address type.")
        country_only = not any(row[n] for n in ADDRESS_FIELDS if n not in ("kind", "country"))
        if not row["line1"] and not country_only:
            errors[f"addresses.{index}.line1"] = _("Enter the first address line.")
        if row["country"]:
            code = country_code(row["country"])
            if code is None:
                errors[f"addresses.{index}.country"] = _(
                    "Use a country name or a two-letter code such as VN, CN or US."
                )
            row["country"] = code or row["country"][:2].upper()
        for name, limit in (
            ("line1", 200),
            ("line2", 200),
            ("city", 100),
            ("region", 100),
            ("postal_code", 20),
        ):
            if len(row[name]) > limit:
                errors[f"addresses.{index}.{name}"] = _("Use at most %(n)d characters.") % {
                    "n": limit
                }
        result.append(row)
    return result


def phone_region_choose(*candidates: str | None) -> str:
    """The region local phone numbers are read in: the first valid two-letter country code
    among `candidates` (the form's country picker, the contact's address country, the user's,
    the team's), else KITH_DEFAULT_PHONE_REGION."""
    for code in candidates:
        value = (code or "").strip().upper()
        if len(value) == 2 and value.isalpha() and phonenumbers.country_code_for_region(value):
            return value
    return str(settings.KITH_DEFAULT_PHONE_REGION or "US").upper()
