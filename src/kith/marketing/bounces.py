"""Bounces: delivery status notifications (RFC 3464) read from the mailbox with purpose
"bounces". A permanent failure (status 5.x.x) suppresses the address; a temporary one (4.x.x)
is filed and changes nothing. The same mailbox takes the List-Unsubscribe mailto replies and
the complaints of the mailbox providers' feedback loops (ARF, RFC 5965: a multipart/report with
report-type=feedback-report): a complaint suppresses the address and unsubscribes the recipient.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import Message
from typing import Any

from django.db import transaction
from django.utils import timezone

from kith.engagement.mail import InboundMessage, UnfiledMessage
from kith.marketing.models import CampaignRecipient, Suppression

UNSUBSCRIBE_SUBJECT = re.compile(r"unsubscribe\s+(\S+)", re.I)


@dataclass(frozen=True)
class Bounce:
    recipient: str  # lower-case address
    status: str  # "5.1.1"
    action: str  # "failed", "delayed", …
    original_message_id: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


def _address(value: str) -> str:
    # "rfc822; user@example.com"
    return (
        value.partition(";")[2].strip().strip("<>").lower()
        if ";" in value
        else value.strip().lower()
    )


def dsn_parse(raw: bytes) -> list[Bounce]:
    """The per-recipient reports of a DSN (multipart/report; report-type=delivery-status);
    [] for any other message."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return []
    original = ""
    blocks: list[Message] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            payload: Any = part.get_payload()
            blocks = (
                [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
            )
            if not blocks and isinstance(payload, str):
                blocks = [
                    email.message_from_string(chunk)
                    for chunk in re.split(r"\n\s*\n", payload)
                    if chunk.strip()
                ]
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            inner: Any = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, str):
                headers = email.message_from_string(inner)
            if headers is not None and headers.get("Message-ID"):
                original = str(headers["Message-ID"]).strip()
    bounces = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        final = block.get("Final-Recipient") or block.get("Original-Recipient")
        if not final:
            continue
        bounces.append(
            Bounce(
                recipient=_address(str(final)),
                status=str(block.get("Status", "")).strip().split(" ")[0],
                action=str(block.get("Action", "")).strip().lower(),
                original_message_id=original,
            )
        )
    return bounces


@dataclass(frozen=True)
class Complaint:
    recipient: str  # lower-case address, "" when the provider redacted it
    feedback_type: str  # "abuse", "fraud", …
    original_message_id: str


def _original_headers(part: Message) -> Message | None:
    inner: Any = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        return inner[0]
    if isinstance(inner, str):
        return email.message_from_string(inner)
    return None


def arf_parse(raw: bytes) -> Complaint | None:
    """The complaint of a feedback-loop report (RFC 5965); None for any other message. The
    address comes from Original-Rcpt-To, else Removal-Recipient, else the original's To; the
    original's Message-ID ties it to the campaign recipient (providers often redact the
    address but keep the Message-ID)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() != "feedback-report":
        return None
    report: Message | None = None
    original: Message | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            payload: Any = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                report = payload[0]
            elif isinstance(payload, str):
                report = email.message_from_string(payload)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            original = _original_headers(part)
    if report is None:
        return None
    recipient = report.get("Original-Rcpt-To") or report.get("Removal-Recipient") or ""
    if not recipient and original is not None:
        recipient = email.utils.parseaddr(str(original.get("To", "")))[1]
    return Complaint(
        recipient=_address(str(recipient)),
        feedback_type=str(report.get("Feedback-Type", "abuse")).strip().lower(),
        original_message_id=str(original.get("Message-ID", "")).strip() if original else "",
    )


def complaint_record(complaint: Complaint) -> str:
    """Suppress the complaining address and unsubscribe the recipient (consent withdrawn)."""
    recipient = None
    if complaint.original_message_id:
        recipient = CampaignRecipient.objects.filter(
            message_id=complaint.original_message_id
        ).first()
    if recipient is None and complaint.recipient:
        recipient = (
            CampaignRecipient.objects.filter(email=complaint.recipient).order_by("-id").first()
        )
    # The recipient's own address first: providers redact or rewrite the one in the report.
    address = recipient.email if recipient else complaint.recipient
    if not address:
        raise UnfiledMessage("complaint without an address or a known Message-ID")
    now = timezone.now()
    with transaction.atomic():
        Suppression.objects.get_or_create(
            email=address.lower(),
            defaults={
                "reason": Suppression.Reason.COMPLAINT,
                "detail": complaint.feedback_type[:200],
                "campaign_id": recipient.campaign_id if recipient else None,
                "at": now,
            },
        )
        if recipient is not None and recipient.unsubscribed_at is None:
            from kith.marketing.services.tracking import recipient_unsubscribe
            from kith.marketing.tokens import unsubscribe_token

            recipient_unsubscribe(token=unsubscribe_token(recipient.pk), source="complaint")
    return f"complaint ({complaint.feedback_type})"


def bounce_record(bounce: Bounce) -> str:
    """Suppress a permanently failed address and mark the campaign recipient bounced."""
    recipient = None
    if bounce.original_message_id:
        recipient = CampaignRecipient.objects.filter(message_id=bounce.original_message_id).first()
    if recipient is None:
        recipient = CampaignRecipient.objects.filter(email=bounce.recipient).order_by("-id").first()
    if not bounce.permanent:
        return f"soft bounce {bounce.status}"
    now = timezone.now()
    with transaction.atomic():
        Suppression.objects.get_or_create(
            email=bounce.recipient,
            defaults={
                "reason": Suppression.Reason.HARD_BOUNCE,
                "detail": bounce.status[:200],
                "campaign_id": recipient.campaign_id if recipient else None,
                "at": now,
            },
        )
        if recipient is not None:
            CampaignRecipient.objects.filter(pk=recipient.pk, bounced_at__isnull=True).update(
                bounced_at=now
            )
    return f"hard bounce {bounce.status}"


def bounce_mail_handle(mailbox: Any, message: InboundMessage) -> str:
    """The inbound handler of purpose "bounces": DSNs, feedback-loop complaints, and
    unsubscribe replies to the mailto."""
    complaint = arf_parse(message.raw)
    if complaint is not None:
        return complaint_record(complaint)
    bounces = dsn_parse(message.raw)
    if bounces:
        return "; ".join(bounce_record(b) for b in bounces)
    wanted = UNSUBSCRIBE_SUBJECT.search(message.subject or "")
    if wanted:
        from kith.core.errors import NotFound
        from kith.marketing.services.tracking import recipient_unsubscribe

        try:
            recipient_unsubscribe(token=wanted.group(1), source="mailto")
        except NotFound:
            raise UnfiledMessage("unsubscribe reply with a bad token") from None
        return "unsubscribed"
    raise UnfiledMessage("not a delivery status notification")
