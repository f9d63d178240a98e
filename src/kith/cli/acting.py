"""Who a `kith` command acts as: the --user named, or the first superuser."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)


def acting_user(name: str) -> Any:
    """The active user named `name`, or the first active superuser when no name is given;
    exits with code 2 and says so when there is none."""
    from django.utils.translation import gettext as _

    from kith.identity.models import User

    by = (
        User.objects.filter(username=name, is_active=True).first()
        if name
        else User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    )
    if by is None:
        err.print(_("No such user: pass --user."), style="red", markup=False)
        raise typer.Exit(2)
    return by
