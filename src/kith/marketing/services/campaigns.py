"""Campaign writes: create, start (freeze the audience into recipients), pause, resume, cancel,
pick the A/B winner.

The audience is the included segments − the excluded ones − contacts without a granted consent
for the campaign's channel and purpose (an unsubscribe withdraws it) − suppressed addresses −
contacts without an email, among the contacts the campaign's owner sees. The holdout and the
variants are drawn from a hash of the campaign's seed and the contact id: reproducible, and
independent of the order the contacts come in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kith.core.errors import FieldError
from kith.core.events import event_record
from kith.core.validation import choice_check, text_clean
from kith.customers.models import Consent, Contact, ContactPoint
from kith.feedback.models import Survey
from kith.identity.access import for_write, require, visible_to
from kith.identity.models import User
from kith.marketing.models import (
    Campaign,
    CampaignRecipient,
    CampaignVariant,
    EmailTemplate,
    Segment,
    Suppression,
)
from kith.marketing.personalisation import languages_for
from kith.marketing.preferred import preferred_channels
from kith.marketing.rules import consent_granted_q
from kith.marketing.services.segments import segment_contacts

VARIANT_KEYS = "ABCDE"
CHANNELS = ("email", "sms", "chat", "best")
EVENT_OF = {
    "paused": "campaign.paused",
    "sending": "campaign.resumed",
    "cancelled": "campaign.cancelled",
}


def draw(seed: str, campaign_id: int, contact_id: int, purpose: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, campaign, contact, purpose)."""
    digest = hashlib.sha256(f"{seed}:{campaign_id}:{contact_id}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _percent(value: Any, field: str, errors: dict[str, str], top: int = 100) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Enter a whole number.")
        return 0
    if not 0 <= number <= top:
        errors[field] = _("Enter a number from 0 to %(top)d.") % {"top": top}
    return number


def _segments(by: User, ids: Sequence[int], field: str, errors: dict[str, str]) -> list[Segment]:
    found = list(visible_to(Segment.objects.filter(pk__in=list(ids)), user=by, module="marketing"))
    if len(found) != len(set(ids)):
        errors[field] = _("A segment does not exist or is not visible to you.")
    return found


