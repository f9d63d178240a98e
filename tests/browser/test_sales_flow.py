"""A visitor submits the public web form; the assigned rep sees the lead, converts it into a
contact, company and deal, and drags the deal across the kanban board."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.sales import services
from kith.sales.models import Deal, Lead
from tests.browser.test_contact_flow import sign_in
from tests.sales.factories import make_pipeline

pytestmark = pytest.mark.browser


def _drag(page: Page, source, target) -> None:
    """SortableJS (forceFallback) follows real mouse moves: press, move in steps, release."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 5, steps=4
    )
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=15)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 25, steps=3)
    page.mouse.up()


def test_form_lead_convert_and_drag(page: Page, live_server, users, screenshot):
    funnel = make_pipeline(by=users.admin)
    services.webform_create(
        by=users.admin,
        name="Contact us",
        slug="contact-us",
        fields=["phone", "company_name"],
        consent_text="Send me news",
        thank_you_text="Thanks, we will call you.",
        owner_id=users.rep_a.pk,
    )

    # A visitor, not signed in, fills in the public form.
    page.goto(f"{live_server.url}/f/contact-us/")
    page.get_by_label("Your name").fill("Phạm Thu Hà")
    page.get_by_label("Email").fill("ha@senvang.vn")
    page.get_by_label("Company").fill("Sen Vàng")
    page.get_by_label("Send me news").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-thanks]")).to_have_text("Thanks, we will call you.")
    lead = Lead.objects.get()

    # The rep sees the lead and converts it with a deal.
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("link", name="Phạm Thu Hà").click()
    expect(page.locator("h1")).to_have_text("Phạm Thu Hà")
    page.get_by_label("Amount").fill("2,500")
    screenshot("lead-convert")
    page.get_by_role("button", name="Convert lead").click()
    lead.refresh_from_db()
    assert lead.status == "converted"
    deal = Deal.objects.get(pk=lead.deal_id)
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/")
    assert deal.amount_minor == 250000 and deal.stage_id == funnel.qualify.pk

    # Drag the card from Qualify to Proposal, then to Won.
    page.goto(f"{live_server.url}/deals/?pipeline={funnel.pipeline.pk}")
    card = page.locator(f'[data-deal-id="{deal.pk}"]')
    expect(card).to_be_visible()
    _drag(page, card, page.locator(f'.deal-cards[data-stage-id="{funnel.proposal.pk}"]'))
    expect(page.locator(f'[data-stage-count="{funnel.proposal.pk}"]')).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage_id == funnel.proposal.pk
    card = page.locator(f'[data-deal-id="{deal.pk}"]')
    _drag(page, card, page.locator(f'.deal-cards[data-stage-id="{funnel.won.pk}"]'))
    expect(page.locator(f'[data-stage-count="{funnel.won.pk}"]')).to_have_text("1")
    screenshot("board-after-drag")
    deal.refresh_from_db()
    assert (deal.stage_id, deal.outcome, deal.probability) == (funnel.won.pk, "won", 100)


def test_deal_form_pickers_and_multi_line_order(page: Page, live_server, users, screenshot):
    from kith.sales.models import Order
    from tests.factories import make_contact
    from tests.sales.factories import make_deal, make_product

    funnel = make_pipeline(by=users.admin)
    khoa = make_contact(by=users.rep_a, full_name="Trần Minh Khoa")
    make_product(by=users.admin, sku="TEA-9", name="Lotus tea", price_minor=1150)
    make_product(by=users.admin, sku="CUP-1", name="Gaiwan", price_minor=2800)
    deal = make_deal(by=users.rep_a, funnel=funnel, name="Tea for the office")
    sign_in(page, live_server.url)

    # Add a contact and a product to the deal with the pickers, then save.
    page.goto(f"{live_server.url}/deals/{deal.pk}/edit/")
    page.get_by_placeholder("Find a contact…").fill("Khoa")
    page.get_by_role("button", name="+ Trần Minh Khoa").click()
    expect(page.locator("#deal-contacts-chosen")).to_contain_text("Trần Minh Khoa")
    page.get_by_placeholder("Find a product…").fill("Lotus")
    page.get_by_role("button", name="+ TEA-9 · Lotus tea").click()
    expect(page.locator("#deal-products-chosen")).to_contain_text("Lotus tea")
    screenshot("deal-pickers")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Tea for the office")
    expect(page.locator(".facts")).to_contain_text("Trần Minh Khoa")
    expect(page.locator(".facts")).to_contain_text("Lotus tea")

    # An order with three lines: two from the form's rows, one added with "Add line".
    page.goto(f"{live_server.url}/orders/new/")
    page.get_by_placeholder("Find a contact…").fill("Khoa")
    expect(page.locator("#id_contact_id option", has_text="Trần Minh Khoa")).to_have_count(1)
    page.locator("#id_contact_id").select_option(value=str(khoa.pk))
    rows = page.locator("#order-lines tr")
    rows.nth(0).locator("select").select_option(label="TEA-9 · Lotus tea (11.50 USD)")
    rows.nth(0).locator('input[name="line_quantity"]').fill("2")
    rows.nth(1).locator("select").select_option(label="CUP-1 · Gaiwan (28.00 USD)")
    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(4)
    rows.nth(3).locator("select").select_option(label="TEA-9 · Lotus tea (11.50 USD)")
    rows.nth(3).locator('input[name="line_price"]').fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Order")
    order = Order.objects.get()
    assert order.lines.count() == 3 and order.total_minor == 2 * 1150 + 2800 + 1000
