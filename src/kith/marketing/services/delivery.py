"""Sending a campaign exactly once per recipient, resumable after a crash.

Each recipient row is a small state machine: pending → sending → sent | failed. A worker run
claims a batch (one UPDATE: state "sending", its claim token, the time), commits, and only then
talks SMTP; after the server accepted a message (250 after DATA) the row is marked "sent" in its
own commit. The Message-ID is fixed when the row is made, so a message sent twice carries the
same Message-ID.

The trade-off, chosen: a row found in "sending" after its claim expired (its worker died) is
sent again. So a worker killed while talking to the server — before the server accepted — loses
nothing and the address gets the message once. The only duplicate possible is a worker killed
in the instant between the server's 250 and our commit: at most one message per killed worker,
and it has the same Message-ID (mail clients and Gmail collapse such copies). The alternative,
never resending an in-doubt row, would silently lose that message instead.
"""

from __future__ import annotations

import re
import secrets
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from kith.marketing import tokens
from kith.marketing.channels import ProviderRefused, sms_provider
from kith.marketing.models import Campaign, CampaignRecipient, EmailTemplateVersion
from kith.marketing.personalisation import contexts_for
from kith.marketing.sandbox import template_parse, template_render
from kith.marketing.services.campaigns import campaign_start

LEASE = timedelta(minutes=10)
HREF = re.compile(r"""href=(["'])(https?://[^"']+)\1""", re.I)
State = CampaignRecipient.State


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    claimed: int = 0


def recipients_claim(
    *, campaign: Campaign, limit: int, claim: str, reclaim_after: timedelta = LEASE
) -> list[CampaignRecipient]:
    """Claim up to `limit` recipients for this worker run: first rows left "sending" by a run
    whose lease expired (its worker died), then pending rows. Committed before any mail goes."""
    now = timezone.now()
    with transaction.atomic():
        stale = CampaignRecipient.objects.filter(
            campaign=campaign, state=State.SENDING, claimed_at__lte=now - reclaim_after
        ).exclude(claim=claim)
        pending = CampaignRecipient.objects.filter(campaign=campaign, state=State.PENDING)
        ids: list[int] = []
        for source in (stale, pending):
            if len(ids) >= limit:
                break
            rows = source.order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            ids += list(rows.values_list("id", flat=True)[: limit - len(ids)])
        CampaignRecipient.objects.filter(id__in=ids).update(
            state=State.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(CampaignRecipient.objects.filter(id__in=ids, claim=claim).order_by("id"))


class Renderer:
    """Parsed template versions of a campaign, by (variant id, language), read once."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._versions: dict[tuple[int, str], dict[str, Any]] = {}
        variants = {v.pk: v.template_id for v in campaign.variants.all()}
        by_template: dict[int, dict[str, EmailTemplateVersion]] = {}
        for version in EmailTemplateVersion.objects.filter(template_id__in=variants.values()):
            by_template.setdefault(version.template_id, {})[version.language] = version
        self._by_variant = {pk: by_template.get(tid, {}) for pk, tid in variants.items()}
        self._parsed: dict[int, dict[str, Any]] = {}

    def parts(self, variant_id: int, language: str) -> dict[str, Any]:
        versions = self._by_variant[variant_id]
        version = versions.get(language) or versions.get("en") or next(iter(versions.values()))
        if version.pk not in self._parsed:
            self._parsed[version.pk] = {
                "subject": template_parse(version.subject),
                "html": template_parse(version.html) if version.html else None,
                "text": template_parse(version.text),
            }
        return self._parsed[version.pk]


def _tracked(html: str, recipient_id: int, skip: str) -> str:
    def swap(match: re.Match[str]) -> str:
        url = match.group(2).replace("&amp;", "&")
        if url.startswith(skip):
            return match.group(0)
        return f'href="{tokens.click_url(recipient_id, url)}"'

    pixel = f'<img src="{tokens.open_url(recipient_id)}" width="1" height="1" alt="">'
    html = HREF.sub(swap, html)
    return html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel


def message_build(
    *, campaign: Campaign, recipient: CampaignRecipient, context: dict[str, Any], renderer: Renderer
) -> EmailMultiAlternatives:
    """The personalised message of one recipient with its Message-ID and RFC 8058 headers."""
    parts = renderer.parts(recipient.variant_id or 0, recipient.language)
    unsubscribe = tokens.unsubscribe_url(recipient.pk)
    context = {**context, "unsubscribe_url": unsubscribe, "preferences_url": unsubscribe}
    subject = template_render(parts["subject"], context).replace("\n", " ").strip()
    text = template_render(parts["text"], context)
    mailto = (
        settings.KITH_MARKETING_UNSUBSCRIBE_EMAIL
        or campaign.from_email
        or settings.DEFAULT_FROM_EMAIL
    )
    mailto_address = re.sub(r"^.*<|>.*$", "", mailto)
    token = tokens.unsubscribe_token(recipient.pk)
    headers = {
        "Message-ID": recipient.message_id,
        "List-Unsubscribe": f"<{unsubscribe}>, <mailto:{mailto_address}?subject={quote('unsubscribe ' + token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Kith-Campaign": str(campaign.pk),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=campaign.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=headers,
    )
    if parts["html"] is not None:
        html = template_render(parts["html"], context, html=True)
        message.attach_alternative(_tracked(html, recipient.pk, unsubscribe), "text/html")
    return message


def _mark(recipient: CampaignRecipient, **values: Any) -> None:
    CampaignRecipient.objects.filter(pk=recipient.pk, claim=recipient.claim).update(**values)


def campaign_send_batch(
    *,
    campaign: Campaign,
    limit: int = 200,
    claim: str | None = None,
    reclaim_after: timedelta = LEASE,
    connection_factory: Callable[[], Any] | None = None,
) -> BatchResult:
    """Send one batch of the campaign's recipients (see the module docstring for the
    guarantees). Nothing is claimed unless the campaign is sending."""
    result = BatchResult()
    campaign = Campaign.objects.select_related("owner").get(pk=campaign.pk)
    if campaign.status != Campaign.Status.SENDING:
        return result
    claim = claim or secrets.token_hex(8)
    batch = recipients_claim(
        campaign=campaign, limit=limit, claim=claim, reclaim_after=reclaim_after
    )
    result.claimed = len(batch)
    if not batch:
        _finish_if_done(campaign)
        return result
    contexts = contexts_for(r.contact_id for r in batch)
    renderer = Renderer(campaign)
    if campaign.channel != "email":
        return _send_by_provider(campaign, batch, contexts, renderer, result)
    smtp = (connection_factory or get_connection)()
    try:
        smtp.open()
    except OSError:
        # Nothing went out: hand the batch back at once instead of waiting for the lease.
        CampaignRecipient.objects.filter(id__in=[r.pk for r in batch], claim=claim).update(
            state=State.PENDING, claim="", claimed_at=None
        )
        raise
    try:
        for recipient in batch:
            message = message_build(
                campaign=campaign,
                recipient=recipient,
                context=contexts.get(recipient.contact_id, {}),
                renderer=renderer,
            )
            try:
                smtp.send_messages([message])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as refused:
                _mark(recipient, state=State.FAILED, error=type(refused).__name__)
                result.failed += 1
                continue
            except smtplib.SMTPDataError as refused:
                if refused.smtp_code >= 500:
                    _mark(recipient, state=State.FAILED, error=f"SMTP {refused.smtp_code}")
                    result.failed += 1
                    continue
                raise
            _mark(recipient, state=State.SENT, sent_at=timezone.now(), error="")
            result.sent += 1
    finally:
        smtp.close()
    return result


def _send_by_provider(
    campaign: Campaign,
    batch: list[CampaignRecipient],
    contexts: dict[int, dict[str, Any]],
    renderer: Renderer,
    result: BatchResult,
) -> BatchResult:
    """SMS: the plain-text part through the provider, the same claim and marks as email; the
    Message-ID is the provider's idempotency key."""
    provider = sms_provider()
    for recipient in batch:
        parts = renderer.parts(recipient.variant_id or 0, recipient.language)
        unsubscribe = tokens.unsubscribe_url(recipient.pk)
        context = {**contexts.get(recipient.contact_id, {}), "unsubscribe_url": unsubscribe,
                   "preferences_url": unsubscribe}  # fmt: skip
        text = template_render(parts["text"], context).strip()
        try:
            provider.send(to=recipient.email, text=text, reference=recipient.message_id)
        except ProviderRefused as refused:
            _mark(recipient, state=State.FAILED, error=str(refused)[:200])
            result.failed += 1
            continue
        _mark(recipient, state=State.SENT, sent_at=timezone.now(), error="")
        result.sent += 1
    return result


