"""The doors loop over the installed apps: tests/door_app, enabled only by tests/settings.py,
reaches every one of them from its own folder; Kith's own apps keep today's grants, nav order,
panels and demo order."""

from __future__ import annotations

import re

from django.test import Client
from typer.testing import CliRunner

from kith.cli.app import app
from kith.core.doors import demo_loaders, import_kinds, personal_data_handlers
from kith.demo import demo_load
from kith.identity.access import MODULES
from kith.identity.models import RoleGrant
from kith.identity.services import roles_ensure_defaults
from kith.web.panels import contact_panels
from tests.door_app.models import Stamp
from tests.factories import make_contact

FULL = ("create", "edit", "delete", "export")
# What roles_ensure_defaults seeded before the apps declared their grants: every module, the
# same grant per role.
KITH_MODULES = (
    "contacts",
    "companies",
    "interactions",
    "tasks",
    "leads",
    "deals",
    "products",
    "orders",
    "tickets",
    "feedback",
    "loyalty",
    "imports",
    "marketing",
)
# Every module in INSTALLED_APPS order (the door app's "stamps" last).
EXPECTED_MODULES = [
    *KITH_MODULES[: KITH_MODULES.index("tickets")],
    "quotas",
    *KITH_MODULES[KITH_MODULES.index("tickets") : KITH_MODULES.index("imports")],
    "loyalty_programmes",
    "imports",
    "automation",
    "marketing",
    "stamps",
]
BEFORE = {
    "admin": ("all", FULL),
    "manager": ("all", FULL),
    "sales_rep": ("team", ("create", "edit", "export")),
}


def _seeded() -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    return {
        (g.role.slug, g.module): (g.scope, tuple(r for r in FULL if g.allows(r)))
        for g in RoleGrant.objects.select_related("role")
    }


def test_role_seeding_gives_todays_grants_and_the_apps_declared_ones(db):
    roles_ensure_defaults()
    roles_ensure_defaults()  # idempotent

    expected = {(role, m): BEFORE[role] for role in BEFORE for m in KITH_MODULES}
    # Automation (rules run as their owner, webhooks send every event out) is admins' only.
    expected[("admin", "automation")] = ("all", ("create", "edit", "delete"))
    # Loyalty: setting programmes up is for administrators and managers.
    expected[("admin", "loyalty_programmes")] = ("all", FULL)
    expected[("manager", "loyalty_programmes")] = ("all", FULL)
    expected[("sales_rep", "loyalty_programmes")] = ("all", ())
    # Quotas: managers and admins set them; a rep reads their team's.
    expected[("admin", "quotas")] = ("all", FULL)
    expected[("manager", "quotas")] = ("all", FULL)
    expected[("sales_rep", "quotas")] = ("team", ())
    expected[("admin", "stamps")] = ("all", FULL)
    expected[("manager", "stamps")] = ("team", ("create",))
    expected[("sales_rep", "stamps")] = ("own", ())
    # Products are the company's: a rep reads and exports them, managers change the prices.
    expected[("sales_rep", "products")] = ("team", ("export",))
    assert _seeded() == expected
    assert list(MODULES) == EXPECTED_MODULES
    assert all(g.can_read for g in RoleGrant.objects.all())


def test_api_router_is_mounted(users, api_for):
    Stamp.objects.create(contact=make_contact(by=users.admin, full_name="Ann Lee"), note="first")

    assert api_for(users.admin).get("/api/v1/stamps").json() == {"notes": ["first"]}
    assert api_for(users.rep_a).get("/api/v1/stamps").status_code == 200  # read, own scope
    assert Client().get("/api/v1/stamps").status_code == 401


def _nav(html: str) -> list[str]:
    nav = html.split('<nav class="modules"', 1)[1].split("</nav>", 1)[0]
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", nav)]


def test_url_module_page_and_nav_entry(users, web_for):
    client = web_for(users.admin)

    page = client.get("/stamps/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>0 stamps</h1>" in html
    # Today's nav in today's order, the door app's entry at its order.
    assert _nav(html) == [
        "Contacts",
        "Companies",
        "Tasks",
        "Leads",
        "Deals",
        "Orders",
        "Tickets",
        "Feedback",
        "Loyalty",
        "Campaigns",
        "Insights",
        "Automation",
        "Stamps",
        "Data",
    ]
    assert '<a href="/stamps/" aria-current="page">Stamps</a>' in html
    deals = client.get("/deals/").content.decode()
    assert '<a href="/deals/" aria-current="page">Deals</a>' in deals


def test_record_panel_is_on_the_contact_page(users, web_for):
    contact = make_contact(by=users.admin, full_name="Ann Lee")
    client = web_for(users.admin)

    page = client.get(f"/contacts/{contact.pk}/").content.decode()

    assert f'hx-get="/contacts/{contact.pk}/stamps/"' in page
    assert client.get(f"/contacts/{contact.pk}/stamps/").content == b"0 stamps"
    assert [p.url_name for p in contact_panels()["main"]] == ["contact-timeline"]
    assert [p.url_name for p in contact_panels()["side"]] == [
        "contact-sales-panel",
        "contact-insights-panel",
        "contact-tickets-panel",
        "contact-sentiment-panel",
        "contact-loyalty-panel",
        "contact-tasks-panel",
        "contact-duplicates-panel",
        "contact-stamps-panel",
    ]


def test_cli_command_runs(db):
    result = CliRunner().invoke(app, ["stamps"])

    assert result.exit_code == 0, result.output
    assert result.output == "0 stamps\n"


def test_demo_loader_runs_after_kiths_own(db):
    calls: list[tuple[str, int, int]] = []

    summary = demo_load(size="tiny", progress=lambda *call: calls.append(call))

    assert [loader.__name__ for loader in demo_loaders()] == [
        "demo_sales_load",
        "demo_engagement_load",
        "demo_service_load",
        "demo_feedback_load",
        "demo_loyalty_load",
        "demo_salesforce_load",
        "demo_automation_load",
        "demo_marketing_load",
        "demo_insights_load",
        "stamps_load",
    ]
    assert summary.more["stamps"] == 1
    assert calls[-1] == ("Stamps", 1, 1)
    assert Stamp.objects.get().note == "demo"


def test_import_kind_is_listed():
    kinds = import_kinds()

    assert list(kinds) == [
        "contacts",
        "companies",
        "leads",
        "orders",
        "interactions",
        "messages",
        "stamps",
    ]
    assert (kinds["stamps"].model, kinds["stamps"].module) == ("door_app.stamp", "stamps")
    assert kinds["leads"].list_url_name == "lead-list"


def test_personal_data_handler_is_collected(users):
    contact = make_contact(by=users.admin, full_name="Ann Lee")
    Stamp.objects.create(contact=contact, note="visit")
    handler = personal_data_handlers()["tests.door_app.personal_data"]

    assert handler.export(contact.pk) == {"stamps": ["visit"]}
    assert handler.erase(contact.pk) == {"stamps": 1}
    assert handler.export(contact.pk) == {"stamps": []}
