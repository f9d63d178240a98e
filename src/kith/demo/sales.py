"""Demo data of sales."""

from __future__ import annotations

from kith.demo.context import DemoContext


def demo_sales_load(context: DemoContext) -> None:
    """Adds the sales demo records; counts go to context.counts."""
