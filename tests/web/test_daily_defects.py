"""Issue #17, the last group: words in context and in the user's language (SLA times, the
ticket's "Created" and "Open", RFM segment names), rep scope (the team filter, the insights
header), and the duplicate warning for a new contact whose email is on file."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone, translation

from kith.engagement.selectors import duration_words
from kith.insights.vocabulary import segment_name
from kith.service.models import Ticket, TicketEvent
from tests.factories import make_contact
from tests.service.factories import make_desk, make_ticket
from tests.web.test_i18n import switch


def test_words_in_context_and_in_the_language(users) -> None:
    six_days = (6 * 24 + 18) * 3600 + 5 * 60
    assert duration_words(six_days) == "6 days 18 hours"
    assert duration_words(12 * 60) == "12 minutes"
    with translation.override("vi"):
        assert duration_words(six_days) == "6 ngày 18 giờ"
        assert str(TicketEvent.Kind.CREATED.label) == "Đã tạo"
        assert str(segment_name("lost")) == "Đã rời bỏ"  # a customer lost, not "failure"
    with translation.override("zh-hans"):
        assert str(Ticket.Status.OPEN.label) == "处理中"  # not 未完成 (a task's "open")
        assert str(segment_name("cant_lose")) == "不可流失客户"


def test_ticket_page_in_vietnamese_has_no_english_time_and_no_raw_code(users, web_for) -> None:
    make_desk(by=users.admin)
    ticket = make_ticket(by=users.rep_a, now=timezone.now() - timedelta(minutes=5))
    client = web_for(users.rep_a)
    switch(client, "vi")
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "days" not in page and "hours" not in page and "minutes" not in page
    assert "còn lại" in page or "giờ" in page
    created = page[page.index('data-event="created"') :].split("</li>")[0]
    assert "Đã tạo" in created and ">new<" not in created and " new" not in created


def test_rep_scope_team_filter_and_insights_header(users, teams, records, web_for) -> None:
    from tests.sales.factories import make_pipeline

    make_pipeline(by=users.admin)
    rep, admin = web_for(users.rep_a), web_for(users.admin)
    for url in ("/tickets/metrics/", "/deals/"):
        assert ">Team B</option>" not in rep.get(url).content.decode(), url
        assert ">Team A</option>" in rep.get(url).content.decode(), url
        assert ">Team B</option>" in admin.get(url).content.decode(), url

    # The insights header counts the contacts the rep sees, not everyone scored.
    from kith.insights.jobs import scoring_run

    scoring_run()
    header = rep.get("/insights/").content.decode()
    assert "for 1 contacts" in header or "for 1 contact" in header, header[:3000]


def test_new_contact_with_an_email_on_file_warns(users, records, web_for) -> None:
    client = web_for(users.rep_a)
    response = client.post(
        "/contacts/new/",
        {"full_name": "Wang W.", "lifecycle_stage": "lead", "source_channel": "other",
         "emails-0-value": "wang.weiming@example.cn"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "Possible duplicate: 王伟明 already on file." in page
    fresh = make_contact(by=users.rep_a, full_name="Nobody Else", emails=["nobody@example.org"])
    assert fresh.pk


def test_each_score_says_what_it_means_and_drivers_compare(users, records, web_for) -> None:
    from kith.insights.models import CustomerScore

    CustomerScore.objects.create(
        contact=records.contact_a, recency_days=338, frequency=2, monetary=120.0, r_score=1,
        f_score=3, m_score=3, segment="promising", expected_purchases_90=0.1,
        expected_purchases_365=0.4, p_alive=0.9, expected_spend=60.0, clv=40.0, churn_risk=0.49,
        churn_drivers=[{"feature": "recency_days", "value": 338, "effect": -0.2}],
        scored_at=timezone.now(),
    )  # fmt: skip
    html = web_for(users.rep_a).get(f"/contacts/{records.contact_a.pk}/scores/").content.decode()
    for score in ("segment", "clv", "p_alive", "churn"):
        assert f'data-explain="{score}"' in html, score
    assert "Still buying (purchase rhythm)" in html and "Still active" not in html
    assert "lowers the risk below a typical customer&#x27;s" in html
