"""Demo data of service."""

from __future__ import annotations

from kith.demo.context import DemoContext


def demo_service_load(context: DemoContext) -> None:
    """Adds the service demo records; counts go to context.counts."""
