"""Kanban (#17) at 1440 × 900: all six columns fit (the last one is not cut off); a card dropped
on the lost stage asks for the lost reason (required) before it moves; a card moves with the
keyboard alone ("Move…", choose the stage, Enter); the deal page has won / lost buttons."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.sales import services
from kith.sales.models import Deal
from kith.sales.services import StageInput
from tests.browser.test_contact_flow import sign_in
from tests.browser.test_sales_flow import _drag

pytestmark = pytest.mark.browser

SIX = (
    StageInput("Qualify", 10), StageInput("Meeting", 25), StageInput("Proposal", 50),
    StageInput("Negotiation", 75), StageInput("Won", 100, "won"), StageInput("Lost", 0, "lost"),
)  # fmt: skip


def test_board_lost_reason_keyboard_move_and_deal_buttons(page: Page, live_server, users):
    pipeline = services.pipeline_create(by=users.admin, name="New business", stages=SIX)
    qualify, meeting, *_rest, _won, lost = list(pipeline.stages.order_by("position"))
    one = services.deal_create(by=users.rep_a, name="Máy lọc nước", pipeline_id=pipeline.pk)
    two = services.deal_create(by=users.rep_a, name="办公椅 20 把", pipeline_id=pipeline.pk)
    three = services.deal_create(by=users.rep_a, name="Laptops", pipeline_id=pipeline.pk)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/deals/?pipeline={pipeline.pk}")

    last = page.locator(".board-column").last.bounding_box()
    assert last["x"] + last["width"] <= 1440, last
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440

    # Dropped on Lost: the dialog asks why; an empty reason is refused, nothing moves.
    card = page.locator(f'.deal-card[data-deal-id="{one.pk}"]')
    _drag(page, card, page.locator(f'.deal-cards[data-stage-id="{lost.pk}"]'))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Lost reason")).to_be_focused()
    dialog.get_by_role("button", name="Move").click()
    expect(dialog.locator("[data-lost-error]")).to_be_visible()
    assert Deal.objects.get(pk=one.pk).stage_id == qualify.pk
    dialog.get_by_label("Lost reason").fill("Giá cao hơn đối thủ")
    # The dragged card already sits in the column: wait for the server's answer itself.
    with page.expect_response(lambda r: "/move/" in r.url and r.status == 200):
        dialog.get_by_role("button", name="Move").click()
    expect(page.locator(f'.deal-cards[data-stage-id="{lost.pk}"] .deal-card')).to_have_count(1)
    moved = Deal.objects.get(pk=one.pk)
    assert (moved.stage_id, moved.lost_reason) == (lost.pk, "Giá cao hơn đối thủ")

    # The keyboard: focus the card's Move… button, Enter, pick a stage, Enter.
    page.locator(f'[data-move-card="{two.pk}"]').focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Stage")).to_be_focused()
    page.keyboard.press("ArrowDown")  # Qualify → Meeting
    with page.expect_response(lambda r: "/move/" in r.url and r.status == 200):
        page.keyboard.press("Enter")
    expect(page.locator(f'.deal-cards[data-stage-id="{meeting.pk}"] .deal-card')).to_have_count(1)
    assert Deal.objects.get(pk=two.pk).stage_id == meeting.pk

    # The deal page: Mark won in one click; Mark lost needs its reason.
    page.goto(f"{live_server.url}/deals/{three.pk}/")
    page.locator("[data-deal-won]").click()
    expect(page.locator("[data-deal-stage]")).to_have_text("Won")
    assert Deal.objects.get(pk=three.pk).outcome == "won"
