"""Setting programmes up in the browser (admins and managers): a programme, its tiers, earning
rules and rewards through the services, errors on the field typed into, nothing written on an
error; a sales rep gets 403; query counts of the set-up pages."""

from __future__ import annotations

import pytest

from kith.loyalty.models import EarningRule, Programme, Reward, Tier
from tests.sales.factories import make_product

pytestmark = pytest.mark.django_db

PROGRAMME = {
    "name": "Trà Club", "currency": "vnd", "currency_digits": "0", "points_per_unit": "1",
    "point_value_minor": "10", "expiry_months": "12", "daily_limit": "0", "tier_basis": "spend",
    "tier_window_days": "365", "grace_days": "30",
}  # fmt: skip


def test_a_manager_sets_a_programme_up_in_the_browser(
    users, web_for, django_assert_max_num_queries
):
    tea = make_product(by=users.admin, sku="TEA-9", price_minor=5000, category="Tea")
    web = web_for(users.manager)
    with django_assert_max_num_queries(12):
        page = web.get("/loyalty/setup/")
    assert page.status_code == 200 and "data-programme-form" in page.content.decode()
    done = web.post("/loyalty/setup/", PROGRAMME)
    programme = Programme.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/loyalty/setup/{programme.pk}/"
    assert (programme.currency, programme.tier_basis, programme.expiry_months) == (
        "VND",
        "spend",
        12,
    )
    # The same currency again: the service's error on the currency field, nothing written.
    again = web.post("/loyalty/setup/", PROGRAMME)
    assert again.status_code == 200
    assert "An active programme in this currency exists already." in again.content.decode()
    assert Programme.objects.count() == 1

    url = f"/loyalty/setup/{programme.pk}/"
    for name, position, threshold in (("Đồng", 0, 0), ("Bạc", 1, 5_000_000)):
        done = web.post(url, {"form": "tier", "tier-name": name, "tier-position": position,
                              "tier-threshold": threshold, "tier-multiplier_percent": "100"})  # fmt: skip
        assert done.status_code == 302
    bad = web.post(url, {"form": "tier", "tier-name": "Vàng", "tier-position": "2",
                         "tier-threshold": "100", "tier-multiplier_percent": "150"})  # fmt: skip
    assert bad.status_code == 200
    assert "A higher tier needs a higher threshold." in bad.content.decode()
    assert list(Tier.objects.values_list("name", flat=True)) == ["Đồng", "Bạc"]

    done = web.post(url, {"form": "rule", "rule-kind": "product", "rule-product_id": str(tea.pk),
                          "rule-multiplier_percent": "200", "rule-points": "0"})  # fmt: skip
    assert done.status_code == 302
    done = web.post(url, {"form": "rule", "rule-kind": "bonus", "rule-event": "birthday",
                          "rule-multiplier_percent": "100", "rule-points": "50"})  # fmt: skip
    assert done.status_code == 302
    bad = web.post(url, {"form": "rule", "rule-kind": "category", "rule-category": "",
                         "rule-multiplier_percent": "100", "rule-points": "0"})  # fmt: skip
    assert "Enter the category." in bad.content.decode()
    rules = EarningRule.objects.order_by("id")
    assert [(r.kind, r.product_id, r.event, r.points) for r in rules] == [
        ("product", tea.pk, "", 0),
        ("bonus", None, "birthday", 50),
    ]
    silver = Tier.objects.get(name="Bạc")
    done = web.post(url, {"form": "reward", "reward-name": "Lên hạng Bạc", "reward-kind": "tier",
                          "reward-cost_points": "500", "reward-discount_percent": "0",
                          "reward-value_minor": "0", "reward-tier_id": str(silver.pk),
                          "reward-valid_days": "30"})  # fmt: skip
    assert done.status_code == 302
    assert Reward.objects.get().tier_id == silver.pk
    with django_assert_max_num_queries(14):
        page = web.get(url)
    html = page.content.decode()
    assert "Lên hạng Bạc" in html and "TEA-9" in html and "Bạc" in html


def test_a_sales_rep_cannot_set_programmes_up(users, web_for):
    web = web_for(users.rep_a)
    assert web.get("/loyalty/setup/").status_code == 403
    assert web.post("/loyalty/setup/", PROGRAMME).status_code == 403
    programme = Programme.objects.create(name="P", currency="USD")
    assert web.get(f"/loyalty/setup/{programme.pk}/").status_code == 403
    tier = {"form": "tier", "tier-name": "T", "tier-position": "0", "tier-threshold": "0",
            "tier-multiplier_percent": "100"}  # fmt: skip
    assert web.post(f"/loyalty/setup/{programme.pk}/", tier).status_code == 403
    assert not Tier.objects.exists()
    assert "data-setup-link" not in web.get("/loyalty/").content.decode()
    assert "data-setup-link" in web_for(users.admin).get("/loyalty/").content.decode()
