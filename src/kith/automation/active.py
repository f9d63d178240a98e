"""The active rules (by trigger) and webhook subscriptions, read once for a batch of events.

The event handler (kith.automation.handlers) is called once per event; reading the rules and
subscriptions for each would be two queries per event for tables that rarely change. They are
read once and kept while they can answer: a rule or subscription reacts only to events that
happened after it was made (`created_at <= event.created_at`), so a snapshot read at moment T
has every rule that may react to an event that happened before T. An event newer than the
snapshot (or a snapshot older than MAX_AGE) reads them again, and the services that change
rules or subscriptions drop the snapshot of their process (`active_forget`). A rule paused or a
subscription turned off after the snapshot is still filtered where the work is done (the worker
runs no run of an inactive rule and sends nothing for an inactive subscription).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from kith.automation.models import Rule, Subscription

MAX_AGE = dt.timedelta(seconds=5)


@dataclass
class Active:
    read_at: dt.datetime
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # by trigger
    subscriptions: list[Subscription] = field(default_factory=list)

    def rules_for(self, event_name: str, at: dt.datetime) -> list[Rule]:
        return [r for r in self.rules.get(event_name, ()) if r.created_at <= at]

    def subscriptions_for(self, event_name: str, at: dt.datetime) -> list[Subscription]:
        return [s for s in self.subscriptions if s.created_at <= at and s.wants(event_name)]


_local = threading.local()


def active_forget() -> None:
    """Drop this process's snapshot (after a rule or subscription changed)."""
    _local.snapshot = None


def active_for(at: dt.datetime) -> Active:
    """The active rules and subscriptions that may react to an event that happened at `at`."""
    now = timezone.now()
    snapshot: Active | None = getattr(_local, "snapshot", None)
    if snapshot is None or at > snapshot.read_at or now - snapshot.read_at > MAX_AGE:
        by_trigger: dict[str, list[Rule]] = defaultdict(list)
        for rule in Rule.objects.filter(is_active=True).select_related("owner").order_by("id"):
            by_trigger[rule.trigger].append(rule)
        snapshot = Active(
            read_at=now,
            rules=dict(by_trigger),
            subscriptions=list(Subscription.objects.filter(is_active=True).order_by("id")),
        )
        _local.snapshot = snapshot
    return snapshot
