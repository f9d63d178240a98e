"""The one import pipeline: every kind declared through its door, rows checked over worker
processes exactly as in-process, cancel and resume, similar-name duplicates with the user's
choice per row (and undo of what they merged)."""

from __future__ import annotations

import pytest

from kith.core.doors import import_kinds
from kith.core.errors import FieldError
from kith.customers.importing import CONTACTS
from kith.customers.models import Contact
from kith.intake import imports, pipeline
from kith.intake.imports import (
    import_cancel,
    import_choices_set,
    import_preview,
    import_resume,
    import_run,
    import_undo,
)
from kith.intake.models import ImportUpdate
from tests.factories import make_contact
from tests.intake.factories import database_snapshot, make_import

HEADER = ["First name", "Last name", "Email", "Phone", "City", "Country"]


def test_every_declared_kind_has_its_spec_and_fields():
    kinds = import_kinds()
    assert {"contacts", "companies", "leads", "orders", "interactions"} <= set(kinds)
    for key in kinds:
        spec = pipeline.spec_for(key)
        assert spec.fields and all(f.label for f in spec.fields), key


def test_worker_processes_check_rows_exactly_as_the_importing_process(monkeypatch):
    rows = [
        ["Văn An", "Nguyễn", f"an{i}@example.vn", "0912 345 67" + str(i % 10), "", "VN"]
        for i in range(25)
    ] + [
        ["伟", "王", "bad@", "138 0013 8000", "", "CN"],
        ["", "", "x@example.com", "(212) 555-0123", "", "US"],
        ["Ann", "Lee", "ANN@Example.COM", "+1 212-555-0123", "Town", "Nowhere"],
    ] * 4
    mapping = pipeline.mapping_guess(HEADER, "contacts")
    numbers = list(range(2, len(rows) + 2))
    serial = pipeline.rows_check(CONTACTS, HEADER, mapping, rows, numbers)
    monkeypatch.setattr(pipeline, "CHUNK", 7)
    with pipeline.Checker(CONTACTS, HEADER, mapping, rows, numbers, processes=2) as checker:
        assert checker._pool is not None
        checker.start_at(3)
        parallel = checker.batch(3, 20) + checker.batch(20, len(rows))
    assert [(i.number, i.values, i.problems) for i in parallel] == [
        (i.number, i.values, i.problems) for i in serial[3:]
    ]
    assert 0 < sum(bool(i.problems) for i in serial) < len(serial)


def test_a_running_import_stops_when_cancelled_and_resumes_without_doubles(users, monkeypatch):
    monkeypatch.setattr(imports, "BULK_BATCH", 2)
    people = [[f"P{n}", "Lee", f"p{n}@example.com", "", "", ""] for n in range(5)]
    job = make_import(by=users.rep_a, rows=[HEADER, *people])
    stop = lambda done, total: import_cancel(by=users.rep_a, job_id=job.pk)  # noqa: E731
    job = import_run(by=users.rep_a, job_id=job.pk, progress=stop)
    assert (job.status, job.processed, job.created_count) == ("failed", 2, 2)
    assert "from row 3" in job.message
    import_resume(by=users.rep_a, job_id=job.pk)
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.status, job.created_count) == ("done", 5)
    assert Contact.objects.count() == 5
    with pytest.raises(FieldError):
        import_cancel(by=users.rep_a, job_id=job.pk)


