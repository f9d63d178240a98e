"""API v1: surveys (list, detail, create, update, send, public link), answers (list with cursor
pagination, detail) and the NPS/CSAT/CES report. Reads go through kith.feedback.selectors and
writes through kith.feedback.services, which apply the permission gate (module "feedback")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kith.api.auth import ApiRequest
from kith.api.schemas import ERRORS, ErrorOut, Ref, named_ref, user_ref
from kith.feedback import selectors, services
from kith.feedback.models import Survey, SurveyResponse

router = Router(tags=["feedback"])

MAX_PAGE_SIZE = 200


class QuestionOut(Schema):
    position: int
    kind: str
    texts: dict[str, str]
    choices: list[dict[str, Any]]
    required: bool
    show_if: dict[str, Any]


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    trigger: str
    every_months: int | None
    is_active: bool
    is_anonymous: bool
    default_language: str
    titles: dict[str, str]
    owner: Ref
    team: Ref | None
    version: int
    created_at: datetime
    questions: list[QuestionOut]
    public_url: str

    @staticmethod
    def resolve_owner(survey: Survey) -> dict[str, Any]:
        return user_ref(survey.owner)

    @staticmethod
    def resolve_team(survey: Survey) -> dict[str, Any] | None:
        return named_ref(survey.team)

    @staticmethod
    def resolve_questions(survey: Survey) -> list[Any]:
        return list(survey.questions.all())

    @staticmethod
    def resolve_public_url(survey: Survey) -> str:
        return services.survey_public_url(survey=survey)


class SurveyRow(Schema):
    id: int
    name: str
    kind: str
    trigger: str
    is_active: bool
    answer_count: int
    created_at: datetime


class SurveyPage(Schema):
    items: list[SurveyRow]
    next_cursor: str | None
    prev_cursor: str | None


class QuestionIn(Schema):
    kind: str
    texts: dict[str, str]
    choices: list[dict[str, Any]] = []
    required: bool = False
    show_if: dict[str, Any] = {}


class SurveyIn(Schema):
    name: str
    kind: str = Field(description="nps, csat, ces or custom")
    trigger: str = "manual"
    every_months: int | None = None
    is_anonymous: bool = False
    default_language: str = "en"
    titles: dict[str, str] = {}
    questions: list[QuestionIn] | None = Field(
        None, description="left out: the standard questions of nps/csat/ces"
    )


class SurveyPatch(Schema):
    version: int
    name: str = None  # type: ignore[assignment]
    trigger: str = None  # type: ignore[assignment]
    every_months: int | None = None
    is_active: bool = None  # type: ignore[assignment]
    is_anonymous: bool = None  # type: ignore[assignment]
    titles: dict[str, str] = None  # type: ignore[assignment]
    questions: list[QuestionIn] = None  # type: ignore[assignment]


class SendIn(Schema):
    contact_id: int
    language: str = ""


class RequestOut(Schema):
    id: int
    survey_id: int
    contact_id: int | None
    channel: str
    language: str
    created_at: datetime


class AnswerOut(Schema):
    position: int
    number: int | None
    choices: list[str]
    text: str

    @staticmethod
    def resolve_position(answer: Any) -> int:
        return int(answer.question.position)


class ResponseOut(Schema):
    id: int
    survey_id: int
    kind: str
    score: int | None
    comment: str
    channel: str
    language: str
    contact_id: int | None
    company_id: int | None
    agent_id: int | None
    source_model: str
    source_id: int | None
    submitted_at: datetime
    completed_at: datetime | None


class ResponseDetail(ResponseOut):
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(response: SurveyResponse) -> list[Any]:
        return sorted(response.answers.all(), key=lambda a: a.question.position)


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None
    prev_cursor: str | None


class ListParams(Schema):
    cursor: str | None = Field(None, description="next_cursor or prev_cursor of a previous page")
    limit: int = Field(settings.KITH_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ResponseParams(ListParams):
    survey_id: int | None = None
    kind: str = ""
    contact_id: int | None = None


class ReportParams(Schema):
    kind: str = Field("nps", description="nps, csat or ces")
    start: date | None = None
    end: date | None = None
    period: str = Field("month", description="month or week")
    survey_id: int | None = None


class SummaryOut(Schema):
    answers: int
    value: float | None
    mean: float | None
    positive: int
    neutral: int
    negative: int


class GroupOut(Schema):
    label: str
    summary: SummaryOut


class TrendPointOut(Schema):
    period: str
    summary: SummaryOut


class FollowUpsOut(Schema):
    opened: int
    closed: int
    closed_on_time: int
    mean_hours_to_close: float | None


class FeedbackReportOut(Schema):
    kind: str
    start: datetime
    end: datetime
    total: SummaryOut
    previous: SummaryOut
    trend: float | None
    points: list[TrendPointOut]
    by_team: list[GroupOut]
    by_agent: list[GroupOut]
    by_channel: list[GroupOut]
    by_stage: list[GroupOut] = Field(..., description="per lifecycle stage of the contact (now)")
    by_tag: list[GroupOut] = Field(..., description="per tag of the contact, top 20")
    sent: int
    answered: int
    response_rate: float | None
    follow_ups: FollowUpsOut


@router.get("/surveys", response={200: SurveyPage, **ERRORS}, tags=["surveys"])
def surveys_list(request: ApiRequest, params: Query[ListParams]) -> Any:
    """Surveys the caller may see, newest first."""
    return selectors.surveys_list(user=request.auth, cursor=params.cursor, limit=params.limit)


@router.get("/surveys/{int:survey_id}", response={200: SurveyOut, **ERRORS}, tags=["surveys"])
def survey_detail(request: ApiRequest, survey_id: int) -> Any:
    return selectors.survey_get(user=request.auth, survey_id=survey_id)


@router.post("/surveys", response={201: SurveyOut, **ERRORS}, tags=["surveys"])
def survey_create(request: ApiRequest, payload: SurveyIn) -> Any:
    """Create a survey; NPS/CSAT/CES without questions get the standard ones in en/zh-hans/vi."""
    fields = payload.model_dump()
    if fields["questions"] is None:
        del fields["questions"]
    survey = services.survey_create(by=request.auth, **fields)
    return Status(201, selectors.survey_get(user=request.auth, survey_id=survey.pk))


@router.patch(
    "/surveys/{int:survey_id}", response={200: SurveyOut, 409: ErrorOut, **ERRORS}, tags=["surveys"]
)
def survey_update(request: ApiRequest, survey_id: int, payload: SurveyPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.survey_update(by=request.auth, survey_id=survey_id, version=version, **changes)
    return selectors.survey_get(user=request.auth, survey_id=survey_id)


@router.post(
    "/surveys/{int:survey_id}/send", response={201: RequestOut, **ERRORS}, tags=["surveys"]
)
def survey_send(request: ApiRequest, survey_id: int, payload: SendIn) -> Any:
    """Email the survey to a contact (the worker sends it; one link per score)."""
    made = services.survey_send(
        by=request.auth, survey_id=survey_id, contact_id=payload.contact_id,
        language=payload.language,
    )  # fmt: skip
    return Status(201, made)


@router.get("/survey-answers", response={200: ResponsePage, **ERRORS}, tags=["surveys"])
def responses_list(request: ApiRequest, params: Query[ResponseParams]) -> Any:
    """Answers the caller may see, newest first; follow `next_cursor` with `?cursor=`."""
    return selectors.responses_list(
        user=request.auth, survey_id=params.survey_id, kind=params.kind,
        contact_id=params.contact_id, cursor=params.cursor, limit=params.limit,
    )  # fmt: skip


@router.get(
    "/survey-answers/{int:response_id}", response={200: ResponseDetail, **ERRORS}, tags=["surveys"]
)
def response_detail(request: ApiRequest, response_id: int) -> Any:
    return selectors.response_get(user=request.auth, response_id=response_id)


@router.get("/feedback-report", response={200: FeedbackReportOut, **ERRORS}, tags=["surveys"])
def feedback_report(request: ApiRequest, params: Query[ReportParams]) -> Any:
    """NPS, CSAT or CES over the period (default: the last 180 days) with the previous period
    for the trend, per month/week, team, agent and channel; response rate; follow-ups."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(params.start or today - timedelta(180), time.min))
    end = timezone.make_aware(datetime.combine(params.end or today, time.min)) + timedelta(days=1)
    report = selectors.score_report(
        user=request.auth, kind=params.kind, start=start, end=end, period=params.period,
        survey_id=params.survey_id,
    )  # fmt: skip
    data = report.__dict__ | {"trend": report.trend, "response_rate": report.response_rate}
    return data


