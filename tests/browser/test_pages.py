"""Pages (#17). At 390 × 844 (a phone): a Menu button folds the modules, the header is short,
and no main page is wider than the screen. At desktop size: the tasks page (✓ on the task's
line, a styled "New task", the current tab marked), the API docs from local assets (no CDN,
linked from Account), Home without "being built", the win-back page opened directly, and the
contact page with the timeline and composer first, History once, call durations in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kith.engagement import services as engagement
from kith.sales.services import LineInput, order_create
from tests.browser.test_contact_flow import sign_in
from tests.conftest import PASSWORD
from tests.sales.factories import make_pipeline, make_product
from tests.service.factories import make_ticket

pytestmark = pytest.mark.browser


def test_phone_layout_and_the_pages_fixed(page: Page, live_server, users, records):
    contact = records.contact_a
    funnel = make_pipeline(by=users.admin)
    tea = make_product(by=users.admin, sku="TEA")
    order = order_create(by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)])
    ticket = make_ticket(by=users.rep_a, contact_id=contact.pk, now=timezone.now())
    engagement.interaction_create(
        by=users.rep_a, kind="call", contact=contact, subject="Gọi lại",
        duration_seconds=12 * 60, direction="out",
    )  # fmt: skip
    engagement.task_create(
        by=users.rep_a, title="Gửi báo giá", contact=contact,
        due_at=timezone.now() + timedelta(hours=2),
    )  # fmt: skip
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url)
    toggle = page.locator("[data-menu-toggle]")
    expect(toggle).to_be_visible()
    expect(page.locator("#modules-nav")).to_be_hidden()
    assert page.locator(".topbar").bounding_box()["height"] < 130
    toggle.click()
    expect(page.locator("#modules-nav").get_by_role("link", name="Contacts")).to_be_visible()
    main_pages = [
        "/", "/contacts/", f"/contacts/{contact.pk}/", "/companies/",
        f"/companies/{records.company_a.pk}/", f"/deals/?pipeline={funnel.pipeline.pk}",
        "/orders/", f"/orders/{order.pk}/", "/tickets/", f"/tickets/{ticket.pk}/", "/tasks/",
        "/insights/", "/account/",
    ]  # fmt: skip
    for path in main_pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} is {wide}px wide at 390px"

    page.set_viewport_size({"width": 1360, "height": 900})
    # Tasks: the ✓ button on the task's line, "New task" a button, the current tab marked.
    page.goto(f"{live_server.url}/tasks/?view=mine")
    row = page.locator(".task-row").first
    done, title = row.locator("button").bounding_box(), row.get_by_role("link").first.bounding_box()
    assert abs(done["y"] - title["y"]) < 20, (done, title)
    new_task = page.get_by_role("link", name="New task")
    assert "button" in new_task.get_attribute("class")
    current = page.locator(".task-views [aria-current=page]")
    expect(current).to_have_text("My open tasks")
    expect(current).to_have_css("font-weight", "600")

    # Home: no "being built"; Account links the API docs, which load Swagger UI locally.
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("being built")).to_have_count(0)
    page.goto(f"{live_server.url}/account/")
    page.locator("[data-api-docs]").click()
    expect(page.locator(".swagger-ui .title")).to_contain_text("Kith API")
    assert not [u for u in requests if not u.startswith(live_server.url)], "outside requests"

    # The win-back page opened directly is a styled page with a title.
    page.goto(f"{live_server.url}/insights/win-back/")
    expect(page.locator("h1")).to_have_text("Win-back list: highest churn risk")
    expect(page.locator(".topbar")).to_be_visible()

    # The contact page: timeline and open composer in the main column, facts at the side,
    # no second History, the call's length in words.
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    main = page.locator("[data-contact-main]")
    expect(main.locator("#timeline-panel [data-composer]")).to_have_attribute("open", "")
    expect(page.locator("[data-contact-side]").get_by_role("heading", name="About")).to_be_visible()
    expect(page.locator(".history")).to_have_count(0)
    expect(main.locator("[data-kind=interaction]", has_text="Gọi lại")).to_contain_text(
        "12 minutes"
    )


def test_phone_lists_and_board_in_vietnamese(page: Page, live_server, users, records):
    """At 390 px, in Vietnamese: a list row is a card with each value under its column's name
    (not a table squeezed to a letter per line), the filters fold behind a button that counts
    the ones set, the sub-navigation does not break words and the board shows one column at a
    time."""
    users.rep_a.language = "vi"
    users.rep_a.save(update_fields=["language"])
    funnel = make_pipeline(by=users.admin)
    make_ticket(by=users.rep_a, contact_id=records.contact_a.pk, now=timezone.now())
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/login/")  # the browser asks for English; the user's own
    page.get_by_label("Username").fill("rep_a")  # language takes over once signed in
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.goto(f"{live_server.url}/tickets/")
    toggle = page.locator(".filters-toggle")
    expect(toggle).to_have_text("Bộ lọc")
    expect(page.locator("form.filters")).to_be_hidden()
    toggle.click()
    expect(page.locator("form.filters")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("table.records thead")).to_be_hidden()
    row = page.locator("table.records tbody tr[data-row]").first
    assert row.bounding_box()["width"] > 300
    labels = row.evaluate(
        "r => Array.from(r.children).map(c => getComputedStyle(c, '::before').content)"
    )
    assert '"Trạng thái"' in labels, labels  # the Status column's name beside its value
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{live_server.url}/deals/?pipeline={funnel.pipeline.pk}")
    column = page.locator(".board-column").first
    assert column.bounding_box()["width"] >= 0.8 * 390
    for link in page.locator(".sales-subnav a").all()[:3]:
        assert link.bounding_box()["height"] < 30, link.text_content()  # one line each
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_command_palette_by_keyboard_only(page: Page, live_server, users, records):
    """Ctrl-K from any page, type, arrow down to a hit, Enter: its page (#18); "?" lists the
    shortcuts."""
    ticket = make_ticket(
        by=users.rep_a, contact_id=records.contact_a.pk, subject="Máy in hỏng", now=timezone.now()
    )
    sign_in(page, live_server.url)
    page.keyboard.press("Control+k")
    expect(page.locator("#palette-input")).to_be_focused()
    page.keyboard.type(f"#{ticket.pk}")
    expect(page.locator("#palette-results")).to_contain_text(f"[#{ticket.pk}] Máy in hỏng")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#palette-results a[role=option]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/tickets/{ticket.pk}/")
    page.wait_for_load_state("load")  # the shortcuts' script is deferred
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
