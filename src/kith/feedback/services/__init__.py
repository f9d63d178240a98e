"""Writes of feedback, one module per concept: building surveys (surveys), answering through
signed links (responses), sending by email, link and QR code (sending), surveys sent by domain
events and schedules (triggers), the follow-ups that close the loop (follow_ups) and the
sentiment of customer texts (sentiment: its functions are imported from there).

Surveys are records of the access module "feedback" (owner/team); a response's owner and team
are its contact's, so `visible_to(..., module="feedback")` gates answers, dashboards and
exports alike. Bad input is a FieldError keyed by field; every write is atomic.
"""

from kith.feedback.services.follow_ups import follow_up_for_response, follow_up_for_sentiment
from kith.feedback.services.responses import (
    public_token_make,
    request_for_token,
    request_token_make,
    response_token_make,
    survey_answer,
    survey_answer_finish,
    survey_answer_public,
    survey_for_public_token,
)
from kith.feedback.services.sending import (
    request_url,
    survey_email_send,
    survey_public_url,
    survey_qr_svg,
    survey_request_open,
    survey_send,
)
from kith.feedback.services.surveys import STANDARD, survey_create, survey_update, text_for
from kith.feedback.services.triggers import (
    csat_survey_ensure,
    relationship_surveys_send,
    surveys_for_source,
)

__all__ = [
    "STANDARD",
    "csat_survey_ensure",
    "follow_up_for_response",
    "follow_up_for_sentiment",
    "public_token_make",
    "relationship_surveys_send",
    "request_for_token",
    "request_token_make",
    "request_url",
    "response_token_make",
    "survey_answer",
    "survey_answer_finish",
    "survey_answer_public",
    "survey_create",
    "survey_email_send",
    "survey_for_public_token",
    "survey_public_url",
    "survey_qr_svg",
    "survey_request_open",
    "survey_send",
    "survey_update",
    "surveys_for_source",
    "text_for",
]
