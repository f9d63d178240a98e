"""Demo data of engagement."""

from __future__ import annotations

from kith.demo.context import DemoContext


def demo_engagement_load(context: DemoContext) -> None:
    """Adds the engagement demo records; counts go to context.counts."""