def campaign_create(
    *,
    by: User,
    name: str,
    template_ids: Sequence[int],
    segment_ids: Sequence[int],
    exclusion_ids: Sequence[int] = (),
    purpose: str = "marketing",
    channel: str = "email",
    holdout_percent: int = 10,
    test_percent: int = 100,
    winner_metric: str = "click",
    scheduled_at: datetime | None = None,
    rate_per_minute: int = 6000,
    attribution_days: int = 7,
    from_email: str = "",
    repeat_every_days: int = 0,
    repeat_until: datetime | None = None,
    ab_test_hours: int = 0,
    survey_id: int | None = None,
) -> Campaign:
    """A draft campaign on `channel` ("email"; "sms" or "chat" through their providers, which
    send each template's plain text; "best": each recipient on their best consented channel,
    kith.marketing.preferred); one variant per template (A, B, …). `repeat_every_days` makes
    it recurring (a new run every N days from its schedule, until `repeat_until`);
    `ab_test_hours` picks the A/B winner automatically that long after the start."""
    require(by, "marketing", "create")
    errors: dict[str, str] = {}
    name = text_clean(name, field="name", limit=120, errors=errors, required=True)
    choice_check(purpose, Consent.Purpose.values, field="purpose", errors=errors)
    choice_check(channel, CHANNELS, field="channel", errors=errors)
    choice_check(winner_metric, ("open", "click"), field="winner_metric", errors=errors)
    holdout = _percent(holdout_percent, "holdout_percent", errors, top=90)
    test = _percent(test_percent, "test_percent", errors)
    rate = _percent(rate_per_minute, "rate_per_minute", errors, top=1_000_000)
    window = _percent(attribution_days, "attribution_days", errors, top=365)
    every = _percent(repeat_every_days, "repeat_every_days", errors, top=365)
    ab_hours = _percent(ab_test_hours, "ab_test_hours", errors, top=720)
    if survey_id is not None and not Survey.objects.filter(pk=survey_id).exists():
        errors["survey_id"] = _("No such survey.")
    if every and scheduled_at is None:
        errors["scheduled_at"] = _("A recurring campaign needs the time of its first run.")
    templates = list(EmailTemplate.objects.filter(pk__in=list(template_ids)))
    if not template_ids or len(templates) != len(set(template_ids)):
        errors["template_ids"] = _("Choose one to five templates.")
    if len(template_ids) > len(VARIANT_KEYS):
        errors["template_ids"] = _("Choose one to five templates.")
    include = _segments(by, segment_ids, "segment_ids", errors)
    if not segment_ids:
        errors["segment_ids"] = _("Choose at least one segment.")
    exclude = _segments(by, exclusion_ids, "exclusion_ids", errors)
    if rate < 1 and "rate_per_minute" not in errors:
        errors["rate_per_minute"] = _("Enter a number from 1 to %(top)d.") % {"top": 1_000_000}
    if from_email and "@" not in parseaddr(from_email)[1]:
        errors["from_email"] = _("Enter an email address.")
    if errors:
        raise FieldError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            purpose=purpose,
            channel=channel,
            holdout_percent=holdout,
            test_percent=test,
            winner_metric=winner_metric,
            seed=secrets.token_hex(8),
            scheduled_at=scheduled_at,
            status=Campaign.Status.SCHEDULED if scheduled_at else Campaign.Status.DRAFT,
            rate_per_minute=rate,
            attribution_days=window,
            from_email=from_email,
            repeat_every_days=every,
            repeat_until=repeat_until,
            next_run_at=scheduled_at + timedelta(days=every) if every and scheduled_at else None,
            ab_test_hours=ab_hours,
            survey_id=survey_id,
            owner=by,
            team_id=by.team_id,
        )
        campaign.segments.set(include)
        campaign.exclusions.set(exclude)
        by_id = {t.pk: t for t in templates}
        CampaignVariant.objects.bulk_create(
            [
                CampaignVariant(campaign=campaign, key=VARIANT_KEYS[i], template=by_id[pk])
                for i, pk in enumerate(template_ids)
            ]
        )
        event_record(name="campaign.created", record=campaign, actor=by)
    return campaign


# The consent channel and the contact's address of each sending channel.
CONSENT_CHANNEL = {"email": "email", "sms": "sms", "chat": "messaging"}
SENDING_CHANNELS = ("email", "sms", "chat")


def _reachable_q(channel: str, purpose: str) -> Q:
    """Contacts reachable on `channel`: consent granted, an address, not suppressed."""
    q = consent_granted_q(channel=CONSENT_CHANNEL[channel], purpose=purpose)
    if channel == "email":
        return (
            q
            & ~Q(primary_email="")
            & ~Q(Exists(Suppression.objects.filter(email=OuterRef("primary_email"))))
        )
    if channel == "sms":
        return q & ~Q(primary_phone="")
    handles = ContactPoint.objects.filter(contact=OuterRef("pk"), kind="social", is_primary=True)
    return q & Q(Exists(handles))


def campaign_audience(campaign: Campaign, *, now: Any = None) -> QuerySet[Contact]:
    """The contacts the campaign would reach now (before the holdout is drawn): on its channel,
    or on any channel a contact can be reached on when the campaign sends on the best one."""
    include = Q(pk__in=[])
    for segment in campaign.segments.all():
        include |= Q(pk__in=segment_contacts(segment, now=now).values("pk"))
    contacts = visible_to(Contact.objects.all(), user=campaign.owner, module="contacts").filter(
        include
    )
    for segment in campaign.exclusions.all():
        contacts = contacts.exclude(pk__in=segment_contacts(segment, now=now).values("pk"))
    if campaign.channel == "email":  # the shape PostgreSQL plans well on fresh statistics
        return (
            contacts.filter(consent_granted_q(channel="email", purpose=campaign.purpose))
            .exclude(primary_email="")
            .filter(~Exists(Suppression.objects.filter(email=OuterRef("primary_email"))))
        )
    if campaign.channel != "best":
        return contacts.filter(_reachable_q(campaign.channel, campaign.purpose))
    reachable = Q(pk__in=[])
    for channel in SENDING_CHANNELS:
        reachable |= _reachable_q(channel, campaign.purpose)
    return contacts.filter(reachable)


