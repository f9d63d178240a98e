"""The minute schedule's campaign jobs besides sending: new runs of recurring campaigns, and the
automatic A/B winner once a campaign's test window is over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kith.core.events import event_record
from kith.marketing.abtest import VariantCounts, winner_choose
from kith.marketing.models import Campaign, CampaignRecipient, CampaignVariant
from kith.marketing.services.campaigns import winner_apply


def campaign_run_create(*, series: Campaign, at: Any) -> Campaign:
    """A new run of a recurring campaign: a copy (segments, exclusions, variants, settings)
    scheduled at `at`, with its own seed, so its audience and holdout are drawn afresh."""
    import secrets

    run = Campaign.objects.create(
        name=f"{series.name} · {timezone.localtime(at).date().isoformat()}"[:120],
        status=Campaign.Status.SCHEDULED,
        channel=series.channel,
        purpose=series.purpose,
        holdout_percent=series.holdout_percent,
        test_percent=series.test_percent,
        winner_metric=series.winner_metric,
        seed=secrets.token_hex(8),
        scheduled_at=at,
        rate_per_minute=series.rate_per_minute,
        attribution_days=series.attribution_days,
        from_email=series.from_email,
        ab_test_hours=series.ab_test_hours,
        survey_id=series.survey_id,
        repeat_of=series,
        owner=series.owner,
        team=series.team,
    )
    run.segments.set(series.segments.all())
    run.exclusions.set(series.exclusions.all())
    CampaignVariant.objects.bulk_create(
        [
            CampaignVariant(campaign=run, key=v.key, template_id=v.template_id)
            for v in series.variants.all()
        ]
    )
    event_record(name="campaign.created", record=run, payload={"repeat_of": series.pk})
    return run


def campaigns_repeat_due(*, now: Any = None) -> int:
    """Schedule the runs of recurring campaigns that are due (one per due series; a run missed
    while no worker ran is not made up twice). Returns the runs made."""
    now = now or timezone.now()
    made = 0
    due = Campaign.objects.filter(repeat_every_days__gt=0, next_run_at__lte=now).exclude(
        status=Campaign.Status.CANCELLED
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            series = Campaign.objects.select_for_update().get(pk=pk)
            if series.next_run_at is None or series.next_run_at > now:
                continue  # another worker made this run
            at = series.next_run_at
            if series.repeat_until is None or at <= series.repeat_until:
                campaign_run_create(series=series, at=at)
                made += 1
            step = timedelta(days=series.repeat_every_days)
            following = at + step
            while following <= now:
                following += step
            if series.repeat_until is not None and following > series.repeat_until:
                series.next_run_at = None
            else:
                series.next_run_at = following
            series.save(update_fields=["next_run_at"])
    return made


def campaigns_winner_due(*, now: Any = None) -> int:
    """Pick the A/B winner of every sending campaign whose test window (ab_test_hours after the
    start) is over and whose remainder still waits (kith.marketing.abtest's rule). Returns the
    winners picked."""
    now = now or timezone.now()
    picked = 0
    candidates = Campaign.objects.filter(
        status=Campaign.Status.SENDING, ab_test_hours__gt=0, started_at__isnull=False
    )
    for campaign in candidates:
        started = campaign.started_at
        if started is None or started + timedelta(hours=campaign.ab_test_hours) > now:
            continue
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            waiting = CampaignRecipient.objects.filter(campaign=campaign, state="waiting")
            if not waiting.exists() or campaign.variants.filter(is_winner=True).exists():
                continue
            column = "opened_at" if campaign.winner_metric == "open" else "clicked_at"
            variants = list(campaign.variants.order_by("key"))
            counts = []
            for variant in variants:
                sent = CampaignRecipient.objects.filter(
                    campaign=campaign, variant=variant, state="sent"
                )
                counts.append(
                    VariantCounts(
                        key=variant.key,
                        sent=sent.count(),
                        responded=sent.filter(~Q(**{f"{column}__isnull": True})).count(),
                    )
                )
            key, reason = winner_choose(counts)
            winner = next(v for v in variants if v.key == key)
            winner_apply(campaign=campaign, winner=winner, actor=None, reason=reason)
            picked += 1
    return picked
