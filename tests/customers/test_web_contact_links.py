"""The contact page's small forms: add/remove a relationship and record a consent (htmx)."""

from __future__ import annotations

from django.urls import reverse

from kith.customers.models import Consent, Relationship
from kith.customers.selectors import contact_consents
from kith.identity import services as identity_services
from kith.identity.models import Role
from tests.factories import make_contact

HX = {"HTTP_HX_REQUEST": "true"}


def test_detail_shows_the_forms_only_to_editors(web_for, users, records):
    url = reverse("contact-detail", args=[records.contact_a.pk])
    page = web_for(users.rep_a).get(url).content.decode()
    assert reverse("contact-relationship-add", args=[records.contact_a.pk]) in page
    assert reverse("contact-consent-record", args=[records.contact_a.pk]) in page
    role = Role.objects.get(slug="sales_rep")
    identity_services.role_grants_update(
        by=users.admin, role_id=role.pk, grants={"contacts": {"scope": "team", "read": True}}
    )
    page = web_for(users.rep_a2).get(url).content.decode()
    assert reverse("contact-relationship-add", args=[records.contact_a.pk]) not in page
    assert reverse("contact-consent-record", args=[records.contact_a.pk]) not in page
    response = web_for(users.rep_a2).post(
        reverse("contact-consent-record", args=[records.contact_a.pk]),
        {"channel": "email", "purpose": "marketing", "status": "granted"},
    )
    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_add_and_remove_relationship(web_for, users, records):
    colleague = make_contact(by=users.rep_a2, full_name="Lê Văn Tám")
    client = web_for(users.rep_a)
    add = reverse("contact-relationship-add", args=[records.contact_a.pk])
    response = client.post(add, {"kind": "colleague", "to_contact_id": colleague.pk}, **HX)
    assert response.status_code == 200
    link = Relationship.objects.get()
    assert (link.from_contact_id, link.to_contact_id, link.kind) == (
        records.contact_a.pk,
        colleague.pk,
        "colleague",
    )
    assert "Lê Văn Tám" in response.content.decode()
    assert b"<html" not in response.content
    # The other contact's page shows the link too, from its side.
    other = client.get(reverse("contact-detail", args=[colleague.pk])).content.decode()
    assert "王伟明" in other
    remove = reverse("contact-relationship-remove", args=[records.contact_a.pk, link.pk])
    response = client.post(remove, **HX)
    assert response.status_code == 200
    assert not Relationship.objects.exists()
    assert "No relationships recorded." in response.content.decode()


def test_relationship_errors_name_the_field(web_for, users, records):
    client = web_for(users.rep_a)
    add = reverse("contact-relationship-add", args=[records.contact_a.pk])
    response = client.post(add, {"kind": "colleague", "to_contact_id": ""}, **HX)
    assert response.context["link_errors"] == {"to_contact_id": "Choose the other contact."}
    # Team B's contact is invisible to rep_a: refused without revealing it.
    response = client.post(add, {"kind": "colleague", "to_contact_id": records.contact_b.pk}, **HX)
    assert response.context["link_errors"] == {
        "to_contact_id": "This contact does not exist or is not visible to you."
    }
    response = client.post(add, {"kind": "enemy", "to_contact_id": records.contact_a.pk}, **HX)
    assert sorted(response.context["link_errors"]) == ["kind", "to_contact_id"]
    assert not Relationship.objects.exists()
    # Without htmx the page reloads with the error as a message.
    response = client.post(add, {"kind": "colleague", "to_contact_id": ""}, follow=True)
    assert "Choose the other contact." in response.content.decode()


def test_outsiders_cannot_add_or_remove(web_for, users, records):
    other = make_contact(by=users.rep_a, full_name="Other")
    link = Relationship.objects.create(
        from_contact=records.contact_a, to_contact=other, kind="friend"
    )
    client = web_for(users.rep_b)
    add = reverse("contact-relationship-add", args=[records.contact_a.pk])
    assert client.post(add, {"kind": "friend", "to_contact_id": other.pk}).status_code == 404
    remove = reverse("contact-relationship-remove", args=[records.contact_a.pk, link.pk])
    assert client.post(remove).status_code == 404
    assert Relationship.objects.count() == 1


def test_record_consent_granted_then_withdrawn(web_for, users, records):
    client = web_for(users.rep_a)
    url = reverse("contact-consent-record", args=[records.contact_a.pk])
    response = client.post(
        url,
        {"channel": "email", "purpose": "newsletter", "status": "granted", "source": "call"},
        **HX,
    )
    assert response.status_code == 200
    assert "Consent recorded." in response.content.decode()
    client.post(url, {"channel": "email", "purpose": "newsletter", "status": "withdrawn"}, **HX)
    current = contact_consents(contact=records.contact_a)
    assert [(c.channel, c.purpose, c.status) for c in current] == [
        ("email", "newsletter", "withdrawn")
    ]
    response = client.post(
        url, {"channel": "fax", "purpose": "newsletter", "status": "maybe"}, **HX
    )
    assert sorted(response.context["consent_errors"]) == ["channel", "status"]
    assert Consent.objects.count() == 2


def test_contact_options_only_visible_contacts(web_for, users, records):
    client = web_for(users.rep_a)
    response = client.get(reverse("contact-options"), {"q": "Bình"})
    assert "Trần Thị Bình" not in response.content.decode()
    response = client.get(reverse("contact-options"), {"q": "王", "exclude": records.contact_a.pk})
    assert "王伟明" not in response.content.decode()
    response = client.get(reverse("contact-options"), {"q": "王"})
    assert f'value="{records.contact_a.pk}"' in response.content.decode()
