"""The feedback app's models, one module per concept (surveys, sentiment)."""

from kith.feedback.models.sentiment import RescoreRun, TextSentiment

__all__ = ["RescoreRun", "TextSentiment"]
