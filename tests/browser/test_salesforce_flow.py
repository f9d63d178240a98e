"""The sales force pages in a browser, on the tiny demo: the forecast page with a rep's quota
and the P10–P90 chart drawn, then the lead list sorted by score (best first) and a lead's
score explained."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kith.demo import DEMO_PASSWORD, demo_load

pytestmark = pytest.mark.browser


def test_forecast_with_quota_and_leads_by_score(page: Page, live_server, transactional_db):
    demo_load(size="tiny")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Password").press("Enter")

    page.goto(f"{live_server.url}/deals/forecast/probabilistic/?period=month")
    rep = page.locator("[data-forecast-lines] tr[data-kind=rep]").first
    expect(rep).to_be_visible()
    quota = rep.locator("td").nth(6)  # the rep's monthly quota from the demo
    expect(quota).not_to_have_text("")
    page.wait_for_function(
        "id => window.Chart && window.Chart.getChart(document.getElementById(id))",
        arg="forecast-mc-chart",
    )
    page.wait_for_function(
        "id => window.Chart && window.Chart.getChart(document.getElementById(id))",
        arg="forecast-backtest-chart",
    )

    page.goto(f"{live_server.url}/leads/")
    cells = page.locator("#record-table [data-score]")
    expect(cells.first).to_be_visible()
    shown = [t.strip() for t in cells.all_inner_texts()]
    scores = [int(t.rstrip(" %")) for t in shown if t != "—"]
    assert scores and scores == sorted(scores, reverse=True), shown
    page.locator("#record-table a.row-link").first.click()
    expect(page.locator("[data-lead-score]")).to_have_text(f"{scores[0]} %")
    expect(page.locator("[data-score-note]")).to_contain_text("Too little history")
