"""Sales pages: rendering, the public form, kanban moves and access, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from kith.sales import services
from kith.sales.models import Deal, Lead
from kith.sales.services import LineInput
from tests.factories import make_contact
from tests.sales.factories import make_deal, make_product

# The public-form tests render without a signed-in client (web_for requests English itself).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def webform(users):
    return services.webform_create(
        by=users.admin,
        name="Contact us",
        slug="contact-us",
        fields=["phone", "company_name"],
        consent_text="Send me news",
        thank_you_text="Thanks, we will call you.",
        owner_id=users.rep_a.pk,
    )


def test_every_page_renders(web_for, users, funnel, webform):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(
        by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)]
    )
    deal = make_deal(by=users.rep_a, funnel=funnel, contact_ids=[contact.pk])
    lead = services.lead_create(by=users.rep_a, full_name="Lead One")
    client = web_for(users.admin)
    for url in (
        "/leads/", "/leads/new/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/",
        "/leads/forms/", "/leads/forms/new/", f"/leads/forms/{webform.pk}/edit/",
        "/deals/", "/deals/list/", "/deals/new/", f"/deals/{deal.pk}/", f"/deals/{deal.pk}/edit/",
        "/deals/pipelines/", "/deals/pipelines/new/", "/deals/forecast/",
        "/products/", "/products/new/", f"/products/{tea.pk}/edit/",
        "/orders/", f"/orders/?contact={contact.pk}", "/orders/new/", f"/orders/{order.pk}/",
        f"/contacts/{contact.pk}/sales/", f"/companies/{contact.company_id or 0}/sales/",
    ):  # fmt: skip
        response = client.get(url)
        expected = 404 if url.startswith("/companies/0/") else 200
        assert response.status_code == expected, url


def test_contact_panel_shows_summary(web_for, users):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA", price_minor=1250)
    services.order_create(by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 2)])
    html = web_for(users.rep_a).get(f"/contacts/{contact.pk}/sales/").content.decode()
    assert "25.00 USD" in html
    assert web_for(users.rep_b).get(f"/contacts/{contact.pk}/sales/").status_code == 404
    page = web_for(users.rep_a).get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/sales/" in page


def test_public_form_creates_lead_without_login(webform, users):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/f/contact-us/")
    assert page.status_code == 200 and b'name="website_url"' in page.content
    assert "frame-ancestors" not in page.headers.get("Content-Security-Policy", "")
    response = client.post(
        "/f/contact-us/",
        {"full_name": "Visitor", "email": "v@acme.vn", "phone": "+84 912 345 678",
         "company_name": "Acme", "consent": "on"},
        REMOTE_ADDR="10.1.1.1",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert b"Thanks, we will call you." in response.content
    lead = Lead.objects.get()
    assert (lead.email, lead.owner_id, lead.source_channel) == (
        "v@acme.vn",
        users.rep_a.pk,
        "web_form",
    )
    assert lead.consent_text == "Send me news"


def test_public_form_bad_input_and_honeypot(webform):
    client = Client()
    bad = client.post("/f/contact-us/", {"full_name": "", "email": "x"}, REMOTE_ADDR="10.1.1.2")
    assert bad.status_code == 422
    assert b"Enter" in bad.content or b"valid" in bad.content
    bot = client.post(
        "/f/contact-us/",
        {"full_name": "Bot", "email": "b@spam.io", "website_url": "spam"},
        REMOTE_ADDR="10.1.1.3",
    )
    assert bot.status_code == 200 and b"Thanks" in bot.content
    assert Lead.objects.count() == 0


@override_settings(KITH_SALES_FORM_RATE=2)
def test_public_form_rate_limit(webform):
    client = Client()
    data = {"full_name": "V", "email": "v@acme.vn"}
    assert client.post("/f/contact-us/", data, REMOTE_ADDR="10.2.2.2").status_code == 200
    assert client.post("/f/contact-us/", data, REMOTE_ADDR="10.2.2.2").status_code == 200
    assert client.post("/f/contact-us/", data, REMOTE_ADDR="10.2.2.2").status_code == 429
    assert Lead.objects.count() == 2


def test_unknown_form_is_404(db):
    assert Client().get("/f/nope/").status_code == 404


def test_board_move_and_permissions(web_for, users, funnel):
    deal = make_deal(by=users.rep_a, funnel=funnel, amount_minor=5000)
    moved = web_for(users.rep_a).post(
        f"/deals/{deal.pk}/move/?pipeline={funnel.pipeline.pk}",
        {"stage_id": funnel.proposal.pk},
        HTTP_HX_REQUEST="true",
    )
    assert moved.status_code == 200
    assert b'id="board"' in moved.content
    assert Deal.objects.get(pk=deal.pk).stage_id == funnel.proposal.pk
    refused = web_for(users.rep_b).post(
        f"/deals/{deal.pk}/move/", {"stage_id": funnel.won.pk}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage_id == funnel.proposal.pk
    assert web_for(users.rep_b).get(f"/deals/{deal.pk}/").status_code == 404
    board = web_for(users.rep_b).get("/deals/").content.decode()
    assert deal.name not in board or "data-deal-id" not in board


def test_lead_convert_page(web_for, users, funnel):
    lead = services.lead_create(
        by=users.rep_a, full_name="Ann", email="ann@acme.vn", company_name="Acme"
    )
    response = web_for(users.rep_a).post(
        f"/leads/{lead.pk}/convert/",
        {"create_deal": "on", "deal_name": "Acme deal", "pipeline_id": funnel.pipeline.pk,
         "amount": "1,500.00", "currency": "USD"},
    )  # fmt: skip
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert response.status_code == 302 and response.url == f"/deals/{lead.deal_id}/"
    assert lead.deal.amount_minor == 150000


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_board_and_list_query_counts_fixed(web_for, users, funnel, settings):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    client = web_for(users.rep_a)
    counts = {}
    for size in (2, 12):
        while Deal.objects.count() < size:
            n = Deal.objects.count()
            deal = make_deal(by=users.rep_a, funnel=funnel, name=f"D{n}", amount_minor=n)
            if n % 3 == 0:
                services.deal_move(by=users.rep_a, deal_id=deal.pk, stage_id=funnel.proposal.pk)
            services.lead_create(by=users.rep_a, full_name=f"L{n}")
            services.order_create(
                by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)]
            )
        settings.KITH_SALES_BOARD_COLUMN = 3
        counts[size] = [
            _queries(client, url)
            for url in ("/deals/", "/deals/list/", "/leads/", "/orders/",
                        f"/orders/?contact={contact.pk}", "/products/")
        ]  # fmt: skip
    assert counts[2] == counts[12]
    assert max(counts[12]) <= 14


def test_rep_b_gets_404_for_team_a_records(web_for, users, funnel):
    contact = make_contact(by=users.rep_a, full_name="Ann")
    tea = make_product(by=users.admin, sku="TEA")
    order = services.order_create(
        by=users.rep_a, contact_id=contact.pk, lines=[LineInput(tea.pk, 1)]
    )
    lead = services.lead_create(by=users.rep_a, full_name="Lead A")
    client = web_for(users.rep_b)
    for url in (f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/", f"/orders/{order.pk}/",
                f"/orders/?contact={contact.pk}"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(f"/leads/{lead.pk}/convert/", {}).status_code == 404
    assert "Lead A" not in client.get("/leads/").content.decode()
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_deal_form_links_company_contacts_and_products(web_for, users, funnel):
    from tests.factories import make_company

    acme = make_company(by=users.rep_a, name="Acme Tea")
    ann = make_contact(by=users.rep_a, full_name="Ann Le")
    bob = make_contact(by=users.rep_a, full_name="Bob Tran")
    hidden = make_contact(by=users.rep_b, full_name="Hidden Person")
    tea = make_product(by=users.admin, sku="TEA", name="Green tea")
    cup = make_product(by=users.admin, sku="CUP", name="Cup")
    client = web_for(users.rep_a)
    # The pickers: search results add chips; a contact of another team is not offered.
    found = client.get("/deals/pick/contact/", {"q": "Tran"}).content.decode()
    assert f"/deals/pick/contact/{bob.pk}/" in found and "Ann Le" not in found
    assert "Hidden" not in client.get("/deals/pick/contact/", {"q": "Hidden"}).content.decode()
    assert client.get(f"/deals/pick/contact/{hidden.pk}/").status_code == 404
    chip = client.get(f"/deals/pick/product/{tea.pk}/").content.decode()
    assert f'name="product_ids" value="{tea.pk}" checked' in chip
    assert "Green tea" in client.get("/deals/pick/product/", {"q": "green"}).content.decode()
    response = client.post(
        "/deals/new/",
        {"name": "Tea for Acme", "pipeline_id": funnel.pipeline.pk, "amount": "1,200.50",
         "currency": "USD", "owner_id": users.rep_a.pk, "company_id": acme.pk,
         "contact_ids": [ann.pk, bob.pk], "product_ids": [tea.pk, cup.pk]},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(name="Tea for Acme")
    assert deal.company_id == acme.pk and deal.amount_minor == 120050
    assert set(deal.contacts.values_list("pk", flat=True)) == {ann.pk, bob.pk}
    assert set(deal.products.values_list("pk", flat=True)) == {tea.pk, cup.pk}
    # The edit form shows them chosen; unchecking Bob and the cup removes them.
    page = client.get(f"/deals/{deal.pk}/edit/").content.decode()
    assert "Ann Le" in page and "Bob Tran" in page and "Acme Tea" in page and "Cup" in page
    response = client.post(
        f"/deals/{deal.pk}/edit/",
        {"name": "Tea for Acme", "amount": "1200.50", "currency": "USD",
         "owner_id": users.rep_a.pk, "company_id": acme.pk, "contact_ids": [ann.pk],
         "product_ids": [tea.pk], "version": deal.version},
    )  # fmt: skip
    assert response.status_code == 302
    assert list(deal.contacts.values_list("pk", flat=True)) == [ann.pk]
    assert list(deal.products.values_list("pk", flat=True)) == [tea.pk]
    # A contact the user cannot see is refused, and the form keeps what was chosen.
    response = client.post(
        "/deals/new/",
        {"name": "Sneaky", "pipeline_id": funnel.pipeline.pk, "currency": "USD",
         "owner_id": users.rep_a.pk, "contact_ids": [ann.pk, hidden.pk]},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "not visible to you" in html and "Ann Le" in html and "Hidden" not in html


def test_deal_and_lead_pages_carry_the_activity_panel(web_for, users, funnel):
    from django.urls import reverse

    deal = make_deal(by=users.rep_a, funnel=funnel, name="Tea")
    lead = services.lead_create(by=users.rep_a, full_name="Lead One")
    client = web_for(users.rep_a)
    for page, model, pk in ((f"/deals/{deal.pk}/", "sales.deal", deal.pk),
                            (f"/leads/{lead.pk}/", "sales.lead", lead.pk)):  # fmt: skip
        panel = reverse("record-activity", args=[model, pk])
        assert panel in client.get(page).content.decode()
        assert client.get(panel).status_code == 200
        assert web_for(users.rep_b).get(panel).status_code == 404


def test_admin_edits_pipeline_stages_in_the_ui(web_for, users, funnel):
    from kith.sales.models import Stage

    f = funnel
    make_deal(by=users.rep_a, funnel=f, name="Busy")
    url = f"/deals/pipelines/{f.pipeline.pk}/edit/"
    assert web_for(users.rep_a).get(url).status_code == 403
    client = web_for(users.admin)
    page = client.get(url).content.decode()
    assert 'name="stages-TOTAL_FORMS" value="7"' in page and "Negotiation" in page
    stages = [f.qualify, f.proposal, f.negotiation, f.won, f.lost]
    data = {"name": "Sales 2027", "currency": "usd", "stages-TOTAL_FORMS": "7",
            "stages-INITIAL_FORMS": "5", "stages-MIN_NUM_FORMS": "0", "stages-MAX_NUM_FORMS": "1000"}  # fmt: skip
    order = {f.qualify.pk: 1, f.proposal.pk: 4, f.negotiation.pk: 2, f.won.pk: 5, f.lost.pk: 6}
    for i, stage in enumerate(stages):
        data |= {f"stages-{i}-id": stage.pk, f"stages-{i}-name": stage.name,
                 f"stages-{i}-probability": stage.probability, f"stages-{i}-outcome": stage.outcome,
                 f"stages-{i}-ORDER": order[stage.pk]}  # fmt: skip
    data |= {"stages-0-name": "Qualified", "stages-2-probability": "60"}
    data |= {"stages-5-name": "On hold", "stages-5-probability": "5", "stages-5-outcome": "open",
             "stages-5-ORDER": "3"}  # fmt: skip
    # Deleting the stage that holds the deal is refused, with the reason on the page.
    response = client.post(url, data | {"stages-0-DELETE": "on"})
    html = response.content.decode()
    assert response.status_code == 200 and "still has deals" in html, html[html.find("<main") :][
        :3000
    ]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    names = list(
        Stage.objects.filter(pipeline=f.pipeline)
        .order_by("position")
        .values_list("name", "probability")
    )
    assert names == [("Qualified", 10), ("Negotiation", 60), ("On hold", 5), ("Proposal", 50),
                     ("Won", 100), ("Lost", 0)]  # fmt: skip


def test_order_form_takes_several_lines(web_for, users):
    from kith.sales.models import Order

    ann = make_contact(by=users.rep_a, full_name="Ann Le")
    tea = make_product(by=users.admin, sku="TEA", name="Green tea", price_minor=450)
    cup = make_product(by=users.admin, sku="CUP", name="Cup", price_minor=1200)
    client = web_for(users.rep_a)
    page = client.get(f"/orders/new/?contact={ann.pk}").content.decode()
    assert f'<option value="{ann.pk}" selected>Ann Le</option>' in page
    assert page.count('name="line_product"') == 3
    row = client.get("/orders/new/line/").content.decode()
    assert row.count('name="line_product"') == 1 and "Green tea" in row
    base = {"contact_id": ann.pk, "status": "paid", "channel": "phone", "currency": "USD",
            "number": "A-1"}  # fmt: skip
    # A bad quantity is shown on its own row; nothing is stored.
    response = client.post(
        "/orders/new/",
        base | {"line_product": [tea.pk, cup.pk], "line_quantity": ["2", "0"],
                "line_price": ["", ""]},
    )  # fmt: skip
    assert response.status_code == 200 and Order.objects.count() == 0
    html = response.content.decode()
    assert "The quantity must be at least 1." in html and html.count('class="has-error"') == 1
    response = client.post(
        "/orders/new/",
        base | {"line_product": [tea.pk, "", cup.pk, tea.pk],
                "line_quantity": ["2", "1", "1", "1"], "line_price": ["", "", "10.50", ""]},
    )  # fmt: skip
    assert response.status_code == 302
    order = Order.objects.get()
    assert sorted(order.lines.values_list("product_id", "quantity", "unit_price_minor")) == sorted(
        [(tea.pk, 2, 450), (cup.pk, 1, 1050), (tea.pk, 1, 450)]
    )
    assert order.total_minor == 2 * 450 + 1050 + 450
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "10.50 USD" in detail and "9.00 USD" in detail


def test_admin_deletes_an_empty_pipeline(web_for, users, funnel):
    from tests.sales.factories import make_pipeline

    make_deal(by=users.rep_a, funnel=funnel)
    empty = make_pipeline(by=users.admin, name="Empty")
    client = web_for(users.admin)
    assert (
        web_for(users.rep_a).post(f"/deals/pipelines/{empty.pipeline.pk}/delete/").status_code
        == 403
    )
    busy = client.post(f"/deals/pipelines/{funnel.pipeline.pk}/delete/", follow=True)
    assert "still has deals" in busy.content.decode()
    response = client.post(f"/deals/pipelines/{empty.pipeline.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/deals/pipelines/"
    assert "Empty" not in client.get("/deals/pipelines/").content.decode()


def test_edit_forms_carry_the_version_and_an_edit_without_it_saves_nothing(web_for, users, funnel):
    client = web_for(users.rep_a)
    lead = services.lead_create(by=users.rep_a, full_name="Ann")
    deal = make_deal(by=users.rep_a, funnel=funnel)
    for url in (f"/leads/{lead.pk}/edit/", f"/deals/{deal.pk}/edit/"):
        page = client.get(url).content.decode()
        assert 'name="version" value="1"' in page, url
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {"full_name": "Ann B", "source_channel": "api", "status": "new",
         "owner_id": users.rep_a.pk},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Send the version" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).full_name == "Ann"
    response = client.post(
        f"/deals/{deal.pk}/edit/",
        {"name": "Renamed", "amount": "0", "currency": "USD", "owner_id": users.rep_a.pk},
    )
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).name == "Deal"
