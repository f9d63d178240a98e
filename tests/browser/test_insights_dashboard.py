"""The insights dashboard draws its charts from the scored small demo (the tiny one has too few
repeat buyers for lifetime values, so no CLV chart), and a customer picked from the
win-back list shows their scores in the contact page's panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.demo import DEMO_PASSWORD, demo_load
from kith.insights.models import CustomerScore

pytestmark = pytest.mark.browser


def test_dashboard_charts_and_contact_scores(page: Page, live_server, transactional_db, screenshot):
    demo_load(size="small")  # scores every contact as its last step
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("emma")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")

    page.locator("nav.modules").get_by_role("link", name="Insights").click()
    expect(page.locator("h1")).to_have_text("Insights")
    expect(page.locator("[data-run]")).to_contain_text("contacts")
    for chart in ("segments-chart", "clv-chart", "kpis-chart"):
        # Chart.js has drawn on the canvas (it registers each chart it made).
        page.wait_for_function(
            "id => window.Chart && window.Chart.getChart(document.getElementById(id))",
            arg=chart,
        )
    expect(page.locator("[data-rfm-grid] td.heat").first).to_be_visible()
    expect(page.locator("[data-cohorts] tbody tr").first).to_be_visible()
    expect(page.locator("[data-quality]")).to_contain_text("Fitted on")
    screenshot("insights-dashboard")

    # Keyboard: the section links jump to the win-back list; its first customer opens.
    page.get_by_role("link", name="Win-back list").focus()
    page.keyboard.press("Enter")
    first = page.locator("[data-winback] tbody a").first
    first.focus()
    page.keyboard.press("Enter")
    panel = page.locator("[data-insights-panel]")
    expect(panel).to_be_visible()
    contact_id = int(page.url.rstrip("/").split("/")[-1])
    score = CustomerScore.objects.get(contact_id=contact_id)
    expect(panel.locator("[data-segment]")).to_have_attribute("data-segment", score.segment)
    expect(panel.locator("[data-churn-risk]")).to_have_text(f"{round(score.churn_risk * 100)}%")
    expect(panel.locator("[data-recommendations] li").first).to_be_visible()
    screenshot("insights-contact-panel")
