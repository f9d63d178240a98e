"""API v1 of loyalty: setup, enrolment, ledger pages, redemption, vouchers, dashboard, the
gate (a rep sees only their team's members) and query counts of the lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kith.loyalty import services
from kith.loyalty.models import Membership
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def scheme(users):
    return make_programme(by=users.admin)


def test_setup_and_a_member_s_life_through_the_api(users, records, api_for):
    api = api_for(users.admin)
    made = api.post("/api/v1/loyalty/programmes", {"name": "Club", "currency": "vnd",
                    "currency_digits": 0, "points_per_unit": 1}, content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    pid = made.json()["id"]
    assert made.json()["currency"] == "VND"
    bad = api.post(f"/api/v1/loyalty/programmes/{pid}/tiers", {"name": "", "position": 0,
                   "threshold": 0}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "name" in bad.json()["errors"]
    tier = api.post(f"/api/v1/loyalty/programmes/{pid}/tiers", {"name": "Member", "position": 0,
                    "threshold": 0}, content_type="application/json")  # fmt: skip
    assert tier.status_code == 201
    reward = api.post(f"/api/v1/loyalty/programmes/{pid}/rewards", {"name": "Trà miễn phí",
                      "kind": "voucher", "cost_points": 50000, "value_minor": 50000},
                      content_type="application/json")  # fmt: skip
    assert reward.status_code == 201
    member = api.post("/api/v1/loyalty/members", {"programme_id": pid,
                      "contact_id": records.contact_a.pk, "language": "vi"},
                      content_type="application/json")  # fmt: skip
    assert member.status_code == 201
    mid = member.json()["id"]
    assert member.json()["tier_name"] == "Member"
    services.order_points_earn(
        order_fact(order_id=9, contact_id=records.contact_a.pk, total_minor=80000, at=T0,
                   currency="VND")
    )  # fmt: skip
    card = api.get(f"/api/v1/loyalty/members/{mid}").json()
    assert card["membership"]["balance"] == 80000
    assert card["member_url"].startswith("http://") and "/m/" in card["member_url"]
    redeemed = api.post(f"/api/v1/loyalty/members/{mid}/redemptions",
                        {"reward_id": reward.json()["id"]}, content_type="application/json")  # fmt: skip
    assert redeemed.status_code == 201
    code = redeemed.json()["code"]
    again = api.post(f"/api/v1/loyalty/members/{mid}/redemptions",
                     {"reward_id": reward.json()["id"]}, content_type="application/json")  # fmt: skip
    assert again.status_code == 422 and "points" in again.json()["errors"]
    used = api.post("/api/v1/loyalty/vouchers/use", {"code": code}, content_type="application/json")
    assert used.status_code == 200 and used.json()["status"] == "used"
    adjusted = api.post(f"/api/v1/loyalty/members/{mid}/adjustments",
                        {"points": -100, "reason": "Correction"}, content_type="application/json")  # fmt: skip
    assert adjusted.status_code == 201 and adjusted.json()["points"] == -100
    entries = api.get(f"/api/v1/loyalty/members/{mid}/entries?limit=2").json()
    assert [e["source"] for e in entries["items"]] == ["adjustment", "redemption"]
    rest = api.get(f"/api/v1/loyalty/members/{mid}/entries?limit=2&cursor={entries['next_cursor']}")
    assert [e["source"] for e in rest.json()["items"]] == ["order"]
    board = api.get(f"/api/v1/loyalty/programmes/{pid}/dashboard").json()
    assert (board["issued"], board["redeemed"], board["outstanding"]) == (80000, 50000, 29900)
    assert board["redemption_rate"] == pytest.approx(0.625)


def test_a_rep_sees_and_changes_only_their_team_s_members(users, records, scheme, api_for):
    mine = services.membership_enrol(by=users.admin, programme_id=scheme.programme.pk,
                                     contact_id=records.contact_a.pk)  # fmt: skip
    theirs = services.membership_enrol(by=users.admin, programme_id=scheme.programme.pk,
                                       contact_id=records.contact_b.pk)  # fmt: skip
    api = api_for(users.rep_a)
    listed = api.get("/api/v1/loyalty/members").json()["items"]
    assert [m["id"] for m in listed] == [mine.pk]
    assert api.get(f"/api/v1/loyalty/members/{theirs.pk}").status_code == 404
    hidden = api.post(f"/api/v1/loyalty/members/{theirs.pk}/adjustments",
                      {"points": 5, "reason": "x"}, content_type="application/json")  # fmt: skip
    assert hidden.status_code == 404
    assert Membership.objects.get(pk=theirs.pk).balance == 0
    # Setting programmes up is for managers: a rep reads them but may not add a reward.
    assert api.get("/api/v1/loyalty/programmes").status_code == 200
    refused = api.post(f"/api/v1/loyalty/programmes/{scheme.programme.pk}/rewards",
                       {"name": "Free", "kind": "voucher", "cost_points": 1, "value_minor": 1},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    assert (
        api.get("/api/v1/loyalty/members", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )


def test_member_and_ledger_lists_cost_the_same_whatever_their_size(
    users, records, scheme, api_for, django_assert_max_num_queries
):
    api = api_for(users.admin)
    for i in range(6):
        contact = make_contact(by=users.rep_a, full_name=f"Member {i}")
        services.order_points_earn(order_fact(order_id=100 + i, contact_id=contact.pk,
                                              total_minor=1000 * (i + 1), at=T0))  # fmt: skip
    member = Membership.objects.order_by("pk").first()
    for i in range(5):
        services.points_adjust(by=users.admin, membership_id=member.pk, points=i + 1, reason="r")
    with django_assert_max_num_queries(8):
        page = api.get("/api/v1/loyalty/members?limit=3")
    assert len(page.json()["items"]) == 3
    with django_assert_max_num_queries(8):
        entries = api.get(f"/api/v1/loyalty/members/{member.pk}/entries")
    assert len(entries.json()["items"]) == 6
    with django_assert_max_num_queries(10):
        assert (
            api.get(f"/api/v1/loyalty/programmes/{scheme.programme.pk}/advocates").status_code
            == 200
        )
