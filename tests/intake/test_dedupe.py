"""Duplicate detection over the contact base: on entry and in batch; the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kith.cli.app import app
from kith.customers.models import Contact
from kith.intake.dedupe import contact_duplicates_find, dedupe_run_contacts
from kith.intake.models import DedupeRun, DuplicatePair
from tests.factories import make_contact
from tests.intake.factories import csv_bytes


def _names(candidates):
    return [c.record.full_name for c in candidates]


def test_same_email_in_other_case_is_found_first(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    make_contact(by=users.rep_a, first_name="Zed", last_name="Zu")
    found = contact_duplicates_find(user=users.rep_a, emails=["ANN@X.com"])
    assert [c.record.pk for c in found] == [ann.pk]
    assert found[0].reasons == ["email"]


def test_phone_in_any_format(users):
    make_contact(by=users.rep_a, full_name="Trần Bình", phones=["+84 912 345 678"])
    found = contact_duplicates_find(user=users.rep_a, phones=["+84 (912) 345-678"])
    assert _names(found) == ["Trần Bình"]


def test_vietnamese_name_without_diacritics(users):
    make_contact(by=users.rep_a, first_name="Văn An", last_name="Nguyễn")
    found = contact_duplicates_find(user=users.rep_a, first_name="Van An", last_name="Nguyen")
    assert _names(found) == ["Nguyễn Văn An"]
    assert found[0].reasons == ["name"]


def test_chinese_name_and_full_width_latin(users):
    make_contact(by=users.rep_a, first_name="伟", last_name="王")
    make_contact(by=users.rep_a, first_name="Wei", last_name="Wang")
    assert _names(contact_duplicates_find(user=users.rep_a, full_name="王伟")) == ["王伟"]
    found = contact_duplicates_find(user=users.rep_a, first_name="ＷＥＩ", last_name="ＷＡＮＧ")
    assert _names(found) == ["Wei Wang"]


def test_excludes_the_record_itself_and_other_teams(users):
    ann = make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    assert contact_duplicates_find(user=users.rep_a, emails=["ann@x.com"], exclude_id=ann.pk) == []
    assert contact_duplicates_find(user=users.rep_b, emails=["ann@x.com"]) == []


def test_different_people_are_not_suggested(users):
    make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    found = contact_duplicates_find(
        user=users.rep_a, first_name="Bob", last_name="Stone", emails=["bob@y.com"]
    )
    assert found == []


@pytest.mark.django_db
def test_batch_run_stores_clusters(users):
    for i in range(40):
        make_contact(by=users.rep_a, first_name=f"Person{i}", last_name=f"Family{i % 7}",
                     emails=[f"p{i}@example.org"])  # fmt: skip
    a = make_contact(by=users.rep_a, first_name="Văn An", last_name="Nguyễn",
                     emails=["an@x.vn"], phones=["+84 912 345 678"])  # fmt: skip
    b = make_contact(by=users.rep_a, first_name="Van An", last_name="Nguyen",
                     emails=["an@x.vn"], phones=["+84912345678"])  # fmt: skip
    run = dedupe_run_contacts(by=users.rep_a, threshold=0.5)
    assert run.status == "done"
    assert run.record_count == 42
    pair = DuplicatePair.objects.get(run=run, contact_a=a.pk)
    assert pair.contact_b == b.pk
    assert pair.probability >= 0.5
    assert pair.evidence["email"].lower().startswith("exact")


@pytest.mark.django_db
def test_batch_run_only_sees_the_users_scope(users):
    make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    make_contact(by=users.rep_b, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    run = dedupe_run_contacts(by=users.rep_b)
    assert run.record_count == 1
    assert run.pair_count == 0


@pytest.mark.django_db
def test_a_reps_run_does_not_replace_the_company_wide_result(users, web_for):
    """Found when attacked: a rep's run replaced the company-wide pairs (the full base then
    showed 0 pairs while the rep's team alone had 19). Runs are per scope."""
    make_contact(by=users.rep_a, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    make_contact(by=users.rep_b, first_name="Ann", last_name="Lee", emails=["ann@x.com"])
    make_contact(by=users.rep_b, first_name="Bo", last_name="Ng", emails=["bo@x.com"])
    make_contact(by=users.rep_b, first_name="Bo", last_name="Ng", emails=["bo@x.com"])
    company = dedupe_run_contacts(by=users.admin, threshold=0.5)
    assert (company.scope, company.pair_count) == ("all", 2)
    team_b = dedupe_run_contacts(by=users.rep_b, threshold=0.5)
    assert (team_b.scope, team_b.pair_count) == (f"team:{users.rep_b.team_id}", 1)
    team_a = dedupe_run_contacts(by=users.rep_a, threshold=0.5)
    assert team_a.pair_count == 0
    open_pairs = DuplicatePair.objects.filter(status="open")
    assert open_pairs.filter(run=company).count() == 2
    assert open_pairs.filter(run=team_b).count() == 1
    # Each sees the run of their scope, with its counts; a rep with none sees the company run
    # counted over their own contacts only.
    admin_page = web_for(users.admin).get("/data/duplicates/").content.decode()
    assert "4 contacts, 2 likely duplicate pairs" in admin_page
    rep_b_page = web_for(users.rep_b).get("/data/duplicates/").content.decode()
    assert "3 contacts, 1 likely duplicate pairs" in rep_b_page
    DuplicatePair.objects.filter(run__in=[team_a, team_b]).delete()
    DedupeRun.objects.filter(pk__in=[team_a.pk, team_b.pk]).delete()
    rep_a_page = web_for(users.rep_a).get("/data/duplicates/").content.decode()
    assert "1 contacts, 0 likely duplicate pairs" in rep_a_page


@pytest.mark.django_db
def test_cli_import_dry_run_and_run(users, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes([["Name", "Email"], ["Ann", "ann@x.com"], ["Bob", "nope"]], encoding="utf-8-sig")
    )
    dry = CliRunner().invoke(app, ["import", "contacts", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.stdout)
    assert (summary["rows"], summary["valid"]) == (2, 1)
    assert summary["errors"][0]["row"] == 3
    assert Contact.objects.count() == 0

    done = CliRunner().invoke(app, ["import", "contacts", str(path), "--json", "--user", "rep_a"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["created"] == 1
    assert Contact.objects.get().owner == users.rep_a


@pytest.mark.django_db
def test_cli_import_names_a_bad_file(users, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["import", "contacts", str(path)])
    assert result.exit_code == 2
    assert "The file is empty." in result.output