def _addresses(campaign: Campaign, ids: list[int]) -> dict[int, dict[str, str]]:
    """{contact: {channel: address}} on the channels each contact can be reached on."""
    channels = SENDING_CHANNELS if campaign.channel == "best" else (campaign.channel,)
    out: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for channel in channels:
        ok = Contact.objects.filter(pk__in=ids).filter(_reachable_q(channel, campaign.purpose))
        rows: Any
        if channel == "chat":
            rows = ContactPoint.objects.filter(
                contact__in=ok, kind="social", is_primary=True
            ).values_list("contact_id", "value")
        else:
            field = "primary_email" if channel == "email" else "primary_phone"
            rows = ok.values_list("pk", field)
        for pk, address in rows:
            out[pk][channel] = address.lower() if channel == "email" else address
    return out


def _message_id(campaign: Campaign, contact_id: int) -> str:
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "kith.localhost"
    return f"<kith.{campaign.pk}.{contact_id}.{campaign.seed[:8]}@{domain}>"


def campaign_start(*, by: User | None, campaign_id: int, now: Any = None) -> Campaign:
    """Freeze the audience into recipients (holdout drawn, variants assigned) and start sending.

    `by=None` is the scheduler starting a scheduled campaign. Only a draft or scheduled
    campaign starts; the worker sends it (`kith marketing send`, or the minute schedule).
    """
    now = now or timezone.now()
    with transaction.atomic():
        if by is None:
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        else:
            campaign = for_write(Campaign, module="marketing", by=by, pk=campaign_id, right="edit")
        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
            raise FieldError.one("status", _("Only a draft or scheduled campaign can start."))
        variants = list(campaign.variants.order_by("key"))
        ids = list(campaign_audience(campaign, now=now).order_by("pk").values_list("pk", flat=True))
        addresses: dict[int, dict[str, str]] = {}
        for start in range(0, len(ids), 5000):
            addresses.update(_addresses(campaign, ids[start : start + 5000]))
        if campaign.channel == "best":
            choices = preferred_channels({pk: list(addresses[pk]) for pk in ids})
            chosen = {pk: choice.channel for pk, choice in choices.items()}
        else:
            chosen = {pk: campaign.channel for pk in ids}
        languages = languages_for(ids)
        recipients = []
        for pk in ids:
            if pk not in chosen or chosen[pk] not in addresses[pk]:
                continue
            channel = chosen[pk]
            address = addresses[pk][channel]
            holdout = (
                draw(campaign.seed, campaign.pk, pk, "holdout") * 100 < campaign.holdout_percent
            )
            variant, state = None, CampaignRecipient.State.HELD_OUT
            if not holdout:
                state = CampaignRecipient.State.PENDING
                if len(variants) == 1:
                    variant = variants[0]
                elif draw(campaign.seed, campaign.pk, pk, "test") * 100 < campaign.test_percent:
                    pick = draw(campaign.seed, campaign.pk, pk, "variant")
                    variant = variants[int(pick * len(variants))]
                else:
                    state = CampaignRecipient.State.WAITING
            recipients.append(
                CampaignRecipient(
                    campaign=campaign,
                    contact_id=pk,
                    email=address,
                    channel=channel,
                    language=languages[pk],
                    variant=variant,
                    is_holdout=holdout,
                    state=state,
                    message_id=_message_id(campaign, pk),
                )
            )
        CampaignRecipient.objects.bulk_create(recipients, batch_size=2000)
        campaign.status, campaign.started_at = Campaign.Status.SENDING, now
        campaign.save(update_fields=["status", "started_at"])
        event_record(
            name="campaign.started",
            record=campaign,
            actor=by,
            payload={"audience": len(recipients)},
        )
    return campaign


