"""Marketing pages: segment editor with the live count, segment and campaign pages, recipients
paginated with a fixed number of queries, the scope gate on every page."""

from __future__ import annotations

import json

from kith.marketing.models import Campaign, Segment
from kith.marketing.services import campaigns
from kith.marketing.services.delivery import campaign_send
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import grant, make_segment


def test_segment_editor_live_count_and_save(web_for, users, records):
    grant(records.contact_a)
    web = web_for(users.rep_a)
    assert web.get("/segments/new/").status_code == 200
    rules = json.dumps({"field": "consent", "op": "granted", "channel": "email"})
    count = web.post("/segments/count/", {"rules": rules}, headers={"HX-Request": "true"})
    assert "<strong data-count>1</strong>" in count.content.decode()
    bad = web.post("/segments/count/", {"rules": "{nope"})
    assert "data-count-error" in bad.content.decode()
    saved = web.post("/segments/new/", {"name": "Opted in", "kind": "dynamic", "rules": rules})
    assert saved.status_code == 302
    segment = Segment.objects.get(name="Opted in")
    page = web.get(f"/segments/{segment.pk}/").content.decode()
    assert "王伟明" in page and "<strong data-count>1</strong>" in page
    assert web_for(users.rep_b).get(f"/segments/{segment.pk}/").status_code == 404
    invalid = web.post(
        "/segments/new/", {"name": "X", "kind": "dynamic", "rules": '{"field": "zz"}'}
    )
    assert invalid.status_code == 422


def test_static_list_from_uploaded_file(web_for, users, records):
    from django.core.files.uploadedfile import SimpleUploadedFile

    web = web_for(users.rep_a)
    upload = SimpleUploadedFile("list.csv", b"email\nwang.weiming@example.cn\nnobody@example.com\n")
    saved = web.post("/segments/new/", {"name": "Fair", "kind": "static", "emails_file": upload})
    assert saved.status_code == 302
    segment = Segment.objects.get(name="Fair")
    assert segment.size == 1


def test_campaign_pages_and_scope(web_for, users, template, smtp, django_assert_max_num_queries):
    bulk_contacts(users.rep_a, 30)
    segment = make_segment(by=users.rep_a, rules={})
    web = web_for(users.rep_a)
    assert web.get("/campaigns/new/").status_code == 200
    created = web.post("/campaigns/new/", {
        "name": "Tet", "template_ids": [template.pk], "segment_ids": [segment.pk], "purpose": "marketing", "channel": "email",
        "holdout_percent": 20, "test_percent": 100, "rate_per_minute": 6000, "attribution_days": 7,
    })  # fmt: skip
    assert created.status_code == 302, created.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Tet")
    assert web.post(f"/campaigns/{campaign.pk}/start/").status_code == 302
    campaign_send(campaign=campaign)
    detail = web.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "data-funnel" in detail and "campaign-chart-data" in detail
    assert "No measurable effect" in detail
    web.get(f"/campaigns/{campaign.pk}/recipients/")
    with django_assert_max_num_queries(12):
        small = web.get(f"/campaigns/{campaign.pk}/recipients/", headers={"HX-Request": "true"})
    assert small.content.decode().count("data-row") == 30
    with django_assert_max_num_queries(12):
        listing = web.get("/campaigns/")
    assert "Tet" in listing.content.decode()
    other = web_for(users.rep_b)
    assert other.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert other.get(f"/campaigns/{campaign.pk}/recipients/").status_code == 404
    assert other.post(f"/campaigns/{campaign.pk}/cancel/").status_code == 404
    assert "Tet" not in other.get("/campaigns/").content.decode()
    assert campaigns


def test_winback_button_makes_a_draft(web_for, users):
    response = web_for(users.manager).post("/campaigns/winback/")
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Win-back")
    assert response["Location"] == f"/campaigns/{campaign.pk}/" and campaign.status == "draft"
