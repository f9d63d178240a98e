"""What every domain's demo loader gets: the accounts and customers already loaded."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kith.demo.bulk import Progress
from kith.identity.models import User


@dataclass
class DemoContext:
    size: str  # "tiny" | "small" | "large"
    seed: int
    users: dict[str, User]  # by username (see kith.demo.accounts.DEMO_USERS)
    progress: Progress | None
    # Records loaded so far by kind ("deals": 300, …); each domain loader adds its own.
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, domain: str) -> random.Random:
        """A generator of its own per domain, so one domain's data does not shift another's."""
        return random.Random(f"{self.seed}:{domain}")

    def report(self, step: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(step, done, total)
