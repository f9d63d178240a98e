"""Whether a background worker is running: `kith worker` beats every few seconds, pages that
show queued work ask `worker_running()` and say so when none is."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.utils import timezone

from kith.core.models import WorkerBeat

BEAT_SECONDS = 5.0
# A worker not seen for this long is gone (killed, stopped, or never started).
GONE_AFTER = dt.timedelta(seconds=60)


def worker_beat(*, name: str | None = None) -> None:
    """Record that this worker process is alive (one row per host and pid, updated in place)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    WorkerBeat.objects.update_or_create(worker=name[:120], defaults={"seen_at": timezone.now()})


def worker_running(*, now: dt.datetime | None = None) -> bool:
    """True when some worker beat within GONE_AFTER."""
    now = now or timezone.now()
    return WorkerBeat.objects.filter(seen_at__gte=now - GONE_AFTER).exists()


def worker_beats_prune(*, now: dt.datetime | None = None) -> int:
    """Forget workers gone for a day."""
    now = now or timezone.now()
    return WorkerBeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()[0]
