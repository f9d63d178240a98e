"""`kith loyalty backfill|expire|tiers`: points for past orders with a progress bar, and the
nightly jobs on demand.

The cli layer may read sales: it streams the orders visible to --user with their lines
(kith.insights.loyalty_orders.sales_order_facts, shared with the demo) to loyalty's bulk service, which
never imports sales.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kith.cli.acting import acting_user

err = Console(stderr=True)

loyalty_app = typer.Typer(
    name="loyalty", help="Loyalty points: backfill from past orders, expiry, tiers.",
    no_args_is_help=True,
)  # fmt: skip

UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this user (default: the first superuser).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _user(name: str) -> Any:
    from kith.core.errors import KithError
    from kith.identity.access import require

    by = acting_user(name)
    try:
        require(by, "loyalty_programmes", "edit")
    except KithError as exc:
        err.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from exc
    return by


@loyalty_app.command()
def backfill(
    user: UserOpt = "",
    chunk: Annotated[int, typer.Option(help="Orders per transaction.", min=1)] = 2000,
    as_json: AsJson = False,
) -> None:
    """Earn points for every past order that has not earned yet, then re-evaluate tiers and
    expire what is past its date. Safe to run again: an order earns once."""
    from django.utils.translation import gettext as _

    from kith.identity.access import visible_to
    from kith.insights.loyalty_orders import sales_order_facts
    from kith.loyalty import services
    from kith.sales.models import Order

    by = _user(user)
    orders = visible_to(Order.objects.all(), user=by, module="orders")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=as_json,
    ) as bar:  # fmt: skip
        task_id = bar.add_task(_("Orders"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)

        result = services.orders_backfill(
            sales_order_facts(orders, chunk=chunk, progress=progress), chunk=chunk
        )
        tiers = services.tiers_evaluate()
        expired = services.points_expire()
    summary = {
        "orders": result.orders, "earned": result.earned, "skipped": result.skipped,
        "points": result.points, "members_new": result.members_new, "tier_changes": tiers,
        "points_expired": expired,
    }  # fmt: skip
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        Console().print(
            _(
                "%(orders)s orders read, %(earned)s earned %(points)s points "
                "(%(members_new)s new members); %(tier_changes)s tier changes, "
                "%(points_expired)s points expired."
            )
            % summary
        )


@loyalty_app.command()
def expire(user: UserOpt = "") -> None:
    """Expire the points past their date now (the worker does it nightly)."""
    from kith.loyalty import services

    _user(user)
    Console().print(services.points_expire())


@loyalty_app.command()
def tiers(user: UserOpt = "") -> None:
    """Re-evaluate every member's tier now (the worker does it nightly)."""
    from kith.loyalty import services

    _user(user)
    Console().print(services.tiers_evaluate())


def register(app: typer.Typer) -> None:
    """Add `kith loyalty …` to the `kith` app."""
    app.add_typer(loyalty_app)