class SentimentIn(Schema):
    text: str = Field(..., max_length=20000)
    language: str = Field("auto", description="auto (detected), en, zh or vi")


class SentimentOut(Schema):
    language: str
    label: str
    score: float = Field(..., description="calibrated probability of the label, 0–1")
    drivers: list[str]
    model_version: str


class StoredSentimentOut(SentimentOut):
    id: int
    source_model: str = Field(..., description="engagement.interaction or service.ticketevent")
    source_id: int
    contact_id: int | None
    text_at: datetime
    scored_at: datetime


class SentimentPage(Schema):
    items: list[StoredSentimentOut]
    next_cursor: str | None
    prev_cursor: str | None


class SentimentParams(ListParams):
    contact_id: int | None = None
    source_model: str = ""
    source_id: int | None = None
    label: str = Field("", description="positive, neutral or negative")


@router.post("/sentiment", response={200: SentimentOut, **ERRORS}, tags=["sentiment"])
def sentiment_of_text(request: ApiRequest, payload: SentimentIn) -> Any:
    """Score a text (nothing is stored): label, calibrated score, driving words, language."""
    return selectors.text_sentiment_preview(
        by=request.auth, text=payload.text, language=payload.language
    )


@router.get("/sentiments", response={200: SentimentPage, **ERRORS}, tags=["sentiment"])
def sentiments_list(request: ApiRequest, params: Query[SentimentParams]) -> Any:
    """Stored scores of customer texts the caller may see, newest first: filter by contact,
    source model, source record (`source_model` + `source_id`: one record's sentiment)."""
    return selectors.sentiments_list(
        user=request.auth, contact_id=params.contact_id, source_model=params.source_model,
        source_id=params.source_id, label=params.label, cursor=params.cursor, limit=params.limit,
    )  # fmt: skip
