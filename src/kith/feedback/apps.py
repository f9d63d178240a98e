"""Feedback: surveys (NPS, CSAT, CES, custom) on every channel, answers, closing the loop, and
the sentiment of every customer text."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DemoLoader,
    KithAppConfig,
    NavEntry,
    RecordPanel,
)


class FeedbackConfig(KithAppConfig):
    name = "kith.feedback"
    label = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"feedback": AccessModule(_("feedback"), RECORD_GRANTS)}
    api_routers = ("kith.api.feedback:router",)
    url_modules = ("kith.web.urls_feedback",)
    nav_entries = (
        NavEntry(
            "feedback", _("Feedback"), "survey-list", order=75, url_prefixes=("survey", "feedback")
        ),
    )
    record_panels = (
        RecordPanel("company", "company-feedback-panel", _("Feedback"), "side", order=45),
        RecordPanel("contact", "contact-sentiment-panel", _("Sentiment"), "side", order=45),
    )
    cli_commands = ("kith.cli.feedback_sentiment:register",)
    demo_loaders = (DemoLoader("kith.demo.feedback:demo_feedback_load", order=35),)
    personal_data = ("kith.feedback.personal_data",)

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.core.schedules import schedule_register
        from kith.engagement.timeline import timeline_source_register
        from kith.feedback import handlers, selectors, tasks
        from kith.feedback.services.sentiment import (
            interaction_event_handle,
            ticket_reply_event_handle,
        )

        timeline_source_register(
            kind="survey", label=_("Survey answers"), fetch=selectors.responses_for_timeline
        )
        timeline_source_register(
            kind="sentiment", label=_("Sentiment"), fetch=selectors.sentiments_for_timeline
        )
        event_handler_register(
            name="feedback.survey_after_ticket",
            events={"ticket.resolved"},
            handler=handlers.ticket_resolved_handle,
        )
        event_handler_register(
            name="feedback.survey_after_order",
            events={"order.created"},
            handler=handlers.order_created_handle,
        )
        event_handler_register(
            name="feedback.survey_after_meeting",
            events={"interaction.logged"},
            handler=handlers.interaction_logged_handle,
        )
        event_handler_register(
            name="feedback.follow_up_on_answer",
            events={"survey.answered"},
            handler=handlers.survey_answered_handle,
        )
        event_handler_register(
            name="feedback.follow_up_on_sentiment",
            events={"sentiment.scored"},
            handler=handlers.sentiment_scored_handle,
        )
        schedule_register(
            name="feedback.relationship_surveys",
            every=timedelta(days=1),
            task=tasks.relationship_surveys_send_task,
        )
        event_handler_register(
            name="feedback.sentiment_of_interaction",
            events={"email.received", "interaction.logged"},
            handler=interaction_event_handle,
        )
        event_handler_register(
            name="feedback.sentiment_of_ticket_reply",
            events={"ticket.customer_replied"},
            handler=ticket_reply_event_handle,
        )
