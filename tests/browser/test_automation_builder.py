"""An admin builds a rule in the web builder with a nested group of conditions on a related
record (the contact's company), saves it, and sees it run when a contact changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.automation.models import Rule, RuleRun
from kith.automation.services import rule_runs_advance
from kith.core.events import events_dispatch
from kith.customers.models import Company, Contact
from kith.customers.services import company_update, contact_update
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_nested_group_rule_built_and_run(page: Page, live_server, users, records) -> None:
    page.set_default_navigation_timeout(90_000)  # the test machine is shared and busy
    company = Company.objects.get(pk=records.company_a.pk)
    company_update(by=users.admin, company_id=company.pk, version=company.version,
                   industry="Retail")  # fmt: skip
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/automation/rules/new/")
    page.get_by_label("Name").fill("Retail buyers")
    page.get_by_label("When").select_option("contact.updated")
    page.get_by_label("Conditions").select_option("all")
    page.get_by_label("Group 1").select_option("any")
    rows = [
        ("", "title", "contains", "buy"),
        ("1", "company.industry", "eq", "Retail"),
        ("1", "company.industry", "eq", "Wholesale"),
    ]
    for number, (group, field, op, value) in enumerate(rows):
        page.locator(f"[name=c{number}_group]").select_option(group)
        page.locator(f"[name=c{number}_field]").fill(field)
        page.locator(f"[name=c{number}_op]").select_option(op)
        page.locator(f"[name=c{number}_value]").fill(value)
    page.locator("[name=a0_type]").select_option("notify_user")
    page.locator("[name=a0_text]").fill("{{ full_name }} buys for a retailer")
    page.locator("[name=a0_user]").select_option("rule_owner")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Retail buyers")).to_be_visible()
    rule = Rule.objects.get(name="Retail buyers")
    assert rule.conditions == {"all": [
        {"field": "title", "op": "contains", "value": "buy"},
        {"any": [{"field": "company.industry", "op": "eq", "value": "Retail"},
                 {"field": "company.industry", "op": "eq", "value": "Wholesale"}]},
    ]}  # fmt: skip

    for contact_id, title in (
        (records.contact_a.pk, "Head buyer"),
        (records.contact_b.pk, "Buyer"),
    ):
        contact = Contact.objects.get(pk=contact_id)
        contact_update(by=users.admin, contact_id=contact_id, version=contact.version, title=title)
    while events_dispatch() | rule_runs_advance():  # what the worker does
        pass
    run = RuleRun.objects.get(rule=rule)  # contact_b's company is not a retailer
    assert run.record_id == records.contact_a.pk
    page.reload()
    expect(page.locator("tbody tr").filter(has_text="contact.updated")).to_contain_text("Done")
    # The builder shows the nested group again when the rule is edited.
    page.goto(f"{live_server.url}/automation/rules/{rule.pk}/edit/")
    expect(page.locator("[name=c2_group]")).to_have_value("1")
    expect(page.get_by_label("Group 1")).to_have_value("any")
