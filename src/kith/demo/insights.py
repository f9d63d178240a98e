"""Demo insights: score every demo contact once its orders, interactions and tickets are in,
so the dashboard, the contact scores panel and the score filters have something to show."""

from __future__ import annotations

from kith.demo.context import DemoContext
from kith.insights.jobs import STAGES, scoring_run


def demo_insights_load(context: DemoContext) -> None:
    """Run the scoring job as of today over the demo data (after sales, engagement, service)."""

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "write":
            context.report("Scores", done, total)

    context.report("Scores", 0, len(STAGES))
    run = scoring_run(progress=progress)
    context.counts["scores"] = run.customers_scored
