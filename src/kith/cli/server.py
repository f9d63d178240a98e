"""`kith serve` (gunicorn) and `kith worker` (the database task worker)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: all).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Threads per worker process.")] = 4,
) -> None:
    """Serve Kith for production: gunicorn with threaded workers, static files by WhiteNoise."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "kith.wsgi:application",
        f"--bind={bind}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        # No access log: request paths carry search terms, which may be personal data.
        "--error-logfile=-",
        # Its default path is one per OS user, which two servers on one machine would share.
        "--no-control-socket",
    ]
    sys.stdout.flush()
    # gunicorn replaces this process, so signals (Ctrl-C, SIGTERM) reach its master directly.
    os.execv(sys.executable, argv)  # noqa: S606 - argv is built here, no shell


def worker(
    queue: Annotated[str, typer.Option(help="Queues to run, comma-separated; * for all.")] = "*",
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between polls when idle.")
    ] = 1.0,
    batch: Annotated[
        bool, typer.Option("--batch", help="Run the waiting tasks, then exit.")
    ] = False,
    max_tasks: Annotated[
        int | None, typer.Option(min=1, help="Exit after this many tasks.")
    ] = None,
    schedules: Annotated[
        bool,
        typer.Option(help="Also enqueue periodic schedules (SLA checks, mailbox polls, scoring)."),
    ] = True,
) -> None:
    """Run background tasks from the database queue until stopped (Ctrl-C or SIGTERM)."""
    from django.core.management import call_command

    from kith.core.events import events_dispatch
    from kith.core.schedules import schedules_enqueue_due

    if batch:
        while events_dispatch():  # the pending domain events, before the tasks
            pass
    if schedules:
        # Due work is enqueued before the first poll, so --batch runs it too.
        schedules_enqueue_due()
    if not batch:
        _schedule_thread_start(interval=SCHEDULE_POLL_SECONDS, schedules=schedules)
    call_command(
        "db_worker",
        queue_name=queue,
        interval=interval,
        batch=batch,
        max_tasks=max_tasks,
        reload=False,
        startup_delay=not batch,
    )


SCHEDULE_POLL_SECONDS = 5.0


def _schedule_thread_start(*, interval: float, schedules: bool = True) -> None:
    """Beat (kith.core.workers), and enqueue due schedules and dispatch domain events, every
    `interval` seconds beside the task loop (a daemon thread, so it ends with the worker)."""
    import threading

    from django.db import connection

    from kith.core.events import events_dispatch
    from kith.core.schedules import schedules_enqueue_due
    from kith.core.workers import worker_beat

    def loop() -> None:
        stop = threading.Event()
        while True:  # a beat at once, so a page sees the worker as soon as it starts
            try:
                worker_beat()
                if schedules:
                    schedules_enqueue_due()
                events_dispatch()
            except Exception:  # a failed round is retried on the next one
                import logging

                logging.getLogger("kith.schedules").exception("enqueueing schedules failed")
            finally:
                connection.close()
            if stop.wait(interval):
                break

    threading.Thread(target=loop, name="kith-schedules", daemon=True).start()
