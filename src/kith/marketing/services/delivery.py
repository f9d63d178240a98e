"""Sending a campaign exactly once per recipient, resumable after a crash.

Each recipient row is a small state machine: pending → sending → sent | failed. A worker run
claims a batch (one UPDATE: state "sending", its claim token, the time), commits, and only then
talks SMTP; after the server accepted a message (250 after DATA) the row is marked "sent" in its
own commit. The Message-ID is fixed when the row is made, so a message sent twice carries the
same Message-ID.

The trade-off, chosen: a row found in "sending" after its claim expired (its worker died) is
sent again. So a worker killed while talking to the server — before the server accepted — loses
nothing and the address gets the message once. The only duplicate possible is a worker killed
in the instant between the server's 250 and our commit: at most one message per SMTP connection
of a killed worker (one by default; `connections` sends a batch over several at once), and it has
the same Message-ID (mail clients and Gmail collapse such copies). The alternative,
never resending an in-doubt row, would silently lose that message instead.

Speed: the recipients' merge data is read per batch in a fixed number of queries, the public
links are reversed once per batch, the message bytes are written directly (kith.marketing.mime)
instead of through the email package's generator, the SMTP connections stay open for the whole
run, and each "sent" mark is one plain UPDATE (with an asynchronous commit on PostgreSQL).
"""

from __future__ import annotations

import re
import secrets
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.db import connections as db_connections
from django.db.models import F
from django.utils import timezone

from kith.marketing import tokens
from kith.marketing.channels import ProviderRefused, provider_for
from kith.marketing.mime import fast_path_ok, message_bytes
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


def _tracked(html: str, recipient_id: int, skip: str, links: tokens.Links) -> str:
    def swap(match: re.Match[str]) -> str:
        url = match.group(2).replace("&amp;", "&")
        if url.startswith(skip):
            return match.group(0)
        return f'href="{links.click_url(recipient_id, url)}"'

    pixel = f'<img src="{links.open_url(recipient_id)}" width="1" height="1" alt="">'
    html = HREF.sub(swap, html)
    return html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel


@dataclass
class Rendered:
    """One recipient's message, rendered: what both the raw and Django's path write out."""

    from_email: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]


def message_render(
    *,
    campaign: Campaign,
    recipient: CampaignRecipient,
    context: dict[str, Any],
    renderer: Renderer,
    links: tokens.Links | None = None,
) -> Rendered:
    """The personalised subject, text and HTML of one recipient with its Message-ID and the
    RFC 8058 headers."""
    links = links or tokens.Links()
    parts = renderer.parts(recipient.variant_id or 0, recipient.language)
    unsubscribe = links.unsubscribe_url(recipient.pk)
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
    html = None
    if parts["html"] is not None:
        html = template_render(parts["html"], context, html=True)
        html = _tracked(html, recipient.pk, unsubscribe, links)
    return Rendered(
        from_email=campaign.from_email or settings.DEFAULT_FROM_EMAIL,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
    )


def message_build(
    *,
    campaign: Campaign,
    recipient: CampaignRecipient,
    context: dict[str, Any],
    renderer: Renderer,
    links: tokens.Links | None = None,
) -> EmailMultiAlternatives:
    """The personalised message of one recipient as Django's EmailMessage (the path for
    international addresses and non-SMTP backends)."""
    rendered = message_render(
        campaign=campaign, recipient=recipient, context=context, renderer=renderer, links=links
    )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=rendered.from_email,
        to=[recipient.email],
        headers=rendered.headers,
    )
    if rendered.html is not None:
        message.attach_alternative(rendered.html, "text/html")
    return message


class Mailer:
    """One SMTP connection for a whole send run, opened on first use and opened again when the
    server dropped it between batches."""

    def __init__(self, factory: Callable[[], Any] | None = None) -> None:
        self.factory = factory or get_connection
        self.backend: Any = None

    def open(self) -> Any:
        if self.backend is not None:
            smtp = getattr(self.backend, "connection", None)
            try:
                if smtp is not None:
                    smtp.noop()
                return self.backend
            except (smtplib.SMTPException, OSError):
                self.close()
        backend = self.factory()
        backend.open()
        self.backend = backend
        return backend

    def close(self) -> None:
        if self.backend is not None:
            try:
                self.backend.close()
            finally:
                self.backend = None


