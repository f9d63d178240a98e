"""Pages of feedback: surveys (builder, detail, QR code), answers, the dashboard, the CSV export,
the company panel, the public survey pages (per-recipient link, public link / QR), and the
sentiment themes and the contact's sentiment panel."""

from django.urls import path

from kith.web.views import feedback, feedback_sentiment

urlpatterns = [
    path("feedback/themes/", feedback_sentiment.sentiment_themes_page, name="sentiment-themes"),
    path(
        "contacts/<int:contact_id>/sentiment/",
        feedback_sentiment.contact_sentiment_panel,
        name="contact-sentiment-panel",
    ),
    path("feedback/", feedback.survey_list, name="survey-list"),
    path("feedback/new/", feedback.survey_create, name="survey-create"),
    path("feedback/dashboard/", feedback.feedback_dashboard, name="feedback-dashboard"),
    path("feedback/answers/", feedback.response_list, name="feedback-answers"),
    path("feedback/answers/export.csv", feedback.responses_export, name="feedback-export"),
    path("feedback/answers/<int:response_id>/", feedback.response_detail, name="feedback-answer"),
    path("feedback/<int:survey_id>/", feedback.survey_detail, name="survey-detail"),
    path("feedback/<int:survey_id>/edit/", feedback.survey_edit, name="survey-edit"),
    path("feedback/<int:survey_id>/send/", feedback.survey_send, name="survey-send"),
    path("feedback/<int:survey_id>/qr.svg", feedback.survey_qr, name="survey-qr"),
    path(
        "companies/<int:company_id>/feedback/",
        feedback.company_feedback_panel,
        name="company-feedback-panel",
    ),
    path("s/<str:token>/", feedback.survey_answer, name="survey-answer"),
    path("survey/<str:token>/", feedback.survey_public, name="survey-public"),
    # The service desk's CSAT links mailed before its CSAT became a feedback survey.
    path("csat/<str:token>/", feedback.survey_answer, name="csat-answer"),
]
