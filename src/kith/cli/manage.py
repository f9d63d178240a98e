"""`kith manage …`: Django's management commands, unchanged."""

from __future__ import annotations

import typer


def manage(ctx: typer.Context) -> None:
    """Run a Django management command: kith manage migrate, kith manage shell, kith manage help."""
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kith manage", *ctx.args])
