"""Feedback pages: sentiment themes per period and the contact page's sentiment panel."""

from django.urls import path

from kith.web.views import feedback

urlpatterns = [
    path("feedback/themes/", feedback.sentiment_themes_page, name="sentiment-themes"),
    path(
        "contacts/<int:contact_id>/sentiment/",
        feedback.contact_sentiment_panel,
        name="contact-sentiment-panel",
    ),
]
