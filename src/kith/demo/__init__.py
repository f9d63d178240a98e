"""Demo data: `demo_load()` fills an empty database with a realistic CRM (teams, users,
companies and contacts from the US, China and Vietnam); `DEMO_LOGINS` says how to sign in.

Importing this package is safe before Django is set up; `demo_load` needs the app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kith.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD, TEAMS

if TYPE_CHECKING:
    from collections.abc import Callable

    from kith.demo.loader import DemoSummary

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "TEAMS", "demo_load"]


def demo_load(
    *, size: str = "small", progress: Callable[[str, int, int], None] | None = None
) -> DemoSummary:
    """Load the demo data set of `size` ("tiny", "small" or "large"); see kith.demo.loader."""
    from kith.demo.loader import demo_load as load  # models need the app registry

    return load(size=size, progress=progress)