def _finish_if_done(campaign: Campaign) -> bool:
    open_states = (State.PENDING, State.SENDING, State.WAITING)
    with transaction.atomic():
        if CampaignRecipient.objects.filter(campaign=campaign, state__in=open_states).exists():
            return False
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=timezone.now()
        )
        if updated:
            from kith.core.events import event_record

            event_record(name="campaign.sent", record=campaign)
    return bool(updated)


def campaign_send(
    *,
    campaign: Campaign,
    batch: int = 200,
    reclaim_after: timedelta = LEASE,
    progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchResult:
    """Send the campaign to the end at its rate (messages per minute), batch after batch; the
    `kith marketing send` command. Resumable: run it again after a crash."""
    total = BatchResult()
    claim = secrets.token_hex(8)
    audience = CampaignRecipient.objects.filter(campaign=campaign, is_holdout=False).count()
    while True:
        started = time.monotonic()
        size = max(1, min(batch, campaign.rate_per_minute))
        done = campaign_send_batch(
            campaign=campaign, limit=size, claim=claim, reclaim_after=reclaim_after
        )
        total.sent += done.sent
        total.failed += done.failed
        total.claimed += done.claimed
        if progress is not None:
            finished = CampaignRecipient.objects.filter(
                campaign=campaign, state__in=(State.SENT, State.FAILED)
            ).count()
            progress(finished, audience)
        if done.claimed == 0:
            return total
        pause = done.claimed * 60 / campaign.rate_per_minute - (time.monotonic() - started)
        if pause > 0:
            sleep(pause)


def campaigns_send_due(*, now: Any = None) -> int:
    """The minute schedule: start scheduled campaigns that are due, then send each sending
    campaign's share for this minute (its rate). Returns the messages sent."""
    now = now or timezone.now()
    for pk in Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_at__lte=now
    ).values_list("pk", flat=True):
        campaign_start(by=None, campaign_id=pk, now=now)
    sent = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SENDING):
        sent += campaign_send_batch(campaign=campaign, limit=campaign.rate_per_minute).sent
    return sent
