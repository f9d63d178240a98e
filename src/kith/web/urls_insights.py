"""Insights pages: dashboard, win-back list pages and the contact page's scores panel."""

from django.urls import path

from kith.web.views import insights

urlpatterns = [
    path("insights/", insights.insights_dashboard, name="insights-dashboard"),
    path("insights/win-back/", insights.insights_winback, name="insights-winback"),
    path(
        "contacts/<int:contact_id>/scores/",
        insights.contact_insights_panel,
        name="contact-insights-panel",
    ),
]
