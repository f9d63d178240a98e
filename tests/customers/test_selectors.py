"""Contact and company reads: the access gate, search in three languages, keyset pages, query counts."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kith.core.bulk import next_id, rows_insert, sequences_reset
from kith.core.errors import FieldError, Forbidden, NotFound
from kith.customers.bulk import CONTACT_ATTRS
from kith.customers.indexing import contact_index_fields
from kith.customers.models import Contact
from kith.customers.search import search_index_batched
from kith.customers.selectors import (
    CompanyFilters,
    ContactFilters,
    companies_list,
    company_get,
    contact_consents,
    contact_get,
    contact_relationships,
    contacts_export,
    contacts_list,
    customers_search,
)
from kith.customers.services import consent_record, custom_field_create, relationship_create
from tests.factories import make_company, make_contact


@pytest.fixture
def people(users):
    company = make_company(by=users.rep_a, name="Công ty Phú Mỹ", domain="phumy.vn")
    return {
        "wang": make_contact(
            by=users.rep_a,
            first_name="伟明",
            last_name="王",
            phones=["+86 138 1234 5678"],
            company_id=company.pk,
        ),
        "nguyen": make_contact(
            by=users.rep_a,
            first_name="Văn An",
            last_name="Nguyễn",
            phones=["+84 912 345 678"],
            emails=["an@phumy.vn"],
        ),
        "jane": make_contact(
            by=users.rep_a, first_name="Jane", last_name="Doe", emails=["Jane@Example.com"]
        ),
        "hidden": make_contact(
            by=users.rep_b, first_name="伟明", last_name="李", phones=["+86 139 0000 0000"]
        ),
        "company": company,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("王伟明", {"wang"}),
        ("伟明", {"wang"}),  # two characters: a given-name prefix
        ("王伟", {"wang"}),  # two characters: a full-name prefix
        ("明", {"wang"}),  # one character inside the name
        ("王 明", {"wang"}),
        ("ＷＡＮＧ", set()),  # full-width Latin folds to "wang", which is not in these names
        ("nguyen", {"nguyen"}),
        ("Nguyễn Văn", {"nguyen"}),
        ("NGUYEN VAN AN", {"nguyen"}),
        ("guyễ", {"nguyen"}),  # inner substring, diacritics ignored
        ("jane@example", {"jane"}),
        ("138 1234 5678", {"wang"}),
        ("+86-138-1234-5678", {"wang"}),
        ("(138) 1234", {"wang"}),
        ("0912 345 678", {"nguyen"}),  # national format with trunk zero
        ("phu my", {"wang", "nguyen"}),  # company name; email an@phumy.vn
        ("doe", {"jane"}),
        ("zz", set()),
    ],
)
def test_search_contacts(users, people, query, expected):
    found = customers_search(user=users.rep_a, query=query).contacts
    assert {k for k, v in people.items() if v in found} == expected


def test_search_companies_and_scope(users, people):
    assert customers_search(user=users.rep_a, query="phú mỹ").companies == [people["company"]]
    assert customers_search(user=users.rep_b, query="phu my").companies == []
    # rep_b sees their own 李伟明, never rep_a's 王伟明
    assert customers_search(user=users.rep_b, query="伟明").contacts == [people["hidden"]]
    assert set(customers_search(user=users.admin, query="伟明").contacts) == {
        people["wang"],
        people["hidden"],
    }


def test_one_and_two_character_chinese_words_are_found_anywhere_in_a_name(users, people):
    # Written as one string (an import's Name column): no first or last name to prefix-match.
    xiaoming = make_contact(by=users.rep_a, full_name="张小明")
    jinyuan = make_company(by=users.rep_a, name="上海金源贸易有限公司")
    staff = make_contact(by=users.rep_a, full_name="Lily Chen", company_id=jinyuan.pk)
    assert customers_search(user=users.rep_a, query="小明").contacts == [xiaoming]
    found = customers_search(user=users.rep_a, query="金源")
    assert (found.companies, found.contacts) == ([jinyuan], [staff])
    page = contacts_list(user=users.rep_a, filters=ContactFilters(q="小明"))
    assert page.items == [xiaoming]
    page = contacts_list(user=users.rep_a, filters=ContactFilters(q="明"), sort="name")
    assert page.items == [people["wang"], xiaoming]  # wáng before zhāng
    # A token never joins two words: 明张 is in no name.
    assert customers_search(user=users.rep_a, query="明张").contacts == []


def test_search_filter_in_list_uses_the_same_rules(users, people):
    page = contacts_list(user=users.rep_a, filters=ContactFilters(q="nguyen van"))
    assert page.items == [people["nguyen"]]


def test_contact_get_hides_other_teams(users, people):
    assert contact_get(user=users.rep_a, contact_id=people["wang"].pk) == people["wang"]
    with pytest.raises(NotFound):
        contact_get(user=users.rep_a, contact_id=people["hidden"].pk)
    assert contact_get(user=users.manager, contact_id=people["hidden"].pk) == people["hidden"]


def test_list_is_scoped_sorted_and_filtered(users, people):
    names = [c.full_name for c in contacts_list(user=users.rep_a).items]
    assert names == ["Jane Doe", "Nguyễn Văn An", "王伟明"]
    assert [c.full_name for c in contacts_list(user=users.rep_a, sort="-name").items] == names[::-1]
    assert len(contacts_list(user=users.admin).items) == 4
    assert contacts_list(
        user=users.rep_a, filters=ContactFilters(company_id=people["company"].pk)
    ).items == [people["wang"]]
    with pytest.raises(FieldError):
        contacts_list(user=users.rep_a, sort="email")


def test_custom_field_filter(users):
    custom_field_create(
        by=users.admin, model="customers.contact", key="score", label="Score", kind="number"
    )
    high = make_contact(by=users.rep_a, custom={"score": 90})
    make_contact(by=users.rep_a, custom={"score": 10})
    page = contacts_list(user=users.rep_a, filters=ContactFilters(custom={"score": "90"}))
    assert page.items == [high]
    with pytest.raises(FieldError) as exc:
        contacts_list(user=users.rep_a, filters=ContactFilters(custom={"score": "lots"}))
    assert list(exc.value.errors) == ["custom.score"]


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_keyset_pages_walk_everything_both_ways(users, sort):
    for i in range(23):
        make_contact(
            by=users.rep_a, full_name=f"Person {i % 7}"
        )  # duplicate names: ties broken by id
    seen, pages, cursor = [], [], None
    while True:
        page = contacts_list(user=users.rep_a, sort=sort, cursor=cursor, limit=5)
        pages.append(page)
        seen += [c.pk for c in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == 23 == len(set(seen))
    assert [len(p.items) for p in pages] == [5, 5, 5, 5, 3]
    # Walk back from the last page with prev cursors: the same pages in reverse.
    back, cursor = [], pages[-1].prev_cursor
    while cursor:
        page = contacts_list(user=users.rep_a, sort=sort, cursor=cursor, limit=5)
        back.append([c.pk for c in page.items])
        cursor = page.prev_cursor
    assert back == [[c.pk for c in p.items] for p in pages[:-1]][::-1]


def test_bad_cursor_is_a_field_error(users):
    with pytest.raises(FieldError) as exc:
        contacts_list(user=users.rep_a, cursor="garbage!")
    assert list(exc.value.errors) == ["cursor"]


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(users):
    company = make_company(by=users.rep_a)
    for i in range(30):
        make_contact(
            by=users.rep_a, tags=[f"t{i % 3}"], company_id=company.pk, phones=["+1 415 555 2671"]
        )
    users.rep_a._kith_grants = None  # count the grants query in both runs
    small = _queries(lambda: contacts_list(user=users.rep_a, limit=5))
    users.rep_a._kith_grants = None
    big = _queries(lambda: contacts_list(user=users.rep_a, limit=30))
    assert small == big == 5  # grants, rows, tags, points, addresses
    assert _queries(lambda: companies_list(user=users.rep_a, limit=1)) == _queries(
        lambda: companies_list(user=users.rep_a, limit=30)
    )


def test_export_needs_the_right_and_respects_scope(users, people):
    exported = list(contacts_export(user=users.rep_a))
    assert people["hidden"] not in exported and len(exported) == 3
    from kith.identity.models import RoleGrant

    RoleGrant.objects.filter(role__slug="sales_rep", module="contacts").update(can_export=False)
    users.rep_a._kith_grants = None
    with pytest.raises(Forbidden):
        contacts_export(user=users.rep_a)


def test_relationships_show_only_visible_other_side(users, people):
    relationship_create(
        by=users.rep_a,
        from_contact_id=people["jane"].pk,
        to_contact_id=people["wang"].pk,
        kind="spouse",
    )
    relationship_create(
        by=users.admin,
        from_contact_id=people["hidden"].pk,
        to_contact_id=people["jane"].pk,
        kind="colleague",
    )
    assert [r.kind for r in contact_relationships(user=users.rep_a, contact=people["jane"])] == [
        "spouse"
    ]
    assert len(contact_relationships(user=users.admin, contact=people["jane"])) == 2


def test_consent_in_force_is_the_newest(users, people):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    jane = people["jane"].pk
    consent_record(
        by=users.rep_a,
        contact_id=jane,
        channel="email",
        purpose="marketing",
        status="granted",
        at=now - timedelta(days=2),
    )
    consent_record(
        by=users.rep_a,
        contact_id=jane,
        channel="email",
        purpose="marketing",
        status="withdrawn",
        at=now,
    )
    consent_record(
        by=users.rep_a, contact_id=jane, channel="sms", purpose="surveys", status="granted", at=now
    )
    current = {(c.channel, c.purpose): c.status for c in contact_consents(contact=people["jane"])}
    assert current == {("email", "marketing"): "withdrawn", ("sms", "surveys"): "granted"}


def test_company_get_shows_only_visible_contacts(users):
    company = make_company(by=users.manager, owner_id=users.rep_a.pk)
    make_contact(by=users.rep_a, company_id=company.pk, full_name="Mine")
    make_contact(by=users.admin, company_id=company.pk, full_name="Theirs", owner_id=users.rep_b.pk)
    loaded = company_get(user=users.rep_a, company_id=company.pk)
    assert [c.full_name for c in loaded.visible_contacts] == ["Mine"]
    assert companies_list(user=users.rep_b, filters=CompanyFilters(q=company.name)).items == []


def test_company_get_shows_a_bounded_number_of_contacts(users):
    from kith.customers.selectors import COMPANY_CONTACTS_SHOWN

    company = make_company(by=users.rep_a)
    for i in range(COMPANY_CONTACTS_SHOWN + 3):
        make_contact(
            by=users.rep_a,
            company_id=company.pk,
            full_name=f"P{i:02d}",
            first_name="",
            last_name="",
        )
    shown = company_get(user=users.rep_a, company_id=company.pk).visible_contacts
    assert [c.full_name for c in shown] == [
        f"p{i:02d}".upper() for i in range(COMPANY_CONTACTS_SHOWN)
    ]


def _bulk_row(user, contact_id: int, name: str) -> tuple:
    values = {
        "id": contact_id,
        "owner_id": user.pk,
        "team_id": user.team_id,
        "first_name": "",
        "last_name": "",
        "full_name": name,
        "title": "",
        "company_id": None,
        "lifecycle_stage": "lead",
        "source_channel": "import",
        "custom": {},
        "primary_email": "",
        "primary_phone": "",
        **contact_index_fields(first_name="", last_name="", full_name=name),
    }
    return tuple(values[attr] for attr in CONTACT_ATTRS)


def test_bulk_rows_under_a_batched_search_index_are_found_and_the_trigger_comes_back(users):
    base = next_id(Contact)
    rows = [_bulk_row(users.rep_a, base + i, n) for i, n in enumerate(["Nguyễn Thị Mai", "王芳"])]
    with transaction.atomic(), search_index_batched(Contact):
        rows_insert(Contact, CONTACT_ATTRS, rows)
    sequences_reset([Contact])  # ids were given explicitly

    def found(q: str) -> list[str]:
        return [
            c.full_name for c in contacts_list(user=users.admin, filters=ContactFilters(q=q)).items
        ]

    assert found("thi mai") == ["Nguyễn Thị Mai"]
    assert found("王芳") == ["王芳"]
    # Rows written afterwards are indexed by the trigger again.
    make_contact(by=users.rep_a, full_name="Trần Văn Mai")
    assert found("van mai") == ["Trần Văn Mai"]


def test_newest_search_window_pages_agree_with_sorting_every_match(users, monkeypatch):
    from kith.customers import search

    for i in range(30):
        # Every third contact matches: a "common" word for a window of 9 rows.
        make_contact(by=users.rep_a, full_name=f"Lê Văn {i}" if i % 3 == 0 else f"Phạm Thu {i}")
    monkeypatch.setattr(search, "NEWEST_WINDOW", 9)
    visible = Contact.objects.all()
    terms = search.search_terms("le van")
    matching = search.apply_search(visible, terms, prefix_fields=())
    everything = [c.pk for c in matching.order_by("-pk")]
    assert len(everything) >= 10  # the factory's random emails may add a match or two
    from_window = []

    def page_of(cursor):
        page = search._paginate_window(visible, terms, cursor=cursor, limit=2)
        from_window.append(page is not None)
        if page is None:  # the window ran short: the index takes over
            matching = search.apply_search(visible, terms, prefix_fields=())
            page = search.paginate(matching, ordering=search.NEWEST, cursor=cursor, limit=2)
        return page

    pages, cursor = [], None
    while True:
        page = page_of(cursor)
        pages.append([c.pk for c in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break

    assert [pk for page in pages for pk in page] == everything
    assert any(from_window) and not all(from_window)
    assert [c.pk for c in page_of(page.prev_cursor).items] == pages[-2]
    assert [c.pk for c in page_of(page_of(None).next_cursor).items] == pages[1]


def test_newest_search_of_a_rare_word_pages_through_ids_both_ways(users, monkeypatch):
    from kith.customers import search

    for i in range(9):
        make_contact(by=users.rep_a, full_name=f"Hoàng Hữu {i}" if i % 2 else f"Đỗ Minh {i}")
    visible = Contact.objects.all()
    terms = search.search_terms("huu")
    expected = [c.pk for c in search.apply_search(visible, terms, prefix_fields=()).order_by("-pk")]
    assert len(expected) >= 4

    pages, cursor = [], None
    while True:
        page = search._paginate_rare(visible, terms, cursor=cursor, limit=2)
        pages.append([c.pk for c in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [pk for p in pages for pk in p] == expected
    back = search._paginate_rare(visible, terms, cursor=page.prev_cursor, limit=2)
    assert [c.pk for c in back.items] == pages[-2]
    # More matches than it is meant for: it leaves the page to the other ways.
    monkeypatch.setattr(search, "RARE_MATCHES", 3)
    assert search._paginate_rare(visible, terms, cursor=None, limit=2) is None


def test_a_phone_number_search_asks_the_index_before_the_newest_rows(users, monkeypatch):
    from kith.customers import search

    assert search._looks_rare(search.search_terms("(212) 555-0134"))
    assert not search._looks_rare(search.search_terms("nguyen van"))
    wanted = make_contact(by=users.rep_a, full_name="Vũ Thị Hà", phones=["+84 91 234 5678"])
    for i in range(5):
        make_contact(by=users.rep_a, full_name=f"Other {i}")
    calls = []
    for name in ("_paginate_rare", "_paginate_window"):
        real = getattr(search, name)
        monkeypatch.setattr(
            search,
            name,
            lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k),
        )
    found = contacts_list(user=users.admin, filters=ContactFilters(q="091 234 5678")).items
    assert [c.pk for c in found] == [wanted.pk]
    if connection.vendor == "postgresql":
        assert calls == ["_paginate_rare"]
