"""Recurring campaigns (a new run with its own audience every N days) and the automatic A/B
winner after the test window, with its significance rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core.errors import FieldError
from kith.marketing.abtest import VariantCounts, winner_choose
from kith.marketing.models import Campaign, CampaignRecipient
from kith.marketing.services import campaigns, delivery
from kith.marketing.services.templates import template_create
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment


def test_significance_rule():
    clear = [VariantCounts("A", 1000, 50), VariantCounts("B", 1000, 90)]
    assert winner_choose(clear)[0] == "B"
    assert "beat every other variant" in winner_choose(clear)[1]
    close = [VariantCounts("A", 100, 10), VariantCounts("B", 100, 12)]
    key, reason = winner_choose(close)
    assert key == "A" and reason.startswith("no significant difference")
    # Three variants: Bonferroni makes the bar 0.025 per comparison.
    three = [VariantCounts("A", 500, 25), VariantCounts("B", 500, 40), VariantCounts("C", 500, 30)]
    assert winner_choose(three)[0] == "A"


def test_recurring_campaign_makes_one_run_per_period(users, template, smtp):
    everyone = make_segment(by=users.admin, rules={})
    bulk_contacts(users.admin, 3)
    first = timezone.now() + timedelta(minutes=5)
    with pytest.raises(FieldError):
        campaigns.campaign_create(
            by=users.admin, name="Weekly", template_ids=[template.pk],
            segment_ids=[everyone.pk], repeat_every_days=7,
        )  # fmt: skip
    series = campaigns.campaign_create(
        by=users.admin, name="Weekly", template_ids=[template.pk], segment_ids=[everyone.pk],
        holdout_percent=0, scheduled_at=first, repeat_every_days=7,
        repeat_until=first + timedelta(days=15),
    )  # fmt: skip
    assert delivery.campaigns_send_due(now=first + timedelta(minutes=1)) == 3  # the first run
    later = first + timedelta(days=7, minutes=1)
    assert delivery.campaigns_send_due(now=later) == 3
    assert delivery.campaigns_send_due(now=later) == 0  # the same minute twice: one run
    runs = Campaign.objects.filter(repeat_of=series)
    assert runs.count() == 1 and runs.get().seed != series.seed
    assert delivery.campaigns_send_due(now=first + timedelta(days=14, minutes=1)) == 3
    assert delivery.campaigns_send_due(now=first + timedelta(days=21, minutes=1)) == 0  # ended
    series.refresh_from_db()
    assert series.next_run_at is None and runs.count() == 2
    assert len(smtp.messages) == 9


def test_automatic_winner_after_the_test_window(users, template, smtp):
    other = template_create(
        by=users.admin, name="B", versions={"en": {"subject": "B {{ first_name }}", "text": "b"}}
    )
    everyone = make_segment(by=users.admin, rules={})
    bulk_contacts(users.admin, 400)
    campaign = campaigns.campaign_create(
        by=users.admin, name="Auto AB", template_ids=[template.pk, other.pk],
        segment_ids=[everyone.pk], holdout_percent=0, test_percent=50, ab_test_hours=4,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    delivery.campaign_send(campaign=campaign)
    sent_b = CampaignRecipient.objects.filter(campaign=campaign, variant__key="B", state="sent")
    sent_b.filter(pk__in=list(sent_b.values_list("pk", flat=True)[:40])).update(
        clicked_at=timezone.now()
    )
    started = Campaign.objects.get(pk=campaign.pk).started_at
    delivery.campaigns_send_due(now=started + timedelta(hours=1))  # window still open
    assert CampaignRecipient.objects.filter(campaign=campaign, state="waiting").exists()
    delivery.campaigns_send_due(now=started + timedelta(hours=5))
    campaign.refresh_from_db()
    assert campaign.variants.get(is_winner=True).key == "B"
    assert "beat every other variant" in campaign.winner_reason
    assert not CampaignRecipient.objects.filter(campaign=campaign, state="waiting").exists()
    assert len(smtp.messages) == 400
