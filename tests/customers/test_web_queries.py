"""List pages cost the same number of queries for 5 rows as for 50."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kith.customers import services


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def add_contacts(user, company, start, count):
    for i in range(start, start + count):
        services.contact_create(
            by=user,
            full_name=f"Khách hàng {i:03d}",
            company_id=company.pk,
            emails=[f"kh{i}@example.vn"],
            phones=[f"+84 912 000 {i:03d}"],
            tags=["vip", f"batch-{i % 3}"],
            addresses=[{"line1": f"{i} Lê Lợi", "city": "Huế"}],
        )


def test_contact_list_queries_do_not_grow_with_rows(web_for, users):
    company = services.company_create(by=users.rep_a, name="Hoa Sen")
    client = web_for(users.rep_a)
    add_contacts(users.rep_a, company, 0, 5)
    client.get(reverse("contact-list"))  # warm the session
    five = queries_for(client, reverse("contact-list"))
    add_contacts(users.rep_a, company, 5, 45)
    fifty = queries_for(client, reverse("contact-list"))
    assert len(client.get(reverse("contact-list")).context["contacts"]) == 50
    assert five == fifty


def test_company_list_queries_do_not_grow_with_rows(web_for, users):
    client = web_for(users.rep_a)
    parent = services.company_create(by=users.rep_a, name="Parent Group")
    for i in range(4):
        services.company_create(
            by=users.rep_a, name=f"Công ty {i:03d}", tags=["a", "b"], parent_id=parent.pk
        )
    client.get(reverse("company-list"))
    five = queries_for(client, reverse("company-list"))
    for i in range(4, 49):
        services.company_create(
            by=users.rep_a, name=f"Công ty {i:03d}", tags=["a", "b"], parent_id=parent.pk
        )
    fifty = queries_for(client, reverse("company-list"))
    assert len(client.get(reverse("company-list")).context["companies"]) == 50
    assert five == fifty
