"""The browser UI: one views module and templates folder per domain."""

from django.utils.translation import gettext_lazy as _

from kith.core.apps import KithAppConfig, NavEntry


class WebConfig(KithAppConfig):
    name = "kith.web"
    label = "web"

    # The settings pages (custom fields, users, teams, roles, mailboxes) come last.
    url_modules = ("kith.web.urls_settings",)
    # Campaigns show as "coming soon" until the marketing app declares its own entry.
    nav_entries = (NavEntry("campaigns", _("Campaigns"), None, order=80),)