def _status_move(by: User, campaign_id: int, allowed: tuple[str, ...], to: str) -> Campaign:
    with transaction.atomic():
        campaign = for_write(Campaign, module="marketing", by=by, pk=campaign_id, right="edit")
        if campaign.status not in allowed:
            raise FieldError.one(
                "status",
                _("A %(status)s campaign cannot do that.")
                % {"status": campaign.get_status_display()},
            )
        campaign.status = to
        fields = ["status"]
        if to == Campaign.Status.CANCELLED:
            CampaignRecipient.objects.filter(
                campaign=campaign, state__in=("pending", "waiting")
            ).update(state=CampaignRecipient.State.CANCELLED)
            campaign.finished_at = timezone.now()
            fields.append("finished_at")
        campaign.save(update_fields=fields)
        event_record(name=EVENT_OF[to], record=campaign, actor=by)
    return campaign


def campaign_pause(*, by: User, campaign_id: int) -> Campaign:
    """Stop handing out new messages (a message in flight still finishes)."""
    return _status_move(by, campaign_id, ("sending",), Campaign.Status.PAUSED)


def campaign_resume(*, by: User, campaign_id: int) -> Campaign:
    """Carry on sending a paused campaign."""
    return _status_move(by, campaign_id, ("paused",), Campaign.Status.SENDING)


def campaign_cancel(*, by: User, campaign_id: int) -> Campaign:
    """Cancel: nothing more is sent; what is sent stays counted."""
    return _status_move(
        by, campaign_id, ("draft", "scheduled", "sending", "paused"), Campaign.Status.CANCELLED
    )


def campaign_winner_pick(
    *, by: User, campaign_id: int, variant_key: str | None = None
) -> CampaignVariant:
    """Give the A/B winner to the recipients waiting for it: `variant_key`, or the variant with
    the best rate of the campaign's metric (opens or clicks per sent message)."""
    with transaction.atomic():
        campaign = for_write(Campaign, module="marketing", by=by, pk=campaign_id, right="edit")
        variants = list(campaign.variants.all())
        winner: CampaignVariant | None
        if variant_key is None:
            column = "opened_at" if campaign.winner_metric == "open" else "clicked_at"

            def rate(variant: CampaignVariant) -> float:
                sent = CampaignRecipient.objects.filter(
                    campaign=campaign, variant=variant, state="sent"
                )
                total = sent.count()
                return sent.filter(**{f"{column}__isnull": False}).count() / total if total else 0.0

            winner = max(variants, key=lambda v: (rate(v), -ord(v.key)))
        else:
            winner = next((v for v in variants if v.key == variant_key), None)
            if winner is None:
                raise FieldError.one("variant_key", _("No such variant."))
        winner_apply(campaign=campaign, winner=winner, actor=by, reason="")
    return winner


def winner_apply(
    *, campaign: Campaign, winner: CampaignVariant, actor: User | None, reason: str
) -> None:
    """Mark the winner and hand it to the recipients waiting for it (in the caller's
    transaction)."""
    CampaignVariant.objects.filter(campaign=campaign).update(is_winner=False)
    CampaignVariant.objects.filter(pk=winner.pk).update(is_winner=True)
    CampaignRecipient.objects.filter(campaign=campaign, state="waiting").update(
        variant=winner, state=CampaignRecipient.State.PENDING
    )
    Campaign.objects.filter(pk=campaign.pk).update(winner_reason=reason[:200])
    event_record(
        name="campaign.winner_picked",
        record=campaign,
        actor=actor,
        payload={"variant": winner.key, "automatic": actor is None, "reason": reason[:200]},
    )
