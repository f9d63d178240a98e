"""A customer opens a ticket on the public support form; an agent answers and resolves it; the
customer follows the link in the CSAT email (captured by a local SMTP server) and answers."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from playwright.sync_api import Page, expect

from kith.core.events import events_dispatch
from kith.feedback import services as feedback
from kith.feedback.models import SurveyRequest, SurveyResponse
from kith.service.models import Ticket
from tests.conftest import PASSWORD
from tests.service.factories import make_desk

pytestmark = pytest.mark.browser


def test_support_form_resolve_and_csat(page: Page, live_server, users, smtp, settings, screenshot):
    make_desk(by=users.admin)
    settings.KITH_BASE_URL = live_server.url
    page.set_default_navigation_timeout(90_000)  # the test machine is shared and busy
    page.goto(f"{live_server.url}/support/")
    page.get_by_label("Your name").fill("Trần Văn Nam")
    page.get_by_label("Email").fill("nam@example.org")
    page.get_by_label("Subject").fill("Không đăng nhập được")
    page.get_by_label("How can we help?").fill("Mật khẩu bị từ chối.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-thanks]")).to_contain_text("Your request is [#")
    ticket = Ticket.objects.get()
    screenshot("support-form-thanks")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/tickets/")
    page.get_by_role("link", name=re.compile("Không đăng nhập được")).click()
    expect(page.locator("[data-status]")).to_have_text("New")
    page.get_by_label("Reply").fill("Chúng tôi đã đặt lại mật khẩu.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("[data-status]")).to_have_text("Open")
    expect(page.locator("[data-thread] [data-message=reply]")).to_contain_text("đặt lại mật khẩu")
    (sent,) = smtp.messages
    subject = str(make_header(decode_header(sent["Subject"])))
    assert sent["To"] == "nam@example.org" and subject == f"Re: Không đăng nhập được [#{ticket.pk}]"
    # The activity panel (loaded by htmx): log the call back and leave a comment.
    activity = page.locator("#record-activity")
    activity.get_by_text("Log an interaction").click()
    activity.get_by_label("Subject").fill("Gọi lại cho anh Nam")
    activity.get_by_role("button", name="Log").click()
    expect(page.locator("#record-activity [data-kind=call]")).to_contain_text("Gọi lại cho anh Nam")
    page.locator("#record-activity").get_by_label("Comment").fill("Đã xác nhận qua điện thoại.")
    page.locator("#record-activity").get_by_role("button", name="Comment").click()
    expect(page.locator("#record-activity [data-comment]")).to_contain_text("Đã xác nhận")
    page.locator("[data-transition=resolved]").click()
    expect(page.locator("[data-status]")).to_have_text("Resolved")
    screenshot("ticket-resolved")

    # The worker's job: ticket.resolved makes feedback open the CSAT survey and mail it.
    events_dispatch()
    request = SurveyRequest.objects.get(source_model="service.ticket", source_id=ticket.pk)
    assert feedback.survey_email_send(request_id=request.pk) is True
    mail = smtp.messages[-1]  # after the agent's emailed replies
    assert mail["To"] == "nam@example.org"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    link = re.search(r"(http://\S+/s/\S+/)$", body, re.M).group(1)

    page.goto(link)
    page.get_by_label("4").check()
    page.get_by_role("textbox").fill("Nhanh, cảm ơn!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-thanks]")).to_be_visible()
    events_dispatch()  # survey.answered brings the score back onto the ticket
    ticket.refresh_from_db()
    assert ticket.csat_score == 4
    assert SurveyResponse.objects.get(source_id=ticket.pk).comment == "Nhanh, cảm ơn!"
