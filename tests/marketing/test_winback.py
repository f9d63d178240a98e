"""The ready win-back campaign targets high churn risk and high CLV, with a holdout."""

from __future__ import annotations

from kith.marketing.services import campaigns
from kith.marketing.services.winback import winback_campaign_create
from tests.factories import make_contact
from tests.marketing.factories import grant, score


def test_winback_targets_risky_valuable_consented_customers(users, api_for):
    people = {}
    for name, risk, clv in (("Keep", 0.9, 900.0), ("Cheap", 0.9, 10.0), ("Loyal", 0.1, 950.0),
                            ("Mid", 0.7, 500.0), ("Low", 0.2, 20.0)):  # fmt: skip
        people[name] = make_contact(by=users.admin, full_name=name, emails=[f"{name}@example.com"])
        grant(people[name])
        score(people[name], churn_risk=risk, clv=clv, segment="At risk")
    campaign = winback_campaign_create(by=users.admin)
    assert (campaign.status, campaign.holdout_percent, campaign.attribution_days) == (
        "draft",
        20,
        30,
    )
    audience = set(campaigns.campaign_audience(campaign).values_list("full_name", flat=True))
    assert audience == {"Keep"}  # CLV threshold: the top quarter of five scores (900)
    again = winback_campaign_create(by=users.admin)  # the template is made once
    assert again.variants.get().template_id == campaign.variants.get().template_id
    response = api_for(users.manager).post("/api/v1/campaigns/winback")
    assert response.status_code == 201 and response.json()["name"] == "Win-back"
    assert api_for(users.rep_a).post("/api/v1/campaigns/winback").status_code == 201
