"""The merge context of each recipient, read in bulk (a fixed number of queries per batch):
names, company, owner, last order, recommended products, segments, language.

The context is plain data only (kith.marketing.sandbox renders it): templates never see a model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from kith.customers.models import Address, Contact
from kith.insights.models import CustomerScore
from kith.marketing.models import ContactPreference, SegmentMember
from kith.marketing.rules import LANGUAGE_COUNTRIES
from kith.sales.models import Order
from kith.sales.money import money_format

COUNTRY_LANGUAGE = {c: lang for lang, countries in LANGUAGE_COUNTRIES.items() for c in countries}


def languages_for(contact_ids: Iterable[int]) -> dict[int, str]:
    """Each contact's mail language: their choice in the preference centre, else the language of
    their country (CN, TW… → zh-hans; VN → vi), else English."""
    ids = list(contact_ids)
    chosen = dict(
        ContactPreference.objects.filter(contact_id__in=ids)
        .exclude(language="")
        .values_list("contact_id", "language")
    )
    countries = Address.objects.filter(contact_id__in=ids, country__in=list(COUNTRY_LANGUAGE))
    by_country = {
        cid: COUNTRY_LANGUAGE[c] for cid, c in countries.values_list("contact_id", "country")
    }
    return {pk: chosen.get(pk) or by_country.get(pk) or "en" for pk in ids}


def contexts_for(contact_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The merge context of each contact: {first_name, last_name, full_name, email, title,
    company, owner, language, last_order {number, date, total} | None, recommendations
    [{name}], segments [names]}."""
    ids = list(contact_ids)
    contacts = Contact.objects.filter(pk__in=ids).select_related("company", "owner")
    languages = languages_for(ids)
    last_orders: dict[int, dict[str, Any]] = {}
    orders = (
        Order.objects.filter(contact_id__in=ids, status__in=Order.COUNTED)
        .order_by("contact_id", "-ordered_at", "-id")
        .values_list("contact_id", "number", "ordered_at", "total_minor", "currency")
    )
    for cid, number, at, total, currency in orders:
        last_orders.setdefault(
            cid,
            {
                "number": number,
                "date": at.date().isoformat(),
                "total": money_format(total, currency),
            },
        )
    recommendations = {
        cid: [{"name": str(r.get("name", ""))} for r in (recs or [])[:5]]
        for cid, recs in CustomerScore.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "recommendations"
        )
    }
    segments: dict[int, list[str]] = defaultdict(list)
    for cid, name in SegmentMember.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "segment__name"
    ):
        segments[cid].append(name)
    out: dict[int, dict[str, Any]] = {}
    for contact in contacts:
        owner = contact.owner
        out[contact.pk] = {
            "first_name": contact.first_name or contact.full_name,
            "last_name": contact.last_name,
            "full_name": contact.full_name,
            "email": contact.primary_email,
            "title": contact.title,
            "company": contact.company.name if contact.company else "",
            "owner": (owner.get_full_name() or owner.username) if owner else "",
            "language": languages[contact.pk],
            "last_order": last_orders.get(contact.pk),
            "recommendations": recommendations.get(contact.pk, []),
            "segments": sorted(segments.get(contact.pk, [])),
        }
    return out
