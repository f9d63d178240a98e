"""The companies and search endpoints of API v1."""

from __future__ import annotations

from kith.customers import services
from kith.customers.models import Company

URL = "/api/v1/companies"


def test_company_round_trip(rep_a_api, users, teams):
    parent = services.company_create(by=users.rep_a, name="Acme Holdings")

    created = rep_a_api.post(
        URL,
        {
            "name": "Acme Retail",
            "domain": "retail.acme.example",
            "industry": "Retail",
            "size": "50-249",
            "parent_id": parent.pk,
            "tags": ["key-account"],
        },
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Acme Retail"
    assert body["domain"] == "retail.acme.example"
    assert body["industry"] == "Retail"
    assert body["size"] == "50-249"
    assert body["parent"] == {"id": parent.pk, "name": "Acme Holdings"}
    assert body["tags"] == ["key-account"]
    assert body["owner"] == {"id": users.rep_a.pk, "name": "Ann"}
    assert body["team"] == {"id": teams.a.pk, "name": "Team A"}
    assert body["version"] == 1
    assert rep_a_api.get(f"{URL}/{body['id']}").json() == body

    patched = rep_a_api.patch(
        f"{URL}/{body['id']}",
        {"version": 1, "industry": "E-commerce", "parent_id": None},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["industry"] == "E-commerce"
    assert patched.json()["parent"] is None
    assert patched.json()["version"] == 2
    assert patched.json()["domain"] == "retail.acme.example"

    stale = rep_a_api.patch(
        f"{URL}/{body['id']}", {"version": 1, "name": "Old"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert Company.objects.get(pk=body["id"]).name == "Acme Retail"


def test_company_list_filters_and_pages(api_for, users):
    for i in range(7):
        services.company_create(
            by=users.rep_a, name=f"Firm {i}", industry="Retail" if i % 2 else "Energy"
        )
    api = api_for(users.manager)

    retail = api.get(URL, {"industry": "Retail", "limit": 200}).json()
    assert [c["name"] for c in retail["items"]] == ["Firm 1", "Firm 3", "Firm 5"]

    seen: list[str] = []
    cursor = None
    while True:
        body = api.get(URL, {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["name"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Firm {i}" for i in range(7)]


def test_manager_deletes_company(api_for, users):
    company = services.company_create(by=users.rep_a, name="Short Lived")

    response = api_for(users.manager).delete(f"{URL}/{company.pk}")

    assert response.status_code == 204
    assert not Company.objects.filter(pk=company.pk).exists()


def test_rep_cannot_reach_another_teams_company(api_for, users):
    theirs = services.company_create(by=users.rep_b, name="Hidden Industries")
    api = api_for(users.rep_a)

    assert api.get(f"{URL}/{theirs.pk}").status_code == 404
    patch = api.patch(
        f"{URL}/{theirs.pk}", {"version": 1, "name": "Mine now"}, content_type="application/json"
    )
    assert patch.status_code == 404
    assert api.delete(f"{URL}/{theirs.pk}").status_code == 404
    assert api.get(URL).json()["items"] == []
    assert api.get("/api/v1/search", {"q": "Hidden"}).json()["companies"] == []
    theirs.refresh_from_db()
    assert (theirs.name, theirs.version) == ("Hidden Industries", 1)


def test_search_returns_contacts_and_companies(rep_a_api, users):
    company = services.company_create(
        by=users.rep_a, name="Northwind Traders", domain="northwind.example"
    )
    contact = services.contact_create(
        by=users.rep_a,
        full_name="Nora Northwind",
        emails=["nora@northwind.example"],
        company_id=company.pk,
    )

    response = rep_a_api.get("/api/v1/search", {"q": "northwind"})

    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["contacts"]] == [contact.pk]
    assert body["contacts"][0]["primary_email"] == "nora@northwind.example"
    assert body["contacts"][0]["company"] == {"id": company.pk, "name": "Northwind Traders"}
    assert [c["id"] for c in body["companies"]] == [company.pk]
    assert body["companies"][0]["domain"] == "northwind.example"


def test_search_requires_a_query(rep_a_api):
    response = rep_a_api.get("/api/v1/search")

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"q"}
