"""Feedback's data, one module per concept: surveys, their requests and responses (surveys)."""

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
    "Survey",
    "SurveyAnswer",
    "SurveyRequest",
    "SurveyResponse",
]
