"""demo_load on a fresh database: logins, three locales, search, refusal to load twice, and
bulk loading storing exactly what the services store."""

from __future__ import annotations

import pytest

from kith.core.bulk import next_id
from kith.core.errors import FieldError
from kith.core.models import ChangeRecord, CustomField
from kith.core.text import has_cjk
from kith.customers.models import Company, Contact, ContactPoint, Relationship
from kith.customers.selectors import customers_search
from kith.customers.services import contact_create
from kith.demo import DEMO_LOGINS, DEMO_PASSWORD, TEAMS, bulk, demo_load
from kith.demo.accounts import DEMO_USERS
from kith.demo.generator import DemoWorld
from kith.demo.loader import SEED, SIZES, DemoAlreadyLoaded, owners_of
from kith.identity.models import Team, User

TINY_COMPANIES, TINY_CONTACTS = SIZES["tiny"]


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # Eight demo users × PBKDF2 (twice: create and check) would dominate this module's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    calls: list[tuple[str, int, int]] = []
    summary = demo_load(
        size="tiny", progress=lambda stage, done, total: calls.append((stage, done, total))
    )
    return summary, calls


def test_summary_counts_what_was_written(demo):
    summary, calls = demo
    assert (summary.size, summary.teams, summary.users) == ("tiny", 3, len(DEMO_USERS))
    assert summary.companies == TINY_COMPANIES == Company.objects.count()
    assert summary.contacts == TINY_CONTACTS == Contact.objects.count()
    assert summary.relationships > 0
    assert summary.consents > 0
    # Later stages (sales, engagement, service) report after the customers.
    assert ("Contacts", TINY_CONTACTS, TINY_CONTACTS) in calls
    assert ("Companies", TINY_COMPANIES, TINY_COMPANIES) in calls


def test_every_listed_login_works_with_its_role_and_team(demo):
    assert sorted(Team.objects.values_list("name", flat=True)) == sorted(TEAMS)
    assert [login[0] for login in DEMO_LOGINS] == [u.username for u in DEMO_USERS]
    for (username, password, description), spec in zip(DEMO_LOGINS, DEMO_USERS, strict=True):
        user = User.objects.select_related("role", "team").get(username=username)
        assert password == DEMO_PASSWORD
        assert user.check_password(password), username
        assert user.role.slug == spec.role_slug
        assert user.team.name == TEAMS[spec.team_index]
        assert user.is_superuser is spec.is_superuser
        assert str(description)
    reps = User.objects.filter(role__slug="sales_rep")
    assert sorted({r.team.name for r in reps}) == sorted(TEAMS)
    assert Team.objects.get(name="Hà Nội").lead.username == "lan"


def test_contacts_come_from_three_locales_with_their_channels(demo):
    wang = Contact.objects.get(full_name="王伟明")
    assert (wang.last_name, wang.first_name) == ("王", "伟明")
    assert wang.team.name == "Shanghai 上海"
    an = Contact.objects.get(full_name="Nguyễn Văn An")
    assert (an.last_name, an.first_name) == ("Nguyễn", "Văn An")
    assert an.team.name == "Hà Nội"

    contacts = list(Contact.objects.all())
    chinese = [c for c in contacts if has_cjk(c.full_name)]
    vietnamese = [
        c for c in contacts if any(ch in c.full_name for ch in "ăâđêôơưạảấầẩễệịọốồổộớờởợụủứừữựỳ")
    ]
    assert len(chinese) >= 15
    assert len(vietnamese) >= 15
    assert all(c.full_name == c.last_name + c.first_name for c in chinese)
    phones = set(ContactPoint.objects.filter(kind="phone").values_list("value", flat=True))
    for code in ("+1", "+86", "+84"):
        assert any(p.startswith(code) for p in phones), code
    assert all(p.startswith("+") and p[1:].isdigit() for p in phones)
    labels = set(ContactPoint.objects.filter(kind="social").values_list("label", flat=True))
    assert {"wechat", "zalo"} <= labels
    emails = ContactPoint.objects.filter(kind="email").values_list("value", flat=True)
    assert all(e == e.lower() for e in emails)


def test_companies_have_a_hierarchy_and_custom_fields(demo):
    assert CustomField.objects.get(model="customers.contact", key="tier").choices == [
        "bronze",
        "silver",
        "gold",
        "platinum",
    ]
    assert CustomField.objects.get(model="customers.company", key="annual_revenue").kind == "number"
    assert Company.objects.filter(parent__isnull=False).exists()
    assert all(isinstance(c.custom["annual_revenue"], int) for c in Company.objects.all())
    assert (
        Contact.objects.filter(custom__tier="gold").exists()
        or Contact.objects.filter(custom__tier="silver").exists()
    )


def test_every_record_has_its_created_entry(demo):
    admin = User.objects.get(username="admin")
    for model, count in (
        ("customers.contact", TINY_CONTACTS),
        ("customers.company", TINY_COMPANIES),
    ):
        history = ChangeRecord.objects.filter(model=model, action="create")
        assert history.count() == count
        assert set(history.values_list("actor_id", flat=True)) == {admin.pk}


