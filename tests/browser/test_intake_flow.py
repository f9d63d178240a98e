"""A user uploads a CSV of contacts, sees the preview with the row that will fail, imports it in
the background (the progress bar polls until the worker is done), downloads the error file, and
undoes the import."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from kith.customers.models import Contact
from kith.intake.models import ImportJob
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

CSV = (
    "\ufeffFirst name,Last name,Email,Phone\n"
    "Nguyễn Văn,An,an@example.vn,+84 912 345 678\n"
    "王,伟,wei@example.cn,+86 138 0013 8000\n"
    "Broken,Email,not-an-email,\n"
).encode()


def test_upload_preview_import_progress_and_undo(page: Page, live_server, users, screenshot):
    page.set_default_navigation_timeout(90_000)  # the test machine is shared and busy
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("rep_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/data/imports/")
    page.get_by_label("File").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.locator("[data-preview-summary]")).to_contain_text("3 rows; 2 of the first 3")
    expect(page.locator("[data-row-error]")).to_contain_text("Row 4, Email")
    expect(page.get_by_role("cell", name="Nguyễn Văn")).to_be_visible()
    screenshot("intake-preview")
    page.get_by_role("button", name="Import", exact=True).click()

    # Queued for the worker: the bar is on the page and polls for progress.
    progress = page.locator("[data-import-status]")
    expect(progress).to_have_attribute("data-import-status", "queued")
    expect(page.get_by_label("Import progress")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay")
    # The next poll sees the finished import and reloads the page with its summary.
    expect(page.locator("[data-import-summary]")).to_contain_text("Created")
    assert set(Contact.objects.values_list("primary_email", flat=True)) == {
        "an@example.vn",
        "wei@example.cn",
    }
    screenshot("intake-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the error file").click()
    errors = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "not-an-email" in errors and errors.splitlines()[1].startswith("4,Email,")

    page.get_by_role("button", name="Undo this import").click()
    expect(page.locator(".messages")).to_contain_text("The import was undone.")
    assert Contact.objects.count() == 0
    assert ImportJob.objects.get().status == ImportJob.Status.UNDONE


def test_new_contact_form_shows_a_likely_duplicate_before_saving(page: Page, live_server, users):
    from tests.factories import make_contact

    existing = make_contact(
        by=users.rep_a, first_name="Văn An", last_name="Nguyễn", emails=["an@example.vn"]
    )
    page.set_default_navigation_timeout(90_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("rep_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/contacts/new/")
    # Typed without diacritics: still the same person.
    page.get_by_label("First name").fill("Van An")
    page.get_by_label("Last name").fill("Nguyen")
    page.get_by_label("Last name").press("Tab")
    duplicate = page.locator("[data-duplicate]")
    expect(duplicate).to_contain_text("Nguyễn Văn An")
    expect(duplicate.get_by_role("link", name="Nguyễn Văn An")).to_have_attribute(
        "href", f"/contacts/{existing.pk}/"
    )
    assert Contact.objects.count() == 1  # nothing saved by the check


def test_batch_duplicates_review_merge_and_undo(page: Page, live_server, users):
    from tests.factories import make_contact

    a = make_contact(
        by=users.rep_a, first_name="Văn An", last_name="Nguyễn", emails=["an@example.vn"],
        phones=["+84 912 345 678"], title="CEO",
    )  # fmt: skip
    b = make_contact(
        by=users.rep_a, first_name="Van An", last_name="Nguyen", phones=["+84912345678"],
        emails=["an.nguyen@example.com"],
    )  # fmt: skip
    for i in range(40):
        make_contact(by=users.rep_a, first_name=f"Person{i}", last_name=f"Family{i % 7}",
                     emails=[f"p{i}@example.org"], phones=[f"+44 20 7946 {i:04d}"])  # fmt: skip
    page.set_default_navigation_timeout(90_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("rep_a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/data/duplicates/")
    page.get_by_role("button", name="Search the whole base for duplicates").click()
    expect(page.locator(".messages")).to_contain_text("The duplicate search has started")
    call_command("db_worker", "--batch", "--no-startup-delay")
    page.reload()
    cluster = page.locator("[data-cluster]")
    expect(cluster).to_have_count(1)
    expect(cluster).to_contain_text("phone")  # the evidence of the pair
    probability = float(cluster.locator("td.numeric").first.inner_text())
    assert probability >= 0.9
    cluster.get_by_role("link", name="Review and merge").click()

    # Keep the contact with the email and the title; take nothing else from the other.
    page.locator(f"input[name=survivor][value='{a.pk}']").check()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The records were merged")
    assert list(Contact.objects.values_list("pk", flat=True).filter(pk__in=[a.pk, b.pk])) == [a.pk]
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.locator(".messages")).to_contain_text("The merge was undone.")
    assert Contact.objects.filter(pk=b.pk).exists()
