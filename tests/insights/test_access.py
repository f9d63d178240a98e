"""Every door (selectors, web dashboard and panel, API) shows a rep only the scores of the
contacts they may see; the dashboard and the panel cost a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kith.customers.models import Contact
from kith.identity.models import User
from kith.insights import selectors
from kith.insights.models import CustomerScore
from tests.insights.conftest import demo_module_fixture

demo_small = demo_module_fixture()


@pytest.fixture
def demo(demo_small, db):
    return demo_small


def user(name: str) -> User:
    return User.objects.get(username=name)


def own_and_other(rep: User) -> tuple[Contact, Contact]:
    """A scored buyer in the rep's team and one in another team."""
    scored = CustomerScore.objects.exclude(segment="").values("contact_id")
    own = Contact.objects.filter(team_id=rep.team_id, pk__in=scored).order_by("pk").first()
    other = (
        Contact.objects.exclude(team_id=rep.team_id).filter(pk__in=scored).order_by("pk").first()
    )
    return own, other


def test_segment_counts_cover_only_visible_contacts(demo):
    lan, admin = user("lan"), user("admin")
    everyone = selectors.segment_summary(user=admin)
    team = selectors.segment_summary(user=lan)
    assert everyone.customers + everyone.no_purchases == 2000
    team_contacts = Contact.objects.filter(team_id=lan.team_id).count()
    assert team.customers + team.no_purchases == team_contacts < 2000
    assert sum(r.revenue_share for r in team.rows) == pytest.approx(1.0, abs=0.01)


def test_churn_list_and_histogram_only_visible(demo):
    lan = user("lan")
    page = selectors.churn_risk_list(user=lan, limit=200)
    assert page.items
    assert {s.contact.team_id for s in page.items} == {lan.team_id}
    risks = [s.churn_risk for s in page.items]
    assert risks == sorted(risks, reverse=True)
    second = selectors.churn_risk_list(user=lan, cursor=page.next_cursor, limit=200)
    assert not {s.contact_id for s in second.items} & {s.contact_id for s in page.items}
    visible_clv = CustomerScore.objects.filter(
        contact__team_id=lan.team_id, clv__isnull=False
    ).count()
    assert selectors.clv_histogram(user=lan).customers == visible_clv
    assert sum(selectors.clv_histogram(user=lan).counts) == visible_clv


def test_web_panel_shows_own_scores_and_404s_others(demo, web_for):
    lan = user("lan")
    own, other = own_and_other(lan)
    client = web_for(lan)
    response = client.get(reverse("contact-insights-panel", args=[own.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    score = CustomerScore.objects.get(contact=own)
    assert f'data-segment="{score.segment}"' in body
    assert "data-churn-risk" in body and "data-recommendations" in body
    assert client.get(reverse("contact-insights-panel", args=[other.pk])).status_code == 404


def test_contact_page_loads_the_scores_panel(demo, web_for):
    lan = user("lan")
    own, _other = own_and_other(lan)
    body = web_for(lan).get(reverse("contact-detail", args=[own.pk])).content.decode()
    assert reverse("contact-insights-panel", args=[own.pk]) in body


def test_web_dashboard_counts_only_visible(demo, web_for):
    lan = user("lan")
    response = web_for(lan).get(reverse("insights-dashboard"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (
        summary.customers + summary.no_purchases
        == Contact.objects.filter(team_id=lan.team_id).count()
    )
    _own, other = own_and_other(lan)
    assert reverse("contact-detail", args=[other.pk]) + '"' not in response.content.decode()
    for row in response.context["winback_rows"]:
        assert row["score"].contact.team_id == lan.team_id


def test_api_doors(demo, api_for):
    lan = user("lan")
    own, other = own_and_other(lan)
    client = api_for(lan)
    response = client.get(f"/api/v1/contacts/{own.pk}/scores")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["segment"] == CustomerScore.objects.get(contact=own).segment
    stored = CustomerScore.objects.get(contact=own).churn_drivers
    assert len(data["churn_drivers"]) == len(stored) >= 1 and data["churn_drivers"][0]["text"]
    assert client.get(f"/api/v1/contacts/{other.pk}/scores").status_code == 404
    segments = client.get("/api/v1/insights/segments").json()
    assert (
        segments["customers"] + segments["no_purchases"]
        == Contact.objects.filter(team_id=lan.team_id).count()
    )
    page = client.get("/api/v1/insights/churn-risk", {"limit": 50}).json()
    ids = [item["contact_id"] for item in page["items"]]
    assert len(ids) == 50
    assert set(Contact.objects.filter(pk__in=ids).values_list("team_id", flat=True)) == {
        lan.team_id
    }
    more = client.get("/api/v1/insights/churn-risk", {"limit": 50, "cursor": page["next_cursor"]})
    assert not set(ids) & {item["contact_id"] for item in more.json()["items"]}
    run = client.get("/api/v1/insights/runs/latest").json()
    # Counted over lan's team only (the company-wide count is not a rep's to see).
    assert run["status"] == "succeeded"
    assert (
        run["customers_scored"]
        == CustomerScore.objects.filter(contact__team_id=lan.team_id).count()
    )
    assert "auc" in run["metrics"]["churn"]


def test_api_kpis_cover_only_visible(demo, api_for):
    lan, admin = user("lan"), user("admin")
    params = {"start": "2025-01-01", "end": "2025-12-31"}
    team = api_for(lan).get("/api/v1/insights/kpis", params)
    everyone = api_for(admin).get("/api/v1/insights/kpis", params)
    assert team.status_code == everyone.status_code == 200, team.content
    assert team.json()["rows"] and everyone.json()["rows"]
    revenue_key = "revenue"
    team_revenue = sum(r[revenue_key] or 0 for r in team.json()["rows"])
    all_revenue = sum(r[revenue_key] or 0 for r in everyone.json()["rows"])
    assert 0 < team_revenue < all_revenue


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_dashboard_and_panel_query_counts_are_fixed(demo, web_for, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    lan, wei = user("lan"), user("wei")
    own, _other = own_and_other(lan)
    lan_client, wei_client = web_for(lan), web_for(wei)
    lan_client.get(reverse("insights-dashboard"))
    wei_client.get(reverse("insights-dashboard"))
    # Two teams with different numbers of customers, orders and scores: the same queries.
    assert (
        Contact.objects.filter(team_id=lan.team_id).count()
        != Contact.objects.filter(team_id=wei.team_id).count()
    )
    dashboard = queries(lan_client, reverse("insights-dashboard"))
    assert dashboard == queries(wei_client, reverse("insights-dashboard"))
    # 20, and 4 for the run's counts over the rep's own contacts (scored, contacts, buyers,
    # orders: the company-wide ones are not a rep's to see).
    assert dashboard <= 24
    second_page = selectors.churn_risk_list(user=lan, limit=20).next_cursor
    assert queries(lan_client, reverse("insights-winback") + f"?cursor={second_page}") <= 8
    assert queries(lan_client, reverse("contact-insights-panel", args=[own.pk])) <= 6
