"""A sales rep signs in, finds a contact by a Chinese name in the global search, edits the job
title, and sees the new value and the history entry. Then the same UI in Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kith.customers import services
from kith.customers.models import Contact
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def wang(users):
    company = services.company_create(by=users.rep_a, name="华东贸易有限公司", domain="huadong.cn")
    services.contact_create(
        by=users.rep_a, full_name="Nguyễn Thị Hoa", company_id=company.pk, tags=["vip"]
    )
    return services.contact_create(
        by=users.rep_a,
        full_name="王伟明",
        first_name="伟明",
        last_name="王",
        title="采购经理",
        company_id=company.pk,
        emails=["wang.weiming@example.cn"],
        phones=["+86 138 0013 8000"],
        tags=["vip", "上海"],
    )


def sign_in(page: Page, base: str, username: str = "rep_a") -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.locator("h1")).to_contain_text("Welcome")
    # The heading shows before the deferred scripts run; keys pressed earlier would be lost.
    page.wait_for_load_state("load")


def test_search_open_edit_and_see_history(page: Page, live_server, users, wang, screenshot):
    sign_in(page, live_server.url)

    # "/" focuses the global search; results drop down as you type.
    page.keyboard.press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("王伟明")
    hit = page.locator("#search-results a.search-hit", has_text="王伟明")
    expect(hit).to_be_visible()
    screenshot("search-dropdown")
    page.keyboard.press("ArrowDown")
    expect(hit).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/contacts/{wang.pk}/")
    expect(page.locator("h1")).to_have_text("王伟明")
    expect(page.locator("[data-field=title]")).to_have_text("采购经理")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("h1")).to_have_text("Edit 王伟明")
    page.get_by_label("Job title").fill("采购总监")
    screenshot("contact-form")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(f"{live_server.url}/contacts/{wang.pk}/")
    expect(page.locator(".messages")).to_contain_text("Contact “王伟明” saved.")
    expect(page.locator("[data-field=title]")).to_have_text("采购总监")
    # History is shown once, in the timeline (the page's main column).
    expect(page.locator(".history")).to_have_count(0)
    change = page.locator("[data-contact-main] [data-kind=change]", has_text="Job title changed")
    expect(change).to_contain_text("采购经理 → 采购总监")
    expect(change).to_contain_text("Ann")
    screenshot("contact-detail-after-edit")
    assert Contact.objects.get(pk=wang.pk).title == "采购总监"


def test_chinese_ui_list_filter_and_detail(page: Page, live_server, users, wang, screenshot):
    sign_in(page, live_server.url)
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("nav.modules")).to_contain_text("联系人")

    page.locator("nav.modules").get_by_role("link", name="联系人", exact=True).click()
    expect(page.locator("h1")).to_have_text("联系人")
    rows = page.locator("#record-table tbody tr")
    expect(rows).to_have_count(2)
    screenshot("contact-list-zh")

    # Typing in the filter swaps only the table (htmx) and keeps the URL shareable.
    page.get_by_label("搜索", exact=True).fill("王")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/contacts/\?.*q=%E7%8E%8B"))
    expect(rows.first).to_contain_text("王伟明")

    # j moves to the first row, Enter opens it, once the filter has settled: a swap arriving
    # late (the filter's 400 ms debounce, a slow database) would replace the focused row.
    page.locator("h1").click()
    page.wait_for_timeout(600)
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.keyboard.press("j")
    expect(page.locator("#record-table .row-link").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("王伟明")
    expect(page.locator("#about-title")).to_have_text("概况")
    expect(page.locator(".stage")).to_have_text("潜在客户")
    screenshot("contact-detail-zh")
