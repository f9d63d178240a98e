"""The browser UI: one views module and templates folder per domain."""

from kith.core.apps import KithAppConfig


class WebConfig(KithAppConfig):
    name = "kith.web"
    label = "web"

    # The settings pages (custom fields, users, teams, roles, mailboxes) come last.
    url_modules = ("kith.web.urls_settings",)
