"""Record pickers (#17): the new-ticket form finds its contact and company by name (no numeric
ids), and a company search on the contact form that the user did not choose from picks nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.customers.models import Contact
from kith.service.models import Ticket
from tests.browser.test_contact_flow import sign_in

pytestmark = pytest.mark.browser


def test_ticket_form_pickers_and_no_silent_company_choice(page: Page, live_server, records):
    sign_in(page, live_server.url)

    page.goto(f"{live_server.url}/tickets/new/")
    expect(page.get_by_text("Contact ID")).to_have_count(0)
    page.get_by_label("Subject").fill("Máy in kẹt giấy")
    contact_picker = page.locator("[data-picker=contact]")
    contact_picker.get_by_placeholder("Find a contact…").fill("王伟")
    select = contact_picker.locator("select")
    expect(select.locator("option", has_text="王伟明")).to_have_count(1)
    expect(select).to_have_value("")  # a search chooses nothing by itself
    select.select_option(label="王伟明 (wang.weiming@example.cn)")
    company_picker = page.locator("[data-picker=company]")
    company_picker.get_by_placeholder("Find a company…").fill("Hoa Sen")
    expect(company_picker.locator("option", has_text="Hoa Sen Trading")).to_have_count(1)
    company_picker.locator("select").select_option(label="Hoa Sen Trading (hoasen.vn)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Máy in kẹt giấy")
    ticket = Ticket.objects.get()
    assert (ticket.contact_id, ticket.company_id) == (records.contact_a.pk, records.company_a.pk)

    # Contact form: typing in the company search and choosing nothing leaves the company empty.
    page.goto(f"{live_server.url}/contacts/new/")
    page.get_by_label("Full name").fill("Phạm Minh Châu")
    company_search = page.locator("[data-picker=company]").get_by_placeholder("Find a company…")
    company_search.fill("Hoa")
    expect(page.locator("[data-picker=company] option", has_text="Hoa Sen")).to_have_count(1)
    expect(page.locator("[data-picker=company] select")).to_have_value("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("Phạm Minh Châu")
    assert Contact.objects.get(full_name="Phạm Minh Châu").company_id is None