def test_wang_weiming_is_found_by_search_where_visible(demo):
    admin = User.objects.get(username="admin")
    found = customers_search(user=admin, query="王伟明", limit=10)
    assert [c.full_name for c in found.contacts] == ["王伟明"]
    assert [c.full_name for c in customers_search(user=admin, query="伟明").contacts] == ["王伟明"]
    wei = User.objects.get(username="wei")
    assert [c.full_name for c in customers_search(user=wei, query="王伟明").contacts] == ["王伟明"]
    emma = User.objects.get(username="emma")
    assert customers_search(user=emma, query="王伟明").contacts == []
    an = customers_search(user=admin, query="nguyen van an").contacts
    assert "Nguyễn Văn An" in [c.full_name for c in an]


def test_second_load_is_refused_and_changes_nothing(demo):
    with pytest.raises(DemoAlreadyLoaded, match="already loaded"):
        demo_load(size="tiny")
    assert Contact.objects.count() == TINY_CONTACTS
    assert User.objects.count() == len(DEMO_USERS)


def test_unknown_size_is_a_field_error(db):
    with pytest.raises(FieldError) as error:
        demo_load(size="huge")
    assert set(error.value.errors) == {"size"}


def _stored(contact: Contact) -> dict:
    return {
        "names": (contact.full_name, contact.first_name, contact.last_name, contact.title),
        "keys": (
            contact.sort_name,
            contact.order_name,
            contact.first_key,
            contact.last_key,
            contact.search_text,
        ),
        "primaries": (contact.primary_email, contact.primary_phone),
        "record": (
            contact.lifecycle_stage,
            contact.source_channel,
            contact.owner_id,
            contact.team_id,
        ),
        "company": contact.company_id,
        "custom": contact.custom,
        "points": sorted((p.kind, p.label, p.value, p.is_primary) for p in contact.points.all()),
        "addresses": sorted(
            (a.kind, a.line1, a.city, a.region, a.postal_code, a.country)
            for a in contact.addresses.all()
        ),
        "tags": sorted(t.name for t in contact.tags.all()),
    }


def _services_create(admin: User, owners: bulk.Owners, person, company_ids: list[int]) -> Contact:
    owner_id, _team = owners.pick(person.team_index, person.owner_slot)
    return contact_create(
        by=admin,
        full_name=person.full_name,
        first_name=person.first_name,
        last_name=person.last_name,
        title=person.title,
        company_id=company_ids[person.company_key] if person.company_key is not None else None,
        lifecycle_stage=person.stage,
        source_channel=person.channel,
        owner_id=owner_id,
        emails=[{"value": value, "label": label} for label, value in person.emails],
        phones=[{"value": value, "label": label} for label, value in person.phones],
        socials=[{"value": value, "label": label} for label, value in person.socials],
        tags=person.tags,
        custom={"tier": person.tier} if person.tier else {},
        addresses=[bulk.address_input(person.address)] if person.address else [],
    )


def test_bulk_loaded_contacts_match_contacts_typed_in_through_the_services(demo):
    users = {u.username: u for u in User.objects.all()}
    world = DemoWorld(seed=SEED, companies=TINY_COMPANIES)
    company_ids = list(Company.objects.order_by("id").values_list("id", flat=True))
    loaded = list(Contact.objects.order_by("pk")[:40])
    for person, bulk_contact in zip(world.people(0, 40), loaded, strict=True):
        typed = _services_create(users["admin"], owners_of(users), person, company_ids)
        typed.refresh_from_db()
        assert _stored(bulk_contact) == _stored(typed), person.full_name
    assert len(customers_search(user=users["admin"], query="王伟明").contacts) == 2


def test_worker_processes_build_the_same_rows(demo):
    users = {u.username: u for u in User.objects.all()}
    first_id = next_id(Contact)
    counts = bulk.contacts_bulk_create(
        DemoWorld(seed=SEED, companies=TINY_COMPANIES),
        count=TINY_CONTACTS,
        owners=owners_of(users),
        company_ids=list(Company.objects.order_by("id").values_list("id", flat=True)),
        tier_field=CustomField.objects.get(key="tier"),
        workers=2,
        batch=40,
    )
    assert counts.contacts == TINY_CONTACTS
    single = Contact.objects.filter(pk__lt=first_id).order_by("pk")
    forked = Contact.objects.filter(pk__gte=first_id).order_by("pk")
    for one, other in zip(single, forked, strict=True):
        assert _stored(other) == _stored(one)
    assert Relationship.objects.filter(from_contact_id__gte=first_id).count() > 0


def test_generation_is_deterministic_and_sliceable():
    one = DemoWorld(seed=7, companies=20)
    two = DemoWorld(seed=7, companies=20)
    assert one.people(0, 1500) == two.people(0, 1500)
    assert one.people(990, 1010) == one.people(0, 1500)[990:1010]
    assert [c.name for c in one.companies] == [c.name for c in two.companies]
    assert len({c.domain for c in one.companies}) == 20
    assert DemoWorld(seed=8, companies=20).people(0, 50) != one.people(0, 50)
