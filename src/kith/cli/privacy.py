"""`kith personal-data export|erase ID [--lead]`: a person's privacy rights from the command
line; `kith personal-data requests|request-log|request-done`: the privacy request log."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

personal_app = typer.Typer(
    name="personal-data",
    help="A contact's (or lead's) personal data: export everything, or erase it; the request log.",
)

_LEAD = typer.Option("--lead", help="ID is a lead that never became a contact.")


@personal_app.command("export")
def export(
    record_id: Annotated[int, typer.Argument(help="The contact's id (a lead's with --lead).")],
    to: Annotated[Path, typer.Option("--to", help="The ZIP file to write.")],
    lead: Annotated[bool, _LEAD] = False,
) -> None:
    """Write a ZIP with one JSON file per app of everything Kith holds about the person."""
    from kith.intake.privacy import lead_personal_data_export, personal_data_export

    if lead:
        to.write_bytes(lead_personal_data_export(by=None, lead_id=record_id))
    else:
        to.write_bytes(personal_data_export(by=None, contact_id=record_id))
    typer.echo(str(to))


@personal_app.command("erase")
def erase(
    record_id: Annotated[int, typer.Argument(help="The contact's id (a lead's with --lead).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    lead: Annotated[bool, _LEAD] = False,
) -> None:
    """Erase the person's personal data in every app; orders and tickets stay as anonymous
    figures. Cannot be undone."""
    from kith.intake.privacy import lead_personal_data_erase, personal_data_erase

    what = "lead" if lead else "contact"
    if not yes:
        typer.confirm(f"Erase {what} {record_id}'s personal data for good?", abort=True)
    if lead:
        counts = lead_personal_data_erase(by=None, lead_id=record_id)
    else:
        counts = personal_data_erase(by=None, contact_id=record_id)
    sys.stdout.write(json.dumps(counts, sort_keys=True) + "\n")


@personal_app.command("requests")
def requests(
    state: Annotated[
        str, typer.Option("--state", help="open, overdue or done (default: all).")
    ] = "",
) -> None:
    """The privacy request log as JSON lines, newest first; overdue ones say so."""
    from kith.intake.privacy_requests import privacy_request_is_overdue, privacy_requests_for

    for request in privacy_requests_for(user=None, state=state).iterator():
        row = {
            "id": request.pk,
            "kind": request.kind,
            "subject": f"{request.subject}:{request.subject_id}",
            "received_at": request.received_at.isoformat(),
            "due_at": request.due_at.isoformat(),
            "done_at": request.done_at.isoformat() if request.done_at else None,
            "done_by": request.done_by.username if request.done_by else None,
            "overdue": privacy_request_is_overdue(request),
        }
        sys.stdout.write(json.dumps(row) + "\n")


@personal_app.command("request-log")
def request_log(
    kind: Annotated[str, typer.Argument(help="export or erasure.")],
    record_id: Annotated[int, typer.Argument(help="The contact's id (a lead's with --lead).")],
    lead: Annotated[bool, _LEAD] = False,
    received: Annotated[
        datetime | None, typer.Option("--received", help="When it came in (default: now).")
    ] = None,
    channel: Annotated[str, typer.Option("--channel", help="How it came in.")] = "",
) -> None:
    """Log a privacy request received from a person; prints its id and due date."""
    from django.utils import timezone

    from kith.core.errors import FieldError
    from kith.intake.models import PrivacyRequest
    from kith.intake.privacy_requests import privacy_request_log

    if received is not None and timezone.is_naive(received):
        received = timezone.make_aware(received)
    try:
        request = privacy_request_log(
            by=None,
            kind=kind,
            subject=PrivacyRequest.LEAD if lead else PrivacyRequest.CONTACT,
            subject_id=record_id,
            received_at=received,
            channel=channel,
        )
    except FieldError as exc:
        for field, message in exc.errors.items():
            typer.echo(f"{field}: {message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{request.pk} due {request.due_at.date().isoformat()}")


@personal_app.command("request-done")
def request_done(request_id: Annotated[int, typer.Argument(help="The request's id.")]) -> None:
    """Mark a privacy request done."""
    from kith.intake.privacy_requests import privacy_request_done

    privacy_request_done(by=None, request_id=request_id)
    typer.echo(str(request_id))


def register(app: typer.Typer) -> None:
    """Add `kith personal-data …`."""
    app.add_typer(personal_app)
