"""Customer-match audience export: hashed, normalised emails and phones of the consented
members, a holdout kept out of the file, and the lift of exposed versus holdout afterwards."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from kith.core.errors import Forbidden, NotFound
from kith.marketing.models import AudienceExportMember
from kith.marketing.report import audience_export_report
from kith.marketing.services.audiences import audience_export_create, audience_export_file
from kith.sales.services.orders import LineInput, order_create
from tests.factories import make_contact
from tests.marketing.conftest import bulk_contacts
from tests.marketing.factories import grant, make_segment
from tests.sales.factories import make_product


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_file_has_hashed_normalised_points_and_no_holdout(users, api_for):
    lan = make_contact(
        by=users.admin,
        full_name="Lan",
        emails=["Lan.Nguyen@Example.VN"],
        phones=["+84 90 123 4567"],
    )
    grant(lan)
    make_contact(by=users.admin, full_name="No consent", emails=["no@example.com"])
    segment = make_segment(by=users.admin, rules={})
    export = audience_export_create(by=users.admin, segment_id=segment.pk, holdout_percent=0)
    assert (export.exported, export.held_out) == (1, 0)
    google = audience_export_file(by=users.admin, export_id=export.pk, platform="google")
    assert google.splitlines() == [
        "Email,Phone",
        f"{_sha('lan.nguyen@example.vn')},{_sha('+84901234567')}",
    ]
    meta = audience_export_file(by=users.admin, export_id=export.pk, platform="meta")
    assert meta.splitlines()[1] == f"{_sha('lan.nguyen@example.vn')},{_sha('84901234567')}"
    assert "lan" not in google.lower().split(",")[1]
    with pytest.raises(NotFound):
        audience_export_file(by=users.rep_b, export_id=export.pk)


def test_holdout_left_out_and_lift_measured(users):
    contacts = bulk_contacts(users.admin, 400)
    segment = make_segment(by=users.admin, rules={})
    export = audience_export_create(by=users.admin, segment_id=segment.pk, holdout_percent=30)
    held = set(
        AudienceExportMember.objects.filter(export=export, is_holdout=True).values_list(
            "contact_id", flat=True
        )
    )
    assert export.held_out == len(held) and 80 <= len(held) <= 160
    rows = audience_export_file(by=users.admin, export_id=export.pk).splitlines()[1:]
    held_hashes = {_sha(c.primary_email) for c in contacts if c.pk in held}
    assert len(rows) == export.exported and not held_hashes & {r.split(",")[0] for r in rows}
    product = make_product(by=users.admin)
    buyers = [c for c in contacts if c.pk not in held][::3] + [c for c in contacts if c.pk in held][
        ::25
    ]
    for c in buyers:
        order_create(by=users.admin, contact_id=c.pk, ordered_at=timezone.now() + timedelta(hours=1),
                     lines=[LineInput(product_id=product.pk, quantity=1)])  # fmt: skip
    report = audience_export_report(export=export)
    assert report.conversion.verdict == "raised"
    assert report.converted_exposed + report.converted_holdout == len(buyers)


def test_export_needs_the_export_right(users):
    from kith.identity.models import RoleGrant

    segment = make_segment(by=users.rep_a, rules={})
    RoleGrant.objects.filter(role=users.rep_a.role, module="marketing").update(can_export=False)
    users.rep_a._kith_grants = None
    with pytest.raises(Forbidden):
        audience_export_create(by=users.rep_a, segment_id=segment.pk)


def test_audience_export_api(api_for, users, records):
    grant(records.contact_a)
    api = api_for(users.rep_a)
    segment = make_segment(by=users.rep_a, rules={})
    made = api.post(
        f"/api/v1/segments/{segment.pk}/audience-exports",
        '{"holdout_percent": 0}',
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["exported"] == 1
    export_id = made.json()["id"]
    file = api.get(f"/api/v1/audience-exports/{export_id}/file?platform=meta")
    assert file["Content-Type"].startswith("text/csv")
    assert file.content.decode().splitlines()[1].startswith(_sha("wang.weiming@example.cn"))
    assert api.get(f"/api/v1/audience-exports/{export_id}/report").json()["exposed"] == 1
    assert api_for(users.rep_b).get(f"/api/v1/audience-exports/{export_id}/file").status_code == 404
