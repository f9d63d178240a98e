"""Loyalty pages: the contact panel (tier, balance, history, expiring points, progress), the
programme dashboard, the member list, the member's own page through the signed link in their
language, the referral page; the gate and query counts."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.test import Client
from django.utils import timezone

from kith.core.doors import record_panels
from kith.loyalty import services
from kith.loyalty.models import Membership, PointsEntry
from tests.factories import make_contact
from tests.loyalty.factories import make_programme, order_fact


@pytest.fixture
def member(users, records):
    scheme = make_programme(by=users.admin, expiry_months=1)
    now = timezone.now()
    services.order_points_earn(
        order_fact(order_id=1, contact_id=records.contact_a.pk, total_minor=12000,
                   at=now - timedelta(days=10))
    )  # fmt: skip
    membership = Membership.objects.get(contact=records.contact_a)
    Membership.objects.filter(pk=membership.pk).update(language="vi")
    services.reward_redeem(by=users.admin, membership_id=membership.pk, reward_id=scheme.voucher.pk)
    return scheme, membership


def test_the_contact_panel_shows_tier_balance_history_expiry_and_progress(
    users, records, member, web_for, django_assert_max_num_queries
):
    _scheme, _membership = member
    web = web_for(users.rep_a)
    assert "contact-loyalty-panel" in [p.url_name for p in record_panels("contact")]
    with django_assert_max_num_queries(11):
        page = web.get(f"/contacts/{records.contact_a.pk}/loyalty/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-tier>Bronze<" in html
    assert "20 points" in html  # 120 earned, 100 redeemed
    assert "80 more to Silver" in html  # the redemption does not lower the tier points
    assert "20 points from" in html  # the lot expires a month after the order: within 30 days
    assert "$5 off" in html and "+120" in html
    assert web_for(users.rep_b).get(f"/contacts/{records.contact_a.pk}/loyalty/").status_code == 404


def test_adjust_and_enrol_from_the_panel(users, records, member, web_for):
    _scheme, membership = member
    web = web_for(users.rep_a)
    done = web.post(
        f"/loyalty/members/{membership.pk}/adjust/", {"points": "15", "reason": "Sorry"}
    )
    assert done.status_code == 302
    assert PointsEntry.objects.filter(membership=membership, source="adjustment").get().points == 15
    refused = web.post(
        f"/loyalty/members/{membership.pk}/adjust/", {"points": "-500", "reason": "x"}
    )
    assert refused.status_code == 302
    assert Membership.objects.get(pk=membership.pk).balance == 35
    other = make_contact(by=users.rep_a, full_name="Phạm Minh")
    web.post("/loyalty/enrol/", {"contact_id": other.pk, "programme_id": membership.programme_id,
                                 "referral_code": membership.referral_code})  # fmt: skip
    assert Membership.objects.get(contact=other).referred_by_id == membership.pk
    assert (
        web_for(users.rep_b)
        .post(f"/loyalty/members/{membership.pk}/adjust/", {"points": "5", "reason": "x"})
        .status_code
        == 404
    )


def test_the_dashboard_and_member_list(
    users, records, member, web_for, django_assert_max_num_queries
):
    scheme, _membership = member
    web = web_for(users.manager)
    with django_assert_max_num_queries(20):
        page = web.get("/loyalty/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-issued>120<" in html and "data-redeemed>100<" in html
    assert "data-liability>0.20 USD<" in html  # 20 points of 1 cent
    assert "data-rate>83%<" in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "loyalty-chart-data" in html
    assert '<td>Silver</td><td class="numeric">200</td><td class="numeric">150</td>' in html
    assert '<td>$5 off</td><td>voucher</td><td class="numeric">100</td>' in html
    # One member: too few to compare with matched non-members (the figure needs 20).
    assert "data-lift>Not enough members yet" in html
    for i in range(4):
        contact = make_contact(by=users.rep_a, full_name=f"M {i}")
        services.membership_enrol(
            by=users.admin, programme_id=scheme.programme.pk, contact_id=contact.pk
        )
    with django_assert_max_num_queries(12):
        listed = web.get("/loyalty/members/")
    assert listed.status_code == 200 and listed.content.decode().count("<tr>") == 1 + 5


def test_the_member_s_own_page_by_signed_link_in_their_language(
    member, django_assert_max_num_queries
):
    _scheme, membership = member
    token = services.member_token_make(membership_id=membership.pk)
    client = Client()
    with django_assert_max_num_queries(10):
        page = client.get(f"/m/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "vi" and '<html lang="vi">' in html
    assert "$5 off" in html and membership.referral_code in html
    assert "Số dư" in html and "Mời bạn bè" in html  # the page speaks the member's language
    assert client.get(f"/m/{token}x/").status_code == 410
    referral = client.get(f"/r/{membership.referral_code}/")
    assert referral.status_code == 200 and membership.referral_code in referral.content.decode()
    assert client.get("/r/NOPE/").status_code == 404


def test_the_member_gets_their_link_by_email_in_their_language(
    users, records, member, web_for, smtp
):
    _scheme, membership = member
    done = web_for(users.rep_a).post(f"/loyalty/members/{membership.pk}/send-link/")
    assert done.status_code == 302
    [message] = smtp.messages
    assert message["To"] == "wang.weiming@example.cn"
    assert str(make_header(decode_header(message["Subject"]))) == "Điểm Rewards của bạn"
    body = message.get_payload(decode=True).decode()
    token = services.member_token_make(membership_id=membership.pk)
    assert f"/m/{token}/" in body and f"/r/{membership.referral_code}/" in body
    from kith.engagement.models import Interaction

    assert Interaction.objects.filter(contact=records.contact_a, kind="email").count() == 1
    assert (
        web_for(users.rep_b).post(f"/loyalty/members/{membership.pk}/send-link/").status_code == 404
    )
    assert len(smtp.messages) == 1


def test_points_entries_are_on_the_contact_timeline(users, records, member):
    from kith.engagement import selectors as engagement_selectors

    _contact, page = engagement_selectors.contact_timeline(
        user=users.rep_a, contact_id=records.contact_a.pk, limit=50
    )
    points = [item for item in page.items if item.kind == "points"]
    assert [item.title for item in points] == [
        "-100 loyalty points: redemption", "+120 loyalty points: order",
    ]  # fmt: skip
