"""Companies in the browser UI: create, edit, stale edit, delete, list."""

from __future__ import annotations

from django.urls import reverse

from kith.customers import services
from kith.customers.models import Company, Contact

STALE = "This company was changed by someone else since you opened it; reload to see their changes."


def edit_data(company: Company, **overrides) -> dict:
    company = Company.objects.get(pk=company.pk)
    data = {
        "version": company.version,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "parent": company.parent_id or "",
        "owner": company.owner_id,
        "tags": ", ".join(company.tags.values_list("name", flat=True)),
    }
    data.update(overrides)
    return data


def test_create_company_with_parent(web_for, users, records):
    response = web_for(users.rep_a).post(
        reverse("company-create"),
        {
            "name": "Hoa Sen Sài Gòn",
            "domain": "https://www.HoaSen-SG.vn/about",
            "industry": "Retail",
            "size": "50-249",
            "parent": records.company_a.pk,
            "owner": users.rep_a.pk,
            "tags": "south",
        },
    )
    company = Company.objects.get(name="Hoa Sen Sài Gòn")
    assert response["Location"] == reverse("company-detail", kwargs={"company_id": company.pk})
    assert (company.domain, company.size, company.parent) == (
        "hoasen-sg.vn",
        "50-249",
        records.company_a,
    )
    assert list(company.tags.values_list("name", flat=True)) == ["south"]


def test_bad_domain_and_hidden_parent_are_field_errors(web_for, users, records):
    response = web_for(users.rep_a).post(
        reverse("company-create"),
        {"name": "X", "domain": "not a domain", "parent": records.company_b.pk},
    )
    errors = response.context["form"].errors
    assert errors == {
        "domain": ["“not a domain” is not a valid domain."],
        "parent": ["This company does not exist or is not visible to you."],
    }


def test_edit_company_and_history(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("company-edit", kwargs={"company_id": records.company_a.pk})
    response = client.post(url, edit_data(records.company_a, industry="Wholesale"))
    assert response.status_code == 302
    records.company_a.refresh_from_db()
    assert records.company_a.industry == "Wholesale"
    detail = client.get(response["Location"]).content.decode()
    assert '<span class="change-field">Industry</span>' in detail
    assert "<ins>Wholesale</ins>" in detail


def test_company_stale_edit(web_for, users, records):
    client = web_for(users.rep_a)
    opened = edit_data(records.company_a)
    services.company_update(
        by=users.rep_a2, company_id=records.company_a.pk, version=1, industry="Food"
    )
    response = client.post(
        reverse("company-edit", kwargs={"company_id": records.company_a.pk}),
        {**opened, "industry": "Mine"},
    )
    assert response.status_code == 409
    assert STALE in response.content.decode()
    records.company_a.refresh_from_db()
    assert records.company_a.industry == "Food"


def test_delete_company_keeps_its_contacts(web_for, users, records):
    response = web_for(users.manager).post(
        reverse("company-delete", kwargs={"company_id": records.company_a.pk})
    )
    assert response["Location"] == reverse("company-list")
    assert not Company.objects.filter(pk=records.company_a.pk).exists()
    assert Contact.objects.get(pk=records.contact_a.pk).company_id is None


def test_company_list_filters_and_sorts(web_for, users, records):
    services.company_create(by=users.rep_a, name="Alpha Foods", industry="Food")
    services.company_create(by=users.rep_a, name="Zeta Foods", industry="Food")
    client = web_for(users.manager)

    def names(**params):
        return [c.name for c in client.get(reverse("company-list"), params).context["companies"]]

    assert names() == ["Alpha Foods", "Bắc Giang Logistics", "Hoa Sen Trading", "Zeta Foods"]
    assert names(sort="-name") == [
        "Zeta Foods",
        "Hoa Sen Trading",
        "Bắc Giang Logistics",
        "Alpha Foods",
    ]
    assert names(industry="Food") == ["Alpha Foods", "Zeta Foods"]
    assert names(team=users.rep_b.team_id) == ["Bắc Giang Logistics"]
    assert names(q="foods", sort="-created") == ["Zeta Foods", "Alpha Foods"]


def test_company_page_links_to_all_its_contacts_when_there_are_many(web_for, users, records):
    from kith.customers.selectors import COMPANY_CONTACTS_SHOWN

    for i in range(COMPANY_CONTACTS_SHOWN):
        services.contact_create(
            by=users.rep_a, full_name=f"Nhân viên {i:02d}", company_id=records.company_a.pk
        )
    response = web_for(users.rep_a).get(
        reverse("company-detail", kwargs={"company_id": records.company_a.pk})
    )
    assert len(response.context["contacts"]) == COMPANY_CONTACTS_SHOWN
    assert response.context["contacts_more"] is True
    assert (
        f'href="/contacts/?company={records.company_a.pk}">See them all</a>'
        in response.content.decode()
    )
