"""API v1 of marketing: segments with a live count, templates, campaigns with actions, the
report, recipients; the scope gate and the query counts of the lists."""

from __future__ import annotations

import json

from kith.marketing.models import CampaignRecipient
from tests.factories import make_contact
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import grant, make_segment


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_segment_crud_and_live_count(api_for, users, records):
    grant(records.contact_a)
    api = api_for(users.rep_a)
    rules = {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"}
    assert _post(api, "/api/v1/segments/count", {"rules": rules}).json() == {
        "count": 1,
        "estimated": False,
        "margin": 0,
    }
    bad = _post(api, "/api/v1/segments/count", {"rules": {"field": "nope", "op": "eq"}})
    assert bad.status_code == 422 and "rules" in json.dumps(bad.json())
    created = _post(api, "/api/v1/segments", {"name": "Opted in", "rules": rules})
    assert created.status_code == 201
    segment = created.json()
    patched = api.patch(
        f"/api/v1/segments/{segment['id']}",
        json.dumps({"version": segment["version"], "name": "Opted-in customers"}),
        content_type="application/json",
    )
    assert patched.json()["name"] == "Opted-in customers"
    members = api.get(f"/api/v1/segments/{segment['id']}/members").json()
    assert [m["full_name"] for m in members["items"]] == ["王伟明"]
    # rep_b does not see rep_a's segment
    other = api_for(users.rep_b)
    assert other.get(f"/api/v1/segments/{segment['id']}").status_code == 404
    assert other.get("/api/v1/segments").json()["items"] == []


def test_static_list_by_email(api_for, users, records):
    api = api_for(users.rep_a)
    segment = _post(api, "/api/v1/segments", {"name": "Fair", "kind": "static"}).json()
    added = _post(api, f"/api/v1/segments/{segment['id']}/members",
                  {"emails": "wang.weiming@example.cn\nbinh.tran@example.vn"})  # fmt: skip
    assert added.json() == {"added": 1, "found": 2, "unknown": 1}  # rep_a does not see binh


def test_campaign_flow_report_and_scope(
    api_for, users, template, smtp, django_assert_max_num_queries
):
    bulk_contacts(users.rep_a, 40)
    api = api_for(users.rep_a)
    segment = make_segment(by=users.rep_a, rules={})
    body = {
        "name": "Tet",
        "template_ids": [template.pk],
        "segment_ids": [segment.pk],
        "holdout_percent": 25,
    }
    campaign = _post(api, "/api/v1/campaigns", body).json()
    started = _post(api, f"/api/v1/campaigns/{campaign['id']}/start", {})
    assert started.json()["status"] == "sending"
    assert _post(api, f"/api/v1/campaigns/{campaign['id']}/nope", {}).status_code == 404
    from kith.marketing.models import Campaign
    from kith.marketing.services.delivery import campaign_send

    campaign_send(campaign=Campaign.objects.get(pk=campaign["id"]))
    resp = api.get(f"/api/v1/campaigns/{campaign['id']}/report")
    assert resp.status_code == 200, resp.content.decode()[:3000]
    report = resp.json()
    groups = {row["group"]: row for row in report["funnel"]}
    assert groups["A"]["sent"] == len(smtp.messages) and groups["holdout"]["sent"] == 0
    assert groups["A"]["audience"] + groups["holdout"]["audience"] == 40
    assert report["conversion_lift"]["verdict"] == "no_effect"
    url = f"/api/v1/campaigns/{campaign['id']}/recipients?limit=5"
    api.get(url)
    with django_assert_max_num_queries(6):
        page = api.get(url).json()
    with django_assert_max_num_queries(6):
        api.get(url.replace("limit=5", "limit=40"))
    assert len(page["items"]) == 5 and page["next_cursor"]
    held = api.get(f"/api/v1/campaigns/{campaign['id']}/recipients?state=held_out&limit=200").json()
    assert (
        len(held["items"])
        == CampaignRecipient.objects.filter(campaign_id=campaign["id"], is_holdout=True).count()
    )
    other = api_for(users.rep_b)
    assert other.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404
    assert other.get(f"/api/v1/campaigns/{campaign['id']}/recipients").status_code == 404
    assert _post(other, f"/api/v1/campaigns/{campaign['id']}/pause", {}).status_code == 404
    assert other.get("/api/v1/campaigns").json()["items"] == []


def test_templates_and_preview(api_for, users, records):
    api = api_for(users.rep_a)
    made = _post(api, "/api/v1/email-templates", {"name": "Hi", "versions": {
        "en": {"subject": "Hi {{ first_name }}", "text": "Hello {{ company }}"},
    }})  # fmt: skip
    assert made.status_code == 201 and made.json()["languages"] == ["en"]
    preview = api.get(
        f"/api/v1/email-templates/{made.json()['id']}/preview?contact_id={records.contact_a.pk}"
    )
    assert (
        preview.json()["subject"] == "Hi 伟明" and preview.json()["text"] == "Hello Hoa Sen Trading"
    )
    bad = _post(
        api,
        "/api/v1/email-templates",
        {"name": "Bad", "versions": {"en": {"subject": "x", "text": "{% if %}"}}},
    )
    assert bad.status_code == 422
    assert make_contact
