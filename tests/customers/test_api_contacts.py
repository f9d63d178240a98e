"""The contacts endpoints of API v1, against a real database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kith.customers import services
from kith.customers.models import Contact

URL = "/api/v1/contacts"


def contact_url(contact_id: int) -> str:
    return f"{URL}/{contact_id}"


def names(response) -> list[str]:
    return [item["full_name"] for item in response.json()["items"]]


def test_contact_round_trip_create_read_update_delete(rep_a_api, api_for, users, teams):
    acme = services.company_create(by=users.rep_a, name="Acme Ltd")

    created = rep_a_api.post(
        URL,
        {
            "full_name": "Jane Doe",
            "title": "Buyer",
            "company_id": acme.pk,
            "lifecycle_stage": "customer",
            "emails": [
                {"value": "Jane.Doe@Example.com", "label": "work"},
                {"value": "jane@home.example", "label": "home"},
            ],
            "phones": [{"value": "+44 20 7946 0958", "label": "mobile"}],
            "socials": [{"value": "@janedoe", "label": "x"}],
            "tags": ["vip"],
            "addresses": [{"kind": "work", "line1": "1 High St", "city": "Leeds", "country": "gb"}],
        },
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    contact_id = body["id"]
    assert body["full_name"] == "Jane Doe"
    assert body["title"] == "Buyer"
    assert body["emails"] == [
        {"value": "jane.doe@example.com", "label": "work", "is_primary": True},
        {"value": "jane@home.example", "label": "home", "is_primary": False},
    ]
    assert body["phones"] == [{"value": "+442079460958", "label": "mobile", "is_primary": True}]
    assert len(body["socials"]) == 1
    assert body["socials"][0]["label"] == "x"
    assert body["addresses"] == [
        {
            "kind": "work",
            "line1": "1 High St",
            "line2": "",
            "city": "Leeds",
            "region": "",
            "postal_code": "",
            "country": "GB",
        }
    ]
    assert body["tags"] == ["vip"]
    assert body["company"] == {"id": acme.pk, "name": "Acme Ltd"}
    assert body["owner"] == {"id": users.rep_a.pk, "name": "Ann"}
    assert body["team"] == {"id": teams.a.pk, "name": "Team A"}
    assert body["lifecycle_stage"] == "customer"
    assert body["source_channel"] == "api"
    assert body["version"] == 1

    fetched = rep_a_api.get(contact_url(contact_id))
    assert fetched.status_code == 200
    assert fetched.json() == body

    patched = rep_a_api.patch(
        contact_url(contact_id),
        {"version": 1, "title": "Head of Buying", "tags": ["vip", "board"], "company_id": None},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    after = patched.json()
    assert after["title"] == "Head of Buying"
    assert after["tags"] == ["board", "vip"]
    assert after["company"] is None
    assert after["version"] == 2
    # Fields not sent are untouched.
    assert after["emails"] == body["emails"]
    assert after["full_name"] == "Jane Doe"

    # Sales reps may not delete; their manager may.
    deleted = api_for(users.manager).delete(contact_url(contact_id))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert rep_a_api.get(contact_url(contact_id)).status_code == 404
    assert not Contact.objects.filter(pk=contact_id).exists()


def test_bad_email_is_422_naming_the_list_item(rep_a_api):
    response = rep_a_api.post(
        URL,
        {"full_name": "Bad Mail", "emails": [{"value": "not-an-email"}]},
        content_type="application/json",
    )

    assert response.status_code == 422
    body = response.json()
    assert list(body["errors"]) == ["emails.0"]
    assert "emails.0" in body["detail"]
    assert not Contact.objects.filter(full_name="Bad Mail").exists()


def test_schema_errors_are_422_with_field_paths(rep_a_api):
    missing_value = rep_a_api.post(
        URL,
        {"full_name": "X", "phones": [{"label": "mobile"}], "company_id": "acme"},
        content_type="application/json",
    )
    assert missing_value.status_code == 422
    assert set(missing_value.json()["errors"]) == {"phones.0.value", "company_id"}

    too_many = rep_a_api.get(URL, {"limit": 201})
    assert too_many.status_code == 422
    assert set(too_many.json()["errors"]) == {"limit"}

    bad_sort = rep_a_api.get(URL, {"sort": "email"})
    assert bad_sort.status_code == 422
    assert set(bad_sort.json()["errors"]) == {"sort"}

    bad_cursor = rep_a_api.get(URL, {"cursor": "not a cursor"})
    assert bad_cursor.status_code == 422
    assert set(bad_cursor.json()["errors"]) == {"cursor"}


def test_patch_without_version_is_422(rep_a_api, users):
    contact = services.contact_create(by=users.rep_a, full_name="No Version")

    response = rep_a_api.patch(
        contact_url(contact.pk), {"title": "CEO"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"version"}

    null_title = rep_a_api.patch(
        contact_url(contact.pk), {"version": 1, "title": None}, content_type="application/json"
    )
    assert null_title.status_code == 422
    assert set(null_title.json()["errors"]) == {"title"}
    contact.refresh_from_db()
    assert contact.version == 1


def test_stale_patch_is_409_and_changes_nothing(rep_a_api, users):
    contact = services.contact_create(by=users.rep_a, full_name="Sam Stale", title="Analyst")
    services.contact_update(by=users.rep_a, contact_id=contact.pk, version=1, title="Lead Analyst")

    response = rep_a_api.patch(
        contact_url(contact.pk),
        {"version": 1, "title": "Intern", "full_name": "Samuel Stale"},
        content_type="application/json",
    )

    assert response.status_code == 409
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    contact.refresh_from_db()
    assert (contact.title, contact.full_name, contact.version) == ("Lead Analyst", "Sam Stale", 2)


def test_rep_cannot_reach_another_teams_contact(api_for, users):
    theirs = services.contact_create(
        by=users.rep_b, full_name="Zebulon Hidden", emails=["zeb@hidden.example"]
    )
    mine = services.contact_create(by=users.rep_a, full_name="Zebulon Visible")
    api = api_for(users.rep_a)
    missing_id = Contact.objects.order_by("-pk").first().pk + 1000
    not_found = api.get(contact_url(missing_id)).json()

    assert api.get(contact_url(theirs.pk)).status_code == 404
    assert api.get(contact_url(theirs.pk)).json() == not_found
    patch = api.patch(
        contact_url(theirs.pk),
        {"version": 1, "full_name": "Hijacked"},
        content_type="application/json",
    )
    assert patch.status_code == 404
    assert patch.json() == not_found
    delete = api.delete(contact_url(theirs.pk))
    assert delete.status_code == 404
    assert delete.json() == not_found

    theirs.refresh_from_db()
    assert (theirs.full_name, theirs.version) == ("Zebulon Hidden", 1)

    listed = api.get(URL, {"limit": 200})
    assert [item["id"] for item in listed.json()["items"]] == [mine.pk]
    assert api.get(URL, {"q": "Zebulon"}).json()["items"][0]["id"] == mine.pk
    assert len(api.get(URL, {"q": "Zebulon"}).json()["items"]) == 1
    search = api.get("/api/v1/search", {"q": "Zebulon"}).json()
    assert [hit["id"] for hit in search["contacts"]] == [mine.pk]
    assert api.get("/api/v1/search", {"q": "zeb@hidden.example"}).json()["contacts"] == []


def test_rep_without_delete_right_gets_403(rep_a_api, users):
    contact = services.contact_create(by=users.rep_a, full_name="Kept Contact")

    response = rep_a_api.delete(contact_url(contact.pk))

    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.fixture
def directory(users):
    """Contacts of both teams with distinct stages, tags, companies and custom values."""
    services.custom_field_create(
        by=users.admin,
        model="customers.contact",
        key="tier",
        label="Tier",
        kind="choice",
        choices=["gold", "silver"],
    )
    acme = services.company_create(by=users.rep_a, name="Acme")
    globex = services.company_create(by=users.rep_b, name="Globex")
    make = services.contact_create
    return {
        "acme": acme,
        "globex": globex,
        "ada": make(
            by=users.rep_a,
            full_name="Ada Lovelace",
            company_id=acme.pk,
            lifecycle_stage="customer",
            tags=["vip"],
            custom={"tier": "gold"},
        ),
        "alan": make(
            by=users.rep_a,
            full_name="Alan Turing",
            lifecycle_stage="lead",
            custom={"tier": "silver"},
        ),
        "grace": make(
            by=users.rep_b,
            full_name="Grace Hopper",
            company_id=globex.pk,
            lifecycle_stage="customer",
            tags=["vip"],
        ),
        "edsger": make(by=users.rep_b, full_name="Edsger Dijkstra", lifecycle_stage="churned"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Ada Lovelace", "Alan Turing", "Edsger Dijkstra", "Grace Hopper"]),
        ({"q": "turing"}, ["Alan Turing"]),
        ({"stage": "customer"}, ["Ada Lovelace", "Grace Hopper"]),
        ({"tag": "vip"}, ["Ada Lovelace", "Grace Hopper"]),
        ({"tag": "vip", "stage": "customer", "q": "grace"}, ["Grace Hopper"]),
        ({"cf_tier": "gold"}, ["Ada Lovelace"]),
        ({"cf_tier": "silver"}, ["Alan Turing"]),
        ({"sort": "-name"}, ["Grace Hopper", "Edsger Dijkstra", "Alan Turing", "Ada Lovelace"]),
    ],
)
def test_list_filters(api_for, users, directory, params, expected):
    response = api_for(users.manager).get(URL, params)

    assert response.status_code == 200, response.content
    assert names(response) == expected


def test_list_filters_by_ids(api_for, users, teams, directory):
    api = api_for(users.manager)

    assert names(api.get(URL, {"company_id": directory["acme"].pk})) == ["Ada Lovelace"]
    assert names(api.get(URL, {"owner_id": users.rep_b.pk})) == ["Edsger Dijkstra", "Grace Hopper"]
    assert names(api.get(URL, {"team_id": teams.a.pk})) == ["Ada Lovelace", "Alan Turing"]


def test_unknown_custom_field_filter_is_422(api_for, users, directory):
    response = api_for(users.manager).get(URL, {"cf_nope": "x"})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"custom.nope"}


def test_rep_filters_only_within_scope(api_for, users, directory):
    api = api_for(users.rep_a)

    assert names(api.get(URL, {"tag": "vip"})) == ["Ada Lovelace"]
    assert names(api.get(URL, {"owner_id": users.rep_b.pk})) == []


def walk(api, params: dict, *, limit: int) -> tuple[list[int], str | None]:
    """Follow next_cursor from the first page to the last; returns the ids and the last page's
    prev_cursor."""
    ids: list[int] = []
    cursor = None
    prev = None
    for _page in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = api.get(URL, query).json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        prev = body["prev_cursor"]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, prev
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_cursor_pagination_walks_every_contact_once(api_for, users, sort):
    # Duplicate names make the id tie-break matter.
    for i in range(13):
        services.contact_create(by=users.rep_a, full_name=f"Person {i % 4}")
    api = api_for(users.rep_a)
    everything = [item["id"] for item in api.get(URL, {"sort": sort, "limit": 200}).json()["items"]]
    assert len(everything) == 13

    forward, last_prev = walk(api, {"sort": sort}, limit=5)

    assert forward == everything
    # And back again from the last page via prev_cursor.
    backward: list[int] = []
    cursor = last_prev
    while cursor:
        body = api.get(URL, {"sort": sort, "limit": 5, "cursor": cursor}).json()
        backward = [item["id"] for item in body["items"]] + backward
        cursor = body["prev_cursor"]
    assert backward == everything[:10]


def test_search_pages_newest_first_both_ways(api_for, users):
    # 3+ letter words go through the trigram index, which on SQLite also drives the page order.
    made = [
        services.contact_create(by=users.rep_a, full_name=f"Nguyễn Văn {i}").pk for i in range(12)
    ]
    services.contact_create(by=users.rep_a, full_name="Trần Thị Lan")
    services.contact_create(by=users.rep_b, full_name="Nguyễn Bảo")  # another team's
    api = api_for(users.rep_a)

    forward, last_prev = walk(api, {"q": "nguyen"}, limit=5)

    assert forward == made[::-1]
    body = api.get(URL, {"q": "nguyen", "limit": 5, "cursor": last_prev}).json()
    assert [item["id"] for item in body["items"]] == made[::-1][5:10]
    # Asking for name order still works, just sorted.
    by_name = api.get(URL, {"q": "nguyen van", "sort": "name", "limit": 3}).json()
    assert [item["full_name"] for item in by_name["items"]] == [
        "Nguyễn Văn 0",
        "Nguyễn Văn 1",
        "Nguyễn Văn 10",
    ]


def test_list_row_is_the_detail_answer(api_for, users):
    acme = services.company_create(by=users.rep_a, name="Acme Ltd", tags=["b2b"])
    contact = services.contact_create(
        by=users.rep_a,
        full_name="Lê Thị Hoa",
        company_id=acme.pk,
        emails=[{"value": "hoa@example.vn"}, {"value": "hoa2@example.vn", "label": "home"}],
        phones=[{"value": "+84 91 234 5678", "label": "mobile"}],
        tags=["vip", "newsletter"],
        addresses=[
            {"kind": "home", "line1": "12 Lý Thường Kiệt", "city": "Hà Nội", "country": "VN"}
        ],
    )
    api = api_for(users.rep_a)

    row = api.get(URL).json()["items"][0]
    assert row == api.get(contact_url(contact.pk)).json()
    company_row = api.get("/api/v1/companies").json()["items"][0]
    assert company_row == api.get(f"/api/v1/companies/{acme.pk}").json()


def test_name_sorts_are_mirror_images(api_for, users):
    for name in ["Émile Zola", "anna Karenina", "Boris Godunov", "Zhao Yun"]:
        services.contact_create(by=users.rep_a, full_name=name)
    api = api_for(users.rep_a)

    ascending = names(api.get(URL, {"sort": "name"}))
    descending = names(api.get(URL, {"sort": "-name"}))

    assert ascending == ["anna Karenina", "Boris Godunov", "Émile Zola", "Zhao Yun"]
    assert descending == ascending[::-1]


def test_list_query_count_does_not_grow_with_page_size(api_for, users):
    acme = services.company_create(by=users.rep_a, name="Acme")
    for i in range(60):
        services.contact_create(
            by=users.rep_a,
            full_name=f"Contact {i:02}",
            company_id=acme.pk,
            emails=[f"c{i}@example.com", f"c{i}@example.org"],
            phones=[f"+1 202 555 {i:04}"],
            socials=[f"@contact{i}"],
            tags=["vip", f"batch-{i % 3}"],
            addresses=[{"line1": f"{i} Main St", "city": "Springfield", "country": "US"}],
        )
    api = api_for(users.rep_a)
    # The first request with a token records its use; measure only steady-state requests.
    assert api.get(URL, {"limit": 1}).status_code == 200

    with CaptureQueriesContext(connection) as small:
        small_page = api.get(URL, {"limit": 5})
    with CaptureQueriesContext(connection) as large:
        large_page = api.get(URL, {"limit": 50})

    assert len(small_page.json()["items"]) == 5
    assert len(large_page.json()["items"]) == 50
    first = large_page.json()["items"][0]
    assert first["emails"][0] == {"value": "c0@example.com", "label": "", "is_primary": True}
    assert first["company"] == {"id": acme.pk, "name": "Acme"}
    assert first["addresses"][0]["city"] == "Springfield"
    # Token lookup, grants, the page, and one query per prefetched relation.
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 8, [q["sql"] for q in large.captured_queries]


def test_bulk_tag_and_assign(api_for, users):
    one = services.contact_create(by=users.rep_a, full_name="One", tags=["old"])
    two = services.contact_create(by=users.rep_a, full_name="Two", tags=["old"])
    manager = api_for(users.manager)

    tagged = manager.post(
        f"{URL}/bulk-tag",
        {"contact_ids": [one.pk, two.pk], "add": ["hot"], "remove": ["old"]},
        content_type="application/json",
    )
    assert tagged.status_code == 200, tagged.content
    assert tagged.json() == {"updated": 2}
    assert manager.get(contact_url(one.pk)).json()["tags"] == ["hot"]
    assert manager.get(contact_url(two.pk)).json()["tags"] == ["hot"]

    assigned = manager.post(
        f"{URL}/bulk-assign",
        {"contact_ids": [one.pk, two.pk], "owner_id": users.rep_b.pk},
        content_type="application/json",
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json() == {"updated": 2}
    assert manager.get(contact_url(one.pk)).json()["owner"]["id"] == users.rep_b.pk

    empty = manager.post(
        f"{URL}/bulk-assign",
        {"contact_ids": [], "owner_id": users.rep_b.pk},
        content_type="application/json",
    )
    assert empty.status_code == 422
    assert set(empty.json()["errors"]) == {"contact_ids"}
