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
