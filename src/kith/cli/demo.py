"""`kith demo`: a working Kith on this machine in one command.

Migrates, collects static files, loads the demo data once (into an empty database), then runs
the task worker and the web server as child processes until Ctrl-C.
"""

from __future__ import annotations

import enum
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class DemoSize(enum.StrEnum):
    small = "small"
    large = "large"


def demo(
    size: Annotated[DemoSize, typer.Option(help="How much demo data to load.")] = DemoSize.small,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not run background tasks.")
    ] = False,
) -> None:
    """Set up the database, load demo data once, and serve Kith until Ctrl-C."""
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    from kith.core.errors import KithError
    from kith.customers.models import Contact

    console = Console()
    with console.status(_("Migrating the database…")):
        call_command("migrate", interactive=False, verbosity=0)
    with console.status(_("Collecting static files…")):
        call_command("collectstatic", interactive=False, verbosity=0)
    if Contact.objects.exists():
        console.print(_("The database has contacts already, so no demo data is loaded."))
    else:
        try:
            _load(console, size.value)
        except KithError as exc:  # e.g. the demo users exist, but their contacts were deleted
            console.print(f"[yellow]{escape(str(exc))}[/yellow]")

    children: list[subprocess.Popen[bytes]] = []
    # Ctrl-C stops us even when started with SIGINT ignored (as `cmd &` in a script is);
    # SIGTERM (from a supervisor or `kill`) stops the children like Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if not no_worker:
            children.append(_kith("worker"))
        server = _kith("serve", f"--host={host}", f"--port={port}", "--workers=1")
        children.append(server)
        if not _wait_until_listening(host, port, server):
            raise typer.Exit(1)
        _print_welcome(console, host, port)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        console.print(f"[red]{escape(_('A Kith process stopped unexpectedly.'))}[/red]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.print(_("Stopping…"))
    finally:
        _stop(children)


def _load(console: Console, size: str) -> None:
    from django.utils.translation import gettext as _

    from kith.demo import demo_load

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        summary = demo_load(size=size, progress=progress)
    console.print(
        _(
            "Loaded the %(size)s demo: %(teams)d teams, %(users)d users, %(companies)d companies,"
            " %(contacts)d contacts in %(seconds)s s."
        )
        % {
            "size": summary.size,
            "teams": summary.teams,
            "users": summary.users,
            "companies": summary.companies,
            "contacts": summary.contacts,
            "seconds": summary.seconds,
        }
    )
    if summary.more:
        console.print(", ".join(f"{count:,} {kind}" for kind, count in summary.more.items()))
    if summary.stages:
        stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in summary.stages.items())
        console.print(_("Time per stage (seconds): %(stages)s") % {"stages": stages})


def _kith(*args: str) -> subprocess.Popen[bytes]:
    """Another `kith` command as a child process, in this process group, so a Ctrl-C in the
    terminal reaches it too."""
    return subprocess.Popen([sys.executable, "-m", "kith.cli", *args])


def _wait_until_listening(host: str, port: int, server: subprocess.Popen[bytes]) -> bool:
    address = _local_address(host)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection((address, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _local_address(host: str) -> str:
    """Where this machine reaches a server listening on `host` (a wildcard means loopback)."""
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - only to connect locally
    return wildcards.get(host, host)


def _print_welcome(console: Console, host: str, port: int) -> None:
    from django.utils.translation import gettext as _

    from kith.demo import DEMO_LOGINS

    address = _local_address(host)
    url = f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"
    table = Table(title=_("Demo logins"))
    table.add_column(_("Username"))
    table.add_column(_("Password"))
    table.add_column(_("Role"))
    for username, password, role in DEMO_LOGINS:
        table.add_row(username, password, str(role))
    console.print()
    console.print(table)
    console.print()
    console.print(_("Kith is running at [bold]%(url)s[/bold]") % {"url": url})
    console.print(_("Press Ctrl-C to stop."))


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop the children: they got the terminal's Ctrl-C already; SIGTERM the rest, then kill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    deadline = time.monotonic() + 10
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
