"""Email in, for sales: a message from an unknown sender to a timeline mailbox with
`create_leads_for_unknown` on becomes a lead (registered with engagement's inbound mail in
SalesConfig.ready(); engagement, a lower layer, cannot make leads itself)."""

from __future__ import annotations

from kith.engagement.mail import InboundMessage
from kith.engagement.models import Mailbox
from kith.sales.models import Channel, Lead
from kith.sales.services import lead_create

OPEN_LEAD = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)


def lead_from_email(mailbox: Mailbox, message: InboundMessage) -> tuple[str, int]:
    """The sender's open lead, or a new one owned by the mailbox's owner (source "email").
    Returns ("sales.lead", id); lead_create's FieldError or Forbidden when none can be made
    (engagement keeps the message unfiled with the reason)."""
    existing = (
        Lead.objects.filter(email=message.from_address, status__in=OPEN_LEAD)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        return "sales.lead", existing
    lead = lead_create(
        by=mailbox.owner,
        full_name=message.from_name or message.from_address.split("@")[0],
        email=message.from_address,
        message=(message.subject + "\n\n" + message.text).strip()[:5000],
        source_channel=Channel.EMAIL,
    )
    return "sales.lead", lead.pk
