"""Feedback: surveys, answers and the sentiment of every customer text."""

from django.utils.translation import gettext_lazy as _

from kith.core.apps import RECORD_GRANTS, AccessModule, KithAppConfig, NavEntry, RecordPanel


class FeedbackConfig(KithAppConfig):
    name = "kith.feedback"
    label = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"feedback": AccessModule(_("feedback"), RECORD_GRANTS)}
    url_modules = ("kith.web.urls_feedback",)
    nav_entries = (
        NavEntry(
            "feedback", _("Feedback"), "sentiment-themes", order=75, url_prefixes=("feedback",)
        ),
    )
    record_panels = (
        RecordPanel("contact", "contact-sentiment-panel", _("Sentiment"), "side", order=45),
    )
    cli_commands = ("kith.cli.sentiment:register",)

    def ready(self) -> None:
        from kith.core.events import event_handler_register
        from kith.feedback.services.sentiment import (
            interaction_event_handle,
            ticket_reply_event_handle,
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
