"""Contacts-list filters on scores (CLV, churn risk, segment), registered by insights with the
customers app's extension point and passed through by the web list and the API list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kith.core.errors import FieldError
from kith.customers import selectors as customer_selectors
from kith.customers.selectors import ContactFilters, contacts_list
from kith.insights.models import CustomerScore
from tests.factories import make_contact


def score(contact, *, clv=None, churn_risk=None, segment=""):
    # Test rows standing in for a run's output: the filters only read these columns.
    return CustomerScore.objects.create(
        contact=contact, clv=clv, churn_risk=churn_risk, segment=segment, scored_at=timezone.now()
    )


@pytest.fixture
def scored(users):
    rich_risky = make_contact(by=users.rep_a, full_name="Rich Risky")
    rich_safe = make_contact(by=users.rep_a, full_name="Rich Safe")
    poor_risky = make_contact(by=users.rep_a, full_name="Poor Risky")
    unscored = make_contact(by=users.rep_a, full_name="Never Bought")
    other_team = make_contact(by=users.rep_b, full_name="Other Team Rich Risky")
    score(rich_risky, clv=900.0, churn_risk=0.8, segment="at_risk")
    score(rich_safe, clv=700.0, churn_risk=0.1, segment="champions")
    score(poor_risky, clv=50.0, churn_risk=0.9, segment="lost")
    score(unscored)
    score(other_team, clv=1000.0, churn_risk=0.95, segment="at_risk")
    return {"rich_risky": rich_risky, "rich_safe": rich_safe, "poor_risky": poor_risky}


def names(page):
    return sorted(c.full_name for c in page.items)


def test_clv_and_churn_risk_combine(users, scored):
    page = contacts_list(
        user=users.rep_a, filters=ContactFilters(extra={"clv_min": "500", "churn_risk_min": "0.6"})
    )
    assert names(page) == ["Rich Risky"]


def test_max_bounds_and_segment(users, scored):
    page = contacts_list(user=users.rep_a, filters=ContactFilters(extra={"clv_max": "100"}))
    assert names(page) == ["Poor Risky"]
    page = contacts_list(user=users.rep_a, filters=ContactFilters(extra={"churn_risk_max": "0.5"}))
    assert names(page) == ["Rich Safe"]
    page = contacts_list(user=users.admin, filters=ContactFilters(extra={"segment": "at_risk"}))
    assert names(page) == ["Other Team Rich Risky", "Rich Risky"]
    page = contacts_list(user=users.rep_a, filters=ContactFilters(extra={"segment": "none"}))
    assert names(page) == ["Never Bought"]


def test_bad_values_and_unknown_filters_name_the_field(users, scored):
    with pytest.raises(FieldError) as error:
        contacts_list(user=users.rep_a, filters=ContactFilters(extra={"clv_min": "lots"}))
    assert "clv_min" in error.value.errors
    with pytest.raises(FieldError) as error:
        contacts_list(user=users.rep_a, filters=ContactFilters(extra={"segment": "vip"}))
    assert "segment" in error.value.errors
    with pytest.raises(FieldError) as error:
        contacts_list(user=users.rep_a, filters=ContactFilters(extra={"shoe_size": "42"}))
    assert "shoe_size" in error.value.errors


def test_registered_filters_are_listed_for_the_forms():
    assert [f.name for f in customer_selectors.contact_filters_extra()] == [
        "clv_min",
        "clv_max",
        "churn_risk_min",
        "churn_risk_max",
        "segment",
    ]


def test_filter_is_one_subquery_on_the_score_index(users, scored):
    with CaptureQueriesContext(connection) as captured:
        contacts_list(
            user=users.rep_a,
            filters=ContactFilters(extra={"clv_min": "500", "churn_risk_min": "0.6"}),
        )
    rows_query = next(
        q["sql"] for q in captured.captured_queries if "insights_customerscore" in q["sql"]
    )
    assert rows_query.count("insights_customerscore") == 2


def test_web_list_passes_the_filters_through(web_for, users, scored):
    client = web_for(users.rep_a)
    response = client.get(reverse("contact-list"), {"clv_min": "500", "churn_risk_min": "0.6"})
    assert response.status_code == 200
    assert [c.full_name for c in response.context["contacts"]] == ["Rich Risky"]
    assert 'name="clv_min"' in response.content.decode()
    # A bad value is dropped (a stale link still works), as for the other list filters.
    response = client.get(reverse("contact-list"), {"clv_min": "lots"})
    assert len(response.context["contacts"]) == 4


def test_web_list_query_count_holds_with_score_filters(web_for, users, scored):
    client = web_for(users.rep_a)
    client.get(reverse("contact-list"))
    with CaptureQueriesContext(connection) as plain:
        client.get(reverse("contact-list"))
    with CaptureQueriesContext(connection) as filtered:
        client.get(reverse("contact-list"), {"clv_min": "500", "segment": "at_risk"})
    assert len(filtered.captured_queries) == len(plain.captured_queries)


def test_api_list_passes_the_filters_through(api_for, users, scored):
    client = api_for(users.rep_a)
    response = client.get("/api/v1/contacts", {"clv_min": 500, "churn_risk_min": 0.6})
    assert response.status_code == 200, response.content
    assert [c["full_name"] for c in response.json()["items"]] == ["Rich Risky"]
    response = client.get("/api/v1/contacts", {"segment": "at_risk"})
    assert [c["full_name"] for c in response.json()["items"]] == ["Rich Risky"]
    assert client.get("/api/v1/contacts", {"churn_risk_min": 2}).status_code == 422
    response = client.get("/api/v1/contacts", {"segment": "vip"})
    assert response.status_code == 422
    assert "segment" in str(response.json())
