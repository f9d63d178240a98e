"""Reads of feedback for api/web/cli, one module per concept: surveys and their answers and
reports (surveys); the sentiment of customer texts and its themes (sentiment)."""

from kith.feedback.selectors.sentiment import (
    THEME_TEXTS,
    LanguageThemes,
    sentiment_themes,
    sentiments_for_contact,
    sentiments_for_timeline,
    sentiments_list,
    text_sentiment_preview,
)
from kith.feedback.selectors.surveys import (
    EXPORT_COLUMNS,
    FollowUpStats,
    GroupRow,
    PeriodPoint,
    ScoreReport,
    company_responses,
    follow_up_stats,
    response_get,
    responses_export_rows,
    responses_for_timeline,
    responses_list,
    responses_period,
    score_report,
    survey_get,
    surveys_list,
)

__all__ = [
    "EXPORT_COLUMNS",
    "THEME_TEXTS",
    "FollowUpStats",
    "GroupRow",
    "LanguageThemes",
    "PeriodPoint",
    "ScoreReport",
    "company_responses",
    "follow_up_stats",
    "response_get",
    "responses_export_rows",
    "responses_for_timeline",
    "responses_list",
    "responses_period",
    "score_report",
    "sentiment_themes",
    "sentiments_for_contact",
    "sentiments_for_timeline",
    "sentiments_list",
    "survey_get",
    "surveys_list",
    "text_sentiment_preview",
]
