"""Two contacts with memberships merged (intake's contact merge, contacts.merged event): one
membership per programme with both ledgers, the sum of the balances, the higher tier, the
lots with their dates and expiry, redemptions and referrals moved; delivered twice, the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from kith.core.events import events_dispatch
from kith.core.models import DomainEvent
from kith.intake.merging import contacts_merge
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry, Redemption
from kith.loyalty.services.ledger import lots_open
from kith.loyalty.services.merges import on_contacts_merged
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_merged_contacts_combine_their_memberships_once(users, records):
    scheme = make_programme(by=users.admin, expiry_months=12)
    kept = records.contact_a
    removed = make_contact(by=users.rep_a, full_name="Nguyễn Văn An (2)")
    referred = make_contact(by=users.rep_a, full_name="Trần Thị Bình")
    # The kept contact: 150 points, Bronze. The removed one: 1,100 points, Gold, one voucher.
    services.order_points_earn(order_fact(order_id=1, contact_id=kept.pk, total_minor=15000, at=T0))
    services.order_points_earn(
        order_fact(order_id=2, contact_id=removed.pk, total_minor=110000, at=T0)
    )
    gone = Membership.objects.get(contact=removed)
    assert gone.tier == scheme.gold and gone.balance == 1100
    redemption = services.reward_redeem(
        by=users.admin, membership_id=gone.pk, reward_id=scheme.voucher.pk
    )
    services.membership_enrol(
        by=users.admin, programme_id=scheme.programme.pk, contact_id=referred.pk,
        referral_code=gone.referral_code,
    )  # fmt: skip
    lots_before = sorted(
        (lot.remaining, lot.expires_at)
        for m in Membership.objects.all()
        if m.contact_id != referred.pk
        for lot in lots_open(m.pk)
    )
    contacts_merge(by=users.rep_a, survivor_id=kept.pk, merged_ids=[removed.pk])
    events_dispatch()
    events_dispatch()
    members = list(Membership.objects.filter(contact=kept))
    assert len(members) == 1
    member = members[0]
    assert member.balance == 150 + 1100 - 100
    ledger = PointsEntry.objects.filter(membership=member).aggregate(s=Sum("points"))["s"]
    assert ledger == member.balance
    assert member.tier == scheme.gold  # the higher tier stays
    assert member.enrolled_contact_id == kept.pk
    assert sorted((lot.remaining, lot.expires_at) for lot in lots_open(member.pk)) == lots_before
    assert Redemption.objects.get(pk=redemption.pk).membership_id == member.pk
    assert Membership.objects.get(contact=referred).referred_by_id == member.pk
    # Delivered again: nothing changes.
    on_contacts_merged(DomainEvent.objects.get(name="contacts.merged"))
    assert Membership.objects.filter(contact=kept).count() == 1
    assert Membership.objects.get(pk=member.pk).balance == member.balance
    assert DomainEvent.objects.filter(name="loyalty.members_merged").count() == 1
    # The removed contact's order still reverses, through the kept membership.
    assert services.order_points_reverse(order_id=2, reason="refund") == 1100
    assert Membership.objects.get(pk=member.pk).balance == 50


def test_a_membership_of_the_removed_contact_alone_moves_to_the_kept_one(users, records):
    make_programme(by=users.admin)
    removed = make_contact(by=users.rep_a, full_name="Lê Văn Cường")
    services.order_points_earn(
        order_fact(order_id=5, contact_id=removed.pk, total_minor=900, at=T0)
    )
    contacts_merge(by=users.rep_a, survivor_id=records.contact_a.pk, merged_ids=[removed.pk])
    events_dispatch()
    member = Membership.objects.get(contact=records.contact_a)
    assert (member.balance, member.enrolled_contact_id) == (9, removed.pk)
    # A later order of the kept contact earns in that membership, not a new one.
    services.order_points_earn(
        order_fact(order_id=6, contact_id=records.contact_a.pk, total_minor=500, at=T0)
    )
    assert Membership.objects.get(contact=records.contact_a).balance == 14
