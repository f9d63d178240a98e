"""A sales rep logs a call on a contact and sees it on the timeline, then creates a task with a
reminder, the reminder is delivered (as the worker's schedule would) and shows in the bell and
the notification inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kith.customers import services as customer_services
from kith.engagement.models import Interaction, Task
from kith.engagement.services import tasks_remind_due
from tests.browser.test_contact_flow import sign_in

pytestmark = pytest.mark.browser


def test_log_a_call_and_get_a_task_reminder(page: Page, live_server, users, screenshot):
    lan = customer_services.contact_create(
        by=users.rep_a, full_name="Phạm Thị Lan", emails=["lan@example.vn"]
    )
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/contacts/{lan.pk}/")

    panel = page.locator("#timeline-panel")
    expect(panel.get_by_role("heading", name="Timeline")).to_be_visible()
    # The composer is open: the day's work comes first on a contact's page (#17).
    expect(panel.locator("[data-composer]")).to_have_attribute("open", "")
    panel.get_by_label("Kind").select_option("call")
    panel.get_by_label("Direction").select_option("out")
    panel.get_by_label("Channel").fill("zalo")
    panel.get_by_label("Duration (minutes)").fill("7")
    panel.get_by_label("Outcome").select_option("connected")
    panel.get_by_label("Subject").fill("Giá sỉ cho 20 thùng")
    panel.get_by_role("button", name="Log").click()

    item = page.locator(".timeline-item", has_text="Call (outbound): Giá sỉ cho 20 thùng")
    expect(item).to_be_visible()
    expect(item).to_contain_text("zalo · 7 minutes · Connected")  # in words, not "7:00"
    screenshot("timeline-call")
    call = Interaction.objects.get()
    assert (call.contact_id, call.duration_seconds, call.outcome) == (lan.pk, 420, "connected")

    # A task for this contact with a reminder a minute ago.
    page.goto(f"{live_server.url}/tasks/new/?contact={lan.pk}")
    due = timezone.localtime() + timedelta(hours=1)
    remind = timezone.localtime() - timedelta(minutes=1)
    page.get_by_label("Title").fill("Gửi báo giá cho Lan")
    page.get_by_label("Due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Remind me at").fill(remind.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{live_server.url}/contacts/{lan.pk}/")
    expect(page.locator(".task-panel")).to_contain_text("Gửi báo giá cho Lan")
    assert Task.objects.get().contact_id == lan.pk

    # The worker's every-minute schedule delivers due reminders.
    assert tasks_remind_due() == 1
    page.goto(f"{live_server.url}/tasks/")
    expect(page.locator(".nav-bell .count")).to_contain_text("1")
    page.locator(".nav-bell").click()
    expect(page.locator(".notification.unread")).to_contain_text("Reminder: Gửi báo giá cho Lan")
    screenshot("reminder-notification")
