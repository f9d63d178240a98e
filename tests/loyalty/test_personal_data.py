"""Loyalty's part of a contact's personal data: export and erase."""

from __future__ import annotations

from datetime import UTC, datetime

from kith.core.doors import personal_data_handlers
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry, Redemption
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact


def test_export_and_erase(users, records):
    handler = personal_data_handlers()["kith.loyalty.personal_data"]
    scheme = make_programme(by=users.admin)
    services.order_points_earn(order_fact(order_id=1, contact_id=records.contact_a.pk,
                                          total_minor=20000, at=datetime(2026, 5, 1, tzinfo=UTC)))  # fmt: skip
    member = Membership.objects.get(contact=records.contact_a)
    services.reward_redeem(by=users.admin, membership_id=member.pk, reward_id=scheme.voucher.pk)
    friend = make_contact(by=users.admin, full_name="Friend")
    services.membership_enrol(by=users.admin, programme_id=scheme.programme.pk, contact_id=friend.pk,
                              referral_code=member.referral_code)  # fmt: skip
    exported = handler.export(records.contact_a.pk)
    [data] = exported["memberships"]
    assert data["balance"] == 100 and [e["source"] for e in data["entries"]] == [
        "order",
        "redemption",
    ]
    assert data["redemptions"][0]["points"] == 100
    counts = handler.erase(records.contact_a.pk)
    assert counts == {"loyalty.redemption": 1, "loyalty.points_entry": 2, "loyalty.membership": 1}
    assert not PointsEntry.objects.filter(membership=member).exists()
    assert not Redemption.objects.exists()
    assert Membership.objects.get(contact=friend).referred_by_id is None
