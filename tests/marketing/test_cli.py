"""`kith marketing send|refresh`: the long jobs from the command line, with progress."""

from __future__ import annotations

from typer.testing import CliRunner

from kith.cli.app import app
from kith.marketing.models import Campaign, SegmentSize
from kith.marketing.services import campaigns
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment


def test_send_starts_and_sends_a_campaign(users, template, smtp):
    bulk_contacts(users.admin, 12)
    segment = make_segment(by=users.admin, rules={})
    campaign = campaigns.campaign_create(
        by=users.admin, name="CLI", template_ids=[template.pk], segment_ids=[segment.pk],
        holdout_percent=0,
    )  # fmt: skip
    refused = CliRunner().invoke(app, ["marketing", "send", str(campaign.pk)])
    assert refused.exit_code == 1 and "not sending" in refused.output
    result = CliRunner().invoke(app, ["marketing", "send", str(campaign.pk), "--start"])
    assert result.exit_code == 0, result.output
    assert "Sent 12, failed 0." in result.output
    assert len(smtp.messages) == 12
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
    assert CliRunner().invoke(app, ["marketing", "send", "999999"]).exit_code == 2


def test_refresh_records_sizes(users, records):
    make_segment(by=users.admin, rules={"field": "tag", "op": "has", "value": "vip"})
    result = CliRunner().invoke(app, ["marketing", "refresh"])
    assert result.exit_code == 0, result.output
    assert "1 segments refreshed." in result.output
    assert SegmentSize.objects.get().size == 1
