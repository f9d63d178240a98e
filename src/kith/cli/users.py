"""`kith createuser`: a user with a role and a team, from the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape


def createuser(
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    team: Annotated[
        str, typer.Option(help="Team name; the team is created if it does not exist.")
    ] = "",
    role: Annotated[
        str,
        typer.Option(
            help="admin, manager or sales_rep (default: admin with --superuser, else sales_rep)"
        ),
    ] = "",
    superuser: Annotated[
        bool, typer.Option("--superuser", help="May do everything, everywhere.")
    ] = False,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from the first line of standard input."
        ),
    ] = False,
) -> None:
    """Create a user who can sign in, with a role and optionally a team."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from kith.core.errors import FieldError
    from kith.identity.selectors import teams_all
    from kith.identity.services import roles_ensure_defaults, team_create, user_create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    role_slug = role or ("admin" if superuser else "sales_rep")
    try:
        # One transaction: a refused user leaves no new team behind.
        with transaction.atomic():
            roles_ensure_defaults()
            team_obj = None
            if team.strip():
                team_obj = teams_all().filter(name=team.strip()).first() or team_create(name=team)
            user = user_create(
                username=username,
                password=password,
                email=email,
                team=team_obj,
                role_slug=role_slug,
                is_superuser=superuser,
            )
    except FieldError as exc:
        errors = Console(stderr=True)
        for field, message in exc.errors.items():
            errors.print(f"[red]{escape(_('error'))}:[/red] {escape(field)}: {escape(message)}")
        raise typer.Exit(1) from None
    Console().print(
        escape(
            _("Created user %(username)s (role %(role)s, team %(team)s).")
            % {
                "username": user.username,
                "role": user.role.name if user.role else "-",
                "team": user.team.name if user.team else "-",
            }
        )
    )


def register(app: typer.Typer) -> None:
    """Add `kith createuser` to the `kith` app."""
    app.command()(createuser)