def _mark_sent(recipient: CampaignRecipient) -> None:
    """The "sent" mark of one message in its own commit (what bounds a crash to one in-doubt
    message). One plain UPDATE; on PostgreSQL the commit does not wait for the WAL flush
    (synchronous_commit off for this transaction only): a killed worker loses nothing, only a
    crash of the database server itself could lose the last fraction of a second of marks."""
    table = CampaignRecipient._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            f"UPDATE {table} SET state = %s, sent_at = %s, error = '' "  # noqa: S608 — table name from the model
            "WHERE id = %s AND claim = %s",
            [State.SENT, now, recipient.pk, recipient.claim],
        )


def _mark(recipient: CampaignRecipient, **values: Any) -> None:
    CampaignRecipient.objects.filter(pk=recipient.pk, claim=recipient.claim).update(**values)


def campaign_send_batch(
    *,
    campaign: Campaign,
    limit: int = 200,
    claim: str | None = None,
    reclaim_after: timedelta = LEASE,
    connection_factory: Callable[[], Any] | None = None,
    connections: int = 1,
    mailers: list[Mailer] | None = None,
) -> BatchResult:
    """Send one batch of the campaign's recipients (see the module docstring for the
    guarantees). Nothing is claimed unless the campaign is sending. The batch goes out over
    `connections` SMTP connections at once (one thread each; the server's answers are what a
    sender waits for), or over `mailers` kept open across batches by campaign_send."""
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
    if campaign.survey_id:
        _survey_links(campaign, batch, contexts)
    renderer = Renderer(campaign)

    def channel_of(recipient: CampaignRecipient) -> str:
        # Rows made before recipients had a channel belong to the campaign's channel.
        return recipient.channel if campaign.channel == "best" else campaign.channel

    for channel in ("sms", "chat"):
        mine = [r for r in batch if channel_of(r) == channel]
        if mine:
            _send_by_provider(campaign, mine, contexts, renderer, result, channel)
    batch = [r for r in batch if channel_of(r) == "email"]
    if not batch:
        return result
    own = mailers is None
    mailers = mailers or [Mailer(connection_factory) for _ in range(max(1, connections))]
    chunks = [batch[n :: len(mailers)] for n in range(len(mailers))]
    work = [(mailer, chunk) for mailer, chunk in zip(mailers, chunks, strict=True) if chunk]
    outcomes: list[BatchResult | BaseException] = []
    try:
        if len(work) == 1:
            outcomes.append(_send_chunk(campaign, work[0][1], contexts, renderer, work[0][0]))
        else:
            threads = [
                threading.Thread(
                    target=_send_chunk_thread,
                    args=(campaign, chunk, contexts, renderer, mailer, outcomes),
                )
                for mailer, chunk in work
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        if own:
            for mailer in mailers:
                mailer.close()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        result.sent += outcome.sent
        result.failed += outcome.failed
    return result


def _survey_links(
    campaign: Campaign, batch: list[CampaignRecipient], contexts: dict[int, dict[str, Any]]
) -> None:
    """Each recipient's own signed survey link as {{ survey_url }}: kith.feedback's survey
    request, opened once per recipient (a resend finds the same request)."""
    from kith.customers.models import Contact
    from kith.feedback.models import Survey
    from kith.feedback.services.sending import request_url, survey_request_open

    survey = Survey.objects.get(pk=int(campaign.survey_id or 0))
    people = Contact.objects.in_bulk([r.contact_id for r in batch])
    for recipient in batch:
        request, _made = survey_request_open(
            survey=survey, contact=people[recipient.contact_id], language=recipient.language,
            source_model="marketing.campaignrecipient", source_id=recipient.pk,
        )  # fmt: skip
        context = contexts.setdefault(recipient.contact_id, {})
        context["survey_url"] = request_url(request)


def _send_chunk_thread(
    campaign: Campaign,
    chunk: list[CampaignRecipient],
    contexts: dict[int, dict[str, Any]],
    renderer: Renderer,
    mailer: Mailer,
    outcomes: list[BatchResult | BaseException],
) -> None:
    try:
        outcomes.append(_send_chunk(campaign, chunk, contexts, renderer, mailer))
    except BaseException as exc:  # handed to the batch's thread, which raises it
        outcomes.append(exc)
    finally:
        db_connections.close_all()  # this thread's own database connection


def _send_chunk(
    campaign: Campaign,
    chunk: list[CampaignRecipient],
    contexts: dict[int, dict[str, Any]],
    renderer: Renderer,
    mailer: Mailer,
) -> BatchResult:
    """Send a part of a claimed batch over one SMTP connection, marking each accepted message
    sent in its own commit."""
    result = BatchResult()
    try:
        backend = mailer.open()
    except OSError:
        # Nothing went out: hand these back at once instead of waiting for the lease.
        CampaignRecipient.objects.filter(id__in=[r.pk for r in chunk], claim=chunk[0].claim).update(
            state=State.PENDING, claim="", claimed_at=None
        )
        raise
    links = tokens.Links()
    smtp: Any = getattr(backend, "connection", None)
    raw = isinstance(smtp, smtplib.SMTP)
    from_email = campaign.from_email or settings.DEFAULT_FROM_EMAIL
    from_header = sanitize_address(from_email, "utf-8")
    failed: dict[str, list[int]] = {}
    try:
        for recipient in chunk:
            context = contexts.get(recipient.contact_id, {})
            try:
                if raw and fast_path_ok(recipient.email):
                    rendered = message_render(
                        campaign=campaign, recipient=recipient, context=context,
                        renderer=renderer, links=links,
                    )  # fmt: skip
                    smtp.sendmail(
                        from_header,
                        [recipient.email],
                        message_bytes(
                            from_header=from_header, to=recipient.email,
                            subject=rendered.subject, text=rendered.text, html=rendered.html,
                            headers=rendered.headers,
                        ),
                    )  # fmt: skip
                else:
                    message = message_build(
                        campaign=campaign, recipient=recipient, context=context,
                        renderer=renderer, links=links,
                    )  # fmt: skip
                    backend.send_messages([message])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as refused:
                failed.setdefault(type(refused).__name__, []).append(recipient.pk)
                continue
            except smtplib.SMTPDataError as refused:
                if refused.smtp_code >= 500:
                    failed.setdefault(f"SMTP {refused.smtp_code}", []).append(recipient.pk)
                    continue
                raise
            _mark_sent(recipient)
            result.sent += 1
    finally:
        # Refused messages were not accepted: marking them late loses nothing (a crash before
        # this line only sends them again, and the server refuses them again).
        for error, ids in failed.items():
            CampaignRecipient.objects.filter(id__in=ids, claim=chunk[0].claim).update(
                state=State.FAILED, error=error
            )
            result.failed += len(ids)
    return result


def _send_by_provider(
    campaign: Campaign,
    batch: list[CampaignRecipient],
    contexts: dict[int, dict[str, Any]],
    renderer: Renderer,
    result: BatchResult,
    channel: str = "sms",
) -> BatchResult:
    """SMS or chat: the plain-text part through the channel's provider, the same claim and
    marks as email; the Message-ID is the provider's idempotency key."""
    provider = provider_for(channel)
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
        _mark_sent(recipient)
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
    connections: int = 1,
) -> BatchResult:
    """Send the campaign to the end at its rate (messages per minute), batch after batch, over
    `connections` SMTP connections kept open for the whole run; the `kith marketing send`
    command. Resumable: run it again after a crash."""
    claim = secrets.token_hex(8)
    audience = CampaignRecipient.objects.filter(campaign=campaign, is_holdout=False).count()
    mailers = [Mailer() for _ in range(max(1, connections))]
    try:
        return _send_loop(campaign, batch, claim, reclaim_after, progress, sleep, audience, mailers)
    finally:
        for mailer in mailers:
            mailer.close()


def _send_loop(
    campaign: Campaign,
    batch: int,
    claim: str,
    reclaim_after: timedelta,
    progress: Callable[[int, int], None] | None,
    sleep: Callable[[float], None],
    audience: int,
    mailers: list[Mailer],
) -> BatchResult:
    total = BatchResult()
    while True:
        started = time.monotonic()
        size = max(1, min(batch, campaign.rate_per_minute))
        done = campaign_send_batch(
            campaign=campaign, limit=size, claim=claim, reclaim_after=reclaim_after, mailers=mailers
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
    """The minute schedule: schedule due runs of recurring campaigns, pick due A/B winners,
    start scheduled campaigns that are due, then send each sending
    campaign's share for this minute (its rate). Returns the messages sent."""
    from kith.marketing.services.recurring import campaigns_repeat_due, campaigns_winner_due

    now = now or timezone.now()
    campaigns_repeat_due(now=now)
    campaigns_winner_due(now=now)
    for pk in Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_at__lte=now
    ).values_list("pk", flat=True):
        campaign_start(by=None, campaign_id=pk, now=now)
    sent = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SENDING):
        sent += campaign_send_batch(campaign=campaign, limit=campaign.rate_per_minute).sent
    return sent
