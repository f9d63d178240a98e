"""The relationship network view: relationships, referrals and the company hierarchy around a
contact, drawn with Cytoscape.js (npm); only what the user may see; bounded queries."""

from __future__ import annotations

import json
import re

from kith.customers.models import Relationship
from kith.loyalty import services
from kith.loyalty.selectors.network import contact_network
from tests.factories import make_company, make_contact
from tests.loyalty.factories import make_programme


def test_the_network_of_a_contact(users, records, web_for, django_assert_max_num_queries):
    scheme = make_programme(by=users.admin)
    group = make_company(by=users.rep_a, name="Hoa Sen Group")
    records.company_a.parent = group
    records.company_a.save(update_fields=["parent"])
    colleague = make_contact(by=users.rep_a, full_name="Đỗ Hải", company_id=records.company_a.pk)
    Relationship.objects.create(
        from_contact=colleague, to_contact=records.contact_a, kind="colleague"
    )
    Relationship.objects.create(
        from_contact=records.contact_b, to_contact=records.contact_a, kind="friend"
    )
    referrer = services.membership_enrol(
        by=users.rep_a, programme_id=scheme.programme.pk, contact_id=records.contact_a.pk
    )
    friend = make_contact(by=users.rep_a, full_name="Vũ Lan")
    services.membership_enrol(by=users.rep_a, programme_id=scheme.programme.pk, contact_id=friend.pk,
                              referral_code=referrer.referral_code)  # fmt: skip
    friend_of_friend = make_contact(by=users.rep_a, full_name="Ngô Tùng")
    Relationship.objects.create(from_contact=friend_of_friend, to_contact=friend, kind="family")

    network = contact_network(user=users.rep_a, contact=records.contact_a)
    labels = {n["id"]: n["label"] for n in network.nodes}
    assert set(labels.values()) == {
        "王伟明",
        "Đỗ Hải",
        "Vũ Lan",
        "Ngô Tùng",
        "Hoa Sen Trading",
        "Hoa Sen Group",
    }  # team B's friend is not shown
    edges = {(labels[e["source"]], e["kind"], labels[e["target"]]) for e in network.edges}
    assert edges == {
        ("Đỗ Hải", "colleague", "王伟明"), ("Vũ Lan", "referred_by", "王伟明"),
        ("Ngô Tùng", "family", "Vũ Lan"), ("王伟明", "works_at", "Hoa Sen Trading"),
        ("Đỗ Hải", "works_at", "Hoa Sen Trading"), ("Hoa Sen Trading", "subsidiary", "Hoa Sen Group"),
    }  # fmt: skip
    assert not network.truncated
    web = web_for(users.rep_a)
    with django_assert_max_num_queries(16):
        page = web.get(f"/contacts/{records.contact_a.pk}/network/")
    html = page.content.decode()
    assert page.status_code == 200 and "vendor/cytoscape/cytoscape.min.js" in html
    found = re.search(
        r'<script id="loyalty-network-data" type="application/json">(.*?)</script>', html
    )
    graph = json.loads(found.group(1))
    assert len(graph["nodes"]) == 6 and len(graph["edges"]) == 6
    assert web_for(users.rep_b).get(f"/contacts/{records.contact_a.pk}/network/").status_code == 404
