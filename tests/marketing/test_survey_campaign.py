"""A campaign can carry a feedback survey: {{ survey_url }} is each recipient's own signed link
(kith.feedback's survey request), made once per recipient."""

from __future__ import annotations

import re

from kith.feedback.models import SurveyRequest
from kith.feedback.services.responses import request_for_token
from kith.marketing.models import CampaignRecipient
from kith.marketing.services import campaigns, delivery
from kith.marketing.services.templates import template_create
from tests.feedback.factories import make_survey
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import make_segment


def test_each_recipient_gets_their_own_signed_survey_link(users, smtp):
    survey = make_survey(by=users.admin)
    bulk_contacts(users.admin, 3)
    template = template_create(
        by=users.admin, name="Survey mail",
        versions={"en": {"subject": "Tell us", "text": "Rate us: {{ survey_url }}"}},
    )  # fmt: skip
    campaign = campaigns.campaign_create(
        by=users.admin, name="Survey", template_ids=[template.pk],
        segment_ids=[make_segment(by=users.admin, rules={}).pk], holdout_percent=0,
        survey_id=survey.pk,
    )  # fmt: skip
    campaigns.campaign_start(by=users.admin, campaign_id=campaign.pk)
    assert delivery.campaign_send(campaign=campaign).sent == 3
    links = {}
    for message in smtp.messages:
        body = message.get_payload(decode=True).decode()
        token = re.search(r"/s/([^/\s]+)/", body).group(1)
        links[message["To"]] = request_for_token(token=token)
    by_email = dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("email", "contact_id")
    )
    assert {email: r.contact_id for email, r in links.items()} == by_email
    assert SurveyRequest.objects.filter(survey=survey).count() == 3
    assert {r.source_model for r in links.values()} == {"marketing.campaignrecipient"}
