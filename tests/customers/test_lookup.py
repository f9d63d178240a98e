""" "Who is this customer?": contacts by email and phone, for a user or for the system."""

from __future__ import annotations

import pytest

from kith.customers.selectors import contact_ids_by_point, contacts_by_points
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_contacts_by_points_matches_emails_or_phones_within_the_users_scope(users):
    ann = make_contact(by=users.rep_a, emails=["ann@example.com"], phones=["+84912345678"])
    bao = make_contact(by=users.rep_b, emails=["bao@example.vn"])
    make_contact(by=users.rep_b, emails=["other@example.vn"])

    found = contacts_by_points(emails=["bao@example.vn"], phones=["+84912345678"])
    assert list(found) == [ann, bao]
    assert list(contacts_by_points(emails=["bao@example.vn"], user=users.rep_a)) == []
    assert list(contacts_by_points(phones=["+84912345678"], user=users.rep_a)) == [ann]
    assert list(contacts_by_points(emails=[], phones=[""])) == []


def test_contact_ids_by_point_maps_each_value_to_its_contacts(users):
    first = make_contact(by=users.rep_a, emails=["shared@example.com"])
    second = make_contact(by=users.rep_b, emails=["shared@example.com"])
    values = ["shared@example.com", "nobody@example.com"] + [f"x{n}@e.com" for n in range(600)]

    assert contact_ids_by_point(kind="email", values=values) == {
        "shared@example.com": [first.pk, second.pk]
    }
    assert contact_ids_by_point(kind="email", values=values, user=users.rep_b) == {
        "shared@example.com": [second.pk]
    }
    assert contact_ids_by_point(kind="phone", values=["shared@example.com"]) == {}