def test_similar_names_are_offered_per_row_merged_as_chosen_and_undone(users, records):
    an = make_contact(by=users.rep_a, first_name="Văn An", last_name="Nguyễn")
    wang = make_contact(by=users.rep_a, first_name="伟", last_name="王")
    before = database_snapshot()
    job = make_import(
        by=users.rep_a,
        rows=[
            HEADER,
            ["Van An", "Nguyen", "an.new@example.vn", "", "", ""],  # no diacritics
            ["Wei", "Wang", "wang@example.cn", "", "", ""],  # pinyin of 王伟
            ["Nguyen", "Van An", "swapped@example.vn", "", "", ""],  # swapped
            ["Zoë", "Quint", "zoe@example.com", "", "", ""],  # nobody
        ],
    )
    matches = {
        m.number: m for m in import_preview(by=users.rep_a, job_id=job.pk, matched=True).matches
    }
    assert matches[2].record_id == an.pk and not matches[2].exact
    assert 5 not in matches
    found = {n: m.record_id for n, m in matches.items()}
    # Someone else's contact cannot be chosen by a forged form.
    with pytest.raises(FieldError):
        import_choices_set(
            by=users.rep_a, job_id=job.pk, choices={"2": f"merge:{records.contact_b.pk}"}
        )
    import_choices_set(
        by=users.rep_a, job_id=job.pk, choices={"2": f"merge:{an.pk}"}, on_fuzzy="skip"
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert job.updated_count == 1 and job.created_count == 1 + (4 not in found) + (3 not in found)
    assert ImportUpdate.objects.get(job=job).record_id == an.pk
    assert an.points.filter(value="an.new@example.vn").exists()
    if 3 in found:
        assert found[3] == wang.pk
    import_undo(by=users.rep_a, job_id=job.pk)
    assert database_snapshot() == before


def test_a_kind_a_later_app_declares_imports_through_the_same_pipeline(users, records):
    """tests.door_app declares "stamps" with its own spec: checked, written, undone."""
    from tests.door_app.models import Stamp

    email = records.contact_a.primary_email
    job = make_import(
        by=users.admin,
        kind="stamps",
        rows=[["Email", "Note"], [email, "visit"], ["nobody@example.com", "x"], [email, ""]],
    )
    assert job.mapping == {"Email": "contact_email", "Note": "note"}
    job = import_run(by=users.admin, job_id=job.pk)
    assert (job.created_count, job.error_count) == (1, 2)
    assert Stamp.objects.get().contact_id == records.contact_a.pk
    import_undo(by=users.admin, job_id=job.pk)
    assert not Stamp.objects.exists()


def test_chat_and_social_exports_become_interactions_scored_on_arrival(users, records):
    """A chat transcript exported as JSON and a CSV of social mentions: interactions of kind
    chat / social on the contact the handle or email names, their text scored for sentiment
    when the interaction.logged events are delivered (feedback's handler)."""
    import json

    from kith.core.events import events_dispatch
    from kith.customers.models import ContactPoint
    from kith.engagement.models import Interaction
    from kith.feedback.models import TextSentiment
    from kith.intake.imports import import_create

    contact = records.contact_a
    ContactPoint.objects.create(contact=contact, kind="social", value="@lan.nguyen")
    chat = {
        "name": "Zalo",
        "messages": [
            {"from": "@lan.nguyen", "date": "2026-11-30T09:15:00", "platform": "Zalo",
             "text": ["Giao hàng quá chậm, ", {"type": "bold", "text": "rất thất vọng"}]},
            {"from": "@someone.else", "date": "2026-11-30T09:16:00", "text": "hi"},
        ],
    }  # fmt: skip
    job = import_create(
        by=users.rep_a, kind="messages", filename="chat.json", content=json.dumps(chat).encode()
    )
    assert job.mapping["from"] == "contact_handle" and job.mapping["text"] == "body"
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert (job.created_count, job.error_count) == (1, 1)
    email = contact.primary_email
    job = make_import(
        by=users.rep_a,
        kind="messages",
        rows=[
            ["Email", "Platform", "Post", "Date"],
            [email, "Facebook", "送餐太慢了，菜都凉了", "2026-12-01"],
        ],
    )
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert job.created_count == 1
    made = {
        i.kind: i for i in Interaction.objects.filter(contact=contact, kind__in=["chat", "social"])
    }
    assert made["chat"].channel == "zalo" and made["chat"].body.endswith("rất thất vọng")
    assert made["social"].channel == "facebook" and made["social"].direction == "in"
    events_dispatch()
    scored = TextSentiment.objects.filter(source_model="engagement.interaction")
    assert {s.source_id: s.label for s in scored} == {
        made["chat"].pk: "negative",
        made["social"].pk: "negative",
    }


def test_orders_attach_to_a_contact_of_a_similar_name_when_similar_names_merge(users):
    from kith.sales.models import Order, Product

    an = make_contact(by=users.rep_a, first_name="Văn An", last_name="Nguyễn")
    Product.objects.create(sku="TEA-1", name="Tea", price_minor=500, currency="USD")
    rows = [["Customer", "Email", "Product"], ["Nguyen Van An", "an@nowhere.example", "TEA-1"]]
    job = make_import(by=users.rep_a, kind="orders", rows=rows)
    assert job.mapping["Customer"] == "contact_name"
    job = import_run(by=users.rep_a, job_id=job.pk)  # similar names create by default: refused
    assert (job.created_count, job.error_count) == (0, 1)
    job = make_import(by=users.rep_a, kind="orders", rows=rows)
    import_choices_set(by=users.rep_a, job_id=job.pk, choices={}, on_fuzzy="merge")
    job = import_run(by=users.rep_a, job_id=job.pk)
    assert job.created_count == 1 and Order.objects.get().contact_id == an.pk
