"""Users, teams, roles (scope own/team/all per module) and API tokens."""

from kith.core.apps import KithAppConfig


class IdentityConfig(KithAppConfig):
    name = "kith.identity"
    search_sources = ("kith.identity.selectors:palette_search",)
    label = "identity"
    # Users, teams, roles and tokens are administered, not granted per module.
    api_routers = ("kith.api.identity:router", "kith.api.admin:router")
    cli_commands = ("kith.cli.users:register",)
