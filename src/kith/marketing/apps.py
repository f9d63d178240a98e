"""Segments, templates, campaigns with a holdout, exactly-once delivery, tracking, unsubscribe."""

from datetime import time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from kith.core.apps import (
    RECORD_GRANTS,
    AccessModule,
    DemoLoader,
    KithAppConfig,
    NavEntry,
    RuleAction,
)


def rule_campaign_add(*, by: Any, contact_id: int, target: int) -> str:
    """Automation's "add to a campaign" action: the contact joins a static list that campaigns
    send to (as `by`, the rule's owner, with marketing's own checks)."""
    from kith.marketing.services.segments import segment_members_add

    added = segment_members_add(by=by, segment_id=int(target), contact_ids=[contact_id])
    return str(_("Added to the list.") if added else _("Already on the list."))


def rule_campaign_lists(*, by: Any) -> list[tuple[int, str]]:
    """The static lists `by` sees, for the rule builder."""
    from kith.marketing.models import Segment
    from kith.marketing.selectors import segments_list

    page = segments_list(user=by, limit=200)
    return [(s.pk, s.name) for s in page.items if s.kind == Segment.Kind.STATIC]


class MarketingConfig(KithAppConfig):
    name = "kith.marketing"
    label = "marketing"
    verbose_name = "Marketing"
    default_auto_field = "django.db.models.BigAutoField"

    access_modules = {"marketing": AccessModule(_("marketing"), RECORD_GRANTS)}
    api_routers = ("kith.api.marketing:router",)
    url_modules = ("kith.web.urls_marketing",)
    nav_entries = (
        NavEntry(
            "campaigns",
            _("Campaigns"),
            "campaign-list",
            order=80,
            url_prefixes=("campaign", "segment", "template"),
        ),
    )
    cli_commands = ("kith.cli.marketing:register",)
    personal_data = ("kith.marketing.personal_data",)
    rule_actions = (
        RuleAction(
            "add_to_campaign",
            _("Add to a campaign list"),
            "kith.marketing.apps:rule_campaign_add",
            "kith.marketing.apps:rule_campaign_lists",
        ),
    )
    demo_loaders = (DemoLoader("kith.demo.marketing:demo_marketing_load", order=50),)

    def ready(self) -> None:
        from kith.core.schedules import schedule_register
        from kith.engagement.mail import inbound_mail_handler_register
        from kith.marketing import tasks
        from kith.marketing.bounces import bounce_mail_handle

        inbound_mail_handler_register(purpose="bounces", handler=bounce_mail_handle)
        schedule_register(
            name="marketing.segments_refresh",
            every=timedelta(days=1),
            task=tasks.segments_refresh_task,
            at=time(3, 0),  # after the insights scores of 02:00
        )
        schedule_register(
            name="marketing.campaigns_send",
            every=timedelta(minutes=1),
            task=tasks.campaigns_send_task,
        )
