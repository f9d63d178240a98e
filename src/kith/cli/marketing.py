"""`kith marketing send|refresh|winner`: the long marketing jobs, with progress.

`send` sends a started campaign to the end at its rate and can be run again after a crash (it
resumes; see kith.marketing.services.delivery). The worker does the same a minute at a time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

out = Console()
err = Console(stderr=True)

marketing_app = typer.Typer(
    name="marketing", help="Segments and campaigns: send, refresh.", no_args_is_help=True
)


@marketing_app.command()
def send(
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    batch: Annotated[int, typer.Option(help="Recipients claimed per batch.")] = 200,
    reclaim_after: Annotated[
        int,
        typer.Option(
            help="Seconds after which a message left in flight by a dead worker is sent again "
            "(0: now — only when no other worker sends this campaign)."
        ),
    ] = 600,
    start: Annotated[bool, typer.Option(help="Start a draft campaign first.")] = False,
    connections: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="SMTP connections used at once (each can leave one message in doubt if the "
            "worker is killed).",
        ),
    ] = 1,
) -> None:
    """Send a campaign to the end (resumes after a crash)."""
    from django.utils.translation import gettext as _

    from kith.marketing.models import Campaign
    from kith.marketing.services.campaigns import campaign_start
    from kith.marketing.services.delivery import campaign_send

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        err.print(_("No campaign %(id)s.") % {"id": campaign_id}, style="red")
        raise typer.Exit(2)
    if start and campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        campaign = campaign_start(by=None, campaign_id=campaign.pk)
    if campaign.status != Campaign.Status.SENDING:
        err.print(
            _("The campaign is %(status)s, not sending.")
            % {"status": campaign.get_status_display()},
            style="red",
        )
        raise typer.Exit(1)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as bar:
        task = bar.add_task(_("Sending"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = campaign_send(
            campaign=campaign,
            batch=batch,
            reclaim_after=timedelta(seconds=reclaim_after),
            progress=progress,
            connections=connections,
        )
    out.print(
        _("Sent %(sent)d, failed %(failed)d.") % {"sent": result.sent, "failed": result.failed}
    )


@marketing_app.command()
def refresh() -> None:
    """Refresh every segment now (members, size history, entered/left events)."""
    from django.utils.translation import gettext as _

    from kith.marketing.services.segments import segments_refresh

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=out
    ) as bar:
        task = bar.add_task(_("Refreshing segments"), total=None)
        count = segments_refresh(
            progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    out.print(_("%(count)d segments refreshed.") % {"count": count})


def register(app: typer.Typer) -> None:
    """Add `kith marketing …` to the `kith` app."""
    app.add_typer(marketing_app)
