"""Every page renders for a user allowed to see it; sign-in and sign-out work."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("contact-list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/contacts/"


def test_login_page_renders_and_signs_in(client, users):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post(reverse("login"), {"username": "rep_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == users.rep_a


def test_wrong_password_shows_an_error(client, users):
    response = client.post(reverse("login"), {"username": "rep_a", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_logout_is_a_post_and_ends_the_session(web_for, users):
    client = web_for(users.rep_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("name", "kwargs_of"),
    [
        ("home", None),
        ("contact-list", None),
        ("contact-create", None),
        ("contact-detail", "contact"),
        ("contact-edit", "contact"),
        ("contact-delete", "contact"),
        ("company-list", None),
        ("company-create", None),
        ("company-detail", "company"),
        ("company-edit", "company"),
        ("company-delete", "company"),
        ("company-options", None),
        ("search", None),
        ("search-live", None),
        ("account", None),
        ("password-change", None),
    ],
)
def test_every_page_renders_for_a_manager(web_for, users, records, name, kwargs_of):
    kwargs = {
        None: {},
        "contact": {"contact_id": records.contact_a.pk},
        "company": {"company_id": records.company_a.pk},
    }[kwargs_of]
    response = web_for(users.manager).get(reverse(name, kwargs=kwargs), {"q": "王伟"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_base_layout_has_modules_search_and_user_menu(web_for, users):
    html = web_for(users.rep_a).get(reverse("home")).content.decode()
    # Modules whose pages exist are links (every module has its pages now).
    assert 'title="Coming soon"' not in html
    assert f'<a href="{reverse("campaign-list")}">Campaigns</a>' in html
    assert f'<a href="{reverse("contact-list")}">Contacts</a>' in html
    assert f'<a href="{reverse("insights-dashboard")}">Insights</a>' in html
    assert f'<a href="{reverse("deal-board")}">Deals</a>' in html
    assert 'id="global-search"' in html
    assert 'hx-get="/search/live/"' in html
    assert "Sign out" in html
    assert "Ann" in html  # rep_a's name in the user menu


def test_contact_detail_shows_everything(web_for, users, records):
    from kith.customers import services

    services.consent_record(
        by=users.rep_a,
        contact_id=records.contact_a.pk,
        channel="email",
        purpose="newsletter",
        status="granted",
        source="web form",
    )
    other = services.contact_create(by=users.rep_a, full_name="李娜")
    services.relationship_create(
        by=users.rep_a, from_contact_id=other.pk, to_contact_id=records.contact_a.pk, kind="spouse"
    )
    response = web_for(users.rep_a).get(
        reverse("contact-detail", kwargs={"contact_id": records.contact_a.pk})
    )
    html = response.content.decode()
    assert "<h1>王伟明</h1>" in html
    assert "wang.weiming@example.cn" in html
    assert "+8613800138000" in html
    assert "Hoa Sen Trading" in html
    assert ">vip</span>" in html
    assert "Newsletter" in html and "Granted" in html
    assert "李娜" in html and "spouse of" in html
    # History is shown once, in the timeline panel (main column), not as a card (#17).
    assert 'class="history"' not in html
    assert html.index("data-contact-main") < html.index("data-contact-side")


def test_company_detail_lists_contacts_and_subsidiaries(web_for, users, records):
    from kith.customers import services

    services.company_create(by=users.rep_a, name="Hoa Sen Đà Nẵng", parent_id=records.company_a.pk)
    response = web_for(users.rep_a).get(
        reverse("company-detail", kwargs={"company_id": records.company_a.pk})
    )
    assert [c.full_name for c in response.context["contacts"]] == ["王伟明"]
    assert [c.name for c in response.context["subsidiaries"]] == ["Hoa Sen Đà Nẵng"]
    assert "hoasen.vn" in response.content.decode()


def test_search_live_and_full_page(web_for, users, records):
    client = web_for(users.rep_a)
    live = client.get(reverse("search-live"), {"q": "王伟"}, headers={"HX-Request": "true"})
    assert "<html" not in live.content.decode()
    assert f'href="/contacts/{records.contact_a.pk}/"' in live.content.decode()
    full = client.get(reverse("search"), {"q": "Hoa Sen"})
    assert [c.name for c in full.context["results"].companies] == ["Hoa Sen Trading"]
    assert [c.full_name for c in full.context["results"].contacts] == ["王伟明"]


def test_search_with_empty_query_renders_the_search_form(web_for, users):
    response = web_for(users.rep_a).get(reverse("search"))
    assert response.status_code == 200
    assert response.context["results"] is None
    assert b'id="search-page-q"' in response.content


def test_company_options_for_the_picker(web_for, users, records):
    response = web_for(users.rep_a).get(reverse("company-options"), {"q": "hoa"})
    html = response.content.decode()
    # A match is offered, never chosen for the user (#17: it silently became the company).
    assert f'<option value="{records.company_a.pk}">Hoa Sen Trading (hoasen.vn)</option>' in html
    assert "selected" not in html
    assert '<option value="">— choose one of the matches —</option>' in html
    assert "Bắc Giang" not in html  # team B's company


def test_unknown_page_is_our_404(web_for, users):
    response = web_for(users.rep_a).get("/no-such-page/")
    assert response.status_code == 404
    assert b"This page does not exist, or you do not have access to it." in response.content
