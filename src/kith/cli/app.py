"""The `kith` Typer app: its commands, and the Django set-up they all share."""

from __future__ import annotations

import os

import typer

from kith.cli import demo, engagement, insights, insights_score, intake, manage, server, users

app = typer.Typer(
    name="kith",
    help="Kith, an open-source CRM. Settings come from KITH_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords or customer data
)


@app.callback()
def django_setup() -> None:
    """Kith, an open-source CRM. Settings come from KITH_* environment variables."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kith.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


app.command()(demo.demo)
app.command()(server.serve)
app.command()(server.worker)
app.command()(users.createuser)
intake.register(app)
engagement.register(app)
insights.register(app)
insights_score.register(app)
app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)(manage.manage)
