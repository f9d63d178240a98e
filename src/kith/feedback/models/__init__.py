"""Feedback's data, one module per concept: surveys, their requests and responses (surveys); the
sentiment of customer texts and its rescoring runs (sentiment)."""

from kith.feedback.models.sentiment import RescoreRun, TextSentiment
from kith.feedback.models.surveys import (
    FollowUp,
    Question,
    Survey,
    SurveyAnswer,
    SurveyRequest,
    SurveyResponse,
)

__all__ = [
    "FollowUp",
    "Question",
    "RescoreRun",
    "Survey",
    "SurveyAnswer",
    "SurveyRequest",
    "SurveyResponse",
    "TextSentiment",
]
