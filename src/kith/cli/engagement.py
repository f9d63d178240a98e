"""`kith mail fetch`: poll the IMAP mailboxes now (the worker does it every minute)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

mail_app = typer.Typer(name="mail", help="Inbound email: poll mailboxes.", no_args_is_help=True)


@mail_app.command("fetch")
def fetch(
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="Only this mailbox (by name).")
    ] = None,
) -> None:
    """Read new messages of every active mailbox and file them; safe to run again."""
    from kith.engagement.mail import mailbox_fetch
    from kith.engagement.models import Mailbox

    boxes = Mailbox.objects.filter(is_active=True).select_related("owner")
    if mailbox:
        boxes = boxes.filter(name=mailbox)
        if not boxes.exists():
            err.print(f"No active mailbox named {mailbox!r}.")
            raise typer.Exit(2)
    failed = False
    for box in boxes:
        result = mailbox_fetch(mailbox=box)
        out.print(
            f"{box.name}: {result.seen} seen, {result.filed} filed, "
            f"{result.unfiled} unfiled, {result.duplicate} duplicate"
        )
        for error in result.errors:
            failed = True
            err.print(f"{box.name}: {error}")
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `kith mail …` to the `kith` app."""
    app.add_typer(mail_app)
