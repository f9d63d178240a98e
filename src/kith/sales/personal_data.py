"""The sales app's part of a contact's personal data: the leads that became them, their deals,
orders and order lines (kith.core.apps)."""

from __future__ import annotations

from typing import Any

from kith.core.personal_data import ERASED, history_erase, history_json, rows_json
from kith.sales.models import DealContact, Lead, Order, OrderLine, PurchaseSummary


def export(contact_id: int) -> dict[str, Any]:
    orders = Order.objects.filter(contact_id=contact_id)
    return {
        "leads": rows_json(Lead.objects.filter(contact_id=contact_id)),
        "deals": rows_json(DealContact.objects.filter(contact_id=contact_id)),
        "orders": rows_json(orders),
        "order_lines": rows_json(OrderLine.objects.filter(order__in=orders)),
        "purchase_summaries": rows_json(PurchaseSummary.objects.filter(contact_id=contact_id)),
    }


def erase(contact_id: int) -> dict[str, int]:
    """Anonymise the leads that became the contact. Orders stay, as anonymous revenue (they
    hold no personal data beyond the link to the anonymised contact)."""
    leads = Lead.objects.filter(contact_id=contact_id)
    history = history_erase("sales.lead", leads.values_list("pk", flat=True))
    return {
        "leads": leads.update(**_LEAD_ERASED),
        "history": history,
    }


_LEAD_ERASED = {
    "full_name": ERASED,
    "email": "",
    "phone": "",
    "company_name": "",
    "website": "",
    "message": "",
}


def lead_export(lead_id: int) -> dict[str, Any]:
    """A lead that never became a contact: its record and history."""
    return {
        "leads": rows_json(Lead.objects.filter(pk=lead_id)),
        "history": history_json("sales.lead", [lead_id]),
    }


def lead_erase(lead_id: int) -> dict[str, int]:
    """Anonymise the lead (the row stays, counted in the lead figures) and its history."""
    return {
        "history": history_erase("sales.lead", [lead_id]),
        "leads": Lead.objects.filter(pk=lead_id).update(**_LEAD_ERASED),
    }
