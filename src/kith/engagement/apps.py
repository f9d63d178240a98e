"""Interactions, the timeline, tasks and reminders, comments, mentions and notifications."""

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "kith.engagement"
    label = "engagement"
    verbose_name = "Engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.engagement import mail, selectors, tasks
        from kith.engagement.records import record_kind_register
        from kith.engagement.timeline import timeline_source_register

        record_kind_register(model="customers.contact", get=selectors.contact_ref)
        record_kind_register(model="customers.company", get=selectors.company_ref)

        timeline_source_register(
            kind="interaction", label=_("Interactions"), fetch=selectors.interactions_for_timeline
        )
        timeline_source_register(
            kind="change", label=_("History"), fetch=selectors.changes_for_timeline
        )
        timeline_source_register(
            kind="comment", label=_("Comments"), fetch=selectors.comments_for_timeline
        )
        mail.inbound_mail_handler_register(purpose="timeline", handler=mail.timeline_file)
        schedule_register(
            name="engagement.reminders_deliver",
            every=timedelta(minutes=1),
            task=tasks.reminders_deliver_task,
        )
        schedule_register(
            name="engagement.mailboxes_fetch",
            every=timedelta(minutes=1),
            task=tasks.mailboxes_fetch_task,
        )
