import typer

from tests.door_app.models import Stamp


def stamps() -> None:
    """Count the stamps."""
    typer.echo(f"{Stamp.objects.count()} stamps")


def register(app: typer.Typer) -> None:
    app.command("stamps")(stamps)
