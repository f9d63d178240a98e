"""The `kith` Typer app: its own commands, every installed app's (KithAppConfig.cli_commands),
and the Django set-up they all share.

Listing the commands needs no django.setup(); running one sets Django up first, asking for a
command's --help does not.
"""

from __future__ import annotations

import os
from typing import Any

import click
import typer
from typer.core import TyperGroup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")

from kith.cli import demo, manage, server
from kith.core.doors import cli_commands


class KithGroup(TyperGroup):
    """Notes whether the command line only asks for help, so Django is not set up for it."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        options = rest[: rest.index("--")] if "--" in rest else rest
        # `kith manage --help` is Django's own help, which needs Django.
        ctx.meta["kith_help_only"] = name != "manage" and "--help" in options
        return name, command, rest


app = typer.Typer(
    name="kith",
    cls=KithGroup,
    help="Kith, an open-source CRM. Settings come from KITH_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords or customer data
    rich_markup_mode=None,
)


@app.callback()
def django_setup(ctx: typer.Context) -> None:
    """Kith, an open-source CRM. Settings come from KITH_* environment variables."""
    if ctx.meta.get("kith_help_only"):
        return
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from kith.core.checks import SECRET_KEY_MESSAGE, secret_key_public

    # `kith worker` calls Django's commands without their system checks: refuse here.
    if secret_key_public():
        typer.echo(f"error: {SECRET_KEY_MESSAGE}", err=True)
        raise typer.Exit(2)


def _commands_add(typer_app: Any) -> None:
    typer_app.command()(demo.demo)
    typer_app.command()(server.serve)
    typer_app.command()(server.worker)
    for register in cli_commands():
        register(typer_app)
    typer_app.command(
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
    )(manage.manage)


_commands_add(app)
