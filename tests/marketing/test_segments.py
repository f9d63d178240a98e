"""Segments: the rule tree compiles to one query over contacts, counts respect the user's
scope, static lists come from a selection or a file of emails, and the daily refresh keeps
members, sizes and segment.entered/left events."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.core.errors import FieldError
from kith.core.models import DomainEvent
from kith.customers.models import Contact
from kith.marketing import selectors
from kith.marketing.models import SegmentMember, SegmentSize
from kith.marketing.rules import rules_compile
from kith.marketing.services import segments
from tests.factories import make_contact
from tests.marketing.factories import buy, grant, make_segment, score
from tests.service.factories import make_desk, make_ticket


def _names(rules, user) -> set[str]:
    return set(
        Contact.objects.filter(rules_compile(rules))
        .filter(pk__in=Contact.objects.all())
        .values_list("full_name", flat=True)
    )


@pytest.fixture
def people(users):
    from kith.customers.services.custom_fields import custom_field_create

    custom_field_create(by=users.admin, model="customers.contact", key="plan", label="Plan")
    custom_field_create(
        by=users.admin, model="customers.contact", key="seats", label="Seats", kind="number"
    )
    a = make_contact(
        by=users.rep_a,
        full_name="An Customer",
        lifecycle_stage="customer",
        tags=["vip"],
        custom={"plan": "gold", "seats": 12},
        addresses=[{"line1": "1 Lê Lợi", "city": "Hà Nội", "country": "VN"}],
    )
    b = make_contact(
        by=users.rep_a,
        full_name="Bo Lead",
        lifecycle_stage="lead",
        custom={"plan": "free"},
        addresses=[{"line1": "2 Nanjing Rd", "city": "Shanghai", "country": "CN"}],
    )
    c = make_contact(by=users.rep_b, full_name="Cy Other", lifecycle_stage="customer")
    return a, b, c


def test_fields_tags_custom_country_language(users, people) -> None:
    _a, _b, _c = people
    u = users.admin
    assert _names({"field": "lifecycle_stage", "op": "eq", "value": "customer"}, u) == {
        "An Customer", "Cy Other",
    }  # fmt: skip
    assert _names({"field": "tag", "op": "has", "value": "vip"}, u) == {"An Customer"}
    assert _names({"field": "custom.plan", "op": "in", "value": ["gold", "free"]}, u) == {
        "An Customer", "Bo Lead",
    }  # fmt: skip
    assert _names({"field": "custom.seats", "op": "gte", "value": 10}, u) == {"An Customer"}
    assert _names({"field": "country", "op": "eq", "value": "cn"}, u) == {"Bo Lead"}
    assert _names({"field": "language", "op": "eq", "value": "vi"}, u) == {"An Customer"}
    assert _names({"field": "language", "op": "eq", "value": "en"}, u) == {"Cy Other"}
    tree = {
        "match": "any",
        "rules": [
            {"field": "tag", "op": "has", "value": "vip"},
            {"match": "all", "rules": [
                {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                {"field": "tag", "op": "has_not", "value": "vip"},
            ]},
        ],
    }  # fmt: skip
    assert _names(tree, u) == {"An Customer", "Cy Other"}


def test_consent_in_force_is_the_newest(users, people) -> None:
    a, b, _c = people
    grant(a)
    grant(b)
    grant(b, status="withdrawn")
    rule = {"field": "consent", "op": "granted", "channel": "email", "purpose": "marketing"}
    assert _names(rule, users.admin) == {"An Customer"}
    assert _names({**rule, "op": "not_granted"}, users.admin) == {"Bo Lead", "Cy Other"}


def test_orders_tickets_and_scores(users, people) -> None:
    a, b, _c = people
    buy(by=users.admin, contact=a, price_minor=12000, days_ago=5)
    buy(by=users.admin, contact=a, price_minor=3000, days_ago=200)
    buy(by=users.admin, contact=b, price_minor=1000, days_ago=400)
    score(a, segment="Champions", clv=900.0, churn_risk=0.1, p_alive=0.95)
    score(b, segment="At risk", clv=80.0, churn_risk=0.8, p_alive=0.3)
    u = users.admin
    assert _names({"field": "order_count", "op": "gte", "value": 2}, u) == {"An Customer"}
    assert _names({"field": "order_count", "op": "eq", "value": 0}, u) == {"Cy Other"}
    assert _names({"field": "order_total", "op": "gt", "value": 100}, u) == {"An Customer"}
    assert _names({"field": "last_purchase_days", "op": "lte", "value": 30}, u) == {"An Customer"}
    assert _names({"field": "last_purchase_days", "op": "gt", "value": 365}, u) == {
        "Bo Lead", "Cy Other",
    }  # fmt: skip
    assert _names({"field": "clv", "op": "gte", "value": 500}, u) == {"An Customer"}
    assert _names({"field": "churn_risk", "op": "gt", "value": 0.5}, u) == {"Bo Lead"}
    assert _names({"field": "rfm_segment", "op": "eq", "value": "Champions"}, u) == {"An Customer"}
    # An unscored contact is neither above nor below a score threshold.
    assert _names({"field": "clv", "op": "lt", "value": 10_000}, u) == {"An Customer", "Bo Lead"}


def test_ticket_counts(users, people) -> None:
    _a, _b, c = people
    make_desk(by=users.admin)
    make_ticket(by=users.admin, contact_id=c.pk)
    make_ticket(by=users.admin, contact_id=c.pk)
    assert _names({"field": "ticket_count", "op": "gte", "value": 2}, users.admin) == {"Cy Other"}
    assert _names({"field": "open_ticket_count", "op": "eq", "value": 0}, users.admin) == {
        "An Customer", "Bo Lead",
    }  # fmt: skip


def test_whole_tree_is_one_query(users, people) -> None:
    tree = {"match": "all", "rules": [
        {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
        {"field": "order_count", "op": "gte", "value": 1},
        {"field": "clv", "op": "gt", "value": 1},
        {"field": "consent", "op": "granted", "channel": "email"},
        {"field": "tag", "op": "has", "value": "vip"},
    ]}  # fmt: skip
    selectors.rules_count(user=users.admin, rules={})  # warm the grants cache
    with CaptureQueriesContext(connection) as queries:
        selectors.rules_count(user=users.admin, rules=tree)
    assert len(queries) == 1


def test_bad_rules_name_the_node(users) -> None:
    with pytest.raises(FieldError) as bad:
        rules_compile({"match": "all", "rules": [{"field": "nope", "op": "eq", "value": 1}]})
    assert list(bad.value.errors) == ["rules.rules[0]"]
    with pytest.raises(FieldError) as bad:
        rules_compile({"field": "clv", "op": "gt", "value": "lots"})
    assert "rules" in bad.value.errors
    with pytest.raises(FieldError):
        rules_compile({"field": "custom.x'); drop", "op": "eq", "value": 1})
    with pytest.raises(FieldError):
        segments.segment_create(by=users.admin, name="x", rules={"field": "title", "op": "zz"})


def test_rep_counts_only_their_contacts(users, people) -> None:
    rule = {"field": "lifecycle_stage", "op": "eq", "value": "customer"}
    assert selectors.rules_count(user=users.admin, rules=rule) == 2
    assert selectors.rules_count(user=users.rep_a, rules=rule) == 1
    assert selectors.rules_count(user=users.rep_b, rules=rule) == 1
    segment = make_segment(by=users.manager, rules=rule)
    assert selectors.segment_count(user=users.rep_b, segment=segment) == 1


def test_static_list_from_selection_and_emails(users) -> None:
    a = make_contact(by=users.rep_a, full_name="A", emails=["a@example.com"])
    b = make_contact(by=users.rep_a, full_name="B", emails=["B@Example.com"])
    other = make_contact(by=users.rep_b, full_name="Other", emails=["o@example.com"])
    static = make_segment(by=users.rep_a, kind="static", name="Fair visitors")
    assert (
        segments.segment_members_add(
            by=users.rep_a, segment_id=static.pk, contact_ids=[a.pk, other.pk]
        )
        == 1
    )
    result = segments.segment_emails_add(
        by=users.rep_a, segment_id=static.pk,
        text="email\nb@example.com\na@example.com; o@example.com, nobody@example.com",
    )  # fmt: skip
    assert result == {"found": 4, "added": 1, "unknown": 2}
    assert set(
        SegmentMember.objects.filter(segment=static).values_list("contact_id", flat=True)
    ) == {a.pk, b.pk}
    static.refresh_from_db()
    assert static.size == 2
    entered = DomainEvent.objects.filter(name="segment.entered", payload={"segment_id": static.pk})
    assert sorted(entered.values_list("object_id", flat=True)) == sorted([a.pk, b.pk])


def test_daily_refresh_diffs_members_and_records_size(users, people) -> None:
    a, b, _c = people
    segment = make_segment(by=users.admin, rules={"field": "tag", "op": "has", "value": "vip"})
    assert segments.segment_refresh(segment=segment) == {"size": 1, "entered": 1, "left": 0}
    from kith.customers.services import contact_update

    contact_update(by=users.admin, contact_id=b.pk, tags=["vip"], version=b.version)
    a.refresh_from_db()
    contact_update(by=users.admin, contact_id=a.pk, tags=[], version=a.version)
    assert segments.segment_refresh(segment=segment) == {"size": 1, "entered": 1, "left": 1}
    left = DomainEvent.objects.get(name="segment.left")
    assert (left.model, left.object_id, left.payload) == (
        "customers.contact",
        a.pk,
        {"segment_id": segment.pk},
    )
    assert "full_name" not in str(left.payload)
    assert list(
        SegmentMember.objects.filter(segment=segment).values_list("contact_id", flat=True)
    ) == [b.pk]
    size = SegmentSize.objects.get(segment=segment)
    assert (size.size, size.entered, size.left) == (1, 1, 1)
    assert segments.segments_refresh() == 1


def test_segment_list_queries(users, django_assert_max_num_queries) -> None:
    for n in range(5):
        make_segment(
            by=users.rep_a, name=f"S{n}", rules={"field": "tag", "op": "has", "value": "x"}
        )
    make_segment(by=users.rep_b, name="Theirs")
    with django_assert_max_num_queries(2):
        page = selectors.segments_list(user=users.rep_a, limit=3)
        names = [s.name for s in page.items] + [s.owner.username for s in page.items]
    assert names[:3] == ["S0", "S1", "S2"]
    assert page.next_cursor


def test_live_count_is_estimated_from_an_id_sample_above_the_threshold(users, monkeypatch):
    from tests.marketing.conftest import bulk_contacts

    bulk_contacts(users.admin, 300)
    bulk_contacts(users.rep_a, 100, prefix="r")
    monkeypatch.setattr(selectors, "SAMPLE_IDS", 100)
    monkeypatch.setattr(selectors, "SAMPLE_STRIPES", 5)
    live = selectors.rules_live_count(user=users.admin, rules={})
    total = selectors.rules_count(user=users.admin, rules={})
    assert live.estimated and live.margin > 0 and 0 < live.sampled_share < 1
    assert abs(live.count - total) <= live.margin  # every id in the span is a contact here
    exact = selectors.rules_live_count(user=users.admin, rules={}, exact=True)
    assert (exact.count, exact.estimated) == (total, False)
    rep = selectors.rules_live_count(user=users.rep_a, rules={})
    assert rep.estimated and abs(rep.count - 100) <= rep.margin  # only what the rep sees
