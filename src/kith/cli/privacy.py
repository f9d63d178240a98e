"""`kith personal-data export|erase CONTACT_ID`: a person's privacy rights from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

personal_app = typer.Typer(
    name="personal-data", help="A contact's personal data: export everything, or erase it."
)


@personal_app.command("export")
def export(
    contact_id: Annotated[int, typer.Argument(help="The contact's id.")],
    to: Annotated[Path, typer.Option("--to", help="The ZIP file to write.")],
) -> None:
    """Write a ZIP with one JSON file per app of everything Kith holds about the contact."""
    from kith.intake.privacy import personal_data_export

    to.write_bytes(personal_data_export(by=None, contact_id=contact_id))
    typer.echo(str(to))


@personal_app.command("erase")
def erase(
    contact_id: Annotated[int, typer.Argument(help="The contact's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase the contact's personal data in every app; orders and tickets stay as anonymous
    figures. Cannot be undone."""
    from kith.intake.privacy import personal_data_erase

    if not yes:
        typer.confirm(f"Erase contact {contact_id}'s personal data for good?", abort=True)
    counts = personal_data_erase(by=None, contact_id=contact_id)
    sys.stdout.write(json.dumps(counts, sort_keys=True) + "\n")


def register(app: typer.Typer) -> None:
    """Add `kith personal-data …`."""
    app.add_typer(personal_app)
